/**
 * MQTT 5 by default, 3.1.1 when the broker refuses 5 (SPEC §2): aedes speaks only 3.1.1 and
 * answers an MQTT 5 CONNECT with CONNACK return code 1, as a 3.1.1 broker must (MQTT 3.1.1
 * §3.2.2.3). The reporter says so in its log and in the retained `state`, then works as before.
 */
import t, { type Test } from 'tap';
import { createServer, type AddressInfo } from 'node:net';
import { Aedes } from 'aedes';
import { subscribe, until } from '../fixtures/mqtt/subscriber.js';
import { startHarness } from '../fixtures/mqtt/harness.js';

async function startAedes(t: Test): Promise<string> {
  const broker = await Aedes.createBroker();
  const server = createServer((socket) => broker.handle(socket));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(async () => {
    await new Promise<void>((resolve) => broker.close(() => resolve()));
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
  return `mqtt://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

t.test('a broker that refuses MQTT 5 gets MQTT 3.1.1, once, and the state says so', async (t) => {
  const url = await startAedes(t);
  const watcher = await subscribe(url, 'prov/#', {});
  t.teardown(() => watcher.close());
  const phone = await startHarness({ stateDir: t.testdir(), url, backoff: { initialMs: 60_000, maxMs: 60_000 } });
  t.teardown(() => phone.stop());
  // The long backoff shows the switch is an immediate retry, not the next scheduled attempt.
  await until(() => phone.reporter.connected);
  const log = phone.logLines.join('\n');
  t.match(log, /the MQTT broker refuses MQTT 5; speaking MQTT 3\.1\.1 to it \(no response topics\) code=1/);
  t.match(log, /connected to the MQTT broker url=mqtt:\/\/127\.0\.0\.1:\d+ protocol=3\.1\.1/);
  t.notMatch(log, /MQTT broker unavailable/, 'a protocol refusal is not reported as an outage');
  t.equal(phone.reporter.status().protocol, '3.1.1');
  await watcher.waitFor((messages) => messages.some((m) => m.topic === 'prov/phone1/state'));
  t.same(JSON.parse(watcher.messages.find((m) => m.topic === 'prov/phone1/state')?.text ?? '{}'), { em: { state: 'host' }, mqtt: { protocol: '3.1.1' } });
  phone.emit({ type: 'resync.unchanged', url: 'https://prov.example/x' });
  await watcher.waitFor((messages) => messages.some((m) => m.topic === 'prov/phone1/events/resync.unchanged'));
  t.pass('events flow over 3.1.1');
});

t.test('a phone set to MQTT 3.1.1 never tries 5', async (t) => {
  const url = await startAedes(t);
  const phone = await startHarness({ stateDir: t.testdir(), url, settings: { protocolVersion: 4 } });
  t.teardown(() => phone.stop());
  await until(() => phone.reporter.connected);
  t.notMatch(phone.logLines.join('\n'), /refuses MQTT 5/);
  t.equal(phone.reporter.status().protocol, '3.1.1');
});
