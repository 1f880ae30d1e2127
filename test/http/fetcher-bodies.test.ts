/**
 * Request bodies are never sent where they were not meant to go nor twice (RFC 9110 §9.2.2,
 * §15.4.8): a kept-alive connection reset under a POST is not retried; a 307/308 does not
 * carry a PUT or POST body to another origin.
 */
import t from 'tap';
import { Fetcher } from '../../daemon/http/index.js';
import { startStub } from '../fixtures/http/stub.js';

function fetcher(t: { teardown(fn: () => unknown): void }) {
  const f = new Fetcher({ userAgent: 'test' });
  t.teardown(() => f.close());
  return f;
}

t.test('a reset kept-alive connection re-sends a GET once, never a POST', async (t) => {
  // The first request of each fetch is answered; the next one on the same connection is cut.
  const server = await startStub((req, res, count) => {
    if (count % 2 === 1) res.end('ok');
    else res.socket?.destroy();
  });
  t.teardown(server.stop);
  const f = fetcher(t);
  await f.fetch({ url: `${server.origin}/a`, operation: 'resync' });
  const got = await f.fetch({ url: `${server.origin}/b`, operation: 'resync', conditional: false });
  t.equal(got.body.toString(), 'ok', 'the GET was sent again on a fresh connection');
  t.equal(server.requests.filter((r) => r.url === '/b').length, 2);
  await f.fetch({ url: `${server.origin}/c`, operation: 'resync' });
  await t.rejects(f.fetch({ url: `${server.origin}/post`, method: 'POST', body: Buffer.from('once'), operation: 'resync' }), { code: 'connection_reused_closed' });
  t.equal(server.requests.filter((r) => r.url === '/post').length, 1, 'the POST reached the server once');
});

for (const status of [307, 308]) {
  t.test(`a ${status} does not carry a PUT body to another origin`, async (t) => {
    const elsewhere = await startStub((_req, res) => res.end('stored'));
    t.teardown(elsewhere.stop);
    const server = await startStub((req, res) => {
      if (req.url === '/same') res.writeHead(status, { location: '/moved' }).end();
      else if (req.url === '/moved') res.end('stored here');
      else res.writeHead(status, { location: `${elsewhere.origin}/backup.txt` }).end();
    });
    t.teardown(server.stop);
    const f = fetcher(t);
    await t.rejects(f.fetch({ url: `${server.origin}/backup.txt`, method: 'PUT', body: Buffer.from('user data'), operation: 'backup' }), { code: 'redirect_body_cross_origin', status });
    t.equal(elsewhere.requests.length, 0, 'nothing reached the other origin');
    const same = await f.fetch({ url: `${server.origin}/same`, method: 'PUT', body: Buffer.from('user data'), operation: 'backup' });
    t.equal(same.body.toString(), 'stored here', 'the same origin still gets it');
    t.equal(server.requests.at(-1)?.body.toString(), 'user data');
  });
}
