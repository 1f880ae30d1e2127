/**
 * The kill -9 test (issue 5, RELIABILITY.md §5.5 (a)): a child updates the vault in a tight
 * loop and is killed with SIGKILL at a random moment, 200 times. After every kill the vault
 * opens without a corruption report and holds exactly the last acknowledged state or the one
 * that was being written, never anything else. (This proves atomicity against process
 * crashes; power loss also needs a file system that drops unsynced data, §5.5.)
 */
import t from 'tap';
import { spawn } from 'node:child_process';
import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Redactor } from '../../daemon/log/index.js';
import { openFileVault, type VaultCorruption } from '../../daemon/vault/index.js';
import { buildVault } from '../fixtures/vault/build.js';
// A plain .mjs helper (typed by crash-ops.d.mts) shared with the child, which runs without TypeScript.
import { operationsIn, stateAfter } from '../fixtures/vault/crash-ops.mjs';

const KILLS = Number(process.env.CRASH_KILLS ?? 200);

// Each kill costs one Node start (~80 ms of CPU): about 20–30 s on two idle cores, but far
// more when other test files share them, so this file allows itself more than the default.
t.setTimeout(300_000);
const CHILD = fileURLToPath(new URL('../fixtures/vault/crash-child.mjs', import.meta.url));

/** mulberry32: a seeded generator, so a failing run can be repeated with CRASH_SEED. */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let x = Math.imul(a ^ (a >>> 15), 1 | a);
    x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x;
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
}

interface Run {
  start: number | undefined;
  lastAck: number | undefined;
  writing: number | undefined;
  corrupt: string[];
}

interface Booted {
  readonly ready: Promise<void>;
  /** Lets the child open the vault and write; SIGKILLs it `delayMs` after it reports its start (or at once). */
  go(delayMs: number | 'at-once'): Promise<Run>;
  kill(): void;
}

/** Starts a child that loads the vault module and waits; what it says is collected into a Run. */
function boot(vaultUrl: string, stateDir: string): Booted {
  // A bare node: no tap loaders, no coverage (a SIGKILLed process writes none anyway).
  const child = spawn(process.execPath, [CHILD, vaultUrl, stateDir], { env: { PATH: process.env.PATH }, stdio: ['pipe', 'pipe', 'inherit'] });
  const run: Run = { start: undefined, lastAck: undefined, writing: undefined, corrupt: [] };
  const closed = new Promise<Run>((resolve) => child.on('close', () => resolve(run)));
  let onReady: () => void;
  const ready = new Promise<void>((resolve) => (onReady = resolve));
  let delay: number | 'at-once' = 0;
  let buffered = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    buffered += chunk;
    const lines = buffered.split('\n');
    buffered = lines.pop()!;
    for (const line of lines) {
      const [word, value] = line.split(' ') as [string, string];
      if (word === 'ready') onReady();
      else if (word === 'start') {
        run.start = Number(value);
        setTimeout(() => child.kill('SIGKILL'), delay as number);
      } else if (word === 'writing') run.writing = Number(value);
      else if (word === 'ack') run.lastAck = Number(value);
      else run.corrupt.push(line);
    }
  });
  return {
    ready,
    go: (delayMs) => {
      delay = delayMs;
      child.stdin.write('go\n');
      if (delayMs === 'at-once') child.kill('SIGKILL');
      return closed;
    },
    kill: () => child.kill('SIGKILL'),
  };
}

t.test(`the vault survives ${KILLS} SIGKILLs of a writer in a tight loop`, async (t) => {
  const seed = Number(process.env.CRASH_SEED ?? Math.floor(Math.random() * 2 ** 32));
  t.comment(`seed ${seed} (set CRASH_SEED to repeat)`);
  const random = seeded(seed);
  const dir = t.testdir({ build: {}, state: {} });
  const vaultUrl = await buildVault(path.join(dir, 'build'));
  const stateDir = path.join(dir, 'state');
  let spare = boot(vaultUrl, stateDir);
  t.teardown(() => spare.kill());
  let state = 0;
  let midWrite = 0;
  let inFlightLanded = 0;
  for (let kill = 1; kill <= KILLS; kill++) {
    const child = spare;
    await child.ready;
    spare = boot(vaultUrl, stateDir);
    const run = await child.go(kill % 10 === 0 ? 'at-once' : Math.floor(random() * 25));
    const reports: VaultCorruption[] = [];
    const vault = await openFileVault({ stateDir, credentialsDirectory: undefined, redactor: new Redactor(), onCorrupt: (info) => reports.push(info) });
    const records = await vault.list();
    const found = operationsIn(records);
    const acknowledged = run.lastAck ?? state;
    const allowed = run.writing !== undefined && run.writing > acknowledged ? [acknowledged, run.writing] : [acknowledged];
    if (run.start !== undefined && run.start !== state) t.fail(`kill ${kill}: the child started from ${run.start}, the vault held ${state}`);
    if (reports.length > 0 || run.corrupt.length > 0) t.fail(`kill ${kill}: corruption reported: ${JSON.stringify(reports)} ${run.corrupt.join(', ')}`);
    if (!allowed.includes(found)) t.fail(`kill ${kill}: the vault holds operation ${found}; acknowledged ${acknowledged}, writing ${run.writing}`);
    const pairs = records.map((record) => [record.name, record.secret]);
    if (JSON.stringify(pairs) !== JSON.stringify(stateAfter(found))) t.fail(`kill ${kill}: the records are not the state after operation ${found}`);
    if (run.writing !== undefined && run.writing > acknowledged) midWrite++;
    if (found > acknowledged) inFlightLanded++;
    state = found;
  }
  const leftovers = (await fsp.readdir(stateDir)).sort();
  t.same(leftovers, ['vault.enc', 'vault.key'], 'no temp or corrupt file is left');
  t.ok(state > 0, `the writers completed ${state} operations in all`);
  t.comment(`${midWrite} kills fell between announcing a write and its acknowledgement; in ${inFlightLanded} of them the write had landed`);
});
