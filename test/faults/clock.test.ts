/**
 * Clock jumps (issue 15): the real daemon process under libfaketime (only the wall clock is
 * faked; the monotonic clock stays real) against a real HTTPS provisioning server whose
 * certificate chain comes from the test PKI. The wall clock starts right, jumps back to 1970
 * (an RTC reset), then NTP sets it right and moves it on by days. Under 1970 the HTTPS resync
 * fails `tls_not_yet_valid` (validation is never bypassed) with no storm of attempts and
 * `status` answers; once the clock is right the resync is retried by itself within a watch
 * slice and succeeds, and periodic resyncs go on at their interval.
 */
import t from 'tap';
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import * as https from 'node:https';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import { makeTestPki } from '../../daemon/tls/pki.js';
import { transpileDaemon } from '../fixtures/daemon-js.js';
import { shortTempDir } from '../fixtures/local.js';
import { sleep, startDaemon, status, writeConfig } from '../fixtures/faults/daemon.js';

// The single-threaded library, wherever the package puts it for this architecture.
function findLibfaketime(): string | undefined {
  try {
    return execFileSync('dpkg', ['-L', 'libfaketime'], { encoding: 'utf8' }).split('\n').find((line) => line.endsWith('/libfaketime.so.1'));
  } catch {
    return undefined;
  }
}
const LIBFAKETIME = findLibfaketime();
const PERIODIC_S = 15;
const DAY_S = 86_400;

async function until(what: string, predicate: () => Promise<boolean> | boolean, ms: number): Promise<void> {
  const end = performance.now() + ms;
  while (!(await predicate())) {
    if (performance.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(200);
  }
}

t.test('clock: an RTC reset to 1970, then NTP catching up by days; TLS not_yet_valid, no storm, no stall', { skip: LIBFAKETIME === undefined ? 'libfaketime is not installed (apt-get install faketime)' : false }, async (t) => {
  t.setTimeout(180_000);
  const pki = makeTestPki();
  let attempts = 0;
  let served = 0;
  const server = https.createServer({ key: pki.leaf.keyPem, cert: pki.chainPem }, (_req, res) => {
    served++;
    const body = `<flat-profile><Station_Name>clock ${served}</Station_Name></flat-profile>`;
    // One connection per request: each attempt is a full handshake, judged by the daemon's clock.
    res.writeHead(200, { 'content-type': 'application/xml', 'content-length': Buffer.byteLength(body), connection: 'close' }).end(body);
  });
  server.on('connection', () => attempts++);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => {
    server.closeAllConnections();
    return new Promise<void>((resolve) => server.close(() => resolve()));
  });
  const port = (server.address() as AddressInfo).port;

  const dir = shortTempDir(t);
  mkdirSync(path.join(dir, 'anchors'));
  writeFileSync(path.join(dir, 'anchors', 'root.pem'), pki.root.certPem);
  const paths = writeConfig(dir, {}, {
    Profile_Rule: `https://127.0.0.1:${port}/$MA.xml`,
    Resync_On_Reset: 'Yes',
    Resync_Periodic: String(PERIODIC_S),
    // A long backoff: a prompt retry after the clock is set can only come from the jump.
    Resync_Error_Retry_Delay: '3600',
  });
  const offsetFile = path.join(dir, 'faketime');
  const setOffset = (seconds: number): void => writeFileSync(offsetFile, `${seconds >= 0 ? '+' : ''}${seconds}\n`);
  setOffset(0);
  const daemon = transpileDaemon();
  t.teardown(daemon.remove);
  const running = startDaemon(daemon.main, paths.config, {
    LD_PRELOAD: LIBFAKETIME ?? '',
    FAKETIME_TIMESTAMP_FILE: offsetFile,
    FAKETIME_NO_CACHE: '1',
    FAKETIME_DONT_FAKE_MONOTONIC: '1',
  });
  t.teardown(() => running.kill());
  await running.ready;
  t.equal(running.child.exitCode, null, 'the daemon runs under libfaketime', { output: running.output() });
  // `status` names the last resync's error by its code.
  const last = async (): Promise<{ outcome?: string; error?: string } | null> => (await status(paths.socket)).resync.last as { outcome?: string; error?: string } | null;

  await until('the start-up resync', async () => (await last())?.outcome === 'succeeded', 30_000);
  t.equal(served, 1, 'the start-up resync with the right time');

  // RTC reset: the wall clock reads 1970; the next periodic resync comes after its interval.
  setOffset(-Math.floor(Date.now() / 1000));
  const beforeReset = attempts;
  await until('the periodic resync under 1970', async () => (await last())?.error === 'tls_not_yet_valid', (PERIODIC_S + 20) * 1000);
  t.equal(attempts - beforeReset, 1, 'one attempt: the periodic resync, not a storm');
  t.equal(served, 1, 'the handshake was refused: no request reached the server');
  // Held for more than a watch slice: the failure is retried after its backoff (an hour), not in a loop.
  const failedAt = attempts;
  let answered = 0;
  for (let i = 0; i < 6; i++) {
    await sleep(2000);
    if ((await last())?.error === 'tls_not_yet_valid') answered++;
  }
  t.equal(answered, 6, 'status answers while the clock is wrong, still naming not_yet_valid');
  t.equal(attempts, failedAt, 'no further attempt while the clock stays wrong');

  // NTP: the right time again; the failed resync is retried promptly and succeeds.
  setOffset(0);
  await until('the retry once the clock is right', async () => (await last())?.outcome === 'succeeded', 30_000);
  t.equal(attempts - failedAt, 1, 'exactly one retry');
  t.equal(served, 2);

  // NTP moves on by three days: no storm for the days skipped; periodic resyncs keep their interval.
  const beforeForward = attempts;
  setOffset(3 * DAY_S);
  await sleep(5000);
  t.equal(attempts, beforeForward, 'no resync at the forward jump');
  await until('two more periodic resyncs', () => served >= 4, (2 * PERIODIC_S + 20) * 1000);
  t.equal(attempts - beforeForward, 2, 'one resync per interval after the jump');
  t.equal((await last())?.outcome, 'succeeded');
  t.comment(`clock: 3 jumps injected (to 1970, back to the right time, +3 days); ${attempts} connection attempts, ${served} profiles served; the not_yet_valid failure was retried once the clock was right and nothing was lost`);
});
