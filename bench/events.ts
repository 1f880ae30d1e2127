/**
 * Event latency and sustained rate to an MQTT subscriber on a real Mosquitto (SPEC §12): from
 * `bus.emit('event')` through the event log and its one journal (group commit: one durable
 * write per batch, before publishing) and the reporter with its acknowledged-seq cursor, to a
 * dashboard subscribed to the events.
 *
 * Every path runs in the same process against the same broker, interleaved sample by sample
 * (latency) and burst by burst (rate), so a machine busy with other work slows them alike:
 * - `bare mqtt.js QoS 1`: one mqtt.js client with the reporter's own connect and publish
 *   options, publishing the same payloads straight to the broker. No journal: nothing it
 *   sends survives a power cut.
 * - `bare + durable append`: the same client, but each batch of payloads is first appended to
 *   a file with one O_DSYNC write (what the journal does), then published. This is the floor
 *   of "durable before published" on this disk; the gap between it and bare mqtt.js is the
 *   disk, not our code.
 * - the disk itself: one event line appended with O_DSYNC (as the journal) and with write +
 *   fdatasync, timed in the state directory (its filesystem is printed).
 *
 * `PROVISIOND_BENCH_BEFORE=<dist dir of another build>` adds that build's event log and
 * reporter as one more path (before/after from the same run). `PROVISIOND_BENCH_STATE_DIR`
 * puts the state directories elsewhere (e.g. /dev/shm, to see the figures without a disk).
 */
import { constants as fsConstants } from 'node:fs';
import { mkdtemp, open, rm, writeFile, type FileHandle } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { connect, type IClientPublishOptions, type MqttClient } from 'mqtt';
import { TypedBus, type DaemonEvents, type EventInput } from '../daemon/bus/index.js';
import { EventLog } from '../daemon/events/index.js';
import { Logger, Redactor } from '../daemon/log/index.js';
import { clientOptions, MqttReporter } from '../daemon/mqtt/index.js';
import { startMosquitto } from '../test/fixtures/mqtt/mosquitto.js';
import type { BenchModule, BenchRow } from './types.js';
import { filesystemOf } from './util.js';

const LATENCY_SAMPLES = 500;
const RATE_EVENTS = 5000;
const RATE_ROUNDS = 3;
const DEVICE = 'phone1';
const USER = 'bench';
const PASSWORD = 'bench-mqtt-password';
const INPUT: EventInput = { type: 'resync.unchanged', url: 'https://prov.example/spa.cfg' };

/** One way of getting an event to the subscriber; `send` returns the seq that will arrive. */
interface Path {
  readonly name: string;
  /** First topic level: how the subscriber tells the paths apart. */
  readonly prefix: string;
  send(): number;
  stop(): Promise<void>;
}

interface Measured {
  readonly latencies: number[];
  readonly rates: number[];
  /** CPU time of the whole process (publisher and subscriber) per event in a burst, µs. */
  readonly cpu: number[];
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

function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}

const elapsedMs = (start: bigint): number => Number(process.hrtime.bigint() - start) / 1e6;

/** The event log and reporter of a build (this one, or the one named by PROVISIOND_BENCH_BEFORE). */
async function daemonPath(name: string, prefix: string, device: string, root: string | undefined, stateDir: string, url: string, passwordFile: string): Promise<Path> {
  const load = async <T>(file: string, here: T): Promise<T> => (root ? ((await import(pathToFileURL(path.join(root, file)).href)) as T) : here);
  const bus = await load('daemon/bus/index.js', { TypedBus });
  const events = await load('daemon/events/index.js', { EventLog });
  const logs = await load('daemon/log/index.js', { Logger, Redactor });
  const mqtt = await load('daemon/mqtt/index.js', { MqttReporter });
  const eventBus = new bus.TypedBus<DaemonEvents>();
  const log = new logs.Logger({ level: 'error', redactor: new logs.Redactor(), sink: { out: () => undefined, err: (line) => process.stderr.write(line + '\n') } });
  const eventLog = new events.EventLog({ bus: eventBus, stateDir, device, log });
  const reporter = new mqtt.MqttReporter({
    settings: { url, topicPrefix: prefix, username: USER, passwordFile, commands: false, outboxMax: 10_000 },
    // Its own device name: the client id is made from it, and a broker drops a client whose id another one takes.
    device,
    stateDir,
    bus: eventBus,
    events: eventLog,
    log,
    snapshot: () => ({ resync: { running: false } }),
  });
  await eventLog.start();
  await reporter.start();
  while (!reporter.connected) await new Promise((resolve) => setTimeout(resolve, 10));
  // As the app does: the snapshot is offered on every change of the daemon's state, and the reporter publishes it only when it differs.
  eventBus.on('recorded', () => reporter.publishState());
  return {
    name,
    prefix,
    send: () => {
      eventBus.emit('event', INPUT);
      return eventLog.lastSeq;
    },
    stop: async () => {
      await reporter.stop();
      await eventLog.stop();
    },
  };
}

