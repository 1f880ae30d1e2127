/**
 * The configuration report (DOMAIN §1.10) end to end against a real Apache httpd: the body a
 * CGI stored proves what arrived (secrets absent, `--key` bodies open with `openssl enc -d`),
 * the access log proves the method and the credentials (as for a resync: rule --uid/--pwd
 * first, the Profile Account for the rule's origin only).
 */
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import * as path from 'node:path';
import t from 'tap';
import type { Clock } from '../../daemon/clock/index.js';
import { decryptProfile, encryptProfile } from '../../daemon/profiles/index.js';
import { buildReport, ConfigurationReport } from '../../daemon/report/index.js';
import { startApache, type Apache } from '../fixtures/http/apache.js';
import { realEngine } from '../fixtures/resync/real.js';
import { requireProgram } from '../fixtures/peers.js';

const REALM = 'reports';
let apache: Apache;

t.before(async () => {
  apache = await startApache({
    areas: [
      { path: '/digest', receive: true, auth: { scheme: 'Digest', realm: REALM, users: { acct: 'acct-pw', ruleuser: 'rule-pw' } } },
      { path: '/basic', receive: true, auth: { scheme: 'Basic', realm: REALM, users: { ruleuser: 'rule-pw' } } },
      { path: '/open', receive: true },
    ],
  });
});
t.teardown(() => apache.stop());

interface Timers {
  readonly clock?: Pick<Clock, 'monotonic' | 'setTimer' | 'clearTimer'>;
}

async function setup(t: { testdir(): string; teardown(fn: () => void): void }, factory: Record<string, string>, timers: Timers = {}) {
  const real = await realEngine({ stateDir: t.testdir(), factory });
  t.teardown(real.close);
  const report = new ConfigurationReport({
    params: real.params,
    fetch: (request) => real.fetcher.fetch(request),
    context: () => real.engine.requestContext(),
    bus: real.bus,
    logger: real.engine['logger'],
    ...timers,
  });
  t.teardown(() => report.stop());
  return { ...real, report };
}

const SECRETS = { GPP_SA: 'sa-secret-value', GPP_SD: 'sd-secret-value', EM_Phone_Password: 'em-secret-value' };

t.test('the XML of every parameter: names, values escaped, foreign names kept', async (t) => {
  const xml = buildReport({ B: 'x<y & "z"', A: 'plain', 'not a name': 'v', xmlThing: 'w', C: 'bell\u0007' });
  t.equal(
    xml,
    [
      '<?xml version="1.0" encoding="UTF-8"?>',
      '<flat-profile>',
      '  <A>plain</A>',
      '  <B>x&lt;y &amp; &quot;z&quot;</B>',
      '  <C>bell</C>',
      '  <param name="not a name">v</param>',
      '  <param name="xmlThing">w</param>',
      '</flat-profile>',
      '',
    ].join('\n'),
  );
});

t.test('--key output is what openssl enc -aes-256-cbc writes: openssl enc -d opens it', async (t) => {
  const openssl = requireProgram('openssl', 'openssl');
  const plain = Buffer.from('<flat-profile><A>1</A></flat-profile>\n');
  const sealed = encryptProfile(plain, 'secret phrase');
  t.equal(sealed.subarray(0, 8).toString(), 'Salted__');
  t.same(decryptProfile(sealed, 'secret phrase'), plain);
  const file = path.join(t.testdir(), 'rep.xml.enc');
  writeFileSync(file, sealed);
  const opened = spawnSync(openssl, ['enc', '-d', '-aes-256-cbc', '-md', 'sha256', '-k', 'secret phrase', '-in', file]);
  t.equal(opened.status, 0, opened.stderr.toString());
  t.same(opened.stdout, plain);
});

