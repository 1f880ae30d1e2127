/** `Retry-After` as the fetcher reads it: seconds or an HTTP-date, capped, junk ignored; and end to end on a 503. */
import t from 'tap';
import { createServer } from 'node:http';
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
