/**
 * The TLS matrix (issue 4, SPEC §6, RELIABILITY.md §4.2): each bad certificate is rejected
 * with its stable reason, a `tls.rejected` event names subject and issuer, and neither a
 * request, a body nor a credential reaches the server.
 */
import t from 'tap';
import * as https from 'node:https';
import type { TLSSocket } from 'node:tls';
import type { EventInput } from '../../daemon/bus/events.js';
import { Fetcher, type Credentials } from '../../daemon/http/index.js';
import { loadTrustStore, makeCa, makeLeaf, makeTestPki, tlsConnectionOptions, type Issued } from '../../daemon/tls/index.js';
import { startStub } from '../fixtures/http/stub.js';

const pki = makeTestPki();
const stranger = makeCa({ commonName: 'some other root' });
const DAY = 86_400_000;
const leaf = (options: Partial<Parameters<typeof makeLeaf>[0]>): Issued => makeLeaf({ commonName: 'localhost', issuer: pki.intermediate, ...options });
const nonCa = leaf({ commonName: 'not a CA' });
const secret: Credentials = { username: 'admin', password: 'do-not-leak', source: 'callserver' };

async function serve(t: { teardown(fn: () => unknown): void }, cert: string, key: string, options: https.ServerOptions = {}) {
  const server = await startStub((_req, res) => res.end('secret profile'), { cert, key, ...options });
  t.teardown(server.stop);
  return server;
}

async function trust(...anchors: Issued[]) {
  return loadTrustStore({ trustCerts: anchors.map((a, i) => ({ name: `anchor${i}`, data: Buffer.from(a.certPem) })) });
}

const matrix: { name: string; cert: () => { certPem: string; keyPem: string }; chain?: boolean; anchors?: Issued[]; reason: string }[] = [
  { name: 'untrusted root', cert: () => pki.leaf, anchors: [stranger], reason: 'untrusted_root' },
  { name: 'expired', cert: () => leaf({ notBefore: new Date(Date.now() - 30 * DAY), notAfter: new Date(Date.now() - DAY) }), reason: 'expired' },
  { name: 'not yet valid', cert: () => leaf({ notBefore: new Date(Date.now() + DAY), notAfter: new Date(Date.now() + 30 * DAY) }), reason: 'not_yet_valid' },
  { name: 'wrong name with TLSSRVRID=1', cert: () => leaf({ altNames: ['elsewhere.test'] }), reason: 'name_mismatch' },
  { name: 'client-auth-only EKU', cert: () => leaf({ extendedKeyUsage: ['clientAuth'] }), reason: 'bad_purpose' },
  { name: 'missing intermediate', cert: () => pki.leaf, chain: false, reason: 'incomplete_chain' },
  { name: 'a non-CA certificate signing the leaf', cert: () => ({ certPem: makeLeaf({ commonName: 'localhost', issuer: nonCa }).certPem + nonCa.certPem + pki.intermediate.certPem, keyPem: '' }), chain: false, reason: 'bad_purpose' },
];

for (const row of matrix) {
  t.test(`${row.name}: rejected as ${row.reason}, nothing sent`, async (t) => {
    const issued = row.cert();
    // The non-CA case builds its own chain; its key is the last leaf's, made here.
    const cert = row.chain === false ? issued.certPem : issued.certPem + pki.intermediate.certPem;
    const key = issued.keyPem || '';
    const server = key ? await serve(t, cert, key) : await serveNonCa(t);
    const store = await trust(...(row.anchors ?? [pki.root]));
    const events: EventInput[] = [];
    let asked = 0;
    const fetcher = new Fetcher({ userAgent: 'test', tls: () => tlsConnectionOptions(store, { checkName: true }), onEvent: (e) => events.push(e) });
    t.teardown(() => fetcher.close());
    await t.rejects(
      fetcher.fetch({
        url: `${server.origin}/backup.txt`,
        method: 'PUT',
        body: Buffer.from('user data'),
        operation: 'backup',
        preemptiveBasic: secret,
        credentials: async () => {
          asked++;
          return secret;
        },
      }),
      { code: `tls_${row.reason}`, tlsReason: row.reason },
    );
    t.equal(server.requests.length, 0, 'no request reached the server');
    t.equal(asked, 0, 'no credential was asked for');
    t.match(events, [{ type: 'tls.rejected', reason: row.reason, operation: 'backup', subject: /CN=/, issuer: /CN=/ }]);
    t.notMatch(JSON.stringify(events), /do-not-leak/);
  });
}

async function serveNonCa(t: { teardown(fn: () => unknown): void }) {
  const bad = makeLeaf({ commonName: 'localhost', issuer: nonCa });
  return serve(t, bad.certPem + nonCa.certPem + pki.intermediate.certPem, bad.keyPem);
}

t.test('a wrong name is accepted with TLSSRVRID=0 (chain still verified)', async (t) => {
  const named = leaf({ altNames: ['elsewhere.test'] });
  const server = await serve(t, named.certPem + pki.intermediate.certPem, named.keyPem);
  const store = await trust(pki.root);
  const fetcher = new Fetcher({ userAgent: 'test', tls: () => tlsConnectionOptions(store, { checkName: false }) });
  t.teardown(() => fetcher.close());
  t.equal((await fetcher.fetch({ url: `${server.origin}/p`, operation: 'resync' })).body.toString(), 'secret profile');
  const untrusted = new Fetcher({ userAgent: 'test', tls: () => tlsConnectionOptions({ ...store, ca: [stranger.certPem] }, { checkName: false }) });
  t.teardown(() => untrusted.close());
  await t.rejects(untrusted.fetch({ url: `${server.origin}/p`, operation: 'resync' }), { code: 'tls_untrusted_root' });
});

