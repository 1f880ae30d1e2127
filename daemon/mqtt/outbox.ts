/**
 * The durable outbox (SPEC §8, ECOSYSTEM.md §1.6): every recorded event is written to
 * `stateDir/mqtt-outbox.jsonl` before it may be published and is removed when the broker
 * acknowledges it (PUBACK), so neither a broker outage nor a daemon restart loses one.
 * mqtt.js's own offline queue lives in memory only (RELIABILITY.md §6.1, MQTT.js #398), which
 * is why the reporter never relies on it.
 *
 * On disk: an append-only journal of `{"event": …}` and `{"ack": seq}` lines, compacted to the
 * pending events when the acknowledged lines outnumber them. Bounded: above `max` pending
 * events the oldest are dropped. How many is kept (on disk too, as `{"dropped": n}`) until the
 * reporter takes the count with `takeDropped()` once the broker is reachable again; the event
 * log then announces it with one `events.dropped` before the next event. Announcing sooner,
 * while the outbox is still full, would make every other queued event an `events.dropped`.
 */
import * as path from 'node:path';
import { EVENT_TYPES, type RecordedEvent } from '../bus/index.js';
import { Journal } from '../events/index.js';

export const OUTBOX_FILE = 'mqtt-outbox.jsonl';
export const DEFAULT_OUTBOX_MAX = 10000;
/** Compaction waits for at least this many garbage lines, so small queues do not rewrite on every ack. */
const MIN_GARBAGE_LINES = 256;

interface Entry {
  readonly event: RecordedEvent;
  /** On disk (or the disk failed and we carry on from memory): may be published. */
  ready: boolean;
}

export interface OutboxOptions {
  readonly stateDir: string;
  readonly max?: number;
  /** The outbox started dropping events (called once per overflow spell, for the log). */
  readonly onOverflow?: () => void;
  /** The journal could not be written; the event stays queued in memory. */
  readonly onWriteError?: (error: unknown) => void;
}

export class Outbox {
  private readonly journal: Journal;
  private readonly max: number;
  private readonly onOverflow: () => void;
  private readonly onWriteError: (error: unknown) => void;
  /** Pending events by seq, in seq order (insertion order of a Map). */
  private readonly entries = new Map<number, Entry>();
  private highestSeq = 0;
  /** Events dropped and not yet announced. */
  private unreported = 0;
  private compacting = false;

  constructor(options: OutboxOptions) {
    this.journal = new Journal(path.join(options.stateDir, OUTBOX_FILE));
    this.max = Math.max(1, options.max ?? DEFAULT_OUTBOX_MAX);
    this.onOverflow = options.onOverflow ?? (() => undefined);
    this.onWriteError = options.onWriteError ?? (() => undefined);
  }

  /** Reads what a previous run left, keeps the newest `max`, and compacts the file. */
  async load(): Promise<{ pending: number; skipped: number }> {
    const { records, skipped } = await this.journal.load();
    const events = new Map<number, RecordedEvent>();
    const acked = new Set<number>();
    for (const record of records) {
      const line = (record ?? {}) as { event?: RecordedEvent; ack?: unknown; dropped?: unknown };
      if (typeof line.ack === 'number') acked.add(line.ack);
      else if (typeof line.dropped === 'number') this.unreported = line.dropped;
      else if (isEvent(line.event)) events.set(line.event.seq, line.event);
    }
    const pending = [...events.values()].filter((event) => !acked.has(event.seq)).sort((a, b) => a.seq - b.seq);
    for (const event of pending) this.entries.set(event.seq, { event, ready: true });
    this.highestSeq = Math.max(0, ...events.keys());
    this.trim();
    await this.journal.rewrite(() => this.lines());
    return { pending: this.entries.size, skipped };
  }

  /**
   * Queues an event; resolves once it is durable (then it may be published). A write error is
   * reported through `onWriteError` and the event is still released, from memory: a full disk
   * should not also silence the dashboard.
   */
  async add(event: RecordedEvent): Promise<void> {
    const entry: Entry = { event, ready: false };
    this.entries.set(event.seq, entry);
    this.highestSeq = Math.max(this.highestSeq, event.seq);
    this.trim();
    try {
      await this.journal.append({ event });
    } catch (error) {
      this.onWriteError(error);
    }
    entry.ready = true;
  }

  /** The broker acknowledged `seq`: forget it. An unknown seq (already dropped) is ignored. */
  ack(seq: number): void {
    if (!this.entries.delete(seq)) return;
    // Not awaited: losing an ack line to a crash only means one duplicate after restart.
    this.journal.append({ ack: seq }).catch(this.onWriteError);
    this.compactIfWorthIt();
  }

  /** Pending events ready to publish, oldest first, stopping at the first one not yet durable. */
  *ready(): Generator<RecordedEvent> {
    for (const entry of this.entries.values()) {
      if (!entry.ready) return;
      yield entry.event;
    }
  }

  get size(): number {
    return this.entries.size;
  }

  /** The highest seq ever queued here (the event log continues after it). */
  get lastSeq(): number {
    return this.highestSeq;
  }

  async close(): Promise<void> {
    if (this.journal.linesSinceRewrite > 0) await this.journal.rewrite(() => this.lines()).catch(this.onWriteError);
    await this.journal.close();
  }

  private trim(): void {
    let dropped = 0;
    for (const seq of this.entries.keys()) {
      if (this.entries.size <= this.max) break;
      this.entries.delete(seq);
      // Marked as gone on disk too, so a restart does not bring it back and count it twice.
      this.journal.append({ ack: seq }).catch(this.onWriteError);
      dropped++;
    }
    if (dropped === 0) return;
    if (this.unreported === 0) this.onOverflow();
    this.unreported += dropped;
    this.journal.append({ dropped: this.unreported }).catch(this.onWriteError);
    this.compactIfWorthIt();
  }

  /** How many events were dropped since the last call (0 if none); the count restarts at 0. */
  takeDropped(): number {
    const count = this.unreported;
    if (count === 0) return 0;
    this.unreported = 0;
    this.journal.append({ dropped: 0 }).catch(this.onWriteError);
    return count;
  }

  private compactIfWorthIt(): void {
    const garbage = this.journal.linesSinceRewrite - this.entries.size;
    if (this.compacting || garbage < Math.max(MIN_GARBAGE_LINES, this.entries.size)) return;
    this.compacting = true;
    this.journal
      .rewrite(() => this.lines())
      .catch(this.onWriteError)
      .finally(() => {
        this.compacting = false;
      });
  }

  private lines(): ({ event: RecordedEvent } | { dropped: number })[] {
    const events = [...this.entries.values()].map((entry) => ({ event: entry.event }));
    return this.unreported > 0 ? [{ dropped: this.unreported }, ...events] : events;
  }
}

/** A damaged line must not turn into a publish to a topic built from garbage. */
function isEvent(value: unknown): value is RecordedEvent {
  const event = value as Partial<RecordedEvent> | undefined;
  return typeof event === 'object' && event !== null && Number.isSafeInteger(event.seq) && (EVENT_TYPES as readonly unknown[]).includes(event.type);
}
