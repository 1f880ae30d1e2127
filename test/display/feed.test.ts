import t from 'tap';
import { stat } from 'node:fs/promises';
import { connect as netConnect, type Socket } from 'node:net';
import { spawnCli } from '../fixtures/display/cli.js';
import { ProvisiondError } from '../../daemon/errors/index.js';
import { CLOSE_AUTH_TIMEOUT, CLOSE_TRY_AGAIN_LATER, CLOSE_UNAUTHORIZED, PROTOCOL } from '../../daemon/display/index.js';
import { FeedClient, TOKEN, harnessFor, startHarness, tcpClient, unixClient } from '../fixtures/display/harness.js';

t.test('on the Unix socket the server speaks first: hello with the state, then the screen', async (t) => {
  const h = await harnessFor(t);
  const client = new FeedClient(h.unixUrl);
  const hello = await client.next('hello');
  t.equal(hello.protocol, PROTOCOL);
  t.equal(hello.version, 1);
  t.match(hello.state, { device: { id: 'SEP001122334455' }, em: { state: '' }, mqtt: { connected: true }, prompt: null, prompts: [] });
  const screen = await client.next('screen');
  t.same(screen.screen, {
    title: 'Ext 4711',
    lines: ['Resync succeeded 2026-01-01 12:00', 'Next resync 2026-01-01 13:00', 'Dashboard connected'],
    softkeys: ['Setup'],
    prompt: null,
  });
  t.equal(client.received[0]?.type, 'hello', 'hello is the very first message');
  client.close();
});

t.test('the Unix socket is created with mode 0660', async (t) => {
  const h = await harnessFor(t);
  t.equal((await stat(h.socketPath)).mode & 0o777, 0o660);
});

t.test('on TCP nothing is sent before auth; hello comes right after the token', async (t) => {
  const h = await harnessFor(t);
  const client = new FeedClient(h.tcpUrl);
  await client.opened;
  // A round trip on another client proves the server had time to send anything it would.
  const other = await unixClient(h);
  await other.request({ type: 'command', id: 1, name: 'status' });
  t.same(client.received, [], 'no message before authentication');
  client.send({ type: 'auth', token: TOKEN });
  const hello = await client.next('hello');
  t.equal(client.received[0], hello, 'the first message after auth is hello');
  t.same((await client.request({ type: 'auth', id: 'again', token: 'whatever' })).ok, true, 'a second auth is harmless');
  client.close();
  other.close();
});

t.test('on TCP a wrong token closes with 4401 and nothing is sent', async (t) => {
  const h = await harnessFor(t);
  const client = new FeedClient(h.tcpUrl);
  await client.opened;
  client.send({ type: 'auth', token: 'wrong' });
  t.same((await client.closed).code, CLOSE_UNAUTHORIZED);
  t.same(client.received, []);
});

t.test('on TCP any first message other than auth closes with 4401, even a valid command', async (t) => {
  const h = await harnessFor(t);
  for (const first of [JSON.stringify({ type: 'command', id: 1, name: 'status' }), 'not json', Buffer.from([1, 2, 3])]) {
    const client = new FeedClient(h.tcpUrl);
    await client.opened;
    client.ws.send(first);
    t.same((await client.closed).code, CLOSE_UNAUTHORIZED);
    t.same(client.received, []);
  }
  t.same(h.backend.commands, [], 'nothing reached the daemon');
});

t.test('on TCP a client that never authenticates is closed with 4408', async (t) => {
  const h = await harnessFor(t, { authTimeoutMs: 20 });
  const client = new FeedClient(h.tcpUrl);
  t.same((await client.closed).code, CLOSE_AUTH_TIMEOUT);
});

t.test('a browser Origin must be the page own origin', async (t) => {
  const h = await harnessFor(t);
  const foreign = new FeedClient(h.tcpUrl, { origin: 'http://evil.example' });
  await t.rejects(foreign.opened, /403/);
  const own = await tcpClient(h, { origin: h.origin });
  t.equal(own.received[0]?.type, 'hello');
  own.close();
});