t.test('installing a trust certificate takes effect on the next request of the same fetcher', async (t) => {
  const server = await serve(t, pki.chainPem, pki.leaf.keyPem);
  let store = await trust(stranger);
  const fetcher = new Fetcher({ userAgent: 'test', tls: () => tlsConnectionOptions(store, { checkName: true }) });
  t.teardown(() => fetcher.close());
  await t.rejects(fetcher.fetch({ url: `${server.origin}/p`, operation: 'resync' }), { code: 'tls_untrusted_root' });
  store = await trust(stranger, pki.root);
  t.equal((await fetcher.fetch({ url: `${server.origin}/p`, operation: 'trustcerts' })).status, 200);
});

t.test('NODE_TLS_REJECT_UNAUTHORIZED=0 in the environment changes nothing', async (t) => {
  const server = await serve(t, pki.chainPem, pki.leaf.keyPem);
  const store = await trust(stranger);
  const saved = process.env.NODE_TLS_REJECT_UNAUTHORIZED;
  process.env.NODE_TLS_REJECT_UNAUTHORIZED = '0';
  t.teardown(() => {
    if (saved === undefined) delete process.env.NODE_TLS_REJECT_UNAUTHORIZED;
    else process.env.NODE_TLS_REJECT_UNAUTHORIZED = saved;
  });
  const fetcher = new Fetcher({ userAgent: 'test', tls: () => tlsConnectionOptions(store, { checkName: true }) });
  t.teardown(() => fetcher.close());
  await t.rejects(fetcher.fetch({ url: `${server.origin}/p`, operation: 'resync' }), { code: 'tls_untrusted_root' });
  // And without any TLS policy, nothing is trusted (never Node's bundled roots).
  const bare = new Fetcher({ userAgent: 'test' });
  t.teardown(() => bare.close());
  await t.rejects(bare.fetch({ url: `${server.origin}/p`, operation: 'resync' }), { code: 'tls_untrusted_root' });
});

t.test('a server below TLS 1.2 or not speaking TLS is handshake_failed', async (t) => {
  const server = await serve(t, pki.chainPem, pki.leaf.keyPem, { maxVersion: 'TLSv1.1', minVersion: 'TLSv1', ciphers: 'DEFAULT@SECLEVEL=0' });
  const store = await trust(pki.root);
  const fetcher = new Fetcher({ userAgent: 'test', tls: () => tlsConnectionOptions(store, { checkName: true }) });
  t.teardown(() => fetcher.close());
  await t.rejects(fetcher.fetch({ url: `${server.origin}/p`, operation: 'resync' }), { code: 'tls_handshake_failed' });
  const plain = await startStub((_req, res) => res.end());
  t.teardown(plain.stop);
  await t.rejects(fetcher.fetch({ url: `https://127.0.0.1:${plain.port}/p`, operation: 'resync' }), { code: 'tls_handshake_failed' });
});

t.test('good chain: pre-emptive Basic on every https request, TLS sessions resumed, no downgrade redirect', async (t) => {
  const sessions: boolean[] = [];
  const server = await startStub(
    (req, res) => {
      if (req.url === '/down') {
        res.statusCode = 302;
        res.setHeader('location', `http://127.0.0.1:${server.port}/plain`);
      }
      res.setHeader('connection', 'close');
      res.end('ok');
    },
    { cert: pki.chainPem, key: pki.leaf.keyPem },
  );
  t.teardown(server.stop);
  server.server.on('secureConnection', (socket: TLSSocket) => socket.once('data', () => sessions.push(socket.isSessionReused())));
  const store = await trust(pki.root);
  const fetcher = new Fetcher({ userAgent: 'test', tls: () => tlsConnectionOptions(store, { checkName: true }) });
  t.teardown(() => fetcher.close());
  for (let i = 0; i < 3; i++) await fetcher.fetch({ url: `${server.origin}/p`, operation: 'backup', preemptiveBasic: secret });
  t.ok(server.requests.every((r) => r.headers.authorization === 'Basic YWRtaW46ZG8tbm90LWxlYWs='));
  t.same(sessions, [false, true, true], 'new connections resume the TLS session');
  await t.rejects(fetcher.fetch({ url: `${server.origin}/down`, operation: 'resync' }), { code: 'redirect_downgrade' });
});

t.test('many requests on one kept-alive https connection leave no listener behind on its socket', async (t) => {
  const server = await serve(t, pki.chainPem, pki.leaf.keyPem);
  const store = await trust(pki.root);
  const fetcher = new Fetcher({ userAgent: 'test', tls: () => tlsConnectionOptions(store, { checkName: true }) });
  t.teardown(() => fetcher.close());
  const warnings: Error[] = [];
  const onWarning = (warning: Error) => warnings.push(warning);
  process.on('warning', onWarning);
  t.teardown(() => process.off('warning', onWarning));
  const ports = new Set<number>();
  server.server.on('secureConnection', (socket: TLSSocket) => ports.add(socket.remotePort!));
  for (let i = 0; i < 15; i++) t.equal((await fetcher.fetch({ url: `${server.origin}/p`, operation: 'resync' })).body.toString(), 'secret profile');
  await new Promise((resolve) => setImmediate(resolve));
  t.equal(ports.size, 1, 'every request went over the one connection');
  t.same(
    warnings.filter((w) => w.name === 'MaxListenersExceededWarning').map((w) => w.message),
    [],
  );
});
