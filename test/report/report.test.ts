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
import { decryptProfile, encryptProfile } from '../../daemon/profiles/index.js';
import { buildReport, ConfigurationReport } from '../../daemon/report/index.js';
import { rulesLanguage } from '../../daemon/resync/index.js';
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

async function setup(t: { testdir(): string; teardown(fn: () => void): void }, factory: Record<string, string>) {
  const real = await realEngine({ stateDir: t.testdir(), factory });
  t.teardown(real.close);
  const report = new ConfigurationReport({
    params: real.params,
    rules: rulesLanguage,
    fetch: (request) => real.fetcher.fetch(request),
    context: () => real.engine.requestContext(),
    bus: real.bus,
    logger: real.engine['logger'] as never,
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
  const mac = real.engine['options'].device.mac as string;
  const body = (await apache.received(`/digest/${mac.toLowerCase().replace(/:/g, '')}.xml`))?.toString();
  t.ok(body !== undefined, 'the CGI stored the body');
  t.match(body, '<Line_Label_1_>desk &amp; co</Line_Label_1_>');
  t.match(body, '<Report_Rule>[--uid *** --pwd ***]');
  for (const value of [...Object.values(SECRETS), 'rule-pw']) t.notMatch(body, value, `${value} is not in the report`);
  t.notMatch(body, '<GPP_SA>');
  t.match(real.events.find((event) => event.type === 'report.succeeded'), { status: 201, trigger: 'demand', encrypted: false });
});
