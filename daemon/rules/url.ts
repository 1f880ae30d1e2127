/**
 * Profile URLs (DOMAIN.md §1.6): `[scheme://][server[:port]]filepath`. No scheme means tftp;
 * no server means the TFTP server learned from DHCP (option 66); no port means 69, 80 or
 * 443; the path must be absolute and may carry a query string.
 */
import { defaultPort, Origin } from '../origin/index.js';
import { ruleError } from './scanner.js';

export interface ResolvedUrl {
  /** Scheme, host and port, normalised once (`daemon/origin`). */
  readonly origin: Origin;
  /** Absolute path with the query string, if any. */
  readonly path: string;
  /** `scheme://host:port/path`, the port always written. */
  readonly url: string;
}

const HOST = /^(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)*\.?$|^\[[0-9a-f:.]+\]$/;

/**
 * Resolves an expanded URL. `at` is the 0-based offset of the URL in the rule (for errors);
 * `defaultServer` is the DHCP-provided TFTP server, when known.
 */
export function resolveUrl(text: string, at: number, defaultServer?: string): ResolvedUrl {
  const schemeMatch = /^([a-z][a-z0-9+.-]*):\/\//i.exec(text);
  const scheme = (schemeMatch?.[1] ?? 'tftp').toLowerCase();
  // The schemes with a default port are exactly the rule's schemes (DOMAIN.md §1.6).
  if (defaultPort(scheme) === undefined) throw ruleError('unsupported scheme: use tftp, http or https', at, 'rule_url_error');
  const rest = text.slice(schemeMatch?.[0].length ?? 0);
  const slash = rest.indexOf('/');
  if (slash < 0) throw ruleError('the file path must be absolute: it must start with "/"', at, 'rule_url_error');
  const authority = rest.slice(0, slash);
  if (authority.includes('@')) throw ruleError('credentials in the URL are not accepted: use [--uid … --pwd …]', at, 'rule_url_error');
  const portMatch = /^(.*?)(?::(\d*))?$/.exec(authority) as RegExpExecArray;
  const host = ((portMatch[1] as string) || (defaultServer ?? '')).toLowerCase();
  if (host === '') throw ruleError('the URL names no server and no TFTP server is known from DHCP', at, 'rule_url_error');
  if (!HOST.test(host)) throw ruleError('the server name is not valid', at, 'rule_url_error');
  const port = portMatch[2] === undefined ? undefined : Number(portMatch[2]);
  if (port !== undefined && (port < 1 || port > 65535)) throw ruleError('the port must be a number from 1 to 65535', at, 'rule_url_error');
  let origin: Origin;
  try {
    origin = Origin.from({ scheme, host, ...(port === undefined ? {} : { port }) });
  } catch {
    // What HOST lets through and the URL parser refuses: a bracketed text that is no IPv6 address.
    throw ruleError('the server name is not valid', at, 'rule_url_error');
  }
  const path = rest.slice(slash);
  return { origin, path, url: `${String(origin)}${path}` };
}
