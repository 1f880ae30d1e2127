/**
 * provisionctl in process (fast): every command and failure path against the real feed with
 * the stub backend, and against a misbehaving daemon for faults the feed never produces.
 * test/cli/e2e.test.ts runs the same program as a separate process.
 */
import t from 'tap';
import { PassThrough } from 'node:stream';
import { ProvisiondError } from '../../daemon/errors/index.js';
import { connectError, FeedConnection, runCli } from '../../daemon/cli/index.js';
import { harnessFor, startHarness } from '../fixtures/display/harness.js';
import { fakeDaemon, HELLO, memoryIo } from '../fixtures/display/fake-daemon.js';

async function cli(h: { socketPath: string }, args: string[], input = '', signal?: AbortSignal) {
  const run = memoryIo(input, signal ? { signal } : {});
  const code = await runCli(['--socket', h.socketPath, ...args], run.io);
  return { code, stdout: run.stdout(), stderr: run.stderr() };
}

t.test('each daemon command reaches the daemon with its arguments', async (t) => {
  const h = await harnessFor(t);
  h.backend.answers.set('restore', { note: 'no outcome field' });
  h.backend.answers.set('params', { Profile_Rule: 'https://prov.example/$MA.xml', Resync_Periodic: '3600' });
  h.backend.answers.set('trust', {
    certificates: [
      { origin: 'anchor', source: '/etc/provisiond/anchors/avaya.pem', subject: 'CN=Avaya Product Root CA', issuer: 'CN=Avaya Product Root CA', notAfter: '2033-08-14T00:00:00.000Z', fingerprint256: 'AA:BB' },
      { origin: 'trustcerts', source: 'WebRootCA.pem', subject: 'CN=Web Root', issuer: 'CN=Web Root', notAfter: '2030-01-01T00:00:00.000Z', fingerprint256: 'CC:DD', extra: 1 },
      'not a row',
    ],
    problems: [{ code: 'trust_certificate_invalid', message: 'junk.pem is not a PEM or DER X.509 certificate' }],
  });
  const runs: [string[], string, string][] = [
    [['restore', '--wait'], '', 'restore done\n'],
    [['logout'], '', 'logged out\n'],
    [['register', '4711', '--password-stdin'], 'reg-pw\r\n', 'extension 4711 registered\n'],
    [['profile-account', '--user', 'cisco', '--password-stdin'], 'acct-pw', 'profile account stored\n'],
    [['params'], '', 'Profile_Rule=https://prov.example/$MA.xml\nResync_Periodic=3600\n'],
    [['params', 'Profile_Rule'], '', 'Profile_Rule=https://prov.example/$MA.xml\nResync_Periodic=3600\n'],
    [
      ['trust'],
      '',
      [
        'anchor      CN=Avaya Product Root CA',
        '  issuer    CN=Avaya Product Root CA',
        '  expires   2033-08-14T00:00:00.000Z',
        '  sha256    AA:BB',
        '  source    /etc/provisiond/anchors/avaya.pem',
        'TRUSTCERTS  CN=Web Root',
        '  issuer    CN=Web Root',
        '  expires   2030-01-01T00:00:00.000Z',
        '  sha256    CC:DD',
        '  source    WebRootCA.pem',
        'skipped     junk.pem is not a PEM or DER X.509 certificate (trust_certificate_invalid)',
        '',
      ].join('\n'),
    ],
    [['backup'], '', 'backup started\n'],
    [['set', 'ABKNAME001=Alice'], '', 'changed: ABKNAME001\n'],
    [['set', 'GPP_SA', '--secret', '--password-stdin'], 'sa-secret\n', 'changed: ABKNAME001\n'],
    [['unset', 'ABKNAME001'], '', 'nothing changed\n'],
  ];
  h.backend.answers.set('set', { changed: ['ABKNAME001'] });
  h.backend.answers.set('unset', { changed: [] });
  for (const [args, input, stdout] of runs) t.same(await cli(h, args, input), { code: 0, stdout, stderr: '' }, args.join(' '));
  t.same(h.backend.commands, [
    { name: 'restore', args: { wait: true } },
    { name: 'logout', args: {} },
    { name: 'register', args: { extension: '4711', password: 'reg-pw' } },
    { name: 'profile-account', args: { user: 'cisco', password: 'acct-pw' } },
    { name: 'params', args: {} },
    { name: 'params', args: { name: 'Profile_Rule' } },
    { name: 'trust', args: {} },
    { name: 'backup', args: { wait: false } },
    { name: 'set', args: { ABKNAME001: 'Alice' } },
    { name: 'set', args: { GPP_SA: 'sa-secret' } },
    { name: 'unset', args: { ABKNAME001: true } },
  ]);
});

