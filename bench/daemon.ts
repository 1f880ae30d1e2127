/**
 * Start-up and memory (SPEC §12, issue 14): start-up to READY and idle RSS of the daemon,
 * against a bare Node process started and measured the same way in the same run (Node's own
 * floor on this machine: `node -e` printing a line, and the RSS of one with a timer); what
 * each module costs when it is imported (heap, RSS and time, in a fresh process each: a
 * module with what it imports); where start-up spends its CPU (`--cpu-prof`, self time per
 * file); and what V8 flags the unit could set would change: idle RSS of the daemon, and the
 * latency and CPU of an unchanged resync through the whole daemon (bench/flag-probe.ts).
 */
import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { startApache } from '../test/fixtures/http/apache.js';
import { flatProfile } from './app.js';
import { selfTimes, topText } from './cpuprofile.js';
import { measureRuns } from './rusage.js';
import type { BenchModule, BenchRow } from './types.js';
import { median } from './util.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const MAIN = path.join(HERE, '..', 'daemon', 'main.js');
const PROBE = path.join(HERE, 'flag-probe.js');
const RUNS = 5;
/** The unit's own flags (systemd/provisiond.service ExecStart). */
const UNIT_FLAGS = ['--enable-source-maps'];
/** Flag sets the unit could run with instead, each measured against the unit's. */
const CANDIDATE_FLAGS: readonly (readonly string[])[] = [[], [...UNIT_FLAGS, '--max-semi-space-size=1'], [...UNIT_FLAGS, '--single-threaded-gc'], [...UNIT_FLAGS, '--optimize-for-size'], [...UNIT_FLAGS, '--lite-mode']];
/** The daemon's concerns and the packages it may load: each imported alone in a fresh process. */
const CONCERNS = ['app', 'backup', 'bus', 'commands', 'controller', 'device', 'display', 'em', 'errors', 'events', 'fsutil', 'http', 'log', 'mqtt', 'origin', 'params', 'profiles', 'prompts', 'report', 'resync', 'rules', 'schedule', 'settings', 'systemd', 'tftp', 'tls', 'vault'];
const PACKAGES = ['mqtt', 'ws', 'node-forge', 'systeminformation'];

function rssKiB(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? NaN);
}

/** Starts a process, waits until `ready` matches its stdout, measures, then stops it (SIGTERM) and waits for its exit. */
function measure(args: readonly string[], ready: RegExp): Promise<{ ms: number; rss: number }> {
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let seen = false;
    let result: { ms: number; rss: number } | undefined;
    child.stderr.resume();
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      if (seen || !ready.test(out)) return;
      seen = true;
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      // Let start-up garbage settle before reading the idle footprint.
      setTimeout(() => {
        result = { ms, rss: rssKiB(child.pid!) / 1024 };
        child.kill('SIGTERM');
      }, 1000);
    });
    child.on('error', reject);
    child.on('exit', () => (result ? resolve(result) : reject(new Error(`${args.join(' ')} exited before it was ready: ${out}`))));
  });
}

const IMPORT_SCRIPT = `
const url = process.argv[1];
globalThis.gc(); const a = process.memoryUsage(); const t = performance.now();
await import(url);
const ms = performance.now() - t; globalThis.gc(); const b = process.memoryUsage();
console.log(JSON.stringify({ ms, heap: (b.heapUsed - a.heapUsed) / 1048576, rss: (b.rss - a.rss) / 1048576 }));
`;

function importCost(specifier: string): Promise<{ ms: number; heap: number; rss: number }> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, ['--expose-gc', '--input-type=module', '-e', IMPORT_SCRIPT, specifier], { cwd: HERE }, (err, stdout, stderr) => {
      if (err) return reject(new Error(`importing ${specifier}: ${stderr || err.message}`));
      resolve(JSON.parse(stdout) as { ms: number; heap: number; rss: number });
    });
  });
}

function packageUrl(name: string): string {
  return import.meta.resolve(name);
}

async function importRows(): Promise<BenchRow[]> {
  const concerns: { name: string; ms: number; heap: number; rss: number }[] = [];
  for (const concern of CONCERNS) concerns.push({ name: `daemon/${concern}`, ...(await importCost(pathToFileURL(path.join(HERE, '..', 'daemon', concern, 'index.js')).href)) });
  const start = await importCost(pathToFileURL(path.join(HERE, '..', 'daemon', 'app', 'run.js')).href);
  const packages: { name: string; ms: number; heap: number; rss: number }[] = [];
  for (const name of PACKAGES) packages.push({ name, ...(await importCost(packageUrl(name))) });
  const rows: BenchRow[] = [{ name: 'import of what the daemon loads at start (daemon/app/run)', value: start.rss, unit: 'MiB RSS', note: `heap +${start.heap.toFixed(1)} MiB, ${start.ms.toFixed(0)} ms; fresh process, after gc` }];
  const ranked = concerns.filter((c) => c.name !== 'daemon/app').sort((a, b) => b.rss - a.rss);
  for (const c of ranked.slice(0, 5)) rows.push({ name: `import ${c.name} alone`, value: c.rss, unit: 'MiB RSS', note: `heap +${c.heap.toFixed(2)} MiB, ${c.ms.toFixed(0)} ms (with what it imports)` });
  rows.push({ name: `import, the other ${ranked.length - 5} concerns`, value: Math.max(...ranked.slice(5).map((c) => c.rss)), unit: 'MiB RSS at most', note: ranked.slice(5).map((c) => `${c.name.slice(7)} ${c.rss.toFixed(1)}`).join(', ') });
  for (const p of packages) rows.push({ name: `import ${p.name} (loaded only when used)`, value: p.rss, unit: 'MiB RSS', note: `heap +${p.heap.toFixed(2)} MiB, ${p.ms.toFixed(0)} ms` });
  return rows;
}

