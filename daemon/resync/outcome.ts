/**
 * What a finished resync reports (SPEC §8): its outcome for `status` and `resync --wait`, and
 * the events in order — `config.applied` with the changed names, then `resync.succeeded`,
 * `resync.unchanged` or `resync.failed`, carrying the expanded `Log_Resync_*` line. Pure.
 */
import type { EventInput } from '../bus/index.js';
import type { ErrorCode } from '../errors/index.js';
import type { Trigger } from './plan.js';
import type { RunResult } from './run.js';

export type ResyncResult = 'succeeded' | 'unchanged' | 'failed';

export interface ResyncOutcome {
  readonly result: ResyncResult;
  readonly trigger: Trigger;
  readonly startedAt: string;
  readonly finishedAt: string;
  /** Names of the parameters this resync changed. */
  readonly changed: readonly string[];
  readonly error?: { readonly code: ErrorCode; readonly message: string };
  /** The last URL requested (the event log scrubs its secrets before it leaves). */
  readonly url?: string | undefined;
}

export interface ReportInput {
  readonly trigger: Trigger;
  readonly started: number;
  readonly finished: number;
  readonly result: RunResult;
  /** The expanded `Log_Resync_Failure_Msg` ('' when suppressed). */
  readonly failureLine: string;
  readonly retryInSeconds?: number | undefined;
}

export function report(input: ReportInput): { outcome: ResyncOutcome; events: EventInput[] } {
  const { trigger, started, finished, result } = input;
  const times = { startedAt: new Date(started).toISOString(), finishedAt: new Date(finished).toISOString(), url: result.url };
  const changed = [...result.changed];
  const ignored = result.ignored > 0 ? { ignored: result.ignored } : {};
  const events: EventInput[] = changed.length > 0 ? [{ type: 'config.applied', changed, source: 'resync', ...ignored }] : [];
  const common = { url: result.url, status: result.status, message: result.messages.at(-1) };
  if (result.ok) {
    if (changed.length === 0) {
      events.push({ type: 'resync.unchanged', ...common });
      return { outcome: { result: 'unchanged', trigger, ...times, changed }, events };
    }
    events.push({ type: 'resync.succeeded', ...common, durationMs: finished - started, changed });
    return { outcome: { result: 'succeeded', trigger, ...times, changed }, events };
  }
  const error = { code: result.error.code, message: result.error.message };
  const message = input.failureLine === '' ? error.message : input.failureLine;
  events.push({ type: 'resync.failed', ...common, code: error.code, reason: error.message, message, retryInSeconds: input.retryInSeconds });
  return { outcome: { result: 'failed', trigger, ...times, changed, error }, events };
}
