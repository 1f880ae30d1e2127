/**
 * Hostile local clients (issue 15): against the real daemon process, a flood of WebSocket
 * connections past the client limit, a flood of messages (malformed JSON, unknown types,
 * wrong fields, valid requests) from one client, frames past `limits.wsPayloadBytes`, a slow
 * reader that asks for a lot and never reads, and a flood of malformed MQTT command payloads
 * through Mosquitto. The daemon stays up, the offending clients are refused or dropped, and a
 * well-behaved client's `status` and a well-formed MQTT command are answered throughout.
 */
import t from 'tap';
import { writeFileSync } from 'node:fs';
import * as path from 'node:path';
import type { Socket } from 'node:net';
import WebSocket from 'ws';
import { connect } from 'mqtt';
import { transpileDaemon } from '../fixtures/daemon-js.js';
import { shortTempDir } from '../fixtures/local.js';
import { startMosquitto } from '../fixtures/mqtt/mosquitto.js';
import { subscribe } from '../fixtures/mqtt/subscriber.js';
import { faultSeed, prng, startDaemon, status, writeConfig } from '../fixtures/faults/daemon.js';

const SEED = faultSeed(20261505);
const CONNECTIONS = 400;
const MESSAGES = 3000;
const MQTT_FLOOD = 1500;
const DEVICE = '000e08123456';

