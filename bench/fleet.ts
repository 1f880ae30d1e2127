/**
 * Fleet simulation (SPEC §12): 1,000 phones, each the real resync engine (real rule
 * language, schedule arithmetic and profile parser) on one injected virtual clock, against one
 * provisioning server, over a simulated day after a site-wide power-up. The server's peak
 * requests per second and bytes served answer how a deployment of thousands of phones is
 * planned: with `Resync_Random_Delay` 0 and 2 (×20 s), with and without conditional GET, and
 * with `Resync_Periodic` 3600 and 3600+600.
 *
 * What is simulated and why: the server is in-process and answers on virtual time, so that a
 * simulated day takes seconds (a loopback HTTP server would count wall-clock seconds, not the
 * phones' schedule). It keeps, per phone, the validator the phone's fetcher would store
 * (daemon/http keeps ETag/Last-Modified per URL and sends If-None-Match), answering 304 when
 * the phone has it. Each phone has its own real parameter store (daemon/params) in its own
 * state directory under one temporary directory, removed at the end; every applied profile is
 * a durable write there, as on a phone. Virtual time moves on only once every resync a moment
 * started has ended, its writes included, so the disk slows the run but does not change the
 * figures. The state directories are on tmpfs (/dev/shm) where there is one: on a disk, the
 * four fsyncs of each applied profile (the state file and its `.prev` copy, each file and
 * directory) times 25,000 plain-GET resyncs make the run minutes longer and measure the bench
 * machine's disk, not the server's load (the vault and events benches time the disk).
 * `PROVISIOND_BENCH_STATE_DIR` puts them elsewhere (e.g. a directory on the disk); the notes
 * name the filesystem. Bytes served are body plus an estimated header size (below).
 */
import { existsSync } from 'node:fs';
import { mkdtemp, mkdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { TypedBus, type DaemonEvents } from '../daemon/bus/index.js';
import type { FetchRequest, FetchResult } from '../daemon/http/index.js';
import { Logger } from '../daemon/log/index.js';
import type { Clock } from '../daemon/clock/index.js';
import { ParamStore } from '../daemon/params/index.js';
import { ResyncEngine } from '../daemon/resync/index.js';
import { createMemoryVault } from '../daemon/vault/index.js';
import { FakePrompts } from '../test/fixtures/resync/fakes.js';
import type { BenchModule, BenchRow } from './types.js';
import { filesystemOf } from './util.js';

const PHONES = 1000;
const DAY_MS = 24 * 3600 * 1000;
/** Response header bytes, an estimate for Apache 2.4 (Date, Server, Last-Modified, ETag, Content-Length, Content-Type): a 200 and a 304. */
const HEADER_BYTES_200 = 260;
const HEADER_BYTES_304 = 180;
const PARAMETERS = 200;

export interface Scenario {
  readonly randomDelay: string;
  readonly periodic: string;
  readonly conditional: boolean;
}

export interface FleetResult extends Scenario {
  readonly phones: number;
  readonly requests: number;
  readonly notModified: number;
  readonly peakPerSecond: number;
  readonly peakSecond: number;
  readonly bytesServed: number;
  readonly peakBytesPerSecond: number;
  /** The peak after the first hour: the periodic schedule's own herd, once the power-up has passed. */
  readonly steadyPeakPerSecond: number;
  readonly wallMs: number;
  /** Where the phones' state directories were (`filesystemOf`). */
  readonly filesystem: string;
  /** The phones' own account of their resyncs: a failed one would mean the simulation measures retries. */
  readonly outcomes: { readonly succeeded: number; readonly unchanged: number; readonly failed: number };
}

/** One clock for the whole fleet: a min-heap of timers, fired in due order. */
class VirtualClock implements Clock {
  time = 0;
  private heap: { due: number; id: number; callback: () => void }[] = [];
  private readonly cancelled = new Set<number>();
  private nextId = 1;

  now(): number {
    return this.time;
  }

  monotonic(): number {
    return this.time;
  }

  setTimer(callback: () => void, ms: number): unknown {
    const id = this.nextId++;
    this.push({ due: this.time + Math.max(0, ms), id, callback });
    return id;
  }

  clearTimer(handle: unknown): void {
    this.cancelled.add(handle as number);
  }

  /** Resolves once the work a batch of timers started has ended (the resyncs and their store writes). */
  quiesce: () => Promise<void> = () => Promise.resolve();

  /** Fires every timer due up to `end`; the work a batch starts settles before time moves on. */
  async runUntil(end: number): Promise<void> {
    while (this.heap.length > 0 && this.heap[0]!.due <= end) {
      const due = this.heap[0]!.due;
      this.time = due;
      while (this.heap.length > 0 && this.heap[0]!.due === due) {
        const timer = this.pop();
        if (this.cancelled.delete(timer.id)) continue;
        timer.callback();
      }
      await this.quiesce();
    }
    this.time = end;
  }

  private push(item: { due: number; id: number; callback: () => void }): void {
    const heap = this.heap;
    heap.push(item);
    let i = heap.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (before(heap[parent]!, heap[i]!)) break;
      [heap[parent], heap[i]] = [heap[i]!, heap[parent]!];
      i = parent;
    }
  }

  private pop(): { due: number; id: number; callback: () => void } {
    const heap = this.heap;
    const top = heap[0]!;
    const last = heap.pop()!;
    if (heap.length > 0) {
      heap[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < heap.length && before(heap[l]!, heap[m]!)) m = l;
        if (r < heap.length && before(heap[r]!, heap[m]!)) m = r;
        if (m === i) break;
        [heap[m], heap[i]] = [heap[i]!, heap[m]!];
        i = m;
      }
    }
    return top;
  }
}

