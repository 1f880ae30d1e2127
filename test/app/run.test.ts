import t from 'tap';
import { spawn } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { EX_CONFIG, EX_USAGE, parseArgs, runDaemon } from '../../daemon/app/run.js';
import { App } from '../../daemon/app/index.js';
import { runDemo } from '../../daemon/demo/index.js';
import { parseSettings } from '../../daemon/settings/index.js';
import { Logger, Redactor } from '../../daemon/log/index.js';
import { Notifier } from '../../daemon/systemd/index.js';

// Each case starts the daemon through tap's TypeScript loader; on 2 busy cores that is slow.
t.setTimeout(300_000);

const MAIN = path.join(import.meta.dirname, '..', '..', 'daemon', 'main.ts');

interface Run {
  code: number | null;
  out: string;
  err: string;
}

/** Runs the daemon as a real process (tap's TypeScript loader is inherited through NODE_OPTIONS). */
function daemon(args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv; onOutput?: (text: string, child: ReturnType<typeof spawn>) => void } = {}): Promise<Run> {
  return new Promise((resolve) => {
    // tap puts its TypeScript loader in execArgv, not NODE_OPTIONS: pass it on.
    const child = spawn(process.execPath, [...process.execArgv, MAIN, ...args], { cwd: opts.cwd, env: { ...process.env, ...opts.env } });
    const run: Run = { code: null, out: '', err: '' };
    child.stdout.on('data', (d: Buffer) => {
      run.out += d.toString();
      opts.onOutput?.(run.out, child);
    });
    child.stderr.on('data', (d: Buffer) => (run.err += d.toString()));
    child.on('exit', (code) => resolve({ ...run, code }));
  });
}

t.test('arguments: --config FILE, --config=FILE, --demo; anything else is a usage error', async (t) => {
  t.same(parseArgs([]), { demo: false });
  t.same(parseArgs(['--config', '/a.json', '--demo']), { config: '/a.json', demo: true });
  t.same(parseArgs(['--config=/b.json']), { config: '/b.json', demo: false });
  t.equal(parseArgs(['--config']), 'unknown argument "--config"');
  t.equal(parseArgs(['-x']), 'unknown argument "-x"');
});

t.test('a settings file with several errors: each printed with its JSON path, exit 78, nothing started', async (t) => {
  const dir = t.testdir({ 'bad.json': JSON.stringify({ stateDir: 3, mqtt: { url: 'ftp://x' }, bogus: true, log: { level: 'loud' } }) });
  const run = await daemon(['--config', path.join(dir, 'bad.json')]);
  t.equal(run.code, EX_CONFIG);
  const lines = run.err.trim().split('\n');
  t.match(lines[0], /^<3>.*bad\.json: \$\.stateDir: expected a string, found the integer 3$/);
  t.ok(lines.some((l) => /\$\.mqtt\.url: expected a string matching/.test(l)));
  t.ok(lines.some((l) => /\$\.bogus: expected no such key/.test(l)));
  t.ok(lines.some((l) => /\$\.log\.level: expected one of/.test(l)));
  t.match(lines.at(-1), /not starting: fix the settings file \(4 problem\(s\)\)/);
  t.equal(run.out, '');
});

t.test('a missing settings file named by PROVISIOND_CONFIG stops with exit 78', async (t) => {
  const run = await daemon([], { env: { PROVISIOND_CONFIG: '/nonexistent/provisiond.json' } });
  t.equal(run.code, EX_CONFIG);
  t.match(run.err, /provisiond\.json: \$: expected a readable JSON settings file, found the file does not exist/);
});

t.test('a usage error exits 64', async (t) => {
  const run = await daemon(['--frobnicate']);
  t.equal(run.code, EX_USAGE);
  t.match(run.err, /unknown argument "--frobnicate"; usage: provisiond/);
});

