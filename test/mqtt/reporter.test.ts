import t from 'tap';
import { startMosquitto } from '../fixtures/mqtt/mosquitto.js';
import { subscribe, until } from '../fixtures/mqtt/subscriber.js';
import { DASH_PASSWORD, DASH_USER, PHONE_PASSWORD, PHONE_USER, startHarness, TEST_ACL } from '../fixtures/mqtt/harness.js';
import type { JsonValue } from '../../daemon/bus/index.js';

const dash = { username: DASH_USER, password: DASH_PASSWORD };
const users = { [PHONE_USER]: PHONE_PASSWORD, [DASH_USER]: DASH_PASSWORD };

t.test('against Mosquitto: retained online status and state, then QoS 1 events in seq order', async (t) => {
  const broker = await startMosquitto({ users, acl: TEST_ACL });
  t.teardown(() => broker.close());
  const phone = await startHarness({ stateDir: t.testdir(), url: broker.url });
  t.teardown(() => phone.stop());
  await until(() => phone.reporter.connected);
  t.match(phone.logLines.join('\n'), /mqtt: connected to the MQTT broker url=mqtt:\/\/127\.0\.0\.1:\d+ protocol=5/, 'MQTT 5 by default');

  // A dashboard that subscribes after the fact still learns the phone is online (retained).
  const dashboard = await subscribe(broker.url, 'prov/#', dash);
  t.teardown(() => dashboard.close());
  await dashboard.waitFor((messages) => messages.some((m) => m.topic === 'prov/phone1/state'));
  const status = dashboard.messages.find((m) => m.topic === 'prov/phone1/status');
  t.match(status, { text: 'online', retain: true });
  t.match(dashboard.messages.find((m) => m.topic === 'prov/phone1/state'), { text: '{"em":{"state":"host"},"mqtt":{"protocol":"5"}}', retain: true });

  for (let i = 0; i < 50; i++) phone.emit({ type: 'resync.unchanged', url: `https://joe:${PHONE_PASSWORD}@prov.example/${i}` });
  await dashboard.waitFor((messages) => messages.filter((m) => m.topic.includes('/events/')).length >= 50);
  const events = dashboard.messages.filter((m) => m.topic === 'prov/phone1/events/resync.unchanged');
  t.same(
    events.map((m) => JSON.parse(m.text).seq),
    Array.from({ length: 50 }, (_, i) => i + 1),
  );
  t.ok(events.every((m) => m.packet.qos === 1 && !m.retain), 'QoS 1, not retained');
  t.notOk(dashboard.messages.some((m) => m.text.includes(PHONE_PASSWORD)), 'no credential on the wire');
  await until(() => phone.reporter.status().pending === 0);
  t.same(phone.reporter.status(), { connected: true, pending: 0, inFlight: 0, problem: null, protocol: '5' });
});

t.test('state is republished when the snapshot changes, and only then', async (t) => {
  const broker = await startMosquitto({ users, acl: TEST_ACL });
  t.teardown(() => broker.close());
  let state: { [key: string]: JsonValue } = { em: { state: 'host' } };
  let broken = false;
  const phone = await startHarness({
    stateDir: t.testdir(),
    url: broker.url,
    snapshot: () => {
      if (broken) throw new Error('not ready');
      return state;
    },
  });
  t.teardown(() => phone.stop());
  const dashboard = await subscribe(broker.url, 'prov/phone1/state', dash);
  t.teardown(() => dashboard.close());
  await dashboard.waitFor((messages) => messages.length === 1);
  phone.emit({ type: 'resync.started' });
  phone.reporter.publishState();
  // The app calls publishState when the backend's state changes; an event alone does not.
  state = { em: { state: 'mobile', user: 'alice' } };
  phone.emit({ type: 'em.login', user: 'alice' });
  await phone.eventLog.settled();
  phone.reporter.publishState();
  await dashboard.waitFor((messages) => messages.length === 2);
  broken = true;
  phone.reporter.publishState();
  t.match(phone.logLines.join('\n'), /cannot build the state snapshot error="Error: not ready"/);
  broken = false;
  state = { em: { state: 'host' } };
  phone.reporter.publishState();
  await dashboard.waitFor((messages) => messages.length === 3);
  t.same(
    dashboard.messages.map((m) => m.text),
    ['{"em":{"state":"host"}}', '{"em":{"state":"mobile","user":"alice"}}', '{"em":{"state":"host"}}'].map((text) => text.replace(/}$/, ',"mqtt":{"protocol":"5"}}')),
  );
});

