/**
 * `Retry-After` (RFC 9110 §10.2.3): delay-seconds or an HTTP-date, sent with 503 and 429
 * (RFC 6585 §4). A server may ask a phone to wait; it may not park it for good, so the wait is
 * capped. Anything else (junk, a date in the past, a negative number) asks for nothing.
 *
 * An HTTP-date is the server's clock, so it is read against the response's own `Date` (RFC 9110
 * §6.6.1, the server's clock when it answered), not the phone's: a phone whose RTC was reset
 * to 1970 would otherwise take any date as decades away and wait the whole cap, and a phone
 * clock running ahead would ignore it. Only without a usable `Date` does the phone's clock count.
 */

/** The longest wait a server can ask for: a day, the longest `Resync_Error_Retry_Delay` step. */
export const RETRY_AFTER_CAP_MS = 86_400_000;

/**
 * The wait the header asks for in ms (capped), or undefined when it asks for none. `now` is the
 * phone's wall clock; `date` the response's `Date` header, preferred to it when it parses.
 */
export function retryAfterMs(header: string | string[] | undefined, now: number, date?: string | string[]): number | undefined {
  const value = first(header);
  if (value === undefined || value === '') return undefined;
  let ms: number;
  if (/^\d+$/.test(value)) ms = Number(value) * 1000;
  else {
    const at = Date.parse(value);
    if (Number.isNaN(at)) return undefined;
    const sent = Date.parse(first(date) ?? '');
    ms = at - (Number.isNaN(sent) ? now : sent);
  }
  return ms > 0 ? Math.min(ms, RETRY_AFTER_CAP_MS) : undefined;
}

function first(header: string | string[] | undefined): string | undefined {
  return (Array.isArray(header) ? header[0] : header)?.trim();
}
