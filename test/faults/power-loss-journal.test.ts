/**
 * Power loss during event-journal writes (issue 15): the real daemon process applies profiles
 * from a real HTTP server (fixtures/faults/apply.ts), which journals resync and config
 * events, and is SIGKILLed inside the appends and fsyncs of `events.jsonl` (and its
 * compactions) (fixtures/faults/power.ts). After every kill: the journal's `seq` runs without
 * gap, loss or reuse, and every seq a display client was shown names the same event; the
 * parameters and the vault are one whole version; the restart leaves no temporary file.
 */
import t from 'tap';
import { faultSeed, prng } from '../fixtures/faults/daemon.js';
import { startApplyPeer } from '../fixtures/faults/apply.js';
import { finalRestart, JournalCheck, killableDaemon, killRounds, POWER_KILLS, powerTimeout, reportTally, type PowerClass } from '../fixtures/faults/power.js';

const SEED = faultSeed(20261519);

t.setTimeout(powerTimeout(1));
t.test(`power loss: ${POWER_KILLS} SIGKILLs inside event-journal writes`, async (t) => {
  t.comment(`seed ${SEED}`);
  const daemon = killableDaemon();
  t.teardown(daemon.remove);
  const peer = await startApplyPeer(t);
  const { paths, operation, check } = peer;
  const classes: PowerClass[] = [
    { name: 'journal write', match: /events\.jsonl/, operation, check },
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
