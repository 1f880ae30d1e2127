import t from 'tap';
import { commandReply, COMMANDS, isPublishableTopic, responseTopicAllowed, MAX_COMMAND_BYTES, parseCommand, reconnectDelay, tableHandler, topicsFor } from '../../daemon/mqtt/index.js';
import type { CommandRunner } from '../../daemon/commands/index.js';
import { ProvisiondError } from '../../daemon/errors/index.js';

const json = (value: unknown) => Buffer.from(JSON.stringify(value));
const keep = (text: string) => text;

t.test('topics live under <prefix>/<device>/ as SPEC §8 lays them out', async (t) => {
  const topics = topicsFor('acme/phones/', '0011aabbccdd');
  t.same(
    [topics.status, topics.state, topics.commands, topics.event('auth.failure'), topics.command('resync'), topics.result('resync')],
    [
      'acme/phones/0011aabbccdd/status',
      'acme/phones/0011aabbccdd/state',
      'acme/phones/0011aabbccdd/cmd/+',
      'acme/phones/0011aabbccdd/events/auth.failure',
      'acme/phones/0011aabbccdd/cmd/resync',
      'acme/phones/0011aabbccdd/cmd/resync/result',
    ],
  );
});

t.test('a prefix or device id that would break topic filters is refused', async (t) => {
  for (const prefix of ['', '/', 'a/+', 'a#', '$SYS']) t.throws(() => topicsFor(prefix, 'd'), { code: 'mqtt_bad_topic' }, prefix);
  for (const device of ['', 'a/b', 'a+', '#']) t.throws(() => topicsFor('p', device), { code: 'mqtt_bad_topic' }, device);
});

t.test('a response topic is used only when it can be published to', async (t) => {
  t.ok(isPublishableTopic('dash/replies/1'));
  for (const topic of ['', 'a/+', 'a/#', 7, undefined]) t.notOk(isPublishableTopic(topic));
});

t.test('a response topic never lies in a device\'s cmd/ tree under our prefix (SPEC §8)', async (t) => {
  const topics = topicsFor('site/prov', 'phone1');
  for (const topic of ['dash/replies', 'site/prov/dashboard/replies', 'site/prov/phone2/events/x', 'site/provx/phone2/cmd/restore', 'other/phone2/cmd/restore']) t.ok(responseTopicAllowed(topic, topics), topic);
  for (const topic of [undefined, 'site/prov/phone2/cmd/restore', 'site/prov/phone1/cmd/resync', 'site/prov/x/cmd/', 'site/prov/+/r']) t.notOk(responseTopicAllowed(topic, topics), String(topic));
});

t.test('reconnect delays grow, stay under the cap, and are jittered into the upper half', async (t) => {
  const settings = { initialMs: 1000, maxMs: 60_000 };
  t.same([0, 1, 2, 3].map((attempt) => reconnectDelay(attempt, false, settings, () => 0)), [500, 1000, 2000, 4000]);
  t.equal(reconnectDelay(3, false, settings, () => 0.999999), 8000);
  t.equal(reconnectDelay(100, false, settings, () => 0.5), 45_000);
  t.equal(reconnectDelay(0, true, settings, () => 0), 30_000, 'a refused login goes straight to the cap');
});

t.test('a well-formed command is parsed with its transaction and arguments', async (t) => {
  t.same(parseCommand('resync', json({ transaction: 'abc', force: true })), { ok: true, name: 'resync', transaction: 'abc', args: { force: true } });
  t.same(parseCommand('backup', json({ transaction: 7 })), { ok: true, name: 'backup', transaction: 7, args: {} });
  t.same(parseCommand('restore', Buffer.alloc(0)), { ok: true, name: 'restore', transaction: undefined, args: {} });
  t.same([...COMMANDS], ['resync', 'backup', 'restore', 'report']);
});

t.test('malformed commands get stable error codes', async (t) => {
  const code = (name: string, payload: Uint8Array) => {
    const parsed = parseCommand(name, payload);
    return parsed.ok ? 'ok' : parsed.error.code;
  };
  t.equal(code('resync', Buffer.from('{nope')), 'command_bad_json');
  t.equal(code('resync', json([1])), 'command_bad_request');
  t.equal(code('resync', json(null)), 'command_bad_request');
  t.equal(code('resync', json('x')), 'command_bad_request');
  t.equal(code('resync', json({ transaction: { a: 1 } })), 'command_bad_request');
  t.equal(code('resync', json({ transaction: 'x'.repeat(129) })), 'command_bad_request');
  t.equal(code('reboot', json({ transaction: 1 })), 'command_unknown');
  t.equal(code('resync', Buffer.alloc(MAX_COMMAND_BYTES + 1, 32)), 'command_too_large');
  const unknown = parseCommand('reboot', json({ transaction: 'T1' }));
  t.equal(unknown.transaction, 'T1', 'the transaction is echoed when it could be read');
});

t.test('replies carry the transaction, the status and a redacted error', async (t) => {
  t.same(JSON.parse(commandReply('T', { ok: true }, keep)), { transaction: 'T', status: 'ok' });
  t.same(JSON.parse(commandReply(undefined, { ok: false, error: { code: 'command_bad_json', message: 'm' } }, keep)), {
    status: 'error',
    error: { code: 'command_bad_json', message: 'm' },
  });
  const redact = (text: string) => text.replace('hunter2', '***');
  t.same(JSON.parse(commandReply(3, { ok: false, error: new ProvisiondError('auth_rejected', 'bad hunter2') }, redact)).error, { code: 'auth_rejected', message: 'bad ***' });
  t.same(JSON.parse(commandReply(3, { ok: false, error: new Error('boom') }, keep)).error, { code: 'command_failed', message: 'boom' });
  t.same(JSON.parse(commandReply(3, { ok: false, error: undefined }, keep)).error, { code: 'command_failed', message: 'undefined' });
});

t.test('over the command table, MQTT reads only wait: true and throws a failed outcome as its error', async (t) => {
  const calls: [string, unknown, string][] = [];
  const runner: CommandRunner = {
    run: async (name, args, via) => {
      calls.push([name, args, via]);
      return name === 'backup' ? { ok: false, error: { code: 'http_status', message: 'answered 500' } } : { ok: true, data: { started: true } as never };
    },
  };
  const handler = tableHandler(runner);
  await handler('resync', { wait: true, force: 'yes', nested: { a: 1 } });
  await handler('restore', { wait: 'true' });
  await t.rejects(handler('backup', {}), { code: 'http_status', message: 'answered 500' });
  t.same(calls, [
    ['resync', { wait: true }, 'mqtt'],
    ['restore', { wait: false }, 'mqtt'],
    ['backup', { wait: false }, 'mqtt'],
  ]);
  t.same([...COMMANDS], ['resync', 'backup', 'restore', 'report'], 'the commands the table exposes over MQTT');
});
