/**
 * Macro expansion (DOMAIN.md §1.8): `$NAME`, `$(NAME)`, `$(NAME:p)`, `$(NAME:p:q)`, `$$`.
 * One left-to-right pass, so expansion is never recursive (`$$MAU` gives `$MAU`); unknown
 * names stay as written (`spa$STRANGE$MAU.cfg`); `$NAME` takes the longest known name
 * (`$MAU` is not `$MA` + `U`, DOMAIN.md §1.8 design note).
 */

/** Where macro values come from: parameters (GPP_*) and the facts the resync engine fills. */
export interface MacroContext {
  /** Parameter values by name, e.g. `GPP_A`. */
  readonly params: (name: string) => string | undefined;
  /** Macro variables by macro name: `MA`, `SWVER`, `EMS`, … (DOMAIN.md §1.8 table). */
  readonly vars: Readonly<Record<string, string>>;
}

export interface ExpandOptions {
  /**
   * `$SA`–`$SD` expand only inside `--key/--uid/--pwd` arguments (SPEC §3 decision; DOMAIN.md
   * §1.7); everywhere else they stay literal so a secret never reaches a URL or a log line.
   */
  readonly secrets?: boolean;
}

const LETTERS = 'ABCDEFGHIJKLMNOP';
const SECRET_LETTERS = ['SA', 'SB', 'SC', 'SD'];

/** Every macro variable of DOMAIN.md §1.8 (GPP names are added below). */
export const MACRO_NAMES: readonly string[] = [
  'MA', 'MAU', 'MAC', 'PN', 'PSN', 'SN', 'CCERT', 'IP', 'EXTIP', 'SWVER', 'HWVER',
  'PRVST', 'UPGST', 'UPGERR', 'PRVTMR', 'UPGTMR', 'REGTMR1', 'REGTMR2', 'UPGCOND',
  'SCHEME', 'METH', 'SERV', 'SERVIP', 'PORT', 'PATH', 'ERR', 'ORIGTYPE', 'AUTHSTATUS',
  'PDOM', 'EMS', 'PUID', 'PPWD', 'MUID', 'MPWD',
];

const GPP_NAMES = [...LETTERS].flatMap((l) => [l, `GPP_${l}`]);
const SECRET_NAMES = SECRET_LETTERS.flatMap((l) => [l, `GPP_${l}`]);
const PUBLIC_SET = new Set([...MACRO_NAMES, ...GPP_NAMES]);
const SECRET_SET = new Set([...PUBLIC_SET, ...SECRET_NAMES]);

function lookup(name: string, ctx: MacroContext): string {
  // `$A` and `$GPP_A` both read GPP_A (DOMAIN.md §1.8 "support both").
  if (name.startsWith('GPP_')) return ctx.params(name) ?? '';
  if (name.length === 1 || SECRET_LETTERS.includes(name)) return ctx.params(`GPP_${name}`) ?? '';
  // METH is the deprecated alias of SCHEME (DOMAIN.md §1.8).
  if (name === 'METH') return ctx.vars.METH ?? ctx.vars.SCHEME ?? '';
  return ctx.vars[name] ?? '';
}

function knownNames(ctx: MacroContext, secrets: boolean): { set: Set<string>; longest: number } {
  const base = secrets ? SECRET_SET : PUBLIC_SET;
  const extra = Object.keys(ctx.vars).filter((n) => /^[A-Z][A-Z0-9_]+$/.test(n) && !base.has(n));
  const set = extra.length === 0 ? base : new Set([...base, ...extra]);
  let longest = 0;
  for (const n of set) longest = Math.max(longest, n.length);
  return { set, longest };
}

/** `$(NAME)`, `$(NAME:p)`, `$(NAME:p:q)` starting at `text[at] === '$'`; undefined if not one. */
function expandParenthesised(text: string, at: number, ctx: MacroContext, names: Set<string>): { value: string; end: number } | undefined {
  const close = text.indexOf(')', at + 2);
  if (close < 0) return undefined;
  const match = /^([A-Z][A-Z0-9_]*)(?::(\d+)(?::(\d+))?)?$/.exec(text.slice(at + 2, close));
  if (!match || !names.has(match[1] as string)) return undefined;
  const value = lookup(match[1] as string, ctx);
  const offset = match[2] === undefined ? 0 : Number(match[2]);
  const length = match[3] === undefined ? undefined : Number(match[3]);
  const sliced = length === undefined ? value.slice(offset) : value.slice(offset, offset + length);
  return { value: sliced, end: close + 1 };
}

/** Expands the macros in `text` once (no recursion). */
export function expandMacros(text: string, ctx: MacroContext, options: ExpandOptions = {}): string {
  if (!text.includes('$')) return text;
  const { set, longest } = knownNames(ctx, options.secrets === true);
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
      const expanded = expandParenthesised(text, dollar, ctx, set);
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
    out += matched === '' ? '$' : lookup(matched, ctx);
    i = dollar + 1 + matched.length;
  }
  return out + text.slice(i);
}

/** Expands a `Log_Resync_*` / `Log_*_Msg` template (DOMAIN.md §1.9); secrets never expand. */
export function expandMessage(template: string, ctx: MacroContext): string {
  return expandMacros(template, ctx);
}
