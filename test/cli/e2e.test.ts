/**
 * provisionctl end to end: spawned as a process against the real feed server (with the stub
 * backend, the only stub) over the Unix socket, as a technician runs it.
 */
import t from 'tap';
import { ProvisiondError } from '../../daemon/errors/index.js';
import { harnessFor } from '../fixtures/display/harness.js';
import { spawn } from 'node:child_process';
import { CLI_MAIN, spawnCli } from '../fixtures/display/cli.js';

// Each test starts its own server and most of the time goes to starting Node with the
// TypeScript loader, so the tests run side by side.
t.jobs = 4;

t.test('status prints a glanceable summary (PROVISIOND_SOCKET names the socket)', async (t) => {
  const h = await harnessFor(t);
  const human = await spawnCli(['status'], { env: { PROVISIOND_SOCKET: h.socketPath } });
  t.equal(human.code, 0);
  t.equal(
    human.stdout,
    [
      'Device     SEP001122334455 (SPA942, 4711)',
      'Resync     succeeded 2026-01-01 12:00, next 2026-01-01 13:00',
      'Mobility   off',
      'Dashboard  connected',
      'Prompt     none',
      '',
    ].join('\n'),
  );
});

t.test('resync --wait exits with the outcome', async (t) => {
  const h = await harnessFor(t);
  h.backend.answers.set('resync', { outcome: 'unchanged' });
  const ok = await spawnCli(['--socket', h.socketPath, 'resync', '--wait']);
  t.same([ok.code, ok.stdout], [0, 'resync unchanged\n']);
  h.backend.failWith = new ProvisiondError('not_found', 'https://prov.example/spa.xml answered 404');
  const failed = await spawnCli(['--socket', h.socketPath, 'resync', '--wait']);
  t.same([failed.code, failed.stderr], [1, 'provisionctl: https://prov.example/spa.xml answered 404 (not_found)\n']);
  t.same(h.backend.commands.map((c) => [c.name, c.args]), [
    ['resync', { wait: true }],
    ['resync', { wait: true }],
  ]);
});

t.test('login reads the password from stdin with --password-stdin, never from argv', async (t) => {
  const h = await harnessFor(t);
  const run = await spawnCli(['--socket', h.socketPath, 'login', 'alice', '--password-stdin'], { input: 'pw from stdin\n' });
  t.same([run.code, run.stdout], [0, 'logged in as alice\n']);
  t.same(h.backend.commands, [{ name: 'login', args: { user: 'alice', password: 'pw from stdin' } }], 'one trailing newline removed');
});

t.test('without a terminal and without --password-stdin a password command is a usage error', async (t) => {
  const h = await harnessFor(t);
  const run = await spawnCli(['--socket', h.socketPath, 'register', '4711']);
  t.same([run.code, run.stderr], [2, 'provisionctl: no terminal to read the password from: use --password-stdin\n']);
  t.same(h.backend.commands, []);
});

t.test('answer finds the open prompt and the typed answer reaches the request', async (t) => {
  const h = await harnessFor(t);
  const handle = h.broker.open({ kind: 'profile-account', purpose: { operation: 'resync' } });
  const run = await spawnCli(['--socket', h.socketPath, 'answer', '--user', 'cisco', '--password-stdin'], { input: 'typed' });
  t.same([run.code, run.stdout], [0, 'prompt answered\n']);
  t.same(await handle.result, { outcome: 'answered', username: 'cisco', password: 'typed' });
});

t.test('the daemon unreachable is exit code 3', async (t) => {
  const run = await spawnCli(['--socket', '/nonexistent/provisiond/display.sock', 'status']);
  t.equal(run.code, 3);
  t.match(run.stderr, /cannot reach the daemon at \/nonexistent\/provisiond\/display.sock: ENOENT/);
});

t.test('a usage error is exit code 2', async (t) => {
  const bad = await spawnCli(['frobnicate']);
  t.same([bad.code, bad.stderr], [2, 'provisionctl: unknown command "frobnicate"\nTry \'provisionctl --help\'.\n']);
});

t.test('events --follow prints new events until interrupted', async (t) => {
  const h = await harnessFor(t);
  h.bus.emit('event', { type: 'daemon.started' });
  let emitted = false;
  const run = await spawnCli(['--socket', h.socketPath, 'events', '--follow'], {
    onStdout(text, kill) {
      if (!emitted && text.includes('daemon.started')) {
        emitted = true;
        h.bus.emit('event', { type: 'resync.succeeded', operation: 'resync' });
      }
      if (text.includes('resync.succeeded')) kill();
    },
  });
  t.equal(run.code, 0, 'Ctrl-C ends it cleanly');
  t.equal(run.stdout, '2026-01-01 12:00 #1 daemon.started\n2026-01-01 12:00 #2 resync.succeeded operation=resync\n');
});

t.test('on a real terminal the password is read without echo', async (t) => {
  const h = await harnessFor(t);
  const quote = (word: string) => `'${word.replaceAll("'", "'\\''")}'`;
  const command = [process.execPath, ...process.execArgv, CLI_MAIN, '--socket', h.socketPath, 'login', 'alice'].map(quote).join(' ');
  // script(1) (util-linux, Essential in Debian) runs the command on a pseudo-terminal.
  const child = spawn('script', ['-qec', command, '/dev/null'], { stdio: ['pipe', 'pipe', 'pipe'] });
  let output = '';
  let typed = false;
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    output += chunk;
    // Type only once the prompt is up: the terminal is in raw mode by then, so nothing echoes.
    if (!typed && output.includes('Password for alice: ')) {
      typed = true;
      child.stdin.write('tty-secret\r');
    }
  });
  const code = await new Promise((resolve) => child.on('close', resolve));
  t.equal(code, 0);
  t.match(output, /logged in as alice/);
  t.notMatch(output, /tty-secret/, 'the typed password never appears on the terminal');
  t.same(h.backend.commands, [{ name: 'login', args: { user: 'alice', password: 'tty-secret' } }]);
});
