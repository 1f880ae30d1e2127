/**
 * Hostile and broken servers (issue 4 "Must show"): each ends in a clear typed error in
 * bounded time, never a loop or an untyped exception.
 */
import t from 'tap';
import * as net from 'node:net';
import type { EventInput } from '../../daemon/bus/events.js';
import { Fetcher, type Credentials, type FetcherOptions } from '../../daemon/http/index.js';
import { Origin } from '../../daemon/origin/index.js';
import { startStub, type StubHandler } from '../fixtures/http/stub.js';

const creds: Credentials = { username: 'u', password: 'p', source: 'rule' };
const always = async () => creds;

async function stub(t: { teardown(fn: () => unknown): void }, handler: StubHandler) {
  const server = await startStub(handler);
  t.teardown(server.stop);
  return server;
}

function fetcher(t: { teardown(fn: () => unknown): void }, options: Partial<FetcherOptions> = {}) {
  const events: EventInput[] = [];
  const f = new Fetcher({ userAgent: 'test', onEvent: (e) => events.push(e), ...options });
  t.teardown(() => f.close());
  return { f, events };
}

const challenge = (header: string | string[] | undefined): StubHandler => (req, res) => {
  if (req.headers.authorization) {
    res.end('ok');
    return;
  }
  res.statusCode = 401;
  if (header !== undefined) res.setHeader('www-authenticate', header);
  res.end();
};

t.test('401 without any challenge is auth_unsupported, without retry', async (t) => {
  const s = await stub(t, challenge(undefined));
  await t.rejects(fetcher(t).f.fetch({ url: s.origin + '/p', operation: 'resync', credentials: always }), { code: 'auth_unsupported', status: 401 });
  t.equal(s.requests.length, 1);
});

t.test('no nonce, an empty Digest, a 12 KB header: auth_challenge_invalid', async (t) => {
  for (const header of ['Digest realm="r"', 'Digest', `Digest realm="${'x'.repeat(12000)}", nonce="n"`]) {
    const s = await stub(t, challenge(header));
    await t.rejects(fetcher(t).f.fetch({ url: s.origin + '/p', operation: 'resync', credentials: always }), { code: 'auth_challenge_invalid' }, header.slice(0, 20));
  }
});

t.test('a 100 KB header is refused by the HTTP parser as a network error', async (t) => {
  const s = await stub(t, challenge(`Digest realm="${'x'.repeat(100_000)}", nonce="n"`));
  await t.rejects(fetcher(t).f.fetch({ url: s.origin + '/p', operation: 'resync', credentials: always }), { code: 'network_error' });
});

t.test('thousands of commas, duplicated parameters and escaped quotes are read as curl does', async (t) => {
  const s = await stub(t, challenge(`Digest ${','.repeat(5000)} realm="the \\"quoted\\" realm", nonce="1", nonce="2", qop="auth"`));
  const realms: string[] = [];
  const result = await fetcher(t).f.fetch({
    url: s.origin + '/p',
    operation: 'resync',
    credentials: async (ctx) => {
      realms.push(ctx.realm);
      return creds;
    },
  });
  t.equal(result.body.toString(), 'ok');
  t.same(realms, ['the "quoted" realm']);
  t.match(s.requests[1]!.headers.authorization, /realm="the \\"quoted\\" realm", uri="\/p", algorithm=MD5, nonce="2"/);
});

t.test('a server that answers 401 forever gets two answers, then auth_rejected', async (t) => {
  const s = await stub(t, (_req, res) => {
    res.statusCode = 401;
    res.setHeader('www-authenticate', 'Basic realm="forever"');
    res.end();
  });
  let n = 0;
  const { f, events } = fetcher(t);
  await t.rejects(f.fetch({ url: s.origin + '/p', operation: 'backup', credentials: async () => ({ ...creds, password: `p${++n}` }) }), { code: 'auth_rejected' });
  t.equal(s.requests.length, 3);
  t.match(events.at(-1), { type: 'auth.failure', reason: 'rejected', scheme: 'Basic', realm: 'forever' });
});

