/**
 * Macro variables the resync engine fills (DOMAIN §1.8): device facts, provisioning state,
 * and the parts of the URL being requested. Pure.
 */

const DEFAULT_PORTS: Readonly<Record<string, string>> = { http: '80', https: '443', tftp: '69' };

/**
 * `$SCHEME` (lower case, SPEC §3 decision), its deprecated alias `$METH`, `$SERV`, `$SERVIP`
 * (the address actually connected to, after DNS), `$PORT` (default resolved) and `$PATH`.
 */
export function urlVars(url: string, serverIp: string): Record<string, string> {
  const parsed = new URL(url);
  const scheme = parsed.protocol.replace(/:$/, '').toLowerCase();
  return {
    SCHEME: scheme,
    METH: scheme,
    SERV: stripBrackets(parsed.hostname),
    SERVIP: serverIp,
    PORT: parsed.port || (DEFAULT_PORTS[scheme] ?? ''),
    PATH: parsed.pathname + parsed.search,
  };
}

export function hostOf(url: string): string {
  return stripBrackets(new URL(url).hostname);
}

/** `scheme://host:port` with the default port spelled out, the vault's origin form (SPEC §6). */
export function originOf(url: string): string {
  const parsed = new URL(url);
  const scheme = parsed.protocol.replace(/:$/, '').toLowerCase();
  return `${scheme}://${parsed.hostname}:${parsed.port || (DEFAULT_PORTS[scheme] ?? '')}`;
}

function stripBrackets(host: string): string {
  return host.startsWith('[') ? host.slice(1, -1) : host;
}
