/**
 * Extension Mobility end to end (SPEC §5; DOMAIN §2, our design): the seed's rule branches
 * on `$EMS` and passes the mobile or the phone credentials, against a real Apache httpd with
 * Digest. The access log shows the expected user each time.
 */
import t from 'tap';
import { computeScreen } from '../../daemon/display/index.js';
import { startApache, type Apache } from '../fixtures/http/apache.js';
import { flatProfile, realEngine } from '../fixtures/resync/real.js';

// The Extension Mobility rule of the seed (as in test/rules: SPEC §5, DOMAIN §2.3).
const RULE = '("$EMS" eq "mobile")? [--uid $MUID$PDOM --pwd $MPWD] {origin}/prov/em/$MUID.xml | [--uid $PUID$PDOM --pwd $PPWD] {origin}/prov/$MA.xml';
let apache: Apache;

t.before(async () => {
  apache = await startApache({
    areas: [{ path: '/prov', auth: { scheme: 'Digest', realm: 'em', users: { 'alice@example.com': 'alice-pw', 'desk42@example.com': 'phone-pw' } } }],
    files: {
      'prov/000e08aabbcc.xml': flatProfile({ Display_Name_1_: 'Desk 42' }),
      'prov/em/alice.xml': flatProfile({ Display_Name_1_: 'Alice' }),
    },
  });
});
t.teardown(() => apache.stop());

async function setup(t: { testdir(): string; teardown(fn: () => void): void }) {
  const real = await realEngine({
    stateDir: t.testdir(),
    factory: { Profile_Rule: RULE.replaceAll('{origin}', apache.origin), EM_Enable: 'Yes', EM_User_Domain: '@example.com', EM_Login_State: 'host', EM_Phone_User_ID: 'desk42' },
  });
  await real.vault.put({ purpose: 'em-phone', username: 'desk42', secret: 'phone-pw' });
  t.teardown(real.close);
  return real;
}

async function lastUser(): Promise<string> {
  const line = (await apache.accessLog()).at(-1);
  return `${line?.status} ${line?.user} ${line?.path}`;
}

const event = (real: Awaited<ReturnType<typeof setup>>, type: string) =>
  new Promise<void>((resolve) => real.bus.on('event', (e) => e.type === type && resolve()));

t.test('login with Digest, logout back to host with the phone credentials', async (t) => {
  const real = await setup(t);
  t.equal((await real.engine.resyncNow()).result, 'succeeded');
  t.equal(await lastUser(), '200 desk42@example.com /prov/000e08aabbcc.xml');
  t.same(real.em.softkeys(), ['Login']);

  const login = await real.em.login('alice', 'alice-pw');
  t.match(login, { ok: true, state: 'mobile' });
  t.equal(await lastUser(), '200 alice@example.com /prov/em/alice.xml');
  t.equal(real.params.get('Display_Name_1_'), 'Alice');
  t.same(real.em.softkeys(), ['Logout']);
  t.match(real.events.find((e) => e.type === 'em.login'), { user: 'alice' });

  const logout = await real.em.logout();
  t.match(logout, { ok: true, state: 'host' });
  t.equal(await lastUser(), '200 desk42@example.com /prov/000e08aabbcc.xml');
  t.equal(real.params.get('Display_Name_1_'), 'Desk 42');
  t.equal(await real.vault.get({ purpose: 'em-mobile' }), undefined, 'the mobile password is gone');
  t.match(real.events.find((e) => e.type === 'em.logout'), { user: 'alice' });
  t.notOk(real.lines.some((line) => /alice-pw|phone-pw/.test(line)), 'no EM password in the journal');
});

t.test('Login failed, then Retry with the right password logs in', async (t) => {
  const real = await setup(t);
  const failed = await real.em.login('alice', 'wrong');
  t.match(failed, { ok: false, outcome: { error: { code: 'auth_rejected' } } });
  t.match(await lastUser(), /^401 alice@example\.com /);
  const [prompt] = real.prompts.list();
  t.match(prompt, { kind: 'em-login-failed', title: 'Login failed', softkeys: ['Retry', 'Abort'], context: { username: 'alice' } });
  const idle = { device: { id: 'phone-1' }, resync: { running: false, last: null, next: null }, em: { enabled: true, state: real.em.state() }, mqtt: { connected: false } } as const;
  const screen = computeScreen(idle, real.prompts.list());
  t.equal(screen.title, 'Login failed');
  t.same(screen.prompt?.fields.map((field) => field.value), ['alice', undefined], 'the screen pre-fills the user id of the failed attempt, never the password');
  const loggedIn = event(real, 'em.login');
  real.prompts.answer(prompt?.id as string, 'alice', 'alice-pw');
  await loggedIn;
  t.equal(real.em.state(), 'mobile');
  t.equal(await lastUser(), '200 alice@example.com /prov/em/alice.xml');
});

t.test('Login failed, then Abort restores the previous state and credentials exactly', async (t) => {
  const real = await setup(t);
  await real.engine.resyncNow();
  const before = { state: real.params.get('EM_Login_State'), user: real.params.get('EM_Mobile_User_ID'), origin: real.params.origin('EM_Login_State') };
  await real.em.login('alice', 'wrong');
  t.equal(real.em.state(), 'mobile');
  const restored = new Promise<void>((resolve) => real.bus.on('params.changed', (names) => names.includes('EM_Login_State') && resolve()));
  real.prompts.cancel(real.prompts.list()[0]?.id as string);
  await restored;
  t.same({ state: real.params.get('EM_Login_State'), user: real.params.get('EM_Mobile_User_ID'), origin: real.params.origin('EM_Login_State') }, before);
  t.equal(await real.vault.get({ purpose: 'em-mobile' }), undefined);
  t.equal((await real.engine.resyncNow()).result, 'unchanged');
  t.equal(await lastUser(), '200 desk42@example.com /prov/000e08aabbcc.xml', 'the next resync is the phone again');
});
