/**
 * `Retry-After` as the fetcher reads it: seconds or an HTTP-date, capped, junk ignored; a date
 * counts from the response's own `Date` (RFC 9110 §10.2.3, §6.6.1), not from a phone clock that
 * may be 1970; and end to end on a 503.
 */
import t from 'tap';
import { createServer, type OutgoingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Fetcher } from '../../daemon/http/index.js';
import { RETRY_AFTER_CAP_MS, retryAfterMs } from '../../daemon/http/retry-after.js';

t.test('seconds, dates, the cap and what asks for nothing', async (t) => {
  const now = Date.UTC(2026, 11, 2, 12, 0, 0);
  t.equal(retryAfterMs('120', now), 120_000);
  t.equal(retryAfterMs([' 30 ', '99'], now), 30_000, 'the first header counts');
  t.equal(retryAfterMs('Wed, 02 Dec 2026 13:00:00 GMT', now), 3_600_000, 'an HTTP-date');
  t.equal(retryAfterMs('999999', now), RETRY_AFTER_CAP_MS, 'a server cannot park the phone for good');
  for (const nothing of [undefined, '', 'soon', '-5', '0', 'Wed, 02 Dec 2026 11:00:00 GMT']) t.equal(retryAfterMs(nothing, now), undefined, String(nothing));
});

t.test('a 503 with Retry-After fails with what it asked', async (t) => {
  const server = createServer((_req, res) => res.writeHead(503, { 'Retry-After': '120' }).end('busy'));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => server.close());
  const fetcher = new Fetcher({ userAgent: 'test' });
  t.teardown(() => fetcher.close());
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/p.xml`;
  await t.rejects(fetcher.fetch({ url, operation: 'resync' }), { code: 'http_status', status: 503, retryAfterMs: 120_000 });
});

t.test('an HTTP-date counts from the response\'s Date, not from the phone\'s clock', async (t) => {
  const sent = 'Wed, 02 Dec 2026 12:00:00 GMT';
  const rtcReset = 0; // the phone's RTC was reset to 1970 (SPEC's clock-jump fault)
  t.equal(retryAfterMs('Wed, 02 Dec 2026 12:02:00 GMT', rtcReset, sent), 120_000, 'a phone at 1970 waits what the server asked, not the whole cap');
  t.equal(retryAfterMs('Wed, 02 Dec 2026 12:02:00 GMT', Date.UTC(2030, 0, 1), sent), 120_000, 'a phone clock ahead does not ignore it');
  t.equal(retryAfterMs('Wed, 02 Dec 2026 12:02:00 GMT', rtcReset, [sent]), 120_000, 'a Date as a header list');
  t.equal(retryAfterMs('Wed, 02 Dec 2026 11:59:00 GMT', rtcReset, sent), undefined, 'a date before the server\'s own now asks for nothing');
  t.equal(retryAfterMs('90', rtcReset, sent), 90_000, 'delay-seconds do not depend on any clock');
  t.equal(retryAfterMs('soon', rtcReset, sent), undefined, 'junk asks for nothing, Date or not');
  const now = Date.UTC(2026, 11, 2, 12, 0, 0);
  t.equal(retryAfterMs('Wed, 02 Dec 2026 12:05:00 GMT', now, undefined), 300_000, 'without a Date the phone\'s clock counts');
  for (const junk of ['', 'yesterday']) t.equal(retryAfterMs('Wed, 02 Dec 2026 12:05:00 GMT', now, junk), 300_000, `an unusable Date (${JSON.stringify(junk)}) falls back to the phone's clock`);
});

t.test('the fetcher reads a 503\'s Retry-After against its Date, or against the injected wall clock without one', async (t) => {
  let headers: OutgoingHttpHeaders = {};
  const server = createServer((_req, res) => {
    // Node adds a Date of its own unless told not to; the test sends the one it means.
    res.sendDate = false;
    res.writeHead(503, headers).end('busy');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => server.close());
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/p.xml`;
  const phone = { at: 0 };
  const fetcher = new Fetcher({ userAgent: 'test', wallClock: { now: () => phone.at } });
  t.teardown(() => fetcher.close());
  const cases: readonly [string, OutgoingHttpHeaders, number, number | undefined][] = [
    // A server clock far from the test machine's: only the response's own Date can place it.
    ['an HTTP-date with a Date, phone clock at 1970', { 'retry-after': 'Tue, 01 Jan 2030 00:02:00 GMT', date: 'Tue, 01 Jan 2030 00:00:00 GMT' }, 0, 120_000],
    ['an HTTP-date without a Date, phone clock right', { 'retry-after': 'Tue, 01 Jan 2030 01:00:00 GMT' }, Date.UTC(2030, 0, 1), 3_600_000],
    ['an HTTP-date without a Date, phone clock at 1970 (the cap is all that is left)', { 'retry-after': 'Tue, 01 Jan 2030 01:00:00 GMT' }, 0, RETRY_AFTER_CAP_MS],
    ['delay-seconds, phone clock at 1970', { 'retry-after': '45', date: 'Tue, 01 Jan 2030 00:00:00 GMT' }, 0, 45_000],
    ['junk', { 'retry-after': 'later, please', date: 'Tue, 01 Jan 2030 00:00:00 GMT' }, 0, undefined],
  ];
  for (const [name, sent, phoneAt, asked] of cases) {
    headers = sent;
    phone.at = phoneAt;
    await t.rejects(fetcher.fetch({ url, operation: 'resync' }), { code: 'http_status', status: 503, retryAfterMs: asked }, name);
  }
});
