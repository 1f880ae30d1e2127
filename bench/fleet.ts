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
 * the phone has it. Each phone's parameters live in memory (the durable store's fsyncs would
 * measure the bench machine's disk, not the server's load). Bytes served are body plus an
 * estimated header size (below).
 */
import { TypedBus, type DaemonEvents } from '../daemon/bus/index.js';
import type { FetchRequest, FetchResult } from '../daemon/http/index.js';
import { Logger } from '../daemon/log/index.js';
import type { Clock } from '../daemon/clock/index.js';
import { ResyncEngine, profileParser, rulesLanguage, scheduleMath } from '../daemon/resync/index.js';
import { createMemoryVault } from '../daemon/vault/index.js';
import { FakeParams, FakePrompts } from '../test/fixtures/resync/fakes.js';
import type { BenchModule, BenchRow } from './types.js';

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

  /** Fires every timer due up to `end`; the work a batch starts (promises only) settles before time moves on. */
  async runUntil(end: number): Promise<void> {
    while (this.heap.length > 0 && this.heap[0]!.due <= end) {
      const due = this.heap[0]!.due;
      this.time = due;
      while (this.heap.length > 0 && this.heap[0]!.due === due) {
        const timer = this.pop();
        if (this.cancelled.delete(timer.id)) continue;
        timer.callback();
      }
      // The engines' resyncs run on promises alone here (no real I/O): one macrotask turn drains them.
      await new Promise((resolve) => setImmediate(resolve));
      await new Promise((resolve) => setImmediate(resolve));
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
  const clock = new VirtualClock();
  const server = new FleetServer(clock, scenario.conditional);
  const logger = new Logger({ level: 'error', sink: { out: () => undefined, err: () => undefined } });
  const engines: ResyncEngine[] = [];
  const parser = profileParser();
  const outcomes = { succeeded: 0, unchanged: 0, failed: 0 };
  // One seeded generator for the fleet: the same spread every run.
  let seed = 0x2545f491;
  const random = (): number => {
    seed ^= seed << 13;
    seed ^= seed >>> 17;
    seed ^= seed << 5;
    return (seed >>> 0) / 2 ** 32;
  };
  for (let i = 0; i < phones; i++) {
    const mac = macOf(i);
    const bus = new TypedBus<DaemonEvents>();
    bus.on('event', (event) => {
      if (event.type === 'resync.succeeded') outcomes.succeeded++;
      else if (event.type === 'resync.unchanged') outcomes.unchanged++;
      else if (event.type === 'resync.failed') outcomes.failed++;
    });
    const params = new FakeParams(bus, {
      Provision_Enable: 'Yes',
      Resync_On_Reset: 'Yes',
      Resync_Random_Delay: scenario.randomDelay,
      Resync_Periodic: scenario.periodic,
      Resync_Error_Retry_Delay: '3600',
      Profile_Rule: 'http://prov.example.net/cfg/$MA.xml',
    });
    const engine = new ResyncEngine({
      params,
      vault: createMemoryVault(),
      source: { fetch: (request) => server.fetch(request) },
      parser,
      rules: rulesLanguage,
      schedule: scheduleMath,
      prompts: new FakePrompts(),
      bus,
      logger,
      device: { id: mac.replace(/:/g, ''), mac, serial: `SN${i}`, model: 'SPA942', productSeries: '942', swVersion: '6.1.5', hwVersion: '1.0', ip: '10.0.0.1' },
      clock,
      random,
      lookup: () => Promise.resolve('192.0.2.1'),
    });
    engines.push(engine);
  }
  // The site's power comes back: every phone starts at the same moment.
  for (const engine of engines) engine.start();
  await clock.runUntil(dayMs);
  for (const engine of engines) engine.stop();
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
    ...scenario,
    phones,
    requests: server.requests,
    notModified: server.notModified,
    peakPerSecond,
    peakSecond,
    bytesServed: server.bytes,
    peakBytesPerSecond,
    steadyPeakPerSecond,
    wallMs: Number(process.hrtime.bigint() - started) / 1e6,
    outcomes,
  };
}

export const SCENARIOS: readonly Scenario[] = ['0', '2'].flatMap((randomDelay) =>
  ['3600', '3600+600'].flatMap((periodic) => [true, false].map((conditional) => ({ randomDelay, periodic, conditional }))),
);

/** Every fleet figure, written by bench/run.ts into bench/results.json. */
export const fleetResults: FleetResult[] = [];

const bench: BenchModule = {
  title: `fleet: ${PHONES} phones (real resync engines, virtual clock), one server, one simulated day after a site-wide power-up`,
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
        note: `at t=${result.peakSecond} s, after the first hour ${result.steadyPeakPerSecond}/s; ${result.requests} requests (${result.notModified} × 304); simulated in ${(result.wallMs / 1000).toFixed(1)} s`,
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
