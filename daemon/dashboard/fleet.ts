/**
 * The fleet view's model (SPEC §8): what the dashboard process knows about every phone, built
 * only from what the phones publish under `<prefix>/+/` (SPEC §8) — retained `status` and
 * `state`, and `events/<type>`. Pure: the caller feeds messages and the time; nothing here
 * does I/O. Broker input is untrusted: oversized or malformed payloads are ignored, events are
 * de-duplicated by device and `seq` (delivery is at least once), and only named fields of the
 * state document are copied.
 */
import type { JsonValue } from '../bus/index.js';

/** A payload larger than this is ignored (a phone's event or state is a few hundred bytes). */
export const MAX_PAYLOAD_BYTES = 64 * 1024;
/** How many recent events the view keeps for the live list. */
export const RECENT_EVENTS = 500;
/** The window of the TLS rejection and auth failure counts. */
export const WINDOW_MS = 60 * 60 * 1000;
/** Seqs remembered per device for de-duplication. */
const SEEN_PER_DEVICE = 2048;
const MAX_DEVICES = 10_000;

export type FleetEvent = { readonly [field: string]: JsonValue } & { readonly device: string; readonly seq: number; readonly type: string; readonly ts: string };

export interface OpenPrompt {
  readonly id: string;
  readonly kind: string;
  readonly operation: string | null;
  readonly realm: string | null;
}

export interface LastResync {
  readonly at: string | null;
  readonly outcome: string;
  readonly error: string | null;
}

/** One phone as the page shows it. */
export interface DeviceView {
  readonly device: string;
  /** null until a `status` arrived. */
  readonly online: boolean | null;
  readonly lastResync: LastResync | null;
  readonly nextResync: string | null;
  readonly resyncRunning: boolean;
  readonly em: string | null;
  readonly prompts: readonly OpenPrompt[];
  /** `tls.rejected` events of the last hour. */
  readonly tlsRejections: number;
  /** `auth.failure` events of the last hour. */
  readonly authFailures: number;
  readonly lastSeq: number | null;
}

interface DeviceRecord {
  online: boolean | null;
  state: { lastResync: LastResync | null; nextResync: string | null; running: boolean; em: string | null } | null;
  prompts: Map<string, OpenPrompt>;
  tls: number[];
  auth: number[];
  seen: Set<number>;
  lastSeq: number | null;
}

export type FleetChange = { readonly kind: 'device'; readonly view: DeviceView } | { readonly kind: 'event'; readonly event: FleetEvent; readonly view: DeviceView };

export class Fleet {
  private readonly prefix: string;
  private readonly devices = new Map<string, DeviceRecord>();
  private readonly recent: FleetEvent[] = [];

  constructor(prefix: string) {
    this.prefix = prefix.replace(/\/+$/, '');
  }

  /** Applies one MQTT message; returns what changed, or undefined when it was ignored. */
  apply(topic: string, payload: Uint8Array, now: number): FleetChange | undefined {
    if (payload.byteLength > MAX_PAYLOAD_BYTES || !topic.startsWith(`${this.prefix}/`)) return undefined;
    const [device, channel, type, ...rest] = topic.slice(this.prefix.length + 1).split('/');
    if (!device || rest.length > 0) return undefined;
    const text = Buffer.from(payload).toString('utf8');
    if (channel === 'status' && type === undefined) return this.status(device, text, now);
    if (channel === 'state' && type === undefined) return this.state(device, text, now);
    if (channel === 'events' && type !== undefined) return this.event(device, type, text, now);
    return undefined;
  }

  views(now: number): DeviceView[] {
    return [...this.devices.keys()].sort().map((device) => this.view(device, now));
  }

  events(): readonly FleetEvent[] {
    return this.recent;
  }

