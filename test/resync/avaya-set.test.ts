/**
 * SPEC §4 / DOMAIN §3.1: in an Avaya settings script a `SET` with an invalid value is ignored,
 * that line alone, logged and counted in `config.applied`; an XML flat profile with the same
 * invalid value is rejected whole. The real daemon resyncs from Apache.
 */
import t from 'tap';
import { startApache } from '../fixtures/http/apache.js';
import { startApp } from '../fixtures/app.js';

const SCRIPT = ['## 46xxsettings.txt', 'SET ABKNAME001 "From the server"', 'SET Station_Name lobby', 'SET Resync_Periodic every-hour', 'SET Provision_Enable maybe', 'SET WHERE east', ''].join('\r\n');
const XML = '<flat-profile><Station_Name>lobby</Station_Name><Resync_Periodic>every-hour</Resync_Periodic></flat-profile>';

const daemon = (t: Parameters<typeof startApp>[0], rule: string) => startApp(t, { parameters: { Profile_Rule: rule }, hardware: { mac: '00:0e:08:aa:bb:01', model: 'J179' } });

t.test('an invalid SET in a settings script is skipped alone; an invalid XML value rejects the profile', async (t) => {
  const apache = await startApache({ files: { '46xxsettings.txt': SCRIPT, 'spa.xml': XML } });
  t.teardown(apache.stop);

  const avaya = await daemon(t, `${apache.origin}/46xxsettings.txt`);
  const applied = new Promise<unknown>((resolve) => avaya.app.bus.on('event', (e) => e.type === 'config.applied' && resolve(e)));
  t.same(await avaya.app.backend.run('resync', { wait: true }, 'cli'), { ok: true, data: { outcome: 'succeeded', changed: ['Station_Name', 'WHERE'] } });
  t.equal(avaya.app.params.get('Station_Name'), 'lobby');
  t.equal(avaya.app.params.get('WHERE'), 'east');
  t.equal(avaya.app.params.get('Resync_Periodic'), '3600', 'the invalid line changed nothing');
  t.equal(avaya.app.params.get('Provision_Enable'), 'Yes');
  t.match(await applied, { type: 'config.applied', changed: ['Station_Name', 'WHERE'], source: 'resync', ignored: 2 });
  const log = avaya.lines.join('\n');
  t.match(log, /settings script: SET ignored, invalid value parameter=Resync_Periodic reason="Resync_Periodic expects seconds, or a list/);
  t.match(log, /settings script: SET ignored, invalid value parameter=Provision_Enable reason="Provision_Enable expects Yes or No/);
  t.match(log, /ignoring user data in a provisioned profile parameter=ABKNAME001/, 'user data in a profile is left out, and said so (SPEC §3)');
  t.equal(avaya.app.params.get('ABKNAME001'), undefined);

  const cisco = await daemon(t, `${apache.origin}/spa.xml`);
  t.match(await cisco.app.backend.run('resync', { wait: true }, 'cli'), { ok: false, error: { code: 'param_invalid', message: /^Resync_Periodic expects/ } });
  t.equal(cisco.app.params.get('Station_Name'), undefined, 'nothing of the XML profile applied');
});
