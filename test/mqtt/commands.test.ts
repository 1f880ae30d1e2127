import t from 'tap';
import { connect, type IClientOptions, type MqttClient } from 'mqtt';
import { startMosquitto } from '../fixtures/mqtt/mosquitto.js';
import { subscribe, until, type Subscriber } from '../fixtures/mqtt/subscriber.js';
import { DASH_PASSWORD, DASH_USER, PHONE_PASSWORD, PHONE_USER, startHarness, TEST_ACL } from '../fixtures/mqtt/harness.js';
import { ProvisiondError } from '../../daemon/errors/index.js';
import { parseSettings } from '../../daemon/settings/index.js';
import type { JsonValue } from '../../daemon/bus/index.js';

const users = { [PHONE_USER]: PHONE_PASSWORD, [DASH_USER]: DASH_PASSWORD, limited: 'limited-pass' };

/** The phone says `online` after subscribing to its commands; then requests reach it. */
async function online(dashboard: Subscriber): Promise<void> {
  await dashboard.waitFor((messages) => messages.some((m) => m.topic === 'prov/phone1/status' && m.text === 'online'));
  dashboard.messages.length = 0;
}

async function dashboardClient(url: string, options: IClientOptions = {}): Promise<MqttClient> {
  const client = connect(url, { username: DASH_USER, password: DASH_PASSWORD, reconnectPeriod: 0, ...options });
  await new Promise((resolve) => client.once('connect', resolve));
  return client;
}

t.test('MQTT 3.1.1 commands run the handler and get results with their transaction', async (t) => {
  const broker = await startMosquitto({ users, acl: TEST_ACL });
  t.teardown(() => broker.close());
  const calls: [string, Record<string, JsonValue>][] = [];
  const phone = await startHarness({
    stateDir: t.testdir(),
    url: broker.url,
    settings: { commands: true, protocolVersion: 4 },
    handleCommand: async (name, args) => {
      calls.push([name, args]);
      if (name === 'backup') throw new ProvisiondError('backup_failed', `server refused ${PHONE_PASSWORD}`);
      return { ignored: 'handler data is not published' };
    },
  });
  t.teardown(() => phone.stop());
  const results = await subscribe(broker.url, ['prov/phone1/cmd/+/result', 'prov/phone1/status'], { username: DASH_USER, password: DASH_PASSWORD });
  t.teardown(() => results.close());
  // A command sent before the phone subscribed would be lost; its `online` follows its SUBSCRIBE.
  await online(results);
  const send = (name: string, payload: string) => results.client.publishAsync(`prov/phone1/cmd/${name}`, payload, { qos: 1 });
  await send('resync', JSON.stringify({ transaction: 'tx-1', force: true }));
  await send('backup', JSON.stringify({ transaction: 2 }));
  await send('restore', '{oops');
  await send('reboot', JSON.stringify({ transaction: 'tx-4' }));
  await results.waitFor((messages) => messages.length === 4);
  const byTopic = Object.fromEntries(results.messages.map((m) => [m.topic.split('/')[3], JSON.parse(m.text)]));
  t.same(byTopic.resync, { transaction: 'tx-1', status: 'ok' });
  t.same(byTopic.backup, { transaction: 2, status: 'error', error: { code: 'backup_failed', message: 'server refused ***' } });
  t.same(byTopic.restore, { status: 'error', error: { code: 'command_bad_json', message: 'command payload is not JSON' } });
  t.same(byTopic.reboot, { transaction: 'tx-4', status: 'error', error: { code: 'command_unknown', message: 'unknown command; expected one of resync, backup, restore, report' } });
  t.same(calls, [
    ['resync', { force: true }],
    ['backup', {}],
  ]);
  t.ok(phone.reporter.connected, 'malformed commands do not hurt the connection');
});

t.test('with default settings, MQTT 5 commands are answered on the response topic with the correlation data', async (t) => {
  const broker = await startMosquitto({ users, acl: TEST_ACL });
  t.teardown(() => broker.close());
  // The settings file names only the broker: the shipped defaults decide the protocol.
  const { mqtt } = parseSettings({ stateDir: t.testdir(), mqtt: { url: broker.url, topicPrefix: 'prov', commands: true } });
  t.equal(mqtt.protocolVersion, 5, 'MQTT 5 is the default');
  const { protocolVersion, commands } = mqtt;
  const phone = await startHarness({
    stateDir: t.testdir(),
    url: broker.url,
    settings: { commands, protocolVersion },
    handleCommand: async () => undefined,
  });
  t.teardown(() => phone.stop());
  const replies = await subscribe(broker.url, ['prov/dashboard/replies', 'prov/phone1/cmd/+/result', 'prov/phone1/status'], { username: DASH_USER, password: DASH_PASSWORD, protocolVersion: 5 });
  t.teardown(() => replies.close());
  await online(replies);
  await replies.client.publishAsync('prov/phone1/cmd/resync', JSON.stringify({ transaction: 'v5' }), {
    qos: 1,
    properties: { responseTopic: 'prov/dashboard/replies', correlationData: Buffer.from('corr-1') },
  });
  await replies.client.publishAsync('prov/phone1/cmd/backup', JSON.stringify({ transaction: 'v5b' }), { qos: 1 });
  await replies.waitFor((messages) => messages.length === 2);
  const direct = replies.messages.find((m) => m.topic === 'prov/dashboard/replies');
  t.same(JSON.parse(direct?.text ?? '{}'), { transaction: 'v5', status: 'ok' });
  t.equal(String(direct?.packet.properties?.correlationData), 'corr-1');
  t.same(JSON.parse(replies.messages.find((m) => m.topic === 'prov/phone1/cmd/backup/result')?.text ?? '{}'), { transaction: 'v5b', status: 'ok' });
});

