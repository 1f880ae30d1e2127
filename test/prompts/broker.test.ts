import t from 'tap';
import { TypedBus, type DaemonBus, type DaemonEvents, type EventInput } from '../../daemon/bus/index.js';
import { Redactor } from '../../daemon/log/index.js';
import { PromptBroker, PROMPT_KINDS, lookOf, answerProblem } from '../../daemon/prompts/index.js';
import type { Clock } from '../../daemon/clock/index.js';
import { isProvisiondError } from '../../daemon/errors/index.js';

/** A clock whose timers fire only when the test says so. */
function manualTimers(): Pick<Clock, 'now' | 'setTimer' | 'clearTimer'> & { fire(): void; pending: number } {
  const pending = new Map<number, () => void>();
  let next = 0;
  return {
    now: () => Date.UTC(2026, 0, 1),
    setTimer(callback) {
      pending.set(++next, callback);
      return next;
    },
    clearTimer(handle) {
      pending.delete(handle as number);
    },
    fire() {
      for (const [id, callback] of [...pending]) {
        pending.delete(id);
        callback();
      }
    },
    get pending() {
      return pending.size;
    },
  };
}

function setup() {
  const bus: DaemonBus = new TypedBus<DaemonEvents>();
  const events: EventInput[] = [];
  bus.on('event', (event) => events.push(event));
  const timers = manualTimers();
  const redactor = new Redactor();
  let n = 0;
  const broker = new PromptBroker({ bus, timeoutSeconds: 300, clock: timers, newId: () => `p${++n}`, redactor });
  return { bus, events, timers, redactor, broker };
}

t.test('opening a prompt shows it with its kind look and announces auth.prompt', async (t) => {
  const { broker, events } = setup();
  const changes: number[] = [];
  broker.onChange(() => changes.push(broker.list().length));
  const handle = broker.open({ kind: 'http-auth', purpose: { operation: 'backup', url: 'https://backup.example/user/', realm: 'Avaya' }, context: { realm: 'Avaya', server: undefined } });
  t.equal(handle.id, 'p1');
  const view = broker.get('p1');
  t.equal(view?.title, 'HTTP Authentication');
  t.same(view?.lines, ['Enter backup/restore credentials']);
  t.same(view?.context, { realm: 'Avaya' }, 'undefined context values are left out');
  t.equal(view?.expiresAt, '2026-01-01T00:05:00.000Z');
  t.same(view?.fields.map((f) => [f.name, f.secret]), [['username', false], ['password', true]]);
  t.same(events, [{ type: 'auth.prompt', id: 'p1', kind: 'http-auth', operation: 'backup', url: 'https://backup.example/user/', realm: 'Avaya' }], 'auth.prompt names what it is for (SPEC §8)');
  t.same(changes, [1]);
});

t.test('the first valid answer wins, resolves the requester and closes the prompt for all', async (t) => {
  const { broker, events, redactor, timers } = setup();
  const handle = broker.open({ kind: 'profile-account', purpose: { operation: 'resync' } });
  broker.answer(handle.id, 'alice', 's3cret');
  t.same(await handle.result, { outcome: 'answered', username: 'alice', password: 's3cret' });
  t.same(broker.list(), []);
  t.equal(timers.pending, 0, 'the timeout is disarmed');
  t.ok(redactor.has('s3cret'), 'the typed password is registered for redaction');
  t.notMatch(JSON.stringify(events), /s3cret/, 'no event carries the password');
  t.same(events[1], { type: 'auth.prompt.closed', id: 'p1', kind: 'profile-account', outcome: 'answered' });
  t.throws(() => broker.answer(handle.id, 'bob', 'x'), { code: 'no_such_prompt' }, 'a later answer finds it closed');
  t.throws(() => broker.cancel(handle.id), { code: 'no_such_prompt' });
});

t.test('an invalid answer is refused with a reason and leaves the prompt open', async (t) => {
  const { broker, redactor } = setup();
  const handle = broker.open({ kind: 'em-login', purpose: { operation: 'em-login' } });
  try {
    broker.answer(handle.id, '', 'pw-never-logged');
    t.fail('should throw');
  } catch (error) {
    t.ok(isProvisiondError(error, 'invalid_answer'));
    t.notMatch((error as Error).message, /pw-never-logged/);
  }
  t.notOk(redactor.has('pw-never-logged'), 'a refused password is not kept in the registry');
  t.equal(broker.list().length, 1);
});

