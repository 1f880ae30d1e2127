/**
 * `provisionctl trust` for a technician (SPEC §8): each trust anchor and TRUSTCERTS
 * certificate with subject, issuer, expiry and SHA-256 fingerprint, then the files that were
 * skipped and why. Reads the daemon's `trust` answer (`DaemonBackend.trustDetails`).
 */
type Row = { readonly [key: string]: unknown };

const isRow = (value: unknown): value is Row => typeof value === 'object' && value !== null && !Array.isArray(value);
const rows = (value: unknown): Row[] => (Array.isArray(value) ? (value as unknown[]).filter(isRow) : []);
const str = (value: unknown): string => (typeof value === 'string' ? value : '');

/** Tolerant of what it reads: a field that is missing or not text prints empty. */
export function formatTrust(data: unknown): string {
  const answer = isRow(data) ? data : {};
  const certificates = rows(answer.certificates);
  const lines: string[] = [];
  for (const c of certificates) {
    lines.push(`${str(c.origin) === 'trustcerts' ? 'TRUSTCERTS' : 'anchor    '}  ${str(c.subject)}`);
    lines.push(`  issuer    ${str(c.issuer)}`, `  expires   ${str(c.notAfter)}`, `  sha256    ${str(c.fingerprint256)}`, `  source    ${str(c.source)}`);
  }
  if (certificates.length === 0) lines.push('no trusted certificates: every https server is refused');
  for (const p of rows(answer.problems)) lines.push(`skipped     ${str(p.message)} (${str(p.code)})`);
  return lines.join('\n');
}
