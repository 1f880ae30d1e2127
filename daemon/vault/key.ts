/**
 * Where the vault key comes from (SPEC §6, ECOSYSTEM.md §3.7): the systemd credential
 * `$CREDENTIALS_DIRECTORY/vault.key` (`LoadCredential=` / `LoadCredentialEncrypted=`) when the
 * unit passes one, else `stateDir/vault.key`, 32 random bytes created once.
 *
 * The key file is created without ever exposing a partial key under its final name: the bytes
 * go to a temp file opened with O_EXCL|O_NOFOLLOW and mode 0600, are fsynced, and are then
 * hard-linked to `vault.key` — link(2) fails when the name exists, so two starting daemons
 * cannot both create a key, and a power cut leaves either no key file or a whole one.
 *
 * An existing key that others could read or replace is refused rather than used: a key
 * readable by group/other, owned by another user, a symlink or not a regular file.
 */
import { constants as fsConstants } from 'node:fs';
import * as path from 'node:path';
import { randomBytes as cryptoRandomBytes } from 'node:crypto';
import { ProvisiondError } from '../errors/index.js';
import { nodeFileSystem, syncDirectory, tempPathFor, type FileHandle, type FileSystem } from '../fsutil/index.js';
import type { RandomBytes } from './codec.js';

/** Key material below this length is refused: it is the input of HKDF-SHA-256 (RFC 5869). */
export const MIN_KEY_BYTES = 32;
export const KEY_FILE = 'vault.key';

export interface VaultKeyMaterial {
  readonly key: Buffer;
  readonly source: 'credential' | 'state-dir';
  readonly path: string;
}

export interface LoadKeyOptions {
  readonly stateDir: string;
  /** `$CREDENTIALS_DIRECTORY`; undefined or empty when the unit passes no credentials. */
  readonly credentialsDirectory?: string | undefined;
  readonly randomBytes?: RandomBytes;
  readonly files?: FileSystem;
}

export async function loadVaultKey(options: LoadKeyOptions): Promise<VaultKeyMaterial> {
  const uid = process.getuid!(); // provisiond runs on Linux only, where getuid exists
  const files = options.files ?? nodeFileSystem;
  if (options.credentialsDirectory) {
    const file = path.join(options.credentialsDirectory, KEY_FILE);
    // systemd hands credentials to the service user; a root-owned one is equally private.
    const key = await readKeyFile(files, file, [uid, 0]);
    if (key) return { key, source: 'credential', path: file };
  }
  const file = path.join(options.stateDir, KEY_FILE);
  const existing = await readKeyFile(files, file, [uid]);
  if (existing) return { key: existing, source: 'state-dir', path: file };
  const created = await createKeyFile(files, file, options.randomBytes ?? cryptoRandomBytes);
  return { key: created ?? (await readKeyFile(files, file, [uid])) ?? missing(file), source: 'state-dir', path: file };
}

function missing(file: string): never {
  throw new ProvisiondError('vault_key_unavailable', `the vault key ${file} vanished while it was being created`, { path: file });
}

function insecure(file: string, why: string): ProvisiondError {
  return new ProvisiondError('vault_key_insecure', `refusing the vault key ${file}: ${why}`, { path: file });
}

/** The key bytes, or undefined when the file does not exist. */
async function readKeyFile(files: FileSystem, file: string, owners: readonly number[]): Promise<Buffer | undefined> {
  let handle: FileHandle;
  try {
    handle = await files.open(file, fsConstants.O_RDONLY | fsConstants.O_NOFOLLOW | fsConstants.O_NONBLOCK);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return undefined;
    if (code === 'ELOOP') throw insecure(file, 'it is a symbolic link');
    throw new ProvisiondError('vault_key_unavailable', `cannot read the vault key ${file}: ${code}`, { path: file }, { cause: err });
  }
  try {
    const stat = await handle.stat();
    if (!stat.isFile()) throw insecure(file, 'it is not a regular file');
    if ((stat.mode & 0o077) !== 0) throw insecure(file, `mode ${(stat.mode & 0o777).toString(8).padStart(4, '0')} lets other users read or change it (expected 0600 or 0400)`);
    if (!owners.includes(stat.uid)) throw insecure(file, `it is owned by uid ${stat.uid}, expected uid ${owners.join(' or ')}`);
    const key = await handle.readFile();
    if (key.length < MIN_KEY_BYTES) {
      throw new ProvisiondError('vault_key_invalid', `the vault key ${file} holds ${key.length} bytes; at least ${MIN_KEY_BYTES} are needed`, { path: file });
    }
    return key;
  } finally {
    await handle.close();
  }
}

/** Creates the key file; undefined when another process created it first. */
async function createKeyFile(files: FileSystem, file: string, random: RandomBytes): Promise<Buffer | undefined> {
  const temp = tempPathFor(file);
  const key = random(MIN_KEY_BYTES);
  try {
    const handle = await files.open(temp, fsConstants.O_WRONLY | fsConstants.O_CREAT | fsConstants.O_EXCL | fsConstants.O_NOFOLLOW, 0o600);
    try {
      await handle.writeFile(key);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await files.link(temp, file);
    await syncDirectory(path.dirname(file), files);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return undefined;
    throw new ProvisiondError('vault_key_unavailable', `cannot create the vault key ${file}: ${(err as NodeJS.ErrnoException).code}`, { path: file }, { cause: err });
  } finally {
    await files.remove(temp);
  }
  return key;
}
