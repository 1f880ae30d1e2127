/**
 * The fleet view end to end (issue 17): Mosquitto, Apache as the provisioning server, four
 * real daemon processes — two healthy, one whose server rejects its credentials, one killed
 * with SIGKILL — and `startDashboard` with commands on, looked at in headless Chromium. The
 * page shows three online and one offline (the broker's last will), the auth failures of the
 * third, and a `cmd/resync` sent from the page answered with its transaction id. A
 * subscriber on the same broker checks every message against docs/asyncapi.json.
 * PROVISIOND_SCREENSHOT=file.png saves what the page looks like at the end.
 */
import t from 'tap';
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { chromium, type Page } from 'playwright-core';
import { startDashboard } from '../../daemon/dashboard/index.js';
import { envWithoutCoverage, transpileDaemon } from '../fixtures/daemon-js.js';
import { startApache } from '../fixtures/http/apache.js';
import { shortTempDir } from '../fixtures/local.js';
import { startMosquitto } from '../fixtures/mqtt/mosquitto.js';
import { subscribe } from '../fixtures/mqtt/subscriber.js';
import { requireProgram } from '../fixtures/peers.js';

const CHROMIUM_FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const PHONES = {
  healthy1: '00:0e:08:00:00:01',
  healthy2: '00:0e:08:00:00:02',
  rejected: '00:0e:08:00:00:03',
  killed: '00:0e:08:00:00:04',
} as const;
const idOf = (mac: string): string => mac.replace(/:/g, '');

function profile(values: Record<string, string>): string {
  return `<flat-profile>\n${Object.entries(values).map(([k, v]) => `  <${k}>${v}</${k}>`).join('\n')}\n</flat-profile>\n`;
}

interface Daemon {
  readonly child: ChildProcess;
  readonly exited: Promise<unknown>;
  output(): string;
}