t.test('a frame above maxPayload closes that connection with 1009 and the daemon serves on', async (t) => {
  const h = await harnessFor(t);
  const client = await unixClient(h);
  client.send({ type: 'command', id: 1, name: 'params', args: { name: 'x'.repeat(5000) } });
  t.equal((await client.closed).code, 1009);
  const again = await unixClient(h);
  t.equal((await again.request({ type: 'command', id: 2, name: 'status' })).ok, true);
  again.close();
});

t.test('bad input gets a result with a stable error code, never a crash', async (t) => {
  const h = await harnessFor(t);
  const client = await unixClient(h);
  const cases: [string | Buffer, string, unknown][] = [
    ['{not json', 'bad_json', null],
    ['[1,2]', 'invalid_message', null],
    [JSON.stringify({ type: 'dance', id: 7 }), 'unknown_type', 7],
    [JSON.stringify({ type: 'command', id: 'c1', name: 'reboot' }), 'unknown_command', 'c1'],
    [JSON.stringify({ type: 'command', id: 'c2', name: 'resync', args: { wait: 'yes' } }), 'invalid_message', 'c2'],
    [JSON.stringify({ type: 'answer', id: 'a1', promptId: 'nope', username: 'u', password: 'p' }), 'no_such_prompt', 'a1'],
    [JSON.stringify({ type: 'cancel', id: 'x1', promptId: 'nope' }), 'no_such_prompt', 'x1'],
    [Buffer.from('{"type":"command"}'), 'invalid_message', null],
  ];
  for (const [frame, code, id] of cases) {
    const result = client.next('result');
    client.ws.send(frame, { binary: Buffer.isBuffer(frame) });
    t.match(await result, { ok: false, id, error: { code } }, `${code} for ${String(frame).slice(0, 40)}`);
  }
  client.close();
});

t.test('a prompt answered from one client closes it on the others', async (t) => {
  const h = await harnessFor(t);
  const a = await unixClient(h);
  const b = await tcpClient(h);
  const handle = h.broker.open({ kind: 'http-auth', purpose: { operation: 'backup' }, context: { realm: 'Avaya', server: 'br.example:443' } });
  const onA = await a.next('screen', (m) => (m.screen as { prompt: unknown }).prompt !== null);
  const onB = await b.next('screen', (m) => (m.screen as { prompt: unknown }).prompt !== null);
  t.same(onA.screen, onB.screen);
  t.match(onA.screen, {
    title: 'HTTP Authentication',
    lines: ['Enter backup/restore credentials', 'Server: br.example:443', 'Realm: Avaya'],
    softkeys: ['OK', 'Cancel'],
    prompt: { id: handle.id, kind: 'http-auth', fields: [{ name: 'username' }, { name: 'password', secret: true }] },
  });
  t.match(await a.next('event', (m) => (m.event as { type: string }).type === 'auth.prompt'), { event: { id: handle.id, kind: 'http-auth', seq: 1 } });

  const result = await a.request({ type: 'answer', id: 'ans', promptId: handle.id, username: 'brian', password: 'hunter2-typed' });
  t.same(result, { type: 'result', id: 'ans', ok: true });
  t.same(await handle.result, { outcome: 'answered', username: 'brian', password: 'hunter2-typed' }, 'the answer reaches the request');
  for (const client of [a, b]) {
    await client.next('screen', (m) => (m.screen as { prompt: unknown }).prompt === null);
    const closed = await client.next('event', (m) => (m.event as { type: string }).type === 'auth.prompt.closed');
    t.match(closed.event, { id: handle.id, outcome: 'answered' });
  }
  const late = await b.request({ type: 'answer', id: 'late', promptId: handle.id, username: 'x', password: 'y' });
  t.match(late, { ok: false, error: { code: 'no_such_prompt' } }, 'a late answer from the other client is refused');
  t.ok(h.redactor.has('hunter2-typed'));
  const everything = JSON.stringify([a.received, b.received, h.recorded]);
  t.notMatch(everything, /hunter2-typed/, 'the typed password never leaves the daemon on the feed');
  a.close();
  b.close();
});

