/**
 * The Avaya story end to end in the daemon, as a 96x1 H.323 phone meets it: the upgrade script
 * `GET`s an IP Office-style `46xxsettings.txt` (in a subdirectory, so "relative to the script
 * that set it" is not "relative to the first URL"), whose `IF $SIG_IN_USE` / `IF $MODEL4 SEQ`
 * ladders pick this model's block, which sets BRURI, BRAUTH, TRUSTCERTS and TLSSRVRID. The
 * backup server's certificate is signed by a CA only TRUSTCERTS provides: the backup is
 * refused before that resync and succeeds after it, with the call-server credential because
 * BRAUTH=1 (DOMAIN.md §3.4). A listed file that is not a CA is refused with a reason.
 */
import t from 'tap';
import { X509Certificate } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { App } from '../../daemon/app/index.js';
import type { EventInput } from '../../daemon/bus/index.js';
import { Logger } from '../../daemon/log/index.js';
import { parseSettings } from '../../daemon/settings/index.js';
import { Notifier } from '../../daemon/systemd/index.js';
import { makeCa, makeLeaf, makeTestPki } from '../../daemon/tls/index.js';
import { spawnCli } from '../fixtures/display/cli.js';
import { startApache } from '../fixtures/http/apache.js';
import { shortTempDir } from '../fixtures/local.js';

const CALL_SERVER = '10.0.0.5';
const REG_PASSWORD = 'Reg-Script-e2e';

