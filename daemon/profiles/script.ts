/**
 * The Avaya settings script (46xxsettings.txt, DOMAIN.md §3.1): one statement per line —
 * `SET name value`, `IF $name SEQ value GOTO tag`, `# tag`, `GOTO tag`, `GET file`, `#`
 * comments. Values may be quoted; an unquoted value ends at the first blank.
 * - `IF … SEQ` compares exactly (SPEC §3 decision); a parameter with no value => line ignored.
 * - `GOTO` to a missing tag ignores the rest of the file.
 * - `GET` fetches another script through the callback; when it arrives it is interpreted and
 *   the current file does not continue; when it is missing the current file goes on.
 * GET chains are bounded in depth and refuse to fetch a file twice (a cycle); every script
 * run is bounded in statements and in work — each statement costs one plus the characters of
 * its line, which it reads again each time — so a `GOTO` loop over a megabyte line ends in an
 * error after about `maxWork` character reads instead of blocking the event loop for hours.
 */
import { isSecretParam } from '../params/registry.js';
import type { ProfileUpdate } from './types.js';
import { DEFAULT_PROFILE_BYTES, UpdateList, profileError } from './types.js';

export interface ScriptOptions {
  /** Fetches a file named by `GET` from the same server and directory; null when not found. */
  readonly fetch?: (name: string) => Promise<Uint8Array | null>;
  /** Current parameter values for `IF $NAME` (GROUP, MODEL4, MACADDR, SIG_IN_USE, …). */
  readonly params?: (name: string) => string | undefined;
  /**
   * Secret parameters (default: the registry's `GPP_SA`…`SD`, EM passwords). A `GET` name that
   * would expand one is not fetched (SPEC §4: it would put the secret in a URL); the script
   * goes on as after a `GET` of a missing file, and `refused` hears of it.
   */
  readonly secret?: (name: string) => boolean;
  readonly refused?: (message: string) => void;
  /**
   * Hears which file each `SET` came from: the `GET` name, or undefined for the script itself
   * (TRUSTCERTS names are relative to the script that set them, SPEC §6).
   */
  readonly setIn?: (name: string, file: string | undefined) => void;
  /** The script's own file name, so a `GET` back to it is seen as a cycle. */
  readonly name?: string;
  readonly maxGetDepth?: number;
  /** Total bytes of all fetched scripts together. */
  readonly maxBytes?: number;
  readonly maxSteps?: number;
  /**
   * Work budget of one run: statements executed plus the characters of their lines. Default:
   * proportional to the scripts' size (WORK_PER_CHAR per character plus WORK_BASE, at most
   * DEFAULT_MAX_WORK), so a 40-byte loop stops as soon as a megabyte one would, relatively.
   */
  readonly maxWork?: number;
  /** Receives the work counted, so tests can check it is bounded by the input (not the clock). */
  readonly meter?: { work: number };
  /** Turns fetched bytes into text (UTF-8 check, BOM); defaults to lenient UTF-8. */
  readonly decode?: (bytes: Uint8Array, name: string) => string;
}

export const DEFAULT_MAX_GET_DEPTH = 8;
export const DEFAULT_MAX_STEPS = 1_000_000;
/** Eight times the largest profile (DEFAULT_PROFILE_BYTES): room for loops over short lines. */
export const DEFAULT_MAX_WORK = 8 * DEFAULT_PROFILE_BYTES;
/** A script runs each line about once; a few backward GOTOs after SETs fit well inside this. */
export const WORK_PER_CHAR = 64;
export const WORK_BASE = 64 * 1024;

interface ScriptFile {
  readonly name: string;
  readonly lines: readonly string[];
  readonly tags: ReadonlyMap<string, number>;
}

type Outcome = { readonly get: string; readonly resume: number } | undefined;

function load(name: string, text: string): ScriptFile {
  const lines = text.split(/\r\n|\r|\n/);
  const tags = new Map<string, number>();
  lines.forEach((line, index) => {
    // A tag is exactly "#", one space, one word (DOMAIN.md §3.1).
    const tag = /^# (\S+)\s*$/.exec(line);
    if (tag && !tags.has(tag[1] as string)) tags.set(tag[1] as string, index);
  });
  return { name, lines, tags };
}

/** Reads a value: `"quoted with blanks"` or one word; '' when absent. */
function readValue(rest: string, line: number, fileName: string): string {
  if (!rest.startsWith('"')) return rest.split(/\s/, 1)[0] as string;
  const close = rest.indexOf('"', 1);
  if (close < 0) throw profileError('profile_parse_error', `unterminated quoted value in ${fileName}`, line);
  return rest.slice(1, close);
}

class ScriptRun {
  private readonly options: ScriptOptions;
  private readonly updates = new UpdateList();
  private steps = 0;
  private work = 0;
  /** Characters of every script loaded so far (the root and its GETs). */
  private chars = 0;
  private root = '';

  constructor(options: ScriptOptions) {
    this.options = options;
  }

  private value(name: string): string | undefined {
    return this.updates.get(name) ?? this.options.params?.(name);
  }

