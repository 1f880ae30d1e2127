/**
 * `Resync_At` (HHmm, 0000–2400, DOMAIN.md §1.1) with `Resync_At_Random_Delay` (seconds,
 * default 600; values below 600 count as 600 as on MPP; converted to minutes rounding up):
 * the resync happens somewhere in [HH:mm, HH:mm + delay]. Times are the phone's local time.
 * An invalid value throws `schedule_invalid`; the caller ignores it as the phones do.
 */
import { ProvisiondError } from '../errors/index.js';
import type { Random } from './delays.js';

const MIN_WINDOW_SECONDS = 600;

export interface DailyTime {
  readonly hour: number;
  readonly minute: number;
}

/** Parses `HHmm`; undefined when empty (not configured). */
export function parseResyncAt(value: string): DailyTime | undefined {
  const trimmed = value.trim();
  if (trimmed === '') return undefined;
  const match = /^(\d\d)(\d\d)$/.exec(trimmed);
  const hour = Number(match?.[1]);
  const minute = Number(match?.[2]);
  if (!match || minute > 59 || hour > 24 || (hour === 24 && minute !== 0)) {
    throw new ProvisiondError('schedule_invalid', 'Resync_At: expected four digits HHmm from 0000 to 2400', { path: 'Resync_At' });
  }
  // 2400 is midnight at the end of the day, i.e. 0000.
  return { hour: hour % 24, minute };
}

/** The random window in whole minutes. */
export function windowMinutes(randomDelay: string): number {
  const match = /^\s*(\d{1,7})\s*$/.exec(randomDelay);
  if (!match) throw new ProvisiondError('schedule_invalid', 'Resync_At_Random_Delay: expected a number of seconds', { path: 'Resync_At_Random_Delay' });
  return Math.ceil(Math.max(Number(match[1]), MIN_WINDOW_SECONDS) / 60);
}

/**
 * When the next daily resync is due: the first HH:mm strictly after `now`, plus a random
 * 0…window minutes. Undefined when `Resync_At` is empty.
 */
export function nextDailyResync(resyncAt: string, randomDelay: string, now: Date, random: Random): Date | undefined {
  const time = parseResyncAt(resyncAt);
  if (time === undefined) return undefined;
  const minutes = windowMinutes(randomDelay);
  const next = new Date(now.getFullYear(), now.getMonth(), now.getDate(), time.hour, time.minute);
  if (next.getTime() <= now.getTime()) next.setDate(next.getDate() + 1);
  return new Date(next.getTime() + Math.floor(random() * (minutes + 1)) * 60_000);
}
