import t from 'tap';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { Notifier } from '../../daemon/systemd/index.js';
import { requireProgram } from '../fixtures/peers.js';

t.test('outside systemd every call is a no-op', async (t) => {
  const calls: string[][] = [];
  const n = new Notifier({}, async (args) => void calls.push([...args]));
  t.equal(n.enabled, false);
  await n.ready('x');
  n.startWatchdog();
  n.stopWatchdog();
  t.same(calls, []);
});

t.test('under systemd READY, STATUS and STOPPING are sent, and the watchdog is fed at half its interval', async (t) => {
  const calls: string[][] = [];
  const n = new Notifier({ NOTIFY_SOCKET: '/run/x', WATCHDOG_USEC: '1000000', WATCHDOG_PID: String(process.pid) }, async (args) => void calls.push([...args]));
  t.equal(n.watchdogMs, 1000);
  await n.ready('running');
  n.startWatchdog();
  n.startWatchdog();
  await new Promise((r) => setTimeout(r, 1150));
  n.stopWatchdog();
  await n.stopping();
  t.same(calls[0], [`--pid=${process.pid}`, '--ready', '--status=running']);
  const pings = calls.filter((c) => c[1] === 'WATCHDOG=1').length;
  t.ok(pings >= 1 && pings <= 3, `fed ${pings} time(s) in 1.15 s`);
  t.same(calls.at(-1), [`--pid=${process.pid}`, 'STOPPING=1']);
});

t.test('no watchdog when systemd did not ask, or asked another process', async (t) => {
  t.equal(new Notifier({ NOTIFY_SOCKET: '/x' }).watchdogMs, undefined);
  t.equal(new Notifier({ NOTIFY_SOCKET: '/x', WATCHDOG_USEC: '5000000', WATCHDOG_PID: '1' }).watchdogMs, undefined);
  t.equal(new Notifier({ NOTIFY_SOCKET: '/x', WATCHDOG_USEC: '5000000' }).watchdogMs, 5000);
});

t.test('the real systemd-notify tool delivers READY=1 to a notify socket', async (t) => {
  requireProgram('systemd-notify', 'systemd');
  const python = requireProgram('python3', 'python3');
  // AF_UNIX paths are limited to 108 bytes, too short for tap's fixture paths.
  const dir = mkdtempSync(path.join(tmpdir(), 'notify-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const socket = path.join(dir, 'notify');
  // Node cannot bind AF_UNIX datagram sockets (ECOSYSTEM.md §3.2), so a tiny python listener plays PID 1.
  const listener = spawn(python, ['-c', `import socket,sys\ns=socket.socket(socket.AF_UNIX,socket.SOCK_DGRAM)\ns.bind(sys.argv[1])\nprint('up',flush=True)\nwhile True:\n  print(s.recv(4096).decode(),flush=True)`, socket]);
  t.teardown(() => void listener.kill());
  let received = '';
  await new Promise<void>((resolve) => listener.stdout.once('data', () => resolve()));
  listener.stdout.on('data', (d: Buffer) => (received += d.toString()));
  const n = new Notifier({ ...process.env, NOTIFY_SOCKET: socket });
  await n.ready('provisioning daemon running');
  for (let i = 0; i < 50 && !received.includes('READY=1'); i++) await new Promise((r) => setTimeout(r, 20));
  t.match(received, /READY=1/);
  t.match(received, /STATUS=provisioning daemon running/);
});

t.test('a notification that cannot even start never throws, and a failing ping never leaves the watchdog timer', async (t) => {
  // A variable execFile cannot pass makes it throw synchronously, as ENOMEM would.
  const n = new Notifier({ NOTIFY_SOCKET: '/run/x', BROKEN: 'a\u0000b' });
  await t.resolves(n.ready('running'));
  await t.resolves(n.notify('WATCHDOG=1'));
  let pings = 0;
  const failing = new Notifier({ NOTIFY_SOCKET: '/run/x', WATCHDOG_USEC: '1000000' }, async () => {
    pings++;
    throw new Error('runner failed');
  });
  const rejections: unknown[] = [];
  const onRejection = (reason: unknown): void => void rejections.push(reason);
  process.on('unhandledRejection', onRejection);
  t.teardown(() => process.off('unhandledRejection', onRejection));
  failing.startWatchdog();
  while (pings < 2) await new Promise((resolve) => setTimeout(resolve, 50));
  failing.stopWatchdog();
  await new Promise((resolve) => setImmediate(resolve));
  t.same(rejections, [], 'no unhandled rejection from the timer');
});
