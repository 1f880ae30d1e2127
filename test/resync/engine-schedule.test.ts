/**
 * When resyncs happen (DOMAIN §1.1, §1.2; SPEC §4), driven by an injected clock, on the real
 * rule language and profile parser: what a rule sees of the macros shows in the URL it requests.
 */
import t from 'tap';

// `daemon/schedule` places Resync_At in local time; these expectations are written in UTC.
process.env.TZ = 'UTC';
import { ProvisiondError } from '../../daemon/errors/index.js';
import { buildEvent } from '../../daemon/events/index.js';
import { Redactor } from '../../daemon/log/index.js';
import type { Clock } from '../../daemon/clock/index.js';
import { harness, profile } from '../fixtures/resync/harness.js';

const RULE = { Profile_Rule: 'http://127.0.0.1:8080/$MA.cfg?st=$PRVST&tmr=$PRVTMR' };
/** `Resync_Trigger_*` expressions (DOMAIN §1.4) that always hold, and never. */
const TRUE = '$PRVTMR ge 0';
const FALSE = '$PRVTMR lt 0';
/** The query of the last request: the macros its rule expanded. */
const macros = (h: { requests: readonly { url: string }[] }): URLSearchParams => new URL(h.requests.at(-1)?.url ?? 'http://none/').searchParams;
const fail = async (): Promise<never> => {
  throw new ProvisiondError('http_status', 'server answered 500');
};

t.test('the start-up resync waits a random 0…Resync_Random_Delay×20 s (DOMAIN §1.1)', async (t) => {
  for (const [random, expected] of [
    [0, 0],
    [0.5, 30_000],
    [0.999, 59_940],
  ] as const) {
    const h = harness({ params: { ...RULE, Resync_Random_Delay: '3' }, random: () => random });
    const start = h.clock.now();
    h.engine.start();
    t.same(h.engine.status().next, { at: new Date(start + expected).toISOString(), trigger: 'boot' });
    if (expected > 0) {
      await h.clock.advance(expected - 1);
      t.equal(h.requests.length, 0, 'not before the delay');
    }
    await h.clock.advance(1);
    t.equal(h.requests.length, 1, `random ${random}: one resync at ${expected} ms`);
    h.engine.stop();
  }
});

t.test('with Resync_On_Reset=No nothing runs until asked', async (t) => {
  const h = harness({ params: { ...RULE, Resync_On_Reset: 'No' } });
  h.engine.start();
  h.engine.start();
  t.equal(h.engine.status().next, null);
  t.equal(h.clock.pending, 0);
  const outcome = await h.engine.resyncNow();
  t.equal(outcome.trigger, 'demand');
  t.equal(h.engine.status().next?.trigger, 'periodic', 'the periodic timer starts after the first success');
  h.engine.stop();
});

t.test('the periodic timer starts only after the first success', async (t) => {
  const h = harness({ params: { ...RULE, Resync_Error_Retry_Delay: '0' }, handler: fail });
  h.engine.start();
  await h.clock.advance(0);
  t.equal(h.engine.status().last?.result, 'failed');
  t.equal(h.engine.status().next, null, 'no periodic timer before a success, no retry with delay 0 (SPEC §3)');
  h.setHandler(async () => profile({ X: '1' }));
  const outcome = await h.engine.resyncNow();
  t.equal(outcome.result, 'succeeded');
  t.same(h.engine.status().next, { at: new Date(h.clock.now() + 3_600_000).toISOString(), trigger: 'periodic' });
  await h.clock.advance(3_600_000);
  t.equal(h.requests.length, 3, 'the periodic resync ran');
  t.equal(h.requests.at(-1)?.url, 'http://127.0.0.1:8080/000e08aabbcc.cfg?st=1&tmr=3600', '$PRVST is 1 for a periodic resync; $PRVTMR counts seconds since the last attempt');
  h.engine.stop();
});

