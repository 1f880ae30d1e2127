/**
 * Wall-clock jumps (issue 15): an RTC reset to 1970, then NTP catching up by decades and days.
 * Waits count on the monotonic clock, so the periodic resync neither stalls nor fires in a
 * storm; a `Resync_At` moment is placed again from the new time of day; a resync that failed
 * on a certificate's validity is retried as soon as the wall clock is set.
 */
import t from 'tap';

// `daemon/schedule` places Resync_At in local time; these expectations are written in UTC.
process.env.TZ = 'UTC';
import { FetchError } from '../../daemon/http/index.js';
import { JUMP_TOLERANCE_MS, WALL_WATCH_MS } from '../../daemon/resync/timer.js';
import { harness, profile } from '../fixtures/resync/harness.js';

/** What the rule sees of the timer macros shows in the URL it requests. */
const RULE = { Profile_Rule: 'https://127.0.0.1:8443/$MA.cfg?st=$PRVST&prv=$PRVTMR&upg=$UPGTMR' };
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
/** From the harness's start (2026-11-22 08:00 UTC) back to 1970-01-01 00:00 UTC. */
const TO_1970 = -Date.UTC(2026, 10, 22, 8, 0, 0);

const notYetValid = async (): Promise<never> => {
  throw new FetchError('tls_not_yet_valid', 'TLS with https://127.0.0.1:8443 failed: not_yet_valid (certificate is not yet valid)', 'https://127.0.0.1:8443/x.cfg', { tlsReason: 'not_yet_valid' });
};

/** The macros the last request's rule expanded (its query). */
const macros = (h: { requests: readonly { url: string }[] }): URLSearchParams => new URL(h.requests.at(-1)?.url ?? 'http://none/').searchParams;

/** The requests made while `ms` of monotonic time pass, in the steps of `step`. */
async function requestsDuring(h: ReturnType<typeof harness>, ms: number, step = ms): Promise<number> {
  const before = h.requests.length;
  for (let passed = 0; passed < ms; passed += step) await h.clock.advance(Math.min(step, ms - passed));
  return h.requests.length - before;
}

t.test('Resync_Periodic after an RTC reset to 1970: the next resync comes after its interval, not decades later', async (t) => {
  const h = harness({ params: { ...RULE, Resync_Periodic: '3600' } });
  h.engine.start();
  await h.clock.advance(0);
  t.equal(h.requests.length, 1, 'the start-up resync');
  await h.clock.advance(10 * 60_000);
  h.clock.jump(TO_1970);
  t.equal(h.engine.status().next?.at, '1970-01-01T01:00:00.000Z', 'status shows the moment as the wall clock reads it');
  t.equal(await requestsDuring(h, 50 * 60_000 - 1), 0, 'nothing before the interval has passed');
  t.equal(await requestsDuring(h, 1), 1, 'one periodic resync exactly 3600 s after the last one');
  t.equal(macros(h).get('prv'), '3600', '$PRVTMR counts the monotonic seconds since the last attempt');
  t.equal(macros(h).get('upg'), '3600', '$UPGTMR never goes negative');
  t.equal(await requestsDuring(h, 3 * HOUR, 10 * 60_000), 3, 'and every hour after');
  h.engine.stop();
});

t.test('Resync_Periodic after NTP jumps forward by days: no storm, one resync per interval', async (t) => {
  const h = harness({ params: { ...RULE, Resync_Periodic: '3600' } });
  h.engine.start();
  await h.clock.advance(0);
  await h.clock.advance(30 * 60_000);
  h.clock.jump(3 * DAY);
  t.equal(await requestsDuring(h, 30 * 60_000 - 1, 60_000), 0, 'no resync at the jump, none for the days it skipped');
  t.equal(await requestsDuring(h, 1), 1, 'the periodic resync at its interval');
  t.equal(h.engine.status().next?.at, new Date(h.clock.now() + HOUR).toISOString());
  h.engine.stop();
});

