import t from 'tap';
import { MAX_TIMER_MS, systemClock } from '../../daemon/clock/index.js';

t.test('the system clock reads wall time and a monotonic clock that never goes back', async (t) => {
  const before = Date.now();
  const wall = systemClock.now();
  t.ok(wall >= before && wall <= Date.now(), 'wall time is the epoch time');
  const a = systemClock.monotonic();
  await new Promise((resolve) => setTimeout(resolve, 5));
  t.ok(systemClock.monotonic() > a, 'monotonic time moves on');
});

t.test('system timers fire, can be cleared, and a wait beyond what Node holds does not fire at once', async (t) => {
  const fired: string[] = [];
  await new Promise<void>((resolve) =>
    systemClock.setTimer(() => {
      fired.push('short');
      resolve();
    }, 1),
  );
  const cleared = systemClock.setTimer(() => fired.push('cleared'), 1);
  systemClock.clearTimer(cleared);
  // Node turns a delay past 2^31-1 ms into 1 ms (with a warning); the clock caps it instead.
  const far = systemClock.setTimer(() => fired.push('far'), MAX_TIMER_MS * 4);
  await new Promise((resolve) => setTimeout(resolve, 20));
  systemClock.clearTimer(far);
  t.same(fired, ['short']);
});
