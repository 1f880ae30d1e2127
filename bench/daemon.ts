/**
 * Start-up to READY and idle memory of the daemon, against a bare Node process started and
 * measured the same way in the same run (SPEC §12).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BenchModule, BenchRow } from './types.js';
import { median } from './util.js';

const MAIN = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'daemon', 'main.js');
const RUNS = 5;

function rssKiB(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? NaN);
}

/** Starts a process, waits until `ready` matches its stdout, measures, then stops it. */
function measure(args: string[], ready: RegExp): Promise<{ ms: number; rss: number }> {
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    let seen = false;
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      if (seen || !ready.test(out)) return;
      seen = true;
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      // Let start-up garbage settle before reading the idle footprint.
      setTimeout(() => {
        const rss = rssKiB(child.pid!);
        child.kill('SIGTERM');
        resolve({ ms, rss });
      }, 1000);
    });
    child.on('error', reject);
  });
}

const bench: BenchModule = {
  title: 'daemon start-up and idle memory',
  async run(): Promise<BenchRow[]> {
    const dir = mkdtempSync(path.join(tmpdir(), 'provisiond-bench-'));
    try {
      const config = path.join(dir, 'provisiond.json');
      writeFileSync(config, JSON.stringify({ stateDir: path.join(dir, 'state'), runtimeDir: path.join(dir, 'run'), display: { socket: false, http: false }, log: { level: 'info' } }));
      const ours: { ms: number; rss: number }[] = [];
      const bare: { ms: number; rss: number }[] = [];
      for (let i = 0; i < RUNS; i++) {
        ours.push(await measure(['--enable-source-maps', MAIN, '--config', config], /<6>ready/));
        bare.push(await measure(['-e', 'console.log("ready"); setInterval(() => {}, 1e9)'], /ready/));
      }
      return [
        { name: 'start-up to READY', value: median(ours.map((r) => r.ms)), unit: 'ms', baseline: { name: 'bare node', value: median(bare.map((r) => r.ms)) }, note: `median of ${RUNS}` },
        { name: 'idle RSS', value: median(ours.map((r) => r.rss)) / 1024, unit: 'MiB', baseline: { name: 'bare node', value: median(bare.map((r) => r.rss)) / 1024 }, note: '1 s after READY' },
      ];
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  },
};

export default bench;