t.test('a jump found when the periodic timer fires plans again first and then resyncs once', async (t) => {
  const h = harness({ params: { ...RULE, Resync_Periodic: '3600' } });
  h.engine.start();
  await h.clock.advance(0);
  h.clock.jump(-5 * DAY);
  t.equal(await requestsDuring(h, HOUR), 1, 'exactly one resync');
  t.ok(h.lines.some((line) => line.includes('the wall clock jumped by -5d 0h 0m 0s; the resync timer is planned again')), 'the jump is logged');
  t.equal(await requestsDuring(h, HOUR), 1);
  h.engine.stop();
});

t.test('a pending start-up resync keeps its turn across a jump', async (t) => {
  const h = harness({ params: { ...RULE, Resync_Random_Delay: '3' } });
  h.engine.start();
  h.clock.jump(TO_1970);
  t.equal(await requestsDuring(h, 30_000 - 1), 0);
  t.equal(await requestsDuring(h, 1), 1, 'the start-up resync after its random delay, as planned');
  t.equal(macros(h).get('st'), '0');
  h.engine.stop();
});

t.test('Resync_At after NTP jumps forward by days: one resync at the next moment, none for the days skipped', async (t) => {
  // Resync_At=0300 with the 600 s window and random 0.5: 03:05 (DOMAIN §1.1).
  const h = harness({ params: { ...RULE, Resync_At: '0300' } });
  h.engine.start();
  await h.clock.advance(0);
  t.equal(h.engine.status().next?.at, '2026-11-23T03:05:00.000Z');
  await h.clock.advance(HOUR);
  // 09:00 on 22 Nov → 09:00 + 3 days 2 h = 11:00 on 25 Nov.
  h.clock.jump(3 * DAY + 2 * HOUR);
  t.equal(await requestsDuring(h, WALL_WATCH_MS), 0, 'the jump itself resyncs nothing');
  t.equal(h.engine.status().next?.at, '2026-11-26T03:05:00.000Z', 'within a watch slice the moment is the next 03:05 of the new wall time');
  t.ok(h.lines.some((line) => line.includes('the wall clock jumped by +3d 2h 0m 0s')));
  const untilDue = Date.parse('2026-11-26T03:05:00.000Z') - h.clock.now();
  t.equal(await requestsDuring(h, untilDue - 1, HOUR), 0);
  t.equal(await requestsDuring(h, 1), 1, 'one resync at 03:05');
  t.equal(macros(h).get('st'), '1');
  t.equal(h.engine.status().next?.at, '2026-11-27T03:05:00.000Z', 'and the next the day after');
  h.engine.stop();
});

t.test('Resync_At after an RTC reset to 1970: the moment follows the wall clock there, and again when NTP catches up', async (t) => {
  const h = harness({ params: { ...RULE, Resync_At: '0300' } });
  h.engine.start();
  await h.clock.advance(0);
  // 08:00 on 22 Nov 2026 → 00:00 on 1 Jan 1970.
  h.clock.jump(TO_1970);
  await h.clock.advance(WALL_WATCH_MS);
  t.equal(h.engine.status().next?.at, '1970-01-01T03:05:00.000Z', 'the next 03:05 of the wall clock, 3 h away rather than 19 h');
  t.equal(await requestsDuring(h, Date.parse('1970-01-01T03:05:00.000Z') - h.clock.now()), 1, 'one resync at 03:05 (1970)');
  // NTP: back to the real time, 10:00 on 22 Nov.
  h.clock.jump(-TO_1970 - 5 * HOUR - 5 * 60_000 + 2 * HOUR);
  await h.clock.advance(WALL_WATCH_MS);
  t.equal(h.engine.status().next?.at, '2026-11-23T03:05:00.000Z');
  t.equal(await requestsDuring(h, Date.parse('2026-11-23T03:05:00.000Z') - h.clock.now(), HOUR), 1, 'one resync the next night');
  h.engine.stop();
});

t.test('a drift of the wall clock within the tolerance is no jump', async (t) => {
  const h = harness({ params: { ...RULE, Resync_At: '0300' } });
  h.engine.start();
  await h.clock.advance(0);
  h.clock.jump(JUMP_TOLERANCE_MS);
  await h.clock.advance(WALL_WATCH_MS);
  t.notOk(h.lines.some((line) => line.includes('jumped')), 'not logged, not planned again');
  h.engine.stop();
});

