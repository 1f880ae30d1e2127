/**
 * The fleet view's model (issue 17): what it takes from status, state and events, what it
 * ignores (oversized, malformed, mismatched, duplicate), and the last-hour counts.
 */
import t from 'tap';
import { Fleet, MAX_PAYLOAD_BYTES, RECENT_EVENTS, WINDOW_MS } from '../../daemon/dashboard/index.js';

const NOW = Date.parse('2026-12-02T05:00:00.000Z');
const bytes = (text: string): Buffer => Buffer.from(text);
const iso = (ms: number): string => new Date(ms).toISOString();
let seq = 0;
const event = (device: string, type: string, fields: Record<string, unknown> = {}, at = NOW): Buffer =>
  bytes(JSON.stringify({ v: 1, seq: ++seq, ts: iso(at), device, type, ...fields }));

t.test('status and state make a row; the state document is read by named fields', async (t) => {
  const fleet = new Fleet('prov/');
  t.same(fleet.views(NOW), []);
  t.match(fleet.apply('prov/a/status', bytes('online'), NOW), { kind: 'device', view: { device: 'a', online: true, lastResync: null, nextResync: null, em: null, resyncRunning: false } });
  t.match(fleet.apply('prov/a/status', bytes('offline'), NOW), { view: { online: false } });
  t.equal(fleet.apply('prov/a/status', bytes('asleep'), NOW), undefined);
  const state = { resync: { running: true, last: { at: iso(NOW), outcome: 'failed', trigger: 'boot', error: 'auth_rejected' }, next: iso(NOW + 1000) }, em: { state: 'host' }, trust: { secret: 'never copied' } };
  const change = fleet.apply('prov/b/state', bytes(JSON.stringify(state)), NOW);
  t.same(change?.view, {
    device: 'b',
    online: null,
    lastResync: { at: iso(NOW), outcome: 'failed', error: 'auth_rejected' },
    nextResync: iso(NOW + 1000),
    resyncRunning: true,
    em: 'host',
    prompts: [],
    tlsRejections: 0,
    authFailures: 0,
    lastSeq: null,
  });
  t.match(fleet.apply('prov/b/state', bytes(JSON.stringify({ resync: { last: { at: 5 } } })), NOW), { view: { lastResync: { at: null, outcome: 'unknown', error: null }, em: null } });
  t.match(fleet.apply('prov/b/state', bytes('{"starting":true}'), NOW), { view: { lastResync: null, nextResync: null } });
  t.equal(fleet.apply('prov/b/state', bytes('[1]'), NOW), undefined, 'not an object');
  t.equal(fleet.apply('prov/b/state', bytes('{'), NOW), undefined, 'not JSON');
  t.same(fleet.views(NOW).map((v) => v.device), ['a', 'b'], 'sorted by device');
});

t.test('what is not a phone topic, or too large, is ignored', async (t) => {
  const fleet = new Fleet('prov');
  t.equal(fleet.apply('other/a/status', bytes('online'), NOW), undefined);
  t.equal(fleet.apply('prov//status', bytes('online'), NOW), undefined);
  t.equal(fleet.apply('prov/a/status/x', bytes('online'), NOW), undefined);
  t.equal(fleet.apply('prov/a/status/x/y', bytes('online'), NOW), undefined);
  t.equal(fleet.apply('prov/a/state/x', bytes('{}'), NOW), undefined);
  t.equal(fleet.apply('prov/a/events', bytes('{}'), NOW), undefined);
  t.equal(fleet.apply('prov/a/cmd/resync', bytes('{}'), NOW), undefined);
  t.equal(fleet.apply('prov/a/state', Buffer.alloc(MAX_PAYLOAD_BYTES + 1, 32), NOW), undefined);
  t.same(fleet.views(NOW), []);
});