  /** Runs `file` from line `start` until its end or a GET. */
  private run(file: ScriptFile, start: number): Outcome {
    const maxSteps = this.options.maxSteps ?? DEFAULT_MAX_STEPS;
    const maxWork = this.options.maxWork ?? Math.min(DEFAULT_MAX_WORK, WORK_PER_CHAR * this.chars + WORK_BASE);
    for (let index = start; index < file.lines.length; index++) {
      if (++this.steps > maxSteps) throw profileError('profile_script_loop', `the settings script runs more than ${maxSteps} statements (a GOTO loop?) in ${file.name}`, index + 1);
      const raw = file.lines[index] as string;
      this.work += 1 + raw.length;
      if (this.options.meter) this.options.meter.work = this.work;
      if (this.work > maxWork) throw profileError('profile_script_loop', `the settings script does more than ${maxWork} units of work (a GOTO loop over long lines?) in ${file.name}`, index + 1);
      const line = raw.trim();
      if (line === '' || line.startsWith('#')) continue;
      const [keyword = '', ...words] = line.split(/\s+/);
      const rest = line.slice(keyword.length).trim();
      switch (keyword.toUpperCase()) {
        case 'SET': {
          const name = words[0];
          if (name === undefined) throw profileError('profile_parse_error', `SET needs a parameter name in ${file.name}`, index + 1);
          this.updates.set(name, readValue(rest.slice(name.length).trim(), index + 1, file.name), undefined);
          this.options.setIn?.(name, file.name === this.root ? undefined : file.name);
          break;
        }
        case 'IF': {
          const match = /^\$(\S+)\s+SEQ\s+("[^"]*"|\S+)\s+GOTO\s+(\S+)$/i.exec(rest);
          if (!match) throw profileError('profile_parse_error', `expected IF $NAME SEQ value GOTO tag in ${file.name}`, index + 1);
          const current = this.value(match[1] as string);
          if (current !== undefined && current === readValue(match[2] as string, index + 1, file.name)) {
            const target = file.tags.get(match[3] as string);
            if (target === undefined) return undefined;
            index = target;
          }
          break;
        }
        case 'GOTO': {
          const target = file.tags.get(words[0] ?? '');
          if (target === undefined) return undefined;
          index = target;
          break;
        }
        case 'GET':
          if (words[0] === undefined) throw profileError('profile_parse_error', `GET needs a file name in ${file.name}`, index + 1);
          return { get: words[0], resume: index + 1 };
        default:
          // Unknown statements are ignored, as the phones do.
          break;
      }
    }
    return undefined;
  }

  async execute(text: string): Promise<ProfileUpdate[]> {
    const options = this.options;
    const root = options.name ?? '(settings script)';
    this.root = root;
    const seen = [root];
    let bytes = text.length;
    let file = load(root, text);
    this.chars = text.length;
    let start = 0;
    for (;;) {
      const outcome = this.run(file, start);
      if (outcome === undefined) return this.updates.list();
      const name = this.expandName(outcome.get);
      if (name === undefined) {
        options.refused?.(`GET ${outcome.get} in ${file.name} line ${outcome.resume} names a secret parameter; not fetched`);
        start = outcome.resume;
        continue;
      }
      const maxDepth = options.maxGetDepth ?? DEFAULT_MAX_GET_DEPTH;
      if (seen.includes(name)) throw profileError('profile_get_cycle', `GET cycle: ${[...seen, name].join(' → ')}`, outcome.resume);
      if (seen.length > maxDepth) throw profileError('profile_get_depth', `GET nested deeper than ${maxDepth} files`, outcome.resume);
      const body = options.fetch ? await options.fetch(name) : null;
      if (body === null) {
        start = outcome.resume;
        continue;
      }
      bytes += body.byteLength;
      const maxBytes = options.maxBytes ?? DEFAULT_PROFILE_BYTES;
      if (bytes > maxBytes) throw profileError('profile_too_large', `settings scripts together exceed ${maxBytes} bytes`);
      seen.push(name);
      file = load(name, options.decode ? options.decode(body, name) : Buffer.from(body).toString('utf8'));
      this.chars += file.lines.reduce((sum, line) => sum + line.length + 1, 0);
      start = 0;
    }
  }

  /**
   * `$MACADDR`, `$MODEL4`, `$SERIALNO` in GET file names (DOMAIN.md §3.1, J100 paths);
   * undefined when a secret parameter would be expanded.
   */
  private expandName(name: string): string | undefined {
    const secret = this.options.secret ?? isSecretParam;
    let refused = false;
    const expanded = name.replace(/\$([A-Z][A-Z0-9_]*)/g, (whole, param: string) => {
      const value = this.value(param);
      if (value !== undefined && secret(param)) refused = true;
      return value ?? whole;
    });
    return refused ? undefined : expanded;
  }
}

/** Runs a settings script; resolves to its updates or rejects with a `profile_*` error. */
export function parseSettingsScript(text: string, options: ScriptOptions = {}): Promise<ProfileUpdate[]> {
  return new ScriptRun(options).execute(text);
}
