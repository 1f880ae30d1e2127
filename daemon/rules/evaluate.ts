/**
 * Rule evaluation (DOMAIN.md §1.3): the first alternative whose condition holds (or that has
 * none) is chosen; its assignments run first, so its URL and options see the new values;
 * then the request is built. No alternative chosen => the rule is skipped.
 */
import { evaluateComparisons } from './condition.js';
import { expandMacros } from './macros.js';
import type { MacroContext } from './macros.js';
import { parseRule } from './parse.js';
import { ruleError } from './scanner.js';
import type { OptionArgument, ParsedRule } from './syntax.js';
import { gppName } from './syntax.js';
import { resolveUrl } from './url.js';
import type { ResolvedUrl } from './url.js';

export interface RuleContext extends MacroContext {
  /** TFTP server from DHCP option 66, used when a URL names no server (DOMAIN.md §1.6). */
  readonly defaultServer?: string;
}

export interface RuleRequest extends ResolvedUrl {
  /** POST when `--post` names a GPP (http/https only, DOMAIN.md §1.7). */
  readonly method: 'GET' | 'POST';
  readonly uid?: string;
  readonly pwd?: string;
  readonly key?: string;
  /** The POST body: the named GPP's contents, macro-expanded. */
  readonly post?: { readonly param: string; readonly body: string };
  /** Foreign XML path (suffix) => parameter name, from `--alias` (DOMAIN.md §1.7). */
  readonly alias: ReadonlyMap<string, string>;
}

export interface RulePlan {
  /** True when no alternative was chosen: go on with the next rule. */
  readonly skipped: boolean;
  /** 0-based index of the chosen alternative; -1 when skipped. */
  readonly alternative: number;
  readonly alternatives: number;
  readonly assignments: ReadonlyArray<{ readonly name: string; readonly value: string }>;
  readonly request?: RuleRequest;
}

/** At most this many remapped parameters in one alias map (DOMAIN.md §1.7). */
export const MAX_ALIASES = 30;

/** Reads `/CPE/SIP-Credentials/name = /flat-profile/Display_Name_1_ ;` lines into a map. */
export function parseAliasMap(text: string, option: OptionArgument): Map<string, string> {
  const map = new Map<string, string>();
  for (const entry of text.split(';')) {
    if (entry.trim() === '') continue;
    const match = /^\s*(\S+)\s*=\s*(?:\/flat-profile\/)?([A-Za-z_]\w*)\s*$/.exec(entry);
    if (!match) throw ruleError('the --alias map has a line that is not "/foreign/path = /flat-profile/Name ;"', option.column - 1, 'rule_alias_error');
    map.set(match[1] as string, match[2] as string);
  }
  if (map.size > MAX_ALIASES) throw ruleError(`the --alias map remaps more than ${MAX_ALIASES} parameters`, option.column - 1, 'rule_alias_error');
  return map;
}

function withAssignments(ctx: RuleContext, assigned: ReadonlyMap<string, string>): RuleContext {
  if (assigned.size === 0) return ctx;
  return { ...ctx, params: (name) => assigned.get(name) ?? ctx.params(name) };
}

function buildRequest(url: OptionArgument, options: ParsedRule['alternatives'][number]['options'], ctx: RuleContext): RuleRequest {
  // SPEC §4: a secret macro in a URL would send the password in the request line and logs.
  const resolved = resolveUrl(expandMacros(url.text, ctx, { secrets: 'reject', at: url.column - 1 }), url.column - 1, ctx.defaultServer);
  const secret = (arg: OptionArgument | undefined): string | undefined => (arg === undefined ? undefined : expandMacros(arg.text, ctx, { secrets: true }));
  const uid = secret(options.uid);
  const pwd = secret(options.pwd);
  const key = secret(options.key);
  let post: RuleRequest['post'];
  if (options.post) {
    if (resolved.origin.scheme === 'tftp') throw ruleError('--post needs an http or https URL', options.post.column - 1, 'rule_url_error');
    const param = gppName(options.post.text) as string;
    post = { param, body: expandMacros(ctx.params(param) ?? '', ctx) };
  }
  const alias = options.alias ? parseAliasMap(ctx.params(gppName(options.alias.text) as string) ?? '', options.alias) : new Map<string, string>();
  return {
    ...resolved,
    method: post ? 'POST' : 'GET',
    ...(uid !== undefined && { uid }),
    ...(pwd !== undefined && { pwd }),
    ...(key !== undefined && { key }),
    ...(post && { post }),
    alias,
  };
}

/** Evaluates a rule (text or parsed) into a plan. Throws `rule_*` ProvisiondErrors. */
export function evaluateRule(rule: string | ParsedRule, ctx: RuleContext): RulePlan {
  const parsed = typeof rule === 'string' ? parseRule(rule) : rule;
  const total = parsed.alternatives.length;
  const index = parsed.alternatives.findIndex((alt) => alt.condition === undefined || evaluateComparisons(alt.condition, ctx));
  const chosen = parsed.alternatives[index];
  if (chosen === undefined) return { skipped: true, alternative: -1, alternatives: total, assignments: [] };
  const assigned = new Map<string, string>();
  const assignments: Array<{ name: string; value: string }> = [];
  for (const a of chosen.assignments) {
    const value = expandMacros(a.value, withAssignments(ctx, assigned));
    assigned.set(a.name, value);
    assignments.push({ name: a.name, value });
  }
  const after = withAssignments(ctx, assigned);
  const request = chosen.url ? buildRequest(chosen.url, chosen.options, after) : undefined;
  return { skipped: false, alternative: index, alternatives: total, assignments, ...(request && { request }) };
}

/** The URL macros of the chosen request, for `Log_Resync_*` messages (DOMAIN.md §1.8–1.9). */
export function requestVars(request: ResolvedUrl): Record<string, string> {
  // `$SCHEME` expands in lower case (SPEC §3 decision).
  const { origin } = request;
  return { SCHEME: origin.scheme, METH: origin.scheme, SERV: origin.host, PORT: String(origin.port), PATH: request.path };
}
