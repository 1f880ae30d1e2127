/**
 * The whole daemon against real peers (SPEC §11): Apache httpd with a Digest realm over TLS
 * from a run-time CA, Mosquitto with a password file, provisionctl as a separate process.
 * It walks the Cisco Profile Account story end to end and then checks that no secret used
 * in the run is anywhere the daemon wrote or said (issue 5).
 */
import t from 'tap';
import { shortTempDir } from '../fixtures/local.js';
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { App } from '../../daemon/app/index.js';
import { parseSettings } from '../../daemon/settings/index.js';
import { Logger, Redactor } from '../../daemon/log/index.js';
import { Notifier } from '../../daemon/systemd/index.js';
import { makeTestPki } from '../../daemon/tls/index.js';
import { startApache } from '../fixtures/http/apache.js';
import { startMosquitto } from '../fixtures/mqtt/mosquitto.js';
import { subscribe, until } from '../fixtures/mqtt/subscriber.js';
import { spawnCli } from '../fixtures/display/cli.js';

const ACCOUNT_USER = 'phone-admin';
const ACCOUNT_PASSWORD = 'Acc0unt-Pa55-e2e';
const MQTT_PASSWORD = 'mqtt-Pa55-e2e';
const GPP_SECRET = 'gpp-Secret-e2e';
const MAC = '00:0e:08:12:34:56';

function profile(values: Record<string, string>): string {
  return `<flat-profile>\n${Object.entries(values).map(([k, v]) => `  <${k}>${v}</${k}>`).join('\n')}\n</flat-profile>\n`;
}

