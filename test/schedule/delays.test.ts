import t from 'tap';
import { delayMs, parseDelayList, periodicDelayMs, retryDelayMs, startupDelayMs } from '../../daemon/schedule/index.js';
import { thrown } from '../fixtures/rules/context.js';

const low = (): number => 0;
const high = (): number => 1 - Number.EPSILON;

t.test('a retry list is used in turn and its last delay repeats', async (t) => {
  // DOMAIN.md §1.2 [SPA100-PG p26]: retries after 30 min, 1 h, 2 h, 4 h, then every 4 h.
  const value = '1800,3600,7200,14400';
  t.same([1, 2, 3, 4, 5, 9].map((n) => retryDelayMs(value, n, low)), [1800, 3600, 7200, 14400, 14400, 14400].map((s) => s * 1000));
  t.equal(retryDelayMs(value, 0, low), 1_800_000, 'attempt numbers start at 1');
});

t.test('+N adds a random 0…N seconds', async (t) => {
  // DOMAIN.md §1.2 [SPA100-PG p26] [CISCO-CONF-PM]: 3600+600 is every hour plus 0–600 s;
  // MPP describes 2400+30 as between 2400 and 2430 seconds.
  t.equal(periodicDelayMs('3600+600', 1, low), 3_600_000);
  t.equal(periodicDelayMs('3600+600', 1, high), 4_200_000);
  t.equal(periodicDelayMs('2400+30', 1, () => 0.5), 2_415_000);
  const list = '1800+300,3600+600,7200+900';
  t.equal(retryDelayMs(list, 3, high), 8_100_000);
  t.same(parseDelayList('1800,3600,7200,14400+3600', 'Upgrade_Error_Retry_Delay').at(-1), { seconds: 14400, random: 3600 });
  t.same(parseDelayList(' 60 + 5 ,120', 'X'), [{ seconds: 60, random: 5 }, { seconds: 120, random: 0 }], 'blanks are tolerated');
});

t.test('0 turns the timer off: no periodic resync and no automatic retry', async (t) => {
  // SPEC §3 decision on DOMAIN.md §7 item 1.
  t.equal(retryDelayMs('0', 1, high), undefined);
  t.equal(periodicDelayMs('0', 1, high), undefined);
  t.equal(retryDelayMs('60,0', 2, high), undefined, 'a 0 step ends the retries');
  t.equal(retryDelayMs('0+30', 1, high), 30_000, 'a random part keeps the timer on');
  // MPP default list (DOMAIN.md §1.1 [CISCO-CONF-PM]).
  t.equal(retryDelayMs('60,120,240,480,960,1920,3840,7680,15360,30720,61440,86400', 20, low), 86_400_000);
});

t.test('invalid schedules are typed errors naming the parameter', async (t) => {
  for (const bad of ['', 'soon', '10,,20', '-5', '1.5', '10+', '99999999']) {
    t.match(thrown(() => delayMs(bad, 'Resync_Periodic', 1, low)), { code: 'schedule_invalid', message: /^Resync_Periodic: expected seconds/ }, JSON.stringify(bad));
  }
  t.match(thrown(() => retryDelayMs('2592000+1', 1, low)), { code: 'schedule_invalid', message: /longer than 2592000/ });
  t.match(thrown(() => retryDelayMs(Array(65).fill('1').join(','), 1, low)), { code: 'schedule_invalid', message: /more than 64/ });
});

t.test('the start-up delay is 0…value × 20 s', async (t) => {
  // DOMAIN.md §1.1 [SPA-PG-3.01 p4-2]: default 2 means up to 40 s; 0 disables.
  t.equal(startupDelayMs('2', high), 40_000);
  t.equal(startupDelayMs('2', low), 0);
  t.equal(startupDelayMs('0', high), 0);
  t.equal(startupDelayMs('65535', high), 1_310_700_000);
  for (const bad of ['65536', 'x', '', '-1']) t.match(thrown(() => startupDelayMs(bad, low)), { code: 'schedule_invalid', message: /Resync_Random_Delay/ });
});