t.test('a redirect loop ends after 5 redirects with redirect_loop', async (t) => {
  const s = await stub(t, (req, res) => {
    res.statusCode = 302;
    res.setHeader('location', req.url === '/a' ? '/b' : '/a');
    res.end();
  });
  await t.rejects(fetcher(t).f.fetch({ url: s.origin + '/a', operation: 'resync' }), { code: 'redirect_loop' });
  t.equal(s.requests.length, 6);
});

t.test('redirects to other schemes or unparsable locations are refused; 3xx without Location is a status error', async (t) => {
  const s = await stub(t, (req, res) => {
    res.statusCode = req.url === '/none' ? 300 : 301;
    if (req.url === '/ftp') res.setHeader('location', 'ftp://127.0.0.1/x');
    if (req.url === '/bad') res.setHeader('location', 'http://[::1');
    res.end();
  });
  const { f } = fetcher(t);
  await t.rejects(f.fetch({ url: s.origin + '/ftp', operation: 'resync' }), { code: 'redirect_invalid' });
  await t.rejects(f.fetch({ url: s.origin + '/bad', operation: 'resync' }), { code: 'redirect_invalid' });
  await t.rejects(f.fetch({ url: s.origin + '/none', operation: 'resync' }), { code: 'http_status', status: 300 });
});

t.test('303 turns a POST into a GET without body; 307 replays a PUT body; userinfo in Location is ignored', async (t) => {
  const s = await stub(t, (req, res) => {
    if (req.url === '/post') {
      res.statusCode = 303;
      res.setHeader('location', '/done');
    } else if (req.url === '/put') {
      res.statusCode = 307;
      res.setHeader('location', `http://mallory:secret@127.0.0.1:${(req.headers.host ?? '').split(':')[1]}/done`);
    }
    res.end(req.method);
  });
  const { f } = fetcher(t);
  const posted = await f.fetch({ url: s.origin + '/post', method: 'POST', body: Buffer.from('a=1'), operation: 'resync' });
  t.equal(posted.body.toString(), 'GET');
  const put = await f.fetch({ url: s.origin + '/put', method: 'PUT', body: Buffer.from('data'), operation: 'backup', preemptiveBasic: creds });
  t.equal(put.body.toString(), 'PUT');
  t.equal(s.requests.at(-1)!.body.toString(), 'data');
  t.equal(s.requests.at(-1)!.headers.authorization, undefined, 'userinfo never becomes a credential; no Basic over http');
  t.equal(put.url, `${s.origin}/done`);
});

t.test('A → B → A: credentials are not restored when a redirect comes back (Go CVE-2024-45336)', async (t) => {
  const b = await stub(t, (_req, res) => {
    res.statusCode = 302;
    res.setHeader('location', `${a.origin}/protected`);
    res.end();
  });
  const a = await stub(t, (req, res) => {
    if (req.url === '/start') {
      res.statusCode = 302;
      res.setHeader('location', `${b.origin}/x`);
      res.end();
      return;
    }
    challenge('Basic realm="a"')(req, res, 0);
  });
  let asked = 0;
  const { f } = fetcher(t);
  await t.rejects(
    f.fetch({
      url: a.origin + '/start',
      operation: 'resync',
      credentials: async () => {
        asked++;
        return creds;
      },
    }),
    { code: 'no_credentials' },
  );
  t.equal(asked, 0);
  t.ok(a.requests.every((r) => r.headers.authorization === undefined));
});

t.test('allowCredentialsFor decides which origins may be asked', async (t) => {
  const s = await stub(t, challenge('Basic realm="r"'));
  const { f } = fetcher(t);
  await t.rejects(f.fetch({ url: s.origin + '/p', operation: 'resync', credentials: always, allowCredentialsFor: () => false }), { code: 'no_credentials' });
  await t.rejects(f.fetch({ url: s.origin + '/p', operation: 'resync' }), { code: 'no_credentials' });
  t.equal((await f.fetch({ url: s.origin + '/p', operation: 'resync', credentials: always, allowCredentialsFor: () => true })).body.toString(), 'ok');
});

