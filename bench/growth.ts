/**
 * Growth (SPEC §12, issue 14): time and memory as the work grows, each with its growth ratio
 * — the cost per unit at the large size over the cost per unit at the small size — so that a
 * super-linear path shows as a ratio above 1. The goal is about linear: a ratio ≤ 1.5.
 * - parameters: a resync of a profile of 1k / 10k / 100k parameters through the whole daemon
 *   (fetch, parse, apply, durable store), and what an unchanged resync costs once the phone
 *   holds that many (that one should not grow at all: the ratio is per resync, not per unit);
 * - resyncs: 100 → 10,000 unchanged resyncs in one daemon, time per resync and heap kept;
 * - events: 10 → 1,000 events queued while the MQTT broker (Mosquitto) is away, then drained
 *   once it is back: time per event from the reconnect until the broker acknowledged all;
 * - clients: 1 → 200 WebSocket clients on the local feed, time per delivery (one event to
 *   every client, per client) and memory per client.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import WebSocket from 'ws';
import { TypedBus, type DaemonEvents } from '../daemon/bus/index.js';
import { EventLog } from '../daemon/events/index.js';
import { Logger, Redactor } from '../daemon/log/index.js';
import { MqttReporter } from '../daemon/mqtt/index.js';
import { startApache } from '../test/fixtures/http/apache.js';
import { startMosquitto } from '../test/fixtures/mqtt/mosquitto.js';
import { flatProfile, settledMemory, startBenchApp } from './app.js';
import { feedEvent, feedTarget } from './feed.js';
import type { BenchModule, BenchRow, Goal } from './types.js';
import { timed } from './util.js';

const LINEAR: Goal = { max: 1.5 };
const USER = 'bench';
const PASSWORD = 'bench-growth-password';

/** A compact flat profile: 100k parameters stay under the default 4 MiB profile limit. */
function compactProfile(count: number, tag = ''): string {
  const lines = Array.from({ length: count }, (_, i) => `<P${i}_>v${i}${tag}</P${i}_>`);
  return `<flat-profile>\n${lines.join('\n')}\n</flat-profile>\n`;
}

/**
 * `from`: the size the ratio starts at. Memory starts at the middle size: at the smallest,
 * what a few units keep is below what a collection leaves behind anyway.
 */
function growthRow(name: string, sizes: readonly number[], perUnit: readonly number[], unitName: string, note = '', from = 0): BenchRow {
  const small = perUnit[from]!;
  const large = perUnit[perUnit.length - 1]!;
  const steps = perUnit.map((v) => v.toPrecision(3)).join(' → ');
  return {
    name: `${name}: growth ${sizes[from]} → ${sizes[sizes.length - 1]}`,
    value: large / small,
    unit: '×',
    goal: LINEAR,
    note: `per ${unitName}: ${steps}${note ? `; ${note}` : ''}`,
  };
}

async function parameters(dir: string): Promise<BenchRow[]> {
  const SIZES = [1_000, 10_000, 100_000];
  const UNCHANGED = 30;
  const rows: BenchRow[] = [];
  const firstPerParam: number[] = [];
  const unchangedMs: number[] = [];
  const heaps: number[] = [];
  const apache = await startApache({ areas: [{ path: '/p', auth: { scheme: 'Digest', realm: 'bench', users: { [USER]: PASSWORD } } }] });
  try {
    // JIT warm-up of the whole path, so the small size is not charged for compiling it.
    writeFileSync(path.join(apache.docroot, 'p/warm.xml'), compactProfile(1000));
    const warm = await startBenchApp(mkdtempSync(path.join(dir, 'warm-')), `[--uid ${USER} --pwd ${PASSWORD}]${apache.origin}/p/warm.xml`);
    for (let i = 0; i < 20; i++) {
      writeFileSync(path.join(apache.docroot, 'p/warm.xml'), compactProfile(1000, `w${i}`));
      await warm.resync.resyncNow();
    }
    await warm.stop();
    for (const size of SIZES) {
      writeFileSync(path.join(apache.docroot, `p/${size}.xml`), compactProfile(size));
      const before = settledMemory();
      const app = await startBenchApp(mkdtempSync(path.join(dir, `params-${size}-`)), `[--uid ${USER} --pwd ${PASSWORD}]${apache.origin}/p/${size}.xml`);
      try {
        let result = '';
        const first = await timed(async () => (result = (await app.resync.resyncNow()).result));
        if (result !== 'succeeded') throw new Error(`growth bench: the ${size}-parameter resync ended ${result}`);
        const held = settledMemory();
        const used = process.cpuUsage();
        for (let i = 0; i < UNCHANGED; i++) await app.resync.resyncNow();
        const spent = process.cpuUsage(used);
        const total = (spent.user + spent.system) / 1000;
        firstPerParam.push((first / size) * 1000);
        unchangedMs.push(total / UNCHANGED);
        heaps.push(held.heap - before.heap);
        rows.push({ name: `resync of ${size / 1000}k parameters (fetch, parse, apply, store)`, value: first, unit: 'ms', note: `heap held +${(held.heap - before.heap).toFixed(1)} MiB; an unchanged resync then takes ${(total / UNCHANGED).toFixed(2)} ms CPU` });
      } finally {
        await app.stop();
      }
    }
  } finally {
    await apache.stop();
  }
  rows.push(growthRow('resync of a profile', SIZES, firstPerParam, 'parameter (µs)'));
  rows.push(growthRow('heap held', SIZES, heaps.map((h, i) => (h * 2 ** 20) / SIZES[i]!), 'parameter (bytes)', '', 1));
  rows.push({ ...growthRow('unchanged resync, parameters held', SIZES, unchangedMs, 'resync (ms CPU)', `mean of ${UNCHANGED}; per resync, not per parameter: it should stay flat`), name: `CPU per unchanged resync holding ${SIZES[0]! / 1000}k → ${SIZES[SIZES.length - 1]! / 1000}k parameters` });
  return rows;
}

