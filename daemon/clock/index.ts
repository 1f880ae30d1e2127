/**
 * Time, the one seam through which the daemon sees it (STYLE.md: seams inject the world).
 * Wall time can jump — an RTC reset to 1970 at power-up, then NTP catching up by decades — so
 * dates, certificates and daily schedules read `now()`, while waits are measured on
 * `monotonic()`, which never jumps.
 */
export interface Clock {
  /** Wall-clock milliseconds since the epoch. */
  now(): number;
  /** Milliseconds from an arbitrary origin on a clock that never jumps. */
  monotonic(): number;
  setTimer(callback: () => void, ms: number): unknown;
  clearTimer(handle: unknown): void;
}

/** Node holds at most 2^31-1 ms in a timer; callers set a timer again when one fires early. */
export const MAX_TIMER_MS = 2 ** 31 - 1;

export const systemClock: Clock = {
  now: () => Date.now(),
  monotonic: () => performance.now(),
  setTimer: (callback, ms) => setTimeout(callback, Math.min(ms, MAX_TIMER_MS)),
  clearTimer: (handle) => clearTimeout(handle as NodeJS.Timeout),
};
