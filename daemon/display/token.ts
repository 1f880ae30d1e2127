/**
 * The display token (SPEC §8): `stateDir/display.token`, mode 0600, created once with 32
 * random bytes. TCP clients of the feed must present it as their first message. It is a
 * secret: registered with the redactor as soon as it is read.
 */
import { constants as fsConstants } from 'node:fs';
import * as path from 'node:path';
import { randomBytes, createHash, timingSafeEqual } from 'node:crypto';
import { nodeFileSystem, removeStaleTemps, writeFileDurable, type FileHandle, type FileSystem } from '../fsutil/index.js';
import type { Redactor } from '../log/index.js';

export const TOKEN_FILE = 'display.token';
/** Shorter than this is not a token we made (a truncated or hand-edited file): replace it. */
const MIN_TOKEN_LENGTH = 32;

export async function loadDisplayToken(stateDir: string, redactor: Redactor, files: FileSystem = nodeFileSystem): Promise<string> {
  const file = path.join(stateDir, TOKEN_FILE);
  // A power cut during the token's first write leaves its temp file; nothing else would remove it.
  await removeStaleTemps(file, files);
  let token = await readOwnToken(files, file);
  if (token === undefined) {
    // A link or a non-file in its place is no token of ours: remove the link itself (never
    // what it names) and write a fresh token.
    if ((await files.lstat(file).catch(() => undefined))?.isSymbolicLink()) await files.remove(file);
    token = randomBytes(32).toString('base64url');
    await writeFileDurable(file, token + '\n', { mode: 0o600, files });
  }
  redactor.add(token);
  return token;
}

/**
 * The token in `file` through a handle opened with O_NOFOLLOW (a planted link is never read
 * nor chmod-ed: the mode change goes to the file we opened); undefined when there is none.
 */
async function readOwnToken(files: FileSystem, file: string): Promise<string | undefined> {
  let handle: FileHandle;
  try {
    handle = await files.open(file, fsConstants.O_RDONLY | fsConstants.O_NOFOLLOW | fsConstants.O_NONBLOCK);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ELOOP') return undefined;
    throw err;
  }
  try {
    const stat = await handle.stat();
    if (!stat.isFile()) return undefined;
    const text = (await handle.readFile()).toString('utf8').trim();
    if (text.length < MIN_TOKEN_LENGTH) return undefined;
    // Someone may have loosened it; a token readable by others is no token.
    if ((stat.mode & 0o077) !== 0) await handle.chmod(0o600);
    return text;
  } finally {
    await handle.close();
  }
}

/** Compares in constant time (hashing first makes the lengths equal). */
export function tokenMatches(expected: string, given: string): boolean {
  const a = createHash('sha256').update(expected).digest();
  const b = createHash('sha256').update(given).digest();
  return timingSafeEqual(a, b);
}
