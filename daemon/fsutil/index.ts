/**
 * The one durable-write helper (STYLE.md §8, RELIABILITY.md §5.4): write a temp file in the
 * same directory, fsync it, rename it over the target, fsync the directory. A power cut
 * leaves either the old file or the new one, never a torn mix.
 */
import { constants as fsConstants, existsSync } from 'node:fs';
import * as path from 'node:path';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { ProvisiondError } from '../errors/index.js';
import { nodeFileSystem, type FileHandle, type FileSystem } from './files.js';

export { nodeFileSystem, type FileHandle, type FileSystem } from './files.js';

export interface DurableWriteOptions {
  /** File mode of the new file (default 0o644; use 0o600 for anything secret). */
  readonly mode?: number;
  readonly files?: FileSystem;
}

const inFlight = new Set<Promise<void>>();

/** Resolves when every durable write started so far has finished (used at shutdown). */
export async function settleWrites(): Promise<void> {
  await Promise.allSettled([...inFlight]);
}

export function tempPathFor(target: string): string {
  return path.join(path.dirname(target), `.${path.basename(target)}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`);
}

export async function writeFileDurable(target: string, data: string | Uint8Array, options: DurableWriteOptions = {}): Promise<void> {
  const job = doWrite(options.files ?? nodeFileSystem, target, data, options.mode ?? 0o644);
  inFlight.add(job);
  try {
    await job;
  } finally {
    inFlight.delete(job);
  }
}

async function doWrite(files: FileSystem, target: string, data: string | Uint8Array, mode: number): Promise<void> {
  const temp = tempPathFor(target);
  await refuseSymlink(files, target);
  let handle: FileHandle | undefined;
  try {
    // O_EXCL|O_NOFOLLOW: never write through a planted file or link at the temp path.
    handle = await files.open(temp, fsConstants.O_WRONLY | fsConstants.O_CREAT | fsConstants.O_EXCL | fsConstants.O_NOFOLLOW, mode);
    await handle.writeFile(data);
    await handle.sync();
    await handle.close();
    handle = undefined;
    await files.rename(temp, target);
    await syncDirectory(path.dirname(target), files);
  } catch (err) {
    await handle?.close().catch(() => undefined);
    await files.remove(temp).catch(() => undefined);
    throw writeError(target, err);
  }
}

async function refuseSymlink(files: FileSystem, target: string): Promise<void> {
  const stat = await files.lstat(target).catch(() => undefined);
  if (stat?.isSymbolicLink()) {
    throw new ProvisiondError('state_write_failed', `refusing to replace ${target}: it is a symbolic link`, { path: target });
  }
}

export async function syncDirectory(dir: string, files: FileSystem = nodeFileSystem): Promise<void> {
  const handle = await files.open(dir, fsConstants.O_RDONLY);
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** The typed error for a failed state write, naming the file and the errno code (EIO when none). */
export function writeError(target: string, err: unknown): ProvisiondError {
  if (err instanceof ProvisiondError) return err;
  const code = (err as NodeJS.ErrnoException).code ?? 'EIO';
  return new ProvisiondError('state_write_failed', `could not write ${target}: ${code}`, { path: target }, { cause: err });
}

/** Removes temp files left by a write that a crash interrupted. */
export async function removeStaleTemps(target: string, files: FileSystem = nodeFileSystem): Promise<number> {
  const dir = path.dirname(target);
  const prefix = `.${path.basename(target)}.tmp-`;
  const names = await files.readdir(dir).catch(() => [] as string[]);
  const stale = names.filter((name) => name.startsWith(prefix));
  await Promise.all(stale.map((name) => files.remove(path.join(dir, name))));
  return stale.length;
}

/** Reads a file, or undefined when it does not exist. Other errors are thrown. */
export async function readFileIfExists(file: string, files: FileSystem = nodeFileSystem): Promise<Buffer | undefined> {
  try {
    return await files.readFile(file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

/**
 * The package's root folder (where package.json is), found from a module's URL. Works from
 * the TypeScript sources (tests) and from the compiled `dist/` tree alike.
 */
export function packageRoot(from: string = import.meta.url): string {
  let dir = path.dirname(fileURLToPath(from));
  while (!existsSync(path.join(dir, 'package.json'))) {
    const parent = path.dirname(dir);
    if (parent === dir) throw new ProvisiondError('internal_error', 'package.json not found above ' + from);
    dir = parent;
  }
  return dir;
}
