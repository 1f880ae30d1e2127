/**
 * The Avaya backup file (DOMAIN.md §3.3; SPEC §7): `NAME=value` lines; read as UTF-16LE with
 * a BOM or as UTF-8, written as UTF-16LE + BOM with CRLF. Identifiers are case-insensitive
 * and spaces around them are part of them; unknown or invalid lines are skipped, the last
 * duplicate wins, and a file with no valid line is an error. Only user data travels in it,
 * never passwords.
 */
import { profileError } from './types.js';

/**
 * The user options by name (DOMAIN.md §3.3). Deliberately a list, not `OPT*`/`LOG*`/`PHN*`
 * prefixes: administrator settings share those prefixes (`PHNEMERGNUM`, `PHNNUMOFSA`,
 * `LOGSRVR`) and must stay settable by a provisioning profile.
 */
export const USER_OPTIONS: readonly string[] = [
  'LOGACTIVE', 'LOGBRIDGED', 'OPTAGCHAND', 'OPTAGCHEAD', 'OPTAGCSPKR', 'OPTAUDIOPATH', 'OPTCLICKS',
  'OPTERRORTONE', 'PERSONALRING', 'PHNREDIAL', 'PHNSCRONCALL', 'PHNSCRONALERT', 'PHNTIMERS',
  'PHNVISUALALERT', 'LANGUSER', 'IDLEAPP', 'LISTAPP',
];

/** User data: the parameters backup/restore carries (SPEC §3 "User data"; DOMAIN.md §3.3). */
export const USER_DATA_PATTERNS: readonly RegExp[] = [
  /^(?:ABKNAME|ABKNUMBER|PHNLABEL|SBMLABEL|HOMEFAV)\d+$/,
  // 9610 files (DOMAIN.md §3.3).
  /^(?:MMLBL|MMTYPE|MMDATA|CONLABEL|CONDATA)\d+$/,
  new RegExp(`^(?:${USER_OPTIONS.join('|')})$`),
];

/** The patterns as one expression: every name of every profile is tested against it. */
const USER_DATA = new RegExp(USER_DATA_PATTERNS.map((p) => `(?:${p.source})`).join('|'));

/** True for a user-data parameter name (upper case, as the phone spells them). */
export function isUserDataName(name: string): boolean {
  return USER_DATA.test(name);
}

export const DEFAULT_BACKUP_BYTES = 1024 * 1024;

/** Control characters other than U+001F (which joins HOMEFAV fields) make a line invalid. */
const INVALID_VALUE = /[\u0000-\u001e\u007f]/;

function validValue(name: string, value: string): boolean {
  if (INVALID_VALUE.test(value)) return false;
  // The one documented range: PERSONALRING is 1–8 (DOMAIN.md §3.3).
  return name !== 'PERSONALRING' || /^[1-8]$/.test(value);
}

function decode(data: Uint8Array): string {
  if (data[0] === 0xff && data[1] === 0xfe) return new TextDecoder('utf-16le').decode(data.subarray(2));
  return new TextDecoder('utf-8').decode(data);
}

/** Reads a backup file into NAME => value (names upper-cased). */
export function parseBackupFile(data: Uint8Array, maxBytes = DEFAULT_BACKUP_BYTES): Map<string, string> {
  if (data.length > maxBytes) throw profileError('backup_too_large', `the backup file is larger than ${maxBytes} bytes`);
  const entries = new Map<string, string>();
  for (const line of decode(data).split(/[\r\n]/)) {
    const eq = line.indexOf('=');
    if (eq < 0) continue;
    const name = line.slice(0, eq).toUpperCase();
    const value = line.slice(eq + 1);
    if (!isUserDataName(name) || !validValue(name, value)) continue;
    entries.delete(name);
    entries.set(name, value);
  }
  if (entries.size === 0) throw profileError('backup_parse_error', 'the backup file has no valid NAME=value line');
  return entries;
}

/** Writes user data as a backup file; other names and unrepresentable values are left out. */
export function serializeBackupFile(entries: Iterable<readonly [string, string]>): Buffer {
  const lines: string[] = [];
  for (const [rawName, value] of entries) {
    const name = rawName.toUpperCase();
    if (isUserDataName(name) && validValue(name, value)) lines.push(`${name}=${value}\r\n`);
  }
  return Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(lines.join(''), 'utf16le')]);
}
