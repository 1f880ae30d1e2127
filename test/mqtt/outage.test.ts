import t, { type Test } from 'tap';
import { startMosquitto, type Mosquitto } from '../fixtures/mqtt/mosquitto.js';
import { subscribe, until, type Received } from '../fixtures/mqtt/subscriber.js';
import { DASH_PASSWORD, DASH_USER, PHONE_PASSWORD, PHONE_USER, startHarness, TEST_ACL } from '../fixtures/mqtt/harness.js';

const users = { [PHONE_USER]: PHONE_PASSWORD, [DASH_USER]: DASH_PASSWORD };
/** A dashboard with a persistent session: the broker keeps its QoS 1 messages while it is away. */
const dash = { username: DASH_USER, password: DASH_PASSWORD, clean: false, clientId: 'dashboard-1' };

/** Distinct seqs in order of first arrival (QoS 1 is at-least-once: duplicates are allowed). */
function firstSeen(messages: Received[]): number[] {
  const seen: number[] = [];
  for (const message of messages) {
    const seq = JSON.parse(message.text).seq as number;
    if (!seen.includes(seq)) seen.push(seq);
  }
  return seen;
}

/**
 * A persistent broker that knows the dashboard's session (so it keeps QoS 1 messages for it),
 * then stopped: the phone starts into an outage.
 */
async function downWithDashboardSession(t: Test): Promise<Mosquitto> {
  const broker = await startMosquitto({ users, acl: TEST_ACL, persistence: true });
  t.teardown(() => broker.close());
  const dashboard = await subscribe(broker.url, 'prov/+/events/#', dash);
  await dashboard.close();
  await broker.stop();
  return broker;
}

const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

t.test('broker stopped while events are produced, then restarted: no seq gap at the subscriber', async (t) => {
  const broker = await startMosquitto({ users, acl: TEST_ACL, persistence: true });
  t.teardown(() => broker.close());
  const dashboard = await subscribe(broker.url, 'prov/+/events/#', dash);
  t.teardown(() => dashboard.close());
  const changes: boolean[] = [];
  const phone = await startHarness({ stateDir: t.testdir(), url: broker.url, onConnectionChange: (connected) => changes.push(connected) });
  t.teardown(() => phone.stop());
  for (let i = 0; i < 5; i++) phone.emit({ type: 'resync.unchanged' });
  await dashboard.waitFor((messages) => messages.length >= 5);
  await broker.stop();
  await until(() => !phone.reporter.connected);
  for (let i = 0; i < 10; i++) phone.emit({ type: 'resync.failed', code: 'http_unreachable' });
  t.equal(phone.reporter.status().pending, 10, 'queued in the outbox');
  t.match(phone.reporter.status().problem, /connection lost|ECONNREFUSED/);
  await broker.start();
  for (let i = 0; i < 5; i++) phone.emit({ type: 'resync.unchanged' });
  await dashboard.waitFor((messages) => firstSeen(messages).includes(20));
  t.same(firstSeen(dashboard.messages), range(1, 20));
  t.same(changes, [true, false, true], 'the display hears of each change');
  t.match(phone.logLines.join('\n'), /MQTT broker unavailable; events wait in the outbox/);
});

t.test('daemon restarted while the broker is down: the queued events still arrive, seq continues', async (t) => {
  const broker = await downWithDashboardSession(t);
  const stateDir = t.testdir();
  const first = await startHarness({ stateDir, url: broker.url });
  for (let i = 0; i < 7; i++) first.emit({ type: 'resync.failed', code: 'http_unreachable' });
  await first.stop();
  const second = await startHarness({ stateDir, url: broker.url });
  t.teardown(() => second.stop());
  t.equal(second.reporter.status().pending, 7);
  t.match(second.logLines.join('\n'), /events waiting in the MQTT outbox pending=7/);
  second.emit({ type: 'daemon.started' });
  await broker.start();
  const back = await subscribe(broker.url, 'prov/+/events/#', dash);
  t.teardown(() => back.close());
  await back.waitFor((messages) => firstSeen(messages).includes(8));
  t.same(firstSeen(back.messages), range(1, 8));
  t.equal(back.messages.at(-1)?.topic, 'prov/phone1/events/daemon.started');
});

