/**
 * When the next automatic resync happens (DOMAIN §1.1, SPEC §4). Pure: settings, what has
 * happened so far, the time and a random source in; the next timer out.
 *
 * Delays (start-up, periodic, retry, `Retry-After`) count on the monotonic clock, which never
 * jumps; only `Resync_At` reads the wall clock (a time of day), and its moment is turned into a
 * monotonic one by the distance from the wall time now.
 */
import { defaultOf } from '../params/index.js';
import { delayMs, nextDailyResync, startupDelayMs } from '../schedule/index.js';
import type { ResyncSettings } from './settings.js';

/** Why a resync runs; `$PRVST` follows from it (DOMAIN §1.8). */
export type Trigger = 'boot' | 'periodic' | 'at' | 'retry' | 'demand';

/** `$PRVST`: -1 explicit request, 0 power-up, 1 periodic, 2 retry after failure. */
export const PRVST: Readonly<Record<Trigger, number>> = { demand: -1, boot: 0, periodic: 1, at: 1, retry: 2 };

export interface PlannedTimer {
  readonly trigger: Exclude<Trigger, 'demand'>;
  /** Monotonic ms (`Clock.monotonic`). */
  readonly due: number;
  /** The moment depends on the wall clock: a jump of it calls for planning again. */
  readonly watchWall: boolean;
}

export interface History {
  /** A resync has succeeded since start-up (the periodic timer starts only then). */
  readonly succeededOnce: boolean;
  /** Failed resyncs since the last success: picks the `Resync_Error_Retry_Delay` element. */
  readonly consecutiveFailures: number;
  /** When the last resync finished (monotonic ms); periodic and retry delays count from it. */
  readonly lastFinished?: number | undefined;
  /**
   * `Resync_Periodic` elements used since the periodic schedule (re)started (DOMAIN §1.2: the
   * list is used in turn, the last element repeating): picks the next periodic wait.
   */
  readonly periodicTurns: number;
  /** The last failure's server asked not to come back before this (monotonic ms, `Retry-After`). */
  readonly retryNotBefore?: number | undefined;
  /**
   * The last failure was the wall clock's doing (a certificate not yet valid, or expired): it
   * is retried as soon as the wall clock jumps.
   */
  readonly clockFailure?: boolean | undefined;
}

export interface PlanInput {
  readonly settings: ResyncSettings;
  readonly history: History;
  /** Wall time (epoch ms): places `Resync_At`. */
  readonly now: number;
  /** Monotonic time (ms): every other delay counts on it. */
  readonly monotonic: number;
  readonly random: () => number;
  /** Told about each parameter value the schedule arithmetic refused. */
  readonly onInvalid: (error: unknown) => void;
}

/**
 * A value the registry accepts may still be refused by the schedule arithmetic (a delay over
 * 30 days, more than 64 elements). It must not leave a phone that never resyncs again: it is
 * reported and the registry default is used instead (an invalid `Resync_At` is ignored,
 * DOMAIN §1.1).
 */
function guarded<T>(input: PlanInput, compute: () => T, fallback: () => T): T {
  try {
    return compute();
  } catch (error) {
    input.onInvalid(error);
    return fallback();
  }
}

/** Start-up: a random 0…`Resync_Random_Delay`×20 s wait when `Resync_On_Reset` (DOMAIN §1.1). */
export function planBoot(input: PlanInput): PlannedTimer | undefined {
  const { settings, monotonic, random } = input;
  if (settings.provisionEnable && settings.onReset) {
    return { trigger: 'boot', due: monotonic + startupDelayMs(String(settings.randomDelay), random), watchWall: false };
  }
  return planNext(input);
}

/**
 * After a resync, or when an owned parameter changed: the error retry (SPEC §3: a delay of 0
 * means no automatic retry), else the periodic timer after a first success; a valid
 * `Resync_At` replaces the periodic timer (DOMAIN §1.1) and competes with a retry.
 */
export function planNext(input: PlanInput): PlannedTimer | undefined {
  const { settings, history, now, monotonic, random } = input;
  if (!settings.provisionEnable) return undefined;
  const anchor = history.lastFinished ?? monotonic;
  const candidates: Omit<PlannedTimer, 'watchWall'>[] = [];
  let retryPending = false;
  if (history.consecutiveFailures > 0) {
    const attempt = history.consecutiveFailures - 1;
    const list = (value: string): number | undefined => delayMs(value, 'Resync_Error_Retry_Delay', attempt + 1, random);
    const delay = guarded(input, () => list(settings.errorRetryDelay), () => list(defaultOf('Resync_Error_Retry_Delay')));
    if (delay !== undefined) {
      // A server's Retry-After only ever lengthens the wait (the fetcher caps it).
      candidates.push({ trigger: 'retry', due: Math.max(monotonic, anchor + delay, history.retryNotBefore ?? -Infinity) });
      retryPending = true;
    }
  }
  const at = settings.at === '' ? undefined : guarded(input, () => nextDailyResync(settings.at, String(settings.atRandomDelay), new Date(now), random), () => undefined);
  if (at !== undefined) {
    candidates.push({ trigger: 'at', due: monotonic + Math.max(0, at.getTime() - now) });
  } else if (history.succeededOnce && !retryPending) {
    const periodic = (value: string): number | undefined => delayMs(value, 'Resync_Periodic', history.periodicTurns + 1, random);
    const delay = guarded(input, () => periodic(settings.periodic), () => periodic(defaultOf('Resync_Periodic')));
    if (delay !== undefined) candidates.push({ trigger: 'periodic', due: Math.max(monotonic, anchor + delay) });
  }
  const first = candidates.sort((a, b) => a.due - b.due)[0];
  return first && { ...first, watchWall: at !== undefined || (retryPending && history.clockFailure === true) };
}