t.test('46xxsettings.txt with a GET chain and model ladders sets BRURI, BRAUTH, TRUSTCERTS, TLSSRVRID; TRUSTCERTS makes the backup server trusted', async (t) => {
  const avayaRoot = makeTestPki({ commonName: '127.0.0.1', altNames: ['127.0.0.1'] });
  const webRoot = makeCa({ commonName: 'Web Root CA' });
  const siteRoot = makeCa({ commonName: 'Site Root CA' });
  const brLeaf = makeLeaf({ commonName: '127.0.0.1', altNames: ['127.0.0.1'], issuer: webRoot });
  const backupServer = await startApache({
    tls: { certPem: brLeaf.certPem + webRoot.certPem, keyPem: brLeaf.keyPem },
    areas: [{ path: 'user/backuprestore', auth: { scheme: 'Basic', realm: 'Avaya file server', users: { [CALL_SERVER]: REG_PASSWORD } }, dav: true }],
  });
  t.teardown(() => backupServer.stop());
  const upgrade = ['## Avaya upgrade script: do not edit', 'IF $SIG_IN_USE SEQ SIP GOTO SIPPHONE', 'GET site/46xxsettings.txt', '# SIPPHONE', 'SET BRURI "http://sip-only.invalid/"', ''].join('\r\n');
  const settingsScript = (trustcerts: string): string =>
    [
      '##IP Office generated 46xxsettings.txt',
      'SET TLSSRVRID 0',
      'IF $SIG_IN_USE SEQ SIP GOTO END',
      'IF $MODEL4 SEQ 9611 GOTO SETTINGS9611',
      'IF $MODEL4 SEQ 9608 GOTO SETTINGS9608',
      'GOTO END',
      '# SETTINGS9611',
      'SET BRURI "https://wrong-model.invalid/"',
      'GOTO END',
      '# SETTINGS9608',
      `SET BRURI "${backupServer.origin}/user/backuprestore/"`,
      'SET BRAUTH 1',
      `SET TRUSTCERTS "${trustcerts}"`,
      'SET TLSSRVRID 1',
      'GOTO END',
      '# END',
      '',
    ].join('\r\n');
  const prov = await startApache({
    tls: { certPem: avayaRoot.chainPem, keyPem: avayaRoot.leaf.keyPem },
    areas: [{ path: 'avaya' }, { path: 'pki' }],
    files: {
      'avaya/96xxupgrade.txt': upgrade,
      'avaya/site/certs/WebRootCA.pem': webRoot.certPem,
      'avaya/site/certs/server.pem': brLeaf.certPem,
      'pki/site-root.der': Buffer.from(new X509Certificate(siteRoot.certPem).raw),
    },
  });
  t.teardown(() => prov.stop());
  const absolute = `${prov.origin}/pki/site-root.der`;
  writeFileSync(path.join(prov.docroot, 'avaya/site/46xxsettings.txt'), settingsScript(`certs/WebRootCA.pem,certs/server.pem,${absolute}`));

  const dir = shortTempDir(t);
  const anchors = path.join(dir, 'anchors');
  mkdirSync(anchors);
  writeFileSync(path.join(anchors, 'avaya-root.pem'), avayaRoot.root.certPem);
  const socket = path.join(dir, 'run', 'display.sock');
  const settings = parseSettings({
    stateDir: path.join(dir, 'state'),
    runtimeDir: path.join(dir, 'run'),
    device: { mac: '00:1b:4f:aa:bb:cc', model: '9608G', swVersion: '6.8.5', serial: 'SN9608' },
    trust: { anchorsDir: anchors },
    display: { socket, http: false },
    prompts: { timeoutSeconds: 3600 },
    parameters: { Resync_On_Reset: 'No', Profile_Rule: `${prov.origin}/avaya/96xxupgrade.txt`, MCIPADD: CALL_SERVER, BRURI: `${backupServer.origin}/user/backuprestore` },
  });
  const lines: string[] = [];
  const app = new App({ settings, logger: new Logger({ level: 'debug', sink: { out: (l) => lines.push(l), err: (l) => lines.push(l) } }), notifier: new Notifier({}) });
  const events: EventInput[] = [];
  t.ok(await app.start());
  app.bus.on('event', (event) => events.push(event));
  t.teardown(() => app.stop());
  const cli = (args: string[], input?: string) => spawnCli(['--socket', socket, ...args], input === undefined ? {} : { input });

  t.equal((await cli(['register', '4711', '--password-stdin'], REG_PASSWORD + '\n')).code, 0);
  // Before the resync: the backup server's CA is not an anchor.
  const refused = await cli(['backup', '--wait']);
  t.equal(refused.code, 1);
  t.match(refused.stderr, /incomplete_chain|untrusted_root/);
  t.match(events.find((e) => e.type === 'tls.rejected'), { operation: 'backup', issuer: /Web Root CA/ });

  const resync = await cli(['resync', '--wait']);
  t.equal(resync.code, 0, resync.stderr);
  t.equal(app.params.get('BRURI'), `${backupServer.origin}/user/backuprestore/`, 'the 9608 block of the ladder');
  t.equal(app.params.get('BRAUTH'), '1');
  t.equal(app.params.get('TLSSRVRID'), '1');
  t.equal(app.params.get('TRUSTCERTS'), `certs/WebRootCA.pem,certs/server.pem,${absolute}`);
  t.match(events.filter((e) => e.type === 'trustcerts.installed'), [
    { name: 'certs/WebRootCA.pem', url: `${prov.origin}/avaya/site/certs/WebRootCA.pem` },
    { name: absolute, subject: /Site Root CA/ },
  ]);
  t.match(events.filter((e) => e.type === 'trustcerts.refused'), [{ name: 'certs/server.pem', reason: 'trustcerts_not_ca', message: /not a CA certificate/ }]);
  const order = events.map((e) => e.type);
  t.ok(order.lastIndexOf('trustcerts.installed') < order.indexOf('resync.succeeded'), 'installed at the end of that resync, before it reports success');

  const accepted = await cli(['backup', '--wait']);
  t.same([accepted.code, accepted.stdout], [0, 'backup succeeded\n'], accepted.stderr);
  const log = (await backupServer.accessLog()).filter((l) => l.path === '/user/backuprestore/4711_96xxdata.txt');
  t.match(log, [{ method: 'PUT', user: CALL_SERVER, authScheme: 'Basic' }], 'BRAUTH=1 with TRUSTCERTS: the call-server credential is sent');

  const trust = await cli(['trust']);
  t.equal(trust.code, 0, trust.stderr);
  t.match(trust.stdout, /^anchor {6}CN=provisiond test root/m);
  t.match(trust.stdout, /^TRUSTCERTS {2}CN=Web Root CA, O=provisiond test PKI\n {2}issuer {4}CN=Web Root CA.*\n {2}expires {3}\d{4}-.*\n {2}sha256 {4}[0-9A-F:]{95}\n {2}source {4}certs\/WebRootCA\.pem$/m);
  t.match(trust.stdout, /^TRUSTCERTS {2}CN=Site Root CA/m);
  const json = JSON.parse((await cli(['--json', 'trust'])).stdout) as { certificates: { origin: string }[] };
  t.equal(json.certificates.filter((c) => c.origin === 'trustcerts').length, 2);

  // The administrator drops the absolute name: the next resync removes that certificate.
  writeFileSync(path.join(prov.docroot, 'avaya/site/46xxsettings.txt'), settingsScript('certs/WebRootCA.pem'));
  t.equal((await cli(['resync', '--wait'])).code, 0);
  t.match(events.filter((e) => e.type === 'trustcerts.removed'), [{ name: absolute }]);
  t.equal(app.trust.certificates.filter((c) => c.origin === 'trustcerts').length, 1);
  t.notOk(lines.join('\n').includes(REG_PASSWORD), 'the registration password is in no log line');
});