async function resyncs(dir: string): Promise<BenchRow[]> {
  const SIZES = [100, 1_000, 10_000];
  const apache = await startApache({ areas: [{ path: '/p', auth: { scheme: 'Digest', realm: 'bench', users: { [USER]: PASSWORD } } }], files: { 'p/phone.xml': flatProfile(200) } });
  const app = await startBenchApp(mkdtempSync(path.join(dir, 'resyncs-')), `[--uid ${USER} --pwd ${PASSWORD}]${apache.origin}/p/phone.xml`);
  try {
    // Until the JIT and the caches have settled: what the first thousand resyncs keep is code, not state.
    for (let i = 0; i < 1000; i++) await app.resync.resyncNow();
    const start = settledMemory();
    const perResync: number[] = [];
    const heapPer: number[] = [];
    const rssAt: number[] = [];
    let done = 0;
    let elapsed = 0;
    for (const size of SIZES) {
      elapsed += await timed(async () => {
        for (; done < size; done++) await app.resync.resyncNow();
      });
      const now = settledMemory();
      perResync.push(elapsed / size);
      heapPer.push(((now.heap - start.heap) * 2 ** 20) / size);
      rssAt.push(now.rss - start.rss);
    }
    return [
      { name: `${SIZES[SIZES.length - 1]} unchanged resyncs (200 parameters)`, value: elapsed / done, unit: 'ms', note: `mean per resync; heap ${start.heap.toFixed(1)} → ${(start.heap + (heapPer[heapPer.length - 1]! * done) / 2 ** 20).toFixed(1)} MiB, RSS +${rssAt[rssAt.length - 1]!.toFixed(1)} MiB` },
      growthRow('unchanged resyncs, time', SIZES, perResync, 'resync (ms), cumulative mean'),
      {
        name: `heap kept per unchanged resync after ${SIZES[SIZES.length - 1]}`,
        value: heapPer[heapPer.length - 1]!,
        unit: 'bytes',
        goal: { max: 100 },
        note: `after gc, from the 1,001st resync; at ${SIZES.join(' / ')}: ${heapPer.map((b) => b.toFixed(0)).join(' / ')} bytes per resync; RSS ${rssAt.map((r) => (r >= 0 ? '+' : '') + r.toFixed(1)).join(' / ')} MiB`,
      },
    ];
  } finally {
    await app.stop();
    await apache.stop();
  }
}

/** Queues `size` events while the broker is stopped, starts it again and waits until all are acknowledged. */
async function queueOnce(size: number): Promise<{ drained: number; queued: number; heapKiB: number }> {
  const dir = await mkdtemp(path.join(tmpdir(), 'provisiond-bench-queue-'));
  const broker = await startMosquitto({ users: { [USER]: PASSWORD }, extraConfig: 'max_queued_messages 0' });
  const passwordFile = path.join(dir, 'mqtt.pw');
  await writeFile(passwordFile, PASSWORD);
  const bus = new TypedBus<DaemonEvents>();
  const log = new Logger({ level: 'error', redactor: new Redactor(), sink: { out: () => undefined, err: () => undefined } });
  const eventLog = new EventLog({ bus, stateDir: dir, device: 'phone1', log });
  let connectedAt = 0;
  let connected = false;
  const reporter = new MqttReporter({
    settings: { url: broker.url, topicPrefix: 'bench', username: USER, passwordFile, commands: false, outboxMax: 10_000 },
    device: 'phone1',
    stateDir: dir,
    bus,
    events: eventLog,
    log,
    snapshot: () => ({}),
    backoff: { initialMs: 50, maxMs: 100 },
    onConnectionChange: (up) => {
      connected = up;
      if (up) connectedAt = performance.now();
    },
  });
  try {
    await eventLog.start();
    await reporter.start();
    const until = async (done: () => boolean, what: string) => {
      const deadline = Date.now() + 60_000;
      while (!done()) {
        if (Date.now() > deadline) throw new Error(`growth bench: ${what} within 60 s`);
        await new Promise((resolve) => setTimeout(resolve, 1));
      }
    };
    await until(() => connected, 'no connection');
    await broker.stop();
    await until(() => !connected, 'the reporter did not notice the broker stop');
    const before = settledMemory();
    const queued = await timed(async () => {
      for (let i = 0; i < size; i++) bus.emit('event', { type: 'resync.unchanged', url: 'https://prov.example/spa.cfg' });
      await eventLog.settled();
    });
    const held = settledMemory();
    await broker.start();
    await until(() => connected, 'no reconnection');
    await until(() => {
      const status = reporter.status();
      return status.pending === 0 && status.inFlight === 0;
    }, `${size} queued events were not acknowledged`);
    return { drained: performance.now() - connectedAt, queued, heapKiB: (held.heap - before.heap) * 1024 };
  } finally {
    await reporter.stop();
    await eventLog.stop();
    await broker.close();
    await rm(dir, { recursive: true, force: true });
  }
}

