/** Resync schedule arithmetic (DOMAIN.md §1.1–1.2; SPEC §3–4). Pure functions. */
export { delayMs, parseDelayList, periodicDelayMs, retryDelayMs, startupDelayMs } from './delays.js';
export type { DelayStep, Random } from './delays.js';
export { nextDailyResync, parseResyncAt, windowMinutes } from './daily.js';
export type { DailyTime } from './daily.js';