t.test('error retries follow Resync_Error_Retry_Delay, the last element repeating (DOMAIN §1.2)', async (t) => {
  // Example list from the SPA guides: retries after 30 min, 1 h, 2 h, then every 2 h.
  const h = harness({ params: { ...RULE, Resync_Error_Retry_Delay: '1800,3600,7200' }, handler: fail });
  h.engine.start();
  await h.clock.advance(0);
  const waits: number[] = [];
  for (let i = 0; i < 4; i++) {
    const next = h.engine.status().next;
    t.equal(next?.trigger, 'retry');
    const wait = Date.parse(next?.at ?? '') - h.clock.now();
    waits.push(wait / 1000);
    await h.clock.advance(wait);
    t.equal(macros(h).get('st'), '2', '$PRVST is 2 for a retry');
  }
  t.same(waits, [1800, 3600, 7200, 7200]);
  const failed = h.events.filter((event) => event.type === 'resync.failed');
  t.same(failed.map((event) => event.retryInSeconds), [1800, 3600, 7200, 7200, 7200], 'each failure says when it retries');
  h.setHandler(async () => profile({ X: '1' }));
  await h.clock.advance(7_200_000);
  t.equal(h.engine.status().next?.trigger, 'periodic', 'a success returns to the periodic timer');
  h.engine.stop();
});

t.test('a server\'s Retry-After lengthens the next retry, never shortens it (RFC 9110 §10.2.3)', async (t) => {
  const { FetchError } = await import('../../daemon/http/index.js');
  let askedMs = 3_600_000;
  const busy = async (): Promise<never> => {
    throw new FetchError('http_status', 'http://127.0.0.1:8080/x answered 429', 'http://127.0.0.1:8080/x', { status: 429, retryAfterMs: askedMs });
  };
  const h = harness({ params: { ...RULE, Resync_Error_Retry_Delay: '60' }, handler: busy });
  h.engine.start();
  await h.clock.advance(0);
  t.equal(Date.parse(h.engine.status().next?.at ?? '') - h.clock.now(), 3_600_000, 'an hour, as the server asked, not the 60 s retry');
  askedMs = 10_000;
  await h.clock.advance(3_600_000);
  t.equal(Date.parse(h.engine.status().next?.at ?? '') - h.clock.now(), 60_000, 'a shorter Retry-After leaves the retry delay as it is');
  h.setHandler(fail);
  await h.clock.advance(60_000);
  t.equal(Date.parse(h.engine.status().next?.at ?? '') - h.clock.now(), 60_000, 'a failure without Retry-After asks for nothing');
  h.engine.stop();
});

t.test('Resync_At replaces the periodic timer and falls in its random window (DOMAIN §1.1)', async (t) => {
  // DOMAIN §1.1: Resync_At=1000 resyncs between 10:00 and 10:10.
  const h = harness({ params: { ...RULE, Resync_At: '1000', Resync_At_Random_Delay: '600' } });
  await h.engine.resyncNow();
  h.engine.start();
  const next = h.engine.status().next;
  t.equal(next?.trigger, 'boot');
  await h.clock.advance(0);
  t.same(h.engine.status().next, { at: '2026-11-22T10:05:00.000Z', trigger: 'at' });
  await h.clock.advance(Date.parse('2026-11-22T10:05:00.000Z') - h.clock.now());
  t.equal(h.requests.length, 3);
  t.equal(h.engine.status().next?.at, '2026-11-23T10:05:00.000Z', 'then the next day');
  h.engine.stop();
});

t.test('the MPP spelling Resync_At__HHmm_ wins when set', async (t) => {
  const h = harness({ params: { ...RULE, Resync_At: '1000', Resync_At__HHmm_: '2200' } });
  await h.engine.resyncNow();
  h.engine.start();
  await h.clock.advance(0);
  t.equal(h.engine.status().next?.at, '2026-11-22T22:05:00.000Z');
  h.engine.stop();
});

