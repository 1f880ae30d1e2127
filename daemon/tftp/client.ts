/**
 * TFTP read client for `tftp://` profile rules (SPEC §4: the default scheme). Lock-step
 * transfer (RFC 1350 §2) from the server's transfer ID, `blksize` and `tsize` negotiated
 * (RFC 2347–2349), every unanswered packet retransmitted after `timeoutMs` at most
 * `retries` times, a size cap checked against `tsize` first and against the bytes received,
 * and one total deadline for the whole transfer (SPEC §4: 120 s by default, as for HTTP):
 * the retry count starts again with every block, so without it a server that drips 8-byte
 * blocks just inside `timeoutMs` would hold the single resync slot for days.
 */
import * as dgram from 'node:dgram';
import { lookup } from 'node:dns/promises';
import { ProvisiondError, type ErrorCode } from '../errors/index.js';
import { ack, decode, ERR, error, OP, readRequest } from './packets.js';

export interface TftpOptions {
  /** Requested block size (RFC 2348: 8–65464); 1428 fits an Ethernet MTU. */
  readonly blksize?: number;
  readonly timeoutMs?: number;
  readonly retries?: number;
  readonly maxBytes?: number;
  /** The whole transfer, from the first request to the last block. */
  readonly totalMs?: number;
  /** Abandons the transfer with `aborted` (daemon shutdown). */
  readonly signal?: AbortSignal;
}

export interface TftpResult {
  readonly body: Buffer;
  /** Block size in use (512 when the server ignored the option). */
  readonly blksize: number;
  /** Size the server announced, if it did. */
  readonly tsize: number | undefined;
}

const DEFAULTS = { blksize: 1428, timeoutMs: 1000, retries: 5, maxBytes: 4 * 1024 * 1024, totalMs: 120_000 };

/** Reads `tftp://host[:port]/path`. */
export async function tftpGet(url: string, options: TftpOptions = {}): Promise<TftpResult> {
  const parsed = new URL(url);
  if (parsed.protocol !== 'tftp:' || parsed.pathname.length < 2) throw new ProvisiondError('url_invalid', 'expected tftp://host/file');
  const shown = `tftp://${parsed.host}${parsed.pathname}`;
  // DOMAIN.md §1.12: only A records; the answers must come from this address.
  const { address } = await lookup(parsed.hostname.replace(/^\[|\]$/g, ''), { family: 4 }).catch((err: Error) => {
    throw new ProvisiondError('network_error', `cannot resolve ${parsed.hostname}`, { path: shown }, { cause: err });
  });
  if (options.signal?.aborted) throw new ProvisiondError('aborted', `fetching ${shown} was abandoned`, { path: shown });
  return transfer(address, Number(parsed.port || 69), decodeURIComponent(parsed.pathname.slice(1)), { ...DEFAULTS, ...options }, shown);
}

function transfer(host: string, port: number, file: string, o: typeof DEFAULTS & TftpOptions, shown: string): Promise<TftpResult> {
  const socket = dgram.createSocket('udp4');
  return new Promise<TftpResult>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let received = 0;
    let blksize = 512;
    let tsize: number | undefined;
    let serverPort: number | undefined;
    let expected = 1;
    let last = readRequest(file, { blksize: String(o.blksize), tsize: '0' });
    let lastPort = port;
    let tries = 0;
    let timer: NodeJS.Timeout | undefined;
    let settled = false;

    const done = (err: Error | undefined, result?: TftpResult, tell?: Buffer): void => {
      settled = true;
      clearTimeout(timer);
      clearTimeout(deadline);
      o.signal?.removeEventListener('abort', abort);
      if (tell) socket.send(tell, serverPort, host, () => socket.close());
      else socket.close();
      if (err) reject(err);
      else resolve(result!);
    };
    const fail = (code: ErrorCode, message: string, tell?: Buffer): void => {
      done(new ProvisiondError(code, message, { path: shown }), undefined, tell);
    };
    const send = (packet: Buffer, toPort: number): void => {
      last = packet;
      lastPort = toPort;
      tries = 0;
      transmit();
    };
    const transmit = (): void => {
      socket.send(last, lastPort, host);
      clearTimeout(timer);
      timer = setTimeout(() => {
        if (++tries > o.retries) fail('timeout', `no answer from ${shown} after ${o.retries} retransmissions`);
        else transmit();
      }, o.timeoutMs);
    };

    const deadline = setTimeout(() => fail('timeout', `total timeout after ${o.totalMs} ms fetching ${shown}`), o.totalMs);
    const abort = (): void => fail('aborted', `fetching ${shown} was abandoned`);
    o.signal?.addEventListener('abort', abort, { once: true });

    socket.on('error', (err) => done(new ProvisiondError('network_error', `cannot fetch ${shown}: ${err.message}`, { path: shown }, { cause: err })));
    socket.on('message', (message, remote) => {
      if (remote.address !== host) return;
      // RFC 1350 §4: the first answer fixes the server's TID; others get "unknown TID".
      serverPort ??= remote.port;
      if (remote.port !== serverPort) {
        socket.send(error(ERR.UNKNOWN_TID, 'Unknown transfer ID'), remote.port, host);
        return;
      }
      const packet = decode(message);
      if (packet === undefined) return;
      if (packet.op === OP.ERROR) {
        const code = packet.code === ERR.FILE_NOT_FOUND ? 'not_found' : 'tftp_error';
        fail(code, `${shown}: the server answered error ${packet.code}`);
      } else if (packet.op === OP.OACK && expected === 1 && received === 0) {
        const size = Number(packet.options.get('blksize') ?? 512);
        tsize = packet.options.has('tsize') ? Number(packet.options.get('tsize')) : undefined;
        if (!(size >= 8 && size <= o.blksize)) return fail('tftp_error', `${shown}: the server chose an invalid block size`, error(ERR.OPTION_REFUSED, 'bad blksize'));
        if (tsize !== undefined && tsize > o.maxBytes) return fail('body_too_large', `${shown} is larger than ${o.maxBytes} bytes`, error(ERR.OPTION_REFUSED, 'too large'));
        blksize = size;
        send(ack(0), serverPort);
      } else if (packet.op === OP.DATA && packet.block === expected % 65536) {
        received += packet.data.length;
        if (received > o.maxBytes) return fail('body_too_large', `${shown} is larger than ${o.maxBytes} bytes`, error(ERR.NOT_DEFINED, 'too large'));
        chunks.push(packet.data);
        expected++;
        if (packet.data.length === blksize) return send(ack(packet.block), serverPort);
        // A short block ends the transfer (RFC 1350 §6); the last ACK is not retransmitted.
        socket.send(ack(packet.block), serverPort, host);
        done(undefined, { body: Buffer.concat(chunks), blksize, tsize });
      } else if (packet.op === OP.DATA && packet.block === (expected - 1) % 65536) {
        // Our ACK was lost: the server resent the block; acknowledge it again.
        socket.send(ack(packet.block), serverPort, host);
      }
      return undefined;
    });
    socket.bind(0, () => {
      if (!settled) transmit();
    });
  });
}