t.test('POST with Digest rule credentials: the report arrived, secrets absent, rule --pwd masked', async (t) => {
  const rule = `[--uid ruleuser --pwd rule-pw] ${apache.origin}/digest/$MA.xml`;
  const real = await setup(t, { Report_Rule: rule, Line_Label_1_: 'desk & co', ...SECRETS });
  await real.vault.put({ purpose: 'profile-account', username: 'acct', secret: 'acct-pw' });
  const mark = (await apache.accessLog()).length;
  const result = await real.report.report();
  t.match(result, { status: 201, encrypted: false });
  const log = (await apache.accessLog()).slice(mark).map((line) => `${line.method} ${line.status} ${line.user} ${line.authScheme}`);
  t.ok(log.includes('POST 201 ruleuser Digest'), `access log: ${log.join(', ')}`);
  t.notOk(log.some((line) => line.includes('acct')), 'the account never went out: the rule has credentials');
  const mac = real.engine['options'].device.mac;
  const body = (await apache.received(`/digest/${mac.toLowerCase().replace(/:/g, '')}.xml`))?.toString();
  t.ok(body !== undefined, 'the CGI stored the body');
  t.match(body, '<Line_Label_1_>desk &amp; co</Line_Label_1_>');
  t.match(body, '<Report_Rule>[--uid *** --pwd ***]');
  for (const value of [...Object.values(SECRETS), 'rule-pw']) t.notMatch(body, value, `${value} is not in the report`);
  t.notMatch(body, '<GPP_SA>');
  t.match(real.events.find((event) => event.type === 'report.succeeded'), { status: 201, trigger: 'demand', encrypted: false });
});

t.test('no credentials in the rule: the Profile Account answers Basic for the rule origin, as for a resync', async (t) => {
  const real = await setup(t, { Report_Rule: `${apache.origin}/basic/rep.xml` });
  await real.vault.put({ purpose: 'profile-account', username: 'ruleuser', secret: 'rule-pw' });
  const mark = (await apache.accessLog()).length;
  t.match(await real.report.report(), { status: 201 });
  const log = (await apache.accessLog()).slice(mark).map((line) => `${line.method} ${line.status} ${line.user} ${line.authScheme}`);
  t.same(log, ['POST 401 - -', 'POST 201 ruleuser Basic']);
  t.match((await apache.received('/basic/rep.xml'))?.toString(), '<Report_Rule>');
});

t.test('Profile_Authentication_Type Disabled: no account, the report fails with the 401 in its event', async (t) => {
  const real = await setup(t, { Report_Rule: `${apache.origin}/basic/off.xml`, Profile_Authentication_Type: 'Disabled' });
  await real.vault.put({ purpose: 'profile-account', username: 'ruleuser', secret: 'rule-pw' });
  const error = await real.report.report().catch((e: unknown) => e);
  t.match(error, { code: 'no_credentials' });
  t.match(real.events.find((event) => event.type === 'report.failed'), { code: 'no_credentials', status: 401, trigger: 'demand' });
  t.equal(await apache.received('/basic/off.xml'), undefined, 'nothing arrived');
});

t.test('--key: the uploaded body opens with openssl enc -d and the phrase is in no log line', async (t) => {
  const openssl = requireProgram('openssl', 'openssl');
  const real = await setup(t, { Report_Rule: `[--key "report phrase"] ${apache.origin}/open/rep.xml.enc`, GPP_A: 'visible', ...SECRETS });
  t.match(await real.report.report(), { status: 201, encrypted: true });
  const sealed = await apache.received('/open/rep.xml.enc');
  const file = path.join(t.testdir(), 'got.enc');
  writeFileSync(file, sealed ?? Buffer.alloc(0));
  const opened = spawnSync(openssl, ['enc', '-d', '-aes-256-cbc', '-k', 'report phrase', '-in', file]);
  t.equal(opened.status, 0, opened.stderr.toString());
  const xml = opened.stdout.toString();
  t.match(xml, '<GPP_A>visible</GPP_A>');
  t.match(xml, '<Report_Rule>[--key ***]');
  for (const value of Object.values(SECRETS)) t.notMatch(xml, value);
  t.notOk(real.lines.some((line) => line.includes('report phrase')), 'the phrase is not logged');
  t.match(real.events.find((event) => event.type === 'report.succeeded'), { encrypted: true });
});

t.test('tftp:// is refused with a typed error: TFTP PUT is not built', async (t) => {
  const real = await setup(t, { Report_Rule: 'tftp://127.0.0.1/$A.xml', GPP_A: 'rep' });
  const mark = (await apache.accessLog()).length;
  t.match(await real.report.report().catch((e: unknown) => e), { code: 'scheme_unsupported', message: /TFTP PUT is not built/ });
  t.match(real.events.find((event) => event.type === 'report.failed'), { code: 'scheme_unsupported', url: 'tftp://127.0.0.1:69/rep.xml' });
  t.equal((await apache.accessLog()).length, mark, 'no request went out');
});

