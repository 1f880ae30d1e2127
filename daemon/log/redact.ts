/**
 * The redaction registry (SPEC §6, issue 5): every secret the daemon loads or is given is
 * registered here, and the logger and the event builders pass all text through `redact`, so
 * a secret that slipped into a message comes out as `***`.
 */
const MIN_SECRET_LENGTH = 1;

export class Redactor {
  private readonly secrets = new Map<string, number>();

  /** Registers a secret (reference-counted, so two records sharing a value stay redacted). */
  add(secret: string | undefined): void {
    if (secret === undefined || secret.length < MIN_SECRET_LENGTH) return;
    this.secrets.set(secret, (this.secrets.get(secret) ?? 0) + 1);
  }

  remove(secret: string | undefined): void {
    if (secret === undefined) return;
    const count = this.secrets.get(secret);
    if (count === undefined) return;
    if (count <= 1) this.secrets.delete(secret);
    else this.secrets.set(secret, count - 1);
  }

  has(secret: string): boolean {
    return this.secrets.has(secret);
  }

  get size(): number {
    return this.secrets.size;
  }

  /** Replaces every registered secret in `text` by `***`, longest first. */
  redact(text: string): string {
    if (this.secrets.size === 0) return text;
    let out = text;
    const ordered = [...this.secrets.keys()].sort((a, b) => b.length - a.length);
    for (const secret of ordered) {
      if (out.includes(secret)) out = out.split(secret).join('***');
    }
    return out;
  }
}

/** The daemon's registry. One process, one set of secrets. */
export const secrets = new Redactor();

/**
 * Query parameter names whose values are credentials (`pwd`, `password`, `token`, `key`,
 * `secret`, `auth`, `sig`, `cred`, `session`, `sid`): URLs leave the daemon with these masked
 * (SPEC §8), whether the fetcher or the event log shows them.
 */
export const SECRET_QUERY_NAME = /pwd|pass|token|secret|key|auth|sig|cred|session|sid$/i;
