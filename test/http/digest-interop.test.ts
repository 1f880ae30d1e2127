/**
 * SHA-256, SHA-512-256, -sess, auth-int, userhash and username* against the test server of
 * test/fixtures/http/digest-server.ts, whose verification curl must pass too (issue 4).
 */
import t from 'tap';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { Fetcher } from '../../daemon/http/index.js';
import { requireProgram } from '../fixtures/peers.js';
import { startDigestServer, type DigestServerOptions } from '../fixtures/http/digest-server.js';

const curl = requireProgram('curl', 'curl');
const run = promisify(execFile);

async function curlStatus(url: string, user: string, password: string): Promise<string> {
  // The password goes through a config file on stdin, never on the command line.
  const child = run(curl, ['-sS', '-o', '/dev/null', '-w', '%{http_code}', '--digest', '-K', '-', url]);
  child.child.stdin!.end(`user = "${user}:${password}"\n`);
  return (await child).stdout;
}

const cases: { name: string; options: DigestServerOptions; curl: boolean }[] = [
  { name: 'SHA-256 qop=auth', options: { algorithm: 'SHA-256', users: { alice: 'wonder land' } }, curl: true },
  { name: 'SHA-256-sess', options: { algorithm: 'SHA-256-sess', users: { alice: 'wonder land' } }, curl: true },
  { name: 'MD5-sess', options: { algorithm: 'MD5-sess', users: { alice: 'wonder land' } }, curl: true },
  { name: 'SHA-256 with userhash', options: { algorithm: 'SHA-256', userhash: true, users: { alice: 'wonder land' } }, curl: true },
  // curl 7.88 (Debian 12) has no SHA-512-256; the server is checked with RFC 7616 §3.9.2 below.
  { name: 'SHA-512-256', options: { algorithm: 'SHA-512-256', users: { alice: 'wonder land' } }, curl: false },
  { name: 'SHA-512-256-sess with userhash', options: { algorithm: 'SHA-512-256-sess', userhash: true, users: { alice: 'wonder land' } }, curl: false },
  // curl computes auth-int over an empty body (RELIABILITY.md §1.1), which is right for GET.
  { name: 'MD5 qop=auth-int', options: { algorithm: 'MD5', qop: 'auth-int', users: { alice: 'wonder land' } }, curl: true },
];

for (const c of cases) {
  t.test(`${c.name}: curl --digest and our fetcher are both accepted, a wrong password by neither`, async (t) => {
    const server = await startDigestServer(c.options);
    t.teardown(server.stop);
    const url = `${server.origin}/profile.xml`;
    if (c.curl) {
      t.equal(await curlStatus(url, 'alice', 'wonder land'), '200', 'curl accepted');
      t.equal(await curlStatus(url, 'alice', 'wrong'), '401', 'curl with a wrong password refused');
    }
    const fetcher = new Fetcher({ userAgent: 'test' });
    t.teardown(() => fetcher.close());
    const result = await fetcher.fetch({ url, operation: 'resync', credentials: async () => ({ username: 'alice', password: 'wonder land', source: 'rule' }) });
    t.equal(result.body.toString(), 'hello alice\n');
    t.equal(result.requests, 2);
    const again = await fetcher.fetch({ url, operation: 'resync', credentials: async () => ({ username: 'alice', password: 'wonder land', source: 'rule' }) });
    t.equal(again.requests, 1, 'pre-emptive with the cached nonce, nc=2');
  });
}

t.test('auth-int over a PUT body: the server checks the hash of the exact bytes', async (t) => {
  const server = await startDigestServer({ algorithm: 'SHA-256', qop: 'auth-int', users: { alice: 'pw' } });
  t.teardown(server.stop);
  const fetcher = new Fetcher({ userAgent: 'test' });
  t.teardown(() => fetcher.close());
  const body = Buffer.from('ABKNAME1=Alice\r\n\u00ff', 'latin1');
  const result = await fetcher.fetch({ url: `${server.origin}/backup.txt`, method: 'PUT', body, operation: 'backup', credentials: async () => ({ username: 'alice', password: 'pw', source: 'stored' }) });
  t.equal(result.status, 200);
  t.same(server.requests.map((r) => r.verdict), ['challenged', 'ok']);
});

t.test('a UTF-8 user name travels as username* and is verified', async (t) => {
  const server = await startDigestServer({ algorithm: 'SHA-512-256', users: { 'J\u00e4s\u00f8n Doe': 'Secret, or not?' } });
  t.teardown(server.stop);
  const fetcher = new Fetcher({ userAgent: 'test' });
  t.teardown(() => fetcher.close());
  const result = await fetcher.fetch({ url: `${server.origin}/doe.json`, operation: 'resync', credentials: async () => ({ username: 'J\u00e4s\u00f8n Doe', password: 'Secret, or not?', source: 'prompt' }) });
  t.equal(result.body.toString(), 'hello J\u00e4s\u00f8n Doe\n');
});

