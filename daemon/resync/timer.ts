/**
 * The one pending automatic resync: a planned moment on an injected clock. A host timer that
 * fires early (Node holds at most 2^31-1 ms) is simply set again until the moment is due.
 */
import type { Clock } from '../clock/index.js';
import type { PlannedTimer } from './plan.js';

export class DueTimer {
  private readonly clock: Clock;
  private readonly onDue: (planned: PlannedTimer) => void;
  private pending: { planned: PlannedTimer; handle: unknown } | undefined;

  constructor(clock: Clock, onDue: (planned: PlannedTimer) => void) {
    this.clock = clock;
    this.onDue = onDue;
  }

  get planned(): PlannedTimer | undefined {
    return this.pending?.planned;
  }

  /** Replaces the pending moment (undefined: none). */
  set(planned: PlannedTimer | undefined): void {
    this.clear();
    if (planned !== undefined) this.wait(planned);
  }

  clear(): void {
    if (this.pending) this.clock.clearTimer(this.pending.handle);
    this.pending = undefined;
  }

  private wait(planned: PlannedTimer): void {
    const remaining = planned.due - this.clock.now();
    if (remaining <= 0 && this.pending !== undefined) {
      this.pending = undefined;
      this.onDue(planned);
      return;
    }
    this.pending = { planned, handle: this.clock.setTimer(() => this.wait(planned), Math.max(0, remaining)) };
  }
}
