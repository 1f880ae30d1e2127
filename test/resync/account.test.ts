/**
 * The Profile Account (SPEC §5, DOMAIN §1.14): who answers a challenge, and when the
 * *Profile account setup* prompt opens.
 */
import t from 'tap';
import { ProvisiondError } from '../../daemon/errors/index.js';
import { Origin } from '../../daemon/origin/index.js';
import { chooseCredentials, shouldOpenAccountPrompt } from '../../daemon/resync/index.js';
import type { CredentialContext as ChallengeContext, Credentials, FetchRequest } from '../../daemon/http/index.js';
import { settle } from '../fixtures/resync/fakes.js';
import { harness, profile } from '../fixtures/resync/harness.js';

const A = 'http://127.0.0.1:8080/a.cfg';

const ACCOUNT = { username: 'acct', password: 'acct-pw' };

t.test('the credential priority (DOMAIN §1.14): rule, then account, then nothing', async (t) => {
  const base = { account: ACCOUNT, accountEnabled: true, originNamed: true };
  t.same(chooseCredentials({ ...base, ruleUid: 'r', rulePwd: 'rp' }), { username: 'r', password: 'rp', source: 'rule' }, 'the rule wins over the account');
  t.same(chooseCredentials({ ...base, ruleUid: 'r' }), { username: 'r', password: '', source: 'rule' });
  t.same(chooseCredentials({ ...base, rulePwd: 'rp' }), { username: '', password: 'rp', source: 'rule' });
  t.same(chooseCredentials(base), { ...ACCOUNT, source: 'profile-account' });
  t.equal(chooseCredentials({ ...base, accountEnabled: false }), undefined, 'Disabled never uses it');
  t.equal(chooseCredentials({ ...base, originNamed: false }), undefined, 'only for origins a rule names');
  t.equal(chooseCredentials({ ...base, account: undefined }), undefined);
  t.equal(chooseCredentials({ ...base, account: { username: '', password: '' } }), undefined, 'an empty account is no account');
});

t.test('the prompt opens only on the first challenge, with an empty account and no rule credentials', async (t) => {
  const yes = { firstChallenge: true, accountEnabled: true, account: undefined, ruleHasCredentials: false };
  t.equal(shouldOpenAccountPrompt(yes), true);
  t.equal(shouldOpenAccountPrompt({ ...yes, firstChallenge: false }), false);
  t.equal(shouldOpenAccountPrompt({ ...yes, accountEnabled: false }), false);
  t.equal(shouldOpenAccountPrompt({ ...yes, account: ACCOUNT }), false);
  t.equal(shouldOpenAccountPrompt({ ...yes, ruleHasCredentials: true }), false);
});

/** A server that challenges and accepts `user`/`pass`, as the fetcher's callback sees it. */
function challenging(user: string, pass: string, answered: (Credentials | undefined)[]) {
  return async (request: FetchRequest) => {
    const context: ChallengeContext = { origin: Origin.of(request.url), realm: 'prov', scheme: 'Digest', attempt: 1, previousRejected: false };
    const credentials = await request.credentials!(context);
    answered.push(credentials);
    if (!credentials) throw new ProvisiondError('no_credentials', 'the server asks for credentials and none are configured');
    if (credentials.username !== user || credentials.password !== pass) throw new ProvisiondError('auth_rejected', 'the server refused the credentials');
    return profile({ X: '1' }, request.url);
  };
}

t.test('the first 401 after start-up opens the setup prompt; its answer is stored and resyncs at once', async (t) => {
  const answered: (Credentials | undefined)[] = [];
  const h = harness({ params: { Profile_Rule: A }, handler: challenging('acct', 'acct-pw', answered) });
  const first = await h.engine.resyncNow();
  t.equal(first.error?.code, 'no_credentials');
  t.same(h.prompts.opened, [{ kind: 'profile-account', purpose: { operation: 'resync' } }]);
  const id = h.prompts.current('profile-account') as string;
  t.equal(h.engine.openProfileAccountSetup(), id, 'one prompt per kind');
  h.prompts.answer(id, 'acct', 'acct-pw');
  await h.clock.advance(0);
  t.match(await h.vault.get({ purpose: 'profile-account' }), { purpose: 'profile-account', username: 'acct', secret: 'acct-pw' });
  t.equal(h.engine.status().last?.result, 'succeeded', 'the answer resynced at once');
  t.same(answered.at(-1), { ...ACCOUNT, source: 'profile-account' });
  t.match(h.events.find((event) => event.type === 'credentials.stored'), { operation: 'resync', source: 'prompt' });
});

t.test('later 401s do not open the prompt again; the softkey does', async (t) => {
  const answered: (Credentials | undefined)[] = [];
  const h = harness({ params: { Profile_Rule: A }, handler: challenging('acct', 'acct-pw', answered) });
  await h.engine.resyncNow();
  h.prompts.cancel(h.prompts.current('profile-account') as string);
  await settle();
  t.equal((await h.vault.list()).length, 0, 'cancel leaves the account as it was');
  await h.engine.resyncNow();
  t.equal(h.prompts.opened.length, 1, 'the second 401 does not prompt');
  const id = h.engine.openProfileAccountSetup();
  t.equal(h.prompts.opened.length, 2, 'the Setup softkey reopens it at any time');
  h.prompts.answer(id, 'wrong', 'x');
  await h.clock.advance(0);
  t.equal(h.engine.status().last?.error?.code, 'auth_rejected', 'a wrong account fails');
});

