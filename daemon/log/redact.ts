/**
 * The redaction registry (SPEC §6): the app owns one and hands it to every module
 * that holds a secret or writes text that leaves the daemon. A module registers a secret
 * while it holds it and releases it with the handle `add` returned; the logger and the event
 * builders pass all text through `redact`, so a secret that slipped into a message comes out
 * as `***`.
 *
 * Secrets shorter than MIN_SECRET_LENGTH are not registered: replacing every `e` or `42` in
 * every log line would destroy the log without hiding anything (a one-character password is
 * guessed faster than it is read). Longer than MAX_SECRET_LENGTH is not a secret any input
 * can carry (feed and MQTT strings are capped far below), and at most MAX_SECRETS values are
 * held, so no client can make cleaning a line cost more than one bounded pattern.
 */
export const MIN_SECRET_LENGTH = 4;
/** A PEM private key of an RSA-4096 broker client certificate still fits. */
export const MAX_SECRET_LENGTH = 4096;
export const MAX_SECRETS = 1024;

/** Releases one registration; calling it again does nothing. */
export type Release = () => void;

const NOTHING: Release = () => undefined;

export class Redactor {
  private readonly secrets = new Map<string, number>();
  /** The alternation of every secret, longest first; rebuilt only when the set changes. */
  private pattern: RegExp | undefined;

  /**
   * Registers a secret (reference-counted, so two holders of one value keep it redacted until
   * both release it). Returns the release handle; a value that cannot be registered (too
   * short, too long, registry full) gets a handle that does nothing.
   */
  add(secret: string | undefined): Release {
    if (secret === undefined || secret.length < MIN_SECRET_LENGTH) return NOTHING;
    const count = this.secrets.get(secret);
    if (count === undefined && (secret.length > MAX_SECRET_LENGTH || this.secrets.size >= MAX_SECRETS)) return NOTHING;
    this.secrets.set(secret, (count ?? 0) + 1);
    if (count === undefined) this.pattern = undefined;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.remove(secret);
    };
  }

  /** Drops one registration of `secret`, for a holder that keeps values rather than handles (the vault table). */
  remove(secret: string | undefined): void {
    if (secret === undefined) return;
    const count = this.secrets.get(secret);
    if (count === undefined) return;
    if (count > 1) {
      this.secrets.set(secret, count - 1);
      return;
    }
    this.secrets.delete(secret);
    this.pattern = undefined;
  }

  has(secret: string): boolean {
    return this.secrets.has(secret);
  }

  get size(): number {
    return this.secrets.size;
  }

  /** Replaces every registered secret in `text` by `***`, the longest first where two overlap. */
  redact(text: string): string {
    if (this.secrets.size === 0) return text;
    this.pattern ??= new RegExp([...this.secrets.keys()].sort((a, b) => b.length - a.length).map(escape).join('|'), 'g');
    return text.replace(this.pattern, '***');
  }
}

function escape(literal: string): string {
  return literal.replace(/[\\^$.*+?()[\]{}|/]/g, '\\$&');
}

/**
 * Query parameter names whose values are credentials (`pwd`, `password`, `token`, `key`,
 * `secret`, `auth`, `sig`, `cred`, `session`, `sid`): URLs leave the daemon with these masked
 * (SPEC §8), whether the fetcher or the event log shows them.
 */
export const SECRET_QUERY_NAME = /pwd|pass|token|secret|key|auth|sig|cred|session|sid$/i;