function before(a: { due: number; id: number }, b: { due: number; id: number }): boolean {
  return a.due < b.due || (a.due === b.due && a.id < b.id);
}

function profile(): Buffer {
  const lines = Array.from({ length: PARAMETERS }, (_, i) => `  <Line_${i}_>value ${i}</Line_${i}_>`);
  return Buffer.from(`<flat-profile>\n${lines.join('\n')}\n</flat-profile>\n`);
}

/** The provisioning server: counts requests and bytes per virtual second. */
class FleetServer {
  readonly perSecond = new Map<number, { requests: number; bytes: number }>();
  requests = 0;
  notModified = 0;
  bytes = 0;
  private readonly body = profile();
  private readonly etag = '"fleet-1"';
  /** The validator each phone's fetcher holds, by URL (the URL names the phone's MAC). */
  private readonly validators = new Set<string>();

  private readonly clock: VirtualClock;
  private readonly conditional: boolean;

  constructor(clock: VirtualClock, conditional: boolean) {
    this.clock = clock;
    this.conditional = conditional;
  }

  fetch(request: FetchRequest): Promise<FetchResult> {
    const second = Math.floor(this.clock.now() / 1000);
    const slot = this.perSecond.get(second) ?? { requests: 0, bytes: 0 };
    this.perSecond.set(second, slot);
    this.requests++;
    slot.requests++;
    const unchanged = this.conditional && request.conditional !== false && this.validators.has(request.url);
    const bytes = unchanged ? HEADER_BYTES_304 : HEADER_BYTES_200 + this.body.length;
    this.bytes += bytes;
    slot.bytes += bytes;
    if (unchanged) {
      this.notModified++;
      return Promise.resolve({ status: 304, headers: { etag: this.etag }, body: Buffer.alloc(0), url: request.url, notModified: true, requests: 1, redirects: 0 });
    }
    if (this.conditional) this.validators.add(request.url);
    return Promise.resolve({ status: 200, headers: { etag: this.etag }, body: this.body, url: request.url, notModified: false, requests: 1, redirects: 0 });
  }
}

function macOf(index: number): string {
  const hex = (0x000e08000000 + index).toString(16).padStart(12, '0');
  return hex.match(/../g)!.join(':');
}

export async function simulate(scenario: Scenario, phones = PHONES, dayMs = DAY_MS): Promise<FleetResult> {
  const started = process.hrtime.bigint();
  const root = await mkdtemp(path.join(stateBase(), 'provisiond-bench-fleet-'));
  const filesystem = filesystemOf(root);
  const clock = new VirtualClock();
  const server = new FleetServer(clock, scenario.conditional);
  let outcomes: FleetResult['outcomes'];
  try {
    outcomes = await runFleet(scenario, phones, dayMs, clock, server, root);
  } finally {
    await rm(root, { recursive: true, force: true });
  }
  return { ...scenario, phones, ...figures(server), wallMs: Number(process.hrtime.bigint() - started) / 1e6, filesystem, outcomes };
}

/** Where the phones' state directories go: `PROVISIOND_BENCH_STATE_DIR`, else tmpfs if there is one, else the temp directory. */
function stateBase(): string {
  const chosen = process.env.PROVISIOND_BENCH_STATE_DIR;
  if (chosen !== undefined && chosen !== '') return chosen;
  return existsSync('/dev/shm') ? '/dev/shm' : tmpdir();
}

