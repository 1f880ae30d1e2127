/**
 * The one filesystem seam (STYLE.md §5, §13): every file call the daemon makes on its state
 * directory while running goes through a `FileSystem`, `nodeFileSystem` unless the App is
 * given another. It is the calls the stores really make, no more, so that a test can make
 * exactly those fail with real errno errors (EIO, EROFS, ENOSPC) on chosen paths, and heal.
 */
import { promises as fsp, type Stats } from 'node:fs';

/** What the stores do with an open file. */
export interface FileHandle {
  writeFile(data: string | Uint8Array): Promise<void>;
  readFile(): Promise<Buffer>;
  stat(): Promise<Stats>;
  sync(): Promise<void>;
  datasync(): Promise<void>;
  truncate(length: number): Promise<void>;
  chmod(mode: number): Promise<void>;
  close(): Promise<void>;
}

export interface FileSystem {
  open(file: string, flags: number, mode?: number): Promise<FileHandle>;
  readFile(file: string): Promise<Buffer>;
  readdir(dir: string): Promise<string[]>;
  lstat(file: string): Promise<Stats>;
  rename(from: string, to: string): Promise<void>;
  link(existing: string, target: string): Promise<void>;
  /** Removes a file; a missing one is no error. */
  remove(file: string): Promise<void>;
  truncate(file: string, length: number): Promise<void>;
}

export const nodeFileSystem: FileSystem = {
  open: (file, flags, mode) => fsp.open(file, flags, mode),
  readFile: (file) => fsp.readFile(file),
  readdir: (dir) => fsp.readdir(dir),
  lstat: (file) => fsp.lstat(file),
  rename: (from, to) => fsp.rename(from, to),
  link: (existing, target) => fsp.link(existing, target),
  remove: (file) => fsp.rm(file, { force: true }),
  truncate: (file, length) => fsp.truncate(file, length),
};
