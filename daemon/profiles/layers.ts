/**
 * The layers around a profile, undone before parsing (DOMAIN.md §1.11, SPEC §4):
 * - `--key`: openssl `enc -aes-256-cbc -k phrase` files: "Salted__", 8 bytes of salt, then
 *   ciphertext; key and IV from EVP_BytesToKey (one round). The digest is SHA-256 for
 *   OpenSSL >= 1.1.0 and MD5 before; the sources do not say which Cisco used (DOMAIN.md §7
 *   item 14), so SHA-256 is tried first, then MD5 (SPEC §4).
 * - gzip, recognised by its magic bytes, never by file name; compressed before encryption,
 *   so undone after it. Output is capped at the profile size limit (a gzip bomb stops there).
 * - text: UTF-8 only (MPP), an optional BOM removed.
 */
import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { gunzipSync } from 'node:zlib';
import { profileError } from './types.js';

const SALTED = Buffer.from('Salted__');
const DIGESTS = ['sha256', 'md5'] as const;

export function isEncrypted(data: Uint8Array): boolean {
  return data.length >= 16 && SALTED.equals(data.subarray(0, 8));
}

export function isGzip(data: Uint8Array): boolean {
  return data[0] === 0x1f && data[1] === 0x8b;
}

/** EVP_BytesToKey with one iteration: 32-byte key then 16-byte IV. */
function deriveKeyIv(digest: (typeof DIGESTS)[number], phrase: Buffer, salt: Uint8Array): { key: Buffer; iv: Buffer } {
  let material = Buffer.alloc(0);
  let block = Buffer.alloc(0);
  while (material.length < 48) {
    block = createHash(digest).update(block).update(phrase).update(salt).digest();
    material = Buffer.concat([material, block]);
  }
  return { key: material.subarray(0, 32), iv: material.subarray(32, 48) };
}

function plausible(plain: Buffer): boolean {
  if (isGzip(plain)) return true;
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(plain);
    return true;
  } catch {
    return false;
  }
}

/** Decrypts an openssl `enc -aes-256-cbc -k` file; `profile_decrypt_error` when no digest fits. */
export function decryptProfile(data: Uint8Array, phrase: string): Buffer {
  if (!isEncrypted(data)) throw profileError('profile_decrypt_error', 'the rule gives --key but the profile is not an openssl "Salted__" file');
  const salt = data.subarray(8, 16);
  const body = data.subarray(16);
  for (const digest of DIGESTS) {
    const { key, iv } = deriveKeyIv(digest, Buffer.from(phrase, 'utf8'), salt);
    try {
      const decipher = createDecipheriv('aes-256-cbc', key, iv);
      const plain = Buffer.concat([decipher.update(body), decipher.final()]);
      if (plausible(plain)) return plain;
    } catch {
      // Bad padding: the wrong key or digest; try the next digest.
    }
  }
  throw profileError('profile_decrypt_error', 'the profile could not be decrypted with the --key given (tried SHA-256 and MD5 key derivation)');
}

/** Gunzips with an output cap. */
export function gunzipProfile(data: Uint8Array, maxBytes: number): Buffer {
  try {
    return gunzipSync(data, { maxOutputLength: maxBytes });
  } catch (error) {
    if ((error as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE') throw profileError('profile_too_large', `the profile is larger than ${maxBytes} bytes once decompressed`);
    throw profileError('profile_gzip_error', 'the profile looks gzip-compressed but does not decompress');
  }
}

/** Strict UTF-8 with an optional BOM. */
export function decodeText(data: Uint8Array): string {
  try {
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(data);
  } catch {
    throw profileError('profile_encoding_error', 'the profile is not valid UTF-8 text');
  }
}

export interface LayerOptions {
  readonly key?: string;
  readonly maxBytes: number;
}

/** Undoes encryption and compression; returns the plain profile bytes. */
export function unwrapLayers(data: Uint8Array, options: LayerOptions): Uint8Array {
  if (data.length > options.maxBytes) throw profileError('profile_too_large', `the profile is larger than ${options.maxBytes} bytes`);
  let plain: Uint8Array = data;
  if (options.key !== undefined) plain = decryptProfile(plain, options.key);
  else if (isEncrypted(plain)) throw profileError('profile_decrypt_error', 'the profile is encrypted but the rule gives no --key');
  if (isGzip(plain)) plain = gunzipProfile(plain, options.maxBytes);
  return plain;
}

/**
 * The encrypt side of `decryptProfile`, for the configuration report (DOMAIN §1.10): the output
 * of `openssl enc -aes-256-cbc -md sha256 -k phrase` (the OpenSSL >= 1.1.0 default digest),
 * so `openssl enc -d -aes-256-cbc -k phrase` reads it. The salt is random unless given.
 */
export function encryptProfile(plain: Uint8Array, phrase: string, salt: Uint8Array = randomBytes(8)): Buffer {
  const { key, iv } = deriveKeyIv('sha256', Buffer.from(phrase, 'utf8'), salt);
  const cipher = createCipheriv('aes-256-cbc', key, iv);
  return Buffer.concat([SALTED, salt, cipher.update(plain), cipher.final()]);
}
