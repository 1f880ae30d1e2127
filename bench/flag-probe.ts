/**
 * Run by the `daemon` benchmark as `node [FLAGS] dist/bench/flag-probe.js`, once per set of
 * V8 flags the unit could pass: the whole daemon in this process resyncing an unchanged
 * profile from Apache, so a flag's effect on latency and memory is measured on real work.
 * Reads `{ rule }` (the Profile_Rule, credentials included) as JSON on stdin; prints
 * `{ p50, p99, cpuMs, rssMiB }`: resync wall time percentiles, CPU per resync, RSS at the end.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { startBenchApp } from './app.js';

const WARM_UP = 50;
const RESYNCS = 300;

const { rule } = JSON.parse(readFileSync(0, 'utf8')) as { rule: string };
const dir = mkdtempSync(path.join(tmpdir(), 'provisiond-flag-probe-'));
const app = await startBenchApp(dir, rule);
try {
  for (let i = 0; i < WARM_UP; i++) await app.resync.resyncNow();
  const times: number[] = [];
  const used = process.cpuUsage();
  for (let i = 0; i < RESYNCS; i++) {
    const started = process.hrtime.bigint();
    await app.resync.resyncNow();
    times.push(Number(process.hrtime.bigint() - started) / 1e6);
  }
  const spent = process.cpuUsage(used);
  times.sort((a, b) => a - b);
  const at = (p: number) => times[Math.min(times.length - 1, Math.floor(p * times.length))]!;
  process.stdout.write(JSON.stringify({ p50: at(0.5), p99: at(0.99), cpuMs: (spent.user + spent.system) / 1000 / RESYNCS, rssMiB: process.memoryUsage().rss / 2 ** 20 }) + '\n');
} finally {
  await app.stop();
  rmSync(dir, { recursive: true, force: true });
}
