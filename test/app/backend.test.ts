/**
 * The backend behind the local feed, provisionctl and MQTT commands, over a real daemon
 * (no network peers: commands that need one fail the way a user would see).
 */
import t, { type Test } from 'tap';
import { shortTempDir } from '../fixtures/local.js';
import { writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { App } from '../../daemon/app/index.js';
import { parseSettings } from '../../daemon/settings/index.js';
import { Logger, Redactor } from '../../daemon/log/index.js';
import { Notifier } from '../../daemon/systemd/index.js';
import { ProvisiondError } from '../../daemon/errors/index.js';
import type { CommandArgs, CommandName } from '../../daemon/commands/index.js';

async function daemon(t: Test, parameters: Record<string, string> = {}, extra: Record<string, unknown> = {}) {
  const dir = shortTempDir(t, 'pvd-b-');
  const settings = parseSettings({
    stateDir: path.join(dir, 'state'),
    runtimeDir: path.join(dir, 'run'),
    trust: { anchorsDir: path.join(dir, 'anchors') },
    display: { socket: false, http: false },
    parameters: { Resync_On_Reset: 'No', ...parameters },
    ...extra,
  });
  const lines: string[] = [];
  const logger = new Logger({ level: 'debug', redactor: new Redactor(), sink: { out: (l) => lines.push(l), err: (l) => lines.push(l) } });
  const app = new App({ settings, logger, notifier: new Notifier({}), probe: async () => ({ mac: '00:0e:08:aa:bb:cc', model: 'SPA942' }) });
  t.ok(await app.start());
  t.teardown(() => app.stop());
  return { app, dir, lines };
}

const code = (p: Promise<unknown>): Promise<string> => p.then(() => 'ok', (e: ProvisiondError) => e.code);

/** A command from provisionctl through the command table: its data, or a rejection with its error. */
async function call<N extends CommandName>(app: App, name: N, args: CommandArgs): Promise<unknown> {
  const outcome = await app.backend.run(name, args, 'cli');
  if (!outcome.ok) throw new ProvisiondError(outcome.error.code, outcome.error.message);
  return outcome.data;
}

t.test('status snapshot and the MQTT state are built from named fields', async (t) => {
  const { app } = await daemon(t, { NVPHONEXT: '4711' });
  const snap = app.backend.snapshot();
  t.equal(snap.device.id, '000e08aabbcc');
  t.equal(snap.device.extension, '4711');
  t.same(snap.resync, { running: false, last: null, next: null });
  t.same(snap.em, { enabled: false, state: '' });
  t.same(snap.mqtt, { connected: false });
  t.same(snap.trust, { anchors: 0, trustcerts: 0 });
  t.same(app.backend.mqttState(), { resync: snap.resync, em: { state: '' }, trust: { anchors: 0, trustcerts: 0 }, features: snap.features });
  t.ok((snap.features as { state: string }[]).every((f) => f.state === 'running'), 'every feature running');
});

t.test('params lists the published parameters, one by name, and refuses secret or unknown ones', async (t) => {
  const { app } = await daemon(t, { GPP_SA: 'backend-secret', Station_Name: 'Desk' });
  const all = (await call(app, 'params', {})) as Record<string, string>;
  t.equal(all.Station_Name, 'Desk');
  t.notOk('GPP_SA' in all);
  t.same(await call(app, 'params', { name: 'Station_Name' }), { Station_Name: 'Desk' });
  t.equal(await code(call(app, 'params', { name: 'GPP_SA' })), 'unknown_parameter');
});

t.test('trust lists anchors with their details and the files it skipped', async (t) => {
  const dir = shortTempDir(t, 'pvd-a-');
  const { makeCa } = await import('../../daemon/tls/index.js');
  writeFileSync(path.join(dir, 'root.pem'), makeCa({ commonName: 'Backend Test Root' }).certPem);
  writeFileSync(path.join(dir, 'junk.pem'), 'not a certificate');
  const { app, lines } = await daemon(t, {}, { trust: { anchorsDir: dir } });
  const trust = (await call(app, 'trust', {})) as { certificates: { subject: string; origin: string }[]; problems: unknown[] };
  t.equal(trust.certificates.length, 1);
  t.match(trust.certificates[0]!.subject, /Backend Test Root/);
  t.equal(trust.certificates[0]!.origin, 'anchor');
  t.equal(trust.problems.length, 1);
  t.ok(lines.some((l) => /trust anchor skipped/.test(l)));
  t.same(app.backend.snapshot().trust, { anchors: 1, trustcerts: 0 });
});

t.test('resync on demand: without --wait it starts, with --wait a failure is an error with its code', async (t) => {
  const { app } = await daemon(t, { Profile_Rule: 'http://127.0.0.1:9/nothing.xml', Resync_Error_Retry_Delay: '0' });
  t.same(await call(app, 'resync', {}), { started: true });
  await app.resync.idle();
  t.equal(await code(call(app, 'resync', { wait: true })), 'network_error');
  t.equal(app.backend.snapshot().resync.last?.outcome, 'failed');
  t.equal(app.backend.snapshot().resync.last?.error, 'network_error');
});

t.test('resync --wait reports the outcome when the rule names nothing to fetch', async (t) => {
  const { app } = await daemon(t, {});
  t.same(await call(app, 'resync', { wait: true }), { outcome: 'unchanged', changed: [] });
  t.equal(app.backend.snapshot().resync.last?.outcome, 'unchanged');
  t.notOk('error' in app.backend.snapshot().resync.last!);
});

t.test('Extension Mobility commands and softkeys follow EM_Enable', async (t) => {
  const { app } = await daemon(t, {});
  t.equal(await code(call(app, 'login', { user: 'u', password: 'p' })), 'em_disabled');
  t.equal(await code(call(app, 'logout', {})), 'em_not_logged_in');
  t.equal(await code(app.backend.softkey('Logout')), 'em_not_logged_in');
  await app.backend.softkey('Setup');
  t.equal(app.prompts.list()[0]?.kind, 'profile-account');
});

t.test('a login that the server refuses fails with the resync error; Login opens the prompt', async (t) => {
  const { app } = await daemon(t, { EM_Enable: 'Yes', Profile_Rule: 'http://127.0.0.1:9/em.xml' });
  await app.backend.softkey('Login');
  t.equal(app.prompts.list()[0]?.kind, 'em-login');
  app.prompts.cancel(app.prompts.list()[0]!.id);
  t.equal(await code(call(app, 'login', { user: 'mobile', password: 'mobile-pw' })), 'network_error');
  const failed = app.prompts.list().find((p) => p.kind === 'em-login-failed');
  t.ok(failed, 'Login failed offers Retry and Abort');
  app.prompts.cancel(failed!.id);
  const { until } = await import('../fixtures/mqtt/subscriber.js');
  await until(() => app.em.state() === '');
  t.pass('Abort restored the previous state');
});

t.test('profile-account stores the account and resyncs', async (t) => {
  const { app } = await daemon(t, {});
  t.same(await call(app, 'profile-account', { user: 'acct', password: 'acct-pw' }), { stored: true });
  t.equal((await app.vault.get({ purpose: 'profile-account' }))?.username, 'acct');
});

t.test('register, set, unset, backup and restore (Apache with mod_dav)', async (t) => {
  const { startApache } = await import('../fixtures/http/apache.js');
  const apache = await startApache({ areas: [{ path: '/br', dav: true }] });
  t.teardown(() => apache.stop());
  const { app, lines } = await daemon(t, { BRURI: `${apache.origin}/br` });
  t.same(await call(app, 'register', { extension: '4711', password: 'backend-reg-pw' }), { extension: '4711' });
  t.equal(app.params.get('NVPHONEXT'), '4711');
  t.same(await call(app, 'set', { ABKNAME001: 'Desk', PERSONALRING: '2' }), { changed: ['ABKNAME001', 'PERSONALRING'] });
  t.equal(await code(call(app, 'set', { ABKNAME002: 'x', PERSONALRING: '0' })), 'param_invalid');
  t.match(await call(app, 'backup', { wait: true }), { outcome: 'succeeded', status: 201 });
  t.same(await call(app, 'unset', { ABKNAME001: true }), { changed: ['ABKNAME001'] });
  t.match(await call(app, 'restore', { wait: true }), { outcome: 'succeeded', changed: ['ABKNAME001'] });
  t.equal(app.params.get('ABKNAME001'), 'Desk');
  t.same(await call(app, 'backup', {}), { started: true });
  t.same(await call(app, 'restore', {}), { started: true });
  await app.backup.idle();
  t.notMatch(lines.join('\n'), /backend-reg-pw/);
});

t.test('a successful login shows the mobile user, and logout goes back to host', async (t) => {
  const { createServer } = await import('node:http');
  const seen: string[] = [];
  const server = createServer((req, res) => {
    seen.push(req.url!);
    res.end('<flat-profile><Station_Name>' + (req.url!.includes('mobile') ? 'Mobile' : 'Host') + '</Station_Name></flat-profile>');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.teardown(() => server.close());
  const port = (server.address() as { port: number }).port;
  const { app } = await daemon(t, { EM_Enable: 'Yes', Profile_Rule: `( $EMS eq "mobile" )? http://127.0.0.1:${port}/$MUID-mobile.xml | http://127.0.0.1:${port}/host.xml` });
  t.same(await call(app, 'login', { user: 'alice', password: 'alice-pw' }), { state: 'mobile' });
  t.same(app.backend.snapshot().em, { enabled: true, state: 'mobile', user: 'alice' });
  t.equal(app.params.get('Station_Name'), 'Mobile');
  t.same(await call(app, 'logout', {}), { state: 'host' });
  t.equal(app.params.get('Station_Name'), 'Host');
  t.same(seen, ['/alice-mobile.xml', '/host.xml']);
  await call(app, 'login', { user: 'alice', password: 'alice-pw' });
  await app.backend.softkey('Logout');
  t.same(app.backend.snapshot().em, { enabled: true, state: 'host' }, 'the Logout softkey logs out as the command does');
});

t.test('an Avaya settings script sees parameters first, then the phone\'s own variables', async (t) => {
  const { createServer } = await import('node:http');
  const script = ['IF $GROUP SEQ 5 GOTO GROUP5', 'SET WHERE other', 'GOTO END', '# GROUP5', 'IF $MODEL4 SEQ SPA9 GOTO MODEL', 'SET WHERE group5', 'GOTO END', '# MODEL', 'SET WHERE group5-spa9', '# END', ''].join('\n');
  const server = createServer((_req, res) => res.end(script));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.teardown(() => server.close());
  const port = (server.address() as { port: number }).port;
  const { app } = await daemon(t, { GROUP: '5', Profile_Rule: `http://127.0.0.1:${port}/46xxsettings.txt` });
  t.same(await call(app, 'resync', { wait: true }), { outcome: 'succeeded', changed: ['WHERE'] });
  t.equal(app.params.get('WHERE'), 'group5-spa9', 'GROUP from the parameters, MODEL4 from the device (SPA942)');
});
