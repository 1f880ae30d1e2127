/**
 * What travels on the daemon's bus. `event` carries a reportable event (SPEC §8) before the
 * event log gives it `seq`, `ts` and `device`; `recorded` carries it once journaled, which is what
 * the MQTT reporter and the display feed send on.
 */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

export const EVENT_TYPES = [
  'auth.challenge',
  'auth.success',
  'auth.failure',
  'auth.prompt',
  'auth.prompt.closed',
  'credentials.stored',
  'credentials.cleared',
  'tls.rejected',
  'trustcerts.installed',
  'trustcerts.refused',
  'trustcerts.removed',
  'resync.started',
  'resync.succeeded',
  'resync.failed',
  'resync.unchanged',
  'config.applied',
  'report.succeeded',
  'report.failed',
  'backup.succeeded',
  'backup.failed',
  'restore.succeeded',
  'restore.failed',
  'em.login',
  'em.logout',
  'vault.corrupted',
  'daemon.started',
  'daemon.stopping',
  'events.dropped',
] as const;
export type EventType = (typeof EVENT_TYPES)[number];

/** An event as a feature emits it: a type and named, non-secret fields. */
export interface EventInput {
  readonly type: EventType;
  readonly [field: string]: JsonValue | undefined;
}

/** An event as recorded: numbered, stamped and attributed (SPEC §8). */
export interface RecordedEvent {
  readonly v: 1;
  readonly seq: number;
  readonly ts: string;
  readonly device: string;
  readonly type: EventType;
  readonly [field: string]: JsonValue;
}

export interface DaemonEvents {
  /** A feature reports something; the event log numbers and stores it. */
  event: [EventInput];
  /** The event log recorded an event and it is in the journal (or its write failed); reporters send it on. */
  recorded: [RecordedEvent];
  /** Applied parameters changed (names only; values are read from the store). */
  'params.changed': [readonly string[]];
  /** The MQTT reporter connected (true) or lost the broker (false). */
  'mqtt.connection': [boolean];
}
