/** daemon/main.ts as a process: --help, and --demo where the demo is not installed (the package). */
import t from 'tap';
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { EX_USAGE } from '../../daemon/app/run.js';

// Each case starts a process through tap's TypeScript loader: slow on a loaded machine.
t.setTimeout(300_000);

const MAIN = path.join(import.meta.dirname, '..', '..', 'daemon', 'main.ts');

function run(args: string[], execArgv: string[] = [], onOut?: (out: string, stop: () => void) => void): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve) => {
    // tap's TypeScript loader is in execArgv: pass it on.
    const child = spawn(process.execPath, [...process.execArgv, ...execArgv, MAIN, ...args], { env: { ...process.env, PROVISIOND_DEMO_PORT: '0' } });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      onOut?.(out, () => child.kill('SIGTERM'));
    });
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('exit', (code) => resolve({ code, out, err }));
  });
}

t.test('--help prints the manual-like help on stdout and exits 0', async (t) => {
  {
    const r = await run(['--help']);
    t.equal(r.code, 0);
    t.match(r.out, /^NAME\n {2}provisiond - /);
    for (const section of ['SYNOPSIS', 'OPTIONS', 'ENVIRONMENT', 'FILES', 'EXIT STATUS', 'SEE ALSO']) t.match(r.out, new RegExp(`^${section}$`, 'm'));
    t.match(r.out, /\/etc\/provisiond\/provisiond\.json/);
    t.equal(r.err, '');
  }
});

t.test('--demo without daemon/demo (as installed by the package) says so and exits 64', async (t) => {
  // Fault injection: a resolve hook makes the demo's module missing, as in the package.
  const dir = t.testdir({});
  const hooks = path.join(dir, 'hooks.mjs');
  writeFileSync(hooks, `export async function resolve(specifier, context, next) {
  if (specifier === './demo/index.js') throw Object.assign(new Error('Cannot find module ' + specifier), { code: 'ERR_MODULE_NOT_FOUND' });
  return next(specifier, context);
}\n`);
  const register = path.join(dir, 'register.mjs');
  writeFileSync(register, `import { register } from 'node:module';\nregister(${JSON.stringify(pathToFileURL(hooks).href)});\n`);
  const r = await run(['--demo'], ['--import', pathToFileURL(register).href]);
  t.equal(r.code, EX_USAGE);
  t.match(r.err, /<3>the demo is not installed here \(Cannot find module \.\/demo\/index\.js\)/);
  t.match(r.err, /--demo is not available here; usage: provisiond/);
});

t.test('--demo in a checkout imports the demo and runs it until SIGTERM, exit 0', async (t) => {
  let stopped = false;
  const r = await run(['--demo'], [], (out, stop) => {
    if (!stopped && out.includes('=== provisiond demo')) {
      stopped = true;
      stop();
    }
  });
  t.equal(r.code, 0);
  t.match(r.out, /received SIGTERM/);
});