t.test('without a command handler every command is answered command_unavailable', async (t) => {
  const broker = await startMosquitto({ users, acl: TEST_ACL });
  t.teardown(() => broker.close());
  const phone = await startHarness({ stateDir: t.testdir(), url: broker.url, settings: { commands: true } });
  t.teardown(() => phone.stop());
  const results = await subscribe(broker.url, ['prov/phone1/cmd/+/result', 'prov/phone1/status'], { username: DASH_USER, password: DASH_PASSWORD });
  t.teardown(() => results.close());
  await online(results);
  await results.client.publishAsync('prov/phone1/cmd/resync', '', { qos: 1 });
  await results.waitFor((messages) => messages.length === 1);
  t.match(JSON.parse(results.messages[0]?.text ?? '{}'), { status: 'error', error: { code: 'command_unavailable' } });
});

t.test('an event the broker refuses (MQTT 5 PUBACK 0x87) is dropped with a warning and later ones still flow', async (t) => {
  const broker = await startMosquitto({ users, acl: TEST_ACL });
  t.teardown(() => broker.close());
  const dashboard = await dashboardClient(broker.url);
  t.teardown(() => dashboard.endAsync(true));
  const phone = await startHarness({
    stateDir: t.testdir(),
    url: broker.url,
    device: 'limited',
    password: 'limited-pass',
    settings: { username: 'limited', protocolVersion: 5 },
  });
  t.teardown(() => phone.stop());
  phone.emit({ type: 'daemon.started' });
  phone.emit({ type: 'daemon.started' });
  await until(() => phone.reporter.connected && phone.reporter.status().pending === 0);
  t.match(phone.logLines.join('\n'), /the broker refused an event seq=1 reason="Publish error: Not authorized"/);
  t.match(phone.logLines.join('\n'), /the broker refused an event seq=2 reason="Publish error: Not authorized"/);
});

t.test('a retained command is never acted on; a live one on the same topic is (SPEC §8)', async (t) => {
  const broker = await startMosquitto({ users, acl: TEST_ACL });
  t.teardown(() => broker.close());
  const dashboard = await dashboardClient(broker.url);
  t.teardown(() => dashboard.endAsync(true));
  // Left on the broker before the phone connects: delivered to it with retain set on subscribe.
  await dashboard.publishAsync('prov/phone1/cmd/restore', JSON.stringify({ transaction: 'stale' }), { qos: 1, retain: true });
  const calls: string[] = [];
  const results = await subscribe(broker.url, ['prov/phone1/cmd/+/result', 'prov/phone1/status'], { username: DASH_USER, password: DASH_PASSWORD });
  t.teardown(() => results.close());
  const phone = await startHarness({
    stateDir: t.testdir(),
    url: broker.url,
    settings: { commands: true },
    handleCommand: async (name, args) => {
      calls.push(`${name}:${JSON.stringify(args)}`);
    },
  });
  t.teardown(() => phone.stop());
  await online(results);
  await until(() => phone.logLines.some((line) => line.includes('ignoring a retained MQTT command')));
  await results.client.publishAsync('prov/phone1/cmd/restore', JSON.stringify({ transaction: 'live', n: 1 }), { qos: 1 });
  await results.waitFor((messages) => messages.length === 1);
  t.same(JSON.parse(results.messages[0]?.text ?? '{}'), { transaction: 'live', status: 'ok' }, 'only the live command is answered');
  t.same(calls, ['restore:{"n":1}']);
  t.match(phone.logLines.join('\n'), /ignoring a retained MQTT command topic=prov\/phone1\/cmd\/restore/);
});

t.test('an MQTT 5 response topic with a wildcard or under <prefix>/+/cmd/ is not used (SPEC §8)', async (t) => {
  const broker = await startMosquitto({ users, acl: TEST_ACL });
  t.teardown(() => broker.close());
  const calls: string[] = [];
  const phone = await startHarness({
    stateDir: t.testdir(),
    url: broker.url,
    settings: { commands: true, protocolVersion: 5 },
    handleCommand: async (name) => {
      calls.push(name);
    },
  });
  t.teardown(() => phone.stop());
  const watch = await subscribe(broker.url, ['prov/#'], { username: DASH_USER, password: DASH_PASSWORD, protocolVersion: 5 });
  t.teardown(() => watch.close());
  await watch.waitFor((messages) => messages.some((m) => m.topic === 'prov/phone1/status' && m.text === 'online'));
  watch.messages.length = 0;
  const send = (transaction: string, responseTopic: string) =>
    watch.client.publishAsync('prov/phone1/cmd/resync', JSON.stringify({ transaction }), { qos: 1, properties: { responseTopic, correlationData: Buffer.from(transaction) } });
  await send('other-device', 'prov/phone2/cmd/restore');
  await send('own-cmd', 'prov/phone1/cmd/resync');
  await send('wildcard', 'prov/+/replies');
  await send('fine', 'prov/dashboard/replies');
  const replies = () => watch.messages.filter((m) => m.topic !== 'prov/phone1/cmd/resync' && m.topic !== 'prov/phone1/state');
  await watch.waitFor(() => replies().length === 4);
  t.same(
    replies().map((m) => [m.topic, JSON.parse(m.text).transaction]),
    [
      ['prov/phone1/cmd/resync/result', 'other-device'],
      ['prov/phone1/cmd/resync/result', 'own-cmd'],
      ['prov/phone1/cmd/resync/result', 'wildcard'],
      ['prov/dashboard/replies', 'fine'],
    ],
  );
  t.notOk(watch.messages.some((m) => m.topic === 'prov/phone2/cmd/restore'), 'nothing was published into another device\'s cmd/ tree');
  t.same(calls, ['resync', 'resync', 'resync', 'resync'], 'the reply loop did not feed itself a command');
});