  private record(device: string): DeviceRecord | undefined {
    let record = this.devices.get(device);
    if (!record) {
      if (this.devices.size >= MAX_DEVICES) return undefined;
      record = { online: null, state: null, prompts: new Map(), tls: [], auth: [], seen: new Set(), lastSeq: null };
      this.devices.set(device, record);
    }
    return record;
  }

  private status(device: string, text: string, now: number): FleetChange | undefined {
    if (text !== 'online' && text !== 'offline') return undefined;
    const record = this.record(device);
    if (!record) return undefined;
    record.online = text === 'online';
    return { kind: 'device', view: this.view(device, now) };
  }

  private state(device: string, text: string, now: number): FleetChange | undefined {
    const doc = parseObject(text);
    if (!doc) return undefined;
    const record = this.record(device);
    if (!record) return undefined;
    const resync = asObject(doc.resync);
    const last = asObject(resync?.last);
    record.state = {
      lastResync: last ? { at: asString(last.at), outcome: asString(last.outcome) ?? 'unknown', error: asString(last.error) } : null,
      nextResync: asString(resync?.next),
      running: resync?.running === true,
      em: asString(asObject(doc.em)?.state),
    };
    return { kind: 'device', view: this.view(device, now) };
  }

  private event(device: string, type: string, text: string, now: number): FleetChange | undefined {
    const event = parseObject(text);
    if (!event || event.type !== type || event.device !== device || typeof event.ts !== 'string') return undefined;
    const seq = event.seq;
    if (typeof seq !== 'number' || !Number.isSafeInteger(seq) || seq < 1) return undefined;
    const record = this.record(device);
    if (!record || record.seen.has(seq)) return undefined;
    record.seen.add(seq);
    if (record.seen.size > SEEN_PER_DEVICE) record.seen.delete(record.seen.values().next().value!);
    record.lastSeq = Math.max(record.lastSeq ?? 0, seq);
    const at = Date.parse(event.ts);
    const when = Number.isFinite(at) ? at : now;
    switch (type) {
      case 'tls.rejected':
        record.tls.push(when);
        break;
      case 'auth.failure':
        record.auth.push(when);
        break;
      case 'auth.prompt': {
        const id = asString(event.id);
        if (id !== null) record.prompts.set(id, { id, kind: asString(event.kind) ?? 'prompt', operation: asString(event.operation), realm: asString(event.realm) });
        break;
      }
      case 'auth.prompt.closed':
        record.prompts.delete(asString(event.id) ?? '');
        break;
      case 'daemon.started':
        // Prompts live in the daemon's memory: a restart closed them all.
        record.prompts.clear();
        break;
    }
    const recorded = event as FleetEvent;
    this.recent.push(recorded);
    if (this.recent.length > RECENT_EVENTS) this.recent.shift();
    return { kind: 'event', event: recorded, view: this.view(device, now) };
  }

  private view(device: string, now: number): DeviceView {
    const record = this.devices.get(device)!;
    const since = now - WINDOW_MS;
    record.tls = record.tls.filter((at) => at > since);
    record.auth = record.auth.filter((at) => at > since);
    const state = record.state;
    return {
      device,
      online: record.online,
      lastResync: state?.lastResync ?? null,
      nextResync: state?.nextResync ?? null,
      resyncRunning: state?.running ?? false,
      em: state?.em ?? null,
      prompts: [...record.prompts.values()],
      tlsRejections: record.tls.length,
      authFailures: record.auth.length,
      lastSeq: record.lastSeq,
    };
  }
}

type JsonObject = { readonly [key: string]: JsonValue };

/** The JSON object in `text`; undefined for anything else (another JSON value, or no JSON). */
export function parseObject(text: string): JsonObject | undefined {
  try {
    return asObject(JSON.parse(text) as JsonValue);
  } catch {
    return undefined;
  }
}

function asObject(value: JsonValue | undefined): JsonObject | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? value : undefined;
}

function asString(value: JsonValue | undefined): string | null {
  return typeof value === 'string' ? value : null;
}
