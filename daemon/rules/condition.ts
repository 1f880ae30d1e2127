/**
 * Conditional expressions (DOMAIN.md §1.4): comparisons joined by `and`; operators `=` `!=`
 * `<` `<=` `>` `>=` and their acronyms `eq ne lt le gt ge` (usable inside XML unescaped);
 * legacy `!` for not-equal and an omitted left operand meaning `$SWVER` (`! 1.0.33`).
 * Quoted strings support only equality; integers and versions support all six. `or` is not
 * part of the language (SPEC §3 decision): alternatives `|` express it.
 */
import { ProvisiondError } from '../errors/index.js';
import { expandMacros } from './macros.js';
import type { MacroContext } from './macros.js';
import { Scanner, ruleError } from './scanner.js';
import type { Comparison, Operand, Operator } from './syntax.js';
import { compareVersions, parseVersion } from './version.js';

const SYMBOLS: Readonly<Record<string, Operator>> = { '=': 'eq', '!=': 'ne', '!': 'ne', '<': 'lt', '<=': 'le', '>': 'gt', '>=': 'ge' };
const ACRONYMS = new Set<string>(['eq', 'ne', 'lt', 'le', 'gt', 'ge']);

interface Token {
  readonly kind: 'operand' | 'operator' | 'and';
  readonly operand?: Operand;
  readonly operator?: Operator;
  readonly at: number;
}

function tokenize(text: string, from: number, to: number): Token[] {
  const s = new Scanner(text.slice(0, to), from);
  const tokens: Token[] = [];
  for (;;) {
    s.skipSpace();
    if (s.done) return tokens;
    const at = s.pos;
    if (s.peek() === '"') {
      tokens.push({ kind: 'operand', operand: { text: s.quoted(), quoted: true, column: at + 1 }, at });
      continue;
    }
    const symbol = s.until(/[^=!<>]/);
    if (symbol !== '') {
      const operator = SYMBOLS[symbol];
      if (operator === undefined) throw ruleError('unknown operator: use = != < <= > >= or eq ne lt le gt ge', at);
      tokens.push({ kind: 'operator', operator, at });
      continue;
    }
    const word = s.until(/[\s"=!<>]/);
    const lower = word.toLowerCase();
    if (lower === 'or') throw ruleError('"or" is not supported: write each case as its own alternative separated by "|"', at);
    if (lower === 'and') tokens.push({ kind: 'and', at });
    else if (ACRONYMS.has(lower)) tokens.push({ kind: 'operator', operator: lower as Operator, at });
    else tokens.push({ kind: 'operand', operand: { text: word, quoted: false, column: at + 1 }, at });
  }
}

function comparison(group: readonly Token[], end: number): Comparison {
  const [a, b, c, extra] = group;
  if (a === undefined) throw ruleError('empty comparison: expected something like $A eq "x"', end);
  if (extra !== undefined) throw ruleError('expected "and" between comparisons', extra.at);
  let left: Operand;
  let op: Token | undefined;
  let right: Token | undefined;
  if (a.kind === 'operator') {
    // Legacy form: no left operand means $SWVER (DOMAIN.md §1.4).
    if (c !== undefined) throw ruleError('expected "and" between comparisons', c.at);
    left = { text: '$SWVER', quoted: false, column: a.at + 1 };
    op = a;
    right = b;
  } else {
    left = a.operand as Operand;
    op = b;
    right = c;
  }
  if (op?.kind !== 'operator') throw ruleError('expected a comparison operator (eq, ne, lt, le, gt, ge)', op?.at ?? end);
  if (right?.kind !== 'operand') throw ruleError('expected a value after the operator', right?.at ?? end);
  const operator = op.operator as Operator;
  const rightOperand = right.operand as Operand;
  if ((left.quoted || rightOperand.quoted) && operator !== 'eq' && operator !== 'ne') {
    throw ruleError('quoted strings can only be compared with eq or ne', op.at);
  }
  return { left, operator, right: rightOperand };
}

/** Parses `text[from, to)` (the inside of `( … )?`, or a whole trigger expression). */
export function parseCondition(text: string, from: number, to: number): Comparison[] {
  const tokens = tokenize(text, from, to);
  const out: Comparison[] = [];
  let group: Token[] = [];
  for (const token of tokens) {
    if (token.kind === 'and') {
      out.push(comparison(group, token.at));
      group = [];
    } else group.push(token);
  }
  out.push(comparison(group, to));
  return out;
}

const INTEGER = /^-?\d+$/;

function holds(operator: Operator, order: number): boolean {
  switch (operator) {
    case 'eq': return order === 0;
    case 'ne': return order !== 0;
    case 'lt': return order < 0;
    case 'le': return order <= 0;
    case 'gt': return order > 0;
    case 'ge': return order >= 0;
  }
}

function order(left: string, right: string, c: Comparison): number {
  if (c.left.quoted || c.right.quoted) return left === right ? 0 : 1;
  if (INTEGER.test(left) && INTEGER.test(right)) return Math.sign(Number(left) - Number(right));
  const a = parseVersion(left);
  const b = parseVersion(right);
  const result = a && b ? compareVersions(a, b) : undefined;
  if (result !== undefined) return result;
  // Equality still means something for words that are not versions (`$EMS eq mobile`).
  if (c.operator === 'eq' || c.operator === 'ne') return left === right ? 0 : 1;
  if (a === undefined) throw versionError(c.left);
  if (b === undefined) throw versionError(c.right);
  throw versionError(c.right, 'the two versions are not in the same format (sipYYYY.11-3-1MPP-110 or 2.0.6(b))');
}

function versionError(operand: Operand, why = 'not a number or a version such as 2.0.6(b) or sip7832.11-3-1MPP-110'): ProvisiondError {
  return ruleError(`bad version string: ${why}`, operand.column - 1, 'rule_version_error');
}

/**
 * True when every comparison holds. Unquoted operands are integers or versions; an ordering
 * operator on anything else throws `rule_version_error`, equality falls back to exact text.
 */
export function evaluateComparisons(comparisons: readonly Comparison[], ctx: MacroContext): boolean {
  // Conditions may test secrets (SPEC §4: `( "$MPWD" ne "" )?`); their values go nowhere.
  return comparisons.every((c) => holds(c.operator, order(expandMacros(c.left.text, ctx, { secrets: true }), expandMacros(c.right.text, ctx, { secrets: true }), c)));
}

/**
 * Evaluates a bare expression such as `Resync_Trigger_1` (`$UPGTMR gt 300 and $PRVTMR ge 600`,
 * DOMAIN.md §1.1). Undefined when the value is empty or a `#` comment: no trigger configured.
 */
export function evaluateExpression(text: string, ctx: MacroContext): boolean | undefined {
  const trimmed = text.trim();
  if (trimmed === '' || trimmed.startsWith('#')) return undefined;
  return evaluateComparisons(parseCondition(text, 0, text.length), ctx);
}
