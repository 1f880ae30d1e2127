/**
 * The origin of a URL: scheme, host and port (RFC 6454 §4). It is the boundary that decides
 * where a credential may go and which stored secret or Digest state belongs to a server
 * (SPEC §4, §6; RELIABILITY.md §1.4), so it is made once, normalised once, and compared one
 * way: `Origin.of(url)` where a URL is read, `Origin.from(parts)` where the parts were already
 * read (a profile rule, a vault file). `toString()` is the one spelling that events, prompts
 * and messages show: `https://prov.example.test:443`, the port always written.
 */
import { ProvisiondError } from '../errors/index.js';

/** The one default-port table (DOMAIN.md §1.6: no port means 69, 80 or 443). */
const DEFAULT_PORTS: Readonly<Record<string, number>> = { tftp: 69, http: 80, https: 443 };

const SCHEME = /^[a-z][a-z0-9+.-]*$/;
/** What cannot be part of a host name or address: it would end the authority (RFC 3986 §3.2). */
const NOT_HOST = /[\s/?#@\\[\]]/;

/** An origin that cannot be made; `where.path` names the part (`url`, `scheme`, `host`, `port`), never the URL, which may hold userinfo. */
export class OriginError extends ProvisiondError {
  constructor(part: 'url' | 'scheme' | 'host' | 'port', message: string) {
    super('url_invalid', message, { path: part });
  }
}

/** The default port of a scheme; undefined when none is known (then a URL must name one). */
export function defaultPort(scheme: string): number | undefined {
  return Object.hasOwn(DEFAULT_PORTS, scheme) ? DEFAULT_PORTS[scheme] : undefined;
}

export interface OriginParts {
  readonly scheme: string;
  /** A name or address; an IPv6 address with or without its brackets. */
  readonly host: string;
  /** Absent: the scheme's default port. */
  readonly port?: number;
}

export class Origin {
  readonly scheme: string;
  /** Lower case; an IPv6 address in brackets, as in a URL (`[2001:db8::1]`). */
  readonly host: string;
  readonly port: number;
  /** `scheme://host:port`: what makes two origins the same, and how one is shown. */
  readonly #spelling: string;

  private constructor(scheme: string, host: string, port: number) {
    this.scheme = scheme;
    this.host = host;
    this.port = port;
    this.#spelling = `${scheme}://${host}:${port}`;
    Object.freeze(this);
  }

  /** The origin of a URL; userinfo, path, query and fragment are not part of it. */
  static of(url: string | URL): Origin {
    let parsed: URL;
    try {
      parsed = typeof url === 'string' ? new URL(url) : url;
    } catch {
      throw new OriginError('url', 'the URL cannot be parsed');
    }
    return Origin.from({ scheme: parsed.protocol.slice(0, -1), host: parsed.hostname, ...(parsed.port === '' ? {} : { port: Number(parsed.port) }) });
  }

  /** Lower-cases scheme and host (RFC 3986 §3.1, §3.2.2), fills in the default port, brackets IPv6. */
  static from(parts: OriginParts): Origin {
    const scheme = parts.scheme.toLowerCase();
    if (!SCHEME.test(scheme)) throw new OriginError('scheme', 'the scheme is not a URL scheme');
    const port = parts.port ?? defaultPort(scheme);
    if (port === undefined) throw new OriginError('port', `the URL must name a port: no default is known for ${scheme}`);
    if (!Number.isInteger(port) || port < 1 || port > 65535) throw new OriginError('port', 'the port must be a number from 1 to 65535');
    return new Origin(scheme, canonicalHost(scheme, parts.host), port);
  }

  /** The host without IPv6 brackets, as `$SERV` shows it and a DNS lookup takes it. */
  get bareHost(): string {
    return this.host.replace(/^\[(.*)\]$/, '$1');
  }

  /** The one comparison: same scheme, host and port. */
  equals(other: Origin | undefined): boolean {
    return other !== undefined && other.#spelling === this.#spelling;
  }

  /** `scheme://host:port`, the port always written, so `https://a` and `https://a:443` agree. */
  toString(): string {
    return this.#spelling;
  }
}

/**
 * The WHATWG URL parser's spelling of the host (IPv4 and IPv6 canonical, names in punycode for
 * http and https), lower-cased for the other schemes, whose hosts the parser keeps opaque.
 */
function canonicalHost(scheme: string, host: string): string {
  const inner = host.replace(/^\[(.*)\]$/, '$1');
  if (inner === '') throw new OriginError('host', 'the URL names no host');
  if (NOT_HOST.test(inner)) throw new OriginError('host', 'the host is not a valid name or address');
  let parsed: string;
  try {
    parsed = new URL(`${scheme}://${inner.includes(':') ? `[${inner}]` : inner}/`).hostname;
  } catch {
    throw new OriginError('host', 'the host is not a valid name or address');
  }
  return parsed.toLowerCase();
}