t.test('no Report_Rule, or no alternative that applies: report_rule_unset', async (t) => {
  const real = await setup(t, {});
  t.match(await real.report.report().catch((e: unknown) => e), { code: 'report_rule_unset', where: { path: 'Report_Rule' } });
  await real.params.setLocal([{ name: 'Report_Rule', value: `("$MA" eq "nobody")? ${apache.origin}/open/x.xml` }]);
  t.match(await real.report.report().catch((e: unknown) => e), { code: 'report_rule_unset', message: /no alternative/ });
  t.equal(real.events.filter((event) => event.type === 'report.failed').length, 2);
});

/** Timers run by hand: the test decides when "later" is. */
function manualTimers() {
  let now = 1_000_000;
  const pending: { ms: number; run: () => void; cancelled: boolean }[] = [];
  return {
    pending,
    advance: (ms: number) => (now += ms),
    options: {
      clock: {
        monotonic: () => now,
        setTimer: (run: () => void, ms: number) => {
          const entry = { ms, run, cancelled: false };
          pending.push(entry);
          return entry;
        },
        clearTimer: (entry: unknown) => ((entry as { cancelled: boolean }).cancelled = true),
      },
    },
  };
}

function nextReport(real: { bus: { on(name: 'event', fn: (event: { type: string }) => void): unknown } }): Promise<{ type: string; trigger?: string }> {
  return new Promise((resolve) => {
    real.bus.on('event', (event) => {
      if (event.type.startsWith('report.')) resolve(event);
    });
  });
}

t.test('Periodically: every Periodic_Upload_to_Server seconds; 30 days waits in steps Node timers can hold', async (t) => {
  const timers = manualTimers();
  const real = await setup(t, { Report_Rule: `${apache.origin}/open/periodic.xml`, Report_to_Server: 'Periodically', Periodic_Upload_to_Server: '600' }, timers.options);
  real.report.start();
  t.equal(timers.pending.length, 1);
  t.equal(timers.pending[0]?.ms, 600_000);
  const arrived = nextReport(real);
  timers.advance(600_000);
  timers.pending[0]?.run();
  t.match(await arrived, { type: 'report.succeeded', trigger: 'periodic' });
  t.equal(timers.pending.length, 2, 'the next period is armed');
  t.equal(timers.pending[1]?.ms, 600_000);
  // The longest period: more than a Node timer holds, so it is waited for in two steps.
  await real.params.setLocal([{ name: 'Periodic_Upload_to_Server', value: '2592000' }]);
  t.ok(timers.pending[1]?.cancelled, 'a new period cancels the old timer');
  t.equal(timers.pending[2]?.ms, 2 ** 31 - 1);
  timers.advance(2 ** 31 - 1);
  timers.pending[2]?.run();
  t.equal(timers.pending[3]?.ms, 2_592_000_000 - (2 ** 31 - 1), 'the rest of the period');
  t.equal(real.events.filter((event) => event.type.startsWith('report.')).length, 1, 'no report before the period is over');
  real.report.stop();
  t.ok(timers.pending[3]?.cancelled, 'stop() cancels the timer');
});

t.test('On Local Change: a local set sends the report, a provisioned change does not', async (t) => {
  const timers = manualTimers();
  const real = await setup(t, { Report_Rule: `${apache.origin}/open/local.xml`, Report_to_Server: 'On Local Change' }, timers.options);
  real.report.start();
  t.equal(timers.pending.length, 0, 'no timer unless Periodically');
  await real.params.applyProvisioned([{ name: 'GPP_C', value: 'from a profile' }]);
  const arrived = nextReport(real);
  await real.params.setLocal([{ name: 'GPP_B', value: 'typed on the phone' }]);
  t.match(await arrived, { type: 'report.succeeded', trigger: 'local-change' });
  t.match((await apache.received('/open/local.xml'))?.toString(), '<GPP_B>typed on the phone</GPP_B>');
  await real.report.report();
  t.same(
    real.events.filter((event) => event.type.startsWith('report.')).map((event) => (event as { trigger?: string }).trigger),
    ['local-change', 'demand'],
  );
});

t.test('On Request (the default): no timer, no report on a change; the default timer is cancelled by stop()', async (t) => {
  const real = await setup(t, { Report_Rule: `${apache.origin}/open/none.xml` });
  real.report.start();
  await real.params.setLocal([{ name: 'GPP_B', value: 'x' }]);
  await real.params.setLocal([{ name: 'Report_to_Server', value: 'Periodically' }]);
  real.report.stop();
  t.equal(await apache.received('/open/none.xml'), undefined);
  t.equal(real.events.filter((event) => event.type.startsWith('report.')).length, 0);
});
