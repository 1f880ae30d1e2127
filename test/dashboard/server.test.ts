/**
 * The fleet view's server against a real Mosquitto (issue 17): the page and its headers, the
 * WebSocket's gate (path, Origin, token, deadline, frame size, client limit), what it pushes,
 * and commands — refused without `commands`, validated, published with a transaction id, and
 * the phone's reply relayed. A stand-in phone (an mqtt.js client) answers the commands.
 */
import t, { type Test } from 'tap';
import { request } from 'node:http';
import { connect, type MqttClient } from 'mqtt';
import WebSocket from 'ws';
import { startDashboard, WS_MAX_PAYLOAD, type Dashboard, type DashboardOptions } from '../../daemon/dashboard/index.js';
import { startMosquitto, type Mosquitto } from '../fixtures/mqtt/mosquitto.js';
import { until } from '../fixtures/local.js';

const TOKEN = 'test-token-123';
let broker: Mosquitto;

t.before(async () => {
  broker = await startMosquitto({ users: { dash: 'dash-pw', phone: 'phone-pw' } });
});
t.teardown(() => broker.close());

async function dashboard(t: Test, options: Partial<DashboardOptions> = {}): Promise<Dashboard> {
  const lines: string[] = [];
  const started = await startDashboard({ mqttUrl: broker.url, host: '127.0.0.1', port: 0, prefix: 'prov', commands: false, username: 'dash', password: 'dash-pw', token: TOKEN, log: (line) => lines.push(line), ...options });
  t.teardown(() => started.close());
  return started;
}

interface Client {
  readonly ws: WebSocket;
  readonly messages: Record<string, unknown>[];
  next(type: string, match?: (m: Record<string, unknown>) => boolean): Promise<Record<string, unknown>>;
  closed: Promise<{ code: number }>;
}

function client(d: Dashboard, options: WebSocket.ClientOptions = {}): Client {
  const ws = new WebSocket(`ws://127.0.0.1:${d.port}/ws`, options);
  const messages: Record<string, unknown>[] = [];
  const waiters = new Set<() => void>();
  ws.on('message', (data) => {
    messages.push(JSON.parse((data as Buffer).toString('utf8')) as Record<string, unknown>);
    for (const w of [...waiters]) w();
  });
  ws.on('error', () => undefined);
  const closed = new Promise<{ code: number }>((resolve) => ws.on('close', (code) => resolve({ code })));
  return {
    ws,
    messages,
    closed,
    next: (type, match = () => true) =>
      new Promise((resolve) => {
        const check = (): void => {
          const found = messages.find((m) => m.type === type && match(m));
          if (!found) return;
          waiters.delete(check);
          resolve(found);
        };
        waiters.add(check);
        check();
      }),
  };
}

async function authed(t: Test, d: Dashboard): Promise<Client> {
  const c = client(d);
  t.teardown(() => c.ws.terminate());
  await new Promise((resolve) => c.ws.once('open', resolve));
  c.ws.send(JSON.stringify({ type: 'auth', token: TOKEN }));
  await c.next('hello');
  return c;
}

