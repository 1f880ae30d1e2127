import t from 'tap';
import * as path from 'node:path';
import * as tls from 'node:tls';
import { X509Certificate } from 'node:crypto';
import { certificateInfo, certificateInfoFromDer, peerCertificateInfo, certificatesFromBytes, loadTrustStore, tlsConnectionOptions, tlsReason, TLS_REASONS } from '../../daemon/tls/index.js';
import { makeCa } from '../../daemon/tls/pki.js';

const a = makeCa({ commonName: 'Anchor A' });
const b = makeCa({ commonName: 'Anchor B' });
const der = (pem: string) => new X509Certificate(pem).raw;

t.test('anchors are read from PEM and DER files; bad files are reported, not fatal', async (t) => {
  const dir = t.testdir({ 'a.pem': a.certPem + b.certPem, 'b.der': der(b.certPem), 'junk.txt': 'hello', 'broken.pem': '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n', 'key.pem': '-----BEGIN RSA PRIVATE KEY-----\n', sub: {} });
  const store = await loadTrustStore({ anchorsDir: dir, trustCerts: [{ name: 'https://x/trust.der', data: der(a.certPem) }] });
  t.equal(store.ca.length, 4);
  t.same(
    store.certificates.map((c) => [c.origin, path.basename(c.source), c.subject]),
    [
      ['anchor', 'a.pem', 'CN=Anchor A, O=provisiond test PKI'],
      ['anchor', 'a.pem', 'CN=Anchor B, O=provisiond test PKI'],
      ['anchor', 'b.der', 'CN=Anchor B, O=provisiond test PKI'],
      ['trustcerts', 'trust.der', 'CN=Anchor A, O=provisiond test PKI'],
    ],
  );
  t.equal(store.hasTrustCerts, true);
  t.same(
    store.problems.map((p) => [p.code, path.basename(p.where?.path ?? '')]),
    [
      ['trust_certificate_invalid', 'broken.pem'],
      ['trust_certificate_invalid', 'junk.txt'],
      ['trust_certificate_invalid', 'key.pem'],
    ],
  );
});

t.test('a missing anchors directory is empty; an unreadable one is a typed error', async (t) => {
  const store = await loadTrustStore({ anchorsDir: path.join(t.testdir(), 'absent') });
  t.same(store.ca, []);
  t.equal(store.hasTrustCerts, false);
  const file = path.join(t.testdir({ f: 'x' }), 'f');
  await t.rejects(loadTrustStore({ anchorsDir: file }), { code: 'trust_anchors_unreadable' });
  t.same((await loadTrustStore({})).ca, []);
});

t.test('the system store is added only when asked', async (t) => {
  const store = await loadTrustStore({ trustCerts: [{ name: 'a', data: Buffer.from(a.certPem) }], useSystemStore: true });
  t.equal(store.ca.length, 1 + tls.rootCertificates.length);
});

t.test('connection options always reject unauthorised servers, TLS 1.2+, name check per TLSSRVRID', async (t) => {
  const store = await loadTrustStore({ trustCerts: [{ name: 'a', data: Buffer.from(a.certPem) }] });
  const strict = tlsConnectionOptions(store, { checkName: true });
  t.equal(strict.rejectUnauthorized, true);
  t.equal(strict.minVersion, 'TLSv1.2');
  t.same(strict.ca, [a.certPem.trim()]);
  t.equal(strict.checkServerIdentity, tls.checkServerIdentity);
  const chainOnly = tlsConnectionOptions(store, { checkName: false });
  const peer = { raw: der(a.certPem) } as unknown as tls.PeerCertificate;
  t.equal(chainOnly.checkServerIdentity?.('wrong.name', peer), undefined);
  t.type(chainOnly.checkServerIdentity?.('wrong.name', {} as tls.PeerCertificate), Error);
});

t.test('certificate info: subject, issuer, validity and the SHA-256 fingerprint openssl prints', async (t) => {
  const info = certificateInfo(a.certPem);
  const x = new X509Certificate(a.certPem);
  t.equal(info.fingerprint256, x.fingerprint256);
  t.equal(info.issuer, info.subject);
  t.equal(info.notAfter, new Date(x.validTo).toISOString());
  t.same(certificateInfoFromDer(der(a.certPem)), info);
  t.same(peerCertificateInfo(der(a.certPem)), info);
  t.equal(peerCertificateInfo(Buffer.from('junk')), undefined, 'a socket listener never throws');
  t.equal(peerCertificateInfo(undefined), undefined);
  t.equal(peerCertificateInfo(Buffer.alloc(0)), undefined);
  t.throws(() => certificatesFromBytes(Buffer.from([0x30, 0x03, 1, 2, 3]), 'x.der'), { code: 'trust_certificate_invalid' });
});

t.test('OpenSSL codes map to stable reasons; anything else is a handshake failure', async (t) => {
  t.equal(tlsReason('UNABLE_TO_GET_ISSUER_CERT_LOCALLY'), 'untrusted_root');
  t.equal(tlsReason('CERT_HAS_EXPIRED'), 'expired');
  t.equal(tlsReason('CERT_SIGNATURE_FAILURE'), 'untrusted_root', 'a look-alike root with the same name');
  t.equal(tlsReason('CERT_NOT_YET_VALID'), 'not_yet_valid');
  t.equal(tlsReason('ERR_TLS_CERT_ALTNAME_INVALID'), 'name_mismatch');
  t.equal(tlsReason('INVALID_PURPOSE'), 'bad_purpose');
  t.equal(tlsReason('UNSPECIFIED', 'key usage does not include certificate signing'), 'bad_purpose', 'a non-CA certificate signed the leaf');
  t.equal(tlsReason('UNSPECIFIED', 'permitted subtree violation'), 'handshake_failed');
  t.equal(tlsReason('UNABLE_TO_VERIFY_LEAF_SIGNATURE'), 'incomplete_chain');
  t.equal(tlsReason('ERR_SSL_WRONG_VERSION_NUMBER'), 'handshake_failed');
  t.equal(tlsReason(undefined), 'handshake_failed');
  t.equal(TLS_REASONS.length, 7);
});

t.test('an attribute without a short name is shown by its OID', async (t) => {
  const { default: forge } = await import('node-forge');
  const keys = forge.pki.rsa.generateKeyPair({ bits: 512, e: 0x10001 });
  const cert = forge.pki.createCertificate();
  cert.publicKey = keys.publicKey;
  cert.setSubject([{ type: '1.2.3.4', value: 'odd' }]);
  cert.setIssuer([{ name: 'commonName', value: 'x' }]);
  cert.sign(keys.privateKey, forge.md.sha256.create());
  t.equal(certificateInfo(forge.pki.certificateToPem(cert)).subject, '1.2.3.4=odd');
});