t.test('several challenges: the strongest supported one is answered, unknown algorithms never', async (t) => {
  const server = await startDigestServer({ algorithm: 'SHA-256', users: { alice: 'pw' }, extraChallenges: ['Digest realm="x", nonce="1", algorithm=SHA3-512', 'Digest realm="x", nonce="2", algorithm=MD5', 'Basic realm="x"'] });
  t.teardown(server.stop);
  const events: unknown[] = [];
  const fetcher = new Fetcher({ userAgent: 'test', onEvent: (e) => events.push(e) });
  t.teardown(() => fetcher.close());
  await fetcher.fetch({ url: `${server.origin}/p`, operation: 'resync', credentials: async () => ({ username: 'alice', password: 'pw', source: 'rule' }) });
  t.match(events, [
    { type: 'auth.challenge', scheme: 'Digest', algorithm: 'SHA-256', realm: 'provisioning@test', operation: 'resync', source: 'none' },
    { type: 'auth.success', scheme: 'Digest', algorithm: 'SHA-256', source: 'rule' },
  ]);
});

t.test('stale=true is retried silently with the same credentials, and counts as an answer', async (t) => {
  const server = await startDigestServer({ algorithm: 'MD5', users: { alice: 'pw' }, staleAfter: 1 });
  t.teardown(server.stop);
  const asked: unknown[] = [];
  const fetcher = new Fetcher({ userAgent: 'test' });
  t.teardown(() => fetcher.close());
  const credentials = async (ctx: unknown) => {
    asked.push(ctx);
    return { username: 'alice', password: 'pw', source: 'rule' as const };
  };
  await fetcher.fetch({ url: `${server.origin}/p`, operation: 'resync', credentials });
  const second = await fetcher.fetch({ url: `${server.origin}/p`, operation: 'resync', credentials });
  t.equal(second.requests, 2, 'pre-emptive answer went stale, one silent retry');
  t.same(server.requests.map((r) => r.verdict), ['challenged', 'ok', 'stale', 'ok']);
  t.match(asked, [{ attempt: 1, previousRejected: false }, { attempt: 0, previousRejected: false }]);
  t.equal(asked.length, 2, 'no second question on stale');
});

t.test('a server that is always stale ends in auth_retries_exhausted after two answers', async (t) => {
  const server = await startDigestServer({ algorithm: 'MD5', users: { alice: 'pw' }, staleAfter: 0 });
  t.teardown(server.stop);
  const events: { type: string; reason?: string }[] = [];
  const fetcher = new Fetcher({ userAgent: 'test', onEvent: (e) => events.push(e) });
  t.teardown(() => fetcher.close());
  await t.rejects(fetcher.fetch({ url: `${server.origin}/p`, operation: 'resync', credentials: async () => ({ username: 'alice', password: 'pw', source: 'rule' }) }), { code: 'auth_retries_exhausted', status: 401 });
  t.equal(server.requests.length, 3);
  t.match(events.at(-1), { type: 'auth.failure', reason: 'retries-exhausted' });
});

t.test('Authentication-Info nextnonce is used for the next pre-emptive request', async (t) => {
  const server = await startDigestServer({ algorithm: 'SHA-256', users: { alice: 'pw' }, nextnonce: true, staleAfter: 1 });
  t.teardown(server.stop);
  const fetcher = new Fetcher({ userAgent: 'test' });
  t.teardown(() => fetcher.close());
  const credentials = async () => ({ username: 'alice', password: 'pw', source: 'rule' as const });
  await fetcher.fetch({ url: `${server.origin}/p`, operation: 'resync', credentials });
  const second = await fetcher.fetch({ url: `${server.origin}/p`, operation: 'resync', credentials });
  t.equal(second.requests, 1);
  t.same(server.requests.map((r) => r.verdict), ['challenged', 'ok', 'ok']);
});

t.test('the test server accepts the corrected RFC 7616 §3.9.2 request (SHA-512-256, userhash) verbatim', async (t) => {
  const server = await startDigestServer({
    realm: 'api@example.org',
    algorithm: 'SHA-512-256',
    userhash: true,
    users: { 'J\u00e4s\u00f8n Doe': 'Secret, or not?' },
    nonce: '5TsQWLVdgBdmrQ0XsxbDODV+57QdFR34I9HAbC/RVvkK',
    opaque: 'HRPCssKJSGjCrkzDg8OhwpzCiGPChXYjwrI2QmXDnsOS',
  });
  t.teardown(server.stop);
  const authorization =
    'Digest username="793263caabb707a56211940d90411ea4a575adeccb7e360aeb624ed06ece9b0b", realm="api@example.org", uri="/doe.json", algorithm=SHA-512-256, nonce="5TsQWLVdgBdmrQ0XsxbDODV+57QdFR34I9HAbC/RVvkK", nc=00000001, cnonce="NTg6RKcb9boFIAS3KrFK9BGeh+iDa/sm6jUMp2wds69v", qop=auth, response="3798d4131c277846293534c3edc11bd8a5e4cdcbff78b05db9d95eeb1cec68a5", opaque="HRPCssKJSGjCrkzDg8OhwpzCiGPChXYjwrI2QmXDnsOS", userhash=true';
  const ok = await fetch(`${server.origin}/doe.json`, { headers: { authorization } });
  t.equal(ok.status, 200);
  const published = authorization.replace('3798d4131c277846293534c3edc11bd8a5e4cdcbff78b05db9d95eeb1cec68a5', 'ae66e67d6b427bd3f120414a82e4acff38e8ecd9101d6c861229025f607a79dd');
  t.equal((await fetch(`${server.origin}/doe.json`, { headers: { authorization: published } })).status, 401, 'the published (wrong) value is refused');
});