t.test('an invalid answer is refused and the prompt stays open', async (t) => {
  const h = await harnessFor(t);
  const client = await unixClient(h);
  const handle = h.broker.open({ kind: 'profile-account', purpose: { operation: 'resync' } });
  const result = await client.request({ type: 'answer', id: 1, promptId: handle.id, username: '', password: 'pw' });
  t.match(result, { ok: false, error: { code: 'invalid_answer' } });
  t.equal(h.broker.list().length, 1);
  client.close();
});

t.test('softkeys: only those on screen are accepted, and they change with the state', async (t) => {
  const h = await harnessFor(t);
  const client = await unixClient(h);
  t.match(await client.request({ type: 'softkey', id: 1, key: 'Login' }), { ok: false, error: { code: 'softkey_unavailable' } });
  t.same(await client.request({ type: 'softkey', id: 2, key: 'Setup' }), { type: 'result', id: 2, ok: true });
  t.same(h.backend.softkeys, ['Setup']);

  h.backend.set({ em: { enabled: true, state: 'host' } });
  t.same(((await client.next('screen')).screen as { softkeys: string[] }).softkeys, ['Setup', 'Login'], 'EM_Enable=Yes offers Login');
  await client.request({ type: 'softkey', id: 3, key: 'Login' });
  h.backend.set({ em: { enabled: true, state: 'mobile', user: 'alice' } });
  const mobile = (await client.next('screen')).screen as { softkeys: string[]; lines: string[] };
  t.same(mobile.softkeys, ['Setup', 'Logout'], 'state mobile offers Logout instead');
  t.ok(mobile.lines.includes('Logged in: alice'));
  h.backend.set({ em: { enabled: true, state: 'mobile', user: 'alice' } });
  h.backend.set({ mqtt: { connected: false } });
  const offline = (await client.next('screen')).screen as { lines: string[] };
  t.ok(offline.lines.includes('Dashboard offline'), 'an unchanged screen is not resent; the next change is');
  t.same(h.backend.softkeys, ['Setup', 'Login']);
  client.close();
});

t.test('prompt softkeys: Abort cancels Login failed, Retry needs the fields', async (t) => {
  const h = await harnessFor(t);
  const client = await unixClient(h);
  const handle = h.broker.open({ kind: 'em-login-failed', purpose: { operation: 'em-login' }, context: { username: 'alice' } });
  const screen = (await client.next('screen', (m) => (m.screen as { prompt: unknown }).prompt !== null)).screen as {
    softkeys: string[];
    prompt: { fields: { name: string; value?: string }[] };
  };
  t.same(screen.softkeys, ['Retry', 'Abort']);
  t.equal(screen.prompt.fields[0]?.value, 'alice', 'the user id is offered again, the password is not');
  t.equal(screen.prompt.fields[1]?.value, undefined);
  t.match(await client.request({ type: 'softkey', id: 1, key: 'Retry' }), { ok: false, error: { code: 'answer_required' } });
  t.same(await client.request({ type: 'softkey', id: 2, key: 'Abort' }), { type: 'result', id: 2, ok: true });
  t.same(await handle.result, { outcome: 'cancelled' });
  client.close();
});

