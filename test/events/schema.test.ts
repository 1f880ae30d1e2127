import t from 'tap';
import { EVENT_TYPES, type EventInput } from '../../daemon/bus/index.js';
import { buildEvent, EVENT_FIELDS, MAX_STRING } from '../../daemon/events/index.js';
import { Redactor } from '../../daemon/log/index.js';

const stamp = { seq: 7, ts: '2026-01-02T03:04:05.000Z', device: '0011aabbccdd' };

t.test('every SPEC §8 event type has an allowlist', async (t) => {
  for (const type of EVENT_TYPES) t.ok(Array.isArray(EVENT_FIELDS[type]), type);
});

t.test('an auth failure keeps its allowlisted fields and drops everything else', async (t) => {
  const redactor = new Redactor();
  const event = buildEvent(
    {
      type: 'auth.failure',
      operation: 'resync',
      url: 'https://joe:pw@prov.example.com/spa.cfg?pwd=pw',
      realm: 'provisioning',
      scheme: 'Digest',
      algorithm: 'MD5',
      source: 'rule',
      reason: 'rejected',
      password: 'pw',
      nonce: 'abc',
      extra: undefined,
    },
    stamp,
    redactor,
  );
  t.same(event, {
    v: 1,
    seq: 7,
    ts: stamp.ts,
    device: stamp.device,
    type: 'auth.failure',
    operation: 'resync',
    url: 'https://prov.example.com/spa.cfg?pwd=***',
    realm: 'provisioning',
    scheme: 'Digest',
    algorithm: 'MD5',
    source: 'rule',
    reason: 'rejected',
  });
  t.notOk('password' in event);
});

t.test('the fields the resync engine and the HTTP fetcher emit all pass the allowlist', async (t) => {
  const redactor = new Redactor();
  const succeeded: EventInput = { type: 'resync.succeeded', url: 'https://h/p', status: 200, message: 'ok', durationMs: 12, changed: ['GPP_A'] };
  t.same(buildEvent(succeeded, stamp, redactor), { v: 1, ...stamp, ...succeeded });
  const rejected: EventInput = { type: 'tls.rejected', operation: 'resync', url: 'https://h/p', reason: 'untrusted-root', subject: 'CN=h', issuer: 'CN=ca' };
  t.same(buildEvent(rejected, stamp, redactor), { v: 1, ...stamp, ...rejected });
});

t.test('registered secrets are redacted wherever they appear, keys included', async (t) => {
  const redactor = new Redactor();
  redactor.add('Sup3rS3cret');
  const event = buildEvent(
    { type: 'resync.failed', message: 'server said Sup3rS3cret', code: 'http_error', url: 'https://h/x', reason: { Sup3rS3cret: ['a', 'Sup3rS3cret'] } },
    stamp,
    redactor,
  );
  t.equal(event.message, 'server said ***');
  t.same(event.reason, { '***': ['a', '***'] });
  t.notMatch(JSON.stringify(event), /Sup3rS3cret/);
});

t.test('values are bounded: long strings cut, deep nesting and non-finite numbers neutralised', async (t) => {
  const redactor = new Redactor();
  const event = buildEvent(
    { type: 'config.applied', changed: ['A'.repeat(MAX_STRING + 10), [[[['deep']]]], true, null], source: 'x' },
    stamp,
    redactor,
  );
  const changed = event.changed as unknown[];
  t.equal((changed[0] as string).length, MAX_STRING);
  t.same(changed[1], [[[]]]);
  t.same(changed.slice(2), [true, null]);
  t.equal(buildEvent({ type: 'backup.succeeded', bytes: Number.POSITIVE_INFINITY }, stamp, redactor).bytes, null);
  t.equal(buildEvent({ type: 'events.dropped', count: 3 }, stamp, redactor).count, 3);
});
