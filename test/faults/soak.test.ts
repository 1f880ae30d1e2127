/**
 * Soak (issue 15): the real App in process on a virtual clock (test/fixtures/virtual-clock.ts)
 * lives through a simulated day against real peers — Apache httpd (the provisioning profiles
 * behind Digest, with the Extension Mobility branch; mod_dav for the Avaya backup file; a
 * POST receiver for the configuration report) and Mosquitto, which is stopped and started
 * again twice. Periodic resyncs every 10 minutes (the profile changes every third hour),
 * an EM login and logout every hour (each login restores the backup), a user-data change
 * (debounced backup) and a manual backup or restore every hour, the hourly report.
 *
 * At the end: RSS, heap used (after a full GC) and open file descriptors are within 5 % of the
 * figures after a warm-up, and every event the journal recorded reached a subscriber once
 * (QoS 1 redeliveries collapse by seq; none differs in content from the journal's).
 */
import t from 'tap';
import { createHash } from 'node:crypto';
import { readdirSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { Logger } from '../../daemon/log/index.js';
import { command, startApp } from '../fixtures/app.js';
import { startApache, type Apache } from '../fixtures/http/apache.js';
import { shortTempDir } from '../fixtures/local.js';
import { startMosquitto } from '../fixtures/mqtt/mosquitto.js';
import { subscribe } from '../fixtures/mqtt/subscriber.js';
import { flatProfile } from '../fixtures/resync/real.js';
import { VirtualClock } from '../fixtures/virtual-clock.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const STEP = 5 * MINUTE;
const MAC = '000e08aabbcc';
const RULE = '("$EMS" eq "mobile")? [--uid $MUID$PDOM --pwd $MPWD] {origin}/prov/em/$MUID.xml | [--uid $PUID$PDOM --pwd $PPWD] {origin}/prov/$MA.xml';
const USERS = { alice: 'alice-Pw-1', bob: 'bob-Pw-2' } as const;
const PHONE_PASSWORD = 'phone-Pw-42';
const BR_USER = 'br201';
const BR_PASSWORD = 'br-Pw-201';
/** Broker outages: [stopped at, started again at] in simulated ms from midnight. */
const OUTAGES: readonly (readonly [number, number])[] = [
  [6 * HOUR, 7 * HOUR + 30 * MINUTE],
  [15 * HOUR + 20 * MINUTE, 16 * HOUR + 10 * MINUTE],
];
const WARM_UP_HOURS = 2;
const DAY_HOURS = 24;

interface Figures {
  readonly rss: number;
  readonly heapUsed: number;
  readonly fds: number;
}

t.test('an accelerated day: memory and descriptors flat, every event delivered once', async (t) => {
  t.setTimeout(600_000);
  const apache: Apache = await startApache({
    areas: [
      { path: 'prov', auth: { scheme: 'Digest', realm: 'em', users: { 'alice@example.com': USERS.alice, 'bob@example.com': USERS.bob, 'desk42@example.com': PHONE_PASSWORD } } },
      { path: 'br', auth: { scheme: 'Digest', realm: 'file server', users: { [BR_USER]: BR_PASSWORD } }, dav: true },
      { path: 'reports', receive: true },
    ],
    files: {
      [`prov/${MAC}.xml`]: flatProfile({ Display_Name_1_: 'Desk 42 v0' }),
      'prov/em/alice.xml': flatProfile({ Display_Name_1_: 'Alice' }),
      'prov/em/bob.xml': flatProfile({ Display_Name_1_: 'Bob' }),
    },
  });
  t.teardown(() => apache.stop());
  const broker = await startMosquitto({ users: { phone: 'phone-mqtt-pw', dash: 'dash-pw' }, persistence: true });
  t.teardown(() => broker.close());

  // The subscriber keeps its session across broker restarts: what the daemon publishes
  // while it reconnects waits for it at the broker.
  const received = new Map<number, string>();
  let deliveries = 0;
  let redeliveries = 0;
  const conflicts: number[] = [];
  const dashboard = await subscribe(broker.url, 'prov/+/events/#', { username: 'dash', password: 'dash-pw', clientId: 'soak-dashboard', clean: false });
  dashboard.client.on('error', () => undefined);
  dashboard.client.on('message', (_topic, payload) => {
    deliveries++;
    const text = payload.toString('utf8');
    const seq = (JSON.parse(text) as { seq: number }).seq;
    const before = received.get(seq);
    if (before === undefined) received.set(seq, digest(text));
    else {
      redeliveries++;
      if (before !== digest(text)) conflicts.push(seq);
    }
  });
  // Only the figures the test needs: `dashboard.messages` would grow with the day.
  dashboard.messages.length = 0;
  dashboard.client.on('message', () => (dashboard.messages.length = 0));

  const dir = shortTempDir(t, 'pvd-soak-');
  writeFileSync(path.join(dir, 'mqtt.pw'), 'phone-mqtt-pw\n', { mode: 0o600 });
  const clock = new VirtualClock();
  let problems = 0;
  const logger = new Logger({ level: 'info', sink: { out: () => undefined, err: () => problems++ } });
  const { app } = await startApp(t, {
    clock,
    logger,
    hardware: { mac: '00:0e:08:aa:bb:cc', model: 'SPA942' },
    parameters: {
      Profile_Rule: RULE.replaceAll('{origin}', apache.origin),
      Resync_Periodic: '600',
      Resync_Random_Delay: '0',
      EM_Enable: 'Yes',
      EM_User_Domain: '@example.com',
      EM_Login_State: 'host',
      EM_Phone_User_ID: 'desk42',
      BRURI: `${apache.origin}/br`,
      Report_Rule: `${apache.origin}/reports/$MA.xml`,
      Report_to_Server: 'Periodically',
      Periodic_Upload_to_Server: '3600',
    },
    extra: {
      prompts: { timeoutSeconds: 300 },
      mqtt: { url: broker.url, username: 'phone', passwordFile: path.join(dir, 'mqtt.pw'), topicPrefix: 'prov' },
    },
  });

  // Every event the journal records, by seq (a digest of what the broker should carry).
  const recorded = new Map<number, string>();
  app.bus.on('recorded', (event) => recorded.set(event.seq, digest(JSON.stringify(event))));

  let brokerUp = true;
  const caughtUp = (): boolean => {
    const status = app.mqtt!.status();
    return status.connected && status.pending === 0 && status.inFlight === 0 && [...recorded.keys()].every((seq) => received.has(seq));
  };
  clock.quiesce = async () => {
    await app.resync.idle();
    await app.backup.idle();
    // Disconnected, the reporter waits for its reconnect timer (virtual time); a refused or
    // accepted connection comes back within a few turns of the loop.
    if (!brokerUp || !app.mqtt!.connected) await realWait(20);
    if (brokerUp && app.mqtt!.connected) await within(() => caughtUp(), 'the subscriber has every recorded event');
  };

  // The phone's own credential, the extension and the backup server's realm credential:
  // the first backup prompts (HTTP Authentication), later ones use the stored answer.
  await command(app, 'set', { EM_Phone_Password: PHONE_PASSWORD });
  await command(app, 'set', { NVPHONEXT: '201', ABKNAME001: 'Alice', ABKNUMBER001: '2001' });
  const first = command(app, 'backup', { wait: true });
  await within(() => app.prompts.list().some((p) => p.kind === 'http-auth'), 'the backup prompts for the realm credential');
  app.prompts.answer(app.prompts.list()[0]!.id, BR_USER, BR_PASSWORD);
  await first;
  await command(app, 'resync', { wait: true });
  t.equal(app.params.get('Display_Name_1_'), 'Desk 42 v0', 'the first resync applies the host profile');

  const tally = { resyncs: new Map<string, number>(), logins: 0, logouts: 0, backups: 0, restores: 0, reports: 0, failed: [] as string[] };
  app.bus.on('recorded', (event) => {
    if (event.type === 'resync.succeeded' || event.type === 'resync.unchanged' || event.type === 'resync.failed') tally.resyncs.set(event.type, (tally.resyncs.get(event.type) ?? 0) + 1);
    if (event.type === 'em.login') tally.logins++;
    if (event.type === 'em.logout') tally.logouts++;
    if (event.type === 'backup.succeeded') tally.backups++;
    if (event.type === 'restore.succeeded') tally.restores++;
    if (event.type === 'report.succeeded') tally.reports++;
    if (/\.failed$|^auth\.(failure|prompt)/.test(event.type)) tally.failed.push(`${event.type} ${JSON.stringify(event)}`);
  });

  let version = 0;
  let warm: Figures | undefined;
  const hourly: string[] = [];
  for (let minute = 0; minute < DAY_HOURS * 60; minute += STEP / MINUTE) {
    const at = minute * MINUTE;
    const hour = Math.floor(minute / 60);
    const inHour = minute % 60;
    for (const [down, up] of OUTAGES) {
      if (at === down) {
        brokerUp = false;
        await broker.stop();
      }
      if (at === up) {
        await broker.start();
        // The subscriber is back (its session restored) before the daemon's reconnect timer fires.
        await within(() => dashboard.client.connected, 'the subscriber reconnected');
        brokerUp = true;
      }
    }
    if (inHour === 5 && hour % 3 === 1) writeFileSync(path.join(apache.docroot, `prov/${MAC}.xml`), flatProfile({ Display_Name_1_: `Desk 42 v${++version}` }));
    if (inHour === 15) {
      const user = hour % 2 === 0 ? 'alice' : 'bob';
      t.match(await command(app, 'login', { user, password: USERS[user] }), { state: 'mobile' }, `${hour}:15 ${user} logs in`);
    }
    if (inHour === 25) await command(app, 'set', { ABKNAME002: `Contact ${hour}`, ABKNUMBER002: String(3000 + hour) });
    if (inHour === 40) t.match(await command(app, 'logout', {}), { state: 'host' }, `${hour}:40 logout`);
    if (inHour === 50) await command(app, hour % 2 === 0 ? 'restore' : 'backup', { wait: true });
    await clock.advance(STEP);
    if (inHour === 55) {
      hourly.push(`${String(hour).padStart(2, '0')}h events=${recorded.size} heap=${mb(process.memoryUsage().heapUsed)}`);
      if (hour === WARM_UP_HOURS - 1) {
        await within(() => caughtUp(), 'the subscriber has every recorded event');
        warm = await measure(brokerUp);
      }
    }
  }
  await within(() => caughtUp(), 'the subscriber has every recorded event');
  const end = await measure(brokerUp);
  t.comment(hourly.join(' | '));
  const start = warm!;
  t.comment(`after warm-up: rss ${mb(start.rss)} MiB, heap used ${mb(start.heapUsed)} MiB, fds ${start.fds}`);
  t.comment(`end of day:    rss ${mb(end.rss)} MiB, heap used ${mb(end.heapUsed)} MiB, fds ${end.fds}`);
  t.comment(`timers fired ${clock.fired}; resyncs ${JSON.stringify(Object.fromEntries(tally.resyncs))}; EM ${tally.logins} logins / ${tally.logouts} logouts; backups ${tally.backups}, restores ${tally.restores}, reports ${tally.reports}`);
  t.comment(`events ${recorded.size} recorded, ${received.size} distinct delivered, ${deliveries} deliveries (${redeliveries} QoS 1 redeliveries); log warnings/errors ${problems}`);

  // RSS only falls back slowly after the warm-up's peaks (V8 and malloc keep pages): growth is the leak.
  t.ok(end.rss <= start.rss * 1.05, `RSS grew by no more than 5 % (${pct(start.rss, end.rss)})`);
  t.ok(within5(start.heapUsed, end.heapUsed), `heap used within 5 % (${pct(start.heapUsed, end.heapUsed)})`);
  t.ok(within5(start.fds, end.fds), `open fds within 5 % (${start.fds} → ${end.fds})`);

  const missing = [...recorded.keys()].filter((seq) => !received.has(seq));
  const differing = [...recorded].filter(([seq, text]) => received.has(seq) && received.get(seq) !== text).map(([seq]) => seq);
  t.same(missing, [], 'every recorded event reached the subscriber');
  t.same(differing, [], 'each delivered event is the one the journal recorded');
  t.same(conflicts, [], 'no seq was delivered with two different contents');
  const seqs = [...received.keys()].sort((a, b) => a - b);
  t.equal(seqs.at(-1)! - seqs[0]! + 1, seqs.length, 'the delivered seqs have no gap');
  t.same(tally.failed, [], 'no operation failed and no prompt opened during the day');
  t.equal(tally.logins, DAY_HOURS);
  t.equal(tally.logouts, DAY_HOURS);
  t.ok((tally.resyncs.get('resync.succeeded') ?? 0) >= 8, 'every changed profile was applied');
  t.ok((tally.resyncs.get('resync.unchanged') ?? 0) > 100, 'most periodic resyncs found the profile unchanged');
  t.equal(tally.reports, DAY_HOURS, 'the hourly report went out every hour');
  await dashboard.close();
});

/** Settled figures: the broker caught up, Apache's idle keep-alive connections closed, a full GC. */
async function measure(brokerUp: boolean): Promise<Figures> {
  if (!brokerUp) throw new Error('figures are taken while the broker is up');
  // Apache closes an idle keep-alive connection after its KeepAliveTimeout (5 s).
  await realWait(6000);
  for (let i = 0; i < 3; i++) {
    gc();
    await realWait(50);
  }
  const { rss, heapUsed } = process.memoryUsage();
  return { rss, heapUsed, fds: readdirSync('/proc/self/fd').length };
}

function digest(text: string): string {
  return createHash('sha1').update(text).digest('base64');
}

function within5(start: number, end: number): boolean {
  return Math.abs(end - start) <= start * 0.05;
}

function pct(start: number, end: number): string {
  return `${end >= start ? '+' : ''}${(((end - start) / start) * 100).toFixed(1)} %`;
}

function mb(bytes: number): string {
  return (bytes / 2 ** 20).toFixed(1);
}

function realWait(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Waits for `predicate`; a condition that never comes fails with its name instead of hanging the file. */
async function within(predicate: () => boolean, what: string): Promise<void> {
  for (let waited = 0; !predicate(); waited += 10) {
    if (waited > 60_000) throw new Error(`still waiting for: ${what}`);
    await realWait(10);
  }
}