t.test('no prompt when the rule carries credentials or the feature is Disabled', async (t) => {
  for (const [params, offered] of [
    [{ Profile_Rule: `[--uid wrong --pwd wrong] ${A}` }, { username: 'wrong', password: 'wrong', source: 'rule' }],
    [{ Profile_Rule: A, Profile_Authentication_Type: 'Disabled' }, undefined],
  ] as const) {
    const answered: (Credentials | undefined)[] = [];
    const h = harness({ params, handler: challenging('acct', 'acct-pw', answered) });
    await h.vault.put({ purpose: 'profile-account', username: 'acct', secret: 'acct-pw' });
    const outcome = await h.engine.resyncNow();
    t.equal(outcome.result, 'failed');
    t.same(h.prompts.opened, []);
    t.same(answered, [offered], 'the rule\'s credentials or none: the account is never tried');
  }
});

t.test('the account is not offered to an origin no rule names', async (t) => {
  const h = harness({ params: { Profile_Rule: A } });
  await h.vault.put({ purpose: 'profile-account', username: 'acct', secret: 'acct-pw' });
  const offered: unknown[] = [];
  h.setHandler(async (request) => {
    offered.push(request.allowCredentialsFor!(Origin.of('http://127.0.0.1:8080')), request.allowCredentialsFor!(Origin.of('http://elsewhere:8080')));
    offered.push(await request.credentials!({ origin: Origin.of('http://elsewhere:8080'), realm: 'prov', scheme: 'Digest', attempt: 1, previousRejected: false }));
    return profile({}, request.url);
  });
  await h.engine.resyncNow();
  t.same(offered, [true, false, undefined]);
  t.same(h.prompts.opened, [], 'a challenge from a redirect target is not the account prompt');
});

t.test('the CLI stores the account and resyncs at once', async (t) => {
  const answered: (Credentials | undefined)[] = [];
  const h = harness({ params: { Profile_Rule: A }, handler: challenging('acct', 'acct-pw', answered) });
  await h.engine.storeProfileAccount('acct', 'acct-pw');
  await h.clock.advance(0);
  t.equal(h.engine.status().last?.result, 'succeeded');
  await h.vault.put({ purpose: 'profile-account', secret: 'acct-pw' });
  t.equal((await h.engine.resyncNow()).error?.code, 'auth_rejected', 'a record without user name answers with an empty one');
  t.same(answered.at(-1), { username: '', password: 'acct-pw', source: 'profile-account' });
  t.match(h.events.find((event) => event.type === 'credentials.stored'), { source: 'profile-account' });
  t.equal(await h.engine.clearProfileAccount(), true, 'a technician clears the account');
  t.equal(await h.vault.get({ purpose: 'profile-account' }), undefined);
  t.same(h.events.at(-1), { type: 'credentials.cleared', operation: 'resync', reason: 'cleared' });
  const count = h.events.length;
  t.equal(await h.engine.clearProfileAccount(), false, 'nothing left to clear');
  t.equal(h.events.length, count, 'and nothing reported');
});

t.test('a prompt whose answer cannot be stored is reported, and can be opened again', async (t) => {
  const h = harness({ params: { Profile_Rule: A } });
  h.vault.put = async () => {
    throw new ProvisiondError('vault_write_failed', 'disk full');
  };
  const id = h.engine.openProfileAccountSetup();
  h.prompts.answer(id, 'acct', 'acct-pw');
  await settle();
  t.ok(h.lines.some((line) => line.startsWith('<3>resync: profile account prompt failed') && line.includes('disk full')));
  t.not(h.engine.openProfileAccountSetup(), id);
});

t.test('the first challenge counts even when an account answered it; a pre-emptive answer is no challenge', async (t) => {
  const answered: (Credentials | undefined)[] = [];
  const h = harness({ params: { Profile_Rule: A }, handler: challenging('acct', 'acct-pw', answered) });
  await h.vault.put({ purpose: 'profile-account', username: 'acct', secret: 'stale' });
  t.equal((await h.engine.resyncNow()).error?.code, 'auth_rejected');
  await h.vault.delete({ purpose: 'profile-account' });
  await h.engine.resyncNow();
  t.same(h.prompts.opened, [], 'the 401 of a later resync does not prompt');

  const fresh = harness({ params: { Profile_Rule: A } });
  fresh.setHandler(async (request) => {
    await request.credentials!({ origin: Origin.of('http://127.0.0.1:8080'), realm: 'prov', scheme: 'Digest', attempt: 0, previousRejected: false });
    return profile({}, request.url);
  });
  await fresh.engine.resyncNow();
  fresh.setHandler(challenging('acct', 'acct-pw', answered));
  await fresh.engine.resyncNow();
  t.same(fresh.prompts.opened, [{ kind: 'profile-account', purpose: { operation: 'resync' } }], 'the first real challenge still prompts');
});
