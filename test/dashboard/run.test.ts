/**
 * `provisionctl dashboard` (issue 17): its options, its exit codes, the password read from a
 * file, and the run from start to SIGINT against a real Mosquitto.
 */
import t from 'tap';
import * as path from 'node:path';
import { PassThrough } from 'node:stream';
import { parseDashboardArgs, runDashboardCli, type Dashboard } from '../../daemon/dashboard/index.js';
import { runCli } from '../../daemon/cli/index.js';
import { startMosquitto } from '../fixtures/mqtt/mosquitto.js';
import { until } from '../fixtures/local.js';

function io(signal?: AbortSignal, onStarted?: (d: Dashboard) => void) {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.setEncoding('utf8').on('data', (c: string) => (out += c));
  stderr.setEncoding('utf8').on('data', (c: string) => (err += c));
  return { stdout, stderr, signal, onStarted, out: () => out, err: () => err, env: {}, stdin: new PassThrough() };
}

t.test('options', async (t) => {
  t.match(parseDashboardArgs(['--mqtt', 'mqtt://b:1883']), { ok: true, args: { mqttUrl: 'mqtt://b:1883', host: '127.0.0.1', port: 8090, commands: false, prefix: 'provisiond', protocolVersion: 4, username: undefined, share: undefined } });
  t.match(parseDashboardArgs(['--mqtt', 'wss://b/mqtt', '--listen', '[::1]:0', '--commands', '--prefix', 'p', '--username', 'u', '--password-file', '/f', '--mqtt-version', '5', '--share', 'dash']), {
    ok: true,
    args: { host: '::1', port: 0, commands: true, prefix: 'p', username: 'u', passwordFile: '/f', protocolVersion: 5, share: 'dash' },
  });
  t.same(parseDashboardArgs(['--help']), { ok: 'help' });
  for (const [argv, message] of [
    [[], /needs --mqtt/],
    [['--mqtt', 'http://b'], /needs --mqtt/],
    [['--mqtt', 'mqtt://b', '--listen', '8080'], /HOST:PORT/],
    [['--mqtt', 'mqtt://b', '--listen', 'h:99999'], /HOST:PORT/],
    [['--mqtt', 'mqtt://b', '--mqtt-version', '3'], /4 or 5/],
    [['--mqtt', 'mqtt://b', '--username', 'u'], /go together/],
    [['--mqtt', 'mqtt://b', '--share', 'a/b'], /group name/],
    [['--mqtt', 'mqtt://b', '--password', 'x'], /Unknown option/],
    [['--mqtt', 'mqtt://b', 'extra'], /positional/],
  ] as const) t.match(parseDashboardArgs(argv), { ok: false, message }, argv.join(' '));
});

t.test('usage errors exit 2, --help exits 0 (through provisionctl)', async (t) => {
  const bad = io();
  t.equal(await runCli(['dashboard'], bad), 2);
  t.match(bad.err(), /needs --mqtt[\s\S]*usage: provisionctl dashboard/);
  const help = io();
  t.equal(await runCli(['dashboard', '--help'], help), 0);
  t.match(help.out(), /^usage: provisionctl dashboard --mqtt URL/);
});

t.test('a missing password file or a port in use: exit 1, said why', async (t) => {
  const dir = t.testdir();
  const missing = io();
  t.equal(await runDashboardCli(['--mqtt', 'mqtt://127.0.0.1:1', '--username', 'u', '--password-file', path.join(dir, 'none')], missing), 1);
  t.match(missing.err(), /cannot start the dashboard: ENOENT/);
  const controller = new AbortController();
  let first: Dashboard | undefined;
  const running = runDashboardCli(['--mqtt', 'mqtt://127.0.0.1:1', '--listen', '127.0.0.1:0'], io(controller.signal, (d) => (first = d)));
  await until(() => first !== undefined);
  const busy = io();
  t.equal(await runDashboardCli(['--mqtt', 'mqtt://127.0.0.1:1', '--listen', `127.0.0.1:${first!.port}`], busy), 1);
  t.match(busy.err(), /EADDRINUSE/);
  controller.abort();
  t.equal(await running, 0);
});

t.test('runs against Mosquitto with the password from a file, prints the URL, stops on SIGINT', async (t) => {
  const broker = await startMosquitto({ users: { dash: 'dash-file-pw' } });
  t.teardown(() => broker.close());
  const dir = t.testdir({ 'dash.pw': 'dash-file-pw\n' });
  const controller = new AbortController();
  const run = io(controller.signal);
  const exit = runDashboardCli(['--mqtt', broker.url, '--listen', '127.0.0.1:0', '--username', 'dash', '--password-file', path.join(dir, 'dash.pw')], run);
  await until(() => run.err().includes('connected to the MQTT broker'));
  t.match(run.out(), /^fleet view: http:\/\/127\.0\.0\.1:\d+\/#token=\S+\n$/);
  t.notMatch(run.out() + run.err(), /dash-file-pw/, 'the password is in no output');
  controller.abort();
  t.equal(await exit, 0);
  const already = new AbortController();
  already.abort();
  t.equal(await runDashboardCli(['--mqtt', broker.url, '--listen', '127.0.0.1:0'], io(already.signal)), 0, 'an interrupt before the start stops at once');
});
