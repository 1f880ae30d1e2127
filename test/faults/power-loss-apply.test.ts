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
import { faultSeed, prng } from '../fixtures/faults/daemon.js';
import { startApplyPeer } from '../fixtures/faults/apply.js';
import { finalRestart, JournalCheck, killableDaemon, killRounds, POWER_KILLS, powerTimeout, reportTally, type PowerClass } from '../fixtures/faults/power.js';

const SEED = faultSeed(20261515);

t.setTimeout(powerTimeout(2));
t.test(`power loss: ${POWER_KILLS} SIGKILLs each inside profile apply and vault writes`, async (t) => {
  t.comment(`seed ${SEED}`);
  const daemon = killableDaemon();
  t.teardown(daemon.remove);
  const peer = await startApplyPeer(t);
  const { paths, operation, check } = peer;
  const classes: PowerClass[] = [
    { name: 'profile apply', match: /parameters/, operation, check },
    { name: 'vault write', match: /vault\.enc/, operation, check },
  ];
  const random = prng(SEED);
  const journal = new JournalCheck();
  const tallies = [];
  for (const power of classes) tallies.push(await killRounds(daemon, paths, power, POWER_KILLS, random, journal));
  await finalRestart(t, daemon, paths);
  for (const tally of tallies) {
    t.same(tally.problems, [], `${tally.name}: every restart found a whole, acknowledged-or-next state`);
    t.equal(tally.kills, POWER_KILLS, `${tally.name}: ${POWER_KILLS} kills inside the operation`);
    reportTally(t, tally);
  }
  t.ok(peer.acked > 0, `profiles applied across the kills (v${peer.acked} acknowledged, ${peer.served} served)`);
  t.ok(journal.lastSeq > POWER_KILLS, `${journal.lastSeq} events journaled across the kills`);
});
