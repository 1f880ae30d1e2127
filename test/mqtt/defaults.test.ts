import t from 'tap';
import { rm, symlink, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { TypedBus, type DaemonEvents } from '../../daemon/bus/index.js';
import { Logger } from '../../daemon/log/index.js';
import { MqttReporter, OUTBOX_FILE, type MqttSettings } from '../../daemon/mqtt/index.js';
import { freePort } from '../fixtures/local.js';
import { until } from '../fixtures/mqtt/subscriber.js';

const settings = (url: string): MqttSettings => ({ url, topicPrefix: 'provisiond', commands: false, outboxMax: 100 });

function options(url: string, stateDir: string, device = 'phone1') {
  const lines: string[] = [];
  const log = new Logger({ sink: { out: (line) => lines.push(line), err: (line) => lines.push(line) } });
  return { lines, options: { settings: settings(url), device, stateDir, bus: new TypedBus<DaemonEvents>(), log, snapshot: () => null } };
}

t.test('settings that cannot work are refused when the reporter is built', async (t) => {
  t.throws(() => new MqttReporter(options('http://broker/', t.testdir()).options), { code: 'mqtt_bad_url' });
  t.throws(() => new MqttReporter(options('mqtt://broker/', t.testdir(), 'a/b').options), { code: 'mqtt_bad_topic' });
});

t.test('with the broker absent the reporter starts, queues, reports the problem and stops promptly', async (t) => {
  const stateDir = t.testdir();
  await writeFile(path.join(stateDir, OUTBOX_FILE), '{"event":{"v":1,"seq":3,"ts":"x","device":"phone1","type":"daemon.started"}}\n{"ev');
  // A port nobody listens on: connection refused, as with a broker that is down.
  const { lines, options: reporterOptions } = options(`mqtt://127.0.0.1:${await freePort()}`, stateDir);
  const reporter = new MqttReporter(reporterOptions);
  await reporter.start();
  t.equal(reporter.lastSeq, 3);
  t.match(lines.join('\n'), /skipped unreadable lines in the MQTT outbox skipped=1/);
  await until(() => reporter.status().problem !== null);
  t.match(reporter.status(), { connected: false, pending: 1, problem: /ECONNREFUSED/ });
  reporter.publishState();
  // A planted symbolic link where the outbox should be: writes are refused, the event is still queued.
  await rm(path.join(stateDir, OUTBOX_FILE));
  await symlink('/nonexistent', path.join(stateDir, OUTBOX_FILE));
  reporterOptions.bus.emit('recorded', { v: 1, seq: 4, ts: 'x', device: 'phone1', type: 'daemon.stopping' });
  await until(() => lines.some((line) => line.includes('cannot write the MQTT outbox')));
  t.equal(reporter.status().pending, 2);
  await reporter.stop();
  t.notOk(reporter.connected);
});
