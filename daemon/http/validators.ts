/**
 * Conditional GET state (SPEC §4: an unchanged profile costs one request; SPEC §3: only
 * `ETag` / `Last-Modified` are kept, never bodies). One small JSON file in the state
 * directory, keyed by the SHA-256 of the URL so that a URL carrying a secret never reaches
 * the disk; written with the durable-write helper.
 */
import { createHash } from 'node:crypto';
import * as path from 'node:path';
import { nodeFileSystem, readFileIfExists, removeStaleTemps, writeFileDurable, type FileSystem } from '../fsutil/index.js';

export interface Validators {
  readonly etag?: string;
  readonly lastModified?: string;
}

interface FileShape {
  version: 1;
  entries: Record<string, Validators>;
}

export const VALIDATORS_FILE = 'http-validators.json';
const MAX_ENTRIES = 256;

export class ValidatorStore {
  private readonly file: string;
  private readonly files: FileSystem;
  private entries: Map<string, Validators> | undefined;

  constructor(stateDir: string, files: FileSystem = nodeFileSystem) {
    this.file = path.join(stateDir, VALIDATORS_FILE);
    this.files = files;
  }

  private static key(url: string): string {
    return createHash('sha256').update(url).digest('hex');
  }

  private async load(): Promise<Map<string, Validators>> {
    if (this.entries) return this.entries;
    // Loaded before this process writes the file: a temp file beside it is a killed writer's.
    await removeStaleTemps(this.file, this.files);
    const raw = await readFileIfExists(this.file, this.files);
    let parsed: Partial<FileShape> = {};
    try {
      parsed = raw ? (JSON.parse(raw.toString('utf8')) as Partial<FileShape>) : {};
    } catch {
      // A damaged cache only costs one full download; never fail a fetch over it.
    }
    const entries = parsed.version === 1 && typeof parsed.entries === 'object' && parsed.entries !== null ? parsed.entries : {};
    this.entries = new Map(Object.entries(entries));
    return this.entries;
  }

  async get(url: string): Promise<Validators | undefined> {
    return (await this.load()).get(ValidatorStore.key(url));
  }

  /** Remembers the validators of a full response; none means forget (the server stopped sending them). */
  async set(url: string, validators: Validators): Promise<void> {
    const entries = await this.load();
    const key = ValidatorStore.key(url);
    const had = entries.get(key);
    const next = validators.etag !== undefined || validators.lastModified !== undefined ? validators : undefined;
    if (JSON.stringify(had) === JSON.stringify(next)) return;
    entries.delete(key);
    if (next) entries.set(key, next);
    // Oldest first in insertion order; keep the file small on a device.
    while (entries.size > MAX_ENTRIES) entries.delete(entries.keys().next().value!);
    const shape: FileShape = { version: 1, entries: Object.fromEntries(entries) };
    await writeFileDurable(this.file, JSON.stringify(shape, null, 2) + '\n', { mode: 0o600, files: this.files });
  }
}
