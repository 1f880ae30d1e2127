/**
 * `display.socketGroup` (SPEC §2): a technician in the group reaches the daemon with
 * provisionctl, the same user without the group does not. The daemon runs as root here (as
 * the test does); provisionctl runs as a throw-away unprivileged user, through setpriv.
 */
import t from 'tap';
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, statSync } from 'node:fs';
import * as path from 'node:path';
import { App } from '../../daemon/app/index.js';
import { parseSettings } from '../../daemon/settings/index.js';
import { Logger } from '../../daemon/log/index.js';
import { Notifier } from '../../daemon/systemd/index.js';
import { resolveGroup, startDisplayServers } from '../../daemon/display/index.js';
import { startHarness } from '../fixtures/display/harness.js';
import { shortTempDir } from '../fixtures/local.js';
import { CLI_MAIN, type CliRun } from '../fixtures/display/cli.js';
import { spawn } from 'node:child_process';

const root = process.getuid?.() === 0;
const suffix = `${process.pid}`;
const TECH = `pvdtech${suffix}`;
const USER = `pvduser${suffix}`;

function runAs(args: readonly string[], groups: 'init' | 'none'): Promise<CliRun> {
  // The child cannot write tap's coverage and process-info directories (root's), so it runs
  // without them (tap's spawn hook puts them back into NODE_OPTIONS: `env -u` drops them
  // after it), with the same TypeScript loader: only its exit code and output matter here.
  const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => name !== 'NODE_V8_COVERAGE'));
  const execArgv = process.execArgv.filter((arg) => arg.includes('@tapjs/typescript'));
  const ids = ['--reuid', USER, '--regid', USER, groups === 'init' ? '--init-groups' : '--clear-groups'];
  return new Promise((resolve, reject) => {
    const child = spawn('setpriv', [...ids, 'env', '-u', 'NODE_OPTIONS', '-u', 'NODE_V8_COVERAGE', process.execPath, ...execArgv, CLI_MAIN, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
    child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

t.test('provisionctl as an unprivileged user: reaches the daemon in display.socketGroup, refused without it', { skip: root ? false : 'needs root to create a throw-away user and group and to switch to it (setpriv)' }, async (t) => {
  execFileSync('groupadd', [TECH]);
  t.teardown(() => execFileSync('groupdel', [TECH]));
  execFileSync('useradd', ['-M', '-U', '-s', '/usr/sbin/nologin', '-G', TECH, USER]);
  t.teardown(() => execFileSync('userdel', [USER]));
  const gid = await resolveGroup(TECH);

  const dir = shortTempDir(t);
  chmodSync(dir, 0o755);
  const run = path.join(dir, 'run');
  // As systemd's RuntimeDirectory= with RuntimeDirectoryMode=0750 makes it.
  mkdirSync(run, { mode: 0o750 });
  const socket = path.join(run, 'display.sock');
  const settings = parseSettings({
    stateDir: path.join(dir, 'state'),
    runtimeDir: run,
    device: { mac: '00:0e:08:12:34:57', model: 'SPA942' },
    display: { socket, socketGroup: TECH, http: false },
  });
  const logger = new Logger({ level: 'error', redactor: undefined, sink: { out: () => undefined, err: () => undefined } });
  const app = new App({ settings, logger, notifier: new Notifier({}) });
  t.ok(await app.start(), 'started');
  t.teardown(() => app.stop());

  t.same([statSync(socket).gid, statSync(socket).mode & 0o777], [gid, 0o660], 'the socket is the group\'s, 0660');
  t.same([statSync(run).gid, statSync(run).mode & 0o777], [gid, 0o750], 'the runtime directory lets the group through, no one else');

  const member = await runAs(['--socket', socket, '--json', 'status'], 'init');
  t.equal(member.code, 0, member.stderr);
  t.match(JSON.parse(member.stdout), { device: { id: '000e08123457' } });

  const stranger = await runAs(['--socket', socket, 'status'], 'none');
  t.equal(stranger.code, 3, 'the daemon unreachable');
  t.match(stranger.stderr, /^provisionctl: cannot reach the daemon at .*display\.sock: permission denied \(is this user in the group of the socket\?\)\n$/);
});

t.test('an unknown group name is a typed error naming the setting; digits are a gid', async (t) => {
  await t.rejects(resolveGroup('no-such-group-pvd'), { code: 'display_socket_failed', where: { path: '$.display.socketGroup' } });
  t.equal(await resolveGroup('4242'), 4242);
});

t.test('a group the daemon may not give the socket to is a typed error, nothing left listening', { skip: root ? false : 'needs root to drop to another effective user' }, async (t) => {
  const h = await startHarness();
  t.teardown(() => h.stop());
  const dir = shortTempDir(t);
  const nobody = Number(execFileSync('id', ['-u', 'nobody'], { encoding: 'utf8' }));
  execFileSync('chown', [String(nobody), dir]);
  process.seteuid!(nobody);
  try {
    await t.rejects(startDisplayServers({ feed: h.feed, socketPath: path.join(dir, 'd.sock'), socketGroup: '4244' }), { code: 'display_socket_failed', message: `cannot give ${path.join(dir, 'd.sock')} to group 4244: EPERM (is the daemon's user a member of it?)` });
  } finally {
    process.seteuid!(0);
  }
});

t.test('a socket in a directory the daemon does not own: only the socket changes group', { skip: root ? false : 'needs root to give a file to another group' }, async (t) => {
  const h = await startHarness();
  t.teardown(() => h.stop());
  const dir = shortTempDir(t);
  const nobody = Number(execFileSync('id', ['-u', 'nobody'], { encoding: 'utf8' }));
  execFileSync('chown', [String(nobody), dir]);
  const before = statSync(dir);
  const servers = await startDisplayServers({ feed: h.feed, socketPath: path.join(dir, 'd.sock'), socketGroup: '4243' });
  t.teardown(() => servers.close());
  t.equal(statSync(path.join(dir, 'd.sock')).gid, 4243);
  t.same([statSync(dir).gid, statSync(dir).mode], [before.gid, before.mode]);
});
