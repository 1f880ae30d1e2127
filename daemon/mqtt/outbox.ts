/**
 * The MQTT side of the one event journal (SPEC §8, ECOSYSTEM.md §1.6): the events are kept by
 * the event log (`daemon/events`), and this outbox only remembers how far the broker has
 * acknowledged them, in `stateDir/mqtt-cursor.json` (`{"acked": seq}`). Events are offered
 * once durable, in seq order; a PUBACK moves the cursor over every event acknowledged so far
 * without a gap. The cursor is written atomically (`writeFileDurable`), at most once per
 * `cursorDelayMs` however many acknowledgements arrive: a crash can only make it lag, so
 * after one an event may be sent again with the same seq (at-least-once), never lost.
 * mqtt.js's own offline queue lives in memory only (RELIABILITY.md §6.1, MQTT.js #398),
 * which is why the reporter never relies on it.
 *
 * An older version kept its own copy of every event in `mqtt-outbox.jsonl`, with `{"ack"}`
 * lines. On first start with that file, its unacknowledged events are merged into the
 * journal, the cursor is set just before the oldest of them, and the file is removed
 * (in that order, so a crash in between repeats an idempotent import).
 */
import * as path from 'node:path';
import type { RecordedEvent } from '../bus/index.js';
import { isRecordedEvent, Journal, type EventLog } from '../events/index.js';
import { nodeFileSystem, readFileIfExists, removeStaleTemps, writeFileDurable, type FileSystem } from '../fsutil/index.js';

export const CURSOR_FILE = 'mqtt-cursor.json';
export const LEGACY_OUTBOX_FILE = 'mqtt-outbox.jsonl';
export const DEFAULT_OUTBOX_MAX = 10000;
const DEFAULT_CURSOR_DELAY_MS = 100;

export interface OutboxOptions {
  readonly stateDir: string;
  readonly events: EventLog;
  readonly max?: number;
  /** Newly durable events may be published. */
  readonly onReady?: () => void;
  /** The cursor could not be written (it lags; nothing is lost). */
  readonly onWriteError?: (error: unknown) => void;
  /** The longest the cursor waits before it is written (acknowledgements in between share the write). */
  readonly cursorDelayMs?: number;
  readonly files?: FileSystem;
}

export interface OutboxLoad {
  readonly pending: number;
  /** Unreadable lines in an imported legacy outbox. */
  readonly skipped: number;
  /** Events imported from a legacy outbox. */
  readonly imported: number;
}

export class Outbox {
  private readonly events: EventLog;
  private readonly file: string;
  private readonly legacyFile: string;
  private readonly max: number;
  private readonly onReady: () => void;
  private readonly onWriteError: (error: unknown) => void;
  private readonly cursorDelayMs: number;
  private readonly files: FileSystem;
  /** Acknowledged, but after an event that is not yet: the cursor cannot pass them. */
  private readonly acked = new Set<number>();
  private written = 0;
  private timer: NodeJS.Timeout | undefined;
  private writing: Promise<void> = Promise.resolve();

  constructor(options: OutboxOptions) {
    this.events = options.events;
    this.file = path.join(options.stateDir, CURSOR_FILE);
    this.legacyFile = path.join(options.stateDir, LEGACY_OUTBOX_FILE);
    this.max = Math.max(1, options.max ?? DEFAULT_OUTBOX_MAX);
    this.onReady = options.onReady ?? (() => undefined);
    this.onWriteError = options.onWriteError ?? (() => undefined);
    this.cursorDelayMs = options.cursorDelayMs ?? DEFAULT_CURSOR_DELAY_MS;
    this.files = options.files ?? nodeFileSystem;
  }

  /** Reads the cursor (importing a legacy outbox first) and attaches to the event log. */
  async load(): Promise<OutboxLoad> {
    let cursor = await readCursor(this.file, this.files);
    const legacy = await this.importLegacy(cursor);
    cursor = legacy.cursor;
    this.written = cursor;
    this.events.attach({ cursor, max: this.max, onDurable: () => this.onReady() });
    return { pending: this.events.pendingCount, skipped: legacy.skipped, imported: legacy.imported };
  }

