/**
 * The display token (SPEC §8): `stateDir/display.token`, mode 0600, created once with 32
 * random bytes. TCP clients of the feed must present it as their first message. It is a
 * secret: registered with the redactor as soon as it is read.
 */
import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import { randomBytes, createHash, timingSafeEqual } from 'node:crypto';
import { readFileIfExists, writeFileDurable } from '../fsutil/index.js';
import { secrets as defaultRedactor, type Redactor } from '../log/index.js';

export const TOKEN_FILE = 'display.token';
/** Shorter than this is not a token we made (a truncated or hand-edited file): replace it. */
const MIN_TOKEN_LENGTH = 32;

export async function loadDisplayToken(stateDir: string, redactor: Redactor = defaultRedactor): Promise<string> {
  const file = path.join(stateDir, TOKEN_FILE);
  const existing = (await readFileIfExists(file))?.toString('utf8').trim();
  let token: string;
  if (existing !== undefined && existing.length >= MIN_TOKEN_LENGTH) {
    token = existing;
    // Someone may have loosened it; a token readable by others is no token.
    await fsp.chmod(file, 0o600);
  } else {
    token = randomBytes(32).toString('base64url');
    await writeFileDurable(file, token + '\n', { mode: 0o600 });
  }
  redactor.add(token);
  return token;
}

/** Compares in constant time (hashing first makes the lengths equal). */
export function tokenMatches(expected: string, given: string): boolean {
  const a = createHash('sha256').update(expected).digest();
  const b = createHash('sha256').update(given).digest();
  return timingSafeEqual(a, b);
}