t.test('commands go through the command table: status and events over the daemon state, the rest to the daemon', async (t) => {
  const h = await harnessFor(t);
  const client = await unixClient(h);
  h.broker.open({ kind: 'em-login', purpose: { operation: 'em-login' } });
  const status = await client.request({ type: 'command', id: 's', name: 'status' });
  t.match(status.data, { resync: { next: '2026-01-01T13:00:00.000Z' }, em: { state: '' }, mqtt: { connected: true }, prompt: { kind: 'em-login' } });
  const events = await client.request({ type: 'command', id: 'e', name: 'events', args: { limit: 1 } });
  t.match(events.data, [{ type: 'auth.prompt', kind: 'em-login' }]);
  const all = await client.request({ type: 'command', id: 'e2', name: 'events' });
  t.equal((all.data as unknown[]).length, 1);

  const resync = await client.request({ type: 'command', id: 'r', name: 'resync', args: { wait: true } });
  t.same(resync, { type: 'result', id: 'r', ok: true, data: { accepted: true } });
  h.backend.answers.set('logout', undefined);
  t.same(await client.request({ type: 'command', id: 'o', name: 'logout' }), { type: 'result', id: 'o', ok: true });
  t.same(h.backend.commands.map((c) => c.name), ['resync', 'logout']);

  h.backend.failWith = new ProvisiondError('http_status', 'PUT https://br.example/4711_96xxdata.txt answered 500');
  const failed = await client.request({ type: 'command', id: 'b', name: 'backup' });
  t.same(failed, { type: 'result', id: 'b', ok: false, error: { code: 'http_status', message: 'PUT https://br.example/4711_96xxdata.txt answered 500' } });
  client.close();
});

t.test('a password given with a command is known to the redactor while the command holds it', async (t) => {
  const h = await harnessFor(t);
  const client = await unixClient(h);
  h.backend.failWith = new ProvisiondError('auth_rejected', 'login as alice with pw-in-args refused');
  const result = await client.request({ type: 'command', id: 1, name: 'login', args: { user: 'alice', password: 'pw-in-args' } });
  t.same(result.error, { code: 'auth_rejected', message: 'login as alice with *** refused' }, 'error messages are redacted');
  t.notOk(h.redactor.has('pw-in-args'), 'released once the command is over: what keeps the password registers it itself');
  h.backend.failWith = Object.assign(new Error('boom'), {}) as ProvisiondError;
  t.match(await client.request({ type: 'command', id: 2, name: 'trust' }), { ok: false, error: { code: 'internal_error', message: 'boom' } });
  client.close();
});

t.test('recorded events reach every authenticated client, not the unauthenticated', async (t) => {
  const h = await harnessFor(t);
  const a = await unixClient(h);
  const b = await tcpClient(h);
  const waiting = new FeedClient(h.tcpUrl);
  await waiting.opened;
  h.bus.emit('event', { type: 'resync.started', operation: 'resync' });
  for (const client of [a, b]) t.match((await client.next('event')).event, { type: 'resync.started', seq: 1, v: 1 });
  await b.request({ type: 'command', id: 1, name: 'status' });
  t.same(waiting.received, []);
  for (const client of [a, b, waiting]) client.close();
});

t.test('a peer that stops answering pings is dropped', async (t) => {
  const h = await harnessFor(t, { heartbeatMs: 20 });
  const deaf = new FeedClient(h.unixUrl, { autoPong: false });
  const alive = await unixClient(h);
  const unauthenticated = new FeedClient(h.tcpUrl, { autoPong: false });
  await unauthenticated.opened;
  await deaf.next('hello');
  const closed = await deaf.closed;
  t.equal(closed.code, 1006, 'terminated without a close handshake');
  t.equal((await alive.request({ type: 'command', id: 1, name: 'status' })).ok, true, 'a peer answering pings stays');
  t.equal(unauthenticated.ws.readyState, unauthenticated.ws.OPEN, 'a client still authenticating is left to the auth timeout, not pinged');
  alive.close();
  unauthenticated.close();
});

t.test('a client that does not read is cut off instead of buffering without bound', async (t) => {
  const h = await harnessFor(t, { maxBufferedBytes: 64 * 1024 });
  const slow = await unixClient(h);
  const fast = await unixClient(h);
  // Stop reading: the kernel buffers fill, then ws starts queueing.
  (slow.ws as unknown as { _socket: { pause(): void } })._socket.pause();
  const big = 'x'.repeat(2000);
  let sent = 0;
  while (h.feed.clientCount > 1 && sent < 20_000) {
    h.bus.emit('event', { type: 'config.applied', note: big });
    sent++;
    if (sent % 10 === 0) await new Promise((resolve) => setImmediate(resolve));
  }
  t.equal(h.feed.clientCount, 1, 'the slow client was dropped');
  t.equal((await fast.request({ type: 'command', id: 1, name: 'status' })).ok, true);
  fast.close();
});

