/**
 * The vault on disk: `stateDir/vault.enc` (SPEC §6), written through the one durable-write
 * helper with mode 0600 (RELIABILITY.md §5.4).
 *
 * Opening never fails because of the vault file itself: a torn, truncated, altered,
 * future-version or wrong-key file is renamed `vault.enc.corrupt-<timestamp>`, reported
 * through `onCorrupt`, and the vault starts empty — a phone must not crash-loop over a file
 * (the lead turns the report into the `vault.corrupted` event). Only an unusable key
 * (`vault_key_*`) is thrown, because a key that others can read must not be used.
 *
 * A file that cannot be moved aside is never overwritten: writes are refused until it can be.
 *
 * Only what the file holds (or a link or non-file in its place) makes it "corrupt". An error
 * of the moment — EACCES, EIO, EMFILE, ENFILE… — says nothing about its contents: opening
 * then fails with `vault_unavailable` and the file is left where it is (systemd restarts the
 * daemon; moving a good vault aside would lose every credential over a passing fault).
 */
import { constants as fsConstants } from 'node:fs';
import * as path from 'node:path';
import { randomBytes as cryptoRandomBytes } from 'node:crypto';
import { ProvisiondError } from '../errors/index.js';
import { nodeFileSystem, removeStaleTemps, syncDirectory, writeFileDurable, type FileSystem } from '../fsutil/index.js';
import type { Redactor } from '../log/index.js';
import { decodeVault, deriveKeys, encodeVault, type CorruptReason, type RandomBytes, type VaultKeys } from './codec.js';
import { KEY_FILE, loadVaultKey } from './key.js';
import type { VaultRecord } from './record.js';
import { TableVault } from './table.js';

export const VAULT_FILE = 'vault.enc';

/** What `onCorrupt` receives: names and reasons only, never a secret. */
export interface VaultCorruption {
  readonly reason: CorruptReason;
  readonly detail: string;
  readonly file: string;
  /** Where the file was moved; undefined when it could not be moved (writes then wait). */
  readonly movedTo: string | undefined;
  readonly at: string;
}

export interface FileVaultOptions {
  readonly stateDir: string;
  /** Defaults to `process.env.CREDENTIALS_DIRECTORY`. */
  readonly credentialsDirectory?: string | undefined;
  readonly onCorrupt?: (info: VaultCorruption) => void;
  readonly redactor?: Redactor;
  readonly now?: () => Date;
  readonly randomBytes?: RandomBytes;
  readonly files?: FileSystem;
}

export class FileVault extends TableVault {
  readonly file: string;
  readonly keySource: 'credential' | 'state-dir';

  constructor(file: string, keySource: 'credential' | 'state-dir', options: ConstructorParameters<typeof TableVault>[0]) {
    super(options);
    this.file = file;
    this.keySource = keySource;
  }
}

type Loaded = { readonly records: VaultRecord[] } | { readonly reason: CorruptReason; readonly detail: string };

export async function openFileVault(options: FileVaultOptions): Promise<FileVault> {
  const file = path.join(options.stateDir, VAULT_FILE);
  const now = options.now ?? (() => new Date());
  const random = options.randomBytes ?? cryptoRandomBytes;
  const files = options.files ?? nodeFileSystem;
  await removeStaleTemps(file, files);
  await removeStaleTemps(path.join(options.stateDir, KEY_FILE), files);
  const material = await loadVaultKey({
    files,
    stateDir: options.stateDir,
    credentialsDirectory: 'credentialsDirectory' in options ? options.credentialsDirectory : process.env.CREDENTIALS_DIRECTORY,
    randomBytes: random,
  });
  const keys = deriveKeys(material.key);
  const loaded = await load(files, file, keys);
  let blocked = false;
  if ('reason' in loaded) {
    const movedTo = await moveAside(files, file, now());
    blocked = movedTo === undefined;
    options.onCorrupt?.({ reason: loaded.reason, detail: loaded.detail, file, movedTo, at: now().toISOString() });
  }
  const persist = async (records: readonly VaultRecord[]): Promise<void> => {
    if (blocked && (await exists(files, file).catch(() => true)) && (await moveAside(files, file, now())) === undefined) {
      throw new ProvisiondError('vault_write_failed', `the vault was not changed: the unreadable ${file} could not be moved aside`, { path: file });
    }
    blocked = false;
    try {
      await writeFileDurable(file, encodeVault(records, keys, random), { mode: 0o600, files });
    } catch (err) {
      throw new ProvisiondError('vault_write_failed', `the vault was not changed: ${(err as Error).message}`, { path: file }, { cause: err });
    }
  };
  return new FileVault(file, material.source, {
    persist,
    now,
    initial: 'records' in loaded ? loaded.records : [],
    redactor: options.redactor,
  });
}

async function load(files: FileSystem, file: string, keys: VaultKeys): Promise<Loaded> {
  let bytes: Buffer;
  try {
    // O_NOFOLLOW: a planted link must not make us read (and later move) another file;
    // O_NONBLOCK: a planted FIFO must not hang the start.
    const handle = await files.open(file, fsConstants.O_RDONLY | fsConstants.O_NOFOLLOW | fsConstants.O_NONBLOCK);
    try {
      const stat = await handle.stat();
      if (!stat.isFile()) return { reason: 'unreadable', detail: 'it is not a regular file' };
      // A vault copied in with a loose mode (a restore, an admin's cp) is made private again.
      if ((stat.mode & 0o077) !== 0) await handle.chmod(0o600);
      bytes = await handle.readFile();
    } finally {
      await handle.close();
    }
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return { records: [] };
    if (code === 'ELOOP') return { reason: 'symlink', detail: 'it is a symbolic link' };
    throw new ProvisiondError('vault_unavailable', `cannot read the vault ${file} now (${code}); it is left as it is`, { path: file }, { cause: err });
  }
  const decoded = decodeVault(bytes, keys);
  return decoded.ok ? { records: decoded.records } : decoded;
}

/** Renames `file` to `file.corrupt-<timestamp>` (a free name); undefined when that fails. */
async function moveAside(files: FileSystem, file: string, at: Date): Promise<string | undefined> {
  const stamp = at.toISOString().replace(/[-:.]/g, '');
  try {
    let target = `${file}.corrupt-${stamp}`;
    for (let n = 1; await exists(files, target); n++) target = `${file}.corrupt-${stamp}-${n}`;
    await files.rename(file, target);
    await syncDirectory(path.dirname(file), files);
    return target;
  } catch {
    return undefined;
  }
}

/** Whether a name is taken; errors other than ENOENT are thrown (unknown is not "free"). */
async function exists(files: FileSystem, file: string): Promise<boolean> {
  try {
    await files.lstat(file);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw err;
  }
}
