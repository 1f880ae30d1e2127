/**
 * A cursor over rule text with the error helper every parser step uses. Columns are 1-based
 * (an administrator counts from 1; the caret line of `rule eval` uses them).
 */
import { ProvisiondError, type ErrorCode } from '../errors/index.js';

export class Scanner {
  readonly text: string;
  pos: number;

  constructor(text: string, pos = 0) {
    this.text = text;
    this.pos = pos;
  }

  get done(): boolean {
    return this.pos >= this.text.length;
  }

  peek(offset = 0): string {
    return this.text.charAt(this.pos + offset);
  }

  skipSpace(): void {
    while (!this.done && /\s/.test(this.peek())) this.pos++;
  }

  /** Reads a double-quoted string starting at the current `"`; returns its contents. */
  quoted(): string {
    const start = this.pos;
    const close = this.text.indexOf('"', start + 1);
    if (close < 0) throw ruleError('unterminated string: add the closing "', start);
    this.pos = close + 1;
    return this.text.slice(start + 1, close);
  }

  /** Reads characters until one matches `stop` (or the end). */
  until(stop: RegExp): string {
    const start = this.pos;
    while (!this.done && !stop.test(this.peek())) this.pos++;
    return this.text.slice(start, this.pos);
  }
}

/** A `rule_parse_error` at the 0-based offset `at`. */
export function ruleError(message: string, at: number, code: ErrorCode = 'rule_parse_error'): ProvisiondError {
  return new ProvisiondError(code, `${message} (column ${at + 1})`, { column: at + 1 });
}