/** The reporter's connect options and publish options, without the reporter. */
function bareOptions(url: string): { connect: ReturnType<typeof clientOptions>; publish: IClientPublishOptions } {
  const connectOptions = clientOptions({ url, topicPrefix: 'bare', username: USER, commands: false, outboxMax: 10_000 }, { password: PASSWORD }, { clientId: `bare-${process.pid}-${Math.random()}`, statusTopic: 'bare/status', connectTimeoutMs: 30_000, keepaliveSeconds: 60 }, 5);
  return { connect: connectOptions, publish: { qos: 1, retain: false, properties: { contentType: 'application/json' } } };
}

async function client(url: string, options: object = { username: USER, password: PASSWORD }): Promise<MqttClient> {
  const mqtt = connect(url, { reconnectPeriod: 0, ...options });
  await new Promise((resolve) => mqtt.once('connect', resolve));
  return mqtt;
}

/** The same payload the event log publishes: stamped, in the same field order. */
const payload = (seq: number): string => JSON.stringify({ v: 1, seq, ts: new Date().toISOString(), device: DEVICE, type: INPUT.type, url: INPUT.url });

async function barePath(url: string): Promise<Path> {
  const options = bareOptions(url);
  const mqtt = await client(url, options.connect);
  let seq = 0;
  return {
    name: 'bare mqtt.js QoS 1',
    prefix: 'bare',
    send: () => {
      seq++;
      mqtt.publish(`bare/${DEVICE}/events/${INPUT.type}`, payload(seq), options.publish);
      return seq;
    },
    stop: () => mqtt.endAsync(true),
  };
}

/** Bare mqtt.js behind the smallest group commit: one O_DSYNC write per batch of a turn, then publish. */
async function durablePath(url: string, stateDir: string): Promise<Path> {
  const options = bareOptions(url);
  const mqtt = await client(url, options.connect);
  const file = await open(path.join(stateDir, 'durable.jsonl'), fsConstants.O_WRONLY | fsConstants.O_APPEND | fsConstants.O_CREAT | fsConstants.O_DSYNC, 0o600);
  let seq = 0;
  let batch: string[] | undefined;
  let tail = Promise.resolve();
  const flush = async (lines: string[]): Promise<void> => {
    await file.writeFile(lines.map((line) => line + '\n').join(''));
    for (const line of lines) mqtt.publish(`sync/${DEVICE}/events/${INPUT.type}`, line, options.publish);
  };
  return {
    name: 'bare mqtt.js + durable append',
    prefix: 'sync',
    send: () => {
      seq++;
      if (!batch) {
        const lines: string[] = (batch = []);
        setImmediate(() => {
          // Whatever arrives while a write is under way waits for the next one.
          tail = tail.then(() => {
            batch = batch === lines ? undefined : batch;
            return flush(lines);
          });
        });
      }
      batch.push(payload(seq));
      return seq;
    },
    stop: async () => {
      await tail;
      await mqtt.endAsync(true);
      await file.close();
    },
  };
}

/** The disk under the state directory: one event line made durable, two ways. */
async function diskProbe(stateDir: string): Promise<{ sample: () => Promise<void>; dsync: number[]; fdatasync: number[]; close: () => Promise<void> }> {
  const flags = fsConstants.O_WRONLY | fsConstants.O_APPEND | fsConstants.O_CREAT;
  const dsyncFile: FileHandle = await open(path.join(stateDir, 'probe-dsync'), flags | fsConstants.O_DSYNC, 0o600);
  const plainFile: FileHandle = await open(path.join(stateDir, 'probe-fdatasync'), flags, 0o600);
  const line = payload(1) + '\n';
  const dsync: number[] = [];
  const fdatasync: number[] = [];
  return {
    dsync,
    fdatasync,
    sample: async () => {
      let start = process.hrtime.bigint();
      await dsyncFile.writeFile(line);
      dsync.push(elapsedMs(start));
      start = process.hrtime.bigint();
      await plainFile.writeFile(line);
      await plainFile.datasync();
      fdatasync.push(elapsedMs(start));
    },
    close: async () => {
      await dsyncFile.close();
      await plainFile.close();
    },
  };
}

