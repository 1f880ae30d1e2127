/**
 * TFTP packets (RFC 1350 §5) with option negotiation (RFC 2347 OACK, RFC 2348 blksize,
 * RFC 2349 tsize). Pure encode/decode; a malformed packet decodes to undefined.
 */
export const OP = { RRQ: 1, WRQ: 2, DATA: 3, ACK: 4, ERROR: 5, OACK: 6 } as const;

export type Packet =
  | { readonly op: typeof OP.DATA; readonly block: number; readonly data: Buffer }
  | { readonly op: typeof OP.ERROR; readonly code: number; readonly message: string }
  | { readonly op: typeof OP.OACK; readonly options: ReadonlyMap<string, string> }
  | { readonly op: typeof OP.ACK; readonly block: number };

/** RFC 1350 §5 error codes we send or act on. */
export const ERR = { NOT_DEFINED: 0, FILE_NOT_FOUND: 1, UNKNOWN_TID: 5, OPTION_REFUSED: 8 } as const;

export function readRequest(file: string, options: Readonly<Record<string, string>>): Buffer {
  const fields = [file, 'octet', ...Object.entries(options).flat()];
  return Buffer.concat([u16(OP.RRQ), ...fields.map((f) => Buffer.from(`${f}\0`, 'latin1'))]);
}

export function ack(block: number): Buffer {
  return Buffer.concat([u16(OP.ACK), u16(block)]);
}

export function error(code: number, message: string): Buffer {
  return Buffer.concat([u16(OP.ERROR), u16(code), Buffer.from(`${message}\0`, 'latin1')]);
}

function u16(value: number): Buffer {
  const b = Buffer.alloc(2);
  b.writeUInt16BE(value);
  return b;
}

/** Zero-terminated strings; undefined when the last one is not terminated. */
function strings(body: Buffer): string[] | undefined {
  if (body.length > 0 && body[body.length - 1] !== 0) return undefined;
  return body.length === 0 ? [] : body.subarray(0, -1).toString('latin1').split('\0');
}

export function decode(packet: Buffer): Packet | undefined {
  if (packet.length < 4) return packet.length === 2 && packet.readUInt16BE(0) === OP.OACK ? { op: OP.OACK, options: new Map() } : undefined;
  const op = packet.readUInt16BE(0);
  if (op === OP.DATA) return { op, block: packet.readUInt16BE(2), data: packet.subarray(4) };
  if (op === OP.ACK) return { op, block: packet.readUInt16BE(2) };
  if (op === OP.ERROR) return { op, code: packet.readUInt16BE(2), message: strings(packet.subarray(4))?.[0] ?? '' };
  if (op === OP.OACK) {
    const list = strings(packet.subarray(2));
    if (list === undefined || list.length % 2 !== 0) return undefined;
    const options = new Map<string, string>();
    for (let i = 0; i < list.length; i += 2) options.set(list[i]!.toLowerCase(), list[i + 1]!);
    return { op, options };
  }
  return undefined;
}