t.test('TLS not_yet_valid under a 1970 clock: retried by the backoff without a storm, then at once when NTP sets the clock', async (t) => {
  const h = harness({ params: { ...RULE, Resync_Periodic: '3600' }, handler: notYetValid });
  h.clock.jump(TO_1970);
  h.engine.start();
  await h.clock.advance(0);
  t.equal(h.requests.length, 1);
  const last = h.engine.status().last;
  t.equal(last?.result, 'failed');
  t.equal(last?.error?.code, 'tls_not_yet_valid', 'the typed error');
  // Resync_Error_Retry_Delay default: 60, 120, 240, … s.
  t.equal(await requestsDuring(h, 60_000 - 1, WALL_WATCH_MS), 0);
  t.equal(await requestsDuring(h, 1), 1, 'the first retry after 60 s');
  t.equal(await requestsDuring(h, 120_000 - 1, WALL_WATCH_MS), 0);
  t.equal(await requestsDuring(h, 1), 1, 'the second after 120 s more');
  // NTP sets the clock 100 s into the 240 s wait; the server's certificate is valid now.
  await h.clock.advance(100_000);
  h.setHandler(async () => profile({ X: '1' }));
  h.clock.jump(-TO_1970);
  t.equal(await requestsDuring(h, WALL_WATCH_MS, 1000), 1, 'one retry within a watch slice of the jump');
  t.equal(h.engine.status().last?.result, 'succeeded');
  t.ok(h.lines.some((line) => /the wall clock jumped by \+20\d\d\dd .*retried now/.test(line)), 'the jump and the retry are logged');
  t.equal(await requestsDuring(h, HOUR - WALL_WATCH_MS, 10 * 60_000), 0, 'then nothing until the periodic interval');
  t.equal(await requestsDuring(h, WALL_WATCH_MS, 1000), 1, 'the periodic resync an hour after the success');
  t.equal(h.requests.length, 5, 'five requests in all');
  h.engine.stop();
});

t.test('the clock set while the failing resync runs: the retry is made at once', async (t) => {
  let calls = 0;
  const h = harness({
    params: { ...RULE, Resync_Error_Retry_Delay: '3600' },
    handler: async () => {
      calls++;
      if (calls > 1) return profile({ X: '1' });
      h.clock.jump(5 * 60_000);
      return notYetValid();
    },
  });
  h.engine.start();
  await h.clock.advance(0);
  await h.clock.advance(0);
  t.equal(h.requests.length, 2, 'the failed resync and its immediate retry');
  t.equal(h.engine.status().last?.result, 'succeeded');
  t.ok(h.lines.some((line) => line.includes('jumped by +0h 5m 0s')));
  h.engine.stop();
});

t.test('with Resync_Error_Retry_Delay=0 a jump makes no retry (SPEC §3: no automatic retry)', async (t) => {
  const h = harness({ params: { ...RULE, Resync_Error_Retry_Delay: '0', Resync_At: '0300' }, handler: notYetValid });
  h.clock.jump(TO_1970);
  h.engine.start();
  await h.clock.advance(0);
  h.clock.jump(-TO_1970);
  t.equal(await requestsDuring(h, HOUR, WALL_WATCH_MS), 0, 'no retry');
  t.equal(h.engine.status().next?.trigger, 'at', 'the daily resync stays planned');
  h.engine.stop();
});

t.test('another failure is not retried early by a jump; Retry-After counts monotonic time', async (t) => {
  const h = harness({
    params: { ...RULE, Resync_At: '0300', Resync_Error_Retry_Delay: '60' },
    handler: async () => {
      throw new FetchError('http_status', 'https://127.0.0.1:8443/x.cfg answered 503', 'https://127.0.0.1:8443/x.cfg', { status: 503, retryAfterMs: 2 * HOUR });
    },
  });
  h.engine.start();
  await h.clock.advance(0);
  h.clock.jump(TO_1970);
  t.equal(await requestsDuring(h, 2 * HOUR - 1, WALL_WATCH_MS), 0, 'the server asked for 2 h: a jump back does not cut it short nor stretch it to decades');
  t.equal(await requestsDuring(h, 1), 1);
  t.equal(macros(h).get('st'), '2', 'the retry');
  h.engine.stop();
});
