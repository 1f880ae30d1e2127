/**
 * Keep-alive agents are kept for a bounded number of origins (issue 12, found by reading):
 * redirect targets are chosen by servers, and each origin's agent holds idle sockets. The one
 * unused longest is retired — its idle sockets closed, a request still in flight finishes.
 */
import t from 'tap';
import type { Socket } from 'node:net';
import { Fetcher } from '../../daemon/http/index.js';
import { MAX_AGENTS } from '../../daemon/http/transport.js';
import { startStub, type Stub } from '../fixtures/http/stub.js';

/** A target that counts its open connections; `hold` keeps the next answer until released. */
async function target(t: { teardown(fn: () => Promise<void>): void }) {
  const open = new Set<Socket>();
  let held: (() => void) | undefined;
  const state = { hold: false };
  const stub: Stub = await startStub((_req, res) => {
    const answer = (): void => void res.end('<flat-profile/>');
    if (!state.hold) return answer();
    state.hold = false;
    held = answer;
  });
  // Keep idle connections for good (Node's default closes them after 5 s): only the client closes them.
  stub.server.keepAliveTimeout = 0;
  stub.server.on('connection', (socket: Socket) => {
    open.add(socket);
    socket.on('close', () => open.delete(socket));
  });
  t.teardown(() => stub.stop());
  return { stub, open, state, release: () => held?.() };
}

async function until(check: () => boolean): Promise<void> {
  while (!check()) await new Promise((resolve) => setImmediate(resolve));
}

t.test('redirects to many origins leave at most MAX_AGENTS agents with idle sockets', async (t) => {
  const targets = await Promise.all(Array.from({ length: MAX_AGENTS + 4 }, () => target(t)));
  const front = await startStub((req, res) => {
    res.writeHead(302, { location: `http://127.0.0.1:${req.url.slice('/go/'.length)}/p.xml` }).end();
  });
  t.teardown(() => front.stop());
  const fetcher = new Fetcher({ userAgent: 'test' });
  t.teardown(() => fetcher.close());
  for (const { stub } of targets) t.equal((await fetcher.fetch({ url: `${front.origin}/go/${stub.port}`, operation: 'resync' })).status, 200);
  const openTotal = (): number => targets.reduce((sum, { open }) => sum + open.size, 0);
  // The front server is one of the kept origins; the oldest targets were retired.
  await until(() => openTotal() <= MAX_AGENTS - 1);
  t.equal(openTotal(), MAX_AGENTS - 1, 'the most recent targets keep one idle connection each');
  t.same(targets.slice(0, 5).map(({ open }) => open.size), [0, 0, 0, 0, 0], 'the oldest are closed');
  // A kept origin still reuses its connection.
  const last = targets.at(-1)!;
  const before = last.stub.requests.length;
  const [socket] = [...last.open];
  await fetcher.fetch({ url: `${last.stub.origin}/p.xml`, operation: 'resync' });
  t.equal(last.stub.requests.length, before + 1);
  t.same([...last.open], [socket], 'same socket');
});

t.test('a request in flight on an agent being retired finishes, then its socket closes', async (t) => {
  const slow = await target(t);
  const others = await Promise.all(Array.from({ length: MAX_AGENTS }, () => target(t)));
  const fetcher = new Fetcher({ userAgent: 'test' });
  t.teardown(() => fetcher.close());
  slow.state.hold = true;
  const pending = fetcher.fetch({ url: `${slow.stub.origin}/p.xml`, operation: 'resync' });
  await until(() => slow.stub.requests.length === 1);
  for (const { stub } of others) await fetcher.fetch({ url: `${stub.origin}/p.xml`, operation: 'resync' });
  t.equal(slow.open.size, 1, 'the retired agent did not cut the request');
  slow.release();
  t.match(await pending, { status: 200, body: Buffer.from('<flat-profile/>') });
  await until(() => slow.open.size === 0);
  t.pass('and the socket was not kept');
});
