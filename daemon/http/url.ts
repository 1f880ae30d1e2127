/**
 * URL helpers shared by the fetcher: the origin that scopes every piece of auth state
 * (scheme, host, port: RELIABILITY.md §1.4), the request target hashed by Digest, and the
 * form of a URL that may appear in events, logs and errors (SPEC §8: userinfo and query
 * secrets removed).
 */
import { SECRET_QUERY_NAME } from '../log/index.js';

/** `scheme://host:port` with the port always written, so `https://a` and `https://a:443` agree. */
export function originOf(url: URL): string {
  const port = url.port || (url.protocol === 'https:' ? '443' : '80');
  return `${url.protocol}//${url.hostname}:${port}`;
}

/** The request-line target: path and query, never the fragment (RFC 9112 §3.2.1). */
export function requestTarget(url: URL): string {
  return url.pathname + url.search;
}

/** The URL without userinfo, with secret-looking query values masked. */
export function displayUrl(url: URL): string {
  const copy = new URL(url.href);
  copy.username = '';
  copy.password = '';
  copy.hash = '';
  for (const name of [...new Set(copy.searchParams.keys())]) {
    if (SECRET_QUERY_NAME.test(name)) copy.searchParams.set(name, '***');
  }
  return copy.href;
}
