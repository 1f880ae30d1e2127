/**
 * The one pending automatic resync: a planned moment on the clock that never jumps
 * (`monotonic()`), so an RTC reset to 1970 neither stalls it nor does NTP catching up by days
 * fire it early. A host timer that fires early (Node holds at most 2^31-1 ms) is set again.
 *
 * A moment that depends on the wall clock (a daily `Resync_At`, a retry of a failure the wall
 * clock caused) is waited for in slices of `WALL_WATCH_MS`: at each wake the timer compares how
 * far the wall clock moved with how far the monotonic one did, and reports a jump to its owner,
 * who plans again from the new wall time.
 */
import type { Clock } from '../clock/index.js';
import type { PlannedTimer } from './plan.js';

/** How often a wall-dependent wait looks at the wall clock: a jump is acted on within this. */
export const WALL_WATCH_MS = 10_000;
/**
 * Wall time minus monotonic time may drift by NTP slewing (at most 500 ppm, 5 ms per watch
 * slice); a change beyond this is a step of the wall clock.
 */
export const JUMP_TOLERANCE_MS = 2_000;

/** Wall minus monotonic time: constant while the wall clock runs at the monotonic pace. */
export function wallOffset(clock: Clock): number {
  return clock.now() - clock.monotonic();
}

/** How far the wall clock jumped since `offset` was read (0 within the tolerance). */
export function wallJump(clock: Clock, offset: number): number {
  const jumped = wallOffset(clock) - offset;
  return Math.abs(jumped) > JUMP_TOLERANCE_MS ? jumped : 0;
}

export class DueTimer {
  private readonly clock: Clock;
  private readonly onDue: (planned: PlannedTimer) => void;
  private readonly onJump: (jumpedMs: number, planned: PlannedTimer) => void;
  private pending: { planned: PlannedTimer; handle: unknown; offset: number } | undefined;

  constructor(clock: Clock, onDue: (planned: PlannedTimer) => void, onJump: (jumpedMs: number, planned: PlannedTimer) => void) {
    this.clock = clock;
    this.onDue = onDue;
    this.onJump = onJump;
  }

  get planned(): PlannedTimer | undefined {
    return this.pending?.planned;
  }

  /** Replaces the pending moment (undefined: none). */
  set(planned: PlannedTimer | undefined): void {
    this.clear();
    if (planned !== undefined) this.wait(planned, wallOffset(this.clock));
  }

  clear(): void {
    if (this.pending) this.clock.clearTimer(this.pending.handle);
    this.pending = undefined;
  }

  private wait(planned: PlannedTimer, offset: number): void {
    const remaining = planned.due - this.clock.monotonic();
    if (this.pending !== undefined) {
      const jumped = wallJump(this.clock, offset);
      if (jumped !== 0) {
        // The owner plans again (and sets this timer anew) from the new wall time.
        this.pending = undefined;
        this.onJump(jumped, planned);
        return;
      }
      if (remaining <= 0) {
        this.pending = undefined;
        this.onDue(planned);
        return;
      }
    }
    const slice = planned.watchWall ? Math.min(remaining, WALL_WATCH_MS) : remaining;
    this.pending = { planned, offset, handle: this.clock.setTimer(() => this.wait(planned, offset), Math.max(0, slice)) };
  }
}
