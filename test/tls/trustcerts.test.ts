/**
 * TRUSTCERTS (SPEC §6): validation of CA files (PEM or DER; RSA, ECDSA, Ed25519; CA and
 * validity checked with Node's X509Certificate), and the download against real Apache httpd
 * over TLS: a server signed by a provisioned CA is refused before and accepted after, for a
 * name relative to the script's URL and for an absolute URL; a file that is not a CA is
 * refused with a reason while the others install; a name dropped from the list is removed;
 * the installed set survives a restart (stateDir) and a failed download keeps the old copy.
 */
import t from 'tap';
import { execFileSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, promises as fsp, readFileSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { EventInput } from '../../daemon/bus/index.js';
import { Fetcher } from '../../daemon/http/index.js';
import { Logger } from '../../daemon/log/index.js';
import { formatTrust } from '../../daemon/cli/format.js';
import { loadTrustStore, makeCa, makeLeaf, makeTestPki, tlsConnectionOptions, TrustCerts, TRUSTCERTS_FILE, validateCaFile, type TrustStore } from '../../daemon/tls/index.js';
import { startApache } from '../fixtures/http/apache.js';
import { makeOpensslPki } from '../fixtures/tls/openssl-pki.js';

const NOW = Date.now();
const DAY = 86_400_000;
const der = (pem: string): Buffer => Buffer.from(new X509Certificate(pem).raw);

t.test('validateCaFile: CA certificates of every key type, PEM and DER; everything else refused with a reason', async (t) => {
  const rsa = makeCa({ commonName: 'RSA provisioned CA' });
  const p256 = makeOpensslPki('P-256').root;
  const ed = makeOpensslPki('Ed25519').root;
  for (const [label, data] of [['RSA PEM', Buffer.from(rsa.certPem)], ['RSA DER', der(rsa.certPem)], ['P-256', Buffer.from(p256.certPem)], ['Ed25519 DER', der(ed.certPem)]] as const) {
    t.match(validateCaFile(data, label, Date.now()), /^-----BEGIN CERTIFICATE-----/, label);
  }
  t.equal(validateCaFile(Buffer.from(rsa.certPem + p256.certPem), 'bundle', Date.now()).match(/BEGIN CERTIFICATE/g)?.length, 2, 'a PEM bundle of CAs');
  const leaf = makeLeaf({ commonName: 'server', issuer: rsa });
  const refusals: [string, Buffer, string, RegExp][] = [
    ['leaf.pem', Buffer.from(leaf.certPem), 'trustcerts_not_ca', /leaf\.pem is not a CA certificate \(CN=server.*basicConstraints/],
    ['mixed.pem', Buffer.from(rsa.certPem + leaf.certPem), 'trustcerts_not_ca', /not a CA/],
    ['old.pem', Buffer.from(makeCa({ commonName: 'old', notBefore: new Date(NOW - 30 * DAY), notAfter: new Date(NOW - DAY) }).certPem), 'trustcerts_expired', /expired/],
    ['early.pem', Buffer.from(makeCa({ commonName: 'early', notBefore: new Date(NOW + DAY), notAfter: new Date(NOW + 30 * DAY) }).certPem), 'trustcerts_not_yet_valid', /not valid before/],
    ['empty.pem', Buffer.alloc(0), 'trustcerts_not_ca', /empty/],
    ['page.html', Buffer.from('<html>login</html>'), 'trust_certificate_invalid', /not a PEM or DER/],
    ['broken.pem', Buffer.from('-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n'), 'trust_certificate_invalid', /not a PEM or DER/],
    ['dsa.pem', Buffer.from(dsaCa()), 'trustcerts_key_unsupported', /dsa key; RSA, ECDSA or Ed25519 only/],
  ];
  for (const [name, data, code, message] of refusals) t.throws(() => validateCaFile(data, name, Date.now()), { code, message }, name);
});

/** A DSA CA (a key type an anchor may not have), made by openssl at run time. */
function dsaCa(): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'dsa-'));
  try {
    const run = (...args: string[]) => execFileSync('openssl', args, { stdio: ['ignore', 'ignore', 'pipe'] });
    run('genpkey', '-genparam', '-algorithm', 'DSA', '-pkeyopt', 'dsa_paramgen_bits:2048', '-out', path.join(dir, 'p.pem'));
    run('genpkey', '-paramfile', path.join(dir, 'p.pem'), '-out', path.join(dir, 'k.pem'));
    run('req', '-x509', '-new', '-key', path.join(dir, 'k.pem'), '-subj', '/CN=dsa root', '-days', '30', '-out', path.join(dir, 'c.pem'), '-addext', 'basicConstraints=critical,CA:TRUE');
    return readFileSync(path.join(dir, 'c.pem'), 'utf8');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

t.test('download and install against Apache: relative and absolute names, a non-CA refused, removal, restart', async (t) => {
  // The provisioning server is trusted through the anchor (the "Avaya root").
  const anchorPki = makeTestPki({ commonName: '127.0.0.1', altNames: ['127.0.0.1'] });
  const relativeCa = makeCa({ commonName: 'provisioned CA one' });
  const absoluteCa = makeCa({ commonName: 'provisioned CA two' });
  const notCa = makeLeaf({ commonName: 'just a server', issuer: relativeCa });
  const prov = await startApache({
    tls: { certPem: anchorPki.chainPem, keyPem: anchorPki.leaf.keyPem },
    areas: [{ path: 'certs' }, { path: 'other' }, { path: 'scripts' }],
    files: { 'scripts/certs/one.pem': relativeCa.certPem, 'other/two.der': der(absoluteCa.certPem), 'scripts/certs/leaf.pem': notCa.certPem },
  });
  t.teardown(() => prov.stop());
  // Servers signed only by the provisioned CAs.
  const signedBy = async (ca: typeof relativeCa) => {
    const leaf = makeLeaf({ commonName: '127.0.0.1', altNames: ['127.0.0.1'], issuer: ca });
    return startApache({ tls: { certPem: leaf.certPem, keyPem: leaf.keyPem }, areas: [{ path: 'files' }], files: { 'files/hello.txt': 'hello' } });
  };
  const one = await signedBy(relativeCa);
  const two = await signedBy(absoluteCa);
  t.teardown(() => Promise.all([one.stop(), two.stop()]));

  const stateDir = t.testdir();
  const anchorsDir = t.testdir({ 'root.pem': anchorPki.root.certPem });
  const events: EventInput[] = [];
  const lines: string[] = [];
  const logger = new Logger({ sink: { out: (l) => lines.push(l), err: (l) => lines.push(l) } });
  let store: TrustStore = await loadTrustStore({ anchorsDir });
  const fetcher = new Fetcher({ userAgent: 'test', tls: () => tlsConnectionOptions(store, { checkName: true }), onEvent: (e) => events.push(e) });
  t.teardown(() => fetcher.close());
  const make = () =>
    new TrustCerts({
      stateDir,
      fetch: (request) => fetcher.fetch(request),
      emit: (event) => events.push(event),
      logger,
      onChange: async () => {
        store = await loadTrustStore({ anchorsDir, trustCerts: trustCerts.forTrustStore() });
        fetcher.close();
      },
    });
  let trustCerts = make();
  await trustCerts.load();
  t.same(trustCerts.list(), [], 'nothing installed at first');

  const get = (server: { origin: string }) => fetcher.fetch({ url: `${server.origin}/files/hello.txt`, operation: 'backup' });
  await t.rejects(get(one), { code: 'tls_incomplete_chain' }, 'refused before the download');
  await t.rejects(get(two), { code: 'tls_incomplete_chain' });
  t.match(events.filter((e) => e.type === 'tls.rejected'), [{ reason: 'incomplete_chain', issuer: /provisioned CA one/ }, { reason: 'incomplete_chain', issuer: /provisioned CA two/ }]);

  const script = `${prov.origin}/scripts/46xxsettings.txt`;
  const report = await trustCerts.sync(`certs/one.pem,${prov.origin}/other/two.der, certs/leaf.pem,certs/one.pem`, script);
  t.same(report.installed, ['certs/one.pem', `${prov.origin}/other/two.der`]);
  t.match(report.refused, [{ name: 'certs/leaf.pem', code: 'trustcerts_not_ca' }]);
  t.match(events.filter((e) => e.type === 'trustcerts.installed'), [
    { name: 'certs/one.pem', url: `${prov.origin}/scripts/certs/one.pem`, subject: /provisioned CA one/, fingerprint256: new X509Certificate(relativeCa.certPem).fingerprint256 },
    { name: `${prov.origin}/other/two.der`, subject: /provisioned CA two/ },
  ]);
  t.match(events.find((e) => e.type === 'trustcerts.refused'), { name: 'certs/leaf.pem', reason: 'trustcerts_not_ca', message: /not a CA certificate/, kept: false });
  t.match(lines.join('\n'), /TRUSTCERTS certs\/leaf\.pem refused: .*not a CA certificate/, 'the refusal is logged with its reason');
  t.equal((await get(one)).body.toString(), 'hello', 'accepted after: relative name');
  t.equal((await get(two)).body.toString(), 'hello', 'accepted after: absolute URL');
  t.equal(store.hasTrustCerts, true);
  t.same(store.certificates.map((c) => [c.origin, c.source]), [['anchor', path.join(anchorsDir, 'root.pem')], ['trustcerts', 'certs/one.pem'], ['trustcerts', `${prov.origin}/other/two.der`]]);

  // The same list again changes nothing and writes nothing.
  const written = await fsp.stat(path.join(stateDir, TRUSTCERTS_FILE));
  t.same(await trustCerts.sync(`certs/one.pem,${prov.origin}/other/two.der`, script), { installed: [], refused: [], removed: [] });
  t.equal((await fsp.stat(path.join(stateDir, TRUSTCERTS_FILE))).mtimeMs, written.mtimeMs);

  // A restart reads the installed set back from stateDir.
  trustCerts = make();
  await trustCerts.load();
  t.same(trustCerts.list().map((c) => c.name), ['certs/one.pem', `${prov.origin}/other/two.der`]);

  // A download that fails keeps the copy installed before; a name dropped is removed.
  await fsp.rm(path.join(prov.docroot, 'scripts/certs/one.pem'));
  const after = await trustCerts.sync('certs/one.pem,https://[oops/ca.pem', script);
  t.same(after.removed, [`${prov.origin}/other/two.der`]);
  t.match(after.refused, [{ name: 'certs/one.pem', code: 'not_found' }, { name: 'https://[oops/ca.pem' }]);
  t.match(events.filter((e) => e.type === 'trustcerts.refused').slice(-2), [{ name: 'certs/one.pem', status: 404, kept: true }, {}]);
  t.match(events.filter((e) => e.type === 'trustcerts.removed'), [{ name: `${prov.origin}/other/two.der` }]);
  t.equal((await get(one)).body.toString(), 'hello', 'the kept copy still trusts');
  await t.rejects(get(two), { code: 'tls_incomplete_chain' }, 'refused again once removed');
  t.throws(() => new URL('https://[oops/ca.pem'), 'the bad name is no URL');
  t.match(after.refused[1], { code: 'trustcerts_name_invalid' });

  // An unreadable installed set is reported and treated as empty.
  await fsp.writeFile(path.join(stateDir, TRUSTCERTS_FILE), '{"version": 2}');
  trustCerts = make();
  await trustCerts.load();
  t.same(trustCerts.list(), []);
  t.match(lines.join('\n'), /trustcerts\.json cannot be read/);
});

t.test('formatTrust: nothing trusted says so; fields that are not text print empty', async (t) => {
  t.equal(formatTrust(undefined), 'no trusted certificates: every https server is refused');
  t.equal(formatTrust([]), 'no trusted certificates: every https server is refused');
  t.equal(formatTrust({ certificates: [{ origin: 'anchor', subject: 7 }] }).split('\n')[0], 'anchor      ');
});

t.test('load removes the temp file of an install a power cut interrupted, and keeps the installed set', async (t) => {
  const ca = makeCa({ commonName: 'kept CA' });
  const installed = { version: 1, certificates: [{ name: 'ca.pem', url: 'https://p/ca.pem', pem: ca.certPem }] };
  const stateDir = t.testdir({ [TRUSTCERTS_FILE]: JSON.stringify(installed), [`.${TRUSTCERTS_FILE}.tmp-4242-0a1b2c3d`]: '{"version": 1, "certif' });
  const trustCerts = new TrustCerts({
    stateDir,
    fetch: () => Promise.reject(new Error('no download at load')),
    emit: () => undefined,
    logger: new Logger({ sink: { out: () => undefined, err: () => undefined } }),
    onChange: async () => undefined,
  });
  await trustCerts.load();
  t.same(await fsp.readdir(stateDir), [TRUSTCERTS_FILE], 'the torn temp file is gone');
  t.same(trustCerts.list().map((c) => c.name), ['ca.pem'], 'the set installed before the cut is the one loaded');
});
