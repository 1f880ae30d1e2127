/**
 * Macro variables the resync engine fills (DOMAIN §1.8): device facts, provisioning state,
 * and the parts of the URL being requested. Pure.
 */
import type { ResolvedUrl } from '../rules/index.js';

/**
 * `$SCHEME` (lower case, SPEC §3 decision), its deprecated alias `$METH`, `$SERV`, `$SERVIP`
 * (the address actually connected to, after DNS), `$PORT` (default resolved) and `$PATH`.
 */
export function urlVars(request: ResolvedUrl, serverIp: string): Record<string, string> {
  const { origin } = request;
  // The path as it is sent: percent-encoded, without a fragment (RFC 9112 §3.2.1).
  const target = new URL(request.url);
  return {
    SCHEME: origin.scheme,
    METH: origin.scheme,
    SERV: origin.bareHost,
    SERVIP: serverIp,
    PORT: String(origin.port),
    PATH: target.pathname + target.search,
  };
}