async function queuedEvents(): Promise<BenchRow[]> {
  const SIZES = [10, 100, 1_000];
  const rows: BenchRow[] = [];
  const perEvent: number[] = [];
  const queuePer: number[] = [];
  await queueOnce(SIZES[0]!); // warm-up: the first round pays for compiling the path
  for (const size of SIZES) {
    const { drained, queued, heapKiB } = await queueOnce(size);
    perEvent.push(drained / size);
    queuePer.push(queued / size);
    rows.push({ name: `${size} events queued, broker away, then drained`, value: drained, unit: 'ms', note: `reconnect → all acknowledged (QoS 1); queueing took ${queued.toFixed(1)} ms, heap +${heapKiB.toFixed(0)} KiB` });
  }
  rows.push(growthRow('drain of queued events', SIZES, perEvent, 'event (ms)'));
  rows.push(growthRow('queueing events while away', SIZES, queuePer, 'event (ms)', 'emit → journal, fsynced'));
  return rows;
}

async function clients(): Promise<BenchRow[]> {
  const SIZES = [1, 10, 200];
  const EVENTS = 100;
  const rows: BenchRow[] = [];
  const perDelivery: number[] = [];
  const memoryPer: number[] = [];
  const dir = await mkdtemp(path.join(tmpdir(), 'provisiond-bench-clients-'));
  try {
    for (const size of SIZES) {
      const target = await feedTarget(dir);
      const before = settledMemory();
      let received = 0;
      let waitingFor = Infinity;
      let wake: (() => void) | undefined;
      const sockets = await Promise.all(
        Array.from({ length: size }, () => {
          const ws = new WebSocket(target.url, { perMessageDeflate: false });
          ws.on('message', (data) => {
            const message = JSON.parse((data as Buffer).toString()) as { type: string };
            if (message.type !== 'event') return;
            if (++received >= waitingFor) wake?.();
          });
          return new Promise<WebSocket>((resolve) => ws.once('open', () => resolve(ws)));
        }),
      );
      await new Promise((resolve) => setTimeout(resolve, 200));
      const connected = settledMemory();
      // One event at a time, each to every client; the first few warm the path up.
      const deliver = async (count: number, first: number) => {
        for (let seq = first; seq < first + count; seq++) {
          const all = new Promise<void>((resolve) => {
            waitingFor = received + size;
            wake = resolve;
          });
          target.send(feedEvent(seq));
          await all;
        }
      };
      await deliver(10, 1);
      const ms = await timed(() => deliver(EVENTS, 11));
      for (const ws of sockets) ws.terminate();
      await target.close();
      perDelivery.push((ms / EVENTS / size) * 1000);
      memoryPer.push(((connected.heap - before.heap) * 2 ** 20) / size / 1024);
      rows.push({ name: `${size} WebSocket client${size > 1 ? 's' : ''}: one event to all`, value: ms / EVENTS, unit: 'ms', note: `mean of ${EVENTS}; heap +${((connected.heap - before.heap) * 1024).toFixed(0)} KiB with the clients connected (clients in-process)` });
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  rows.push(growthRow('WebSocket feed delivery', SIZES, perDelivery, 'delivery (µs)'));
  rows.push(growthRow('WebSocket heap', SIZES, memoryPer, 'client (KiB, both ends in-process)', '', 1));
  return rows;
}

const bench: BenchModule = {
  title: 'growth: time and memory per unit as the work grows (goal ≈ linear, ratio ≤ 1.5)',
  async run(): Promise<BenchRow[]> {
    const dir = mkdtempSync(path.join(tmpdir(), 'provisiond-bench-growth-'));
    try {
      return [...(await parameters(dir)), ...(await resyncs(dir)), ...(await queuedEvents()), ...(await clients())];
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  },
};

export default bench;
