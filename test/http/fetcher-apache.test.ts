/**
 * Interop with real Apache httpd (Debian apache2: mod_auth_digest, mod_auth_basic, mod_dav,
 * mod_alias) started on loopback (issue 4 "Must show").
 */
import t from 'tap';
import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import type { EventInput } from '../../daemon/bus/events.js';
import { Fetcher, type CredentialContext, type Credentials } from '../../daemon/http/index.js';
import { startApache, type Apache } from '../fixtures/http/apache.js';

const DIGEST = { scheme: 'Digest' as const, realm: 'provisioning', users: { alice: 'wonder land' } };
const alice = (source: Credentials['source'] = 'rule'): Credentials => ({ username: 'alice', password: 'wonder land', source });

// Origin B first, so A can redirect to it.
const other: Apache = await startApache({ areas: [{ path: '/digest', auth: DIGEST }], files: { 'open/b.xml': '<b/>', 'digest/b.xml': '<b/>' } });
const apache: Apache = await startApache({
  areas: [
    { path: '/digest', auth: DIGEST, dav: true },
    { path: '/basic', auth: { scheme: 'Basic', realm: 'backup', users: { '192.168.1.10': '123456' } }, dav: true },
    { path: '/short', auth: DIGEST, nonceLifetimeSeconds: 1 },
  ],
  files: { 'digest/spa.xml': '<flat-profile/>\n', 'short/p.xml': '<p/>', 'basic/96xxdata.txt': 'x' },
  redirects: [
    { from: '/digest/old.xml', to: '{origin}/digest/spa.xml' },
    { from: '/digest/away.xml', to: `${other.origin}/open/b.xml` },
    { from: '/digest/away-protected.xml', to: `${other.origin}/digest/b.xml` },
    { from: '/digest/back.xml', to: `${other.origin}/open/b.xml` },
  ],
});
t.teardown(() => Promise.all([apache.stop(), other.stop()]));

function setup(t: { teardown(fn: () => void): void }, stateDir?: string) {
  const events: EventInput[] = [];
  const asked: CredentialContext[] = [];
  const fetcher = new Fetcher({ userAgent: 'Cisco-CP-8841-3PCC/11.0 (00562b043615)', stateDir, onEvent: (e) => events.push(e) });
  t.teardown(() => fetcher.close());
  const credentials = async (ctx: CredentialContext) => {
    asked.push(ctx);
    return alice();
  };
  return { fetcher, events, asked, credentials };
}

t.test('Digest MD5 qop=auth GET, then an unchanged profile costs one request (conditional GET + pre-emptive Digest)', async (t) => {
  const stateDir = t.testdir();
  const { fetcher, events, asked, credentials } = setup(t, stateDir);
  const url = `${apache.origin}/digest/spa.xml`;
  const first = await fetcher.fetch({ url, operation: 'resync', credentials });
  t.equal(first.body.toString(), '<flat-profile/>\n');
  t.equal(first.requests, 2);
  t.equal(first.notModified, false);
  t.match(events, [
    { type: 'auth.challenge', operation: 'resync', url, realm: 'provisioning', scheme: 'Digest', algorithm: 'MD5' },
    { type: 'auth.success', source: 'rule' },
  ]);
  await t.rejects(fsp.stat(path.join(stateDir, 'http-validators.json')), 'nothing kept before the caller applied the body');
  await first.applied!();
  const state = JSON.parse(await fsp.readFile(path.join(stateDir, 'http-validators.json'), 'utf8'));
  t.equal(Object.keys(state.entries).length, 1);
  t.notMatch(JSON.stringify(state), /spa\.xml|wonder/, 'no URL and no secret on disk');
  const second = await fetcher.fetch({ url, operation: 'resync', credentials });
  t.equal(second.requests, 1);
  t.equal(second.notModified, true);
  t.equal(second.status, 304);
  t.match(asked, [{ attempt: 1, scheme: 'Digest', realm: 'provisioning', previousRejected: false }, { attempt: 0 }]);
  const log = (await apache.accessLog()).filter((l) => l.path === '/digest/spa.xml');
  t.match(log.slice(-3), [
    { status: 401, authScheme: '-' },
    { status: 200, user: 'alice', authScheme: 'Digest' },
    { status: 304, user: 'alice', authScheme: 'Digest' },
  ]);
  // A changed file is fetched in full again.
  await fsp.writeFile(path.join(apache.docroot, 'digest/spa.xml'), '<flat-profile><A/></flat-profile>\n');
  const changed = await fetcher.fetch({ url, operation: 'resync', credentials });
  t.equal(changed.notModified, false);
  t.equal(changed.body.toString(), '<flat-profile><A/></flat-profile>\n');
  // Not applied (SPEC §4): the old validators stay, so the changed file is fetched whole again.
  const again = await fetcher.fetch({ url, operation: 'resync', credentials });
  t.equal(again.status, 200);
  // Applied but not reusable: forgotten, the next fetch is unconditional.
  await again.applied!(false);
  t.same(JSON.parse(await fsp.readFile(path.join(stateDir, 'http-validators.json'), 'utf8')).entries, {});
  t.equal((await fetcher.fetch({ url, operation: 'resync', credentials })).status, 200);
  t.notOk((await fetcher.fetch({ url, operation: 'resync', credentials, conditional: false })).applied, 'an unconditional fetch offers nothing to keep');
});

