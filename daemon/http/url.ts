/**
 * URL helpers shared by the fetcher: the request target hashed by Digest, and the form of a
 * URL that may appear in events, logs and errors (SPEC §8: userinfo and query secrets
 * removed). The origin that scopes auth state is `daemon/origin`.
 */
import { SECRET_QUERY_NAME } from '../log/index.js';

/** The request-line target: path and query, never the fragment (RFC 9112 §3.2.1). */
export function requestTarget(url: URL): string {
  return url.pathname + url.search;
}

/** The URL without userinfo, with secret-looking query values masked. */
export function displayUrl(url: URL): string {
  // Nothing to remove (the usual provisioning URL): the copy would serialise the same.
  // (An empty fragment has an empty `hash` too: only the href's trailing `#` shows it.)
  if (url.username === '' && url.password === '' && url.hash === '' && url.search === '' && !url.href.endsWith('#')) return url.href;
  const copy = new URL(url.href);
  copy.username = '';
  copy.password = '';
  copy.hash = '';
  for (const name of [...new Set(copy.searchParams.keys())]) {
    if (SECRET_QUERY_NAME.test(name)) copy.searchParams.set(name, '***');
  }
  return copy.href;
}
