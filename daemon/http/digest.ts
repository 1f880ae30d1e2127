/**
 * HTTP Digest (RFC 7616, DOMAIN.md §4): reading a `Digest` challenge, choosing among several,
 * and computing the `Authorization` value. Pure: the cnonce comes from the caller.
 */
import { createHash } from 'node:crypto';
import { ProvisiondError } from '../errors/index.js';
import type { Challenge } from './challenge.js';

export const DIGEST_ALGORITHMS = ['MD5', 'SHA-256', 'SHA-512-256'] as const;
export type DigestHash = (typeof DIGEST_ALGORITHMS)[number];
export type Qop = 'auth' | 'auth-int';

const NODE_HASH: Record<DigestHash, string> = { MD5: 'md5', 'SHA-256': 'sha256', 'SHA-512-256': 'sha512-256' };

export interface DigestChallenge {
  readonly realm: string;
  readonly nonce: string;
  readonly opaque: string | undefined;
  readonly hash: DigestHash;
  readonly sess: boolean;
  /** The qop we will answer with: `auth` when offered (curl, RELIABILITY.md §1.1), else `auth-int`. */
  readonly qop: Qop | undefined;
  readonly stale: boolean;
  readonly userhash: boolean;
}

function invalid(reason: string): ProvisiondError {
  return new ProvisiondError('auth_challenge_invalid', `the server's Digest challenge is unusable: ${reason}`);
}

/** The algorithm name as the challenge spells it, or undefined when we do not implement it. */
export function readAlgorithm(value: string | undefined): { hash: DigestHash; sess: boolean } | undefined {
  // Absent means MD5 (RFC 7616 §3.3; neon#88). `SHA-512/256` is a seen alias (AHC-2089).
  const name = (value ?? 'MD5').toUpperCase().replace('SHA-512/256', 'SHA-512-256');
  const sess = name.endsWith('-SESS');
  const base = sess ? name.slice(0, -'-SESS'.length) : name;
  const hash = DIGEST_ALGORITHMS.find((candidate) => candidate === base);
  return hash === undefined ? undefined : { hash, sess };
}

/**
 * Reads a Digest challenge. Returns undefined for an algorithm we do not implement (such a
 * challenge is never answered, and never answered with MD5 instead: RELIABILITY.md §2.5).
 */
export function readDigestChallenge(challenge: Challenge): DigestChallenge | undefined {
  const p = challenge.params;
  const algorithm = readAlgorithm(p.get('algorithm'));
  if (algorithm === undefined) return undefined;
  const nonce = p.get('nonce');
  if (!nonce) throw invalid('no nonce');
  const realm = p.get('realm');
  if (realm === undefined) throw invalid('no realm');
  const offered = (p.get('qop') ?? '').split(',').map((token) => token.trim().toLowerCase());
  const qop: Qop | undefined = offered.includes('auth') ? 'auth' : offered.includes('auth-int') ? 'auth-int' : undefined;
  if (p.has('qop') && qop === undefined) return undefined;
  if (algorithm.sess && qop === undefined) throw invalid('a -sess algorithm without qop');
  return {
    realm,
    nonce,
    opaque: p.get('opaque'),
    ...algorithm,
    qop,
    stale: p.get('stale')?.toLowerCase() === 'true',
    userhash: p.get('userhash')?.toLowerCase() === 'true',
  };
}

const STRENGTH: Record<DigestHash, number> = { MD5: 0, 'SHA-256': 1, 'SHA-512-256': 2 };