t.test('a clean stop delivers the queued events, then publishes offline, retained', async (t) => {
  const broker = await startMosquitto({ users, acl: TEST_ACL });
  t.teardown(() => broker.close());
  const watcher = await subscribe(broker.url, ['prov/phone1/events/#', 'prov/phone1/status'], dash);
  t.teardown(() => watcher.close());
  const phone = await startHarness({ stateDir: t.testdir(), url: broker.url });
  await until(() => phone.reporter.connected);
  for (let i = 0; i < 20; i++) phone.emit({ type: 'resync.unchanged' });
  phone.emit({ type: 'daemon.stopping', reason: 'SIGTERM' });
  await phone.stop();
  t.notOk(phone.reporter.connected);
  t.equal(phone.reporter.status().pending, 0, 'nothing left behind');
  await watcher.waitFor((messages) => messages.some((m) => m.text === 'offline'));
  const order = watcher.messages.map((m) => (m.topic.endsWith('/status') ? m.text : JSON.parse(m.text).type));
  t.same(order.slice(-2), ['daemon.stopping', 'offline']);
  t.equal(order.filter((item) => item === 'offline').length, 1, 'a clean DISCONNECT: the broker drops the will');
  const dashboard = await subscribe(broker.url, 'prov/phone1/status', dash);
  t.teardown(() => dashboard.close());
  await dashboard.waitFor((messages) => messages.length === 1);
  t.match(dashboard.messages[0], { text: 'offline', retain: true });
});

t.test('a dashboard on a shared subscription receives every event', async (t) => {
  const broker = await startMosquitto({ users, acl: TEST_ACL });
  t.teardown(() => broker.close());
  // SPEC §8: clustered dashboards split the load with $share/<group>/<filter> (MQTT 5 shared subscriptions).
  const dashboard = await subscribe(broker.url, '$share/dashboard/prov/+/events/#', { ...dash, protocolVersion: 5 });
  t.teardown(() => dashboard.close());
  const phone = await startHarness({ stateDir: t.testdir(), url: broker.url, settings: { protocolVersion: 5 } });
  t.teardown(() => phone.stop());
  phone.emit({ type: 'daemon.started', version: '0.1.0' });
  phone.emit({ type: 'auth.challenge', operation: 'resync', scheme: 'Digest', realm: 'prov' });
  await dashboard.waitFor((messages) => messages.length === 2);
  t.same(
    dashboard.messages.map((m) => [m.topic, JSON.parse(m.text).seq]),
    [
      ['prov/phone1/events/daemon.started', 1],
      ['prov/phone1/events/auth.challenge', 2],
    ],
  );
  t.equal(dashboard.messages[0]?.packet.properties?.contentType, 'application/json', 'MQTT 5 content type');
});

t.test('the reporter reaches the broker over WebSocket (ws://)', async (t) => {
  const broker = await startMosquitto({ users, acl: TEST_ACL, websockets: true });
  t.teardown(() => broker.close());
  const dashboard = await subscribe(broker.url, 'prov/+/events/#', dash);
  t.teardown(() => dashboard.close());
  const phone = await startHarness({ stateDir: t.testdir(), url: String(broker.wsUrl) });
  t.teardown(() => phone.stop());
  phone.emit({ type: 'daemon.started' });
  await dashboard.waitFor((messages) => messages.length === 1);
  t.equal(dashboard.messages[0]?.topic, 'prov/phone1/events/daemon.started');
});