function get(port: number, path: string, method = 'GET'): Promise<{ status: number; headers: Record<string, unknown>; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

async function phone(t: Test): Promise<MqttClient> {
  const c = connect(broker.url, { username: 'phone', password: 'phone-pw' });
  t.teardown(() => c.endAsync(true));
  await new Promise((resolve) => c.once('connect', resolve));
  return c;
}

t.test('the page: HTML, CSS and JS under a strict CSP; nothing else', async (t) => {
  const d = await dashboard(t);
  t.match(d.url, new RegExp(`^http://127\\.0\\.0\\.1:${d.port}/#token=${TOKEN}$`));
  const page = await get(d.port, '/');
  t.equal(page.status, 200);
  t.match(page.body, /<html lang="en">/);
  t.match(page.headers['content-security-policy'], /default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'/);
  t.equal(page.headers['referrer-policy'], 'no-referrer');
  t.match((await get(d.port, '/app.js?x=1')).body, /new WebSocket/);
  t.match((await get(d.port, '/app.css')).headers['content-type'], /text\/css/);
  t.equal((await get(d.port, '/', 'HEAD')).body, '');
  t.equal((await get(d.port, '/', 'POST')).status, 405);
  t.equal((await get(d.port, '/secret')).status, 404);
});

t.test('the WebSocket gate: path, Origin, token, deadline, frame size', async (t) => {
  const d = await dashboard(t, { authDeadlineMs: 200 });
  const wrongPath = new WebSocket(`ws://127.0.0.1:${d.port}/other`);
  const refused = await new Promise<string>((resolve) => wrongPath.on('error', (e) => resolve(e.message)));
  t.match(refused, /404/);
  const foreign = client(d, { origin: 'http://evil.example' });
  t.match(await new Promise<string>((resolve) => foreign.ws.on('error', (e) => resolve(e.message))), /403/);
  const own = client(d, { origin: `http://127.0.0.1:${d.port}` });
  await new Promise((resolve) => own.ws.once('open', resolve));
  own.ws.send(JSON.stringify({ type: 'auth', token: 'wrong' }));
  t.equal((await own.closed).code, 4003, 'a wrong token is refused');
  const garbage = client(d);
  await new Promise((resolve) => garbage.ws.once('open', resolve));
  garbage.ws.send('not json');
  t.equal((await garbage.closed).code, 4003);
  for (const first of [{ token: TOKEN }, { type: 'auth', token: 5 }, ['auth']]) {
    const odd = client(d);
    await new Promise((resolve) => odd.ws.once('open', resolve));
    odd.ws.send(JSON.stringify(first));
    t.equal((await odd.closed).code, 4003, JSON.stringify(first));
  }
  const silent = client(d);
  t.equal((await silent.closed).code, 4001, 'no auth before the deadline');
  const big = await authed(t, d);
  big.ws.send('x'.repeat(WS_MAX_PAYLOAD + 1));
  t.ok([1006, 1009].includes((await big.closed).code), 'a frame over maxPayload ends the connection');
});

t.test('at most 32 sockets at once', async (t) => {
  const d = await dashboard(t);
  const open = Array.from({ length: 32 }, () => client(d));
  t.teardown(() => open.forEach((c) => c.ws.terminate()));
  await Promise.all(open.map((c) => new Promise((resolve) => c.ws.once('open', resolve))));
  const extra = client(d);
  t.match(await new Promise<string>((resolve) => extra.ws.on('error', (e) => resolve(e.message))), /503/);
});

t.test('hello carries what is known; status, state and events are pushed as they come', async (t) => {
  const p = await phone(t);
  await p.publishAsync('prov/p1/status', 'online', { qos: 1, retain: true });
  t.teardown(() => p.publishAsync('prov/p1/status', '', { qos: 1, retain: true }));
  let clock = Date.parse('2026-12-02T05:00:00Z');
  const d = await dashboard(t, { now: () => clock, refreshMs: 50 });
  const c = await authed(t, d);
  const hello = await c.next('hello');
  t.match(hello, { prefix: 'prov', commands: false, broker: {} });
  await c.next('device', (m) => (m.view as { online: boolean }).online === true);
  await p.publishAsync('prov/p1/events/auth.failure', JSON.stringify({ v: 1, seq: 1, ts: new Date(clock).toISOString(), device: 'p1', type: 'auth.failure', reason: 'rejected' }), { qos: 1 });
  const pushed = await c.next('event');
  t.match(pushed, { event: { type: 'auth.failure', seq: 1 }, view: { device: 'p1', authFailures: 1 } });
  clock += 2 * 60 * 60 * 1000;
  const mark = c.messages.indexOf(pushed);
  await c.next('device', (m) => c.messages.indexOf(m) > mark && (m.view as { authFailures: number }).authFailures === 0);
  t.pass('the periodic refresh lets the last-hour count fall');
  await p.publishAsync('prov/p1/cmd/resync/result', '{"transaction":"x","status":"ok"}', { qos: 1 });
  await p.publishAsync('prov/p1/state', '{"em":{"state":"host"}}', { qos: 1 });
  await c.next('device', (m) => (m.view as { em: string }).em === 'host');
  t.notOk(c.messages.some((m) => m.type === 'reply'), 'replies are not relayed without --commands');
  const late = await authed(t, d);
  t.match(late.messages[0], { type: 'hello', devices: [{ device: 'p1', em: 'host' }], events: [{ seq: 1 }] });
});

t.test('without --commands the page cannot command; with it, requests are validated and replies relayed', async (t) => {
  const off = await authed(t, await dashboard(t));
  off.ws.send(JSON.stringify({ type: 'command', id: 1, device: 'p2', name: 'resync' }));
  t.match(await off.next('error'), { id: 1, code: 'commands_disabled' });

  const p = await phone(t);
  await p.subscribeAsync('prov/p2/cmd/+', { qos: 1 });
  const requests: { topic: string; text: string; retain: boolean }[] = [];
  p.on('message', (topic, payload, packet) => {
    requests.push({ topic, text: payload.toString(), retain: packet.retain });
    const { transaction } = JSON.parse(payload.toString()) as { transaction: string };
    const name = topic.split('/')[3];
    const reply = name === 'restore' ? { transaction, status: 'error', error: { code: 'restore_failed', message: 'no backup yet' } } : { transaction, status: 'ok' };
    void p.publishAsync(`${topic}/result`, JSON.stringify(reply), { qos: 1 });
  });
  const d = await dashboard(t, { commands: true, protocolVersion: 5 });
  const c = await authed(t, d);
  await until(() => (c.messages[0] as { broker: { connected: boolean } }).broker.connected || c.messages.some((m) => m.type === 'broker'));
  c.ws.send(JSON.stringify({ type: 'answer', id: 'a' }));
  t.match(await c.next('error', (m) => m.id === 'a'), { code: 'bad_request' });
  c.ws.send(JSON.stringify({ type: 'command', id: 2, device: 'p2', name: 'set' }));
  t.match(await c.next('error', (m) => m.id === 2), { code: 'bad_request', message: /resync, backup, restore/ });
  c.ws.send(JSON.stringify({ type: 'command', id: 3, device: 'p2/../x', name: 'resync' }));
  t.match(await c.next('error', (m) => m.id === 3), { code: 'bad_request', message: /device/ });
  c.ws.send(JSON.stringify({ type: 'command', id: {}, device: '', name: 'resync' }));
  t.match(await c.next('error', (m) => m.id === null), { code: 'bad_request' });
  c.ws.send(JSON.stringify({ type: 'command', id: 4, device: 'p2', name: 'resync' }));
  const sent = await c.next('sent', (m) => m.id === 4);
  t.match(sent, { device: 'p2', name: 'resync', transaction: /^dash-[0-9a-f]{12}$/ });
  t.match(await c.next('reply', (m) => m.transaction === sent.transaction), { device: 'p2', name: 'resync', status: 'ok', error: null });
  c.ws.send(JSON.stringify({ type: 'command', id: 'r', device: 'p2', name: 'restore' }));
  const restore = await c.next('sent', (m) => m.id === 'r');
  t.match(await c.next('reply', (m) => m.transaction === restore.transaction), { status: 'error', error: { code: 'restore_failed', message: 'no backup yet' } });
  t.same(requests.map((r) => [r.topic, r.retain]), [['prov/p2/cmd/resync', false], ['prov/p2/cmd/restore', false]], 'only valid requests went out, never retained');
  await p.publishAsync('prov/p2/cmd/backup/result', 'not json', { qos: 1 });
  t.match(await c.next('reply', (m) => m.name === 'backup'), { transaction: null, status: 'unknown', error: null });
  await p.publishAsync('prov/p2/cmd/backup/result', 'null', { qos: 1 });
  await p.publishAsync('prov/p2/cmd/backup/result', '{"transaction":7,"status":"ok"}', { qos: 1 });
  t.match(await c.next('reply', (m) => m.transaction === '7'), { status: 'ok' });
  await p.publishAsync('prov/p2/status', 'online', { qos: 1 });
  await c.next('device', (m) => (m.view as { device: string }).device === 'p2');
  t.pass('with commands on, status still reaches the model');
});

t.test('the broker going away and coming back is pushed; commands wait for it', async (t) => {
  const lines: string[] = [];
  const d = await dashboard(t, { commands: true, log: (line) => lines.push(line) });
  const c = await authed(t, d);
  await until(() => lines.includes('connected to the MQTT broker'));
  await broker.stop();
  await c.next('broker', (m) => m.connected === false);
  c.ws.send(JSON.stringify({ type: 'command', id: 9, device: 'p3', name: 'backup' }));
  t.match(await c.next('error', (m) => m.id === 9), { code: 'broker_unavailable' });
  await broker.start();
  await c.next('broker', (m) => m.connected === true);
  t.ok(lines.includes('lost the MQTT broker; reconnecting'));
});

t.test('defaults: random token, real clock, no log function; IPv6 listen', async (t) => {
  const d = await startDashboard({ mqttUrl: broker.url, host: '::1', port: 0, prefix: 'prov', commands: false, username: 'dash', password: 'dash-pw' });
  t.teardown(() => d.close());
  t.match(d.url, /^http:\/\/\[::1\]:\d+\/#token=[A-Za-z0-9_-]{24}$/);
  const token = d.url.split('#token=')[1]!;
  const ws = new WebSocket(`ws://[::1]:${d.port}/ws`);
  t.teardown(() => ws.terminate());
  const messages: Record<string, unknown>[] = [];
  ws.on('message', (data) => messages.push(JSON.parse((data as Buffer).toString('utf8')) as Record<string, unknown>));
  await new Promise((resolve) => ws.once('open', resolve));
  ws.send(JSON.stringify({ type: 'auth', token }));
  await until(() => messages.some((m) => (m.type === 'hello' && (m.broker as { connected: boolean }).connected) || (m.type === 'broker' && m.connected === true)));
  t.match(messages[0], { type: 'hello', prefix: 'prov' });
});

t.test('with a share group, events come through $share/<group>/… (MQTT 5 on Mosquitto)', async (t) => {
  const d = await dashboard(t, { share: 'fleet', protocolVersion: 5 });
  const c = await authed(t, d);
  await until(() => (c.messages[0] as { broker: { connected: boolean } }).broker.connected || c.messages.some((m) => m.type === 'broker'));
  const p = await phone(t);
  // The subscription is in place once the retained-less status round trip arrives.
  await p.publishAsync('prov/s1/status', 'online', { qos: 1 });
  await c.next('device', (m) => (m.view as { device: string }).device === 's1');
  await p.publishAsync('prov/s1/events/daemon.started', JSON.stringify({ v: 1, seq: 1, ts: new Date().toISOString(), device: 's1', type: 'daemon.started' }), { qos: 1 });
  t.match(await c.next('event'), { event: { device: 's1', type: 'daemon.started' } });
});

t.test('a port in use is an error at start', async (t) => {
  const d = await dashboard(t);
  await t.rejects(startDashboard({ mqttUrl: broker.url, host: '127.0.0.1', port: d.port, prefix: 'prov', commands: false }), { code: 'EADDRINUSE' });
});
