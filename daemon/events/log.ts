/**
 * The event log (SPEC §8): takes what features emit on the bus (`event`), stamps it with
 * `seq`, `ts` and `device`, keeps only allowlisted, redacted fields (`schema.ts`) and emits
 * `recorded`. It owns the one event journal, `stateDir/events.jsonl`: `seq` is given out here
 * and nowhere else, and survives restarts because it continues after the last journaled event.
 *
 * The journal holds the most recent events (for the display and `provisionctl events`) and,
 * when a consumer is attached (the MQTT reporter), every event after the consumer's cursor
 * that it has not yet taken: that part is the outbox. It is bounded by the consumer's `max`:
 * beyond it the oldest untaken events are dropped, here, and the count is told by one
 * `events.dropped` event created before the next event once the outbox has room again
 * (announcing while it is still full would only drop more). The count, and how far the drops
 * reached, are journaled as `{"dropped": n, "floor": seq}` lines, so a restart neither
 * forgets nor resends them.
 *
 * One fsync per batch (`journal.ts`); the consumer hears of each batch once it is durable and
 * publishes only durable events, so a crash can lose nothing that was ever sent.
 */
import * as path from 'node:path';
import { EVENT_TYPES, type DaemonBus, type EventInput, type RecordedEvent } from '../bus/index.js';
import { systemClock, type Clock } from '../clock/index.js';
import type { FileSystem } from '../fsutil/index.js';
import type { Logger, Redactor } from '../log/index.js';
import { Journal } from './journal.js';
import { buildEvent } from './schema.js';

export const EVENTS_FILE = 'events.jsonl';
export const DEFAULT_RING_SIZE = 200;
/** While the journal cannot be written, it is rewritten from memory after this, doubling up to the cap. */
export const JOURNAL_RETRY_MS = { first: 1000, max: 30_000 } as const;

export interface EventLogOptions {
  readonly bus: DaemonBus;
  readonly stateDir: string;
  readonly device: string;
  readonly log: Logger;
  readonly redactor?: Redactor;
  /** The daemon's clock: an event's `ts` is its wall time (default: the system's). */
  readonly clock?: Pick<Clock, 'now'>;
  /** How many recent events are kept (in memory and on disk) whether or not they were taken. */
  readonly ringSize?: number;
  readonly files?: FileSystem;
}

/** The one reader that takes events out of the journal (the MQTT reporter). */
export interface JournalConsumer {
  /** The seq through which it has taken every event (its durable cursor). */
  readonly cursor: number;
  /** At most this many untaken events are kept; beyond, the oldest are dropped and counted. */
  readonly max: number;
  /** Newly durable events may be ready (called once per group commit). */
  readonly onDurable: () => void;
}

interface DropMark {
  readonly dropped: number;
  readonly floor: number;
}

export class EventLog {
  private readonly bus: DaemonBus;
  private readonly device: string;
  private readonly log: Logger;
  private readonly redactor: Redactor;
  private readonly clock: Pick<Clock, 'now'>;
  private readonly ringSize: number;
  private readonly journal: Journal;
  /** Journaled events in seq order; those before `head` are no longer kept. */
  private events: RecordedEvent[] = [];
  private head = 0;
  private seq = 0;
  /** Every event up to this seq is on disk (or its write failed and it goes on from memory). */
  private durableSeq = 0;
  private consumer: JournalConsumer | undefined;
  /** The consumer has taken (or lost to overflow) every event up to this seq. */
  private floor = 0;
  /** Dropped and not yet announced. */
  private unreported = 0;
  private loadedMark: DropMark = { dropped: 0, floor: 0 };
  private notifyQueued = false;
  /** The group commit the latest event joined, and the last seq in it. */
  private commit: Promise<void> | undefined;
  private commitEvents: RecordedEvent[] = [];
  /** Settles once the last event recorded so far has been emitted as `recorded`. */
  private released: Promise<void> = Promise.resolve();
  private journalFailing = false;
  private retryTimer: NodeJS.Timeout | undefined;
  private retryDelayMs: number = JOURNAL_RETRY_MS.first;
  private compacting = false;
  private unsubscribe: (() => void) | undefined;

