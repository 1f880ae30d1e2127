/**
 * Extension Mobility (SPEC §5; DOMAIN §2, our design of the SPA942 sequence): login and
 * logout by state, Login failed with Retry and Abort, passwords only in the vault.
 */
import t, { type Test } from 'tap';
import { ExtensionMobility } from '../../daemon/em/index.js';
import type { ResyncOutcome, ResyncRequest } from '../../daemon/resync/index.js';
import { ParamStore } from '../../daemon/params/index.js';
import { createMemoryVault } from '../../daemon/vault/index.js';
import { until } from '../fixtures/local.js';
import { FakePrompts, recorder, settle } from '../fixtures/resync/fakes.js';

/** The real parameter store, its factory values standing for the settings file's `parameters`. */
async function setup(t: Test, factory: Record<string, string> = { EM_Enable: 'Yes', EM_Login_State: 'host' }) {
  const { bus, events, logger, lines } = recorder();
  const store = new ParamStore({ stateDir: t.testdir(), factory });
  await store.load();
  store.onChange((names) => bus.emit('params.changed', names));
  const vault = createMemoryVault();
  const prompts = new FakePrompts();
  const seen: { request: ResyncRequest | undefined; state: string | undefined; user: string | undefined; password: string | undefined }[] = [];
  const results: ResyncOutcome['result'][] = [];
  const resync = {
    resyncNow: async (request?: ResyncRequest): Promise<ResyncOutcome> => {
      seen.push({ request, state: store.get('EM_Login_State'), user: store.get('EM_Mobile_User_ID'), password: (await vault.get({ purpose: 'em-mobile' }))?.secret });
      const result = results.shift() ?? 'succeeded';
      return {
        result,
        trigger: 'demand',
        startedAt: '',
        finishedAt: '',
        changed: [],
        url: 'http://127.0.0.1/em.xml',
        ...(result === 'failed' ? { error: { code: 'auth_rejected', message: 'refused' } } : {}),
      };
    },
  };
  const em = new ExtensionMobility({ params: store, vault, resync, prompts, emit: (event) => bus.emit('event', event), logger });
  return { em, store, vault, prompts, seen, results, events, lines };
}

t.test('Login is offered when EM_Enable=Yes, Logout only in state mobile (SPEC §5)', async (t) => {
  t.same((await setup(t, {})).em.softkeys(), [], 'EM_Enable defaults to No (DOMAIN §2.1)');
  const s = await setup(t, { EM_Enable: 'Yes' });
  t.equal(s.em.state(), '');
  t.same(s.em.softkeys(), ['Login']);
  await s.em.login('alice', 'alice-pw');
  t.same(s.em.softkeys(), ['Logout']);
  await t.rejects(s.store.setLocal([{ name: 'EM_Login_State', value: 'odd' }]), { code: 'param_invalid' }, 'the store refuses a state EM does not know');
  t.equal(s.em.state(), 'mobile', 'and the state stays');
});

t.test('login stores the mobile credentials, sets mobile and resyncs as em-login', async (t) => {
  const s = await setup(t);
  const result = await s.em.login('alice', 'alice-pw');
  t.match(result, { ok: true, state: 'mobile', outcome: { result: 'succeeded' } });
  t.same(s.seen, [{ request: { operation: 'em-login' }, state: 'mobile', user: 'alice', password: 'alice-pw' }]);
  t.notOk(Object.values(s.store.snapshot()).includes('alice-pw'), 'the password is not a parameter');
  t.same(s.events, [{ type: 'em.login', user: 'alice', url: 'http://127.0.0.1/em.xml' }]);
});

t.test('login refuses when EM is disabled, and while another login runs', async (t) => {
  await t.rejects((await setup(t, {})).em.login('a', 'b'), { code: 'em_disabled' });
  await t.rejects((await setup(t)).em.logout(), { code: 'em_not_logged_in' });
  const s = await setup(t);
  const first = s.em.login('a', 'b');
  await t.rejects(s.em.login('c', 'd'), { code: 'em_busy' });
  await first;
  const out = s.em.logout();
  await t.rejects(s.em.logout(), { code: 'em_busy' });
  await out;
});

t.test('a failed login offers Retry; Retry with corrected credentials logs in', async (t) => {
  const s = await setup(t);
  s.results.push('failed');
  const result = await s.em.login('alice', 'wrong');
  t.match(result, { ok: false, outcome: { error: { code: 'auth_rejected' } } });
  t.same(s.prompts.opened, [{ kind: 'em-login-failed', purpose: { operation: 'em-login' }, context: { username: 'alice' } }]);
  s.prompts.answer(s.prompts.current('em-login-failed') as string, 'alice', 'right');
  await until(() => s.events.length > 0);
  t.equal(s.em.state(), 'mobile');
  t.equal(s.seen.at(-1)?.password, 'right');
  t.same(s.events.map((event) => event.type), ['em.login']);
});