t.test('the daemon starts with the settings, logs what it loaded, and stops on SIGTERM with exit 0', async (t) => {
  const dir = t.testdir({});
  const config = path.join(dir, 'provisiond.json');
  writeFileSync(config, JSON.stringify({ stateDir: path.join(dir, 'state'), runtimeDir: path.join(dir, 'run'), display: { socket: false, http: false }, parameters: { Resync_Periodic: '120' } }));
  let sent = 0;
  const run = await daemon(['--config', config], {
    onOutput: (text, child) => {
      if (/<6>ready/.test(text) && !sent) {
        sent = Date.now();
        child.kill('SIGTERM');
      }
    },
  });
  t.equal(run.code, 0);
  t.match(run.out, /<6>device identity id=\S+ mac=/);
  t.match(run.out, /<5>received SIGTERM, stopping/);
  t.match(run.out, /<6>stopped/);
  t.ok(Date.now() - sent < 5000, 'stopped promptly');
  const published = JSON.parse(readFileSync(path.join(dir, 'state', 'parameters.json'), 'utf8'));
  t.equal(published.version, 1);
  t.equal(published.parameters.Resync_Periodic, '120');
});

t.test('--demo runs the demo (daemon/demo) with the shipped settings until SIGINT', async (t) => {
  const signals = new EventEmitter();
  const out: string[] = [];
  const write = process.stdout.write.bind(process.stdout);
  process.stdout.write = ((chunk: string) => {
    out.push(String(chunk));
    if (String(chunk).includes('=== provisiond demo')) setImmediate(() => signals.emit('SIGINT'));
    return true;
  });
  let code: number;
  try {
    code = await runDaemon(['--demo'], { PROVISIOND_DEMO_PORT: '0' }, signals, runDemo);
  } finally {
    process.stdout.write = write;
  }
  t.equal(code, 0);
  t.ok(out.some((l) => /<6>ready .*display=http:\/\/127\.0\.0\.1:\d+/.test(l)), 'the display page listens');
  t.ok(out.some((l) => /Open the phone's display page: +http:\/\/127\.0\.0\.1:\d+\/#token=/.test(l)), 'the banner gives the page with its token');
  t.ok(out.some((l) => l.includes('received SIGINT')));
  t.ok(out.some((l) => l.includes('demo     stopped')));
});

t.test('a signal during start-up stops cleanly; a failing essential feature exits 1', async (t) => {
  const dir = t.testdir({ 'state': { 'parameters.state.json': {} } });
  const settings = parseSettings({ stateDir: path.join(dir, 'state'), runtimeDir: path.join(dir, 'run') });
  const logger = new Logger({ redactor: new Redactor(), sink: { out: () => undefined, err: () => undefined } });
  const app = new App({ settings, logger, notifier: new Notifier({}), probe: async () => ({}) });
  const starting = app.start();
  void app.stop();
  t.equal(await starting, false, 'start-up aborted');

  const config = path.join(dir, 'c.json');
  writeFileSync(config, JSON.stringify({ stateDir: path.join(dir, 'state'), runtimeDir: path.join(dir, 'run') }));
  const run = await daemon(['--config', config]);
  t.equal(run.code, 1);
  t.match(run.err, /<3>parameters failed to start/);
  t.match(run.err, /<3>start-up failed: .*\(state_read_failed\)/);
});

t.test('in-process: the default settings path is used without --config, and a failed start-up returns 1', async (t) => {
  const quiet = (fn: () => Promise<number>): Promise<number> => {
    const out = process.stdout.write.bind(process.stdout);
    const err = process.stderr.write.bind(process.stderr);
    process.stdout.write = (() => true);
    process.stderr.write = (() => true);
    return fn().finally(() => {
      process.stdout.write = out;
      process.stderr.write = err;
    });
  };
  t.equal(await quiet(() => runDaemon(['--bogus'], {}, new EventEmitter())), EX_USAGE);
  t.equal(await quiet(() => runDaemon(['--demo'], {}, new EventEmitter())), EX_USAGE, 'without a demo runner (main.ts passes daemon/demo)');
  t.equal(await quiet(() => runDaemon([], {}, new EventEmitter())), EX_CONFIG, '/etc/provisiond/provisiond.json does not exist here');
  const dir = t.testdir({ state: { 'parameters.state.json': {} } });
  const config = path.join(dir, 'c.json');
  writeFileSync(config, JSON.stringify({ stateDir: path.join(dir, 'state'), runtimeDir: path.join(dir, 'run') }));
  t.equal(await quiet(() => runDaemon(['--config', config], {}, new EventEmitter())), 1);
});