  constructor(options: EventLogOptions) {
    this.bus = options.bus;
    this.device = options.device;
    this.log = options.log;
    this.redactor = options.redactor ?? options.log.redactor;
    this.clock = options.clock ?? systemClock;
    this.ringSize = Math.max(1, options.ringSize ?? DEFAULT_RING_SIZE);
    this.journal = new Journal(path.join(options.stateDir, EVENTS_FILE), { files: options.files });
  }

  /** Loads the journal, continues `seq` and starts listening on the bus. */
  async start(): Promise<void> {
    const { records, skipped } = await this.journal.load();
    if (skipped > 0) this.log.warning('skipped unreadable lines in the event journal', { skipped });
    const bySeq = new Map<number, RecordedEvent>();
    for (const record of records) {
      if (isRecordedEvent(record)) {
        if (!bySeq.has(record.seq)) bySeq.set(record.seq, record);
        // An announcement journaled after a mark answers it.
        if (record.type === 'events.dropped') this.loadedMark = { ...this.loadedMark, dropped: 0 };
      } else if (isDropMark(record)) {
        this.loadedMark = record;
      }
    }
    this.events = sortedBySeq([...bySeq.values()]);
    this.seq = this.events.at(-1)?.seq ?? 0;
    this.durableSeq = this.seq;
    this.unsubscribe = this.bus.on('event', (input) => void this.record(input));
  }

  /** Stops listening and waits until the journal is on disk. */
  async stop(): Promise<void> {
    this.unsubscribe?.();
    this.unsubscribe = undefined;
    clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    await this.journal.close();
  }

  /**
   * Attaches the consumer: from now on events after its cursor are kept for it (at most
   * `max`). `seq` continues after the cursor too, should the journal have lost its tail.
   */
  attach(consumer: JournalConsumer): void {
    this.consumer = consumer;
    this.seq = Math.max(this.seq, consumer.cursor);
    this.durableSeq = Math.max(this.durableSeq, consumer.cursor);
    this.floor = Math.max(consumer.cursor, this.loadedMark.floor);
    this.unreported = this.loadedMark.dropped;
    this.enforceBound();
    this.trim();
  }

  /** The consumer stops listening; its events are still kept for its next start. */
  detach(): void {
    if (this.consumer) this.consumer = { ...this.consumer, onDurable: () => undefined };
  }

  /**
   * Adds events from elsewhere (the outbox of an older version) that the journal lacks, and
   * the drops it had not announced yet, and writes the journal durably. Call after `start` and before the first event is recorded.
   */
  async merge(imported: readonly RecordedEvent[], unannounced = 0): Promise<void> {
    this.loadedMark = { ...this.loadedMark, dropped: this.loadedMark.dropped + unannounced };
    const known = new Set(this.live().map((event) => event.seq));
    const added = imported.filter((event) => !known.has(event.seq));
    this.events = sortedBySeq([...this.live(), ...added]);
    this.head = 0;
    this.seq = Math.max(this.seq, this.events.at(-1)?.seq ?? 0);
    this.durableSeq = this.seq;
    await this.journal.rewrite(() => [this.loadedMark, ...this.live()]);
  }

  /**
   * Records one event and emits it as `recorded`. Events dropped since the last announcement
   * are announced first by an `events.dropped` event, once the outbox has room for it.
   */
  record(input: EventInput): RecordedEvent {
    if (this.unreported > 0 && input.type !== 'events.dropped' && this.hasRoomForAnnouncement()) {
      const count = this.unreported;
      this.unreported = 0;
      this.log.warning('events were lost to MQTT outbox overflow', { count });
      this.append({ type: 'events.dropped', count });
    }
    return this.append(input);
  }

