/**
 * What a person may see of a rule or a plan: passwords and keys become `***` (SPEC §3, §6),
 * user ids stay visible because they are what an administrator debugs.
 */
import { defaultPort } from '../origin/index.js';
import type { RulePlan, RuleRequest } from './evaluate.js';
import { parseRule } from './parse.js';

export const MASK = '***';

/** Parameters whose value is a secret, so an assignment to them is shown masked. */
export function isSecretName(name: string): boolean {
  return /^GPP_S[A-D]$|password|pwd|passwd|secret/i.test(name);
}

const SECRET_ARGUMENT = /(--(?:pwd|key)(?:\s+|(?=")))("[^"]*"?|[^\s\]]+)/g;

export interface CredentialArgument {
  readonly option: 'uid' | 'pwd' | 'key';
  /** As the parser read it (quotes removed, macros not expanded). */
  readonly text: string;
  /** 0-based span in the rule text, quotes included. */
  readonly start: number;
  readonly end: number;
}

/**
 * The `--uid`/`--pwd`/`--key` arguments exactly as the rule parser reads them (so whatever it
 * accepts — `--pwd"x"`, `--pwd x]`, tabs — is found: SPEC §4); undefined when the text is
 * not a rule. One grammar: masking and redaction never re-read a rule with their own regexes.
 */
export function credentialArguments(rule: string): CredentialArgument[] | undefined {
  let parsed;
  try {
    parsed = parseRule(rule);
  } catch {
    return undefined;
  }
  const found: CredentialArgument[] = [];
  for (const alternative of parsed.alternatives) {
    for (const option of ['uid', 'pwd', 'key'] as const) {
      const argument = alternative.options[option];
      if (argument === undefined) continue;
      const start = argument.column - 1;
      const quoted = rule.charAt(start) === '"';
      found.push({ option, text: argument.text, start, end: start + argument.text.length + (quoted ? 2 : 0) });
    }
  }
  return found.sort((a, b) => a.start - b.start);
}

export interface MaskedRule {
  readonly text: string;
  /** Maps a 1-based column of the original text to the masked text. */
  readonly column: (original: number) => number;
}

/** Replaces the arguments of `--pwd` and `--key` in rule text by `***`, tracking columns. */
export function maskRuleText(rule: string): MaskedRule {
  const spans: Array<{ start: number; end: number }> = [];
  const text = rule.replace(SECRET_ARGUMENT, (whole, option: string, _arg: string, offset: number) => {
    spans.push({ start: offset + option.length, end: offset + whole.length });
    return option + MASK;
  });
  const column = (original: number): number => {
    let shift = 0;
    for (const span of spans) {
      if (original - 1 >= span.end) shift += span.end - span.start - MASK.length;
      else if (original - 1 > span.start) return span.start + 1 - shift;
    }
    return original - shift;
  };
  return { text, column };
}

/** The plan as plain data with secrets masked (for `--json` and events). */
export function planToJson(plan: RulePlan): Record<string, unknown> {
  const request = plan.request;
  return {
    skipped: plan.skipped,
    alternative: plan.alternative,
    alternatives: plan.alternatives,
    assignments: plan.assignments.map((a) => ({ name: a.name, value: isSecretName(a.name) ? MASK : a.value })),
    request: request === undefined ? null : {
      method: request.method,
      url: request.url,
      ...(request.uid !== undefined && { uid: request.uid }),
      ...(request.pwd !== undefined && { pwd: MASK }),
      ...(request.key !== undefined && { key: MASK }),
      ...(request.post && { post: { param: request.post.param, bytes: Buffer.byteLength(request.post.body) } }),
      alias: Object.fromEntries(request.alias),
    },
  };
}

/** A few human lines describing the plan, secrets masked. */
/** The request URL as a rule author writes it: the scheme's own port left out (`https://h/x`, not `:443`). */
function asWritten(request: RuleRequest): string {
  const { origin, path } = request;
  return origin.port === defaultPort(origin.scheme) ? `${origin.scheme}://${origin.host}${path}` : request.url;
}

export function describePlan(plan: RulePlan): string {
  if (plan.skipped) return `no alternative applies (${plan.alternatives} tried): the rule is skipped`;
  const json = planToJson(plan);
  const lines = [`alternative ${plan.alternative + 1} of ${plan.alternatives} chosen`];
  for (const a of json.assignments as Array<{ name: string; value: string }>) lines.push(`assign ${a.name} = "${a.value}"`);
  const request = plan.request;
  if (request === undefined) lines.push('no request (assignments only)');
  else {
    lines.push(`${request.method} ${asWritten(request)}`);
    const options = [
      request.uid !== undefined ? `--uid ${request.uid}` : '',
      request.pwd !== undefined ? `--pwd ${MASK}` : '',
      request.key !== undefined ? `--key ${MASK}` : '',
      request.post ? `--post ${request.post.param} (${Buffer.byteLength(request.post.body)} bytes)` : '',
      request.alias.size > 0 ? `--alias (${request.alias.size} paths)` : '',
    ].filter((o) => o !== '');
    if (options.length > 0) lines.push(`  ${options.join(' ')}`);
  }
  return lines.join('\n');
}
