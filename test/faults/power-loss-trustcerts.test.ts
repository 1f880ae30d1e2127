/**
 * Power loss during TRUSTCERTS install (issue 15): each round the test HTTPS server (trusted
 * through the anchor) serves a settings script that lists two CA files, and new contents for
 * both (from a pool of run-time CAs); `resync --wait` downloads and installs them, and the
 * daemon is SIGKILLed inside it: at one of the mutations of the trust store
 * (`trustcerts.json`), or (every other round) at a seeded moment within the resync's measured
 * duration, which is mostly the downloads. After every kill the trust store a restart loads is
 * the set of the last acknowledged install or of a newer one, whole — both files of one round
 * — and every certificate in it loads as an anchor; the journal keeps its `seq`; the restart
 * leaves no temporary file.
 */
import t from 'tap';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { shortTempDir } from '../fixtures/local.js';
import { startStub } from '../fixtures/http/stub.js';
import { makeOpensslPki } from '../fixtures/tls/openssl-pki.js';
import { faultSeed, writeConfig } from '../fixtures/faults/daemon.js';
import { killableDaemon, killClass, POWER_KILLS, powerTimeout, reportTally, type RoundContext } from '../fixtures/faults/power.js';
import { loadTrustStore, TRUSTCERTS_FILE, validateCaFile } from '../../daemon/tls/index.js';

const SEED = faultSeed(20261518);
const NAMES = ['a.pem', 'b.pem'] as const;

t.setTimeout(powerTimeout(1));
t.test(`power loss: ${POWER_KILLS} SIGKILLs inside TRUSTCERTS installs`, async (t) => {
  t.comment(`seed ${SEED}`);
  const daemon = killableDaemon();
  t.teardown(daemon.remove);
  const server = makeOpensslPki('P-256', 'P-256', 'trustcerts server');
  const pool = [0, 1, 2, 3].map((i) => makeOpensslPki('P-256', 'P-256', `pool ${i}`).root.certPem);
  // The set of a round, as the daemon stores it (validateCaFile's PEM).
  const set = (round: number): string[] => NAMES.map((name, i) => validateCaFile(Buffer.from(pool[(round + i) % pool.length]!), name, Date.now()));
  let current = 0;
  const stub = await startStub(
    (req, res) => {
      const file = req.url.replace(/^\/s\//, '');
      const index = NAMES.indexOf(file as (typeof NAMES)[number]);
      // GPP_A changes the script each round, so no resync is an unchanged one.
      const body = index >= 0 ? pool[(current + index) % pool.length]! : `## settings\r\nSET GPP_A "r${current}"\r\nSET TRUSTCERTS "${NAMES.join(',')}"\r\n`;
      res.writeHead(200, { 'content-type': 'text/plain', 'content-length': Buffer.byteLength(body) });
      res.end(body);
    },
    { cert: server.leaf.certPem, key: server.leaf.keyPem },
  );
  t.teardown(() => stub.stop());
  const dir = shortTempDir(t);
  mkdirSync(path.join(dir, 'anchors'));
  writeFileSync(path.join(dir, 'anchors', 'root.pem'), server.root.certPem);
  const paths = writeConfig(dir, {}, { Profile_Rule: `${stub.origin}/s/46xxsettings.txt` });

  let acked = -1;
  let loaded = 0;
  const tally = await killClass(
    t,
    daemon,
    paths,
    {
      name: 'trustcerts',
      match: /trustcerts/,
      timed: true,
      prepare: async (_feed, round) => {
        current = round;
      },
      operation: async (feed) => (await feed.command('resync', { wait: true })).ok,
      check: async ({ round, acked: ok }: RoundContext) => {
        let text: string;
        try {
          text = readFileSync(path.join(paths.stateDir, TRUSTCERTS_FILE), 'utf8');
        } catch {
          return acked >= 0 ? [`lost: no trust store after the install of round ${acked} was acknowledged`] : [];
        }
        let installed: { name: string; pem: string }[];
        try {
          installed = (JSON.parse(text) as { certificates: { name: string; pem: string }[] }).certificates;
        } catch {
          return [`the trust store is torn (${text.length} bytes)`];
        }
        const problems: string[] = [];
        const pems = installed.map((c) => c.pem);
        const names = installed.map((c) => c.name);
        if (names.join(',') !== NAMES.join(',')) problems.push(`the trust store holds ${names.join(',')}`);
        let of: number | undefined;
        // Newest first: the pool repeats every few rounds.
        for (let r = round; r >= Math.max(0, acked) && of === undefined; r--) if (set(r).join('') === pems.join('')) of = r;
        if (of === undefined) problems.push(acked >= 0 && set(acked - 1).join('') === pems.join('') ? `lost: the trust store went back before the acknowledged round ${acked}` : 'the trust store is a mix of two installs');
        else if (ok && of !== round) problems.push(`lost: the acknowledged install of round ${round} left round ${of}`);
        const store = await loadTrustStore({ trustCerts: installed.map((c) => ({ name: c.name, data: Buffer.from(c.pem) })) });
        if (store.problems.length > 0 || store.certificates.length !== NAMES.length) problems.push(`the trust store does not load: ${store.problems.map((p) => p.message).join('; ')}`);
        else loaded++;
        if (ok) acked = round;
        return problems;
      },
    },
    SEED,
    { kept: 'every kill left the old trust store or the new one, whole and loadable', inside: 'a TRUSTCERTS install' },
  );
  t.ok(acked >= 0 && loaded > POWER_KILLS / 2, `installs acknowledged across the kills (the last in round ${acked}; ${loaded} stores loaded)`);
  reportTally(t, tally);
});
