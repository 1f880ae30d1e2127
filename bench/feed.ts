/**
 * Local feed benchmark (SPEC §12): latency from a `recorded` event on the bus to each of 100
 * WebSocket clients on the Unix socket (p50, p99), and the sustained event rate delivered to
 * all of them. The competitor is a bare `ws` server broadcasting the same JSON in the same
 * run, so the ratio is the feed's own overhead. Clients run in the same process as the
 * server (one core does both), so absolute numbers are pessimistic.
 */
import { createServer } from 'node:http';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import WebSocket, { WebSocketServer } from 'ws';
import { TypedBus, type DaemonEvents, type RecordedEvent } from '../daemon/bus/index.js';
import { DisplayFeed, startDisplayServers, type DisplayBackend, type DisplayState } from '../daemon/display/index.js';
import { Logger, Redactor } from '../daemon/log/index.js';
import { PromptBroker } from '../daemon/prompts/index.js';
import type { BenchModule, BenchRow } from './types.js';

const CLIENTS = 100;
const LATENCY_EVENTS = 300;
const RATE_EVENTS = 5000;

const STATE: DisplayState = {
  device: { id: 'SEP001122334455' },
  resync: { running: false, last: null, next: null },
  em: { enabled: false, state: '' },
  mqtt: { connected: true },
};

const backend: DisplayBackend = {
  snapshot: () => STATE,
  run: async () => ({ ok: false, error: { code: 'command_unavailable', message: 'the bench runs no commands' } }),
  softkey: async () => undefined,
  onChange: () => () => undefined,
};

/** The event every feed benchmark sends (also the growth module's). */
export function feedEvent(seq: number): RecordedEvent {
  return { v: 1, seq, ts: new Date().toISOString(), device: 'SEP001122334455', type: 'auth.challenge', operation: 'resync', url: 'https://prov.example/spa.xml', realm: 'provisioning', scheme: 'Digest', algorithm: 'SHA-256' };
}

/** Where a run sends events and how clients connect; the same harness measures both servers. */
export interface Target {
  readonly url: string;
  send(event: RecordedEvent): void;
  close(): Promise<void>;
}

/** The daemon's feed (DisplayFeed on the Unix socket) fed from a bus. */
export async function feedTarget(dir: string): Promise<Target> {
  const bus = new TypedBus<DaemonEvents>();
  const redactor = new Redactor();
  const feed = new DisplayFeed({
    backend,
    prompts: new PromptBroker({ bus, timeoutSeconds: 300, redactor }),
    bus,
    token: 'bench-token-bench-token-bench-token',
    maxPayload: 64 * 1024,
    logger: new Logger({ sink: { out: () => undefined, err: () => undefined }, redactor }),
    redactor,
  });
  feed.start();
  const socketPath = path.join(dir, 'display.sock');
  const servers = await startDisplayServers({ feed, socketPath });
  return {
    url: `ws+unix:${socketPath}:/ws`,
    send: (e) => bus.emit('recorded', e),
    async close() {
      await feed.stop();
      await servers.close();
    },
  };
}

async function bareTarget(dir: string): Promise<Target> {
  const socketPath = path.join(dir, 'bare.sock');
  const server = createServer();
  const wss = new WebSocketServer({ server, perMessageDeflate: false });
  await new Promise<void>((resolve) => server.listen(socketPath, resolve));
  return {
    url: `ws+unix:${socketPath}:/ws`,
    send: (e) => {
      const text = JSON.stringify({ type: 'event', event: e });
      for (const client of wss.clients) client.send(text);
    },
    async close() {
      for (const client of wss.clients) client.terminate();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

interface Measured {
  p50: number;
  p99: number;
  rate: number;
}

async function measure(target: Target): Promise<Measured> {
  const sentAt = new Map<number, number>();
  const latencies: number[] = [];
  let received = 0;
  let wake: (() => void) | undefined;
  let waitingFor = 0;
  const clients = await Promise.all(
    Array.from({ length: CLIENTS }, () => {
      const ws = new WebSocket(target.url, { perMessageDeflate: false });
      ws.on('message', (data) => {
        const message = JSON.parse((data as Buffer).toString()) as { type: string; event?: { seq: number } };
        if (message.type !== 'event' || !message.event) return;
        const at = sentAt.get(message.event.seq);
        if (at !== undefined) latencies.push(performance.now() - at);
        if (++received >= waitingFor) wake?.();
      });
      return new Promise<WebSocket>((resolve) => ws.once('open', () => resolve(ws)));
    }),
  );
  // Let every hello and first screen arrive before timing anything.
  await new Promise((resolve) => setTimeout(resolve, 200));
  const deliveredAll = (count: number) =>
    new Promise<void>((resolve) => {
      waitingFor = count;
      wake = resolve;
      if (received >= count) resolve();
    });

  for (let seq = 1; seq <= LATENCY_EVENTS; seq++) {
    sentAt.set(seq, performance.now());
    target.send(feedEvent(seq));
    await deliveredAll(seq * CLIENTS);
  }
  sentAt.clear();
  const sorted = latencies.sort((a, b) => a - b);
  const p50 = sorted[Math.floor(sorted.length * 0.5)] as number;
  const p99 = sorted[Math.floor(sorted.length * 0.99)] as number;

  const base = received;
  const start = performance.now();
  for (let i = 1; i <= RATE_EVENTS; i++) {
    target.send(feedEvent(LATENCY_EVENTS + i));
    // Yield now and then so the sockets drain, as a real producer would.
    if (i % 50 === 0) await new Promise((resolve) => setImmediate(resolve));
  }
  await deliveredAll(base + RATE_EVENTS * CLIENTS);
  const rate = RATE_EVENTS / ((performance.now() - start) / 1000);
  for (const ws of clients) ws.terminate();
  await target.close();
  return { p50, p99, rate };
}

const feedBench: BenchModule = {
  title: `local feed: ${CLIENTS} WebSocket clients on the Unix socket`,
  async run(): Promise<BenchRow[]> {
    const dir = await mkdtemp(path.join(tmpdir(), 'provisiond-bench-feed-'));
    try {
      const bare = await measure(await bareTarget(dir));
      const ours = await measure(await feedTarget(dir));
      const note = `${LATENCY_EVENTS} events one at a time; clients in-process`;
      return [
        { name: 'event latency bus→client p50', value: ours.p50, unit: 'ms', baseline: { name: 'bare ws', value: bare.p50 }, goal: { on: 'ratio', max: 1.5 }, note },
        { name: 'event latency bus→client p99', value: ours.p99, unit: 'ms', baseline: { name: 'bare ws', value: bare.p99 }, goal: { on: 'ratio', max: 1 }, note },
        { name: 'sustained rate to all clients', value: ours.rate, unit: 'events/s', baseline: { name: 'bare ws', value: bare.rate }, goal: { on: 'ratio', min: 0.8 }, note: `${RATE_EVENTS} events × ${CLIENTS} clients` },
      ];
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  },
};

export default feedBench;