/** Subscriber side: each path's next expected seq, and its burst count. */
function tracker(subscriber: MqttClient, paths: readonly Path[]) {
  const state = new Map(paths.map((p) => [p.prefix, { waiting: undefined as { seq: number; resolve: () => void } | undefined, received: 0, target: Infinity, allIn: undefined as (() => void) | undefined }]));
  let states = 0;
  subscriber.on('message', (topic, message) => {
    if (topic.endsWith('/state')) {
      states++;
      return;
    }
    const entry = state.get(topic.slice(0, topic.indexOf('/')));
    if (!entry) return;
    const seq = (JSON.parse(message.toString()) as { seq: number }).seq;
    entry.received++;
    if (entry.waiting && seq === entry.waiting.seq) entry.waiting.resolve();
    if (entry.received >= entry.target) entry.allIn?.();
  });
  return {
    /** `state` documents received so far. */
    states: () => states,
    /** Emit → arrival of that event, ms. */
    async once(p: Path): Promise<number> {
      const entry = state.get(p.prefix)!;
      let resolve!: () => void;
      const arrived = new Promise<void>((yes) => (resolve = yes));
      const start = process.hrtime.bigint();
      entry.waiting = { seq: p.send(), resolve };
      await within(arrived, `${p.name}: an event`);
      entry.waiting = undefined;
      return elapsedMs(start);
    },
    /** Events per second and CPU µs per event for a burst of `count` emitted in one turn. */
    async burst(p: Path, count: number): Promise<{ rate: number; cpu: number }> {
      const entry = state.get(p.prefix)!;
      entry.received = 0;
      entry.target = count;
      const done = new Promise<void>((resolve) => (entry.allIn = resolve));
      const cpu = process.cpuUsage();
      const start = process.hrtime.bigint();
      for (let i = 0; i < count; i++) p.send();
      await within(done, `${p.name}: ${count} events`);
      const ms = elapsedMs(start);
      const used = process.cpuUsage(cpu);
      entry.target = Infinity;
      entry.allIn = undefined;
      return { rate: (count * 1000) / ms, cpu: (used.user + used.system) / count };
    },
  };
}

const fmt = (value: number, digits = 2): string => value.toFixed(digits);

/** The note of a figure with a goal: the goal, and "missed" when it is. */
function verdict(goal: string, met: boolean, load: string): string {
  return `goal ${goal}: ${met ? 'met' : 'MISSED'}; ${load}`;
}

