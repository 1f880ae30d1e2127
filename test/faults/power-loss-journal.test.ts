/**
 * Power loss during event-journal writes (issue 15): the real daemon process applies profiles
 * from a real HTTP server (fixtures/faults/apply.ts), which journals resync and config
 * events, and is SIGKILLed inside the appends and fsyncs of `events.jsonl` (and its
 * compactions) (fixtures/faults/power.ts). After every kill: the journal's `seq` runs without
 * gap, loss or reuse, and every seq a display client was shown names the same event; the
 * parameters and the vault are one whole version; the restart leaves no temporary file.
 */
import t from 'tap';
import { faultSeed } from '../fixtures/faults/daemon.js';
import { applyKillTest } from '../fixtures/faults/apply.js';
import { POWER_KILLS, powerTimeout } from '../fixtures/faults/power.js';

const SEED = faultSeed(20261519);

t.setTimeout(powerTimeout(1));
t.test(`power loss: ${POWER_KILLS} SIGKILLs inside event-journal writes`, async (t) => {
  await applyKillTest(t, SEED, [{ name: 'journal write', match: /events\.jsonl/ }]);
});
