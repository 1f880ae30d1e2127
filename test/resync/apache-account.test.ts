/**
 * The four troubleshooting cases of the Cisco Profile Account (DOMAIN §1.14) and the prompt
 * rules (SPEC §5), end to end against a real Apache httpd with a Digest realm. The access
 * log shows which user each request authenticated as.
 */
import t from 'tap';
import { startApache, type Apache } from '../fixtures/http/apache.js';
import { flatProfile, realEngine } from '../fixtures/resync/real.js';

const REALM = 'provisioning';
let apache: Apache;

t.before(async () => {
  apache = await startApache({
    areas: [{ path: '/prov', auth: { scheme: 'Digest', realm: REALM, users: { acct: 'acct-pw', ruleuser: 'rule-pw' } } }],
    files: { 'prov/phone.xml': flatProfile({ Line_Label_1_: 'desk', GPP_B: 'provisioned' }) },
  });
});
t.teardown(() => apache.stop());

async function setup(t: { testdir(): string; teardown(fn: () => void): void }, rule: string, factory: Record<string, string> = {}, conditional = false) {
  const real = await realEngine({ stateDir: t.testdir(), conditional, factory: { Profile_Rule: rule.replace('{origin}', apache.origin), ...factory } });
  t.teardown(real.close);
  return real;
}

/** Access-log users of the requests after `from`. */
async function usersSince(from: number): Promise<string[]> {
  return (await apache.accessLog()).slice(from).map((line) => `${line.status} ${line.user}`);
}

t.test('correct URL, no credentials in the rule: the right account passes, a wrong one fails', async (t) => {
  const real = await setup(t, '{origin}/prov/phone.xml');
  await real.vault.put({ purpose: 'profile-account', username: 'acct', secret: 'wrong' });
  const mark = (await apache.accessLog()).length;
  t.match(await real.engine.resyncNow(), { result: 'failed', error: { code: 'auth_rejected' } });
  await real.vault.put({ purpose: 'profile-account', username: 'acct', secret: 'acct-pw' });
  const outcome = await real.engine.resyncNow();
  t.equal(outcome.result, 'succeeded');
  t.same(outcome.changed, ['GPP_B', 'Line_Label_1_']);
  t.equal(real.params.get('GPP_B'), 'provisioned');
  const users = await usersSince(mark);
  t.ok(users.includes('200 acct'), `the access log shows the account: ${users.join(', ')}`);
  t.match(real.events.find((event) => event.type === 'auth.failure'), { source: 'profile-account', reason: 'rejected', scheme: 'Digest', operation: 'resync', realm: REALM });
});

t.test('correct URL with correct rule credentials: the account is ignored', async (t) => {
  const real = await setup(t, '[--uid ruleuser --pwd rule-pw]{origin}/prov/phone.xml');
  await real.vault.put({ purpose: 'profile-account', username: 'acct', secret: 'acct-pw' });
  const mark = (await apache.accessLog()).length;
  t.equal((await real.engine.resyncNow()).result, 'succeeded');
  const users = await usersSince(mark);
  t.ok(users.includes('200 ruleuser'), `the access log shows the rule's user: ${users.join(', ')}`);
  t.notOk(users.some((line) => line.endsWith(' acct')), 'the account never went out');
});

t.test('correct URL with wrong rule credentials: always fails, the account is never tried', async (t) => {
  const real = await setup(t, '[--uid ruleuser --pwd nope]{origin}/prov/phone.xml');
  await real.vault.put({ purpose: 'profile-account', username: 'acct', secret: 'acct-pw' });
  const mark = (await apache.accessLog()).length;
  t.match(await real.engine.resyncNow(), { result: 'failed', error: { code: 'auth_rejected' } });
  const users = await usersSince(mark);
  t.notOk(users.some((line) => line.startsWith('200')), `nothing succeeded: ${users.join(', ')}`);
  t.notOk(users.some((line) => line.endsWith(' acct')), 'the account was never tried');
  t.same(real.prompts.list(), [], 'and no prompt');
  t.notOk(real.lines.some((line) => line.includes('nope')), 'the rule password never reaches the journal');
});

t.test('wrong URL: fails', async (t) => {
  const real = await setup(t, '{origin}/prov/other.xml');
  await real.vault.put({ purpose: 'profile-account', username: 'acct', secret: 'acct-pw' });
  t.match(await real.engine.resyncNow(), { result: 'failed', error: { code: 'not_found' } });
});

t.test('the first 401 after start-up opens the prompt; its answer is stored and resyncs at once', async (t) => {
  const real = await setup(t, '{origin}/prov/phone.xml');
  t.match(await real.engine.resyncNow(), { result: 'failed', error: { code: 'no_credentials' } });
  const [prompt] = real.prompts.list();
  t.match(prompt, { kind: 'profile-account', title: 'Profile account setup' });
  const mark = (await apache.accessLog()).length;
  const resynced = new Promise<void>((resolve) => real.bus.on('event', (event) => event.type === 'resync.succeeded' && resolve()));
  real.prompts.answer(prompt?.id as string, 'acct', 'acct-pw');
  await resynced;
  t.match(await real.vault.get({ purpose: 'profile-account' }), { username: 'acct', secret: 'acct-pw' });
  t.ok((await usersSince(mark)).includes('200 acct'));
});

t.test('later 401s do not prompt; the Setup softkey reopens it at any time', async (t) => {
  const real = await setup(t, '{origin}/prov/phone.xml');
  await real.engine.resyncNow();
  real.prompts.cancel(real.prompts.list()[0]?.id as string);
  await real.engine.resyncNow();
  t.same(real.prompts.list(), [], 'the second 401 does not prompt');
  const id = real.engine.openProfileAccountSetup();
  t.match(real.prompts.list(), [{ id, kind: 'profile-account' }]);
});

t.test('no prompt when the rule has credentials, nor when Profile_Authentication_Type is Disabled', async (t) => {
  const withRule = await setup(t, '[--uid ruleuser --pwd nope]{origin}/prov/phone.xml');
  await withRule.engine.resyncNow();
  t.same(withRule.prompts.list(), []);
  const disabled = await setup(t, '{origin}/prov/phone.xml', { Profile_Authentication_Type: 'Disabled' });
  await disabled.vault.put({ purpose: 'profile-account', username: 'acct', secret: 'acct-pw' });
  t.match(await disabled.engine.resyncNow(), { result: 'failed', error: { code: 'no_credentials' } });
  t.same(disabled.prompts.list(), [], 'Disabled never prompts and never uses the account');
});

t.test('an unchanged profile costs one request: conditional GET with a pre-emptive Digest answer (SPEC §4)', async (t) => {
  const real = await setup(t, '[--uid ruleuser --pwd rule-pw]{origin}/prov/phone.xml', {}, true);
  t.equal((await real.engine.resyncNow()).result, 'succeeded');
  const mark = (await apache.accessLog()).length;
  t.equal((await real.engine.resyncNow()).result, 'unchanged');
  t.same(await usersSince(mark), ['304 ruleuser']);
  t.match(real.events.at(-1), { type: 'resync.unchanged', status: 304 });
});
