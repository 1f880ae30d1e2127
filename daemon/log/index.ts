/**
 * Logging for journald (SPEC §9, ECOSYSTEM.md §4): one line per record on stdout/stderr,
 * prefixed with the syslog priority `<N>` that systemd's journal understands, no timestamps
 * (the journal adds them). Every line passes through the redaction registry the logger is
 * given: the app's, shared with every module that registers secrets.
 */
import { Redactor } from './redact.js';

export { MAX_SECRETS, MAX_SECRET_LENGTH, MIN_SECRET_LENGTH, Redactor, SECRET_QUERY_NAME, type Release } from './redact.js';

export const LEVELS = ['error', 'warning', 'notice', 'info', 'debug'] as const;
export type LogLevel = (typeof LEVELS)[number];

/** syslog priorities (RFC 5424 §6.2.1). */
const PRIORITY: Record<LogLevel, number> = { error: 3, warning: 4, notice: 5, info: 6, debug: 7 };

export type LogFields = Record<string, string | number | boolean | null | undefined>;

export interface LogSink {
  out(line: string): void;
  err(line: string): void;
}

const processSink: LogSink = {
  out: (line) => process.stdout.write(line + '\n'),
  err: (line) => process.stderr.write(line + '\n'),
};

export class Logger {
  private threshold: number;
  private readonly sink: LogSink;
  /** What every line passes through; a logger made without one has its own. */
  readonly redactor: Redactor;
  private readonly scope: string;

  constructor(options: { level?: LogLevel; sink?: LogSink; redactor?: Redactor; scope?: string } = {}) {
    this.threshold = PRIORITY[options.level ?? 'info'];
    this.sink = options.sink ?? processSink;
    this.redactor = options.redactor ?? new Redactor();
    this.scope = options.scope ?? '';
  }

  /** A logger whose lines start with `scope:`; it shares level, sink and redaction. */
  child(scope: string): Logger {
    const child = new Logger({ sink: this.sink, redactor: this.redactor, scope: this.scope ? `${this.scope}.${scope}` : scope });
    child.threshold = this.threshold;
    return child;
  }

  error(message: string, fields?: LogFields): void {
    this.write('error', message, fields);
  }
  warning(message: string, fields?: LogFields): void {
    this.write('warning', message, fields);
  }
  notice(message: string, fields?: LogFields): void {
    this.write('notice', message, fields);
  }
  info(message: string, fields?: LogFields): void {
    this.write('info', message, fields);
  }
  debug(message: string, fields?: LogFields): void {
    this.write('debug', message, fields);
  }

  private write(level: LogLevel, message: string, fields: LogFields | undefined): void {
    const priority = PRIORITY[level];
    if (priority > this.threshold) return;
    const text = (this.scope ? `${this.scope}: ` : '') + message + formatFields(fields);
    // One record, one line: a newline inside a message would start a bogus journal entry.
    const line = `<${priority}>` + this.redactor.redact(text).replace(/[\r\n]+/g, ' ⏎ ');
    if (priority <= PRIORITY.warning) this.sink.err(line);
    else this.sink.out(line);
  }
}

function formatFields(fields: LogFields | undefined): string {
  if (!fields) return '';
  const parts: string[] = [];
  for (const [key, value] of Object.entries(fields)) {
    if (value === undefined) continue;
    const text = String(value);
    parts.push(/[\s"=]/.test(text) || text === '' ? `${key}=${JSON.stringify(text)}` : `${key}=${text}`);
  }
  return parts.length ? ' ' + parts.join(' ') : '';
}