  /** Resolves once every event recorded so far is in the journal (or its write failed). */
  async settled(): Promise<void> {
    await this.journal.idle();
    await this.released;
  }

  /** The most recent events, oldest first. */
  recent(limit = this.ringSize): readonly RecordedEvent[] {
    return limit <= 0 ? [] : this.events.slice(Math.max(this.head, this.events.length - limit));
  }

  get lastSeq(): number {
    return this.seq;
  }

  /** Events after the consumer's floor (and after `after`, if given) that are durable, oldest first. */
  *pending(after = 0): Generator<RecordedEvent> {
    if (!this.consumer) return;
    for (let i = this.firstAfter(Math.max(this.floor, after)); i < this.events.length; i++) {
      const event = this.events[i]!;
      if (event.seq > this.durableSeq) return;
      yield event;
    }
  }

  /** Events kept for the consumer and not yet taken (durable or not). */
  get pendingCount(): number {
    return this.consumer ? this.events.length - this.firstPending() : 0;
  }

  /** The seq through which the consumer is done: taken, or lost to overflow. */
  get takenThrough(): number {
    return this.floor;
  }

  /** The consumer has taken every event up to `seq`. */
  acknowledge(seq: number): void {
    if (seq <= this.floor) return;
    this.floor = seq;
    this.trim();
  }

  /** Only a consumer's overflow drops events, so there is one whenever this is asked. */
  private hasRoomForAnnouncement(): boolean {
    const pending = this.pendingCount;
    // The announcement and the event both fit, or nothing is waiting at all.
    return pending === 0 || pending + 2 <= (this.consumer as JournalConsumer).max;
  }

  private append(input: EventInput): RecordedEvent {
    this.seq += 1;
    const event = buildEvent(input, { seq: this.seq, ts: new Date(this.clock.now()).toISOString(), device: this.device }, this.redactor);
    this.events.push(event);
    this.persist(event);
    this.enforceBound();
    this.trim();
    return event;
  }

  /** Drops the oldest untaken events above the consumer's `max`, and journals how many. */
  private enforceBound(): void {
    if (!this.consumer) return;
    const excess = this.events.length - this.firstPending() - this.consumer.max;
    if (excess <= 0) return;
    if (this.unreported === 0) this.log.warning('MQTT outbox full: dropping the oldest events', { max: this.consumer.max });
    this.floor = this.events[this.firstPending() + excess - 1]!.seq;
    this.unreported += excess;
    this.journal.append({ dropped: this.unreported, floor: this.floor } satisfies DropMark).catch(this.journalFailed);
  }

  /** Forgets events that are neither recent nor waiting for the consumer; compacts when worth it. */
  private trim(): void {
    const keepFrom = Math.min(this.consumer ? this.firstPending() : this.events.length, this.events.length - this.ringSize);
    if (keepFrom > this.head) this.head = keepFrom;
    if (this.head > 1024 && this.head * 2 > this.events.length) {
      this.events = this.events.slice(this.head);
      this.head = 0;
    }
    this.compactIfWorthIt();
  }

  /** Rewrites the journal once its garbage outweighs what it keeps (amortised: at most one rewrite per `live` appends). */
  private compactIfWorthIt(): void {
    const live = this.events.length - this.head;
    if (this.compacting || this.journal.lineCount - live < Math.max(this.ringSize, live)) return;
    this.compacting = true;
    void this.journal
      .rewrite(() => this.lines())
      .then(this.journalWritten, this.journalFailed)
      .finally(() => {
        this.compacting = false;
      });
  }