const bench: BenchModule = {
  title: 'events to an MQTT subscriber (Mosquitto, loopback)',
  async run(): Promise<BenchRow[]> {
    const base = process.env.PROVISIOND_BENCH_STATE_DIR ?? tmpdir();
    const dir = await mkdtemp(path.join(base, 'provisiond-bench-events-'));
    // Mosquitto queues at most 1000 QoS 1 messages per subscriber by default and drops the
    // rest; a burst of RATE_EVENTS must all arrive to be timed.
    const broker = await startMosquitto({ users: { [USER]: PASSWORD }, extraConfig: 'max_queued_messages 0' });
    const passwordFile = path.join(dir, 'mqtt.pw');
    await writeFile(passwordFile, PASSWORD);
    const filesystem = filesystemOf(dir);
    const before = process.env.PROVISIOND_BENCH_BEFORE;
    const stopping: (() => Promise<unknown>)[] = [];
    try {
      const subscriber = await client(broker.url);
      stopping.push(() => subscriber.endAsync(true));
      const ourDir = await mkdtemp(path.join(dir, 'ours-'));
      const ours = await daemonPath('provisiond', 'ours', DEVICE, undefined, ourDir, broker.url, passwordFile);
      stopping.push(() => ours.stop());
      const previous = before ? await daemonPath(`before (${before})`, 'prev', 'phone2', path.resolve(before), await mkdtemp(path.join(dir, 'prev-')), broker.url, passwordFile) : undefined;
      if (previous) stopping.push(() => previous.stop());
      const bare = await barePath(broker.url);
      stopping.push(() => bare.stop());
      const durable = await durablePath(broker.url, dir);
      stopping.push(() => durable.stop());
      const disk = await diskProbe(dir);
      stopping.push(() => disk.close());
      const paths = [ours, ...(previous ? [previous] : []), bare, durable];
      await subscriber.subscribeAsync([...paths.map((p) => `${p.prefix}/+/events/#`), `ours/+/state`], { qos: 1 });
      const track = tracker(subscriber, paths);
      const measured = new Map<Path, Measured>(paths.map((p) => [p, { latencies: [], rates: [], cpu: [] }]));
      const loadBefore = loadavg()[0]!;
      // Warm-up: connections, JIT and the journal's file handle (and the retained state arrives).
      for (let i = 0; i < 20; i++) for (const p of paths) await track.once(p);
      const statesBefore = track.states();
      for (let i = 0; i < LATENCY_SAMPLES; i++) {
        for (const p of paths) measured.get(p)!.latencies.push(await track.once(p));
        await disk.sample();
      }
      for (let round = 0; round < RATE_ROUNDS; round++) {
        for (const p of paths) {
          const { rate, cpu } = await track.burst(p, RATE_EVENTS);
          measured.get(p)!.rates.push(rate);
          measured.get(p)!.cpu.push(cpu);
        }
      }
      const load = `load ${fmt(loadBefore, 1)}–${fmt(loadavg()[0]!, 1)} on ${filesystem}`;
      const statePublishes = track.states() - statesBefore;
      const events = LATENCY_SAMPLES + RATE_ROUNDS * RATE_EVENTS;

      const figure = (p: Path) => {
        const m = measured.get(p)!;
        return { p50: percentile(m.latencies, 50), p99: percentile(m.latencies, 99), rate: percentile(m.rates, 50), cpu: percentile(m.cpu, 50) };
      };
      const us = figure(ours);
      const them = figure(bare);
      const floor = figure(durable);
      const dsync = { p50: percentile(disk.dsync, 50), p99: percentile(disk.dsync, 99) };
      const fdatasync = { p50: percentile(disk.fdatasync, 50), p99: percentile(disk.fdatasync, 99) };
      const samples = `${LATENCY_SAMPLES} sequential events per path, interleaved`;
      const rows: BenchRow[] = [
        { name: 'durable append of one event line p50 (O_DSYNC write, as the journal)', value: dsync.p50, unit: 'ms', baseline: { name: 'write + fdatasync', value: fdatasync.p50 }, note: `the disk: what durable-before-publish costs each event at least; ${load}` },
        { name: 'durable append of one event line p99', value: dsync.p99, unit: 'ms', baseline: { name: 'write + fdatasync', value: fdatasync.p99 }, note: `${LATENCY_SAMPLES} samples, interleaved with the events` },
        { name: 'event latency p50, emit → MQTT subscriber', value: us.p50, unit: 'ms', baseline: { name: bare.name, value: them.p50 }, note: verdict('≤ 2× bare', us.p50 <= 2 * them.p50, samples) },
        { name: 'event latency p50, against the durable floor', value: us.p50, unit: 'ms', baseline: { name: durable.name, value: floor.p50 }, note: 'what the event log and reporter add to mqtt.js + one durable write' },
        { name: 'event latency p99, emit → MQTT subscriber', value: us.p99, unit: 'ms', baseline: { name: bare.name, value: them.p99 }, note: verdict('≤ 1.5× bare and ≤ 2 ms', us.p99 <= 1.5 * them.p99 && us.p99 <= 2, load) },
        { name: 'event latency p99, against the durable floor', value: us.p99, unit: 'ms', baseline: { name: durable.name, value: floor.p99 }, note: 'the disk\'s tail is in both' },
        { name: 'sustained event rate to MQTT subscriber', value: us.rate, unit: 'events/s', baseline: { name: bare.name, value: them.rate }, note: verdict('≥ 0.8× bare', us.rate >= 0.8 * them.rate, `median of ${RATE_ROUNDS} bursts of ${RATE_EVENTS}, all delivered in order; the reporter keeps ≤ the broker's Receive Maximum in flight, bare mqtt.js does not`) },
        { name: 'sustained event rate, against the durable floor', value: us.rate, unit: 'events/s', baseline: { name: durable.name, value: floor.rate }, note: 'both commit each burst in one durable write' },
        { name: 'CPU per event in a burst (publisher + subscriber)', value: us.cpu, unit: 'µs', baseline: { name: bare.name, value: them.cpu }, note: 'process CPU time, less sensitive to other load than wall time' },
        { name: 'state publishes while events flow', value: statePublishes, unit: '', note: verdict(`0 in ${events} events (offered on every event, published only on change)`, statePublishes === 0, 'the state did not change') },
      ];
      if (previous) {
        const then = figure(previous);
        const name = 'before';
        rows.push(
          { name: 'before → after: event latency p50', value: us.p50, unit: 'ms', baseline: { name, value: then.p50 }, note: previous.name },
          { name: 'before → after: event latency p99', value: us.p99, unit: 'ms', baseline: { name, value: then.p99 } },
          { name: 'before → after: sustained event rate', value: us.rate, unit: 'events/s', baseline: { name, value: then.rate } },
          { name: 'before → after: CPU per event in a burst', value: us.cpu, unit: 'µs', baseline: { name, value: then.cpu } },
        );
      }
      return rows;
    } finally {
      for (const stop of stopping.reverse()) await stop().catch(() => undefined);
      await broker.close();
      await rm(dir, { recursive: true, force: true });
    }
  },
};

export default bench;
