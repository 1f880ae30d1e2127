/**
 * The configuration report through the daemon's front doors (DOMAIN §1.10, SPEC §8): the App
 * with its own fetcher and trust anchors, Apache over TLS from a run-time CA with a Digest
 * realm and a POST receiver, `provisionctl report` as a separate process, and MQTT
 * `cmd/report` on Mosquitto. The access log and the body Apache stored prove what arrived.
 */
import t from 'tap';
import { mkdirSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { App } from '../../daemon/app/index.js';
import { parseSettings } from '../../daemon/settings/index.js';
import { Logger } from '../../daemon/log/index.js';
import { Notifier } from '../../daemon/systemd/index.js';
import { makeTestPki } from '../../daemon/tls/index.js';
import { startApache } from '../fixtures/http/apache.js';
import { startMosquitto } from '../fixtures/mqtt/mosquitto.js';
import { subscribe } from '../fixtures/mqtt/subscriber.js';
import { spawnCli } from '../fixtures/display/cli.js';
import { shortTempDir } from '../fixtures/local.js';

const REPORT_PASSWORD = 'rep0rt-Pa55-e2e';
const GPP_SECRET = 'gpp-Secret-report';
const MAC = '00:0e:08:12:34:57';

t.test('provisionctl report and MQTT cmd/report upload the report over TLS with the rule credentials', async (t) => {
  const pki = makeTestPki();
  const apache = await startApache({
    tls: { certPem: pki.chainPem, keyPem: pki.leaf.keyPem },
    areas: [{ path: 'reports', receive: true, auth: { scheme: 'Digest', realm: 'reports', users: { reporter: REPORT_PASSWORD } } }],
  });
  t.teardown(() => apache.stop());
  const broker = await startMosquitto({ users: { phone: 'mqtt-report-pw', dash: 'dash-pass' } });
  t.teardown(() => broker.close());
  const dir = shortTempDir(t);
  const anchors = path.join(dir, 'anchors');
  mkdirSync(anchors);
  writeFileSync(path.join(anchors, 'root.pem'), pki.root.certPem);
  writeFileSync(path.join(dir, 'mqtt.pw'), 'mqtt-report-pw\n');
  const socket = path.join(dir, 'run', 'display.sock');
  const settings = parseSettings({
    stateDir: path.join(dir, 'state'),
    runtimeDir: path.join(dir, 'run'),
    device: { mac: MAC, model: 'CP-8841-3PCC', swVersion: '11.0', serial: 'SN2' },
    trust: { anchorsDir: anchors },
    mqtt: { url: broker.url, username: 'phone', passwordFile: path.join(dir, 'mqtt.pw'), topicPrefix: 'prov', commands: true },
    display: { socket },
    parameters: { Report_Rule: `[--uid reporter --pwd ${REPORT_PASSWORD}] ${apache.origin}/reports/$MA.xml`, GPP_SA: GPP_SECRET, Station_Name: 'Reception', Resync_On_Reset: 'No' },
  });
  const lines: string[] = [];
  const logger = new Logger({ level: 'debug', sink: { out: (l) => lines.push(l), err: (l) => lines.push(l) } });
  const dashboard = await subscribe(broker.url, 'prov/#', { username: 'dash', password: 'dash-pass' });
  t.teardown(() => dashboard.close());
  const app = new App({ settings, logger, notifier: new Notifier({}) });
  t.ok(await app.start(), 'started');
  t.teardown(() => app.stop());

  const cli = await spawnCli(['--socket', socket, '--json', 'report', '--wait']);
  t.equal(cli.code, 0, cli.stderr);
  t.match(JSON.parse(cli.stdout), { outcome: 'succeeded', status: 201, encrypted: false });
  const log = (await apache.accessLog()).map((line) => `${line.method} ${line.path} ${line.status} ${line.user} ${line.authScheme}`);
  t.ok(log.includes('POST /reports/000e08123457.xml 201 reporter Digest'), `access log: ${log.join(', ')}`);
  const body = (await apache.received('/reports/000e08123457.xml'))?.toString() ?? '';
  t.match(body, '<Station_Name>Reception</Station_Name>');
  t.notMatch(body, GPP_SECRET);
  t.notMatch(body, REPORT_PASSWORD);
  t.notMatch(body, '<GPP_SA>');

  await dashboard.client.publishAsync('prov/000e08123457/cmd/report', JSON.stringify({ transaction: 'r-1', wait: true }), { qos: 1 });
  await dashboard.waitFor((m) => m.some((x) => x.topic === 'prov/000e08123457/cmd/report/result'));
  t.same(JSON.parse(dashboard.messages.find((x) => x.topic === 'prov/000e08123457/cmd/report/result')!.text), { transaction: 'r-1', status: 'ok' });
  await dashboard.waitFor((m) => m.filter((x) => x.topic.endsWith('/events/report.succeeded')).length === 2);
  t.equal((await apache.accessLog()).filter((line) => line.method === 'POST' && line.status === 201).length, 2, 'two reports arrived');

  // tftp:// is refused with its code, and provisionctl exits 1.
  await app.params.setLocal([{ name: 'Report_Rule', value: 'tftp://127.0.0.1/rep.xml' }]);
  const refused = await spawnCli(['--socket', socket, 'report', '--wait']);
  t.equal(refused.code, 1);
  t.match(refused.stderr, /scheme_unsupported/);
  await dashboard.waitFor((m) => m.some((x) => x.topic.endsWith('/events/report.failed')));
  t.notOk(lines.some((line) => line.includes(REPORT_PASSWORD) || line.includes(GPP_SECRET)), 'no secret in the log');
  t.notOk(dashboard.messages.some((m) => m.text.includes(REPORT_PASSWORD) || m.text.includes(GPP_SECRET)), 'no secret on MQTT');
});