t.test('Digest PUT into a DAV directory, then read back', async (t) => {
  const { fetcher, credentials } = setup(t);
  const body = Buffer.from('\ufeffABKNAME1=Alice\r\n', 'utf16le');
  const put = await fetcher.fetch({ url: `${apache.origin}/digest/1234_96xxdata.txt`, method: 'PUT', body, operation: 'backup', credentials });
  t.equal(put.status, 201);
  const get = await fetcher.fetch({ url: `${apache.origin}/digest/1234_96xxdata.txt`, operation: 'restore', credentials });
  t.same(get.body, body);
  const del = await fetcher.fetch({ url: `${apache.origin}/digest/1234_96xxdata.txt`, method: 'DELETE', operation: 'backup', credentials });
  t.equal(del.status, 204);
});

t.test('Basic: answered on challenge, or sent pre-emptively (Avaya call-server credential) over https only', async (t) => {
  const { fetcher, events } = setup(t);
  const callserver: Credentials = { username: '192.168.1.10', password: '123456', source: 'callserver' };
  const result = await fetcher.fetch({ url: `${apache.origin}/basic/96xxdata.txt`, operation: 'restore', credentials: async () => callserver });
  t.equal(result.requests, 2);
  t.match(events, [{ type: 'auth.challenge', scheme: 'Basic', realm: 'backup' }, { type: 'auth.success', scheme: 'Basic', source: 'callserver' }]);
  // Over plain http the pre-emptive credential is never sent (SPEC §5).
  await t.rejects(fetcher.fetch({ url: `${apache.origin}/basic/96xxdata.txt`, operation: 'restore', preemptiveBasic: callserver }), { code: 'no_credentials' });
  t.match((await apache.accessLog()).at(-1), { status: 401, authScheme: '-' });
});

t.test('wrong credentials: one retry with previousRejected, then auth_rejected; never a loop', async (t) => {
  const { fetcher, events } = setup(t);
  const asked: CredentialContext[] = [];
  await t.rejects(
    fetcher.fetch({
      url: `${apache.origin}/digest/spa.xml`,
      operation: 'resync',
      credentials: async (ctx) => {
        asked.push(ctx);
        return { username: 'alice', password: `wrong${asked.length}`, source: 'prompt' };
      },
    }),
    { code: 'auth_rejected', status: 401 },
  );
  t.match(asked, [{ attempt: 1, previousRejected: false }, { attempt: 2, previousRejected: true }]);
  t.match(events.at(-1), { type: 'auth.failure', reason: 'rejected', source: 'prompt' });
  // The same wrong credentials are not sent twice.
  const again = setup(t);
  await t.rejects(again.fetcher.fetch({ url: `${apache.origin}/digest/spa.xml`, operation: 'resync', credentials: async () => ({ username: 'alice', password: 'nope', source: 'rule' }) }), { code: 'auth_rejected' });
  // No credentials at all.
  await t.rejects(again.fetcher.fetch({ url: `${apache.origin}/digest/spa.xml`, operation: 'resync', credentials: async () => undefined }), { code: 'no_credentials' });
  t.match(again.events.at(-1), { type: 'auth.failure', reason: 'no-credentials', source: 'none' });
});

