/**
 * `WWW-Authenticate` parsing (RFC 7235 §4.1, RFC 9110 §11.2): one or several header values,
 * each holding one or several challenges `scheme [token68 | #auth-param]`. The parser is a
 * single left-to-right scan (every step consumes input, so time is linear in the input) with
 * hard caps, because the header comes from a server we do not trust (RELIABILITY.md §2.1:
 * CPython's ReDoS, gh-153792; §2.5 hoppscotch's endless loop). It throws only
 * `auth_challenge_invalid`.
 */
import { ProvisiondError } from '../errors/index.js';

export interface Challenge {
  /** Lower-case scheme name (`digest`, `basic`, …). */
  readonly scheme: string;
  /** Lower-case parameter names; a repeated parameter keeps its last value (curl test 1437). */
  readonly params: ReadonlyMap<string, string>;
}

/** Longest header text we read (all values together); a longer one is refused, not cut. */
export const MAX_CHALLENGE_CHARS = 8192;
const MAX_CHALLENGES = 16;
const MAX_PARAMS = 32;

/** The first character that is not a tchar (RFC 9110 §5.6.2): where a token ends. */
const NOT_TCHAR = /[^!#$%&'*+\-.^_`|~0-9A-Za-z]/g;
/** What ends a quoted-string's plain run: its closing quote, an escape, or a refused line break. */
const QUOTED_SPECIAL = /["\\\r\n]/g;

function invalid(reason: string): ProvisiondError {
  return new ProvisiondError('auth_challenge_invalid', `the server's authentication challenge is malformed: ${reason}`);
}

class Scanner {
  pos = 0;
  readonly text: string;
  constructor(text: string) {
    this.text = text;
  }
  get done(): boolean {
    return this.pos >= this.text.length;
  }
  peek(): string {
    return this.text.charAt(this.pos);
  }
  skipSpaces(): void {
    while (this.peek() === ' ' || this.peek() === '\t') this.pos++;
  }
  skipSeparators(): void {
    while (this.peek() === ',' || this.peek() === ' ' || this.peek() === '\t') this.pos++;
  }
  token(): string {
    const start = this.pos;
    NOT_TCHAR.lastIndex = start;
    this.pos = NOT_TCHAR.exec(this.text)?.index ?? this.text.length;
    return this.text.slice(start, this.pos);
  }
  /** A quoted-string with its backslash escapes undone (RFC 9110 §5.6.4). */
  quoted(): string {
    this.pos++;
    // The usual value has no escape: up to its closing quote in one step.
    QUOTED_SPECIAL.lastIndex = this.pos;
    const special = QUOTED_SPECIAL.exec(this.text);
    if (special?.[0] === '"') {
      const value = this.text.slice(this.pos, special.index);
      this.pos = special.index + 1;
      return value;
    }
    let value = '';
    for (;;) {
      if (this.done) throw invalid('unterminated quoted string');
      const ch = this.peek();
      this.pos++;
      if (ch === '"') return value;
      if (ch === '\\') {
        if (this.done) throw invalid('unterminated quoted string');
        value += this.peek();
        this.pos++;
      } else if (ch === '\r' || ch === '\n') {
        throw invalid('line break inside a quoted string');
      } else {
        value += ch;
      }
    }
  }
}

/** Parses every challenge in the given header values. */
export function parseChallenges(values: readonly string[]): Challenge[] {
  const text = values.join(', ');
  if (text.length > MAX_CHALLENGE_CHARS) throw invalid(`longer than ${MAX_CHALLENGE_CHARS} characters`);
  const scanner = new Scanner(text);
  const challenges: Challenge[] = [];
  for (;;) {
    scanner.skipSeparators();
    if (scanner.done) return challenges;
    if (challenges.length === MAX_CHALLENGES) throw invalid(`more than ${MAX_CHALLENGES} challenges`);
    const scheme = scanner.token();
    if (scheme === '') throw invalid(`unexpected character at ${scanner.pos}`);
    challenges.push({ scheme: scheme.toLowerCase(), params: readParams(scanner) });
  }
}

/** Reads `name=value` pairs up to the next challenge (a token not followed by `=`). */
function readParams(scanner: Scanner): Map<string, string> {
  const params = new Map<string, string>();
  for (;;) {
    scanner.skipSeparators();
    const start = scanner.pos;
    const name = scanner.token();
    scanner.skipSpaces();
    if (name === '' || scanner.peek() !== '=') {
      scanner.pos = start;
      return params;
    }
    scanner.pos++;
    scanner.skipSpaces();
    const value = scanner.peek() === '"' ? scanner.quoted() : scanner.token();
    if (value === '' && scanner.peek() === '=') {
      // token68 padding (`Negotiate abc==`): nothing we answer, skip it.
      while (scanner.peek() === '=') scanner.pos++;
    }
    if (params.size === MAX_PARAMS && !params.has(name.toLowerCase())) throw invalid(`more than ${MAX_PARAMS} parameters`);
    params.set(name.toLowerCase(), value);
    scanner.skipSpaces();
    if (!scanner.done && scanner.peek() !== ',') throw invalid(`unexpected character at ${scanner.pos}`);
  }
}
