/**
 * The event log (SPEC §8): takes what features emit on the bus (`event`), stamps it with
 * `seq`, `ts` and `device`, keeps only allowlisted, redacted fields (`schema.ts`), remembers
 * the most recent ones for the display and `provisionctl events`, and emits `recorded`.
 *
 * `seq` rises by one per event and survives restarts: the recent events are journaled in
 * `stateDir/events.jsonl`, and the next `seq` continues after the last one found there (or
 * after `seqFloor`, which the daemon sets from the MQTT outbox, whichever is higher).
 */
import * as path from 'node:path';
import type { DaemonBus, EventInput, RecordedEvent } from '../bus/index.js';
import { secrets, type Logger, type Redactor } from '../log/index.js';
import { Journal } from './journal.js';
import { buildEvent } from './schema.js';

export const EVENTS_FILE = 'events.jsonl';
export const DEFAULT_RING_SIZE = 200;

export interface EventLogOptions {
  readonly bus: DaemonBus;
  readonly stateDir: string;
  readonly device: string;
  readonly log: Logger;
  readonly redactor?: Redactor;
  readonly now?: () => Date;
  /** How many recent events are kept (in memory and on disk). */
  readonly ringSize?: number;
}

export class EventLog {
  private readonly bus: DaemonBus;
  private readonly device: string;
  private readonly log: Logger;
  private readonly redactor: Redactor;
  private readonly now: () => Date;
  private readonly ringSize: number;
  private readonly journal: Journal;
  private ring: RecordedEvent[] = [];
  private seq = 0;
  private droppedUnreported = 0;
  private journalFailing = false;
  private compacting = false;
  private unsubscribe: (() => void) | undefined;

  constructor(options: EventLogOptions) {
    this.bus = options.bus;
    this.device = options.device;
    this.log = options.log;
    this.redactor = options.redactor ?? secrets;
    this.now = options.now ?? (() => new Date());
    this.ringSize = options.ringSize ?? DEFAULT_RING_SIZE;
    this.journal = new Journal(path.join(options.stateDir, EVENTS_FILE));
  }

  /** Loads the journal, continues `seq` and starts listening on the bus. */
  async start(options: { seqFloor?: number } = {}): Promise<void> {
    const { records, skipped } = await this.journal.load();
    if (skipped > 0) this.log.warning('skipped unreadable lines in the event journal', { skipped });
    const events = records.filter(isRecordedEvent).sort((a, b) => a.seq - b.seq);
    this.ring = events.slice(-this.ringSize);
    this.seq = Math.max(events.at(-1)?.seq ?? 0, options.seqFloor ?? 0);
    await this.journal.rewrite(() => this.ring);
    this.unsubscribe = this.bus.on('event', (input) => {
      this.record(input);
    });
  }

  /** Stops listening and waits until the journal is on disk. */
  async stop(): Promise<void> {
    this.unsubscribe?.();
    this.unsubscribe = undefined;
    await this.journal.close();
  }

  /**
   * Records one event and emits it as `recorded`. If the outbox lost events since the last
   * one, an `events.dropped` event saying how many comes first (SPEC §8).
   */
  record(input: EventInput): RecordedEvent {
    if (this.droppedUnreported > 0 && input.type !== 'events.dropped') {
      const count = this.droppedUnreported;
      this.droppedUnreported = 0;
      this.append({ type: 'events.dropped', count });
    }
    return this.append(input);
  }

  /** Resolves once every event recorded so far is in the journal (or its write failed). */
  settled(): Promise<void> {
    return this.journal.idle();
  }

  /** The outbox reports lost events here; they are announced with the next event. */
  noteDropped(count: number): void {
    this.droppedUnreported += count;
  }

  /** The most recent events, oldest first. */
  recent(limit = this.ringSize): readonly RecordedEvent[] {
    return limit <= 0 ? [] : this.ring.slice(-limit);
  }

  get lastSeq(): number {
    return this.seq;
  }

  private append(input: EventInput): RecordedEvent {
    this.seq += 1;
    const event = buildEvent(input, { seq: this.seq, ts: this.now().toISOString(), device: this.device }, this.redactor);
    this.ring.push(event);
    if (this.ring.length > this.ringSize) this.ring.shift();
    this.persist(event);
    this.bus.emit('recorded', event);
    return event;
  }

  private persist(event: RecordedEvent): void {
    this.journal.append(event).then(this.journalWritten, this.journalFailed);
    if (this.compacting || this.journal.linesSinceRewrite <= this.ringSize) return;
    this.compacting = true;
    void this.journal
      .rewrite(() => this.ring)
      .then(this.journalWritten, this.journalFailed)
      .finally(() => {
        this.compacting = false;
      });
  }

  private readonly journalWritten = (): void => {
    this.journalFailing = false;
  };

  private readonly journalFailed = (error: unknown): void => {
    // Once per failure spell: a full disk must not flood the log with warnings.
    if (!this.journalFailing) this.log.warning('cannot write the event journal', { error: String(error) });
    this.journalFailing = true;
  };
}

function isRecordedEvent(value: unknown): value is RecordedEvent {
  const record = value as Partial<RecordedEvent> | null;
  return typeof record === 'object' && record !== null && record.v === 1 && Number.isSafeInteger(record.seq) && typeof record.type === 'string';
}