t.test('--json prints the daemon data, or ok, or the error object', async (t) => {
  const h = await harnessFor(t);
  h.backend.answers.set('logout', undefined);
  t.same(await cli(h, ['--json', 'logout']), { code: 0, stdout: '{"ok":true}\n', stderr: '' });
  h.backend.failWith = new ProvisiondError('em_not_logged_in', 'not logged in');
  t.same(await cli(h, ['--json', 'logout']), { code: 1, stdout: '{"ok":false,"error":{"code":"em_not_logged_in","message":"not logged in"}}\n', stderr: '' });
});

t.test('status shows Extension Mobility and an open prompt', async (t) => {
  const h = await harnessFor(t);
  h.backend.set({ em: { enabled: true, state: 'mobile', user: 'alice' }, mqtt: { connected: false }, resync: { running: true, last: null, next: null }, device: { id: 'SEP1' } });
  h.broker.open({ kind: 'em-login', purpose: { operation: 'em-login' } });
  const { stdout } = await cli(h, ['status']);
  t.equal(stdout, ['Device     SEP1', 'Resync     running', 'Mobility   logged in as alice', 'Dashboard  not connected', 'Prompt     em-login (answer with: provisionctl answer --user NAME)', ''].join('\n'));
  h.backend.set({ em: { enabled: true, state: 'host' }, resync: { running: false, last: null, next: null } });
  t.match((await cli(h, ['status'])).stdout, /Resync {5}never\nMobility {3}not logged in/);
});

t.test('answer and cancel take --prompt, softkey presses a key', async (t) => {
  const h = await harnessFor(t);
  const first = h.broker.open({ kind: 'http-auth', purpose: { operation: 'backup' } });
  t.same(await cli(h, ['answer', '--prompt', first.id, '--user', 'u', '--password-stdin'], 'p'), { code: 0, stdout: 'prompt answered\n', stderr: '' });
  const second = h.broker.open({ kind: 'em-login', purpose: { operation: 'em-login' } });
  t.same(await cli(h, ['cancel', '--prompt', second.id]), { code: 0, stdout: 'prompt cancelled\n', stderr: '' });
  const third = h.broker.open({ kind: 'profile-account', purpose: { operation: 'resync' } });
  t.same(await cli(h, ['cancel']), { code: 0, stdout: 'prompt cancelled\n', stderr: '' });
  t.same(await third.result, { outcome: 'cancelled' });
  t.same(await cli(h, ['answer', '--user', 'u', '--password-stdin'], 'p'), { code: 1, stdout: '', stderr: 'provisionctl: no prompt is open\n' });
  t.same(await cli(h, ['softkey', 'Setup']), { code: 0, stdout: 'Setup pressed\n', stderr: '' });
  t.same(await cli(h, ['softkey', 'Login']), { code: 1, stdout: '', stderr: 'provisionctl: the softkey "Login" is not offered now (softkey_unavailable)\n' });
  t.same(h.backend.softkeys, ['Setup']);
});

t.test('events prints recent events, as JSON lines with --json', async (t) => {
  const h = await harnessFor(t);
  h.bus.emit('event', { type: 'auth.failure', reason: 'rejected', realm: 'Avaya', url: null });
  t.same(await cli(h, ['events']), { code: 0, stdout: '2026-01-01 12:00 #1 auth.failure reason=rejected realm=Avaya url=-\n', stderr: '' });
  const json = await cli(h, ['--json', 'events']);
  t.match(JSON.parse(json.stdout), { seq: 1, type: 'auth.failure' });
});

t.test('events --follow ends with 0 on interrupt and 3 when the daemon goes away', async (t) => {
  const h = await startHarness();
  h.bus.emit('event', { type: 'daemon.started' });
  const interrupt = new AbortController();
  const run = memoryIo('', { signal: interrupt.signal });
  const following = runCli(['--socket', h.socketPath, 'events', '--follow'], run.io);
  while (!run.stdout().includes('daemon.started')) await new Promise((resolve) => setTimeout(resolve, 5));
  h.bus.emit('event', { type: 'resync.started' });
  while (!run.stdout().includes('resync.started')) await new Promise((resolve) => setTimeout(resolve, 5));
  interrupt.abort();
  t.equal(await following, 0);

  const lost = memoryIo();
  const ending = runCli(['--socket', h.socketPath, 'events', '--follow'], lost.io);
  while (!lost.stdout().includes('daemon.started')) await new Promise((resolve) => setTimeout(resolve, 5));
  await h.stop();
  t.equal(await ending, 3);
  t.match(lost.stderr(), /closed the connection/);
});

