/**
 * Event latency and sustained rate to an MQTT subscriber on a real Mosquitto (SPEC §12): from
 * `bus.emit('event')` through the event log and its one journal (group commit: one fsync per
 * batch, before publishing) and the reporter with its acknowledged-seq cursor, to a dashboard subscribed to `<prefix>/+/events/#`. The competitor is a
 * bare mqtt.js client publishing the same payloads at QoS 1 straight to the broker, with no
 * event log and no outbox: the difference is what durability and ordering cost.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { connect, type MqttClient } from 'mqtt';
import { TypedBus, type DaemonEvents } from '../daemon/bus/index.js';
import { EventLog } from '../daemon/events/index.js';
import { Logger, Redactor } from '../daemon/log/index.js';
import { MqttReporter } from '../daemon/mqtt/index.js';
import { startMosquitto } from '../test/fixtures/mqtt/mosquitto.js';
import type { BenchModule, BenchRow } from './types.js';

const LATENCY_SAMPLES = 300;
const RATE_EVENTS = 5000;

const USER = 'bench';
const PASSWORD = 'bench-mqtt-password';

async function client(url: string): Promise<MqttClient> {
  const mqtt = connect(url, { reconnectPeriod: 0, username: USER, password: PASSWORD });
  await new Promise((resolve) => mqtt.once('connect', resolve));
  return mqtt;
}

/** A lost message must fail the benchmark, not hang it. */
async function within<T>(promise: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`events bench: ${what} did not arrive within 60 s`)), 60_000)));
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}

/** Measures one path: `send(i)` must lead to a message with `"seq":i` on the subscriber. */
async function measure(subscriber: MqttClient, send: (i: number) => void): Promise<{ p50: number; p99: number; rate: number }> {
  let waiting: { seq: number; resolve: () => void } | undefined;
  let received = 0;
  let target = Infinity;
  let allIn: (() => void) | undefined;
  subscriber.removeAllListeners('message');
  subscriber.on('message', (_topic, payload) => {
    const seq = (JSON.parse(payload.toString()) as { seq: number }).seq;
    received++;
    if (waiting && seq === waiting.seq) waiting.resolve();
    if (received >= target) allIn?.();
  });
  const latencies: number[] = [];
  for (let i = 1; i <= LATENCY_SAMPLES; i++) {
    const arrived = new Promise<void>((resolve) => (waiting = { seq: i, resolve }));
    const start = process.hrtime.bigint();
    send(i);
    await within(arrived, `event ${i}`);
    latencies.push(Number(process.hrtime.bigint() - start) / 1e6);
  }
  waiting = undefined;
  received = 0;
  target = RATE_EVENTS;
  const done = new Promise<void>((resolve) => (allIn = resolve));
  const start = process.hrtime.bigint();
  for (let i = 0; i < RATE_EVENTS; i++) send(LATENCY_SAMPLES + 1 + i);
  await within(done, `${RATE_EVENTS} events`);
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  latencies.sort((a, b) => a - b);
  return { p50: percentile(latencies, 50), p99: percentile(latencies, 99), rate: RATE_EVENTS / seconds };
}

const bench: BenchModule = {
  title: 'events to an MQTT subscriber (Mosquitto, loopback)',
  async run(): Promise<BenchRow[]> {
    const dir = await mkdtemp(path.join(tmpdir(), 'provisiond-bench-events-'));
    // Mosquitto queues at most 1000 QoS 1 messages per subscriber by default and drops the
    // rest; a burst of RATE_EVENTS must all arrive to be timed.
    const broker = await startMosquitto({ users: { [USER]: PASSWORD }, extraConfig: 'max_queued_messages 0' });
    const passwordFile = path.join(dir, 'mqtt.pw');
    await writeFile(passwordFile, PASSWORD);
    const bus = new TypedBus<DaemonEvents>();
    const log = new Logger({ level: 'error', redactor: new Redactor(), sink: { out: () => undefined, err: (line) => process.stderr.write(line + '\n') } });
    const eventLog = new EventLog({ bus, stateDir: dir, device: 'phone1', log });
    const reporter = new MqttReporter({
      settings: { url: broker.url, topicPrefix: 'bench', username: USER, passwordFile, commands: false, outboxMax: 10_000 },
      device: 'phone1',
      stateDir: dir,
      bus,
      events: eventLog,
      log,
      snapshot: () => ({}),
    });
    const subscriber = await client(broker.url);
    const bare = await client(broker.url);
    try {
      await eventLog.start();
      await reporter.start();
      await subscriber.subscribeAsync(['bench/+/events/#', 'bare/#'], { qos: 1 });
      while (!reporter.connected) await new Promise((resolve) => setTimeout(resolve, 10));
      const ours = await measure(subscriber, () => bus.emit('event', { type: 'resync.unchanged', url: 'https://prov.example/spa.cfg' }));
      const template = { v: 1, ts: new Date().toISOString(), device: 'phone1', type: 'resync.unchanged', url: 'https://prov.example/spa.cfg' };
      const theirs = await measure(subscriber, (seq) => bare.publish('bare/phone1/events/resync.unchanged', JSON.stringify({ ...template, seq }), { qos: 1 }));
      const note = `${LATENCY_SAMPLES} sequential events; one journal, one fsync per batch`;
      const baseline = 'bare mqtt.js QoS 1';
      return [
        { name: 'event latency p50, emit → MQTT subscriber', value: ours.p50, unit: 'ms', baseline: { name: baseline, value: theirs.p50 }, note },
        { name: 'event latency p99, emit → MQTT subscriber', value: ours.p99, unit: 'ms', baseline: { name: baseline, value: theirs.p99 }, note },
        { name: 'sustained event rate to MQTT subscriber', value: ours.rate, unit: 'events/s', baseline: { name: baseline, value: theirs.rate }, note: `${RATE_EVENTS} events in one burst, all delivered in order` },
      ];
    } finally {
      await reporter.stop();
      await eventLog.stop();
      await subscriber.endAsync(true);
      await bare.endAsync(true);
      await broker.close();
      await rm(dir, { recursive: true, force: true });
    }
  },
};

export default bench;