/** The phones, each a real engine on its own real parameter store under `root`, over the simulated day; their resyncs' outcomes. */
async function runFleet(scenario: Scenario, phones: number, dayMs: number, clock: VirtualClock, server: FleetServer, root: string): Promise<FleetResult['outcomes']> {
  const logger = new Logger({ level: 'error', sink: { out: () => undefined, err: () => undefined } });
  const engines: ResyncEngine[] = [];
  const outcomes = { succeeded: 0, unchanged: 0, failed: 0 };
  // One seeded generator for the fleet: the same spread every run.
  let seed = 0x2545f491;
  const random = (): number => {
    seed ^= seed << 13;
    seed ^= seed >>> 17;
    seed ^= seed << 5;
    return (seed >>> 0) / 2 ** 32;
  };
  /** The engines with a resync in flight: virtual time waits for them. */
  const running = new Set<ResyncEngine>();
  clock.quiesce = async () => {
    for (;;) {
      await new Promise((resolve) => setImmediate(resolve));
      if (running.size === 0) return;
      await Promise.all([...running].map((engine) => engine.idle()));
    }
  };
  for (let i = 0; i < phones; i++) {
    const mac = macOf(i);
    const bus = new TypedBus<DaemonEvents>();
    bus.on('event', (event) => {
      if (event.type === 'resync.succeeded') outcomes.succeeded++;
      else if (event.type === 'resync.unchanged') outcomes.unchanged++;
      else if (event.type === 'resync.failed') outcomes.failed++;
    });
    const stateDir = path.join(root, mac.replace(/:/g, ''));
    await mkdir(stateDir);
    // The fleet's settings file: the same factory values on every phone.
    const params = new ParamStore({
      stateDir,
      factory: {
        Provision_Enable: 'Yes',
        Resync_On_Reset: 'Yes',
        Resync_Random_Delay: scenario.randomDelay,
        Resync_Periodic: scenario.periodic,
        Resync_Error_Retry_Delay: '3600',
        Profile_Rule: 'http://prov.example.net/cfg/$MA.xml',
      },
      logger,
    });
    await params.load();
    params.onChange((names) => bus.emit('params.changed', names));
    const engine = new ResyncEngine({
      params,
      vault: createMemoryVault(),
      source: { fetch: (request) => server.fetch(request) },
      prompts: new FakePrompts(),
      bus,
      logger,
      device: { id: mac.replace(/:/g, ''), mac, serial: `SN${i}`, model: 'SPA942', productSeries: '942', swVersion: '6.1.5', hwVersion: '1.0', ip: '10.0.0.1' },
      clock,
      random,
      lookup: () => Promise.resolve('192.0.2.1'),
    });
    engine.onChange(() => {
      if (engine.status().running) running.add(engine);
      else running.delete(engine);
    });
    engines.push(engine);
  }
  // The site's power comes back: every phone starts at the same moment.
  for (const engine of engines) engine.start();
  try {
    await clock.runUntil(dayMs);
  } finally {
    for (const engine of engines) engine.stop();
    // No store write may still be running when the state directories are removed.
    await Promise.all(engines.map((engine) => engine.idle()));
  }
  return outcomes;
}

/** The server's figures over the day. */
function figures(server: FleetServer): Omit<FleetResult, keyof Scenario | 'phones' | 'wallMs' | 'filesystem' | 'outcomes'> {
  let peakPerSecond = 0;
  let peakSecond = 0;
  let peakBytesPerSecond = 0;
  let steadyPeakPerSecond = 0;
  for (const [second, slot] of server.perSecond) {
    if (second >= 3600) steadyPeakPerSecond = Math.max(steadyPeakPerSecond, slot.requests);
    if (slot.requests > peakPerSecond) {
      peakPerSecond = slot.requests;
      peakSecond = second;
    }
    peakBytesPerSecond = Math.max(peakBytesPerSecond, slot.bytes);
  }
  return {
    requests: server.requests,
    notModified: server.notModified,
    peakPerSecond,
    peakSecond,
    bytesServed: server.bytes,
    peakBytesPerSecond,
    steadyPeakPerSecond,
  };
}

export const SCENARIOS: readonly Scenario[] = ['0', '2'].flatMap((randomDelay) =>
  ['3600', '3600+600'].flatMap((periodic) => [true, false].map((conditional) => ({ randomDelay, periodic, conditional }))),
);

/** Every fleet figure, written by bench/run.ts into bench/results.json. */
export const fleetResults: FleetResult[] = [];

const bench: BenchModule = {
  title: `fleet: ${PHONES} phones (real resync engines and parameter stores, virtual clock), one server, one simulated day after a site-wide power-up`,
  async run(): Promise<BenchRow[]> {
    const rows: BenchRow[] = [];
    fleetResults.length = 0;
    for (const scenario of SCENARIOS) {
      const result = await simulate(scenario);
      if (result.outcomes.failed > 0) throw new Error(`${result.outcomes.failed} resyncs failed in the fleet simulation (${JSON.stringify(scenario)})`);
      fleetResults.push(result);
      const label = `delay ${scenario.randomDelay} (×20 s), periodic ${scenario.periodic}, ${scenario.conditional ? 'conditional GET' : 'plain GET'}`;
      rows.push({
        name: `${label}: peak requests/s`,
        value: result.peakPerSecond,
        unit: 'req/s',
        note: `at t=${result.peakSecond} s, after the first hour ${result.steadyPeakPerSecond}/s; ${result.requests} requests (${result.notModified} × 304); simulated in ${(result.wallMs / 1000).toFixed(1)} s; state: ${result.filesystem}`,
      });
      rows.push({
        name: `${label}: bytes served in the day`,
        value: result.bytesServed / 2 ** 20,
        unit: 'MiB',
        note: `peak ${(result.peakBytesPerSecond / 2 ** 10).toFixed(0)} KiB/s`,
      });
    }
    return rows;
  },
};

export default bench;
