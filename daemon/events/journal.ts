/**
 * An append-only JSON-lines file that survives power cuts (RELIABILITY.md §5.4). Group
 * commit: every record appended during one turn of the event loop goes out in one write, and
 * whatever arrives while that write is in flight goes in the next one. The file is opened
 * with O_DSYNC, so that one write returns only once its data is on disk: the same guarantee
 * as write + fdatasync, in one trip to the thread pool instead of two. The owner
 * compacts the file now and then by rewriting the live records through `writeFileDurable`.
 * Loading tolerates a torn last line (the record being written when the power went: it is cut
 * off, so the next append starts on a line of its own) and skips any other unparseable line.
 *
 * Loaders must be idempotent: a record can appear twice after a compaction that raced an
 * append (the rewrite already holds it and the append lands after it).
 */
import { constants as fsConstants } from 'node:fs';
import * as path from 'node:path';
import { nodeFileSystem, readFileIfExists, removeStaleTemps, syncDirectory, writeFileDurable, type FileHandle, type FileSystem } from '../fsutil/index.js';

const ignore = (): undefined => undefined;
const NEWLINE = 0x0a;
const APPEND_FLAGS = fsConstants.O_WRONLY | fsConstants.O_APPEND | fsConstants.O_CREAT | fsConstants.O_NOFOLLOW | fsConstants.O_DSYNC;

export interface LoadedJournal {
  readonly records: unknown[];
  /** Lines that could not be parsed (a torn tail, or damage). */
  readonly skipped: number;
}

/** The records of one group commit, and the one promise they all share. */
interface Batch {
  readonly lines: string[];
  readonly done: Promise<void>;
  readonly resolve: () => void;
  readonly reject: (error: unknown) => void;
}

function newBatch(): Batch {
  let resolve!: () => void;
  let reject!: (error: unknown) => void;
  const done = new Promise<void>((yes, no) => {
    resolve = yes;
    reject = no;
  });
  return { lines: [], done, resolve, reject };
}

export class Journal {
  readonly file: string;
  private readonly mode: number;
  private readonly files: FileSystem;
  private handle: FileHandle | undefined;
  /** Bytes in the file behind `handle` (only this journal appends to it). */
  private size = 0;
  /** A torn line that could not be cut off after a failed write: which file, and where it starts. */
  private torn: { readonly ino: number; readonly size: number } | undefined;
  /** The batch taking appends, until its flush starts. */
  private waiting: Batch | undefined;
  private tail: Promise<void> = Promise.resolve();
  /** Lines in the file (loaded, appended since, or rewritten): the owner's measure of garbage. */
  lineCount = 0;

  constructor(file: string, options: { mode?: number; files?: FileSystem } = {}) {
    this.file = file;
    this.mode = options.mode ?? 0o600;
    this.files = options.files ?? nodeFileSystem;
  }

  /** Reads every record and cuts off a torn last line; call before the first append. */
  async load(): Promise<LoadedJournal> {
    await removeStaleTemps(this.file, this.files);
    const data = await readFileIfExists(this.file, this.files);
    const records: unknown[] = [];
    let skipped = 0;
    if (data === undefined) return { records, skipped };
    const complete = data.lastIndexOf(NEWLINE) + 1;
    if (complete < data.length) {
      skipped++;
      await this.files.truncate(this.file, complete);
    }
    for (const line of data.subarray(0, complete).toString('utf8').split('\n')) {
      if (line.trim() === '') continue;
      try {
        records.push(JSON.parse(line));
      } catch {
        skipped++;
      }
    }
    this.lineCount = records.length + skipped;
    return { records, skipped };
  }

  /**
   * Appends one record; resolves once it is on disk. Every record appended before the batch's
   * write starts gets the same promise, so an owner can wait on a group commit once.
   */
  append(record: unknown): Promise<void> {
    let batch = this.waiting;
    if (!batch) {
      batch = newBatch();
      this.waiting = batch;
      // After the current turn of the event loop: everything it appends shares one write.
      setImmediate(() => void this.enqueue(() => this.flush()).catch(ignore));
    }
    batch.lines.push(JSON.stringify(record) + '\n');
    return batch.done;
  }

  /** Replaces the file with `records()` (evaluated when the rewrite runs), durably. */
  rewrite(records: () => readonly unknown[]): Promise<void> {
    return this.enqueue(async () => {
      await this.closeHandle();
      const lines = records();
      await writeFileDurable(this.file, lines.map((record) => JSON.stringify(record) + '\n').join(''), { mode: this.mode, files: this.files });
      this.lineCount = lines.length;
    });
  }

  /** Resolves once every write queued so far has finished (succeeded or failed). */
  idle(): Promise<void> {
    return new Promise((resolve) => setImmediate(resolve)).then(() => this.enqueue(async () => undefined));
  }

  /** Waits for queued writes, then closes the file. */
  close(): Promise<void> {
    return this.idle().then(() => this.enqueue(() => this.closeHandle()));
  }

  private enqueue(job: () => Promise<void>): Promise<void> {
    const run = this.tail.then(job);
    // The chain must survive a failed job; the caller still sees the failure.
    this.tail = run.catch(ignore);
    return run;
  }

  private async flush(): Promise<void> {
    // Whatever was appended while earlier writes ran is in this batch: it joins this write.
    const batch = this.waiting!;
    this.waiting = undefined;
    try {
      const handle = this.handle ?? (await this.open());
      const data = Buffer.from(batch.lines.join(''));
      try {
        // writeFile, not write: a single write(2) may be short (a nearly full disk) and say so only in its count.
        await handle.writeFile(data);
      } catch (error) {
        // A short write left a torn line: cut it off, or the next append would be glued to it and lost at load.
        const { size } = this;
        const { ino } = await handle.stat().catch(() => ({ ino: -1 }));
        await handle.truncate(size).catch(() => (this.torn = { ino, size }));
        throw error;
      }
      this.size += data.length;
      this.lineCount += batch.lines.length;
      batch.resolve();
    } catch (error) {
      // Reopen on the next batch: the failed handle may be the cause (a replaced file, EIO).
      const broken = this.handle;
      this.handle = undefined;
      await broken?.close().catch(ignore);
      batch.reject(error);
    }
  }

  private async open(): Promise<FileHandle> {
    const handle = await this.files.open(this.file, APPEND_FLAGS, this.mode);
    let size: number;
    try {
      const stat = await handle.stat();
      size = stat.size;
      // Still there (not replaced by a rewrite since): cut it off before appending after it.
      if (this.torn?.ino === stat.ino) {
        await handle.truncate(this.torn.size);
        size = this.torn.size;
      }
    } catch (error) {
      await handle.close().catch(ignore);
      throw error;
    }
    this.torn = undefined;
    this.handle = handle;
    this.size = size;
    // An empty file may be one just created: its name must be on disk before any record in it counts as durable.
    if (size === 0) await syncDirectory(path.dirname(this.file), this.files);
    return handle;
  }

  private async closeHandle(): Promise<void> {
    const handle = this.handle;
    this.handle = undefined;
    await handle?.close();
  }
}