t.test('password from a terminal: no echo, backspace edits, Enter ends, Ctrl-C cancels', async (t) => {
  const h = await harnessFor(t);
  const cases: [string, number, string | undefined][] = [
    ['sec\u007fcret\r', 0, 'secret'],
    ['ab\bc\n', 0, 'ac'],
    ['xyz\u0004', 0, 'xyz'],
    ['nope\u0003', 1, undefined],
  ];
  for (const [keys, code, password] of cases) {
    const run = memoryIo();
    const modes: boolean[] = [];
    // A terminal in raw mode hands over every key as typed (node:tty ReadStream).
    const stdin = Object.assign(new PassThrough(), { isTTY: true, setRawMode: (raw: boolean) => modes.push(raw) });
    // Keys come in as typed: in more than one chunk.
    stdin.write(keys.slice(0, 2));
    stdin.write(keys.slice(2));
    const before = h.backend.commands.length;
    t.equal(await runCli(['--socket', h.socketPath, 'login', 'alice'], { ...run.io, stdin }), code, JSON.stringify(keys));
    t.same(modes, [true, false], 'echo off while typing, back on after');
    t.equal(run.stderr().startsWith('Password for alice: \n'), true, 'only the prompt is written, never the keys');
    const sent = h.backend.commands.slice(before);
    t.same(sent.map((c) => c.args.password), password === undefined ? [] : [password]);
  }
});

t.test('a password on stdin longer than 4096 bytes is refused', async (t) => {
  const h = await harnessFor(t);
  const result = await cli(h, ['login', 'alice', '--password-stdin'], 'x'.repeat(5000));
  t.equal(result.code, 2);
  t.match(result.stderr, /longer than 4096 bytes/);
});

t.test('rule eval works offline, with --json too', async (t) => {
  const offline = { socketPath: '/nonexistent.sock' };
  // Cisco SPA admin guide example rule with a MAC macro (DOMAIN.md §1.8).
  const ok = await cli(offline, ['rule', 'eval', 'http://prov.example/spa$MA.cfg', '--param', 'MA=000e08aabbcc']);
  t.equal(ok.code, 0);
  t.match(ok.stdout, /prov\.example/);
  const json = await cli(offline, ['--json', 'rule', 'eval', '[--pwd s3cret]http://prov.example/x.cfg']);
  t.equal(json.code, 0);
  t.notMatch(json.stdout, /s3cret/, 'secrets masked');
  t.match(JSON.parse(json.stdout), { ok: true });
  const bad = await cli(offline, ['rule', 'eval', '( $A == )?http://x/']);
  t.equal(bad.code, 1);
  t.match(bad.stdout, /error/);
});

t.test('unreachable and usage exits, in process', async (t) => {
  const gone = await cli({ socketPath: '/nonexistent/display.sock' }, ['status']);
  t.same(gone, { code: 3, stdout: '', stderr: 'provisionctl: cannot reach the daemon at /nonexistent/display.sock: ENOENT (is provisiond running?)\n' });
  const usage = memoryIo();
  t.equal(await runCli(['status', 'x'], usage.io), 2);
  const help = memoryIo();
  t.equal(await runCli(['help'], help.io), 0);
  t.match(help.stdout(), /Exit codes: 0 done, 1 failed, 2 usage, 3 daemon unreachable/);
});

t.test('connectError explains permission problems and missing daemons', async (t) => {
  t.match(connectError('/s', { code: 'EACCES', message: '' }), /permission denied \(is this user in the group of the socket\?\)/);
  t.match(connectError('/s', { code: 'ECONNREFUSED', message: '' }), /ECONNREFUSED \(is provisiond running\?\)/);
  t.match(connectError('/s', { code: 'EIO', message: '' }), /: EIO$/);
  t.match(connectError('/s', { message: 'socket hang up' }), /: socket hang up$/);
});

t.test('a socket that does not speak the protocol is unreachable', async (t) => {
  for (const first of ['{"type":"hello","protocol":"other"}', 'garbage', '7']) {
    const fake = await fakeDaemon((ws) => ws.send(first));
    t.teardown(() => fake.close());
    t.match(await cli(fake, ['status']), { code: 3, stderr: /does not speak provisiond.display/ });
  }
  const mute = await fakeDaemon((ws) => ws.close());
  t.teardown(() => mute.close());
  t.match(await cli(mute, ['status']), { code: 3, stderr: /closed the connection/ });
});

t.test('a daemon that drops the connection mid-request gives exit 3; stray results are ignored', async (t) => {
  const fake = await fakeDaemon((ws) => {
    ws.send(HELLO);
    ws.on('message', () => {
      ws.send(JSON.stringify({ type: 'result', id: 999, ok: true }));
      ws.send(JSON.stringify({ type: 'screen', screen: {} }));
      ws.close();
    });
  });
  t.teardown(() => fake.close());
  t.match(await cli(fake, ['status']), { code: 3, stderr: /closed the connection/ });
  t.match(await cli(fake, ['events']), { code: 3 });
  t.match(await cli(fake, ['cancel']), { code: 3 });
  const connection = await FeedConnection.open(fake.socketPath);
  await connection.command('status');
  t.match(await connection.closed, { message: /closed the connection/ });
  t.match(await connection.command('status'), { ok: false, error: { code: 'daemon_unreachable' } }, 'a request after the loss fails at once');
});
