/**
 * The vault file format, pure: records in, bytes out, and back. (RELIABILITY.md §5.1–5.3.)
 *
 *   magic "PVDVAULT" (8) | version (1) | key check (8) | body length (4, BE) | nonce (12)
 *   | AES-256-GCM(body) | tag (16)
 *
 * The whole header is associated data. The body is JSON of the records; inside it each
 * record's username, secret and timestamps are sealed again, with the record's canonical key
 * as associated data — the systemd-creds name binding: a sealed record moved to another
 * record's slot fails to open. The outer layer hides which servers and realms are stored
 * (the metadata the GNOME keyring leaves in clear) and binds the set of records, so a
 * dropped, reordered or truncated record is detected too. Both layers use a fresh random
 * nonce per write; keys are separate HKDF-SHA-256 outputs of the master key, and the key
 * check (also HKDF) tells "another key" apart from "altered bytes".
 */
import { createCipheriv, createDecipheriv, hkdfSync, randomBytes as cryptoRandomBytes } from 'node:crypto';
import { keyId, normalizeEntry, storedOrigin, type VaultRecord } from './record.js';

export const FORMAT_VERSION = 1;
const MAGIC = Buffer.from('PVDVAULT', 'latin1');
const CHECK_BYTES = 8;
const NONCE_BYTES = 12;
const TAG_BYTES = 16;
const HEADER_BYTES = MAGIC.length + 1 + CHECK_BYTES + 4 + NONCE_BYTES;
const RECORD_AAD_PREFIX = `provisiond-vault/${FORMAT_VERSION}/record`;

export const CORRUPT_REASONS = [
  'truncated',
  'not_a_vault',
  'future_version',
  'wrong_key',
  'tampered',
  'malformed',
  'record_mismatch',
  'symlink',
  'unreadable',
] as const;
export type CorruptReason = (typeof CORRUPT_REASONS)[number];

export type DecodeResult =
  | { readonly ok: true; readonly records: VaultRecord[] }
  | { readonly ok: false; readonly reason: CorruptReason; readonly detail: string };

export type RandomBytes = (size: number) => Buffer;

export interface VaultKeys {
  readonly file: Buffer;
  readonly record: Buffer;
  readonly check: Buffer;
}

/** Separate keys for the two layers and the check value (HKDF, RFC 5869). */
export function deriveKeys(master: Uint8Array): VaultKeys {
  const derive = (info: string, size: number) => Buffer.from(hkdfSync('sha256', master, Buffer.alloc(0), `provisiond-vault ${info}`, size));
  return { file: derive('file', 32), record: derive('record', 32), check: derive('key check', CHECK_BYTES) };
}

function seal(key: Buffer, plain: Buffer, aad: Buffer, random: RandomBytes): Buffer {
  const nonce = random(NONCE_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, nonce).setAAD(aad);
  return Buffer.concat([nonce, cipher.update(plain), cipher.final(), cipher.getAuthTag()]);
}

/** Undefined when the ciphertext, its tag or its associated data do not match. */
function open(key: Buffer, sealed: Buffer, aad: Buffer): Buffer | undefined {
  if (sealed.length < NONCE_BYTES + TAG_BYTES) return undefined;
  const decipher = createDecipheriv('aes-256-gcm', key, sealed.subarray(0, NONCE_BYTES)).setAAD(aad);
  decipher.setAuthTag(sealed.subarray(sealed.length - TAG_BYTES));
  try {
    return Buffer.concat([decipher.update(sealed.subarray(NONCE_BYTES, sealed.length - TAG_BYTES)), decipher.final()]);
  } catch {
    return undefined;
  }
}

function recordAad(record: Parameters<typeof keyId>[0]): Buffer {
  return Buffer.from(`${RECORD_AAD_PREFIX}\n${keyId(record)}`, 'utf8');
}

export function encodeVault(records: readonly VaultRecord[], keys: VaultKeys, random: RandomBytes = cryptoRandomBytes): Buffer {
  const body = records.map(({ username, secret, createdAt, updatedAt, ...key }) => {
    const inner = Buffer.from(JSON.stringify({ username, secret, createdAt, updatedAt }), 'utf8');
    const stored = key.origin === undefined ? key : { ...key, origin: storedOrigin(key.origin) };
    return { ...stored, sealed: seal(keys.record, inner, recordAad(key), random).toString('base64') };
  });
  return sealBody(Buffer.from(JSON.stringify({ records: body }), 'utf8'), keys, random);
}