  /**
   * Journals the event; the first event of each group commit waits on it for the whole batch.
   * Reporters hear of an event (`recorded`) only once it is in the journal: a client shown a
   * seq before that could see a power cut give the same seq to another event at the next start.
   */
  private persist(event: RecordedEvent): void {
    const commit = this.journal.append(event);
    if (commit === this.commit) {
      this.commitEvents.push(event);
      return;
    }
    this.commit = commit;
    const batch = [event];
    this.commitEvents = batch;
    // Commits settle in seq order, so the last one released means all are.
    this.released = commit.then(this.journalWritten, this.journalFailed).finally(() => {
      // A failed write still releases the events, from memory: a full disk should not also silence the dashboard.
      const through = batch.at(-1)!.seq;
      if (through > this.durableSeq) this.durableSeq = through;
      for (const recorded of batch) this.bus.emit('recorded', recorded);
      this.notifyConsumer();
    });
  }

  /** One call per group commit, however many callbacks settle together. */
  private notifyConsumer(): void {
    if (this.notifyQueued) return;
    this.notifyQueued = true;
    queueMicrotask(() => {
      this.notifyQueued = false;
      this.compactIfWorthIt();
      this.consumer?.onDurable();
    });
  }

  private lines(): (RecordedEvent | DropMark)[] {
    const events = this.live();
    return this.consumer ? [{ dropped: this.unreported, floor: this.floor }, ...events] : events;
  }

  private live(): RecordedEvent[] {
    return this.events.slice(this.head);
  }

  /** Index of the first event after the floor. */
  private firstPending(): number {
    return this.firstAfter(this.floor);
  }

  /** Index of the first kept event after `seq` (binary search: `events` is in seq order). */
  private firstAfter(seq: number): number {
    let low = this.head;
    let high = this.events.length;
    while (low < high) {
      const mid = (low + high) >>> 1;
      if (this.events[mid]!.seq <= seq) low = mid + 1;
      else high = mid;
    }
    return low;
  }

  private readonly journalWritten = (): void => {
    if (!this.journalFailing) return;
    this.recovered();
    // The disk is back: events released from memory during the failure spell are written
    // again, so the journal (and a restart) has no gap in seq.
    // The journal runs its jobs one at a time, so this cannot overlap a compaction.
    void this.journal.rewrite(() => this.lines()).then(this.journalWritten, this.journalFailed);
  };

  private readonly journalFailed = (error: unknown): void => {
    // Once per failure spell: a full disk must not flood the log with warnings.
    if (!this.journalFailing) this.log.warning('cannot write the event journal', { error: String(error) });
    this.journalFailing = true;
    this.retrySoon();
  };

  /**
   * Tries the rewrite again later, by itself: when the disk comes back and no new event
   * arrives, the events told from memory must still reach the journal, or a restart would
   * lose them and give their seq to other events.
   */
  private retrySoon(): void {
    if (this.retryTimer !== undefined || this.unsubscribe === undefined) return;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      void this.journal.rewrite(() => this.lines()).then(() => {
        if (this.journalFailing) this.recovered();
      }, this.journalFailed);
    }, this.retryDelayMs);
    this.retryTimer.unref();
    this.retryDelayMs = Math.min(this.retryDelayMs * 2, JOURNAL_RETRY_MS.max);
  }

  private recovered(): void {
    this.journalFailing = false;
    clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    this.retryDelayMs = JOURNAL_RETRY_MS.first;
    this.log.notice('the event journal is written again');
  }
}

function sortedBySeq(events: RecordedEvent[]): RecordedEvent[] {
  return events.sort((a, b) => a.seq - b.seq);
}

/** A damaged line must not turn into a publish to a topic built from garbage. */
export function isRecordedEvent(value: unknown): value is RecordedEvent {
  const record = value as Partial<RecordedEvent> | null;
  return typeof record === 'object' && record !== null && record.v === 1 && Number.isSafeInteger(record.seq) && (EVENT_TYPES as readonly unknown[]).includes(record.type);
}

function isDropMark(value: unknown): value is DropMark {
  const record = value as Partial<DropMark> | null;
  return typeof record === 'object' && record !== null && Number.isSafeInteger(record.dropped) && Number.isSafeInteger(record.floor);
}