t.test('stop closes clients with 1001 and cuts off those that do not answer', async (t) => {
  const h = await startHarness({ closeTimeoutMs: 20 });
  const polite = await unixClient(h);
  const stuck = await unixClient(h);
  (stuck.ws as unknown as { _socket: { pause(): void } })._socket.pause();
  await h.stop();
  t.equal((await polite.closed).code, 1001);
  t.equal(h.feed.clientCount, 0);
  (stuck.ws as unknown as { _socket: { resume(): void } })._socket.resume();
  await stuck.closed;
});

t.test('unused message ids echo as null', async (t) => {
  const h = await harnessFor(t);
  const client = await unixClient(h);
  const result = client.next('result');
  client.send({ type: 'softkey', key: 'Nope' });
  t.match((await result), { id: null, ok: false, error: { code: 'softkey_unavailable' } });
  client.close();
});

t.test('connections beyond maxClients, and any after stop began, are turned away with 1013', async (t) => {
  const h = await harnessFor(t, { maxClients: 1 });
  const first = await unixClient(h);
  const second = new FeedClient(h.unixUrl);
  t.match(await second.closed, { code: CLOSE_TRY_AGAIN_LATER, reason: 'too many clients' });
  first.close();
  await first.closed;
  await h.feed.stop();
  const late = new FeedClient(h.unixUrl);
  t.match(await late.closed, { code: CLOSE_TRY_AGAIN_LATER, reason: 'daemon stopping' });
  t.same(late.received, []);
});

t.test('300 silent TCP clients neither lock out the Unix socket CLI nor an authenticated client (SPEC §8)', async (t) => {
  const h = await harnessFor(t, { authTimeoutMs: 60_000 });
  const authenticated = await tcpClient(h);
  const raw: Socket[] = [];
  const silent: FeedClient[] = [];
  t.teardown(() => {
    for (const socket of raw) socket.destroy();
    for (const client of silent) client.ws.terminate();
  });
  // 300 complete the WebSocket handshake and never send `auth`; 50 more never even send HTTP.
  for (let i = 0; i < 300; i++) {
    if (i < 50) {
      const socket = netConnect(h.servers.port as number, '127.0.0.1');
      socket.on('error', () => undefined);
      raw.push(socket);
    }
    const client = new FeedClient(h.tcpUrl);
    client.ws.on('error', () => undefined);
    silent.push(client);
  }
  const outcomes = await Promise.all(silent.map((client) => Promise.race([client.closed.then((c) => c.code), client.opened.then(() => 'open')])));
  t.ok(outcomes.includes('open'), 'some got in and wait to authenticate');
  const cli = await spawnCli(['--socket', h.socketPath, '--json', 'status']);
  t.equal(cli.code, 0, cli.stderr);
  t.match(JSON.parse(cli.stdout), { device: { id: 'SEP001122334455' } });
  t.equal((await authenticated.request({ type: 'command', id: 'still', name: 'status' })).ok, true, 'the authenticated TCP client is still served');
  const late = await unixClient(h);
  t.equal((await late.request({ type: 'command', id: 1, name: 'status' })).ok, true);
  t.ok(h.feed.clientCount <= 16 + 2, `the waiting room holds at most 16 (${h.feed.clientCount} clients in all)`);
  late.close();
  authenticated.close();
});

t.test('a TCP client that authenticates when the authenticated room is full is turned away with 1013', async (t) => {
  const h = await harnessFor(t, { maxClients: 1 });
  const first = await unixClient(h);
  const second = new FeedClient(h.tcpUrl);
  await second.opened;
  second.send({ type: 'auth', token: TOKEN });
  t.match(await second.closed, { code: CLOSE_TRY_AGAIN_LATER, reason: 'too many clients' });
  t.same(second.received, []);
  first.close();
});
