/**
 * The durable outbox (SPEC §8, ECOSYSTEM.md §1.6): every recorded event is written to
 * `stateDir/mqtt-outbox.jsonl` before it may be published and is removed when the broker
 * acknowledges it (PUBACK), so neither a broker outage nor a daemon restart loses one.
 * mqtt.js's own offline queue lives in memory only (RELIABILITY.md §6.1, MQTT.js #398), which
 * is why the reporter never relies on it.
 *
 * On disk: an append-only journal of `{"event": …}` and `{"ack": seq}` lines, compacted to the
 * pending events when the acknowledged lines outnumber them. Bounded: above `max` pending
 * events the oldest are dropped and `onDropped(count)` says how many (the event log announces
 * them with `events.dropped`).
 */
import * as path from 'node:path';
import type { RecordedEvent } from '../bus/index.js';
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
  readonly onDropped?: (count: number) => void;
  /** The journal could not be written; the event stays queued in memory. */
  readonly onWriteError?: (error: unknown) => void;
}

export class Outbox {
  private readonly journal: Journal;
  private readonly max: number;
  private readonly onDropped: (count: number) => void;
  private readonly onWriteError: (error: unknown) => void;
  /** Pending events by seq, in seq order (insertion order of a Map). */
  private readonly entries = new Map<number, Entry>();
  private highestSeq = 0;
  private compacting = false;

  constructor(options: OutboxOptions) {
    this.journal = new Journal(path.join(options.stateDir, OUTBOX_FILE));
    this.max = Math.max(1, options.max ?? DEFAULT_OUTBOX_MAX);
    this.onDropped = options.onDropped ?? (() => undefined);
    this.onWriteError = options.onWriteError ?? (() => undefined);
  }

  /** Reads what a previous run left, keeps the newest `max`, and compacts the file. */
  async load(): Promise<{ pending: number; skipped: number }> {
    const { records, skipped } = await this.journal.load();
    const events = new Map<number, RecordedEvent>();
    const acked = new Set<number>();
    for (const record of records) {
      const line = (record ?? {}) as { event?: RecordedEvent; ack?: unknown };
      if (typeof line.ack === 'number') acked.add(line.ack);
      else if (line.event && Number.isSafeInteger(line.event.seq)) events.set(line.event.seq, line.event);
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
    if (dropped > 0) {
      this.onDropped(dropped);
      this.compactIfWorthIt();
    }
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

  private lines(): { event: RecordedEvent }[] {
    return [...this.entries.values()].map((entry) => ({ event: entry.event }));
  }
}