t.test('a refused pre-emptive Digest answer is not a rejection: the callback hears previousRejected=false', async (t) => {
  let generation = 1;
  const s = await stub(t, (req, res) => {
    const auth = req.headers.authorization;
    if (auth?.includes(`nonce="n${generation}"`)) {
      res.setHeader('authentication-info', 'nextnonce=');
      res.end('ok');
      return;
    }
    res.statusCode = 401;
    res.setHeader('www-authenticate', `Digest realm="r", nonce="n${generation}", qop="auth"`);
    res.end();
  });
  const contexts: { attempt: number; previousRejected: boolean }[] = [];
  const credentials = async (ctx: { attempt: number; previousRejected: boolean }) => {
    contexts.push({ attempt: ctx.attempt, previousRejected: ctx.previousRejected });
    return creds;
  };
  const { f } = fetcher(t);
  await f.fetch({ url: s.origin + '/p', operation: 'resync', credentials });
  generation = 2; // the server restarted and forgot its nonces
  const again = await f.fetch({ url: s.origin + '/p', operation: 'resync', credentials });
  t.equal(again.requests, 2);
  t.same(contexts, [
    { attempt: 1, previousRejected: false },
    { attempt: 0, previousRejected: false },
    { attempt: 1, previousRejected: false },
  ]);
  f.forgetAuth(Origin.of(s.origin));
  // A pre-emptive answer the callback declines is simply not sent.
  const declined = await f.fetch({ url: s.origin + '/p', operation: 'resync', credentials: async (ctx) => (ctx.attempt === 0 ? undefined : creds) });
  t.equal(declined.requests, 2);
});

t.test('status errors: 500 is http_status; a bad URL or scheme is url_invalid', async (t) => {
  const s = await stub(t, (_req, res) => {
    res.statusCode = 500;
    res.end();
  });
  const { f } = fetcher(t);
  await t.rejects(f.fetch({ url: s.origin + '/p', operation: 'resync' }), { code: 'http_status', status: 500 });
  await t.rejects(f.fetch({ url: 'not a url', operation: 'resync' }), { code: 'url_invalid' });
  await t.rejects(f.fetch({ url: 'tftp://127.0.0.1/x', operation: 'resync' }), { code: 'url_invalid' });
});

t.test('timeouts: headers, idle body, TLS handshake and the total deadline', async (t) => {
  const s = await stub(t, (req, res) => {
    if (req.url === '/idle') {
      res.setHeader('content-length', '10');
      res.write('12345');
    }
  });
  const { f } = fetcher(t, { timeouts: { headersMs: 100, idleMs: 100 } });
  await t.rejects(f.fetch({ url: s.origin + '/headers', operation: 'resync' }), { code: 'timeout', message: /headers timeout/ });
  await t.rejects(f.fetch({ url: s.origin + '/idle', operation: 'resync' }), { code: 'timeout', message: /idle timeout/ });
  const total = fetcher(t, { timeouts: { totalMs: 100 } }).f;
  await t.rejects(total.fetch({ url: s.origin + '/headers', operation: 'resync' }), { code: 'timeout', message: /total timeout/ });
  const silent = net.createServer(() => undefined);
  await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
  t.teardown(() => {
    silent.close();
  });
  const port = (silent.address() as net.AddressInfo).port;
  const tlsFetcher = fetcher(t, { timeouts: { handshakeMs: 100 }, tls: () => ({ rejectUnauthorized: true, ca: [] }) }).f;
  await t.rejects(tlsFetcher.fetch({ url: `https://127.0.0.1:${port}/`, operation: 'resync' }), { code: 'timeout', message: /handshake timeout/ });
});

