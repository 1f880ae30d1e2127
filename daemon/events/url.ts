/**
 * URLs leave the daemon only without their secrets (SPEC §8): no userinfo, and the values of
 * query parameters that carry credentials replaced by `***`. Cisco profile rules put
 * credentials in the URL as easily as in `--uid/--pwd` (DOMAIN.md), and provisioning servers
 * commonly take tokens in the query string.
 */
import { SECRET_QUERY_NAME } from '../log/index.js';

const URL_IN_TEXT = /\b[a-z][a-z0-9+.-]*:\/\/[^\s"'<>]+/gi;
const MASK = '***';
/**
 * Scrubbed URLs by their input: a phone reports the same few URLs over and over, and parsing
 * one costs more than the rest of an event. Only URLs that carried no secret are kept, so the
 * memo never holds a credential past the event that had it.
 */
const scrubbed = new Map<string, string>();
const MEMO_SIZE = 64;

/** `url` with userinfo removed and secret query values masked. Unparseable input is scrubbed textually. */
export function scrubUrl(url: string): string {
  const known = scrubbed.get(url);
  if (known !== undefined) return known;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return scrubTextually(url);
  }
  const names = [...new Set(parsed.searchParams.keys())].filter((name) => SECRET_QUERY_NAME.test(name));
  if (parsed.username === '' && parsed.password === '' && names.length === 0) {
    const clean = parsed.toString();
    // Bounded: a run of distinct URLs starts the memo afresh rather than growing it.
    if (scrubbed.size >= MEMO_SIZE) scrubbed.clear();
    scrubbed.set(url, clean);
    return clean;
  }
  parsed.username = '';
  parsed.password = '';
  if (names.length === 0) return parsed.toString();
  // Rebuild by hand: URLSearchParams would re-encode `***` and reorder nothing, but keep it readable.
  const query = parsed.search
    .slice(1)
    .split('&')
    .map((pair) => {
      const [rawName = ''] = pair.split('=', 1);
      const name = safeDecode(rawName.replace(/\+/g, ' '));
      return names.includes(name) ? `${rawName}=${MASK}` : pair;
    })
    .join('&');
  parsed.search = '';
  const base = parsed.toString();
  const hashAt = base.indexOf('#');
  return hashAt < 0 ? `${base}?${query}` : `${base.slice(0, hashAt)}?${query}${base.slice(hashAt)}`;
}

/** Every URL inside free text (an error message, a rule) scrubbed as by `scrubUrl`. */
export function scrubUrlsInText(text: string): string {
  return text.replace(URL_IN_TEXT, (match) => scrubUrl(match));
}

function scrubTextually(url: string): string {
  return url
    .replace(/^([a-z][a-z0-9+.-]*:\/\/)[^/?#@]*@/i, '$1')
    .replace(/([?&][^=&#]*=)([^&#]*)/g, (whole, head: string) => (SECRET_QUERY_NAME.test(head.slice(1, -1)) ? head + MASK : whole));
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}
