/**
 * The typed error taxonomy (STYLE.md §7). Every failure that crosses a module boundary is a
 * ProvisiondError with a stable `code`; the CLI, the local feed and MQTT map codes to
 * messages without stack traces. `where` names the place in the input (JSON path, line,
 * column, URL) so an administrator can find the problem.
 *
 * Messages must never contain a secret: build them from names and positions, not values.
 */
export interface ErrorWhere {
  /** JSON path such as `$.mqtt.url`, a file name, or a URL with secrets removed. */
  readonly path?: string;
  readonly line?: number;
  readonly column?: number;
}

export class ProvisiondError extends Error {
  override readonly name = 'ProvisiondError';
  readonly code: string;
  readonly where: ErrorWhere | undefined;

  constructor(code: string, message: string, where?: ErrorWhere, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.where = where;
  }

  /** The shape sent over the feed, MQTT results and `provisionctl --json`. */
  toJSON(): { code: string; message: string } {
    return { code: this.code, message: this.message };
  }
}

export function isProvisiondError(value: unknown, code?: string): value is ProvisiondError {
  return value instanceof ProvisiondError && (code === undefined || value.code === code);
}

/** Wraps anything thrown into a ProvisiondError, keeping a typed one as it is. */
export function toProvisiondError(value: unknown, code = 'internal_error'): ProvisiondError {
  if (value instanceof ProvisiondError) return value;
  const message = value instanceof Error ? value.message : String(value);
  return new ProvisiondError(code, message, undefined, { cause: value });
}
