/**
 * Every key type a server may present (SPEC §6): ECDSA P-256 / P-384 and Ed25519 leaves and
 * anchors, made with the openssl command line, served by a Node HTTPS server and by Apache.
 * A trusted chain fetches; an untrusted one is a typed `tls_untrusted_root` naming the peer's
 * subject and issuer — and never an uncaught exception from a socket listener (issue 12 §1).
 */
import t, { type Test } from 'tap';
import { X509Certificate } from 'node:crypto';
import type { EventInput } from '../../daemon/bus/events.js';
import { Fetcher } from '../../daemon/http/index.js';
import { certificateInfo, certificateInfoFromDer, loadTrustStore, makeCa, tlsConnectionOptions } from '../../daemon/tls/index.js';
import { startApache } from '../fixtures/http/apache.js';
import { startStub } from '../fixtures/http/stub.js';
import { makeOpensslPki, type KeyKind } from '../fixtures/tls/openssl-pki.js';

const kinds: KeyKind[] = ['P-256', 'P-384', 'Ed25519'];
const stranger = makeCa({ commonName: 'some other root' });

async function fetcherTrusting(t: Test, pems: string[], events: EventInput[] = []) {
  const store = await loadTrustStore({ trustCerts: pems.map((pem, i) => ({ name: `anchor${i}`, data: Buffer.from(pem) })) });
  t.same(store.problems, [], 'every anchor was read');
  t.equal(store.certificates.length, pems.length);
  const fetcher = new Fetcher({ userAgent: 'test', tls: () => tlsConnectionOptions(store, { checkName: true }), onEvent: (e) => events.push(e) });
  t.teardown(() => fetcher.close());
  return fetcher;
}

for (const kind of kinds) {
  t.test(`${kind}: anchors are read, a trusted server fetches, an untrusted one is a typed rejection`, async (t) => {
    const pki = makeOpensslPki(kind);
    const info = certificateInfo(pki.root.certPem);
    t.equal(info.subject, `CN=openssl test root, O=provisiond test PKI`);
    t.equal(info.fingerprint256, new X509Certificate(pki.root.certPem).fingerprint256);
    t.same(certificateInfoFromDer(new X509Certificate(pki.leaf.certPem).raw).issuer, info.subject);

    const server = await startStub((_req, res) => res.end('profile'), { cert: pki.leaf.certPem + pki.root.certPem, key: pki.leaf.keyPem });
    t.teardown(server.stop);
    const ok = await fetcherTrusting(t, [pki.root.certPem]);
    const result = await ok.fetch({ url: `${server.origin}/p.xml`, operation: 'resync' });
    t.equal(result.body.toString(), 'profile');

    const events: EventInput[] = [];
    const strict = await fetcherTrusting(t, [stranger.certPem], events);
    await t.rejects(strict.fetch({ url: `${server.origin}/p.xml`, operation: 'resync' }), { code: 'tls_untrusted_root' });
    t.match(events, [{ type: 'tls.rejected', reason: 'untrusted_root', subject: 'CN=localhost, O=provisiond test PKI', issuer: 'CN=openssl test root, O=provisiond test PKI' }]);
    t.equal(server.requests.length, 1, 'only the trusted fetch reached the server');
  });
}

t.test('Apache with an ECDSA P-384 leaf under an Ed25519 root: trusted and untrusted', async (t) => {
  const pki = makeOpensslPki('P-384', 'Ed25519');
  const apache = await startApache({ tls: { certPem: pki.leaf.certPem + pki.root.certPem, keyPem: pki.leaf.keyPem }, files: { 'p.txt': 'from apache' } });
  t.teardown(apache.stop);
  const ok = await fetcherTrusting(t, [pki.root.certPem]);
  t.equal((await ok.fetch({ url: `${apache.origin}/p.txt`, operation: 'resync' })).body.toString(), 'from apache');
  const events: EventInput[] = [];
  const strict = await fetcherTrusting(t, [stranger.certPem], events);
  await t.rejects(strict.fetch({ url: `${apache.origin}/p.txt`, operation: 'resync' }), { code: 'tls_untrusted_root' });
  t.match(events, [{ type: 'tls.rejected', subject: /CN=localhost/, issuer: /CN=openssl test root/ }]);
});
