/**
 * The event schema of SPEC §8, as an allowlist (STYLE §12): each type names the fields it may
 * carry; anything else a feature put on the event is dropped, so a secret added by mistake to
 * an event object never leaves the daemon. Every string passes through the redactor and has
 * the URLs in it scrubbed (`url.ts`).
 */
import type { EventInput, EventType, JsonValue, RecordedEvent } from '../bus/index.js';
import type { Redactor } from '../log/index.js';
import { scrubUrlsInText } from './url.js';

/** Auth events carry these, never a secret (SPEC §8). */
const AUTH = ['operation', 'url', 'realm', 'scheme', 'algorithm', 'source'] as const;
/** What a failed operation says about itself: a stable code and a message without secrets. */
const FAILURE = ['url', 'code', 'message', 'reason'] as const;

export const EVENT_FIELDS: Readonly<Record<EventType, readonly string[]>> = {
  'auth.challenge': [...AUTH, 'attempt'],
  'auth.success': [...AUTH],
  // reason: rejected, no-credentials, cancelled, timeout, retries-exhausted
  'auth.failure': [...AUTH, 'reason', 'status'],
  'auth.prompt': ['id', 'kind', 'operation', 'url', 'realm', 'timeoutSeconds'],
  'auth.prompt.closed': ['id', 'kind', 'outcome'],
  'credentials.stored': ['operation', 'url', 'realm', 'source'],
  'credentials.cleared': ['operation', 'url', 'realm', 'reason'],
  'tls.rejected': ['operation', 'url', 'reason', 'subject', 'issuer', 'code'],
  // TRUSTCERTS (SPEC §6): a file installed, refused with its reason (kept: the copy installed
  // before stays), or removed because the list no longer names it.
  'trustcerts.installed': ['name', 'url', 'subject', 'notAfter', 'fingerprint256'],
  'trustcerts.refused': [...FAILURE, 'name', 'status', 'kept'],
  'trustcerts.removed': ['name', 'url'],
  'resync.started': ['url', 'trigger'],
  // message: the profile's last Log_Resync_* line, if any (written for the administrator)
  'resync.succeeded': ['url', 'status', 'message', 'durationMs', 'changed'],
  'resync.failed': [...FAILURE, 'status', 'retryInSeconds'],
  'resync.unchanged': ['url', 'status', 'message'],
  // changed parameter names (SPEC §8)
  'config.applied': ['changed', 'source', 'ignored'],
  // The configuration report (DOMAIN §1.10); trigger: demand, periodic, local-change
  'report.succeeded': ['url', 'status', 'bytes', 'encrypted', 'trigger'],
  'report.failed': [...FAILURE, 'status', 'trigger'],
  'backup.succeeded': ['url', 'bytes', 'trigger'],
  'backup.failed': [...FAILURE, 'status'],
  'restore.succeeded': ['url', 'bytes', 'changed', 'trigger'],
  'restore.failed': [...FAILURE, 'status'],
  'em.login': ['user', 'extension', 'url'],
  'em.logout': ['user', 'extension', 'reason'],
  'vault.corrupted': ['reason', 'code', 'path'],
  'daemon.started': ['version', 'pid', 'node'],
  'daemon.stopping': ['reason', 'signal'],
  'events.dropped': ['count'],
};

/** Longest string kept in an event; longer ones are cut (an event is a report, not a dump). */
export const MAX_STRING = 1024;
const MAX_DEPTH = 4;
const MAX_ITEMS = 256;

/** The recorded form of `input`: stamped, allowlisted, redacted. */
export function buildEvent(input: EventInput, stamp: Pick<RecordedEvent, 'seq' | 'ts' | 'device'>, redactor: Redactor): RecordedEvent {
  const event: Record<string, JsonValue> = { v: 1, seq: stamp.seq, ts: stamp.ts, device: stamp.device, type: input.type };
  for (const field of EVENT_FIELDS[input.type]) {
    const value = clean(input[field], redactor, 0);
    if (value !== undefined) event[field] = value;
  }
  return event as unknown as RecordedEvent;
}

function clean(value: JsonValue | undefined, redactor: Redactor, depth: number): JsonValue | undefined {
  if (value === undefined) return undefined;
  if (typeof value === 'string') return redactor.redact(scrubUrlsInText(value)).slice(0, MAX_STRING);
  if (typeof value === 'number') return Number.isFinite(value) ? value : null;
  if (typeof value !== 'object' || value === null) return value;
  if (depth >= MAX_DEPTH) return undefined;
  if (Array.isArray(value)) {
    return value.slice(0, MAX_ITEMS).flatMap((item) => {
      const cleaned = clean(item, redactor, depth + 1);
      return cleaned === undefined ? [] : [cleaned];
    });
  }
  const out: Record<string, JsonValue> = {};
  for (const [key, item] of Object.entries(value).slice(0, MAX_ITEMS)) {
    const cleaned = clean(item, redactor, depth + 1);
    if (cleaned !== undefined) out[redactor.redact(key)] = cleaned;
  }
  return out;
}