t.test('outbox overflow drops the oldest and reports how many in the next event, across a restart too', async (t) => {
  const broker = await downWithDashboardSession(t);
  const stateDir = t.testdir();
  const first = await startHarness({ stateDir, url: broker.url, settings: { outboxMax: 5 } });
  for (let i = 0; i < 10; i++) first.emit({ type: 'resync.unchanged' });
  t.equal(first.logLines.filter((line) => line.includes('MQTT outbox full: dropping the oldest events max=5')).length, 1);
  await first.stop();
  const phone = await startHarness({ stateDir, url: broker.url, settings: { outboxMax: 5 } });
  t.teardown(() => phone.stop());
  await broker.start();
  const back = await subscribe(broker.url, 'prov/+/events/#', dash);
  t.teardown(() => back.close());
  await back.waitFor((messages) => firstSeen(messages).includes(10));
  await until(() => phone.reporter.status().pending === 0);
  phone.emit({ type: 'resync.started' });
  await back.waitFor((messages) => firstSeen(messages).includes(12));
  t.match(phone.logLines.join('\n'), /events were lost to MQTT outbox overflow count=5/);
  t.same(firstSeen(back.messages), [6, 7, 8, 9, 10, 11, 12]);
  t.match(JSON.parse(back.messages.find((m) => m.topic.endsWith('/events.dropped'))?.text ?? '{}'), { seq: 11, type: 'events.dropped', count: 5 });
});

t.test('events dropped while connected are reported as soon as the broker acknowledges again', async (t) => {
  const broker = await startMosquitto({ users, acl: TEST_ACL });
  t.teardown(() => broker.close());
  const dashboard = await subscribe(broker.url, 'prov/+/events/#', dash);
  t.teardown(() => dashboard.close());
  const phone = await startHarness({ stateDir: t.testdir(), url: broker.url, settings: { outboxMax: 3 } });
  t.teardown(() => phone.stop());
  await until(() => phone.reporter.connected);
  // A burst faster than the broker acknowledges: the emits are synchronous, no ack can interleave.
  for (let i = 0; i < 6; i++) phone.emit({ type: 'resync.unchanged' });
  await until(() => phone.reporter.status().pending === 0);
  phone.emit({ type: 'resync.started' });
  await dashboard.waitFor((messages) => messages.some((m) => m.topic.endsWith('/resync.started')));
  t.match(JSON.parse(dashboard.messages.find((m) => m.topic.endsWith('/events.dropped'))?.text ?? '{}'), { type: 'events.dropped', count: 3 });
});

for (const protocolVersion of [4, 5] as const) {
t.test(`a refused login (MQTT ${protocolVersion === 4 ? '3.1.1' : '5'}) does not spin: it waits the capped delay and logs once`, async (t) => {
  const broker = await startMosquitto({ users, acl: TEST_ACL });
  t.teardown(() => broker.close());
  const delays: number[] = [];
  const phone = await startHarness({
    stateDir: t.testdir(),
    url: broker.url,
    password: 'wrong-password',
    settings: { protocolVersion },
    backoff: { initialMs: 1, maxMs: 1000 },
    // Record the delays the reporter asks for, but run the attempts quickly.
    clock: {
      setTimer: (run, ms) => {
        delays.push(ms);
        return setTimeout(run, 20);
      },
      clearTimer: (timer) => clearTimeout(timer as NodeJS.Timeout),
    },
  });
  t.teardown(() => phone.stop());
  await until(() => delays.length >= 4);
  t.ok(delays.every((ms) => ms >= 500 && ms <= 1000), `delays at the cap: ${delays.join(', ')}`);
  // CONNACK 5 "not authorised" (3.1.1) or reason 0x86/0x87 (MQTT 5), as Mosquitto answers (RELIABILITY.md §6.3).
  const problem = String(phone.reporter.status().problem);
  t.match(problem, protocolVersion === 4 ? /^login refused \(5\)$/ : /^login refused \(13[45]\)$/);
  t.equal(phone.logLines.filter((line) => line.includes(problem)).length, 1, 'logged once');
  t.notOk(phone.logLines.join('\n').includes('wrong-password'));
});
}

t.test('a broker that stops answering does not hold up a clean stop', async (t) => {
  const broker = await startMosquitto({ users, acl: TEST_ACL });
  t.teardown(() => broker.close());
  const phone = await startHarness({ stateDir: t.testdir(), url: broker.url, stopTimeoutMs: 100 });
  await until(() => phone.reporter.connected);
  broker.signal('SIGSTOP');
  phone.emit({ type: 'daemon.stopping' });
  await until(() => phone.reporter.status().inFlight === 1);
  await phone.stop();
  broker.signal('SIGCONT');
  t.notOk(phone.reporter.connected);
  t.equal(phone.reporter.status().pending, 1, 'the unacknowledged event stays in the outbox');
});