t.test('first 401 → Profile Account prompt → answered with provisionctl → profile applied, reported over MQTT, no secret leaked', async (t) => {
  const pki = makeTestPki();
  const apache = await startApache({
    tls: { certPem: pki.chainPem, keyPem: pki.leaf.keyPem },
    areas: [{ path: 'prov', auth: { scheme: 'Digest', realm: 'provisioning', users: { [ACCOUNT_USER]: ACCOUNT_PASSWORD } } }],
    files: { 'prov/000e08123456.xml': profile({ Resync_Periodic: '7200', Station_Name: 'Reception', GPP_SA: GPP_SECRET }) },
  });
  t.teardown(() => apache.stop());
  const broker = await startMosquitto({ users: { phone: MQTT_PASSWORD, dash: 'dash-pass' } });
  t.teardown(() => broker.close());

  // Unix socket paths are limited to 108 bytes: keep the run directory short.
  const dir = shortTempDir(t);
  const anchors = path.join(dir, 'anchors');
  mkdirSync(anchors);
  writeFileSync(path.join(anchors, 'root.pem'), pki.root.certPem);
  writeFileSync(path.join(dir, 'mqtt.pw'), MQTT_PASSWORD + '\n');
  const socket = path.join(dir, 'run', 'display.sock');
  const settings = parseSettings({
    stateDir: path.join(dir, 'state'),
    runtimeDir: path.join(dir, 'run'),
    device: { mac: MAC, model: 'SPA942', swVersion: '6.1.5(a)', serial: 'SN1' },
    trust: { anchorsDir: anchors },
    mqtt: { url: broker.url, username: 'phone', passwordFile: path.join(dir, 'mqtt.pw'), topicPrefix: 'prov', commands: true },
    display: { socket, http: { host: '127.0.0.1', port: 0 } },
    parameters: { Profile_Rule: `${apache.origin}/prov/$MA.xml`, Resync_Random_Delay: '0' },
  });
  const lines: string[] = [];
  const logger = new Logger({ level: 'debug', redactor: undefined, sink: { out: (l) => lines.push(l), err: (l) => lines.push(l) } });
  const dashboard = await subscribe(broker.url, 'prov/#', { username: 'dash', password: 'dash-pass' });
  t.teardown(() => dashboard.close());

  const app = new App({ settings, logger, notifier: new Notifier({}) });
  // E2E_DEBUG=/tmp/file: the daemon's log is copied there while the test runs (a debugging aid).
  if (process.env.E2E_DEBUG) setInterval(() => writeFileSync(process.env.E2E_DEBUG!, lines.join('\n')), 500).unref();
  t.ok(await app.start(), 'started');
  let stopped = false;
  t.teardown(async () => {
    if (!stopped) await app.stop();
  });
  t.equal(statSync(socket).mode & 0o777, 0o660, 'display socket is 0660');

  // The start-up resync meets the Digest realm with no account: the prompt opens.
  const prompt = () => app.prompts.list().find((p) => p.kind === 'profile-account');
  await until(() => prompt() !== undefined);
  await until(() => app.resync.status().last !== null);
  t.equal(app.resync.status().last?.result, 'failed', 'the first resync failed for want of credentials');

  const status = await spawnCli(['--socket', socket, '--json', 'status']);
  t.equal(status.code, 0, status.stderr);
  const json = JSON.parse(status.stdout);
  t.equal(json.prompt?.kind, 'profile-account');
  t.equal(json.device.id, '000e08123456');

  const history = await spawnCli(['--socket', socket, '--json', 'events']);
  t.equal(history.code, 0, history.stderr);
  const recent = history.stdout.trim().split('\n').map((line) => JSON.parse(line));
  t.ok(recent.some((e) => e.type === 'auth.prompt'), 'provisionctl events shows the prompt event');

  const answer = await spawnCli(['--socket', socket, 'answer', '--user', ACCOUNT_USER, '--password-stdin'], { input: ACCOUNT_PASSWORD + '\n' });
  t.equal(answer.code, 0, answer.stderr);
  await until(() => app.params.get('Station_Name') === 'Reception');
  t.equal(app.params.get('Resync_Periodic'), '7200', 'owned parameter applied');
  const published = JSON.parse(readFileSync(path.join(dir, 'state', 'parameters.json'), 'utf8')).parameters;
  t.equal(published.Station_Name, 'Reception');
  t.notOk('GPP_SA' in published, 'secret parameter kept out of parameters.json');
  const log = await apache.accessLog();
  t.ok(log.some((l) => l.user === ACCOUNT_USER && l.status === 200), 'Apache saw the account user');

  // An unchanged profile: one request, reported as unchanged, and --wait says so.
  const before = (await apache.accessLog()).length;
  const resync = await spawnCli(['--socket', socket, 'resync', '--wait']);
  t.equal(resync.code, 0, resync.stderr);
  t.match(resync.stdout, /resync unchanged/);
  t.equal((await apache.accessLog()).length - before, 1, 'conditional GET with a pre-emptive Digest answer');

  // The dashboard asks for a resync over MQTT and gets the outcome on the result topic.
  await dashboard.client.publishAsync('prov/000e08123456/cmd/resync', JSON.stringify({ transaction: 'tx-1', wait: true }), { qos: 1 });
  await dashboard.waitFor((m) => m.some((x) => x.topic === 'prov/000e08123456/cmd/resync/result'));
  const reply = JSON.parse(dashboard.messages.find((x) => x.topic === 'prov/000e08123456/cmd/resync/result')!.text);
  t.same(reply, { transaction: 'tx-1', status: 'ok' });
  await dashboard.waitFor((m) => m.some((x) => x.topic === 'prov/000e08123456/state' && JSON.parse(x.text).resync?.last));
  const state = JSON.parse(dashboard.messages.filter((x) => x.topic === 'prov/000e08123456/state').at(-1)!.text);
  t.equal(state.em.state, '');
  t.equal(state.trust.anchors, 1);

  // The dashboard saw the story in seq order, and the retained status.
  await dashboard.waitFor((m) => m.some((x) => x.topic.endsWith('/events/resync.unchanged')));
  const events = dashboard.messages.filter((m) => m.topic.includes('/events/')).map((m) => JSON.parse(m.text));
  const seqs = events.map((e) => e.seq);
  t.same(seqs, [...seqs].sort((a, b) => a - b), 'events arrive in seq order');
  for (const type of ['daemon.started', 'auth.challenge', 'auth.prompt', 'auth.prompt.closed', 'resync.failed', 'resync.succeeded', 'config.applied', 'resync.unchanged']) {
    t.ok(events.some((e) => e.type === type), `dashboard saw ${type}`);
  }
  t.ok(dashboard.messages.some((m) => m.topic === 'prov/000e08123456/status' && m.text === 'online' && m.retain !== undefined));

  await app.stop();
  stopped = true;
  await dashboard.waitFor((m) => m.some((x) => x.topic === 'prov/000e08123456/status' && x.text === 'offline'));

  // Nothing the daemon wrote or said holds a secret used in this run.
  const secretsUsed = [ACCOUNT_PASSWORD, MQTT_PASSWORD, GPP_SECRET];
  const written: string[] = [];
  const walk = (d: string): void => {
    for (const name of readdirSync(d)) {
      const file = path.join(d, name);
      if (statSync(file).isDirectory()) walk(file);
      else if (!/^vault\.(enc|key)$/.test(name)) written.push(file);
    }
  };
  walk(path.join(dir, 'state'));
  t.ok(written.length >= 3, `checked ${written.length} files`);
  const everything = [...written.map((f) => readFileSync(f, 'latin1')), lines.join('\n'), dashboard.messages.map((m) => m.text).join('\n'), status.stdout, answer.stdout, answer.stderr];
  for (const secret of secretsUsed) {
    t.notOk(everything.some((text) => text.includes(secret)), `${secret.slice(0, 3)}… appears nowhere`);
  }
});

