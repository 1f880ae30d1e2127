/**
 * `provisionctl rule eval RULE [--param N=V …]` (SPEC §8): works offline, shows the chosen
 * alternative, the expanded URL and options with secrets masked, or the error with a caret
 * under the column where it was found.
 */
import { toProvisiondError } from '../errors/index.js';
import { describePlan, maskRuleText, planToJson } from './display.js';
import { evaluateRule } from './evaluate.js';

export interface Explanation {
  readonly ok: boolean;
  /** Human text for the terminal. */
  readonly text: string;
  /** The same for `--json`: `{ ok, plan }` or `{ ok, error: { code, message, column? } }`. */
  readonly json: Record<string, unknown>;
}

/** Evaluates `rule` against `params` (GPP_A…, EM_*…) and macro `vars` (MA, SWVER, EMS…). */
export function explainRule(rule: string, params: Readonly<Record<string, string>>, vars: Readonly<Record<string, string>>, defaultServer?: string): Explanation {
  const ctx = {
    params: (name: string) => (Object.hasOwn(params, name) ? params[name] : undefined),
    vars,
    ...(defaultServer !== undefined && { defaultServer }),
  };
  const masked = maskRuleText(rule);
  try {
    const plan = evaluateRule(rule, ctx);
    return { ok: true, text: `rule: ${masked.text}\n${describePlan(plan)}`, json: { ok: true, plan: planToJson(plan) } };
  } catch (thrown) {
    const error = toProvisiondError(thrown, 'rule_eval_error');
    const column = error.where?.column;
    const lines = [`error ${error.code}: ${error.message}`];
    if (column !== undefined) {
      lines.push(`  ${masked.text}`, `  ${' '.repeat(masked.column(column) - 1)}^`);
    }
    return {
      ok: false,
      text: lines.join('\n'),
      json: { ok: false, error: { code: error.code, message: error.message, ...(column !== undefined && { column: masked.column(column) }) } },
    };
  }
}
