/**
 * Backup and restore against real Apache httpd with mod_dav (issue 11 "Must show"; SPEC §5,
 * §7; DOMAIN.md §3.3–3.4): registration, local user data, the PUT that lands byte-exact, the
 * tolerant restore, non-backup bodies, the stored-realm rules and the prompts, and the
 * call-server credential over https with the BRAUTH × TRUSTCERTS matrix proven by the access log.
 */
import t, { type Test } from 'tap';
import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import { BackupRestore } from '../../daemon/backup/index.js';
import { TypedBus, type DaemonEvents, type EventInput } from '../../daemon/bus/index.js';
import { Fetcher } from '../../daemon/http/index.js';
import { Logger } from '../../daemon/log/index.js';
import { ParamStore } from '../../daemon/params/index.js';
import { isUserDataName } from '../../daemon/profiles/index.js';
import { PromptBroker, type PromptView } from '../../daemon/prompts/index.js';
import { loadTrustStore, makeCa, makeTestPki, tlsConnectionOptions, TrustCerts, type TrustStore } from '../../daemon/tls/index.js';
import { createMemoryVault, type Vault } from '../../daemon/vault/index.js';
import { startApache, type AccessLogLine, type Apache } from '../fixtures/http/apache.js';
import { shortTempDir, until } from '../fixtures/local.js';
import { Origin } from '../../daemon/origin/index.js';

const BASIC = { scheme: 'Basic' as const, realm: 'backup', users: { bob: 'builder', carol: 'second' } };
const DIGEST = { scheme: 'Digest' as const, realm: 'backup', users: { bob: 'builder' } };
const apache: Apache = await startApache({
  areas: [
    { path: '/open', dav: true },
    { path: '/basic', auth: BASIC, dav: true },
    { path: '/digest', auth: DIGEST, dav: true },
    { path: '/other', auth: { scheme: 'Basic', realm: 'elsewhere', users: { bob: 'builder' } }, dav: true },
  ],
  files: { 'open/index.html': '<html><body>hello</body></html>', 'open/empty/.keep': '' },
});
// The same realm string at another origin is another server (SPEC §5).
const twin: Apache = await startApache({ areas: [{ path: '/basic', auth: BASIC, dav: true }] });
const pki = makeTestPki({ commonName: '127.0.0.1', altNames: ['127.0.0.1'] });
const secure: Apache = await startApache({
  tls: { certPem: pki.chainPem, keyPem: pki.leaf.keyPem },
  areas: [{ path: '/open', dav: true }],
});
t.teardown(() => Promise.all([apache.stop(), twin.stop(), secure.stop()]));

interface Rig {
  feature: BackupRestore;
  params: ParamStore;
  vault: Vault;
  prompts: PromptBroker;
  events: EventInput[];
  fetcher: Fetcher;
  /** The live trust store (anchors, then the installed TRUSTCERTS) and its anchors dir. */
  trust: { store: TrustStore; anchorsDir: string };
  /** A new feature on the same parameters, vault and state directory, as after a restart. */
  reopen: () => Promise<BackupRestore>;
  stateDir: string;
}

async function rig(t: Test, options: { debounceMs?: number; timeoutSeconds?: number; vault?: Vault; remember?: boolean } = {}): Promise<Rig> {
  const stateDir = t.testdir();
  const bus = new TypedBus<DaemonEvents>();
  const events: EventInput[] = [];
  bus.on('event', (event) => events.push(event));
  const vault = options.vault ?? createMemoryVault();
  const params = new ParamStore({ stateDir, isUserData: isUserDataName });
  await params.load();
  const anchorsDir = await anchors(t);
  const trust = { store: await loadTrustStore({ anchorsDir }), anchorsDir };
  const fetcher = new Fetcher({ userAgent: 'test', tls: () => tlsConnectionOptions(trust.store, { checkName: true }), onEvent: (event) => events.push(event) });
  t.teardown(() => fetcher.close());
  const prompts = new PromptBroker({ bus, timeoutSeconds: options.timeoutSeconds ?? 60 });
  t.teardown(() => prompts.stop());
  const open = async (): Promise<BackupRestore> => {
    const feature = new BackupRestore({
      params,
      vault,
      fetch: (request) => fetcher.fetch(request),
      prompts,
      bus,
      logger: quiet(),
      trust: () => trust.store,
      maxBytes: 64 * 1024,
      ...(options.debounceMs !== undefined ? { debounceMs: options.debounceMs } : {}),
      ...(options.remember === true ? { stateDir } : {}),
    });
    await feature.start();
    t.teardown(() => feature.stop());
    return feature;
  };
  return { feature: await open(), params, vault, prompts, events, trust, fetcher, reopen: open, stateDir };
}