t.test('with the broker down the outbox overflows; when it is back the dashboard is told how many were dropped', async (t) => {
  const broker = await startMosquitto({ users: { phone: MQTT_PASSWORD, dash: 'dash-pass' } });
  t.teardown(() => broker.close());
  const dir = shortTempDir(t);
  writeFileSync(path.join(dir, 'mqtt.pw'), MQTT_PASSWORD);
  const settings = parseSettings({
    stateDir: path.join(dir, 'state'),
    runtimeDir: path.join(dir, 'run'),
    device: { mac: MAC },
    trust: { anchorsDir: path.join(dir, 'none') },
    mqtt: { url: broker.url, username: 'phone', passwordFile: path.join(dir, 'mqtt.pw'), topicPrefix: 'prov', outboxMax: 10 },
    display: { socket: false, http: false },
    parameters: { Resync_On_Reset: 'No' },
  });
  const app = new App({ settings, logger: new Logger({ redactor: new Redactor(), sink: { out: () => undefined, err: () => undefined } }), notifier: new Notifier({}) });
  t.ok(await app.start());
  t.teardown(() => app.stop());
  await until(() => app.mqtt!.connected);
  await broker.stop();
  await until(() => !app.mqtt!.connected);
  for (let i = 0; i < 8; i++) await app.backend.run('resync', { wait: true }, 'cli');
  const dashboard = await (async () => {
    await broker.start();
    return subscribe(broker.url, 'prov/+/events/#', { username: 'dash', password: 'dash-pass' });
  })();
  t.teardown(() => dashboard.close());
  // The loss is told with the next event created once the outbox has room again.
  await until(() => app.mqtt!.connected && app.mqtt!.status().pending === 0);
  await app.backend.run('resync', { wait: true }, 'cli');
  await dashboard.waitFor((m) => m.some((x) => x.topic.endsWith('/events/events.dropped')));
  const dropped = JSON.parse(dashboard.messages.find((x) => x.topic.endsWith('/events/events.dropped'))!.text);
  t.ok(dropped.count > 0, `${dropped.count} events reported dropped`);
});
