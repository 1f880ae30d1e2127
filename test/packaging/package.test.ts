/**
 * `npm run package` from a clean clone (issue 16, SPEC §1, §9): the .deb's files, modes,
 * conffiles and control fields; no dev or test files, no private key; the unit as installed;
 * maintainer scripts without systemd; and the daemon started from the unpacked tree, answering
 * the installed provisionctl, stopping on SIGTERM with exit 0.
 */
import t from 'tap';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, readlinkSync, symlinkSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { requireProgram } from '../fixtures/peers.js';
import { shortTempDir } from '../fixtures/local.js';

// Building compiles the whole project once: far longer than one test file's usual budget.
t.setTimeout(600_000);

const ROOT = path.join(import.meta.dirname, '..', '..');
const VERSION = (JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;
const dpkgDeb = requireProgram('dpkg-deb', 'dpkg');

const tmp = shortTempDir(t, 'pkg-');
const clone = path.join(tmp, 'clone');
const out = path.join(tmp, 'out');
// A clean clone of what is committed; its node_modules is this checkout's (as after npm ci).
execFileSync('git', ['clone', '--quiet', '--no-local', ROOT, clone]);
symlinkSync(path.join(ROOT, 'node_modules'), path.join(clone, 'node_modules'));
execFileSync('npm', ['run', '--silent', 'package'], { cwd: clone, env: { ...process.env, PROVISIOND_PACKAGE_OUT: out }, stdio: 'ignore' });
const deb = path.join(out, `provisiond_${VERSION}_all.deb`);
const tarball = path.join(out, `provisiond_${VERSION}_all.tar.gz`);
const root = path.join(tmp, 'root');
execFileSync(dpkgDeb, ['-x', deb, root]);
const listing = execFileSync(dpkgDeb, ['-c', deb], { encoding: 'utf8', maxBuffer: 64 << 20 }).trim().split('\n');
/** path → "mode owner" from `dpkg-deb -c` lines such as `-rwxr-xr-x root/root 224 2026-12-01 22:38 ./usr/bin/provisiond`. */
const entries = new Map(listing.map((line) => {
  const [, mode, owner, name] = /^(\S+) (\S+) +\d+ \S+ \S+ (.*?)(?: -> .*)?$/.exec(line)!;
  return [name!.replace(/^\.\//, '/'), `${mode} ${owner}`];
}));

t.test('control: all architectures, Depends nodejs (>= 20), the settings file as a conffile, maintainer scripts', async (t) => {
  const info = execFileSync(dpkgDeb, ['-I', deb], { encoding: 'utf8' });
  t.match(info, /^ Package: provisiond$/m);
  t.match(info, new RegExp(`^ Version: ${VERSION.replace(/\./g, '\\.')}$`, 'm'));
  t.match(info, /^ Architecture: all$/m);
  t.match(info, /^ Depends: nodejs \(>= 20\)$/m);
  t.match(info, /^ Installed-Size: \d+$/m);
  for (const script of ['postinst', 'prerm', 'postrm']) t.match(info, new RegExp(`\\* +${script} +#!/bin/sh`), script);
  t.equal(execFileSync(dpkgDeb, ['-f', deb, 'Package'], { encoding: 'utf8' }).trim(), 'provisiond');
  const control = path.join(tmp, 'control');
  execFileSync(dpkgDeb, ['-e', deb, control]);
  t.equal(readFileSync(path.join(control, 'conffiles'), 'utf8'), '/etc/provisiond/provisiond.json\n');
});

t.test('files: the programs, the unit and snippets, /etc/provisiond, root-owned with the right modes', async (t) => {
  const want: Record<string, string> = {
    '/usr/bin/provisiond': '-rwxr-xr-x root/root',
    '/usr/bin/provisionctl': '-rwxr-xr-x root/root',
    '/usr/lib/provisiond/dist/daemon/main.js': '-rw-r--r-- root/root',
    '/usr/lib/provisiond/dist/daemon/cli/main.js': '-rw-r--r-- root/root',
    '/usr/lib/provisiond/package.json': '-rw-r--r-- root/root',
    '/usr/lib/provisiond/config/provisiond.schema.json': '-rw-r--r-- root/root',
    '/usr/lib/systemd/system/provisiond.service': '-rw-r--r-- root/root',
    '/usr/lib/sysusers.d/provisiond.conf': '-rw-r--r-- root/root',
    '/usr/lib/tmpfiles.d/provisiond.conf': '-rw-r--r-- root/root',
    '/etc/provisiond/provisiond.json': '-rw-r--r-- root/root',
    '/etc/provisiond/certs/avaya/README': '-rw-r--r-- root/root',
    '/usr/share/doc/provisiond/README.md': '-rw-r--r-- root/root',
    '/usr/share/doc/provisiond/copyright': '-rw-r--r-- root/root',
    '/usr/share/doc/provisiond/asyncapi.json': '-rw-r--r-- root/root',
  };
  for (const [file, mode] of Object.entries(want)) t.equal(entries.get(file), mode, file);
  t.ok([...entries.values()].every((v) => v.endsWith(' root/root')), 'everything root:root');
  t.match(readFileSync(path.join(root, 'etc/provisiond/certs/avaya/README'), 'utf8'), /Avaya Product Root CA/);
  t.equal(readlinkSync(path.join(root, 'etc/provisiond/provisiond.schema.json')), '/usr/lib/provisiond/config/provisiond.schema.json');
  t.same(JSON.parse(readFileSync(path.join(root, 'etc/provisiond/provisiond.json'), 'utf8')), JSON.parse(readFileSync(path.join(ROOT, 'config/provisiond.json'), 'utf8')));
});

t.test('no dev dependency, no demo, no TypeScript source, no test file, no private key', async (t) => {
  const files = [...entries.keys()];
  const modules = new Set(readdirSync(path.join(root, 'usr/lib/provisiond/node_modules')));
  for (const dev of ['tap', 'typescript', '@tapjs', 'playwright-core', 'fast-check', 'aedes', '@types', '@asyncapi', 'ajv']) t.notOk(modules.has(dev), `no ${dev}`);
  for (const prod of ['mqtt', 'ws', 'node-forge', 'systeminformation']) t.ok(modules.has(prod), prod);
  t.same(files.filter((f) => f.includes('/dist/daemon/demo') || f.includes('/dist/bench')), [], 'no demo, no benchmarks');
  t.same(files.filter((f) => /\.test\.[cm]?[jt]s$|(?<!\.d)\.ts$|\/test\/fixtures\//.test(f)), [], 'no test or TypeScript files');
  t.same(spawnSyncText('grep', ['-rlE', 'BEGIN ([A-Z]+ )?PRIVATE KEY', root]), { status: 1, output: '' }, 'no private key');
});

t.test('the tarball holds the same tree as the package', async (t) => {
  const tarList = execFileSync('tar', ['-tzf', tarball], { encoding: 'utf8', maxBuffer: 64 << 20 }).trim().split('\n')
    .map((f) => f.replace(/^\.\//, '/').replace(/\/$/, '')).filter((f) => f !== '' && f !== '/' && f !== '.');
  t.same(tarList.sort(), [...entries.keys()].map((f) => f.replace(/\/$/, '')).filter((f) => f !== '').sort());
});

t.test('the installed unit: its ExecStart in the package, verify clean, exposure 2.5 or lower', async (t) => {
  const analyze = requireProgram('systemd-analyze', 'systemd');
  const unit = path.join(root, 'usr/lib/systemd/system/provisiond.service');
  const text = readFileSync(unit, 'utf8');
  const main = /^ExecStart=\/usr\/bin\/node .*?(\/usr\/lib\/provisiond\/\S+\.js)/m.exec(text)?.[1];
  t.ok(main && existsSync(path.join(root, main)), `ExecStart target ${main} is in the package`);
  t.match(text, /^LimitCORE=0$/m);
  t.match(text, /^Documentation=file:\/usr\/share\/doc\/provisiond\/README\.md$/m);
  t.ok(existsSync(path.join(root, 'usr/share/doc/provisiond/README.md')));
  // verify checks the unit against this host (its /usr/bin/node); exit 0 and nothing said is clean.
  const verify = spawnSyncText(analyze, ['verify', unit]);
  t.same(verify, { status: 0, output: '' });
  const security = execFileSync(analyze, ['security', '--offline=yes', '--no-pager', `--root=${root}`, 'provisiond.service'], { encoding: 'utf8' });
  const score = Number(/Overall exposure level for provisiond\.service: ([\d.]+)/.exec(security)?.[1]);
  t.ok(score <= 2.5, `exposure ${score}`);
});

t.test('postinst: without any systemd tool it succeeds; with them, under DPKG_ROOT, it makes the user, group and enablement', async (t) => {
  const scripts = path.join(tmp, 'control');
  const bare = spawnSyncText('/bin/sh', [path.join(scripts, 'postinst'), 'configure', ''], { PATH: path.join(tmp, 'no-such-bin') });
  t.same(bare, { status: 0, output: '' });
  requireProgram('systemd-sysusers', 'systemd');
  const image = path.join(tmp, 'image');
  execFileSync('cp', ['-a', `${root}/.`, image]);
  const run = spawnSyncText('/bin/sh', [path.join(scripts, 'postinst'), 'configure', ''], { PATH: process.env.PATH!, DPKG_ROOT: image });
  t.equal(run.status, 0, run.output);
  t.match(readFileSync(path.join(image, 'etc/passwd'), 'utf8'), /^provisiond:x:\d+:\d+:provisiond phone provisioning daemon:\/var\/lib\/provisiond:/m);
  t.match(readFileSync(path.join(image, 'etc/group'), 'utf8'), /^phonetech:x:\d+:provisiond$/m);
  // An absolute link, meant for the image's own root.
  t.equal(readlinkSync(path.join(image, 'etc/systemd/system/multi-user.target.wants/provisiond.service')), '/usr/lib/systemd/system/provisiond.service', 'enabled');
  t.equal(spawnSyncText('/bin/sh', [path.join(scripts, 'prerm'), 'remove'], { PATH: process.env.PATH!, DPKG_ROOT: image }).status, 0);
  t.equal(spawnSyncText('/bin/sh', [path.join(scripts, 'postrm'), 'purge'], { PATH: process.env.PATH!, DPKG_ROOT: image }).status, 0);
  t.notOk(existsSync(path.join(image, 'var/lib/provisiond')), 'purge removes the state');
});

t.test('unpacked: --help of both programs, and the daemon started with its installed settings (paths changed) answers provisionctl status and stops on SIGTERM with 0', async (t) => {
  const bin = (name: string) => path.join(root, 'usr/bin', name);
  t.match(spawnSyncText(bin('provisiond'), ['--help']).output, /^NAME\n {2}provisiond - /);
  t.match(spawnSyncText(bin('provisionctl'), ['--help']).output, /^usage: provisionctl/);
  const demo = spawnSyncText(bin('provisiond'), ['--demo']);
  t.equal(demo.status, 64);
  t.match(demo.output, /the demo is not installed here/);

  const run = path.join(tmp, 'run');
  const settings = JSON.parse(readFileSync(path.join(root, 'etc/provisiond/provisiond.json'), 'utf8')) as Record<string, unknown>;
  const config = path.join(tmp, 'provisiond.json');
  mkdirSync(run);
  writeFileSync(config, JSON.stringify({
    ...settings,
    stateDir: path.join(tmp, 'state'),
    runtimeDir: run,
    trust: { ...(settings.trust as object), anchorsDir: path.join(root, 'etc/provisiond/certs/avaya') },
    display: { socket: true, http: false },
  }));
  const daemon = spawn(bin('provisiond'), ['--config', config], { env: cleanEnv() });
  let log = '';
  daemon.stdout.on('data', (d: Buffer) => (log += d.toString()));
  daemon.stderr.on('data', (d: Buffer) => (log += d.toString()));
  const exited = new Promise<number | null>((resolve) => daemon.on('exit', (code) => resolve(code)));
  t.teardown(() => void daemon.kill('SIGKILL'));
  let status: { status: number | null; output: string } = { status: -1, output: '' };
  for (let i = 0; i < 600 && status.status !== 0; i++) {
    if (/<6>ready/.test(log)) status = spawnSyncText(bin('provisionctl'), ['--socket', path.join(run, 'display.sock'), 'status']);
    else await new Promise((r) => setTimeout(r, 100));
  }
  t.equal(status.status, 0, `provisionctl status: ${status.output} / daemon: ${log}`);
  t.match(status.output, /\S/);
  daemon.kill('SIGTERM');
  t.equal(await exited, 0, 'SIGTERM: exit 0');
});

/** The environment without tap's loader and coverage hooks: the package runs plain JavaScript. */
function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return { PATH: process.env.PATH, HOME: process.env.HOME, ...extra };
}

/** Runs a program to its end: its exit status and what it wrote (stdout, then stderr). */
function spawnSyncText(file: string, args: string[], env?: Record<string, string>): { status: number | null; output: string } {
  const r = spawnSync(file, args, { env: env ?? cleanEnv(), encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  return { status: r.status, output: `${r.stdout}${r.stderr}` };
}