t.test('Resync_Trigger_1/2 hold back the periodic resync unless one is true (MPP meaning)', async (t) => {
  const h = harness({ params: { ...RULE, Resync_Trigger_1: FALSE, Resync_Trigger_2: `# ${TRUE}` } });
  h.engine.start();
  await h.clock.advance(0);
  t.equal(h.requests.length, 1, 'the start-up resync is not gated');
  await h.clock.advance(3_600_000);
  t.equal(h.requests.length, 1, 'a false trigger holds the periodic resync back');
  t.equal(h.engine.status().next?.trigger, 'periodic', 'and the periodic timer runs again');
  t.ok(h.lines.some((line) => line.includes('held back')));
  await h.params.setLocal([{ name: 'Resync_Trigger_2', value: '$UPGTMR gt' }]);
  await h.clock.advance(3_600_000);
  await h.clock.advance(3_600_000);
  t.equal(h.requests.length, 1, 'a trigger that cannot be evaluated is absent: the false one still holds it back');
  t.equal(h.lines.filter((line) => line.includes('Resync_Trigger_2 cannot be evaluated; it is read as absent')).length, 1, 'logged once');
  await h.params.setLocal([{ name: 'Resync_Trigger_1', value: `# ${FALSE}` }]);
  await h.clock.advance(3_600_000);
  t.equal(h.requests.length, 2, 'with only a trigger that cannot be evaluated, nothing holds the periodic resync back');
  await h.params.setLocal([
    { name: 'Resync_Trigger_1', value: FALSE },
    { name: 'Resync_Trigger_2', value: TRUE },
  ]);
  await h.clock.advance(3_600_000);
  t.equal(h.requests.length, 3, 'one true trigger lets it run');
  const outcome = await h.engine.resyncNow();
  t.equal(outcome.result, 'unchanged', 'a resync on demand ignores the triggers');
  h.engine.stop();
});

t.test('a profile that changes Resync_Periodic reschedules at once', async (t) => {
  const h = harness({ params: RULE, handler: async () => profile({ Resync_Periodic: '60' }) });
  await h.engine.resyncNow();
  h.engine.start();
  await h.clock.advance(0);
  t.equal(Date.parse(h.engine.status().next?.at ?? '') - h.clock.now(), 60_000, 'the new period counts from the resync');
  const finished = h.clock.now();
  await h.clock.advance(10_000);
  await h.params.setLocal([{ name: 'Resync_Periodic', value: '120' }]);
  t.equal(Date.parse(h.engine.status().next?.at ?? ''), finished + 120_000, 'a local change re-plans from the last resync');
  await h.params.setLocal([{ name: 'GPP_A', value: 'x' }]);
  t.equal(Date.parse(h.engine.status().next?.at ?? ''), finished + 120_000, 'other parameters leave the timer alone');
  await h.params.setLocal([{ name: 'Provision_Enable', value: 'No' }]);
  t.equal(h.engine.status().next, null, 'Provision_Enable=No stops the timers');
  h.engine.stop();
});

t.test('a pending start-up resync keeps its turn when parameters change', async (t) => {
  const h = harness({ params: { ...RULE, Resync_Random_Delay: '3' } });
  h.engine.start();
  const before = h.engine.status().next;
  await h.params.setLocal([{ name: 'Resync_Periodic', value: '10' }]);
  t.same(h.engine.status().next, before);
  h.engine.stop();
});

t.test('Provision_Enable=No gates every resync, requested ones included (DOMAIN §1.1)', async (t) => {
  const h = harness({ params: { ...RULE, Provision_Enable: 'No' } });
  h.engine.start();
  t.equal(h.engine.status().next, null);
  const outcome = await h.engine.resyncNow();
  t.equal(outcome.result, 'failed');
  t.equal(outcome.error?.code, 'provision_disabled');
  t.same(h.events, [{ type: 'resync.failed', code: 'provision_disabled', reason: 'Provision_Enable is No', message: 'Provision_Enable is No' }], 'reported as a failed resync (SPEC §8), never started');
  t.match(buildEvent(h.events[0]!, { seq: 1, ts: '2026-11-22T08:00:00.000Z', device: 'phone-1' }, new Redactor()), { type: 'resync.failed', code: 'provision_disabled', reason: 'Provision_Enable is No' }, 'the event schema keeps what it says');
  t.equal(h.requests.length, 0);
  h.engine.stop();
});

