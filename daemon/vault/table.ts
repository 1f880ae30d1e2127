/**
 * The `Vault` contract and the one implementation of its semantics. The in-memory and the
 * file vault differ only in `persist`, so one contract suite covers both (STYLE §14).
 *
 * A change is applied to a copy of the table, persisted, and only then made current: when
 * persisting fails, the previous records stay in use and the caller gets the typed error.
 * Changes run one at a time so two concurrent puts cannot overwrite each other's write.
 */
import { Redactor } from '../log/index.js';
import {
  keyId,
  matches,
  normalizeEntry,
  normalizeKey,
  type VaultEntry,
  type VaultFilter,
  type VaultKey,
  type VaultPurpose,
  type VaultRecord,
} from './record.js';

export interface Vault {
  get(key: VaultKey): Promise<VaultRecord | undefined>;
  /** Records matching every field of `filter`, in a stable order. */
  list(filter?: VaultFilter): Promise<VaultRecord[]>;
  /** Stores or replaces the record with this key; resolves once it is durable. */
  put(entry: VaultEntry): Promise<VaultRecord>;
  /** Resolves to whether a record was removed. */
  delete(key: VaultKey): Promise<boolean>;
  /** Removes every record, or those of one purpose; resolves to how many went. */
  clear(purpose?: VaultPurpose): Promise<number>;
}

export type Persist = (records: readonly VaultRecord[]) => Promise<void>;

export interface TableOptions {
  /** Where secrets are registered for redaction: the app's registry (a table made without one has its own). */
  readonly redactor?: Redactor;
  readonly now?: () => Date;
  readonly persist?: Persist;
  /** Records loaded from disk (already validated). */
  readonly initial?: readonly VaultRecord[];
}

export class TableVault implements Vault {
  private records: ReadonlyMap<string, VaultRecord>;
  private readonly redactor: Redactor;
  private readonly now: () => Date;
  private readonly persist: Persist;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(options: TableOptions = {}) {
    this.redactor = options.redactor ?? new Redactor();
    this.now = options.now ?? (() => new Date());
    this.persist = options.persist ?? (async () => undefined);
    const initial = (options.initial ?? []).map((record) => Object.freeze({ ...record }));
    this.records = new Map(initial.map((record) => [keyId(record), record]));
    for (const record of initial) this.redactor.add(record.secret);
  }

  async get(key: VaultKey): Promise<VaultRecord | undefined> {
    return this.records.get(keyId(normalizeKey(key)));
  }

  async list(filter: VaultFilter = {}): Promise<VaultRecord[]> {
    return sorted(this.records).filter((record) => matches(record, filter));
  }

  async put(entry: VaultEntry): Promise<VaultRecord> {
    const clean = normalizeEntry(entry);
    const id = keyId(clean);
    return this.change((next) => {
      const previous = next.get(id);
      const at = this.now().toISOString();
      const record = Object.freeze({ ...clean, createdAt: previous?.createdAt ?? at, updatedAt: at });
      next.set(id, record);
      return record;
    });
  }

  async delete(key: VaultKey): Promise<boolean> {
    const id = keyId(normalizeKey(key));
    return this.change((next) => next.delete(id));
  }

  async clear(purpose?: VaultPurpose): Promise<number> {
    if (purpose !== undefined) normalizeKey({ purpose }, '$.clear');
    return this.change((next) => {
      let removed = 0;
      for (const [id, record] of next) {
        if (purpose === undefined || record.purpose === purpose) removed += Number(next.delete(id));
      }
      return removed;
    });
  }

  /** Runs `apply` on a copy, persists the copy, then makes it current (one change at a time). */
  private change<T>(apply: (next: Map<string, VaultRecord>) => T): Promise<T> {
    const run = this.queue.then(async () => {
      const next = new Map(this.records);
      const result = apply(next);
      const added = [...next.values()].filter((record) => this.records.get(keyId(record)) !== record);
      // Known to the redactor before the write starts, so no error on the way can print it.
      for (const record of added) this.redactor.add(record.secret);
      try {
        await this.persist(sorted(next));
      } catch (err) {
        for (const record of added) this.redactor.remove(record.secret);
        throw err;
      }
      for (const [id, record] of this.records) {
        if (next.get(id) !== record) this.redactor.remove(record.secret);
      }
      this.records = next;
      return result;
    });
    this.queue = run.catch(() => undefined);
    return run;
  }
}

function sorted(records: ReadonlyMap<string, VaultRecord>): VaultRecord[] {
  return [...records.entries()].sort(([a], [b]) => (a < b ? -1 : 1)).map(([, record]) => record);
}

/** A vault that lives only as long as the process (tests, and a fallback when no state dir is usable). */
export function createMemoryVault(options: Omit<TableOptions, 'persist'> = {}): Vault {
  return new TableVault(options);
}
