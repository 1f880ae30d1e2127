/**
 * Macro expansion (DOMAIN.md §1.8): `$NAME`, `$(NAME)`, `$(NAME:p)`, `$(NAME:p:q)`, `$$`.
 * One left-to-right pass, so expansion is never recursive (`$$MAU` gives `$MAU`); unknown
 * names stay as written (`spa$STRANGE$MAU.cfg`); `$NAME` takes the longest known name
 * (`$MAU` is not `$MA` + `U`, DOMAIN.md §1.8 design note).
 */
import { ruleError } from './scanner.js';

/** Where macro values come from: parameters (GPP_*) and the facts the resync engine fills. */
export interface MacroContext {
  /** Parameter values by name, e.g. `GPP_A`. */
  readonly params: (name: string) => string | undefined;
  /** Macro variables by macro name: `MA`, `SWVER`, `EMS`, … (DOMAIN.md §1.8 table). */
  readonly vars: Readonly<Record<string, string>>;
}

export interface ExpandOptions {
  /**
   * What a secret macro (`$PPWD`, `$MPWD`, `$SA`–`$SD`) becomes (SPEC §4): `true` expands it
   * (`--key/--uid/--pwd` arguments and conditions only); `'mask'` shows `***` whole or sliced
   * (`Log_Resync_*` messages: a slice is a piece of the password); `'reject'` throws
   * `rule_url_error` (a URL); by default it stays as written, so a secret never reaches an
   * assignment, a POST body or a log line.
   */
  readonly secrets?: boolean | 'mask' | 'reject';
  /** Where `text` starts in the rule, for the column of a `'reject'` error. */
  readonly at?: number;
}

/** Shown for a secret macro in a message, whatever slice was asked for. */
export const MASK = '***';

const LETTERS = 'ABCDEFGHIJKLMNOP';
const SECRET_LETTERS = ['SA', 'SB', 'SC', 'SD'];

/** Every macro variable of DOMAIN.md §1.8 (GPP names are added below). */
export const MACRO_NAMES: readonly string[] = [
  'MA', 'MAU', 'MAC', 'PN', 'PSN', 'SN', 'CCERT', 'IP', 'EXTIP', 'SWVER', 'HWVER',
  'PRVST', 'UPGST', 'UPGERR', 'PRVTMR', 'UPGTMR', 'REGTMR1', 'REGTMR2', 'UPGCOND',
  'SCHEME', 'METH', 'SERV', 'SERVIP', 'PORT', 'PATH', 'ERR', 'ORIGTYPE', 'AUTHSTATUS',
  'PDOM', 'EMS', 'PUID', 'PPWD', 'MUID', 'MPWD',
];

/** The macros whose value is a password or key phrase. */
const SECRET_MACROS = new Set(['PPWD', 'MPWD', ...SECRET_LETTERS.flatMap((l) => [l, `GPP_${l}`])]);

const GPP_NAMES = [...LETTERS].flatMap((l) => [l, `GPP_${l}`]);
// Secret names are always recognised as macros, so that a policy decides what they become.
const NAME_SET = new Set([...MACRO_NAMES, ...GPP_NAMES, ...SECRET_MACROS]);

function lookup(name: string, ctx: MacroContext): string {
  // `$A` and `$GPP_A` both read GPP_A (DOMAIN.md §1.8 "support both").
  if (name.startsWith('GPP_')) return ctx.params(name) ?? '';
  if (name.length === 1 || SECRET_LETTERS.includes(name)) return ctx.params(`GPP_${name}`) ?? '';
  // METH is the deprecated alias of SCHEME (DOMAIN.md §1.8).
  if (name === 'METH') return ctx.vars.METH ?? ctx.vars.SCHEME ?? '';
  return ctx.vars[name] ?? '';
}

function knownNames(ctx: MacroContext): { set: Set<string>; longest: number } {
  const base = NAME_SET;
  const extra = Object.keys(ctx.vars).filter((n) => /^[A-Z][A-Z0-9_]+$/.test(n) && !base.has(n));
  const set = extra.length === 0 ? base : new Set([...base, ...extra]);
  let longest = 0;
  for (const n of set) longest = Math.max(longest, n.length);
  return { set, longest };
}

/** `$(NAME)`, `$(NAME:p)`, `$(NAME:p:q)` starting at `text[at] === '$'`; undefined if not one. */
function expandParenthesised(text: string, at: number, ctx: MacroContext, names: Set<string>, options: ExpandOptions): { value: string; end: number } | undefined {
  const close = text.indexOf(')', at + 2);
  if (close < 0) return undefined;
  const match = /^([A-Z][A-Z0-9_]*)(?::(\d+)(?::(\d+))?)?$/.exec(text.slice(at + 2, close));
  if (!match || !names.has(match[1] as string)) return undefined;
  const secret = unlessAllowed(match[1] as string, text.slice(at, close + 1), at, options);
  if (secret !== undefined) return { value: secret, end: close + 1 };
  const value = lookup(match[1] as string, ctx);
  const offset = match[2] === undefined ? 0 : Number(match[2]);
  const length = match[3] === undefined ? undefined : Number(match[3]);
  const sliced = length === undefined ? value.slice(offset) : value.slice(offset, offset + length);
  return { value: sliced, end: close + 1 };
}

/** What a secret macro written as `written` at `at` becomes under the policy; undefined: expand it. */
function unlessAllowed(name: string, written: string, at: number, options: ExpandOptions): string | undefined {
  if (!SECRET_MACROS.has(name) || options.secrets === true) return undefined;
  if (options.secrets === 'mask') return MASK;
  if (options.secrets === 'reject') throw ruleError(`$${name} is a secret and expands only inside --key, --uid and --pwd`, (options.at ?? 0) + at, 'rule_url_error');
  return written;
}

/** Expands the macros in `text` once (no recursion). */
export function expandMacros(text: string, ctx: MacroContext, options: ExpandOptions = {}): string {
  if (!text.includes('$')) return text;
  const { set, longest } = knownNames(ctx);
  let out = '';
  let i = 0;
  while (i < text.length) {
    const dollar = text.indexOf('$', i);
    if (dollar < 0) break;
    out += text.slice(i, dollar);
    const next = text[dollar + 1];
    if (next === '$') {
      out += '$';
      i = dollar + 2;
      continue;
    }
    if (next === '(') {
      const expanded = expandParenthesised(text, dollar, ctx, set, options);
      if (expanded) {
        out += expanded.value;
        i = expanded.end;
        continue;
      }
    }
    let matched = '';
    for (let len = Math.min(longest, text.length - dollar - 1); len > 0; len--) {
      const candidate = text.slice(dollar + 1, dollar + 1 + len);
      if (set.has(candidate)) {
        matched = candidate;
        break;
      }
    }
    out += matched === '' ? '$' : (unlessAllowed(matched, `$${matched}`, dollar, options) ?? lookup(matched, ctx));
    i = dollar + 1 + matched.length;
  }
  return out + text.slice(i);
}

/** Expands a `Log_Resync_*` / `Log_*_Msg` template (DOMAIN.md §1.9); a secret shows as `***`. */
export function expandMessage(template: string, ctx: MacroContext): string {
  return expandMacros(template, ctx, { secrets: 'mask' });
}
