import t from 'tap';
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { decodeText, decryptProfile, gunzipProfile, isEncrypted, unwrapLayers } from '../../daemon/profiles/index.js';
import { requireProgram } from '../fixtures/peers.js';
import { thrown } from '../fixtures/rules/context.js';

const openssl = requireProgram('openssl', 'openssl');
const profile = Buffer.from('<flat-profile><Station_Name>lobby</Station_Name></flat-profile>');

/** Encrypts with the real openssl CLI, the way an administrator would (DOMAIN.md §1.11). */
function opensslEncrypt(dir: string, plain: Buffer, phrase: string, md: 'sha256' | 'md5'): Buffer {
  const input = join(dir, `in-${md}`);
  const pass = join(dir, 'pass');
  writeFileSync(input, plain);
  // The phrase goes through a file, never the command line.
  writeFileSync(pass, phrase);
  return execFileSync(openssl, ['enc', '-aes-256-cbc', '-md', md, '-salt', '-pass', `file:${pass}`, '-in', input], { stdio: ['ignore', 'pipe', 'ignore'] });
}

t.test('openssl enc -aes-256-cbc -k files decrypt with SHA-256 or MD5 key derivation', async (t) => {
  const dir = t.testdir();
  for (const md of ['sha256', 'md5'] as const) {
    const encrypted = opensslEncrypt(dir, profile, 'my secret phrase', md);
    t.ok(isEncrypted(encrypted), `${md}: starts with Salted__`);
    t.same(decryptProfile(encrypted, 'my secret phrase'), profile, `${md} derivation`);
  }
});

t.test('gzip is undone after decryption, recognised by content', async (t) => {
  // DOMAIN.md §1.11 [CISCO-7832-PF]: compression is applied before encryption.
  const dir = t.testdir();
  const encrypted = opensslEncrypt(dir, gzipSync(profile), 'k', 'sha256');
  t.same(Buffer.from(unwrapLayers(encrypted, { key: 'k', maxBytes: 4096 })), profile);
  t.same(Buffer.from(unwrapLayers(gzipSync(profile), { maxBytes: 4096 })), profile);
  t.same(Buffer.from(unwrapLayers(profile, { maxBytes: 4096 })), profile, 'a plain profile passes through');
});

t.test('a wrong key, a missing key and a plain profile with a key are refused', async (t) => {
  const dir = t.testdir();
  const encrypted = opensslEncrypt(dir, profile, 'right', 'sha256');
  t.match(thrown(() => decryptProfile(encrypted, 'wrong')), { code: 'profile_decrypt_error', message: /tried SHA-256 and MD5/ });
  t.match(thrown(() => unwrapLayers(encrypted, { maxBytes: 4096 })), { code: 'profile_decrypt_error', message: /no --key/ });
  t.match(thrown(() => unwrapLayers(profile, { key: 'k', maxBytes: 4096 })), { code: 'profile_decrypt_error', message: /not an openssl "Salted__" file/ });
  t.notMatch(thrown(() => decryptProfile(encrypted, 'wrong')).message, /wrong/, 'the key never appears in the message');
});

t.test('a decryption that yields binary garbage is not accepted', async (t) => {
  // 0xff bytes are never UTF-8: encrypt them and the plausibility check must reject both digests.
  const dir = t.testdir();
  const encrypted = opensslEncrypt(dir, Buffer.alloc(32, 0xff), 'k', 'md5');
  t.match(thrown(() => decryptProfile(encrypted, 'k')), { code: 'profile_decrypt_error' });
});

t.test('size caps hold before and after decompression', async (t) => {
  t.match(thrown(() => unwrapLayers(Buffer.alloc(5000), { maxBytes: 4096 })), { code: 'profile_too_large', message: /larger than 4096 bytes/ });
  const bomb = gzipSync(Buffer.alloc(10 * 1024 * 1024, 0x20));
  t.ok(bomb.length < 20_000, 'a small gzip bomb');
  t.match(thrown(() => gunzipProfile(bomb, 4096)), { code: 'profile_too_large', message: /once decompressed/ });
  t.match(thrown(() => gunzipProfile(Buffer.from([0x1f, 0x8b, 1, 2, 3]), 4096)), { code: 'profile_gzip_error' });
});

t.test('text must be UTF-8; a BOM is dropped', async (t) => {
  t.equal(decodeText(Buffer.from('\uFEFFSET A 1')), 'SET A 1');
  t.match(thrown(() => decodeText(Buffer.from([0x3c, 0xff, 0x3e]))), { code: 'profile_encoding_error' });
});