t.test('stop() clears the timers; a resync in flight finishes without arming one', async (t) => {
  let release!: () => void;
  const h = harness({ params: RULE, handler: () => new Promise((resolve) => (release = () => resolve(profile({ X: '1' })))) });
  h.engine.start();
  await h.clock.advance(0);
  t.equal(h.engine.status().running, true);
  h.engine.stop();
  release();
  await h.clock.advance(0);
  t.equal(h.engine.status().last?.result, 'succeeded');
  t.equal(h.engine.status().next, null);
  t.equal(h.clock.pending, 0);
});

t.test('a timer that fires during a resync joins it instead of starting another', async (t) => {
  let release!: () => void;
  const h = harness({ params: RULE, handler: () => new Promise((resolve) => (release = () => resolve(profile({ X: '1' })))) });
  const demand = h.engine.resyncNow();
  h.engine.start();
  await h.clock.advance(0);
  t.equal(h.requests.length, 1, 'the start-up timer joined the running resync');
  release();
  t.equal((await demand).result, 'succeeded');
  h.engine.stop();
});

t.test('a host timer that fires early is set again until the resync is due', async (t) => {
  const h = harness({ params: RULE });
  // A clock whose timers fire at half the delay, like a host timer capped below the wait.
  const early: Clock = {
    now: () => h.clock.now(),
    monotonic: () => h.clock.monotonic(),
    setTimer: (callback, ms) => h.clock.setTimer(callback, Math.ceil(ms / 2)),
    clearTimer: (handle) => h.clock.clearTimer(handle),
  };
  const { ResyncEngine } = await import('../../daemon/resync/index.js');
  const engine = new ResyncEngine({ ...(h.engine as unknown as { options: ConstructorParameters<typeof ResyncEngine>[0] }).options, clock: early });
  await engine.resyncNow();
  engine.start();
  await h.clock.advance(0);
  const due = Date.parse(engine.status().next?.at ?? '');
  await h.clock.advance(due - h.clock.now() - 1);
  t.equal(h.requests.length, 2, 'not before it is due');
  await h.clock.advance(1);
  t.equal(h.requests.length, 3);
  engine.stop();
});

t.test('with the system clock and DNS the start-up resync runs by itself', async (t) => {
  const h = harness({ params: RULE });
  const { ResyncEngine } = await import('../../daemon/resync/index.js');
  const options = (h.engine as unknown as { options: ConstructorParameters<typeof ResyncEngine>[0] }).options;
  const engine = new ResyncEngine({ ...options, clock: undefined, random: undefined, lookup: undefined, params: h.params });
  const done = new Promise<void>((resolve) => h.bus.on('event', (event) => event.type === 'resync.unchanged' && resolve()));
  engine.start();
  await done;
  t.equal(engine.status().last?.result, 'unchanged');
  t.equal(engine.status().next?.trigger, 'periodic');
  engine.stop();
});

t.test('a timer value the schedule arithmetic refuses is reported and the registry default used; an invalid Resync_At is ignored', async (t) => {
  // The registry accepts any list of digits; `daemon/schedule` refuses delays over 30 days.
  const h = harness({ params: { ...RULE, Resync_Error_Retry_Delay: '9999999', Resync_At: '2500' }, handler: fail });
  h.engine.start();
  await h.clock.advance(0);
  t.equal(Date.parse(h.engine.status().next?.at ?? '') - h.clock.now(), 60_000, 'the retry falls back to the registry default, 60 s first');
  h.setHandler(async () => profile({ Resync_Periodic: '9999999' }));
  await h.clock.advance(60_000);
  t.equal(h.engine.status().next?.trigger, 'periodic', 'Resync_At 2500 is ignored');
  t.equal(Date.parse(h.engine.status().next?.at ?? '') - h.clock.now(), 3_600_000, 'Resync_Periodic falls back to 3600 s');
  t.ok(h.lines.some((line) => line.includes('timer parameter ignored') && line.includes('Resync_Error_Retry_Delay')));
  t.ok(h.lines.some((line) => line.includes('timer parameter ignored') && line.includes('Resync_Periodic')));
  h.engine.stop();
});

