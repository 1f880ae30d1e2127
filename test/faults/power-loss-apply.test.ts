/**
 * Power loss during profile apply and vault writes (issue 15): the real daemon process applies
 * profiles from a real HTTP server (fixtures/faults/apply.ts) and is SIGKILLed inside the
 * writes of the parameter state and published parameters, or of the vault
 * (fixtures/faults/power.ts). After every kill: the parameters are one whole version, never
 * older than the last acknowledged resync; the vault opens and its secret belongs to that
 * version; the journal's `seq` runs without gap, loss or reuse; the restart leaves no
 * temporary file of the killed process.
 */
import t from 'tap';
import { faultSeed } from '../fixtures/faults/daemon.js';
import { applyKillTest } from '../fixtures/faults/apply.js';
import { POWER_KILLS, powerTimeout } from '../fixtures/faults/power.js';

const SEED = faultSeed(20261515);

t.setTimeout(powerTimeout(2));
t.test(`power loss: ${POWER_KILLS} SIGKILLs each inside profile apply and vault writes`, async (t) => {
  await applyKillTest(t, SEED, [
    { name: 'profile apply', match: /parameters/ },
    { name: 'vault write', match: /vault\.enc/ },
  ]);
});
