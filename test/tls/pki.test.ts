import t from 'tap';
import { X509Certificate } from 'node:crypto';
import { makeCa, makeLeaf, makeTestPki } from '../../daemon/tls/pki.js';

t.test('a test PKI chains root → intermediate → leaf with loopback SANs', async (t) => {
  const pki = makeTestPki();
  const root = new X509Certificate(pki.root.certPem);
  const intermediate = new X509Certificate(pki.intermediate.certPem);
  const leaf = new X509Certificate(pki.leaf.certPem);
  t.ok(root.ca && intermediate.ca && !leaf.ca);
  t.ok(intermediate.verify(root.publicKey));
  t.ok(leaf.verify(intermediate.publicKey));
  t.ok(leaf.checkHost('localhost'));
  t.ok(leaf.checkIP('127.0.0.1'));
  t.ok(leaf.checkIP('::1'));
  t.equal(pki.chainPem, pki.leaf.certPem + pki.intermediate.certPem);
  t.match(pki.leaf.keyPem, /BEGIN RSA PRIVATE KEY/);
});

t.test('validity, EKU and SANs follow the options', async (t) => {
  const ca = makeCa({ commonName: 'ca' });
  const past = new Date('2020-01-01T00:00:00Z');
  const leaf = new X509Certificate(makeLeaf({ commonName: 'x', issuer: ca, notBefore: past, notAfter: new Date('2021-01-01T00:00:00Z'), altNames: ['example.test'], extendedKeyUsage: ['clientAuth'] }).certPem);
  t.equal(new Date(leaf.validFrom).toISOString(), past.toISOString());
  t.equal(leaf.subjectAltName, 'DNS:example.test');
  t.match(leaf.toLegacyObject().ext_key_usage, ['1.3.6.1.5.5.7.3.2']);
  const selfSigned = new X509Certificate(makeLeaf({ commonName: 'self' }).certPem);
  t.ok(selfSigned.verify(selfSigned.publicKey));
  t.equal(selfSigned.issuer, selfSigned.subject);
});
