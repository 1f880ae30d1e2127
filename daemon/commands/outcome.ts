/** How a command reports a run it started (at once, or its outcome with `wait`, SPEC §8), and a failure. */
import { ProvisiondError, isProvisiondError } from '../errors/index.js';
import type { EmResult } from '../em/index.js';
import type { ResyncOutcome } from '../resync/index.js';
import type { CommandError } from './types.js';

export type Started = { readonly started: true };

/** A failed outcome becomes its error, so the CLI exits 1 and MQTT replies with the code. */
export function throwIfFailed(outcome: ResyncOutcome): ResyncOutcome {
  // The engine gives every failed outcome its error.
  if (outcome.result === 'failed') throw new ProvisiondError(outcome.error!.code, outcome.error!.message);
  return outcome;
}

/** EM succeeds exactly when its resync did (daemon/em). */
export function emResult(result: EmResult): { readonly state: EmResult['state'] } {
  throwIfFailed(result.outcome);
  return { state: result.state };
}

/** With `wait` the outcome; without, the answer comes at once and the run's failure is reported by its own events. */
export async function startOrWait<T, R>(running: Promise<T>, wait: boolean, outcome: (result: T) => R): Promise<R | Started> {
  if (!wait) {
    running.catch(() => undefined);
    return { started: true };
  }
  return outcome(await running);
}

/**
 * What a handler threw, as a command error. A feature's failure passes through unchanged, so
 * that `provisionctl resync --wait` prints the same `(network_error)` the event log records;
 * anything but a ProvisiondError is a daemon bug, `internal_error`.
 */
export function toCommandError(thrown: unknown): CommandError {
  if (isProvisiondError(thrown)) return { code: thrown.code, message: thrown.message };
  return { code: 'internal_error', message: thrown instanceof Error ? thrown.message : String(thrown) };
}