async function anchors(t: Test): Promise<string> {
  const dir = t.testdir();
  await fsp.writeFile(path.join(dir, 'root.pem'), pki.root.certPem);
  return dir;
}

/** Apache writes its access log after answering: wait for the lines of one file, in order. */
async function linesFor(server: Apache, pathname: string, count: number): Promise<AccessLogLine[]> {
  for (;;) {
    const lines = (await server.accessLog()).filter((l) => l.path === pathname);
    if (lines.length >= count) return lines;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

const quiet = (): Logger => new Logger({ sink: { out: () => undefined, err: () => undefined } });
const utf16 = (text: string): Buffer => Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')]);

/** Answers the next prompt of `kind` with these credentials. */
async function answerNext(prompts: PromptBroker, kind: string, username: string, password: string): Promise<PromptView> {
  await until(() => prompts.list().some((p) => p.kind === kind));
  const view = prompts.list().find((p) => p.kind === kind)!;
  prompts.answer(view.id, username, password);
  return view;
}

t.test('register: NVPHONEXT set, the password only in the vault; bad input refused', async (t) => {
  const { feature, params, vault } = await rig(t);
  await feature.register('201', 'reg-secret-1');
  t.equal(params.get('NVPHONEXT'), '201');
  t.equal((await vault.get({ purpose: 'registration' }))?.secret, 'reg-secret-1');
  t.notMatch(JSON.stringify(params.published()), /reg-secret-1/);
  await t.rejects(feature.register('20a', 'x'), { code: 'register_invalid' });
  await t.rejects(feature.register('202', ''), { code: 'register_invalid' });
  t.equal(params.get('NVPHONEXT'), '201');
});

t.test('set / unset: all or nothing, invalid values refused with the reason; a profile never changes user data', async (t) => {
  const { feature, params } = await rig(t);
  t.same((await feature.set({ ABKNAME001: 'Alice', abknumber001: '2001', Resync_Periodic: '600' })).sort(), ['ABKNAME001', 'ABKNUMBER001', 'Resync_Periodic']);
  await t.rejects(feature.set({ ABKNAME002: 'Bob', PERSONALRING: '9' }), { code: 'param_invalid', message: /PERSONALRING/ });
  await t.rejects(feature.set({ ABKNAME002: 'Bob', Resync_Periodic: 'soon' }), { code: 'param_invalid', message: /Resync_Periodic/ });
  await t.rejects(feature.set({ 'no such=name': 'x' }), { code: 'param_invalid' });
  t.equal(params.get('ABKNAME002'), undefined, 'nothing of a refused set applied');
  t.equal(params.get('Resync_Periodic'), '600');
  await params.applyProvisioned([{ name: 'ABKNAME001', value: 'Mallory' }]);
  t.equal(params.get('ABKNAME001'), 'Alice');
  t.same(await feature.unset(['abkname001']), ['ABKNAME001']);
  t.equal(params.get('ABKNAME001'), undefined);
  // A secret parameter is set locally, kept in the vault, never published.
  t.same(await feature.set({ GPP_SA: 'local-secret-sa' }), ['GPP_SA']);
  t.equal(params.get('GPP_SA'), 'local-secret-sa');
  t.notMatch(JSON.stringify(params.published()), /local-secret-sa/);
});

t.test('backup without BRURI or extension fails with a reason', async (t) => {
  const { feature, params } = await rig(t);
  await t.rejects(feature.backup(), { code: 'backup_not_configured' });
  await params.setLocal([{ name: 'BRURI', value: `${apache.origin}/open` }]);
  await t.rejects(feature.restore(), { code: 'restore_not_configured' });
});

t.test('backup: one PUT of <ext>_96xxdata.txt, UTF-16LE + BOM + CRLF, byte-exact; restore reads it back', async (t) => {
  const { feature, params, events } = await rig(t);
  await feature.register('201', 'reg-secret-2');
  await params.setLocal([{ name: 'BRURI', value: `${apache.origin}/open` }]);
  await feature.set({ ABKNAME001: 'Zoë', ABKNUMBER001: '2001', PERSONALRING: '3', HOMEFAV01: 'a\u001fb' });
  const done = await feature.backup();
  t.equal(done.status, 201);
  const file = await fsp.readFile(path.join(apache.docroot, 'open/201_96xxdata.txt'));
  t.same(file, utf16('ABKNAME001=Zoë\r\nABKNUMBER001=2001\r\nHOMEFAV01=a\u001fb\r\nPERSONALRING=3\r\n'));
  const log = await linesFor(apache, '/open/201_96xxdata.txt', 1);
  t.match(log, [{ method: 'PUT', path: '/open/201_96xxdata.txt', authScheme: '-' }], 'one PUT, no credential over plain http');
  t.match(events.filter((e) => e.type === 'backup.succeeded'), [{ url: `${apache.origin}/open/201_96xxdata.txt`, bytes: file.length, trigger: 'manual' }]);
  // The server's copy wins back after a local change.
  await feature.unset(['ABKNAME001']);
  const restored = await feature.restore();
  t.same(restored.changed, ['ABKNAME001']);
  t.equal(params.get('ABKNAME001'), 'Zoë');
  t.match(events.filter((e) => e.type === 'restore.succeeded'), [{ changed: ['ABKNAME001'], trigger: 'manual' }]);
});

t.test('a burst of user-data changes is one debounced PUT holding the new values; a restore triggers none', async (t) => {
  const { feature, params } = await rig(t);
  await feature.register('301', 'reg-secret-3');
  await params.setLocal([{ name: 'BRURI', value: `${apache.origin}/open/` }]);
  const count = async (): Promise<number> => (await apache.accessLog()).filter((l) => l.path === '/open/301_96xxdata.txt').length;
  await feature.set({ Resync_Periodic: '900' });
  t.equal(feature.pending(), false, 'a non-user parameter schedules nothing');
  await feature.set({ ABKNAME001: 'One' });
  await feature.set({ ABKNAME002: 'Two' });
  await feature.set({ ABKNAME003: 'Three' });
  t.equal(feature.pending(), true);
  t.equal(await count(), 0, 'nothing sent while the burst lasts');
  await feature.flush();
  t.equal((await linesFor(apache, '/open/301_96xxdata.txt', 1)).length, 1, 'one PUT for the burst');
  t.equal(feature.pending(), false);
  await feature.flush();
  const body = await fsp.readFile(path.join(apache.docroot, 'open/301_96xxdata.txt'));
  t.same(body, utf16('ABKNAME001=One\r\nABKNAME002=Two\r\nABKNAME003=Three\r\n'));
  await fsp.writeFile(path.join(apache.docroot, 'open/301_96xxdata.txt'), 'ABKNAME009=Nine\n');
  await feature.restore();
  t.equal(params.get('ABKNAME009'), 'Nine');
  t.equal(feature.pending(), false, 'a restore triggers no backup');
  // A backup in its debounce waits for a restore asked meanwhile: the server's copy wins first.
  await feature.unset(['ABKNAME009']);
  t.equal(feature.pending(), true);
  const restoring = feature.restore();
  t.equal(feature.pending(), false, 'postponed while the restore runs');
  await restoring;
  t.equal(params.get('ABKNAME009'), 'Nine');
  await until(() => feature.pending());
  await feature.flush();
  t.match(await fsp.readFile(path.join(apache.docroot, 'open/301_96xxdata.txt')), utf16('ABKNAME001=One\r\nABKNAME002=Two\r\nABKNAME003=Three\r\nABKNAME009=Nine\r\n'));
});

t.test('a change a power cut kept from its backup is backed up after the restart; nothing owed, nothing sent', async (t) => {
  const { feature, params, reopen, stateDir } = await rig(t, { remember: true, debounceMs: 60_000 });
  await feature.register('303', 'reg-secret-3c');
  await params.setLocal([{ name: 'BRURI', value: `${apache.origin}/open` }]);
  const put = async (): Promise<number> => (await apache.accessLog()).filter((l) => l.path === '/open/303_96xxdata.txt' && l.method === 'PUT').length;
  await feature.set({ ABKNAME001: 'Kept' });
  t.equal(feature.pending(), true);
  // The power goes in the debounce: the waiting backup dies with the process.
  feature.stop();
  const after = await reopen();
  t.equal(after.pending(), true, 'the restart owes the server this change');
  await after.flush();
  t.same(await fsp.readFile(path.join(apache.docroot, 'open/303_96xxdata.txt')), utf16('ABKNAME001=Kept\r\n'));
  t.equal(await put(), 1);
  after.stop();
  const again = await reopen();
  t.equal(again.pending(), false, 'backed up: the next restart sends nothing');
  // What a restore brings is the server's own copy: nothing owed after it either.
  await fsp.writeFile(path.join(apache.docroot, 'open/303_96xxdata.txt'), 'ABKNAME001=Server\n');
  await again.restore();
  again.stop();
  t.equal((await reopen()).pending(), false, 'restored: nothing owed');
  // Another server (a new extension) has none of it yet.
  await params.setLocal([{ name: 'NVPHONEXT', value: '304' }]);
  const moved = await reopen();
  t.equal(moved.pending(), true, 'a new backup location is owed the data');
  moved.stop();
  // A damaged state file counts as nothing sent: one backup too many, never one too few.
  await fsp.writeFile(path.join(stateDir, 'backup-state.json'), '{"version":1,"se');
  t.equal((await reopen()).pending(), true);
  t.equal(await put(), 1, 'no PUT made by a start itself: it only schedules one');
});

t.test('the debounce timer fires the backup by itself', async (t) => {
  const { feature, params, events } = await rig(t, { debounceMs: 10 });
  await feature.register('302', 'reg-secret-3b');
  await feature.set({ ABKNAME001: 'Before BRURI' });
  t.equal(feature.pending(), false, 'without BRURI nothing is scheduled');
  await params.setLocal([{ name: 'BRURI', value: `${apache.origin}/open` }]);
  await feature.set({ ABKNAME001: 'Timed' });
  await until(() => events.some((e) => e.type === 'backup.succeeded'));
  t.match(events.find((e) => e.type === 'backup.succeeded'), { trigger: 'change' });
});

t.test('restore: UTF-8 and UTF-16LE, unknown and invalid lines skipped, last duplicate wins, one transaction', async (t) => {
  const { feature, params } = await rig(t);
  await feature.register('401', 'reg-secret-4');
  await params.setLocal([{ name: 'BRURI', value: `${apache.origin}/open` }]);
  const target = path.join(apache.docroot, 'open/401_96xxdata.txt');
  await fsp.writeFile(target, 'ABKNAME001=First\nBOGUS=1\nPERSONALRING=12\nabkname001=Last\r\nPHNLABEL01=Front desk\r\n');
  const changed = (await feature.restore()).changed;
  t.same(changed.sort(), ['ABKNAME001', 'PHNLABEL01']);
  t.equal(params.get('ABKNAME001'), 'Last');
  t.equal(params.get('PERSONALRING'), undefined);
  await fsp.writeFile(target, utf16('LANGUSER=Deutsch\r\nPERSONALRING=5\r\n'));
  await feature.restore();
  t.equal(params.get('LANGUSER'), 'Deutsch');
  t.equal(params.get('PERSONALRING'), '5');
});

t.test('a body that is not a backup changes nothing and fails with a reason and the status', async (t) => {
  const { feature, params, events } = await rig(t);
  await feature.register('501', 'reg-secret-5');
  await params.setLocal([{ name: 'BRURI', value: `${apache.origin}/open` }]);
  await feature.set({ ABKNAME001: 'Kept' });
  const target = path.join(apache.docroot, 'open/501_96xxdata.txt');
  const cases: [string | Buffer, RegExp][] = [
    ['<!DOCTYPE html><html><body>Login</body></html>', /HTML page/],
    ['', /empty/],
    ['nothing useful\njust words\n', /no valid/],
    [Buffer.from('ABKNAME001=NoBom\r\n', 'utf16le'), /UTF-16LE|UTF-8/],
  ];
  for (const [body, reason] of cases) {
    await fsp.writeFile(target, body);
    await t.rejects(feature.restore(), { code: 'restore_not_backup', message: reason });
    t.equal(params.get('ABKNAME001'), 'Kept');
  }
  await fsp.rm(target);
  await t.rejects(feature.restore(), { code: 'not_found' });
  t.match(events.filter((e) => e.type === 'restore.failed').at(-1), { status: 404, code: 'not_found', reason: 'not_found' });
  t.match(events.filter((e) => e.type === 'restore.failed')[0], { code: 'restore_not_backup' });
});

t.test('stored realm credential: prompt, store after success, then silent; refused → failure prompt and replace', async (t) => {
  for (const area of ['basic', 'digest']) {
    await t.test(area, async (t) => {
      const { feature, params, prompts, events, vault } = await rig(t);
      await feature.register('601', 'reg-secret-6');
      await params.setLocal([{ name: 'BRURI', value: `${apache.origin}/${area}` }]);
      await feature.set({ ABKNAME001: 'Auth' });
      const first = feature.backup();
      const view = await answerNext(prompts, 'http-auth', 'bob', 'builder');
      t.match(view, { title: 'HTTP Authentication', lines: ['Enter backup/restore credentials'], context: { realm: 'backup' } });
      t.match(events.find((e) => e.type === 'auth.prompt'), { kind: 'http-auth', operation: 'backup', url: `${apache.origin}/${area}/601_96xxdata.txt`, realm: 'backup' });
      await first;
      t.match(events.filter((e) => e.type === 'credentials.stored'), [{ realm: 'backup', source: 'prompt' }]);
      t.match(await vault.list({ purpose: 'backup-restore' }), [{ realm: 'backup', username: 'bob', secret: 'builder' }]);
      // Matching origin and realm: answered without a prompt.
      const opened = events.filter((e) => e.type === 'auth.prompt').length;
      await feature.restore();
      t.equal(events.filter((e) => e.type === 'auth.prompt').length, opened, 'no prompt');
      t.equal(prompts.list().length, 0);
      t.equal(events.filter((e) => e.type === 'credentials.stored').length, 1, 'the same values are not stored again');
    });
  }
  await t.test('refused stored credentials open the failure prompt; new ones replace them', async (t) => {
    const vault = createMemoryVault();
    const { feature, params, prompts, events } = await rig(t, { vault });
    await feature.register('602', 'reg-secret-7');
    await params.setLocal([{ name: 'BRURI', value: `${apache.origin}/basic` }]);
    const origin = Origin.from({ scheme: 'http', host: '127.0.0.1', port: apache.port });
    await vault.put({ purpose: 'backup-restore', origin, realm: 'backup', username: 'bob', secret: 'stale-pass' });
    await feature.set({ ABKNAME001: 'X' });
    const running = feature.backup();
    await answerNext(prompts, 'http-auth-failure', 'bob', 'builder');
    await running;
    t.match(events.filter((e) => e.type === 'credentials.cleared'), [{ realm: 'backup', reason: 'replaced' }]);
    t.match(await vault.list({ purpose: 'backup-restore' }), [{ username: 'bob', secret: 'builder' }]);
    const opened = events.filter((e) => e.type === 'auth.prompt').length;
    await feature.backup();
    t.equal(events.filter((e) => e.type === 'auth.prompt').length, opened, 'the next backup needs no prompt');
  });
  await t.test('a realm mismatch prompts; the same realm at another origin prompts and never sees the stored one', async (t) => {
    const vault = createMemoryVault();
    const { feature, params, prompts } = await rig(t, { vault });
    await feature.register('603', 'reg-secret-8');
    await vault.put({ purpose: 'backup-restore', origin: Origin.from({ scheme: 'http', host: '127.0.0.1', port: apache.port }), realm: 'backup', username: 'bob', secret: 'builder' });
    await feature.set({ ABKNAME001: 'Y' });
    await params.setLocal([{ name: 'BRURI', value: `${apache.origin}/other` }]);
    const mismatch = feature.backup();
    t.match(await answerNext(prompts, 'http-auth', 'bob', 'builder'), { context: { realm: 'elsewhere' } });
    await mismatch;
    await params.setLocal([{ name: 'BRURI', value: `${twin.origin}/basic` }]);
    const moved = feature.backup();
    await answerNext(prompts, 'http-auth', 'carol', 'second');
    await moved;
    const log = await linesFor(twin, '/basic/603_96xxdata.txt', 2);
    t.match(log, [{ status: 401, user: '-' }, { status: 201, user: 'carol' }], 'the stored bob was never sent to the twin');
  });
  await t.test('cancel and timeout end the operation with auth.failure and auth.prompt.closed', async (t) => {
    const { feature, params, prompts, events } = await rig(t, { timeoutSeconds: 0.05 });
    await feature.register('604', 'reg-secret-9');
    await params.setLocal([{ name: 'BRURI', value: `${apache.origin}/basic` }]);
    await t.rejects(feature.restore(), { code: 'auth_timeout' });
    t.match(events.filter((e) => e.type === 'auth.failure').at(-1), { reason: 'timeout', realm: 'backup' });
    t.match(events.filter((e) => e.type === 'auth.prompt.closed').at(-1), { outcome: 'timeout' });
    t.match(events.filter((e) => e.type === 'restore.failed').at(-1), { code: 'auth_timeout' });
    const running = feature.backup();
    await until(() => prompts.list().length === 1);
    prompts.cancel(prompts.list()[0]!.id);
    await t.rejects(running, { code: 'auth_cancelled' });
    t.match(events.filter((e) => e.type === 'auth.prompt.closed').at(-1), { outcome: 'cancelled' });
  });
});

t.test('a stored record of another server (an IPv6 origin) is replaced after a prompted success', async (t) => {
  const vault = createMemoryVault();
  const { feature, params, prompts, events } = await rig(t, { vault });
  await feature.register('605', 'reg-secret-12');
  await vault.put({ purpose: 'backup-restore', origin: Origin.from({ scheme: 'http', host: '::1', port: 8080 }), realm: 'backup', username: 'bob', secret: 'builder' });
  await params.setLocal([{ name: 'BRURI', value: `${apache.origin}/basic` }]);
  const running = feature.backup();
  await answerNext(prompts, 'http-auth', 'bob', 'builder');
  await running;
  t.match(events.filter((e) => e.type === 'credentials.cleared'), [{ url: 'http://[::1]:8080', reason: 'replaced' }]);
});

t.test('call-server credential over https: BRAUTH × TRUSTCERTS, never over http (Apache access log)', async (t) => {
  const { feature, params, trust, events, fetcher } = await rig(t);
  // TRUSTCERTS installed for real: downloaded from the server, validated, in the trust store.
  await fsp.writeFile(path.join(secure.docroot, 'open/WebRootCA.pem'), makeCa({ commonName: 'Web Root CA' }).certPem);
  const trustCerts = new TrustCerts({
    stateDir: shortTempDir(t),
    fetch: (request) => fetcher.fetch(request),
    emit: (event) => events.push(event),
    logger: quiet(),
    onChange: async () => {
      trust.store = await loadTrustStore({ anchorsDir: trust.anchorsDir, trustCerts: trustCerts.forTrustStore() });
    },
  });
  const script = `${secure.origin}/open/46xxsettings.txt`;
  await feature.set({ NVPHONEXT: '701', ABKNAME001: 'TLS', BRURI: `${secure.origin}/open` });
  // No registration password and no call server yet: nothing to send.
  await feature.backup();
  await feature.register('701', 'reg-secret-10');
  await feature.backup();
  t.match(await linesFor(secure, '/open/701_96xxdata.txt', 2), [{ authScheme: '-' }, { authScheme: '-' }], 'without MCIPADD, or without a password, no call-server credential');
  await params.setLocal([{ name: 'MCIPADD', value: '192.168.1.10,192.168.1.11' }]);
  const cells: { brauth: string; trustcerts: boolean; sent: boolean }[] = [
    { brauth: '0', trustcerts: false, sent: true },
    { brauth: '1', trustcerts: false, sent: true },
    { brauth: '0', trustcerts: true, sent: false },
    { brauth: '1', trustcerts: true, sent: true },
    // The list emptied: the certificate is removed and the credential goes again.
    { brauth: '0', trustcerts: false, sent: true },
  ];
  for (const [index, cell] of cells.entries()) {
    await trustCerts.sync(cell.trustcerts ? 'WebRootCA.pem' : '', script);
    t.equal(trust.store.hasTrustCerts, cell.trustcerts);
    await params.setLocal([{ name: 'BRAUTH', value: cell.brauth }, { name: 'BRURI', value: `${secure.origin}/open` }]);
    await feature.backup();
    t.match((await linesFor(secure, '/open/701_96xxdata.txt', 3 + index))[2 + index], { method: 'PUT', authScheme: cell.sent ? 'Basic' : '-', user: '-' }, `BRAUTH=${cell.brauth} TRUSTCERTS=${cell.trustcerts}`);
    // Plain http never carries it, whatever the cell.
    await params.setLocal([{ name: 'BRURI', value: `${apache.origin}/open` }]);
    await feature.backup();
    t.match((await linesFor(apache, '/open/701_96xxdata.txt', 1 + index))[index], { method: 'PUT', authScheme: '-' });
  }
});

t.test('an EM login restores; stop() removes the listeners', async (t) => {
  const stateDir = t.testdir();
  const bus = new TypedBus<DaemonEvents>();
  const params = new ParamStore({ stateDir, isUserData: isUserDataName });
  await params.load();
  const fetcher = new Fetcher({ userAgent: 'test' });
  t.teardown(() => fetcher.close());
  const requests: string[] = [];
  const feature = new BackupRestore({
    params,
    vault: createMemoryVault(),
    fetch: (request) => {
      requests.push(`${request.method} ${request.url}`);
      return fetcher.fetch(request);
    },
    prompts: new PromptBroker({ bus, timeoutSeconds: 1 }),
    bus,
    logger: quiet(),
    trust: () => ({ hasTrustCerts: false }),
    debounceMs: 10,
  });
  await feature.start();
  bus.emit('event', { type: 'em.login', user: 'u' });
  t.same(requests, [], 'nothing configured, nothing fetched');
  await feature.register('801', 'reg-secret-11');
  await params.setLocal([{ name: 'BRURI', value: `${apache.origin}/open` }]);
  await fsp.writeFile(path.join(apache.docroot, 'open/801_96xxdata.txt'), 'ABKNAME001=Mobile\n');
  bus.emit('event', { type: 'em.login', user: 'u' });
  await until(() => params.get('ABKNAME001') === 'Mobile');
  await feature.idle();
  // A failing automatic backup is logged, not thrown.
  await params.setLocal([{ name: 'BRURI', value: `${apache.origin}/basic` }]);
  await params.setLocal([{ name: 'ABKNAME002', value: 'later' }]);
  await until(() => requests.length === 2);
  feature.stop();
  bus.emit('event', { type: 'em.login', user: 'u' });
  await params.setLocal([{ name: 'ABKNAME003', value: 'after stop' }]);
  await new Promise((resolve) => setTimeout(resolve, 50));
  t.equal(requests.length, 2);
});

t.test('an automatic backup waiting on a prompt gives way to an explicit backup, or to a restore and then runs again', async (t) => {
  const { feature, params, prompts, events } = await rig(t, { debounceMs: 1 });
  await feature.register('901', 'reg-secret-13');
  await params.setLocal([{ name: 'BRURI', value: `${apache.origin}/basic` }]);
  await feature.set({ ABKNAME001: 'Waiting' });
  await until(() => prompts.list().length === 1);
  // The explicit backup replaces the waiting one; its own prompt is answered.
  const manual = feature.backup();
  await until(() => events.some((e) => e.type === 'backup.failed'));
  t.match(events.find((e) => e.type === 'backup.failed'), { code: 'backup_superseded' });
  t.match(events.find((e) => e.type === 'auth.failure'), { reason: 'cancelled', realm: 'backup' });
  await answerNext(prompts, 'http-auth', 'bob', 'builder');
  await manual;
  t.equal(feature.pending(), false, 'replaced by a backup: not scheduled again');
  // A waiting automatic backup at another server gives way to a restore, then runs again.
  await params.setLocal([{ name: 'BRURI', value: `${apache.origin}/other` }]);
  await feature.set({ ABKNAME001: 'Again' });
  await until(() => prompts.list().length === 1);
  await fsp.writeFile(path.join(apache.docroot, 'other/901_96xxdata.txt'), 'ABKNAME002=Server\n');
  const restore = feature.restore();
  await until(() => events.filter((e) => e.type === 'backup.failed').length === 2);
  await answerNext(prompts, 'http-auth', 'bob', 'builder');
  await restore;
  t.equal(params.get('ABKNAME002'), 'Server');
  await until(() => events.filter((e) => e.type === 'backup.succeeded').length === 2);
  t.equal(params.get('ABKNAME001'), 'Again');
});
