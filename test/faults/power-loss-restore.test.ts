/**
 * Power loss during restore (issue 15): each round puts a new backup file on real Apache
 * mod_dav (a block of contacts whose every value names the round), asks for `restore --wait`
 * — one GET over TLS with the call-server credential, then one local transaction — and the
 * daemon is SIGKILLed inside it: at one of its filesystem mutations, or (every other round) at
 * a seeded moment within the restore's measured duration. After every kill the local user
 * data, read as a restart reads them, are all of one restore or all of the one before — never
 * a mix, never older than the last acknowledged restore; the journal keeps its `seq`; the
 * restart leaves no temporary file.
 */
import t from 'tap';
import { writeFileSync } from 'node:fs';
import { faultSeed } from '../fixtures/faults/daemon.js';
import { backupFile, localRound, startBackupPeer } from '../fixtures/faults/backup-peer.js';
import { killableDaemon, killClass, POWER_KILLS, powerTimeout, reportTally, type RoundContext } from '../fixtures/faults/power.js';

const SEED = faultSeed(20261517);

t.setTimeout(powerTimeout(1));
t.test(`power loss: ${POWER_KILLS} SIGKILLs inside restores from Apache mod_dav`, async (t) => {
  t.comment(`seed ${SEED}`);
  const daemon = killableDaemon();
  t.teardown(daemon.remove);
  const peer = await startBackupPeer(t, daemon.main);
  const { paths } = peer;
  let acked = -1;
  let whole = 0;
  const tally = await killClass(
    t,
    daemon,
    paths,
    {
      name: 'restore',
      match: /./,
      timed: true,
      // Apache serves what is in its document root: the server's copy of this round.
      prepare: async (_feed, round) => writeFileSync(peer.file, backupFile(round)),
      operation: async (feed) => (await feed.command('restore', { wait: true })).ok,
      check: ({ round, acked: ok }: RoundContext) => {
        const local = localRound(paths.stateDir);
        if (typeof local === 'string') {
          if (local === 'none' && acked < 0) return [];
          return [local === 'none' ? `lost: no user data after the restore of round ${acked} was acknowledged` : `the restore was half-applied: rounds ${local.slice(6)}`];
        }
        whole++;
        const problems: string[] = [];
        if (local < acked) problems.push(`lost: the user data went back from the acknowledged round ${acked} to round ${local}`);
        if (local > round) problems.push(`the user data are of round ${local}, never served`);
        if (ok && local !== round) problems.push(`lost: the acknowledged restore of round ${round} left round ${local}`);
        if (ok) acked = round;
        return problems;
      },
    },
    SEED,
    { kept: 'every kill left all of a restore or none of it', inside: 'a restore' },
  );
  t.ok(acked >= 0 && whole > POWER_KILLS / 2, `restores acknowledged across the kills (the last in round ${acked}; ${whole} whole sets seen)`);
  reportTally(t, tally);
});