  /** Pending events that are durable and not yet acknowledged (after `after`, if given), oldest first. */
  *ready(after = 0): Generator<RecordedEvent> {
    for (const event of this.events.pending(after)) {
      if (!this.acked.has(event.seq)) yield event;
    }
  }

  /** The broker acknowledged `seq` (or refused it for good): the cursor moves over it when it can. */
  ack(seq: number): void {
    if (seq <= this.events.takenThrough) return;
    this.acked.add(seq);
    let through = this.events.takenThrough;
    for (const event of this.events.pending()) {
      if (!this.acked.delete(event.seq)) break;
      through = event.seq;
    }
    this.events.acknowledge(through);
    this.saveSoon();
  }

  get size(): number {
    return this.events.pendingCount - this.acked.size;
  }

  /** Writes the cursor now and detaches from the event log. */
  async close(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    await this.save();
    this.events.detach();
  }

  private saveSoon(): void {
    if (this.timer || this.events.takenThrough === this.written) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.save();
    }, this.cursorDelayMs);
    // A pending cursor write must not keep a stopping process alive; close() writes it.
    this.timer.unref();
  }

  /** Writes the cursor after any write already under way (so the file never moves back). */
  private save(): Promise<void> {
    const job = this.writing.then(() => this.writeNow());
    this.writing = job;
    return job;
  }

  private async writeNow(): Promise<void> {
    const cursor = this.events.takenThrough;
    if (cursor === this.written) return;
    try {
      await writeFileDurable(this.file, JSON.stringify({ acked: cursor }) + '\n', { mode: 0o600, files: this.files });
      this.written = cursor;
    } catch (error) {
      this.onWriteError(error);
    }
  }

  private async importLegacy(cursor: number | undefined): Promise<{ cursor: number; skipped: number; imported: number }> {
    const known = cursor ?? 0;
    const { records, skipped } = await new Journal(this.legacyFile, { files: this.files }).load();
    if (records.length === 0 && skipped === 0) return { cursor: known, skipped: 0, imported: 0 };
    const events = new Map<number, RecordedEvent>();
    const acked = new Set<number>();
    let highest = 0;
    let dropped = 0;
    for (const record of records) {
      const line = (record ?? {}) as { event?: unknown; ack?: unknown; dropped?: unknown };
      if (typeof line.ack === 'number') acked.add(line.ack);
      else if (typeof line.dropped === 'number') dropped = line.dropped;
      else if (isRecordedEvent(line.event)) {
        events.set(line.event.seq, line.event);
        // Not Math.max(...seqs): a spread of a long outage's seqs overflows the stack.
        if (line.event.seq > highest) highest = line.event.seq;
      }
    }
    const pending = [...events.values()].filter((event) => !acked.has(event.seq));
    await this.events.merge(pending, dropped);
    let oldest = Infinity;
    for (const event of pending) if (event.seq < oldest) oldest = event.seq;
    const imported = cursor ?? (pending.length > 0 ? oldest - 1 : Math.max(highest, this.events.lastSeq));
    if (cursor === undefined) await writeFileDurable(this.file, JSON.stringify({ acked: imported }) + '\n', { mode: 0o600, files: this.files });
    await this.files.remove(this.legacyFile);
    return { cursor: imported, skipped, imported: pending.length };
  }
}

/** The cursor on disk, or undefined when there is none. A damaged cursor counts as none: resending is safe, skipping is not. */
async function readCursor(file: string, files: FileSystem): Promise<number | undefined> {
  // Read once at start, before this process writes it: a temp file beside it is a killed writer's.
  await removeStaleTemps(file, files);
  const data = await readFileIfExists(file, files);
  if (data === undefined) return undefined;
  try {
    const acked = (JSON.parse(data.toString('utf8')) as { acked?: unknown } | null)?.acked;
    return Number.isSafeInteger(acked) && (acked as number) >= 0 ? (acked as number) : undefined;
  } catch {
    return undefined;
  }
}
