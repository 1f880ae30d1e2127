/**
 * One entry for every profile a resync receives (SPEC §4): undo `--key` and gzip, decode,
 * tell the format apart by content, parse. All or nothing: any problem rejects with a typed
 * `profile_*` error and no update is returned. User data (SPEC §3) never comes from a
 * profile: such names are dropped and listed in `ignored`.
 */
import { isUserDataName } from './backup.js';
import { decodeText, unwrapLayers } from './layers.js';
import { parseSettingsScript } from './script.js';
import type { ScriptOptions } from './script.js';
import type { ProfileUpdate } from './types.js';
import { DEFAULT_PROFILE_BYTES, profileError } from './types.js';
import { parseFlatProfile } from './xml.js';
import type { FlatProfileOptions } from './xml.js';

export type ProfileFormat = 'xml' | 'avaya-script';

export interface ParseProfileOptions extends FlatProfileOptions, Omit<ScriptOptions, 'maxBytes' | 'decode'> {
  /** SPEC §2 `limits`: largest profile accepted after decompression (default 4 MiB). */
  readonly limits?: { readonly profileBytes?: number };
  /** The `--key` phrase of the rule. */
  readonly key?: string;
}

export interface ParsedProfile {
  readonly format: ProfileFormat;
  readonly updates: ProfileUpdate[];
  /** User-data names the profile tried to set, left out. */
  readonly ignored: string[];
}

const SCRIPT_LINE = /^(?:#|(?:SET|IF|GOTO|GET)\s)/i;

/** Tells the format apart by content; undefined when it is neither. */
export function detectFormat(text: string): ProfileFormat | undefined {
  const start = text.search(/\S/);
  if (start < 0) return undefined;
  if (text.charAt(start) === '<') return 'xml';
  return SCRIPT_LINE.test(text.slice(start, start + 6)) ? 'avaya-script' : undefined;
}

export async function parseProfile(data: Uint8Array, options: ParseProfileOptions = {}): Promise<ParsedProfile> {
  const maxBytes = options.limits?.profileBytes ?? DEFAULT_PROFILE_BYTES;
  const plain = unwrapLayers(data, { maxBytes, ...(options.key !== undefined && { key: options.key }) });
  const text = decodeText(plain);
  const format = detectFormat(text);
  if (format === undefined) throw profileError('profile_format_unknown', 'the profile is neither an XML flat profile nor an Avaya settings script', 1);
  const all = format === 'xml'
    ? parseFlatProfile(text, options)
    : await parseSettingsScript(text, { ...options, maxBytes, decode: decodeText });
  const updates: ProfileUpdate[] = [];
  const ignored: string[] = [];
  for (const update of all) {
    if (isUserDataName(update.name)) ignored.push(update.name);
    else updates.push(update);
  }
  return { format, updates, ignored };
}
