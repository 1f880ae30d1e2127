/**
 * The demo server's side of HTTP Digest (RFC 7616): challenges with SHA-256 and MD5 (the
 * server's preferred first, §3.7) and qop=auth, and verification of the client's answer.
 * The hashing is `computeDigest` from daemon/http, so the demo never reimplements it; what
 * is here is the server's bookkeeping: issued nonces, the nonce count (a replayed or unknown
 * nonce gets `stale=true`, §3.3, so the client retries without asking for a password again).
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { computeDigest, parseChallenges, type Challenge } from '../http/index.js';

export type Verdict =
  | { readonly ok: true; readonly user: string }
  | { readonly ok: false; readonly stale: boolean; readonly user?: string };

const ALGORITHMS = { MD5: 'MD5', 'SHA-256': 'SHA-256' } as const;
/** Issued nonces kept; older ones become stale. */
const MAX_NONCES = 256;

export class DigestGuard {
  readonly realm: string;
  private readonly users: ReadonlyMap<string, string>;
  private readonly opaque = randomBytes(8).toString('hex');
  /** nonce → highest nonce count seen (0: issued, never used). */
  private readonly nonces = new Map<string, number>();

  constructor(realm: string, users: Readonly<Record<string, string>>) {
    this.realm = realm;
    this.users = new Map(Object.entries(users));
  }

  /** The `WWW-Authenticate` values of a 401: SHA-256 first, then MD5, one fresh nonce. */
  challenges(stale = false): string[] {
    const nonce = randomBytes(16).toString('base64url');
    this.nonces.set(nonce, 0);
    if (this.nonces.size > MAX_NONCES) this.nonces.delete(this.nonces.keys().next().value!);
    const tail = `qop="auth", nonce="${nonce}", opaque="${this.opaque}"${stale ? ', stale=true' : ''}`;
    return Object.keys(ALGORITHMS).reverse().map((algorithm) => `Digest realm="${this.realm}", algorithm=${algorithm}, ${tail}`);
  }

  /** Checks an `Authorization` header for `method` and the request target `uri` as received. */
  verify(method: string, uri: string, header: string | undefined): Verdict {
    const p = digestParams(header);
    const username = p?.get('username');
    if (p === undefined || username === undefined) return { ok: false, stale: false };
    const refused: Verdict = { ok: false, stale: false, user: username };
    const algorithm = (p.get('algorithm') ?? 'MD5').toUpperCase();
    const password = this.users.get(username);
    const nc = Number.parseInt(p.get('nc') ?? '', 16);
    const [nonce, cnonce, response] = [p.get('nonce') ?? '', p.get('cnonce'), p.get('response') ?? ''];
    if (!(algorithm in ALGORITHMS) || p.get('realm') !== this.realm || p.get('qop') !== 'auth' || p.get('uri') !== uri) return refused;
    if (password === undefined || cnonce === undefined || !(nc > 0)) return refused;
    const seen = this.nonces.get(nonce);
    // An unknown nonce, or a count not above the last one (a replay), is stale, not wrong.
    if (seen === undefined || nc <= seen) return { ok: false, stale: true, user: username };
    const challenge = { realm: this.realm, nonce, opaque: undefined, hash: algorithm as keyof typeof ALGORITHMS, sess: false, qop: 'auth' as const, stale: false, userhash: false };
    const expected = Buffer.from(computeDigest({ challenge, username, password, method, uri, cnonce, nc }).response);
    const given = Buffer.from(response);
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return refused;
    this.nonces.set(nonce, nc);
    return { ok: true, user: username };
  }
}

/** The auth-params of a `Digest` Authorization header (same grammar as a challenge). */
function digestParams(header: string | undefined): ReadonlyMap<string, string> | undefined {
  let parsed: Challenge[];
  try {
    parsed = parseChallenges([header ?? '']);
  } catch {
    return undefined;
  }
  return parsed.find((c) => c.scheme === 'digest')?.params;
}