/** The outer layer: header and body, the header authenticated as associated data. */
export function sealBody(plain: Buffer, keys: VaultKeys, random: RandomBytes = cryptoRandomBytes): Buffer {
  const header = Buffer.alloc(HEADER_BYTES);
  MAGIC.copy(header, 0);
  header.writeUInt8(FORMAT_VERSION, MAGIC.length);
  keys.check.copy(header, MAGIC.length + 1);
  header.writeUInt32BE(plain.length + TAG_BYTES, MAGIC.length + 1 + CHECK_BYTES);
  random(NONCE_BYTES).copy(header, HEADER_BYTES - NONCE_BYTES);
  const cipher = createCipheriv('aes-256-gcm', keys.file, header.subarray(HEADER_BYTES - NONCE_BYTES)).setAAD(header);
  return Buffer.concat([header, cipher.update(plain), cipher.final(), cipher.getAuthTag()]);
}

function fail(reason: CorruptReason, detail: string): Extract<DecodeResult, { ok: false }> {
  return { ok: false, reason, detail };
}

export function decodeVault(bytes: Buffer, keys: VaultKeys): DecodeResult {
  const body = openBody(bytes, keys);
  return body.ok ? decodeBody(body.plain, keys) : body;
}

/** Checks the header and the outer tag; says which part is wrong. */
export function openBody(bytes: Buffer, keys: VaultKeys): { readonly ok: true; readonly plain: Buffer } | Extract<DecodeResult, { ok: false }> {
  const prefix = bytes.subarray(0, MAGIC.length);
  if (!MAGIC.subarray(0, prefix.length).equals(prefix)) return fail('not_a_vault', 'the file does not start with the vault signature');
  if (bytes.length < HEADER_BYTES) return fail('truncated', `the file ends inside the header (${bytes.length} bytes)`);
  const version = bytes.readUInt8(MAGIC.length);
  if (version > FORMAT_VERSION) return fail('future_version', `format version ${version} is newer than this daemon understands (${FORMAT_VERSION})`);
  if (version !== FORMAT_VERSION) return fail('not_a_vault', `unknown format version ${version}`);
  if (!bytes.subarray(MAGIC.length + 1, MAGIC.length + 1 + CHECK_BYTES).equals(keys.check)) {
    return fail('wrong_key', 'the vault was written with another key (or its key check was altered)');
  }
  const expected = HEADER_BYTES + bytes.readUInt32BE(MAGIC.length + 1 + CHECK_BYTES);
  if (bytes.length < expected) return fail('truncated', `the file holds ${bytes.length} of ${expected} bytes`);
  if (bytes.length > expected) return fail('tampered', `the file holds ${bytes.length - expected} bytes more than its header says`);
  const plain = open(keys.file, bytes.subarray(HEADER_BYTES - NONCE_BYTES), bytes.subarray(0, HEADER_BYTES));
  if (plain === undefined) return fail('tampered', 'the authentication tag does not match: the file was altered');
  return { ok: true, plain };
}

/** The body passed the outer tag, so a failure here means a record moved or a writer bug. */
function decodeBody(plain: Buffer, keys: VaultKeys): DecodeResult {
  let parsed: unknown;
  try {
    parsed = JSON.parse(plain.toString('utf8'));
  } catch {
    return fail('malformed', 'the decrypted body is not JSON');
  }
  const list = (parsed as { records?: unknown } | null)?.records;
  if (!Array.isArray(list)) return fail('malformed', 'the decrypted body has no record list');
  const records: VaultRecord[] = [];
  for (const [index, item] of list.entries()) {
    try {
      const { sealed, ...key } = item as { sealed: unknown };
      const inner = open(keys.record, Buffer.from(String(sealed), 'base64'), recordAad(normalizeEntry({ ...key, secret: '' })));
      if (inner === undefined) return fail('record_mismatch', `record ${index} does not belong to its slot (moved or swapped)`);
      const fields = JSON.parse(inner.toString('utf8')) as Record<string, unknown>;
      const entry = normalizeEntry({ ...key, username: fields.username, secret: fields.secret });
      if (typeof fields.createdAt !== 'string' || typeof fields.updatedAt !== 'string') throw new Error('timestamps');
      records.push({ ...entry, createdAt: fields.createdAt, updatedAt: fields.updatedAt });
    } catch {
      return fail('malformed', `record ${index} is not a valid vault record`);
    }
  }
  return { ok: true, records };
}