t.test('Abort after failed retries restores the state and credentials exactly', async (t) => {
  const s = await setup(t, { EM_Enable: 'Yes' });
  // Before: logged in as bob (state and user id local values, password in the vault).
  await s.em.login('bob', 'bob-pw');
  s.results.push('failed', 'failed');
  await s.em.login('alice', 'wrong');
  s.prompts.answer(s.prompts.current('em-login-failed') as string, 'alice', 'still-wrong');
  await until(() => s.prompts.opened.length === 2);
  t.pass('the second failure asks again');
  s.prompts.cancel(s.prompts.current('em-login-failed') as string);
  await until(() => s.lines.some((line) => line.includes('previous state restored')));
  t.equal(s.em.state(), 'mobile');
  t.equal(s.store.get('EM_Mobile_User_ID'), 'bob');
  t.match(await s.vault.get({ purpose: 'em-mobile' }), { purpose: 'em-mobile', username: 'bob', secret: 'bob-pw' });
});

t.test('Abort from a first login puts back values of lower layers and removes the mobile password', async (t) => {
  const s = await setup(t, { EM_Enable: 'Yes', EM_Login_State: 'host' });
  s.results.push('failed');
  await s.em.login('alice', 'wrong');
  s.prompts.cancel(s.prompts.current('em-login-failed') as string);
  await until(() => s.lines.some((line) => line.includes('previous state restored')));
  t.equal(s.store.origin('EM_Login_State'), 'settings', 'the local value is dropped, the settings file\'s value shows again');
  t.equal(s.store.get('EM_Login_State'), 'host');
  t.equal(s.store.get('EM_Mobile_User_ID'), '', 'the user id is back to its default');
  t.equal(await s.vault.get({ purpose: 'em-mobile' }), undefined);
  t.same(s.events.at(-1), { type: 'credentials.cleared', operation: 'em-login', reason: 'aborted' }, 'the failed attempt\'s credentials are reported gone');
});

t.test('the Login softkey asks for user id and password; cancelling it changes nothing', async (t) => {
  const s = await setup(t);
  const id = s.em.openLogin();
  s.prompts.cancel(id);
  await settle();
  t.equal(s.seen.length, 0);
  s.prompts.answer(s.em.openLogin(), 'carol', 'carol-pw');
  await until(() => s.events.some((event) => event.type === 'em.login'));
  t.equal(s.em.state(), 'mobile');
  t.same(s.prompts.opened.map((prompt) => prompt.kind), ['em-login', 'em-login']);
});

t.test('logout clears the mobile credentials, sets host and resyncs with the phone credentials', async (t) => {
  const s = await setup(t);
  await s.em.login('alice', 'alice-pw');
  const result = await s.em.logout();
  t.match(result, { ok: true, state: 'host' });
  t.same(s.seen.at(-1), { request: undefined, state: 'host', user: '', password: undefined });
  t.same(s.events.slice(-2), [
    { type: 'credentials.cleared', operation: 'em-login', reason: 'logout' },
    { type: 'em.logout', user: 'alice', reason: 'logout' },
  ], 'the mobile credentials are gone, and a dashboard is told (SPEC §8)');
  s.results.push('failed');
  await s.em.login('alice', 'alice-pw');
  t.equal((await s.em.logout()).ok, true, 'logout from a failed login drops the pending Abort');
  s.prompts.cancel(s.prompts.current('em-login-failed') as string);
  await settle();
  t.equal(s.em.state(), 'host', 'a later Abort has nothing to restore');
  t.notOk(s.events.some((event) => event.type === 'credentials.cleared' && event.reason === 'aborted'), 'and clears nothing');
});

t.test('logout from a state a profile set, without a mobile user id, reports an empty user', async (t) => {
  const s = await setup(t, { EM_Enable: 'Yes', EM_Login_State: 'mobile' });
  await s.em.logout();
  t.same(s.events, [{ type: 'em.logout', user: '', reason: 'logout' }]);
});

t.test('a prompt that fails is logged, not thrown', async (t) => {
  const s = await setup(t);
  s.prompts.open = () => ({ id: 'x', result: Promise.reject(new Error('broker stopped')) });
  s.em.openLogin();
  s.results.push('failed');
  await s.em.login('a', 'a-password');
  await settle();
  t.equal(s.lines.filter((line) => line.includes('broker stopped')).length, 2);
});