t.test('answerProblem names each problem without echoing values', async (t) => {
  t.equal(answerProblem(undefined, 'x'), 'the user ID is empty');
  t.match(answerProblem('u'.repeat(257), 'x'), /longer than 256/);
  t.match(answerProblem('a\nb', 'x'), /user ID contains control/);
  t.equal(answerProblem('alice', 42), 'the password is missing');
  t.match(answerProblem('alice', 'p'.repeat(1025)), /password is longer/);
  t.match(answerProblem('alice', 'p\u0000'), /password contains control/);
  t.equal(answerProblem('alice', ''), undefined, 'an empty password is allowed (some accounts have none)');
});

t.test('a cancel closes the prompt with outcome cancelled', async (t) => {
  const { broker, events } = setup();
  const handle = broker.open({ kind: 'em-login-failed', purpose: { operation: 'em-login' }, context: { username: 'alice' } });
  t.same(broker.get(handle.id)?.softkeys, ['Retry', 'Abort'], 'Login failed offers Retry and Abort (SPEC §5)');
  broker.cancel(handle.id);
  t.same(await handle.result, { outcome: 'cancelled' });
  t.same(events.slice(-2), [
    { type: 'auth.failure', operation: 'em-login', reason: 'cancelled', source: 'prompt' },
    { type: 'auth.prompt.closed', id: 'p1', kind: 'em-login-failed', outcome: 'cancelled' },
  ], 'a cancelled prompt ends with auth.failure cancelled, then closes');
});

t.test('an unanswered prompt times out after prompts.timeoutSeconds', async (t) => {
  const { broker, events, timers } = setup();
  const handle = broker.open({ kind: 'http-auth-failure', purpose: { operation: 'backup' } });
  timers.fire();
  t.same(await handle.result, { outcome: 'timeout' });
  t.same(events.slice(-2), [
    { type: 'auth.failure', operation: 'backup', reason: 'timeout', source: 'prompt' },
    { type: 'auth.prompt.closed', id: 'p1', kind: 'http-auth-failure', outcome: 'timeout' },
  ], 'a prompt that times out ends with auth.failure timeout, then closes');
});

t.test('one prompt per kind: a second open joins the first, other kinds open beside it', async (t) => {
  const { broker } = setup();
  const first = broker.open({ kind: 'http-auth', purpose: { operation: 'backup' } });
  const again = broker.open({ kind: 'http-auth', purpose: { operation: 'backup' } });
  const other = broker.open({ kind: 'profile-account', purpose: { operation: 'resync' }, fields: [{ name: 'password', label: 'PIN', secret: true }], softkeys: ['Save', 'Back'] });
  t.equal(again, first);
  t.equal(broker.list().length, 2);
  t.same(broker.get(other.id)?.softkeys, ['Save', 'Back']);
  t.equal(broker.get(other.id)?.fields.length, 1);
  broker.answer(first.id, 'u', 'p');
  t.same(await again.result, { outcome: 'answered', username: 'u', password: 'p' });
});

t.test('stop cancels every open prompt and unsubscribed listeners hear nothing', async (t) => {
  const { broker } = setup();
  let calls = 0;
  const off = broker.onChange(() => calls++);
  const a = broker.open({ kind: 'http-auth', purpose: { operation: 'backup' } });
  off();
  const b = broker.open({ kind: 'em-login', purpose: { operation: 'em-login' } });
  broker.stop();
  t.same(await Promise.all([a.result, b.result]), [{ outcome: 'cancelled' }, { outcome: 'cancelled' }]);
  t.equal(calls, 1);
});

t.test('default timers and ids work without injection', async (t) => {
  const bus: DaemonBus = new TypedBus<DaemonEvents>();
  const broker = new PromptBroker({ bus, timeoutSeconds: 0.001 });
  const handle = broker.open({ kind: 'profile-account', purpose: { operation: 'resync' } });
  t.match(handle.id, /^[0-9a-f-]{36}$/);
  t.same(await handle.result, { outcome: 'timeout' });
});

t.test('kind table: every kind has a look', async (t) => {
  for (const kind of PROMPT_KINDS) t.ok(lookOf(kind).title.length > 0);
});
