import t from 'tap';
import { mkdir, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { TypedBus, type DaemonEvents } from '../../daemon/bus/index.js';
import { EventLog } from '../../daemon/events/index.js';
import { Logger } from '../../daemon/log/index.js';
import { CURSOR_FILE, LEGACY_OUTBOX_FILE, MqttReporter, type MqttSettings } from '../../daemon/mqtt/index.js';
import { freePort } from '../fixtures/local.js';
import { until } from '../fixtures/mqtt/subscriber.js';
import { startMosquitto } from '../fixtures/mqtt/mosquitto.js';

const settings = (url: string): MqttSettings => ({ url, topicPrefix: 'provisiond', commands: false, outboxMax: 100 });

function options(url: string, stateDir: string, device = 'phone1') {
  const lines: string[] = [];
  const log = new Logger({ sink: { out: (line) => lines.push(line), err: (line) => lines.push(line) } });
  const bus = new TypedBus<DaemonEvents>();
  const events = new EventLog({ bus, stateDir, device, log });
  return { lines, events, options: { settings: settings(url), device, stateDir, bus, events, log, snapshot: () => ({}) } };
}

t.test('settings that cannot work are refused when the reporter is built', async (t) => {
  t.throws(() => new MqttReporter(options('http://broker/', t.testdir()).options), { code: 'mqtt_bad_url' });
  t.throws(() => new MqttReporter(options('mqtt://broker/', t.testdir(), 'a/b').options), { code: 'mqtt_bad_topic' });
});

t.test('with the broker absent the reporter starts, queues, reports the problem and stops promptly', async (t) => {
  const stateDir = t.testdir();
  await writeFile(path.join(stateDir, LEGACY_OUTBOX_FILE), '{"event":{"v":1,"seq":3,"ts":"x","device":"phone1","type":"daemon.started"}}\n{"ev');
  // A port nobody listens on: connection refused, as with a broker that is down.
  const { lines, events, options: reporterOptions } = options(`mqtt://127.0.0.1:${await freePort()}`, stateDir);
  await events.start();
  const reporter = new MqttReporter(reporterOptions);
  await reporter.start();
  t.equal(events.lastSeq, 3);
  t.match(lines.join('\n'), /imported the outbox of an older version into the event journal imported=1 skipped=1/);
  await until(() => reporter.status().problem !== null);
  t.match(reporter.status(), { connected: false, pending: 1, problem: /ECONNREFUSED/ });
  reporter.publishState();
  events.record({ type: 'daemon.stopping' });
  await events.settled();
  t.equal(reporter.status().pending, 2);
  await reporter.stop();
  await events.stop();
  t.notOk(reporter.connected);
});

t.test('a cursor that cannot be written is logged; the events are still delivered', async (t) => {
  const broker = await startMosquitto({ users: { phone: 'phone-pw' } });
  t.teardown(() => broker.close());
  const stateDir = t.testdir();
  await writeFile(path.join(stateDir, 'pw'), 'phone-pw');
  const { lines, events, options: base } = options(broker.url, stateDir);
  const reporterOptions = { ...base, settings: { ...base.settings, username: 'phone', passwordFile: path.join(stateDir, 'pw') } };
  await events.start();
  const reporter = new MqttReporter(reporterOptions);
  await reporter.start();
  // Fault injection: a directory where the cursor file should be.
  await mkdir(path.join(stateDir, CURSOR_FILE));
  events.record({ type: 'daemon.started' });
  await until(() => reporter.connected && reporter.status().pending === 0);
  await reporter.stop();
  await events.stop();
  t.match(lines.join('\n'), /cannot write the MQTT cursor/);
});
