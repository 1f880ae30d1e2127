import t from 'tap';
import { randomBytes } from 'node:crypto';
import { decodeVault, deriveKeys, encodeVault, openBody, sealBody } from '../../daemon/vault/codec.js';
import type { VaultRecord } from '../../daemon/vault/index.js';
import { Origin } from '../../daemon/origin/index.js';

const keys = deriveKeys(Buffer.alloc(32, 7));
const at = '2026-11-22T08:00:00.000Z';
const records: VaultRecord[] = [
  { purpose: 'backup-restore', origin: Origin.from({ scheme: 'https', host: 'br.example.com', port: 443 }), realm: 'BR realm', username: 'alice', secret: 'hunter2-br', createdAt: at, updatedAt: at },
  { purpose: 'backup-restore', origin: Origin.from({ scheme: 'https', host: 'br.example.com', port: 443 }), realm: 'Other realm', username: 'carol', secret: 'hunter2-other', createdAt: at, updatedAt: at },
  { purpose: 'gpp-secret', name: 'GPP_SA', secret: 'gpp-sa-value', createdAt: at, updatedAt: at },
];

function body(bytes: Buffer): { records: Record<string, unknown>[] } {
  const opened = openBody(bytes, keys);
  if (!opened.ok) throw new Error(opened.reason);
  return JSON.parse(opened.plain.toString('utf8'));
}

const reseal = (value: unknown) => sealBody(Buffer.from(JSON.stringify(value)), keys);

t.test('records survive a round trip exactly', async (t) => {
  t.same(decodeVault(encodeVault(records, keys), keys), { ok: true, records });
  t.same(decodeVault(encodeVault([], keys), keys), { ok: true, records: [] });
});

t.test('an origin is written as it always was: scheme, host without IPv6 brackets, port', async (t) => {
  const ipv6: VaultRecord = { purpose: 'backup-restore', origin: Origin.of('https://[2001:db8::1]:8443/br/'), realm: 'BR', username: 'u', secret: 's', createdAt: at, updatedAt: at };
  const bytes = encodeVault([ipv6, records[2]!], keys);
  t.same(body(bytes).records.map((r) => r.origin), [{ scheme: 'https', host: '2001:db8::1', port: 8443 }, undefined]);
  const decoded = decodeVault(bytes, keys);
  t.ok(decoded.ok && decoded.records[0]!.origin!.equals(ipv6.origin), 'read back as the same Origin');
});

t.test('every write uses a fresh nonce, and nothing stored is readable in the file', async (t) => {
  const a = encodeVault(records, keys);
  const b = encodeVault(records, keys);
  t.not(a.toString('hex'), b.toString('hex'));
  for (const clear of ['hunter2', 'alice', 'carol', 'br.example.com', 'BR realm', 'GPP_SA', 'gpp-sa-value']) {
    t.equal(a.indexOf(clear), -1, `${clear} is not in the file`);
  }
});

t.test('an empty or header-truncated file is reported as truncated', async (t) => {
  const good = encodeVault(records, keys);
  t.match(decodeVault(Buffer.alloc(0), keys), { ok: false, reason: 'truncated' });
  t.match(decodeVault(good.subarray(0, 5), keys), { ok: false, reason: 'truncated' });
  t.match(decodeVault(good.subarray(0, 20), keys), { ok: false, reason: 'truncated', detail: 'the file ends inside the header (20 bytes)' });
  t.match(decodeVault(good.subarray(0, good.length - 1), keys), { ok: false, reason: 'truncated', detail: `the file holds ${good.length - 1} of ${good.length} bytes` });
});

t.test('bytes appended after the end are reported as tampering', async (t) => {
  t.match(decodeVault(Buffer.concat([encodeVault(records, keys), Buffer.from('x')]), keys), { ok: false, reason: 'tampered' });
});

t.test('a file that is not a vault, or of an unknown version, says so', async (t) => {
  const good = encodeVault(records, keys);
  t.match(decodeVault(Buffer.from('{"records":[]}'), keys), { ok: false, reason: 'not_a_vault' });
  const future = Buffer.from(good);
  future[8] = 2;
  t.match(decodeVault(future, keys), { ok: false, reason: 'future_version', detail: 'format version 2 is newer than this daemon understands (1)' });
  const zero = Buffer.from(good);
  zero[8] = 0;
  t.match(decodeVault(zero, keys), { ok: false, reason: 'not_a_vault', detail: 'unknown format version 0' });
});

t.test('another key is told apart from altered bytes', async (t) => {
  t.match(decodeVault(encodeVault(records, keys), deriveKeys(randomBytes(32))), { ok: false, reason: 'wrong_key' });
});

t.test('flipping any single bit of the file is detected', async (t) => {
  const good = encodeVault(records.slice(2), keys);
  const seen = new Set<string>();
  for (let bit = 0; bit < good.length * 8; bit++) {
    const bad = Buffer.from(good);
    bad[bit >> 3]! ^= 1 << (bit & 7);
    const result = decodeVault(bad, keys);
    if (result.ok) t.fail(`bit ${bit} flipped undetected`);
    else seen.add(result.reason);
  }
  t.same([...seen].sort(), ['future_version', 'not_a_vault', 'tampered', 'truncated', 'wrong_key']);
});

t.test('records swapped between slots fail even under a valid outer tag', async (t) => {
  const parsed = body(encodeVault(records, keys));
  const [first, second] = parsed.records;
  [first!.sealed, second!.sealed] = [second!.sealed, first!.sealed];
  t.match(decodeVault(reseal(parsed), keys), { ok: false, reason: 'record_mismatch', detail: 'record 0 does not belong to its slot (moved or swapped)' });
});

t.test('a record moved to another realm or origin fails', async (t) => {
  const parsed = body(encodeVault(records, keys));
  parsed.records[0]!.realm = 'Evil realm';
  t.match(decodeVault(reseal(parsed), keys), { ok: false, reason: 'record_mismatch' });
  const again = body(encodeVault(records, keys));
  again.records[2]!.sealed = '';
  t.match(decodeVault(reseal(again), keys), { ok: false, reason: 'record_mismatch', detail: /record 2/ });
});

t.test('a body that authenticates but is not a vault body is malformed', async (t) => {
  t.match(decodeVault(sealBody(Buffer.from('not json'), keys), keys), { ok: false, reason: 'malformed', detail: 'the decrypted body is not JSON' });
  t.match(decodeVault(reseal(null), keys), { ok: false, reason: 'malformed', detail: 'the decrypted body has no record list' });
  t.match(decodeVault(reseal({ records: {} }), keys), { ok: false, reason: 'malformed' });
  t.match(decodeVault(reseal({ records: [null] }), keys), { ok: false, reason: 'malformed', detail: 'record 0 is not a valid vault record' });
  t.match(decodeVault(reseal({ records: [{ purpose: 'nope', sealed: '' }] }), keys), { ok: false, reason: 'malformed' });
  const noTimes = { purpose: 'gpp-secret', name: 'GPP_SA', secret: 's' } as VaultRecord;
  t.match(decodeVault(encodeVault([noTimes], keys), keys), { ok: false, reason: 'malformed' });
  t.match(decodeVault(encodeVault([{ ...noTimes, createdAt: at }], keys), keys), { ok: false, reason: 'malformed' });
  t.match(decodeVault(encodeVault([{ ...records[2]!, secret: 5 } as unknown as VaultRecord], keys), keys), { ok: false, reason: 'malformed' });
});
