/**
 * Per-origin Digest state for pre-emptive answers (SPEC §4: an unchanged profile costs one
 * request) and the `nc` counter per nonce (RFC 7616 §3.4; sofia-sip and aioduct bugs in
 * RELIABILITY.md §2.5). State is keyed by the full origin and never shared across origins
 * (curl CVE-2026-11856).
 */
import type { Origin } from '../origin/index.js';
import { parseChallenges } from './challenge.js';
import type { DigestChallenge } from './digest.js';

export interface DigestSession {
  readonly challenge: DigestChallenge;
  /** Same cnonce for the life of a nonce: -sess H(A1) depends on it (RFC 7616 §3.4.2). */
  readonly cnonce: string;
  nc: number;
}

export class DigestCache {
  private readonly sessions = new Map<string, DigestSession>();
  private readonly newCnonce: () => string;

  constructor(newCnonce: () => string) {
    this.newCnonce = newCnonce;
  }

  get(origin: Origin): DigestSession | undefined {
    return this.sessions.get(String(origin));
  }

  /** Starts counting for a challenge; a repeated nonce keeps its counter. */
  adopt(origin: Origin, challenge: DigestChallenge): DigestSession {
    const known = this.get(origin);
    if (known && known.challenge.nonce === challenge.nonce && known.challenge.realm === challenge.realm) return known;
    const session: DigestSession = { challenge, cnonce: this.newCnonce(), nc: 0 };
    this.sessions.set(String(origin), session);
    return session;
  }

  /** `Authentication-Info: nextnonce` (RFC 7616 §3.5): the next request uses the new nonce. */
  rotate(origin: Origin, nextnonce: string): void {
    const known = this.get(origin);
    if (known && known.challenge.nonce !== nextnonce) this.adopt(origin, { ...known.challenge, nonce: nextnonce, stale: false });
  }

  forget(origin: Origin): void {
    this.sessions.delete(String(origin));
  }
}

/** The `nextnonce` of an `Authentication-Info` header (auth-params, as in a challenge), if usable. */
export function nextNonce(header: string | undefined): string | undefined {
  if (header === undefined) return undefined;
  try {
    return parseChallenges([`Info ${header}`])[0]?.params.get('nextnonce') || undefined;
  } catch {
    // A malformed Authentication-Info only loses the pre-emptive shortcut.
    return undefined;
  }
}
