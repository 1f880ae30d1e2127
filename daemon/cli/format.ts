/**
 * Human output of provisionctl: what a technician reads at a glance. Pure functions from the
 * daemon's JSON to lines; `--json` bypasses them.
 */
/** What the daemon sent, read field by field: every shape the daemon can answer with. */
type Json = unknown;
type JsonObject = { readonly [key: string]: unknown };

function isObject(value: Json): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function field(value: Json, ...path: string[]): Json {
  let here: Json = value;
  for (const key of path) here = isObject(here) ? here[key] : undefined;
  return here;
}

function text(value: Json): string {
  if (value === undefined || value === null || value === '') return '-';
  return typeof value === 'string' ? value : JSON.stringify(value);
}

function time(value: Json): string {
  return typeof value === 'string' && value.length >= 16 ? value.slice(0, 16).replace('T', ' ') : text(value);
}

/** `status`: one aligned line per concern. */
export function formatStatus(status: Json): string {
  const device = field(status, 'device');
  const details = ['model', 'extension', 'ip'].map((key) => field(device, key)).filter((v): v is string => typeof v === 'string' && v !== '');
  const last = field(status, 'resync', 'last');
  const running = field(status, 'resync', 'running') === true;
  const resync = running ? 'running' : last ? `${text(field(last, 'outcome'))} ${time(field(last, 'at'))}` : 'never';
  const next = field(status, 'resync', 'next');
  const em = field(status, 'em');
  const emState = field(em, 'state');
  const prompt = field(status, 'prompt');
  const rows: [string, string][] = [
    ['Device', text(field(device, 'id')) + (details.length ? ` (${details.join(', ')})` : '')],
    ['Resync', resync + (next ? `, next ${time(next)}` : '')],
    ['Mobility', field(em, 'enabled') === true ? (emState === 'mobile' ? `logged in as ${text(field(em, 'user'))}` : 'not logged in') : 'off'],
    ['Dashboard', field(status, 'mqtt', 'connected') === true ? 'connected' : 'not connected'],
    ['Prompt', prompt ? `${text(field(prompt, 'kind'))} (answer with: provisionctl answer --user NAME)` : 'none'],
  ];
  // Only trouble is worth a line: a feature that failed to start or stopped working.
  const features = field(status, 'features');
  const failed = (Array.isArray(features) ? (features as unknown[]) : []).filter((f) => field(f, 'state') === 'failed');
  if (failed.length > 0) rows.push(['Features', failed.map((f) => `${text(field(f, 'name'))} failed (${text(field(f, 'error', 'code'))})`).join(', ')]);
  return rows.map(([label, value]) => `${label.padEnd(10)} ${value}`).join('\n');
}

/** One event on one line: time, seq, type, then its fields. */
export function formatEvent(event: Json): string {
  const skip = new Set(['v', 'seq', 'ts', 'device', 'type']);
  const extra = isObject(event) ? Object.entries(event).filter(([key]) => !skip.has(key)).map(([key, value]) => `${key}=${text(value)}`) : [];
  return [time(field(event, 'ts')), `#${text(field(event, 'seq'))}`, text(field(event, 'type')), ...extra].join(' ');
}

/** Any other result: `NAME=value` lines for an object, one line per item for a list. */
export function formatData(data: Json): string {
  if (Array.isArray(data)) return data.map((item) => (isObject(item) ? Object.entries(item).map(([k, v]) => `${k}=${text(v)}`).join(' ') : text(item))).join('\n');
  if (isObject(data)) return Object.entries(data).map(([key, value]) => `${key}=${text(value)}`).join('\n');
  return text(data);
}

/**
 * `trust` for a technician (SPEC §8): each trust anchor and TRUSTCERTS certificate with
 * subject, issuer, expiry and SHA-256 fingerprint, then the files that were skipped and why.
 * A field that is missing or not text prints empty.
 */
export function formatTrust(data: Json): string {
  const rows = (value: Json): JsonObject[] => (Array.isArray(value) ? (value as Json[]).filter(isObject) : []);
  const str = (value: Json): string => (typeof value === 'string' ? value : '');
  const certificates = rows(field(data, 'certificates'));
  const lines: string[] = [];
  for (const c of certificates) {
    lines.push(`${str(c.origin) === 'trustcerts' ? 'TRUSTCERTS' : 'anchor    '}  ${str(c.subject)}`);
    lines.push(`  issuer    ${str(c.issuer)}`, `  expires   ${str(c.notAfter)}`, `  sha256    ${str(c.fingerprint256)}`, `  source    ${str(c.source)}`);
  }
  if (certificates.length === 0) lines.push('no trusted certificates: every https server is refused');
  for (const p of rows(field(data, 'problems'))) lines.push(`skipped     ${str(p.message)} (${str(p.code)})`);
  return lines.join('\n');
}
