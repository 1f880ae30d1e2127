/**
 * Reconnect delays: exponential from `initialMs`, capped at `maxMs`, with "equal jitter" (a
 * random point in the upper half of the step) so that a fleet of phones coming back after a
 * power cut does not reconnect in lockstep (ECOSYSTEM.md §1.5). A refused login goes straight
 * to the cap: the broker will say no again, and a misconfigured fleet must not hammer it.
 */
export interface BackoffSettings {
  readonly initialMs: number;
  readonly maxMs: number;
}

export const DEFAULT_BACKOFF: BackoffSettings = { initialMs: 1000, maxMs: 60_000 };

/** Delay before reconnect attempt number `attempt` (0 for the first retry); `random()` in [0, 1). */
export function reconnectDelay(attempt: number, refused: boolean, settings: BackoffSettings, random: () => number): number {
  const step = refused ? settings.maxMs : Math.min(settings.maxMs, settings.initialMs * 2 ** Math.min(attempt, 30));
  return Math.round(step / 2 + (random() * step) / 2);
}