t.test('the body cap applies to declared and to streamed lengths; a cut body is a network error', async (t) => {
  const s = await stub(t, (req, res) => {
    if (req.url === '/declared') res.setHeader('content-length', '2000');
    if (req.url === '/cut') {
      res.setHeader('content-length', '100');
      res.write('only part');
      setImmediate(() => res.socket?.destroy());
      return;
    }
    // Chunked (no Content-Length): the cap applies while the body streams in.
    res.write('x'.repeat(1000));
    res.end('x'.repeat(1000));
  });
  const { f } = fetcher(t, { maxBytes: 1000 });
  await t.rejects(f.fetch({ url: s.origin + '/declared', operation: 'resync' }), { code: 'body_too_large' });
  await t.rejects(f.fetch({ url: s.origin + '/streamed', operation: 'resync' }), { code: 'body_too_large' });
  t.equal((await f.fetch({ url: s.origin + '/streamed', operation: 'resync', maxBytes: 5000 })).body.length, 2000);
  await t.rejects(f.fetch({ url: s.origin + '/cut', operation: 'resync' }), { code: 'network_error' });
});

t.test('a refused connection is a network error', async (t) => {
  const s = await stub(t, () => undefined);
  await s.stop();
  await t.rejects(fetcher(t).f.fetch({ url: s.origin + '/p', operation: 'resync' }), { code: 'network_error', message: /ECONNREFUSED/ });
});

t.test('a kept-alive connection the server dropped is replaced transparently', async (t) => {
  let connections = 0;
  const server = net.createServer((socket) => {
    connections++;
    let served = 0;
    socket.on('data', () => {
      if (connections === 1 && served === 1) {
        socket.destroy();
        return;
      }
      served++;
      socket.write('HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: keep-alive\r\n\r\nok');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => {
    server.close();
  });
  const url = `http://127.0.0.1:${(server.address() as net.AddressInfo).port}/p`;
  const { f } = fetcher(t);
  t.equal((await f.fetch({ url, operation: 'resync' })).body.toString(), 'ok');
  t.equal((await f.fetch({ url, operation: 'resync' })).body.toString(), 'ok');
  t.equal(connections, 2);
});

t.test('requests carry the User-Agent and the caller headers', async (t) => {
  const s = await stub(t, (_req, res) => res.end());
  const { f } = fetcher(t, { userAgent: 'Cisco-CP-8841-3PCC/11.0 (00562b043615)' });
  await f.fetch({ url: s.origin + '/p', operation: 'resync', headers: { 'x-extra': '1' } });
  t.match(s.requests[0]!.headers, { 'user-agent': 'Cisco-CP-8841-3PCC/11.0 (00562b043615)', 'x-extra': '1' });
});

t.test('a Basic challenge without realm is answered with realm ""; a prompt cancelled after a refusal is auth_rejected', async (t) => {
  const s = await stub(t, (_req, res) => {
    res.statusCode = 401;
    res.setHeader('www-authenticate', 'Basic');
    res.end();
  });
  const contexts: { realm: string; previousRejected: boolean }[] = [];
  const { f, events } = fetcher(t);
  await t.rejects(
    f.fetch({
      url: s.origin + '/p',
      operation: 'backup',
      credentials: async (ctx) => {
        contexts.push({ realm: ctx.realm, previousRejected: ctx.previousRejected });
        return ctx.previousRejected ? undefined : creds;
      },
    }),
    { code: 'auth_rejected' },
  );
  t.same(contexts, [
    { realm: '', previousRejected: false },
    { realm: '', previousRejected: true },
  ]);
  t.match(events.at(-1), { type: 'auth.failure', reason: 'rejected', source: 'rule' });
});

t.test('an abort signal abandons a fetch in flight or before it starts', async (t) => {
  const s = await stub(t, () => undefined);
  const { f } = fetcher(t);
  const controller = new AbortController();
  const pending = f.fetch({ url: s.origin + '/slow', operation: 'resync', signal: controller.signal });
  while (s.requests.length === 0) await new Promise((resolve) => setImmediate(resolve));
  controller.abort();
  await t.rejects(pending, { code: 'aborted' });
  await t.rejects(f.fetch({ url: s.origin + '/never', operation: 'resync', signal: AbortSignal.abort() }), { code: 'aborted' });
});