function open(socket: string): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws+unix:${socket}:/ws`, { perMessageDeflate: false });
    ws.once('open', () => resolve(ws));
    ws.once('error', reject);
  });
}

const closed = (ws: WebSocket): Promise<number> =>
  ws.readyState === WebSocket.CLOSED ? Promise.resolve(-1) : new Promise((resolve) => ws.once('close', (code) => resolve(code)));

/** Garbage of the kinds a confused or hostile client sends, chosen by the seeded PRNG. */
function junk(random: () => number, i: number): string {
  switch (Math.floor(random() * 7)) {
    case 0:
      return '{"type":"command","id":' + i; // truncated JSON
    case 1:
      return JSON.stringify({ type: 'no-such-type', id: i });
    case 2:
      return JSON.stringify({ type: 'command', id: i, name: 'no-such-command' });
    case 3:
      return JSON.stringify({ type: 'command', id: i, name: 'status', args: [1, 2] });
    case 4:
      return JSON.stringify([i, 'not an object']);
    case 5:
      return JSON.stringify({ type: 'answer', id: i, promptId: 'x'.repeat(1000), username: 1, password: null });
    default:
      return JSON.stringify({ type: 'command', id: i, name: 'status' });
  }
}

t.test('hostile local clients and MQTT command floods: the daemon stays up, others are unaffected', async (t) => {
  t.comment(`seed ${SEED}`);
  const random = prng(SEED);
  const daemon = transpileDaemon();
  t.teardown(daemon.remove);
  const broker = await startMosquitto({ users: { phone: 'phone-cli-pw', dash: 'dash-pass' } });
  t.teardown(() => broker.close());
  const dir = shortTempDir(t);
  writeFileSync(path.join(dir, 'mqtt.pw'), 'phone-cli-pw\n');
  const paths = writeConfig(dir, {
    mqtt: { url: broker.url, username: 'phone', passwordFile: path.join(dir, 'mqtt.pw'), topicPrefix: 'prov', commands: true },
    limits: { wsPayloadBytes: 4096 },
  });
  const running = startDaemon(daemon.main, paths.config);
  t.teardown(() => running.kill());
  await running.ready;
  t.ok((await status(paths.socket)).resync, 'status answers before the floods');

  // 1. Connection flood: far more clients than the daemon admits at once.
  const floods = await Promise.all(Array.from({ length: CONNECTIONS }, () => open(paths.socket).catch(() => undefined)));
  const opened = floods.filter((ws): ws is WebSocket => ws !== undefined);
  await new Promise((resolve) => setTimeout(resolve, 200));
  const refused = opened.filter((ws) => ws.readyState !== WebSocket.OPEN).length;
  t.ok(refused > 0, `${refused} of ${CONNECTIONS} flood connections refused past the client limit`);
  for (const ws of opened) ws.terminate();
  t.ok((await status(paths.socket)).resync, 'status answers after the connection flood');

  // 2. Message flood of junk and valid requests from one client: every message is answered.
  const chatty = await open(paths.socket);
  let results = 0;
  let errors = 0;
  chatty.on('message', (data: Buffer) => {
    const message = JSON.parse(data.toString('utf8')) as { type: string; ok?: boolean };
    if (message.type !== 'result') return;
    results++;
    if (message.ok === false) errors++;
  });
  for (let i = 0; i < MESSAGES; i++) chatty.send(junk(random, i));
  const bystander = status(paths.socket);
  t.ok((await bystander).resync, 'another client gets status during the message flood');
  while (results < MESSAGES && chatty.readyState === WebSocket.OPEN) await new Promise((resolve) => setTimeout(resolve, 20));
  t.equal(results, MESSAGES, `all ${MESSAGES} flood messages answered (${errors} with an error result)`);
  t.ok(errors > 0 && errors < MESSAGES, 'junk gets error results, valid requests results');
  chatty.close();

  // 3. Huge frames: past limits.wsPayloadBytes the sender is cut off (1009), nobody else is.
  let cutOff = 0;
  const HUGE = 20;
  for (let i = 0; i < HUGE; i++) {
    const big = await open(paths.socket);
    const size = 4097 + Math.floor(random() * 1_000_000);
    big.send(JSON.stringify({ type: 'command', id: 1, name: 'status', pad: 'x'.repeat(size) }));
    if ((await closed(big)) === 1009) cutOff++;
  }
  t.equal(cutOff, HUGE, `${HUGE} clients sending frames over the limit were closed with 1009`);
  t.ok((await status(paths.socket)).resync, 'status answers after the huge frames');

  // 4. A slow reader: asks for a lot and never reads; the daemon drops it, not itself.
  const slow = await open(paths.socket);
  (slow as unknown as { _socket: Socket })._socket.pause();
  const slowClosed = closed(slow);
  let asked = 0;
  const asking = setInterval(() => {
    for (let i = 0; i < 200 && slow.readyState === WebSocket.OPEN; i++) slow.send(JSON.stringify({ type: 'command', id: ++asked, name: 'params' }));
  }, 5);
  t.teardown(() => clearInterval(asking));
  const other = status(paths.socket);
  t.ok((await other).resync, 'status answers while a slow reader piles up results');
  // The daemon closes the reader's connection once its send buffer passes the bound; the
  // close only reaches a paused socket once it is read again.
  while (slow.readyState === WebSocket.OPEN && asked < 200_000) await new Promise((resolve) => setTimeout(resolve, 20));
  clearInterval(asking);
  t.not(slow.readyState, WebSocket.OPEN, `the daemon dropped the slow reader after ${asked} unread requests`);
  (slow as unknown as { _socket: Socket })._socket.resume();
  slow.terminate();
  await slowClosed;
  t.ok((await status(paths.socket)).resync, `status answers after the slow reader (${asked} requests sent unread)`);

  // 5. Malformed MQTT command payloads, then one good command that must still be answered.
  const results$ = await subscribe(broker.url, `prov/${DEVICE}/cmd/+/result`, { username: 'dash', password: 'dash-pass' });
  t.teardown(() => results$.close());
  const attacker = connect(broker.url, { username: 'dash', password: 'dash-pass' });
  t.teardown(() => attacker.end(true));
  await new Promise<void>((resolve) => attacker.once('connect', () => resolve()));
  const payloads = [
    () => Buffer.from('{"transaction":'),
    () => Buffer.from([0xff, 0xfe, 0x00, 0x01]),
    () => Buffer.from('[]'),
    () => Buffer.from(JSON.stringify({ transaction: 'x'.repeat(2000) })),
    () => Buffer.from(JSON.stringify({ transaction: 7, wait: 'yes' })),
    () => Buffer.alloc(256 * 1024, 0x7b),
  ];
  const names = ['resync', 'backup', 'restore', 'no-such', 'resync/extra'];
  for (let i = 0; i < MQTT_FLOOD; i++) {
    const payload = payloads[Math.floor(random() * payloads.length)]!();
    attacker.publish(`prov/${DEVICE}/cmd/${names[Math.floor(random() * names.length)]!}`, payload, { qos: 0 });
  }
  attacker.publish(`prov/${DEVICE}/cmd/resync`, JSON.stringify({ transaction: 'good-one' }), { qos: 1 });
  await results$.waitFor((messages) => messages.some((m) => m.text.includes('"good-one"')));
  t.pass('a well-formed MQTT command is answered after the malformed flood');
  const errorReplies = results$.messages.filter((m) => m.text.includes('"error"')).length;
  t.ok(errorReplies > 0, `${errorReplies} malformed commands got error replies`);
  t.ok((await status(paths.socket)).resync, 'status answers after the MQTT flood');
  t.equal(running.child.exitCode, null, 'the daemon is still running');

  running.child.kill('SIGTERM');
  t.equal(await running.exited, 0, 'the daemon stops cleanly');
  t.comment(`clients / connection flood: ${CONNECTIONS} injected, ${refused} refused, daemon up`);
  t.comment(`clients / message flood: ${MESSAGES} injected, all answered, others unaffected`);
  t.comment(`clients / huge frames: ${HUGE} injected, all cut off with 1009`);
  t.comment(`clients / slow reader: 1 injected (${asked} unread requests), dropped, others unaffected`);
  t.comment(`clients / malformed MQTT commands: ${MQTT_FLOOD} injected, ${errorReplies} error replies, daemon up`);
});