t.test('macros other parts of the phone know come from the parameters they set; idle() waits for the resync', async (t) => {
  const lostAt = Date.UTC(2026, 10, 22, 7, 59, 18) / 1000;
  const h = harness({
    params: {
      Profile_Rule: 'http://127.0.0.1:8080/$MA.cfg?uid1=$UID1&uid2=$UID2&extip=$EXTIP&reg1=$REGTMR1&reg2=$REGTMR2&reg3=$REGTMR3&upg=$UPGTMR&prv=$PRVTMR&st=$PRVST',
      Resync_Trigger_1: '$REGTMR1 gt 300 and "$EXTIP" ne ""',
      User_ID_1_: '2001', User_ID_2_: '2002', EXT_IP: '66.43.16.52', Registration_Lost_At_1_: String(lostAt), Registration_Lost_At_2_: '', Registration_Lost_At_3_: 'a while ago',
    },
  });
  h.engine.start();
  await h.clock.advance(0);
  t.equal(new URL(h.requests.at(-1)?.url ?? '').pathname, '/000e08aabbcc.cfg');
  t.same(Object.fromEntries(macros(h)), { uid1: '2001', uid2: '2002', extip: '66.43.16.52', reg1: '42', reg2: '0', reg3: '$REGTMR3', upg: '0', prv: '0', st: '0' }, 'a time that does not read leaves the timer unknown: $REGTMR3 stays as written');
  await h.clock.advance(3_600_000);
  t.match(Object.fromEntries(macros(h)), { reg1: '3642', upg: '3600', prv: '3600', st: '1' }, 'the timers count on, and a trigger on them lets the periodic resync run');
  const running = h.engine.resyncNow();
  await h.engine.idle();
  t.equal(h.engine.status().running, false);
  t.equal((await running).result, 'unchanged');
  await h.engine.idle();
  h.engine.stop();
});

t.test('Resync_Periodic is used in turn, the last element repeating (DOMAIN §1.2)', async (t) => {
  const h = harness({ params: { ...RULE, Resync_Periodic: '600,1200,2400' } });
  h.engine.start();
  await h.clock.advance(0);
  const waits: number[] = [];
  const next = async (): Promise<void> => {
    const wait = Date.parse(h.engine.status().next?.at ?? '') - h.clock.now();
    waits.push(wait / 1000);
    await h.clock.advance(wait);
  };
  for (let i = 0; i < 4; i++) await next();
  t.same(waits, [600, 1200, 2400, 2400]);
  t.equal(h.requests.length, 5);

  // A failure starts the list over once the retries succeed.
  h.setHandler(fail);
  await next();
  t.equal(h.engine.status().next?.trigger, 'retry');
  h.setHandler(async () => profile());
  await next();
  t.equal(h.engine.status().next?.trigger, 'periodic');
  waits.length = 0;
  await next();
  await next();
  t.same(waits, [600, 1200], 'from the first element again');

  // A held-back periodic resync uses its turn; a new list starts from its first element.
  await h.params.setLocal([{ name: 'Resync_Trigger_1', value: FALSE }]);
  waits.length = 0;
  await next();
  t.equal(h.requests.length, 9, 'held back');
  await next();
  t.same(waits, [2400, 2400]);
  await h.params.setLocal([{ name: 'Resync_Periodic', value: '300,900' }]);
  t.equal(Date.parse(h.engine.status().next?.at ?? '') - h.clock.now(), 300_000);
  h.engine.stop();
});
