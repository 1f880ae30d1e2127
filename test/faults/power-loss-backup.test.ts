/**
 * Power loss during backup (issue 15): each round stores a new version of the user's contacts
 * locally (unkilled), then asks for `backup --wait` — one PUT over TLS to real Apache mod_dav
 * with the call-server credential — and the daemon is SIGKILLed inside it: at one of its
 * filesystem mutations, or (every other round) at a seeded moment within the backup's
 * measured duration, which is mostly the PUT on the wire. After every kill: the file on the
 * server is a whole backup, the one of the last acknowledged backup or a newer one sent since,
 * never torn or mixed; the local user data are the version stored before the backup; the
 * journal keeps its `seq`; the restart leaves no temporary file, on the phone or the server.
 */
import t from 'tap';
import { readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { faultSeed } from '../fixtures/faults/daemon.js';
import { backupFile, localRound, startBackupPeer, userData } from '../fixtures/faults/backup-peer.js';
import { killableDaemon, killClass, POWER_KILLS, powerTimeout, reportTally, type RoundContext } from '../fixtures/faults/power.js';

const SEED = faultSeed(20261516);

t.setTimeout(powerTimeout(1));
t.test(`power loss: ${POWER_KILLS} SIGKILLs inside backups to Apache mod_dav`, async (t) => {
  t.comment(`seed ${SEED}`);
  const daemon = killableDaemon();
  t.teardown(daemon.remove);
  const peer = await startBackupPeer(t, daemon.main);
  const { paths } = peer;
  const files = new Map<string, number>();
  // The first round's backup is the first file on the server.
  let acked = -1;
  const tally = await killClass(
    t,
    daemon,
    paths,
    {
      name: 'backup',
      match: /./,
      timed: true,
      prepare: async (feed, round) => {
        files.set(backupFile(round).toString('base64'), round);
        const reply = await feed.command('set', userData(round));
        if (!reply.ok) throw new Error(`set failed: ${reply.error.code}`);
      },
      operation: async (feed) => (await feed.command('backup', { wait: true })).ok,
      check: ({ round, acked: ok }: RoundContext) => {
        const problems: string[] = [];
        let body: Buffer | undefined;
        try {
          body = readFileSync(peer.file);
        } catch {
          body = undefined;
        }
        const stored = body === undefined ? undefined : files.get(body.toString('base64'));
        if (body === undefined) {
          if (acked >= 0) problems.push(`lost: no backup on the server after round ${acked} was acknowledged`);
        } else if (stored === undefined) problems.push(`the server holds a torn or foreign backup (${body.length} bytes)`);
        else if (stored < acked) problems.push(`lost: the server went back from round ${acked} to round ${stored}`);
        else if (stored > round) problems.push(`the server holds round ${stored}, never sent`);
        else if (ok && stored !== round) problems.push(`lost: the acknowledged backup of round ${round} left round ${stored} on the server`);
        if (ok) acked = round;
        const local = localRound(paths.stateDir);
        if (local !== round) problems.push(`lost: the local user data are ${local}, not round ${round} stored before the backup`);
        return problems;
      },
    },
    SEED,
    { kept: 'every kill left a whole backup on the server and the local data as stored', inside: 'a backup' },
  );
  t.ok(acked >= 0, `backups acknowledged across the kills (the last in round ${acked})`);
  // mod_dav writes a PUT to a temporary file and renames it: an aborted one leaves nothing.
  t.same(readdirSync(path.dirname(peer.file)), [path.basename(peer.file)], 'no temporary file of an aborted PUT on the server');
  reportTally(t, tally);
});