t.test('an expired nonce comes back stale=true and is retried without asking again', async (t) => {
  const { fetcher, asked, credentials } = setup(t);
  const url = `${apache.origin}/short/p.xml`;
  await fetcher.fetch({ url, operation: 'resync', credentials });
  // Let Apache's 1 s nonce lifetime pass (a wait, not a timing assertion).
  await new Promise((resolve) => setTimeout(resolve, 2200));
  const again = await fetcher.fetch({ url, operation: 'resync', credentials });
  t.equal(again.requests, 2);
  t.equal(again.status, 200);
  t.same(asked.map((a) => a.attempt), [1, 0], 'the stale retry reused the credentials');
});

t.test('404 is not_found', async (t) => {
  const { fetcher, credentials } = setup(t);
  await t.rejects(fetcher.fetch({ url: `${apache.origin}/digest/missing.xml`, operation: 'resync', credentials }), { code: 'not_found', status: 404 });
});

t.test('302 within the origin keeps Digest; across origins nothing of it reaches the other server', async (t) => {
  const { fetcher, asked, credentials } = setup(t);
  const within = await fetcher.fetch({ url: `${apache.origin}/digest/old.xml`, operation: 'resync', credentials });
  t.equal(within.url, `${apache.origin}/digest/spa.xml`);
  t.equal(within.redirects, 1);
  const away = await fetcher.fetch({ url: `${apache.origin}/digest/away.xml`, operation: 'resync', credentials });
  t.equal(away.body.toString(), '<b/>');
  t.equal(away.url, `${other.origin}/open/b.xml`);
  await t.rejects(fetcher.fetch({ url: `${apache.origin}/digest/away-protected.xml`, operation: 'resync', credentials }), { code: 'no_credentials' });
  t.ok(asked.every((a) => String(a.origin) === `http://127.0.0.1:${apache.port}`), 'credentials asked only for the configured origin');
  const log = await other.accessLog();
  t.ok(log.length >= 2);
  t.ok(
    log.every((l) => l.authScheme === '-'),
    'no Authorization ever reached origin B',
  );
});

t.test('Apache mod_ssl with a run-time test CA: Digest over https, and an untrusted root never gets a request', async (t) => {
  const { makeTestPki, loadTrustStore, tlsConnectionOptions } = await import('../../daemon/tls/index.js');
  const pki = makeTestPki();
  const secure = await startApache({ tls: { certPem: pki.chainPem, keyPem: pki.leaf.keyPem }, areas: [{ path: '/digest', auth: DIGEST }], files: { 'digest/spa.xml': '<secure/>' } });
  t.teardown(secure.stop);
  t.match(secure.origin, /^https:/);
  const store = await loadTrustStore({ trustCerts: [{ name: 'root', data: Buffer.from(pki.root.certPem) }] });
  const events: EventInput[] = [];
  const fetcher = new Fetcher({ userAgent: 'test', tls: () => tlsConnectionOptions(store, { checkName: true }), onEvent: (e) => events.push(e) });
  t.teardown(() => fetcher.close());
  const result = await fetcher.fetch({ url: `${secure.origin}/digest/spa.xml`, operation: 'resync', credentials: async () => alice() });
  t.equal(result.body.toString(), '<secure/>');
  // Another run-time PKI: a root with the same name and another key (a look-alike).
  const other = await loadTrustStore({ trustCerts: [{ name: 'someone', data: Buffer.from(makeTestPki().root.certPem) }] });
  const wary = new Fetcher({ userAgent: 'test', tls: () => tlsConnectionOptions(other, { checkName: true }), onEvent: (e) => events.push(e) });
  t.teardown(() => wary.close());
  const before = (await secure.accessLog()).length;
  await t.rejects(wary.fetch({ url: `${secure.origin}/digest/spa.xml`, operation: 'resync', credentials: async () => alice() }), { code: 'tls_untrusted_root' });
  t.equal((await secure.accessLog()).length, before, 'Apache logged no request');
  t.match(events.at(-1), { type: 'tls.rejected', reason: 'untrusted_root', subject: 'CN=localhost, O=provisiond test PKI', issuer: 'CN=provisiond test issuing CA, O=provisiond test PKI' });
});
