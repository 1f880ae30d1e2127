/**
 * The AsyncAPI document (issue 17, SPEC §8): it is what the generator makes from the daemon's
 * tables (so the allowlist has one copy), it passes the AsyncAPI parser with no diagnostics,
 * and its schemas accept what the daemon builds and refuse what the allowlist would drop.
 */
import t from 'tap';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { Parser } from '@asyncapi/parser';
import { EVENT_TYPES, type EventType } from '../../daemon/bus/index.js';
import { asyncApiDocument, asyncApiText, eventSchema, writeAsyncApi } from '../../daemon/contract/index.js';
import { buildEvent, EVENT_FIELDS } from '../../daemon/events/index.js';
import { COMMANDS, commandReply } from '../../daemon/mqtt/index.js';
import { Redactor } from '../../daemon/log/index.js';
import { ASYNCAPI_FILE, contractProblems, schemaKeyFor } from '../fixtures/mqtt/contract.js';

const VERSION = (JSON.parse(readFileSync(path.join(import.meta.dirname, '..', '..', 'package.json'), 'utf8')) as { version: string }).version;

t.test('the committed document is the generator output (npm run asyncapi rewrites it)', async (t) => {
  t.equal(readFileSync(ASYNCAPI_FILE, 'utf8'), asyncApiText(VERSION), 'docs/asyncapi.json is up to date: run `npm run asyncapi`');
  const dir = t.testdir();
  await writeAsyncApi(path.join(dir, 'a.json'), VERSION);
  t.equal(readFileSync(path.join(dir, 'a.json'), 'utf8'), asyncApiText(VERSION));
});

t.test('the AsyncAPI parser accepts it with no diagnostics', async (t) => {
  const { document, diagnostics } = await new Parser().parse(readFileSync(ASYNCAPI_FILE, 'utf8'));
  t.same(
    diagnostics.map((d) => `${d.severity} ${d.code} ${d.message} at ${d.path.join('.')}`),
    [],
  );
  t.ok(document, 'parsed');
  t.equal(document!.version(), '3.1.0');
  const addresses = document!.channels().all().map((c) => c.address());
  t.ok(addresses.includes('{prefix}/{device}/status'));
  t.ok(addresses.includes('{prefix}/{device}/state'));
  for (const type of EVENT_TYPES) t.ok(addresses.includes(`{prefix}/{device}/events/${type}`), type);
  for (const name of COMMANDS) {
    t.ok(addresses.includes(`{prefix}/{device}/cmd/${name}`), name);
    t.ok(addresses.includes(`{prefix}/{device}/cmd/${name}/result`), `${name} result`);
  }
  const status = document!.operations().all().find((o) => o.id() === 'sendStatus')!;
  t.same(status.bindings().get('mqtt')?.value(), { qos: 1, retain: true });
  const resync = document!.operations().all().find((o) => o.id() === 'receive.cmd.resync')!;
  t.ok(resync.isReceive());
  t.equal(resync.reply()?.channel()?.address(), '{prefix}/{device}/cmd/resync/result');
});

t.test('one schema per event type, listing exactly the allowlisted fields', async (t) => {
  const doc = asyncApiDocument(VERSION) as { components: { schemas: Record<string, { properties: Record<string, unknown>; additionalProperties: boolean }> } };
  for (const type of EVENT_TYPES) {
    const schema = doc.components.schemas[`event.${type}`]!;
    t.same(Object.keys(schema.properties).sort(), ['v', 'seq', 'ts', 'device', 'type', ...EVENT_FIELDS[type]].sort(), type);
    t.equal(schema.additionalProperties, false);
  }
});

t.test('a field allowlisted without a JSON type stops the build of the document', async (t) => {
  const fields = { ...EVENT_FIELDS, 'events.dropped': ['count', 'lostBytes'] } as Record<EventType, readonly string[]>;
  t.throws(() => eventSchema('events.dropped', fields), { code: 'asyncapi_untyped_field', message: /events\.dropped\.lostBytes/ });
});

t.test('the schemas accept built events and replies, and refuse what the daemon never sends', async (t) => {
  const stamp = { seq: 7, ts: '2026-12-02T04:00:00.000Z', device: '000e08123456' };
  const built = buildEvent({ type: 'auth.failure', operation: 'resync', url: 'https://p.example/x.xml', realm: 'r', scheme: 'Digest', source: 'stored', reason: 'rejected', status: 401 }, stamp, new Redactor());
  t.same(contractProblems('prov/000e08123456/events/auth.failure', JSON.stringify(built)), []);
  t.match(contractProblems('prov/d/events/auth.failure', JSON.stringify({ ...built, reason: 'because' })).join('\n'), /reason/);
  t.match(contractProblems('prov/d/events/auth.failure', JSON.stringify({ ...built, password: 'x' })).join('\n'), /additional/);
  t.match(contractProblems('prov/d/events/resync.started', JSON.stringify(built)).join('\n'), /type/);
  t.match(contractProblems('prov/d/events/no.such', '{}').join('\n'), /no schema event\.no\.such/);
  t.match(contractProblems('prov/d/events/daemon.started', 'not json').join('\n'), /not JSON/);
  t.same(contractProblems('prov/d/cmd/resync/result', commandReply('t1', { ok: true }, (s) => s)), []);
  t.same(contractProblems('prov/d/cmd/backup/result', commandReply(3, { ok: false, error: new Error('x') }, (s) => s)), []);
  t.match(contractProblems('prov/d/cmd/backup/result', '{"status":"maybe"}').join('\n'), /status/);
  t.same(contractProblems('prov/d/status', 'online'), []);
  t.match(contractProblems('prov/d/status', 'asleep').join('\n'), /allowed values/);
  t.same(contractProblems('prov/d/state', '{"starting":true}'), []);
  t.same(contractProblems('prov/d/state', JSON.stringify({ resync: { running: false, last: { at: stamp.ts, outcome: 'failed', trigger: 'boot', error: 'auth_rejected' }, next: null }, em: { state: 'host' }, trust: {} })), []);
  t.match(contractProblems('prov/d/state', JSON.stringify({ resync: { last: { at: stamp.ts } } })).join('\n'), /required/);
  t.same(contractProblems('prov/d/cmd/resync', 'anything'), [], 'requests are what dashboards send; not checked here');
  t.equal(schemaKeyFor('status'), undefined, 'a bare word is no device topic');
});
