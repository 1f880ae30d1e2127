/**
 * An append-only JSON-lines file that survives power cuts (RELIABILITY.md §5.4): records are
 * appended and fdatasync'ed in batches (group commit: everything queued while a write is in
 * flight goes out in the next single write + sync), and the owner compacts it now and then by
 * rewriting the live records through `writeFileDurable`. Loading tolerates a torn last line
 * (the record being written when the power went) and skips any other unparseable line.
 *
 * Loaders must be idempotent: a record can appear twice after a compaction that raced an
 * append (the rewrite already holds it and the append lands after it).
 */
import { constants as fsConstants, promises as fsp } from 'node:fs';
import { readFileIfExists, removeStaleTemps, writeFileDurable } from '../fsutil/index.js';

const ignore = (): undefined => undefined;

export interface LoadedJournal {
  readonly records: unknown[];
  /** Lines that could not be parsed (a torn tail, or damage). */
  readonly skipped: number;
}

interface Waiter {
  readonly line: string;
  readonly resolve: () => void;
  readonly reject: (error: unknown) => void;
}

export class Journal {
  readonly file: string;
  private readonly mode: number;
  private handle: fsp.FileHandle | undefined;
  private waiting: Waiter[] = [];
  private flushQueued = false;
  private tail: Promise<void> = Promise.resolve();
  /** Lines appended since the last rewrite: the owner's measure of garbage. */
  linesSinceRewrite = 0;

  constructor(file: string, options: { mode?: number } = {}) {
    this.file = file;
    this.mode = options.mode ?? 0o600;
  }

  /** Reads every record; call before the first append. */
  async load(): Promise<LoadedJournal> {
    await removeStaleTemps(this.file);
    const text = (await readFileIfExists(this.file))?.toString('utf8') ?? '';
    const records: unknown[] = [];
    let skipped = 0;
    for (const line of text.split('\n')) {
      if (line.trim() === '') continue;
      try {
        records.push(JSON.parse(line));
      } catch {
        skipped++;
      }
    }
    return { records, skipped };
  }

  /** Appends one record; resolves once it is on disk. */
  append(record: unknown): Promise<void> {
    const line = JSON.stringify(record) + '\n';
    return new Promise((resolve, reject) => {
      this.waiting.push({ line, resolve, reject });
      if (this.flushQueued) return;
      this.flushQueued = true;
      this.enqueue(() => this.flush());
    });
  }

  /** Replaces the file with `records()` (evaluated when the rewrite runs), durably. */
  rewrite(records: () => readonly unknown[]): Promise<void> {
    return this.enqueue(async () => {
      await this.closeHandle();
      const text = records()
        .map((record) => JSON.stringify(record) + '\n')
        .join('');
      await writeFileDurable(this.file, text, { mode: this.mode });
      this.linesSinceRewrite = 0;
    });
  }

  /** Resolves once every write queued so far has finished (succeeded or failed). */
  idle(): Promise<void> {
    return this.enqueue(async () => undefined);
  }

  /** Waits for queued writes, then closes the file. */
  close(): Promise<void> {
    return this.enqueue(() => this.closeHandle());
  }

  private enqueue(job: () => Promise<void>): Promise<void> {
    const run = this.tail.then(job);
    // The chain must survive a failed job; the caller still sees the failure.
    this.tail = run.catch(ignore);
    return run;
  }

  private async flush(): Promise<void> {
    this.flushQueued = false;
    const batch = this.waiting;
    this.waiting = [];
    try {
      this.handle ??= await fsp.open(this.file, fsConstants.O_WRONLY | fsConstants.O_APPEND | fsConstants.O_CREAT | fsConstants.O_NOFOLLOW, this.mode);
      await this.handle.write(batch.map((waiter) => waiter.line).join(''));
      await this.handle.datasync();
      this.linesSinceRewrite += batch.length;
      for (const waiter of batch) waiter.resolve();
    } catch (error) {
      // Reopen on the next batch: the failed handle may be the cause (a replaced file, EIO).
      const broken = this.handle;
      this.handle = undefined;
      await broken?.close().catch(ignore);
      for (const waiter of batch) waiter.reject(error);
    }
  }

  private async closeHandle(): Promise<void> {
    const handle = this.handle;
    this.handle = undefined;
    await handle?.close();
  }
}
