/**
 * The stable codes a command result carries (STYLE.md §7, SPEC §8): the daemon's one union of
 * error codes (daemon/errors). A feature's failure passes through unchanged, so that
 * `provisionctl resync --wait` prints the same `(network_error)` the event log records.
 */
import { isProvisiondError, type ErrorCode } from '../errors/index.js';
import type { CommandError } from './types.js';

export type CommandErrorCode = ErrorCode;

/** What a handler threw, as a command error; anything but a ProvisiondError is a daemon bug, `internal_error`. */
export function toCommandError(thrown: unknown): CommandError {
  if (isProvisiondError(thrown)) return { code: thrown.code, message: thrown.message };
  return { code: 'internal_error', message: thrown instanceof Error ? thrown.message : String(thrown) };
}
