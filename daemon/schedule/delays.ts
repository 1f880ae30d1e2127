/**
 * Resync schedules as pure functions of (value, attempt, clock, random source).
 * - `Resync_Periodic`, `Resync_Error_Retry_Delay`: a delay in seconds, or a comma-separated
 *   list used in turn whose last element repeats; `+N` adds a random 0…N s (DOMAIN.md §1.2).
 *   `0` means "no timer": no periodic resync, and no automatic retry (SPEC §3 decision, the
 *   MPP reading of DOMAIN.md §7 item 1).
 * - `Resync_Random_Delay`: the start-up delay, 0…value × 20 s (DOMAIN.md §1.1).
 * `random` returns a number in [0, 1), like Math.random, so tests pass a fixed one.
 */
import { ProvisiondError } from '../errors/index.js';

export type Random = () => number;

export interface DelayStep {
  readonly seconds: number;
  /** Upper bound of the random extra, in seconds. */
  readonly random: number;
}

const MAX_STEPS = 64;
/** Longest delay accepted: 30 days, the MPP ceiling of its periodic parameters. */
const MAX_SECONDS = 2_592_000;

function invalid(name: string, why: string): ProvisiondError {
  return new ProvisiondError('schedule_invalid', `${name}: ${why}`, { path: name });
}

/** Parses `1800+300,3600+600,7200+900`; throws `schedule_invalid` naming the parameter. */
export function parseDelayList(value: string, name: string): DelayStep[] {
  const elements = value.split(',');
  if (elements.length > MAX_STEPS) throw invalid(name, `more than ${MAX_STEPS} delays`);
  return elements.map((element) => {
    const match = /^\s*(\d{1,7})\s*(?:\+\s*(\d{1,7})\s*)?$/.exec(element);
    if (!match) throw invalid(name, 'expected seconds, or a list like 1800+300,3600,7200');
    const step = { seconds: Number(match[1]), random: Number(match[2] ?? '0') };
    if (step.seconds + step.random > MAX_SECONDS) throw invalid(name, `a delay is longer than ${MAX_SECONDS} seconds`);
    return step;
  });
}

/** Random whole number of `unit` in 0…max, inclusive. */
function jitter(max: number, random: Random): number {
  return Math.floor(random() * (max + 1));
}

/**
 * The delay before the `attempt`-th timer (1 = the first retry, or the first periodic wait),
 * in milliseconds; undefined when the chosen step is 0 with no random part (timer off).
 */
export function delayMs(value: string, name: string, attempt: number, random: Random): number | undefined {
  const steps = parseDelayList(value, name);
  const step = steps[Math.min(Math.max(attempt, 1), steps.length) - 1] as DelayStep;
  if (step.seconds === 0 && step.random === 0) return undefined;
  return (step.seconds + jitter(step.random, random)) * 1000;
}

/** `Resync_Periodic`: ms until the next periodic resync, undefined when disabled. */
export function periodicDelayMs(value: string, attempt: number, random: Random): number | undefined {
  return delayMs(value, 'Resync_Periodic', attempt, random);
}

/** `Resync_Error_Retry_Delay`: ms before retry `attempt` (1-based), undefined = no retry. */
export function retryDelayMs(value: string, attempt: number, random: Random): number | undefined {
  return delayMs(value, 'Resync_Error_Retry_Delay', attempt, random);
}

/** `Resync_Random_Delay` (units of 20 s, 0–65535): ms to wait before the start-up resync. */
export function startupDelayMs(value: string, random: Random): number {
  const units = /^\s*(\d{1,5})\s*$/.exec(value);
  if (!units || Number(units[1]) > 65535) throw invalid('Resync_Random_Delay', 'expected a number of 20-second units from 0 to 65535');
  return jitter(Number(units[1]) * 20_000, random);
}
