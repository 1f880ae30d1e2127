/**
 * When the next automatic resync happens (DOMAIN §1.1, SPEC §4). Pure: settings, what has
 * happened so far, the time and a random source in; the next timer out.
 */
import type { ScheduleMath } from './ports.js';
import type { ResyncSettings } from './settings.js';

/** Why a resync runs; `$PRVST` follows from it (DOMAIN §1.8). */
export type Trigger = 'boot' | 'periodic' | 'at' | 'retry' | 'demand';

/** `$PRVST`: -1 explicit request, 0 power-up, 1 periodic, 2 retry after failure. */
export const PRVST: Readonly<Record<Trigger, number>> = { demand: -1, boot: 0, periodic: 1, at: 1, retry: 2 };

export interface PlannedTimer {
  readonly trigger: Exclude<Trigger, 'demand'>;
  /** Epoch ms. */
  readonly due: number;
}

export interface History {
  /** A resync has succeeded since start-up (the periodic timer starts only then). */
  readonly succeededOnce: boolean;
  /** Failed resyncs since the last success: picks the `Resync_Error_Retry_Delay` element. */
  readonly consecutiveFailures: number;
  /** When the last resync finished (epoch ms); periodic and retry delays count from it. */
  readonly lastFinished?: number | undefined;
}

export interface PlanInput {
  readonly settings: ResyncSettings;
  readonly history: History;
  readonly now: number;
  readonly math: ScheduleMath;
  readonly random: () => number;
}

/** Start-up: a random 0…`Resync_Random_Delay`×20 s wait when `Resync_On_Reset` (DOMAIN §1.1). */
export function planBoot(input: PlanInput): PlannedTimer | undefined {
  const { settings, now, math, random } = input;
  if (settings.provisionEnable && settings.onReset) {
    return { trigger: 'boot', due: now + math.bootDelay(settings.randomDelay, random) };
  }
  return planNext(input);
}

/**
 * After a resync, or when an owned parameter changed: the error retry (SPEC §3: a delay of 0
 * means no automatic retry), else the periodic timer after a first success; a valid
 * `Resync_At` replaces the periodic timer (DOMAIN §1.1) and competes with a retry.
 */
export function planNext(input: PlanInput): PlannedTimer | undefined {
  const { settings, history, now, math, random } = input;
  if (!settings.provisionEnable) return undefined;
  const anchor = history.lastFinished ?? now;
  const candidates: PlannedTimer[] = [];
  let retryPending = false;
  if (history.consecutiveFailures > 0) {
    const delay = math.listDelay(settings.errorRetryDelay, history.consecutiveFailures - 1, random);
    if (delay !== undefined) {
      candidates.push({ trigger: 'retry', due: Math.max(now, anchor + delay) });
      retryPending = true;
    }
  }
  const at = settings.at === '' ? undefined : math.resyncAt(settings.at, settings.atRandomDelay, new Date(now), random);
  if (at !== undefined) {
    candidates.push({ trigger: 'at', due: Math.max(now, at.getTime()) });
  } else if (history.succeededOnce && !retryPending) {
    const delay = math.listDelay(settings.periodic, 0, random);
    if (delay !== undefined) candidates.push({ trigger: 'periodic', due: Math.max(now, anchor + delay) });
  }
  return candidates.sort((a, b) => a.due - b.due)[0];
}
