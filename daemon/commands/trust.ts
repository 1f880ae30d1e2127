/** `trust` (SPEC §6): the certificates the daemon trusts and the files it could not read. */
import { NO_ARGS } from './args.js';
import type { TrustedCertificate } from '../tls/index.js';
import { LOCAL, command } from './spec.js';

export type TrustResult = {
  readonly certificates: readonly TrustedCertificate[];
  readonly problems: readonly { readonly code: string; readonly message: string }[];
};

export const trust = command<Record<string, never>, TrustResult>({
  args: NO_ARGS,
  transports: LOCAL,
  handler: async (_args, ctx) => {
    const store = ctx.trust();
    return {
      certificates: store.certificates.map((c) => ({ origin: c.origin, source: c.source, subject: c.subject, issuer: c.issuer, notBefore: c.notBefore, notAfter: c.notAfter, fingerprint256: c.fingerprint256 })),
      problems: store.problems.map((p) => ({ code: p.code, message: p.message })),
    };
  },
});
