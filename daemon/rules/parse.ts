/**
 * The profile rule parser (DOMAIN.md §1.3 grammar):
 *   rule = alt *("|" alt);  alt = [ "(" expr ")?" ] [ "(" assign;… ")!" ] [ "[" opts "]" ] [ url ]
 * Whitespace is optional everywhere (`( $SWVER != 7.6.2 ) ? tftp://…`, DOMAIN.md §1.3), and a
 * URL may follow `]` without a space (FusionPBX templates, DOMAIN.md §1.3).
 */
import { parseCondition } from './condition.js';
import { Scanner, ruleError } from './scanner.js';
import type { Alternative, Assignment, OptionArgument, ParsedRule, RuleOptions } from './syntax.js';
import { gppName } from './syntax.js';

/** Longest rule accepted: rules live in parameters, and parameters are short. */
export const MAX_RULE_LENGTH = 8192;

/** Finds the `)` closing the group opened at `open`; quotes and `$(…)`/`2.0.6(b)` are skipped. */
function closeParen(text: string, open: number): number {
  for (let i = open + 1; i < text.length; i++) {
    const c = text.charAt(i);
    if (c === ')') return i;
    if (c === '"') {
      const close = text.indexOf('"', i + 1);
      if (close < 0) throw ruleError('unterminated string: add the closing "', i);
      i = close;
    } else if (c === '(') {
      // `$(NAME)` and the SPA version `2.0.6(b)` carry their own brackets; any other `(` nests.
      if (!/[\w.$:-]/.test(text.charAt(i - 1))) throw ruleError('brackets cannot nest here', i);
      const close = text.indexOf(')', i + 1);
      if (close < 0) break;
      i = close;
    }
  }
  throw ruleError('unbalanced brackets: this "(" has no ")"', open);
}

function parseAssignments(text: string, from: number, to: number): Assignment[] {
  const s = new Scanner(text.slice(0, to), from);
  const out: Assignment[] = [];
  for (;;) {
    s.skipSpace();
    if (s.done) return out;
    const column = s.pos + 1;
    const name = s.until(/[^\w]/);
    if (!/^[A-Za-z_]\w*$/.test(name)) throw ruleError('expected a parameter name in the assignment', column - 1);
    s.skipSpace();
    if (s.peek() !== '=') throw ruleError('expected "=" after the parameter name', s.pos);
    s.pos++;
    s.skipSpace();
    if (s.peek() !== '"') throw ruleError('an assigned value must be a quoted string', s.pos);
    const value = s.quoted();
    s.skipSpace();
    if (!s.done && s.peek() !== ';') throw ruleError('expected ";" between assignments', s.pos);
    s.pos++;
    out.push({ name: gppName(name) ?? name, value, column });
  }
}

const OPTIONS = new Set(['key', 'uid', 'pwd', 'post', 'alias']);

function parseOptions(s: Scanner): RuleOptions {
  const open = s.pos;
  s.pos++;
  const options: Record<string, OptionArgument> = {};
  for (;;) {
    s.skipSpace();
    if (s.done) throw ruleError('unbalanced brackets: this "[" has no "]"', open);
    if (s.peek() === ']') {
      s.pos++;
      return options;
    }
    const at = s.pos;
    const word = s.until(/[\s\]"]/);
    const name = word.slice(2);
    if (!word.startsWith('--') || !OPTIONS.has(name)) throw ruleError('unknown option: expected --key, --uid, --pwd, --post or --alias', at);
    if (options[name]) throw ruleError(`option --${name} is given twice`, at);
    s.skipSpace();
    const column = s.pos + 1;
    const isQuoted = s.peek() === '"';
    const text = isQuoted ? s.quoted() : s.until(/[\s\]]/);
    if (text === '' && !isQuoted) throw ruleError(`option --${name} needs a value`, at);
    if ((name === 'post' || name === 'alias') && gppName(text) === undefined) throw ruleError(`option --${name} takes a letter a…p naming a GPP parameter`, column - 1);
    options[name] = { text, column };
  }
}

function parseAlternative(s: Scanner): Alternative {
  s.skipSpace();
  const column = s.pos + 1;
  let condition: Alternative['condition'];
  let assignments: Assignment[] | undefined;
  while (s.peek() === '(') {
    const open = s.pos;
    const close = closeParen(s.text, open);
    s.pos = close + 1;
    s.skipSpace();
    const mark = s.peek();
    if (mark === '?' && condition === undefined && assignments === undefined) condition = parseCondition(s.text, open + 1, close);
    else if (mark === '!' && assignments === undefined) assignments = parseAssignments(s.text, open + 1, close);
    else if (mark === '?' || mark === '!') throw ruleError('a condition "( … )?" must come first and each part only once', open);
    else throw ruleError('missing "?" (condition) or "!" (assignments) after ")"', close);
    s.pos++;
    s.skipSpace();
  }
  let options: RuleOptions = {};
  const optionsAt = s.pos;
  if (s.peek() === '[') options = parseOptions(s);
  s.skipSpace();
  const urlAt = s.pos;
  const urlText = s.until(/[\s|]/);
  const url = urlText === '' ? undefined : { text: urlText, column: urlAt + 1 };
  if (url === undefined && Object.keys(options).length > 0) throw ruleError('options in "[ … ]" must be followed by a URL', optionsAt);
  if (condition === undefined && assignments === undefined && url === undefined) throw ruleError('empty alternative: expected a condition, assignments or a URL', s.pos);
  s.skipSpace();
  if (!s.done && s.peek() !== '|') throw ruleError('unexpected text after the URL; alternatives are separated by "|"', s.pos);
  return { column, ...(condition && { condition }), assignments: assignments ?? [], options, ...(url && { url }) };
}

/**
 * Parses a rule. A value whose first non-blank character is `#` is a comment, i.e. an empty
 * rule (DOMAIN.md §1.3). Throws `rule_parse_error` with `where.column`.
 */
export function parseRule(text: string): ParsedRule {
  if (text.length > MAX_RULE_LENGTH) throw ruleError(`rule is longer than ${MAX_RULE_LENGTH} characters`, MAX_RULE_LENGTH);
  const s = new Scanner(text);
  s.skipSpace();
  if (s.done || s.peek() === '#') return { alternatives: [] };
  const alternatives: Alternative[] = [];
  for (;;) {
    const alternative = parseAlternative(s);
    const previous = alternatives.at(-1);
    // Only the last alternative may lack a condition (DOMAIN.md §1.3 step 1): anything after
    // an unconditional one could never be chosen, so it is almost certainly a mistake.
    if (previous && previous.condition === undefined) throw ruleError('only the last alternative may have no condition', alternative.column - 1);
    alternatives.push(alternative);
    if (s.done) return { alternatives };
    s.pos++;
  }
}