t.test('four phones on Mosquitto: three online, one offline by its last will, auth failures shown, cmd/resync answered', async (t) => {
  const daemon = transpileDaemon();
  t.teardown(daemon.remove);
  const apache = await startApache({
    areas: [{ path: 'prov', auth: { scheme: 'Digest', realm: 'provisioning', users: { ruleuser: 'the-right-one' } } }, { path: 'open' }],
    files: Object.fromEntries(Object.entries(PHONES).flatMap(([name, mac]) => [[`open/${idOf(mac)}.xml`, profile({ Station_Name: name })], [`prov/${idOf(mac)}.xml`, profile({ Station_Name: name })]])),
  });
  t.teardown(() => apache.stop());
  const broker = await startMosquitto({ users: { phone: 'phone-fleet-pw', dash: 'dash-fleet-pw' } });
  t.teardown(() => broker.close());
  const watcher = await subscribe(broker.url, 'prov/#', { username: 'dash', password: 'dash-fleet-pw' });
  t.teardown(() => watcher.close());

  const dashboard = await startDashboard({ mqttUrl: broker.url, host: '127.0.0.1', port: 0, prefix: 'prov', commands: true, username: 'dash', password: 'dash-fleet-pw' });
  t.teardown(() => dashboard.close());

  const dir = shortTempDir(t);
  writeFileSync(path.join(dir, 'mqtt.pw'), 'phone-fleet-pw\n');
  const running: Daemon[] = [];
  t.teardown(() => {
    for (const d of running) d.child.kill('SIGKILL');
  });
  const start = (name: keyof typeof PHONES): Daemon => {
    const mac = PHONES[name];
    const rule = name === 'rejected' ? `[--uid ruleuser --pwd not-the-password]${apache.origin}/prov/$MA.xml` : `${apache.origin}/open/$MA.xml`;
    const config = path.join(dir, `${name}.json`);
    writeFileSync(
      config,
      JSON.stringify({
        stateDir: path.join(dir, name, 'state'),
        runtimeDir: path.join(dir, name, 'run'),
        device: { mac },
        trust: { anchorsDir: path.join(dir, 'none') },
        mqtt: { url: broker.url, username: 'phone', passwordFile: path.join(dir, 'mqtt.pw'), topicPrefix: 'prov', commands: true },
        display: { socket: false, http: false },
        parameters: { Profile_Rule: rule, Resync_Random_Delay: '0' },
      }),
    );
    // Plain node on transpiled sources: four daemons under the test loader would compile everything four times.
    const child = spawn(process.execPath, [daemon.main, '--config', config], { stdio: ['ignore', 'pipe', 'pipe'], env: envWithoutCoverage() });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
    const started = { child, exited: new Promise((resolve) => child.once('exit', resolve)), output: () => out };
    running.push(started);
    return started;
  };

  const browser = await chromium.launch({ executablePath: requireProgram('chromium', 'chromium'), args: CHROMIUM_FLAGS });
  t.teardown(() => browser.close());
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  await page.goto(dashboard.url);
  await page.locator('#conn', { hasText: 'broker connected' }).waitFor();
  t.notMatch(page.url(), /token/, 'the token leaves the address bar');

  const row = (name: keyof typeof PHONES) => page.locator(`#devices tr[data-device="${idOf(PHONES[name])}"]`);
  const badge = (name: keyof typeof PHONES, state: string) => row(name).locator('.badge', { hasText: new RegExp(`^${state}$`) });

  const killed = start('killed');
  await badge('killed', 'online').waitFor();
  killed.child.kill('SIGKILL');
  await killed.exited;
  for (const name of ['healthy1', 'healthy2', 'rejected'] as const) start(name);
  for (const name of ['healthy1', 'healthy2', 'rejected'] as const) await badge(name, 'online').waitFor();
  await badge('killed', 'offline').waitFor();
  t.equal(await page.locator('#devices .badge.online').count(), 3, 'three online');
  t.equal(await page.locator('#devices .badge.offline').count(), 1, 'one offline');
  t.match(await page.locator('#summary').textContent(), /4 phones · 3 online · 1 offline/);

  // The third phone's server refused its rule credentials: the row counts it, the list says why.
  await row('rejected').locator('td.auth.hot').waitFor();
  t.ok(Number(await row('rejected').locator('td.auth').textContent()) >= 1, 'auth failures counted');
  for (const name of ['healthy1', 'healthy2'] as const) {
    await row(name).locator('td.last.outcome-succeeded').waitFor();
    t.equal(await row(name).locator('td.auth').textContent(), '0', `${name}: no auth failure`);
  }
  await row('rejected').locator('td.last.outcome-failed').waitFor();
  const rejected = idOf(PHONES.rejected);
  await page.locator('#f-device').selectOption(rejected);
  await page.locator('#f-type').selectOption('auth.failure');
  const failures = page.locator('#events tbody tr');
  await failures.first().waitFor();
  t.match(await failures.first().textContent(), /auth\.failure.*resync.*reason=rejected/);
  t.ok((await page.locator('#events tbody tr td:nth-child(2)').allTextContents()).every((device) => device === rejected), 'the device filter keeps only that phone');
  await page.locator('#f-operation').selectOption('resync');
  t.ok((await page.locator('#events tbody tr td:nth-child(5)').allTextContents()).every((op) => op === 'resync'), 'the operation filter');
  await page.locator('#f-device').selectOption('');
  await page.locator('#f-type').selectOption('');
  await page.locator('#f-operation').selectOption('');

  // A resync of the first healthy phone from the page: sent with a transaction, answered with it.
  await row('healthy1').locator('button[data-command=resync]').click();
  const sent = page.locator('#replies li.sent').first();
  await sent.waitFor();
  const transaction = (await sent.getAttribute('data-transaction'))!;
  t.match(transaction, /^dash-[0-9a-f]{12}$/);
  const answer = page.locator(`#replies li.reply[data-transaction="${transaction}"]`);
  await answer.waitFor();
  t.match(await answer.textContent(), new RegExp(`${idOf(PHONES.healthy1)} cmd/resync/result transaction ${transaction} ok`));
  await watcher.waitFor((messages) => messages.some((m) => m.topic === `prov/${idOf(PHONES.healthy1)}/cmd/resync/result` && m.text.includes(transaction)));
  await screenshot(page);

  for (const d of running.filter((d) => d !== killed)) {
    d.child.kill('SIGTERM');
    t.equal(await d.exited, 0, d.output().slice(-300));
  }
  running.length = 0;
  t.ok(watcher.messages.some((m) => m.topic.endsWith('/events/auth.failure')), 'the watcher saw the auth failures too (and checked them against the document)');
});

async function screenshot(page: Page): Promise<void> {
  if (process.env.PROVISIOND_SCREENSHOT) await page.screenshot({ path: process.env.PROVISIOND_SCREENSHOT, fullPage: true });
}
