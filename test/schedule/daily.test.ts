import t from 'tap';
import { nextDailyResync, parseResyncAt, windowMinutes } from '../../daemon/schedule/index.js';
import { thrown } from '../fixtures/rules/context.js';

// Local time is the phone's time; the tests pin it.
process.env.TZ = 'UTC';
const at = (iso: string): Date => new Date(iso);

t.test('Resync_At=1000 resyncs between 10:00 and 10:10', async (t) => {
  // DOMAIN.md §1.1 [CISCO-CONF-PM] [SPA100-PG p26].
  const now = at('2026-11-22T08:00:00Z');
  t.equal(nextDailyResync('1000', '600', now, () => 0)?.toISOString(), '2026-11-22T10:00:00.000Z');
  t.equal(nextDailyResync('1000', '600', now, () => 0.999)?.toISOString(), '2026-11-22T10:10:00.000Z');
});

t.test('a time already passed today is tomorrow', async (t) => {
  t.equal(nextDailyResync('1000', '600', at('2026-11-22T10:00:00Z'), () => 0)?.toISOString(), '2026-11-23T10:00:00.000Z');
  t.equal(nextDailyResync('2400', '600', at('2026-11-22T23:00:00Z'), () => 0)?.toISOString(), '2026-11-23T00:00:00.000Z', '2400 is midnight');
  t.equal(nextDailyResync('0000', '600', at('2026-12-31T23:59:00Z'), () => 0)?.toISOString(), '2027-01-01T00:00:00.000Z');
});

t.test('the random window is at least 600 s and rounds up to minutes', async (t) => {
  // DOMAIN.md §1.1: MPP treats values below 600 as 600.
  t.equal(windowMinutes('0'), 10);
  t.equal(windowMinutes('601'), 11);
  t.equal(windowMinutes(' 3600 '), 60);
  t.match(thrown(() => windowMinutes('ten')), { code: 'schedule_invalid', message: /Resync_At_Random_Delay/ });
});

t.test('an empty Resync_At is not configured; an invalid one is a typed error', async (t) => {
  t.equal(parseResyncAt(' '), undefined);
  t.equal(nextDailyResync('', '600', at('2026-11-22T08:00:00Z'), () => 0), undefined);
  t.same(parseResyncAt('0730'), { hour: 7, minute: 30 });
  for (const bad of ['730', '2401', '2500', '1260', 'noon', '07:30']) t.match(thrown(() => parseResyncAt(bad)), { code: 'schedule_invalid', message: /HHmm/ }, bad);
});