t.test('events: checked against their topic, deduplicated by seq, kept in a bounded list', async (t) => {
  const fleet = new Fleet('prov');
  const ok = event('a', 'resync.started', { trigger: 'boot' });
  t.match(fleet.apply('prov/a/events/resync.started', ok, NOW), { kind: 'event', event: { type: 'resync.started', trigger: 'boot' }, view: { lastSeq: seq } });
  t.equal(fleet.apply('prov/a/events/resync.started', ok, NOW), undefined, 'a re-sent event (same seq) is dropped');
  t.equal(fleet.apply('prov/a/events/resync.failed', ok, NOW), undefined, 'type differs from the topic');
  t.equal(fleet.apply('prov/b/events/resync.started', ok, NOW), undefined, 'device differs from the topic');
  t.equal(fleet.apply('prov/a/events/x', bytes(JSON.stringify({ seq: 99, device: 'a', type: 'x' })), NOW), undefined, 'no ts');
  for (const bad of ['1', 0, 1.5, -2]) t.equal(fleet.apply('prov/a/events/x', bytes(JSON.stringify({ seq: bad, ts: iso(NOW), device: 'a', type: 'x' })), NOW), undefined, `seq ${JSON.stringify(bad)}`);
  t.equal(fleet.apply('prov/a/events/x', bytes('nope'), NOW), undefined);
  for (let i = 0; i < RECENT_EVENTS + 10; i++) fleet.apply('prov/c/events/resync.started', event('c', 'resync.started'), NOW);
  t.equal(fleet.events().length, RECENT_EVENTS);
  t.equal(fleet.events().at(-1)!.seq, seq);
  // Beyond the remembered seqs the oldest is forgotten (a bounded set per device).
  const first = seq - RECENT_EVENTS - 9;
  for (let i = 0; i < 2100; i++) fleet.apply('prov/d/events/resync.started', event('d', 'resync.started'), NOW);
  t.ok(first > 0);
});

t.test('TLS rejections and auth failures are counted over the last hour', async (t) => {
  const fleet = new Fleet('prov');
  fleet.apply('prov/a/events/tls.rejected', event('a', 'tls.rejected', { reason: 'untrusted' }, NOW - 10), NOW);
  fleet.apply('prov/a/events/auth.failure', event('a', 'auth.failure', { reason: 'rejected' }, NOW - WINDOW_MS + 1000), NOW);
  fleet.apply('prov/a/events/auth.failure', event('a', 'auth.failure', { reason: 'rejected' }, NOW - 2 * WINDOW_MS), NOW);
  const broken = JSON.parse(event('a', 'auth.failure').toString()) as Record<string, unknown>;
  fleet.apply('prov/a/events/auth.failure', bytes(JSON.stringify({ ...broken, ts: 'yesterday' })), NOW);
  t.match(fleet.views(NOW)[0], { tlsRejections: 1, authFailures: 2 }, 'an unreadable ts counts as now; older than an hour does not count');
  t.match(fleet.views(NOW + 100)[0], { tlsRejections: 1, authFailures: 2 });
  t.match(fleet.views(NOW + 2000)[0], { tlsRejections: 1, authFailures: 1 });
  t.match(fleet.views(NOW + 2 * WINDOW_MS)[0], { tlsRejections: 0, authFailures: 0 });
});

t.test('open prompts: opened by auth.prompt, closed by auth.prompt.closed and by a restart', async (t) => {
  const fleet = new Fleet('prov');
  fleet.apply('prov/a/events/auth.prompt', event('a', 'auth.prompt', { id: 'p1', kind: 'profile-account', operation: 'resync', realm: 'r' }), NOW);
  fleet.apply('prov/a/events/auth.prompt', event('a', 'auth.prompt', { id: 'p2' }), NOW);
  fleet.apply('prov/a/events/auth.prompt', event('a', 'auth.prompt', { kind: 'http-auth' }), NOW);
  t.same(fleet.views(NOW)[0]!.prompts, [
    { id: 'p1', kind: 'profile-account', operation: 'resync', realm: 'r' },
    { id: 'p2', kind: 'prompt', operation: null, realm: null },
  ]);
  fleet.apply('prov/a/events/auth.prompt.closed', event('a', 'auth.prompt.closed', { id: 'p1', outcome: 'answered' }), NOW);
  fleet.apply('prov/a/events/auth.prompt.closed', event('a', 'auth.prompt.closed', { outcome: 'answered' }), NOW);
  t.same(fleet.views(NOW)[0]!.prompts.map((p) => p.id), ['p2']);
  fleet.apply('prov/a/events/daemon.started', event('a', 'daemon.started'), NOW);
  t.same(fleet.views(NOW)[0]!.prompts, []);
});

t.test('at most 10,000 phones are tracked', async (t) => {
  const fleet = new Fleet('prov');
  for (let i = 0; i < 10_000; i++) fleet.apply(`prov/p${i}/status`, bytes('online'), NOW);
  t.equal(fleet.apply('prov/extra/status', bytes('online'), NOW), undefined);
  t.equal(fleet.apply('prov/extra/state', bytes('{}'), NOW), undefined);
  t.equal(fleet.apply('prov/extra/events/daemon.started', event('extra', 'daemon.started'), NOW), undefined);
  t.equal(fleet.views(NOW).length, 10_000);
});
