/**
 * SPEC §4 / DOMAIN §3.1: in an Avaya settings script a `SET` with an invalid value is ignored,
 * that line alone, logged and counted in `config.applied`; an XML flat profile with the same
 * invalid value is rejected whole. The real daemon resyncs from Apache.
 */
import t, { type Test } from 'tap';
import * as path from 'node:path';
import { App } from '../../daemon/app/index.js';
import { Logger, Redactor } from '../../daemon/log/index.js';
import { Notifier } from '../../daemon/systemd/index.js';
import { parseSettings } from '../../daemon/settings/index.js';
import { startApache } from '../fixtures/http/apache.js';
import { shortTempDir } from '../fixtures/local.js';

const SCRIPT = ['## 46xxsettings.txt', 'SET Station_Name lobby', 'SET Resync_Periodic every-hour', 'SET Provision_Enable maybe', 'SET WHERE east', ''].join('\r\n');
const XML = '<flat-profile><Station_Name>lobby</Station_Name><Resync_Periodic>every-hour</Resync_Periodic></flat-profile>';

async function daemon(t: Test, rule: string) {
  const dir = shortTempDir(t, 'pvd-set-');
  const settings = parseSettings({
    stateDir: path.join(dir, 'state'),
    runtimeDir: path.join(dir, 'run'),
    trust: { anchorsDir: path.join(dir, 'anchors') },
    display: { socket: false, http: false },
    parameters: { Resync_On_Reset: 'No', Profile_Rule: rule },
  });
  const lines: string[] = [];
  const logger = new Logger({ level: 'debug', redactor: new Redactor(), sink: { out: (l) => lines.push(l), err: (l) => lines.push(l) } });
  const app = new App({ settings, logger, notifier: new Notifier({}), probe: async () => ({ mac: '00:0e:08:aa:bb:01', model: 'J179' }) });
  t.ok(await app.start());
  t.teardown(() => app.stop());
  return { app, lines };
}

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

  const cisco = await daemon(t, `${apache.origin}/spa.xml`);
  t.match(await cisco.app.backend.run('resync', { wait: true }, 'cli'), { ok: false, error: { code: 'param_invalid', message: /^Resync_Periodic expects/ } });
  t.equal(cisco.app.params.get('Station_Name'), undefined, 'nothing of the XML profile applied');
});