async function profileRows(config: string, dir: string): Promise<BenchRow[]> {
  const profiles = path.join(dir, 'cpuprof');
  await measure(['--cpu-prof', `--cpu-prof-dir=${profiles}`, ...UNIT_FLAGS, MAIN, '--config', config], /<6>ready/);
  const file = readdirSync(profiles).find((name) => name.endsWith('.cpuprofile'));
  if (!file) return [{ name: 'start-up CPU profile: none written', value: NaN, unit: '' }];
  const summary = selfTimes(path.join(profiles, file));
  const busy = summary.files.filter((f) => f.what !== '(idle)');
  const rows: BenchRow[] = [{ name: 'start-up CPU profile: samples until exit', value: busy.reduce((sum, f) => sum + f.ms, 0), unit: 'ms', note: `not idle; top functions (self): ${topText(summary.functions.filter((f) => f.what !== '(idle)'), 5)}` }];
  for (const f of busy.slice(0, 6)) rows.push({ name: `start-up self time: ${f.what}`, value: f.ms, unit: 'ms' });
  return rows;
}

async function flagRows(config: string): Promise<BenchRow[]> {
  const apache = await startApache({ areas: [{ path: '/p', auth: { scheme: 'Digest', realm: 'bench', users: { bench: 'bench-flags' } } }], files: { 'p/phone.xml': flatProfile(200) } });
  try {
    const rule = `[--uid bench --pwd bench-flags]${apache.origin}/p/phone.xml`;
    const variant = async (flags: readonly string[]) => {
      const idle: { ms: number; rss: number }[] = [];
      for (let i = 0; i < 2; i++) idle.push(await measure([...flags, MAIN, '--config', config], /<6>ready/));
      const [probe] = await measureRuns([process.execPath, ...flags, PROBE], 1, JSON.stringify({ rule }));
      const figures = JSON.parse(probe!.stdout) as { p50: number; p99: number; cpuMs: number; rssMiB: number };
      return { idle: median(idle.map((r) => r.rss)), startMs: median(idle.map((r) => r.ms)), ...figures };
    };
    const unit = await variant(UNIT_FLAGS);
    const rows: BenchRow[] = [{ name: `unit flags as shipped (${UNIT_FLAGS.join(' ')}): idle RSS`, value: unit.idle, unit: 'MiB', note: `start-up ${unit.startMs.toFixed(0)} ms; unchanged resync p50 ${unit.p50.toFixed(2)} ms, p99 ${unit.p99.toFixed(2)} ms, CPU ${unit.cpuMs.toFixed(2)} ms; RSS after 350 resyncs ${unit.rssMiB.toFixed(1)} MiB` }];
    const times = (a: number, b: number) => `${(a / b).toFixed(2)}×`;
    for (const flags of CANDIDATE_FLAGS) {
      const v = await variant(flags);
      rows.push({
        name: `flags ${flags.length ? flags.join(' ') : '(none)'}: idle RSS`,
        value: v.idle,
        unit: 'MiB',
        baseline: { name: 'unit flags', value: unit.idle },
        note: `start-up ${times(v.startMs, unit.startMs)}; resync p50 ${times(v.p50, unit.p50)}, p99 ${times(v.p99, unit.p99)}, CPU ${times(v.cpuMs, unit.cpuMs)}; RSS after 350 resyncs ${v.rssMiB.toFixed(1)} MiB (${times(v.rssMiB, unit.rssMiB)})`,
      });
    }
    return rows;
  } finally {
    await apache.stop();
  }
}

const bench: BenchModule = {
  title: 'daemon start-up and idle memory; import costs, start-up profile, unit flags',
  async run(): Promise<BenchRow[]> {
    const dir = mkdtempSync(path.join(tmpdir(), 'provisiond-bench-'));
    try {
      const config = path.join(dir, 'provisiond.json');
      writeFileSync(config, JSON.stringify({ stateDir: path.join(dir, 'state'), runtimeDir: path.join(dir, 'run'), trust: { anchorsDir: path.join(dir, 'none') }, display: { socket: false, http: false }, log: { level: 'info' } }));
      const ours: { ms: number; rss: number }[] = [];
      const bare: { ms: number; rss: number }[] = [];
      for (let i = 0; i < RUNS; i++) {
        ours.push(await measure([...UNIT_FLAGS, MAIN, '--config', config], /<6>ready/));
        bare.push(await measure(['-e', 'console.log("ready"); setInterval(() => {}, 1e3)'], /ready/));
      }
      return [
        { name: 'start-up to READY', value: median(ours.map((r) => r.ms)), unit: 'ms', baseline: { name: 'bare node printing a line', value: median(bare.map((r) => r.ms)) }, goal: { on: 'ratio', max: 3 }, note: `median of ${RUNS}; the unit's flags` },
        { name: 'idle RSS', value: median(ours.map((r) => r.rss)), unit: 'MiB', baseline: { name: 'bare node with a timer', value: median(bare.map((r) => r.rss)) }, goal: { on: 'ratio', max: 1.35 }, note: `1 s after READY; Node's own floor is the competitor` },
        ...(await importRows()),
        ...(await profileRows(config, dir)),
        ...(await flagRows(config)),
      ];
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  },
};

export default bench;
