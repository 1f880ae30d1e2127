/**
 * `ua` (SPEC §3, DOMAIN §1.10 flat profiles): a profile's `ua="ro"` or `"na"` closes a parameter
 * to local changes; `ua="rw"` opens it again; the restriction survives a restart. The real
 * daemon resyncs an XML profile from Apache, then a technician's `set` meets the restriction.
 */
import t from 'tap';
import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import { startApache } from '../fixtures/http/apache.js';
import { command, startApp } from '../fixtures/app.js';
import { shortTempDir } from '../fixtures/local.js';


t.test('ua="ro" and "na" refuse a local set or unset with the reason; ua="rw" lifts it; it survives a restart', async (t) => {
  const apache = await startApache({
    files: { 'p.xml': '<flat-profile><Station_Name ua="ro">lobby</Station_Name><GPP_A ua="na">hidden</GPP_A><ABKNAME001 ua="ro"/><Resync_Periodic ua="rw">7200</Resync_Periodic></flat-profile>' },
  });
  t.teardown(apache.stop);
  const dir = shortTempDir(t, 'pvd-ua-');
  const rule = { Profile_Rule: `${apache.origin}/p.xml` };
  let { app } = await startApp(t, { dir, parameters: rule });
  await command(app, 'resync', { wait: true });
  t.equal(app.params.get('Station_Name'), 'lobby');
  t.equal(app.params.access('Station_Name'), 'ro');
  t.equal(app.params.access('ABKNAME001'), 'rw', 'user data belongs to the user: a profile cannot close it');
  await t.rejects(command(app, 'set', { Station_Name: 'mine' }), { code: 'param_access_denied', message: 'Station_Name is read-only for the user (ua="ro" in the provisioning profile)' });
  await t.rejects(command(app, 'set', { Resync_Periodic: '600', GPP_A: 'x' }), { code: 'param_access_denied', message: /^GPP_A is not accessible/ }, 'all or nothing');
  t.equal(app.params.get('Resync_Periodic'), '7200', 'nothing of the refused set applied');
  await t.rejects(command(app, 'unset', { Station_Name: true }), { code: 'param_access_denied' });
  t.same(await command(app, 'set', { Resync_Periodic: '600' }), { changed: ['Resync_Periodic'] }, 'a rw parameter stays open');
  const shown = (await command(app, 'params', {})) as Record<string, string>;
  t.equal(shown.Station_Name, 'lobby', 'ro is shown');
  t.notOk('GPP_A' in shown, 'na is not shown to the user');
  await t.rejects(command(app, 'params', { name: 'GPP_A' }), { code: 'unknown_parameter' });

  await app.stop();
  ({ app } = await startApp(t, { dir, parameters: rule }));
  t.equal(app.params.access('Station_Name'), 'ro', 'the restriction is kept across a restart');
  t.equal(app.params.access('GPP_A'), 'na');

  await fsp.writeFile(path.join(apache.docroot, 'p.xml'), '<flat-profile><Station_Name ua="rw"/></flat-profile>');
  await command(app, 'resync', { wait: true });
  t.equal(app.params.access('Station_Name'), 'rw', 'ua="rw" opens it again');
  t.equal(app.params.access('GPP_A'), 'na', 'what the new profile does not name keeps its restriction');
  t.same(await command(app, 'set', { Station_Name: 'mine' }), { changed: ['Station_Name'] });
});

t.test('the store keeps no restriction on user data, whoever passes one', async (t) => {
  const { ParamStore } = await import('../../daemon/params/index.js');
  const store = new ParamStore({ stateDir: t.testdir(), isUserData: (name) => name.startsWith('ABK') });
  await store.load();
  await store.applyProvisioned([], [{ name: 'ABKNAME001', access: 'ro' }, { name: 'Station_Name', access: 'na' }]);
  t.equal(store.access('ABKNAME001'), 'rw');
  t.equal(store.access('Station_Name'), 'na');
});
