import t from 'tap';
import { request } from 'node:http';
import { createServer } from 'node:net';
import { lstat, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { TypedBus, type DaemonEvents } from '../../daemon/bus/index.js';
import { PromptBroker } from '../../daemon/prompts/index.js';
import { DisplayFeed, originAllowed, startDisplayServers } from '../../daemon/display/index.js';
import { FeedClient, StubBackend, TOKEN, harnessFor } from '../fixtures/display/harness.js';

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

function get(target: { port?: number; socketPath?: string }, pathname: string, method = 'GET'): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', ...target, path: pathname, method }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode as number, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

t.test('the page, its script and its style are served with a strict policy', async (t) => {
  const h = await harnessFor(t);
  const page = await get({ port: h.servers.port }, '/?token=abc');
  t.equal(page.status, 200);
  t.match(page.headers['content-type'], /text\/html/);
  t.match(page.headers['content-security-policy'], /default-src 'none'; script-src 'self'/);
  t.equal(page.headers['referrer-policy'], 'no-referrer', 'a token in the query never leaks in a Referer');
  t.equal(page.headers['cache-control'], 'no-store');
  t.match(page.body, /<script src="\/app.js" defer><\/script>/);
  t.match((await get({ port: h.servers.port }, '/app.js')).body, /type: 'auth', token: token/);
  t.match((await get({ port: h.servers.port }, '/app.css')).headers['content-type'], /text\/css/);
  const head = await get({ port: h.servers.port }, '/', 'HEAD');
  t.equal(head.status, 200);
  t.equal(head.body, '');
});

t.test('anything else on the page port is refused plainly', async (t) => {
  const h = await harnessFor(t);
  t.equal((await get({ port: h.servers.port }, '/etc/passwd')).status, 404);
  t.equal((await get({ port: h.servers.port }, '/', 'POST')).status, 405);
  const ws = await get({ port: h.servers.port }, '/ws');
  t.equal(ws.status, 426, 'the feed path without an upgrade asks for one');
  t.equal((await get({ socketPath: h.socketPath }, '/')).status, 404, 'the Unix socket serves only the feed');
});

t.test('an upgrade on another path is refused on both listeners', async (t) => {
  const h = await harnessFor(t);
  for (const url of [`ws://127.0.0.1:${h.servers.port}/other`, `ws+unix:${h.socketPath}:/other`]) {
    const client = new FeedClient(url);
    await t.rejects(client.opened, /404/);
  }
});

t.test('the page origin rule: Host must be an IP literal or localhost, or listed', async (t) => {
  t.ok(originAllowed('http://127.0.0.1:8080', '127.0.0.1:8080', []));
  t.ok(originAllowed('http://localhost:8080', 'localhost:8080', []));
  t.ok(originAllowed('http://[::1]:8080', '[::1]:8080', []));
  t.ok(originAllowed('http://192.168.1.20', '192.168.1.20', []));
  t.notOk(originAllowed('http://phone.example:8080', 'phone.example:8080', []), 'a DNS name could be rebound to us');
  t.ok(originAllowed('https://phone.example', 'phone.example', ['https://phone.example']), 'unless the administrator lists it');
  t.notOk(originAllowed('http://127.0.0.1:8080', '127.0.0.1:9090', []), 'a different port is another origin');
  t.notOk(originAllowed('http://127.0.0.1:8080', undefined, []));
  t.notOk(originAllowed('null', 'null', []));
});

t.test('listeners are optional and an IPv6 host gets a bracketed URL', async (t) => {
  const bus = new TypedBus<DaemonEvents>();
  // Defaults for logger and redactor are the daemon's own.
  const feed = new DisplayFeed({ backend: new StubBackend(), prompts: new PromptBroker({ bus, timeoutSeconds: 1 }), bus, token: TOKEN, maxPayload: 1024 });
  const none = await startDisplayServers({ feed });
  t.same([none.url, none.port, none.socketPath], [undefined, undefined, undefined]);
  await none.close();
  const v6 = await startDisplayServers({ feed, http: { host: '::1', port: 0 } }).catch(() => undefined);
  if (v6) {
    t.match(v6.url, /^http:\/\/\[::1\]:\d+$/);
    await v6.close();
  }
});

t.test('a port already in use fails start-up and closes what was opened', async (t) => {
  const dir = await mkdtemp(path.join(tmpdir(), 'provisiond-display-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const blocker = createServer();
  await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
  t.teardown(() => blocker.close());
  const port = (blocker.address() as { port: number }).port;
  const bus = new TypedBus<DaemonEvents>();
  const feed = new DisplayFeed({ backend: new StubBackend(), prompts: new PromptBroker({ bus, timeoutSeconds: 1 }), bus, token: TOKEN, maxPayload: 1024 });
  const socketPath = path.join(dir, 'display.sock');
  await t.rejects(startDisplayServers({ feed, socketPath, http: { host: '127.0.0.1', port } }), { code: 'EADDRINUSE' });
  // The Unix listener was closed again: the socket path can be used at once.
  const again = await startDisplayServers({ feed, socketPath });
  await again.close();
});

t.test('a file that is not a socket is never replaced', async (t) => {
  const dir = await mkdtemp(path.join(tmpdir(), 'provisiond-display-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const socketPath = path.join(dir, 'display.sock');
  await writeFile(socketPath, 'precious');
  const bus = new TypedBus<DaemonEvents>();
  const feed = new DisplayFeed({ backend: new StubBackend(), prompts: new PromptBroker({ bus, timeoutSeconds: 1 }), bus, token: TOKEN, maxPayload: 1024 });
  await t.rejects(startDisplayServers({ feed, socketPath }), { code: 'display_socket_failed' });
});

t.test('a socket file left by a killed daemon is replaced', async (t) => {
  const dir = await mkdtemp(path.join(tmpdir(), 'provisiond-display-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const socketPath = path.join(dir, 'display.sock');
  // A daemon killed with SIGKILL leaves its socket file behind.
  spawnSync(process.execPath, ['-e', `require('net').createServer().listen(${JSON.stringify(socketPath)}, () => process.kill(process.pid, 'SIGKILL'))`]);
  t.ok((await lstat(socketPath)).isSocket(), 'a stale socket file is there');
  const bus = new TypedBus<DaemonEvents>();
  const feed = new DisplayFeed({ backend: new StubBackend(), prompts: new PromptBroker({ bus, timeoutSeconds: 1 }), bus, token: TOKEN, maxPayload: 1024 });
  const servers = await startDisplayServers({ feed, socketPath });
  t.equal(servers.socketPath, socketPath);
  await servers.close();
});
