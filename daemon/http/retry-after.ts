/**
 * `Retry-After` (RFC 9110 §10.2.3): delay-seconds or an HTTP-date, sent with 503 and 429
 * (RFC 6585 §4). A server may ask a phone to wait; it may not park it for good, so the wait is
 * capped. Anything else (junk, a date in the past, a negative number) asks for nothing.
 */

/** The longest wait a server can ask for: a day, the longest `Resync_Error_Retry_Delay` step. */
export const RETRY_AFTER_CAP_MS = 86_400_000;

/** The wait the header asks for in ms (capped), or undefined when it asks for none. */
export function retryAfterMs(header: string | string[] | undefined, now: number): number | undefined {
  const value = (Array.isArray(header) ? header[0] : header)?.trim();
  if (value === undefined || value === '') return undefined;
  let ms: number;
  if (/^\d+$/.test(value)) ms = Number(value) * 1000;
  else {
    const at = Date.parse(value);
    if (Number.isNaN(at)) return undefined;
    ms = at - now;
  }
  return ms > 0 ? Math.min(ms, RETRY_AFTER_CAP_MS) : undefined;
}