/** The strongest supported Digest challenge; among equals, the server's first (RFC 7616 §3.7). */
export function strongestDigest(challenges: readonly Challenge[]): DigestChallenge | undefined {
  let best: DigestChallenge | undefined;
  let firstProblem: Error | undefined;
  for (const challenge of challenges) {
    if (challenge.scheme !== 'digest') continue;
    // One malformed challenge (no nonce…) does not hide a usable one beside it (RFC 9110
    // §11.6.1: a client picks among the challenges it understands); only when none is usable
    // is the first problem reported.
    let digest: DigestChallenge | undefined;
    try {
      digest = readDigestChallenge(challenge);
    } catch (err) {
      firstProblem ??= err as Error;
      continue;
    }
    if (digest && (best === undefined || STRENGTH[digest.hash] > STRENGTH[best.hash])) best = digest;
  }
  if (best === undefined && firstProblem !== undefined) throw firstProblem;
  return best;
}

export function hashHex(hash: DigestHash, data: string | Uint8Array): string {
  return createHash(NODE_HASH[hash]).update(data).digest('hex');
}

export interface DigestInput {
  readonly challenge: DigestChallenge;
  readonly username: string;
  readonly password: string;
  readonly method: string;
  /** The request target exactly as sent (path and query; RELIABILITY.md §2.4, curl 2076). */
  readonly uri: string;
  readonly cnonce: string;
  /** 1 for the first request with this nonce. */
  readonly nc: number;
  /** The exact body bytes, for auth-int. */
  readonly body?: Uint8Array;
}

export interface DigestComputation {
  readonly ha1: string;
  readonly ha2: string;
  readonly response: string;
  readonly nc: string;
}

/** RFC 7616 §3.4.1–3.4.3 (DOMAIN.md §4.3); strings are hashed as UTF-8. */
export function computeDigest(input: DigestInput): DigestComputation {
  const { challenge: c } = input;
  const h = (data: string | Uint8Array): string => hashHex(c.hash, data);
  let ha1 = h(`${input.username}:${c.realm}:${input.password}`);
  if (c.sess) ha1 = h(`${ha1}:${c.nonce}:${input.cnonce}`);
  const a2 = c.qop === 'auth-int' ? `${input.method}:${input.uri}:${h(input.body ?? new Uint8Array())}` : `${input.method}:${input.uri}`;
  const ha2 = h(a2);
  const nc = input.nc.toString(16).padStart(8, '0');
  const response = c.qop === undefined ? h(`${ha1}:${c.nonce}:${ha2}`) : h(`${ha1}:${c.nonce}:${nc}:${input.cnonce}:${c.qop}:${ha2}`);
  return { ha1, ha2, response, nc };
}

/** RFC 9110 §5.6.4: a quoted-string with `"` and `\` escaped (curl tests 1095, 1229). */
export function quote(value: string): string {
  return `"${value.replace(/["\\]/g, (ch) => `\\${ch}`)}"`;
}

/** A name that cannot travel as a quoted-string goes as `username*` (RFC 7616 §3.4.4, RFC 8187). */
function usernameField(input: DigestInput): string {
  const c = input.challenge;
  if (c.userhash) return `username=${quote(hashHex(c.hash, `${input.username}:${c.realm}`))}`;
  if (/^[\x20-\x7e]*$/.test(input.username)) return `username=${quote(input.username)}`;
  return `username*=UTF-8''${encodeURIComponent(input.username).replace(/['()*!]/g, (ch) => `%${ch.charCodeAt(0).toString(16).toUpperCase()}`)}`;
}

/** The complete `Authorization` header value. */
export function digestAuthorization(input: DigestInput): string {
  const c = input.challenge;
  const { response, nc } = computeDigest(input);
  const algorithm = c.hash + (c.sess ? '-sess' : '');
  const parts = [usernameField(input), `realm=${quote(c.realm)}`, `uri=${quote(input.uri)}`, `algorithm=${algorithm}`, `nonce=${quote(c.nonce)}`];
  if (c.qop !== undefined) parts.push(`nc=${nc}`, `cnonce=${quote(input.cnonce)}`, `qop=${c.qop}`);
  parts.push(`response=${quote(response)}`);
  if (c.opaque !== undefined) parts.push(`opaque=${quote(c.opaque)}`);
  if (c.userhash) parts.push('userhash=true');
  return `Digest ${parts.join(', ')}`;
}
