/**
 * The fetcher against `curl --digest` for the same file from the same Apache httpd (Digest
 * MD5, mod_auth_digest) in one run (SPEC §12): first fetch, changed file, unchanged file.
 * Ours keeps its state between fetches (pre-emptive Digest with the cached nonce,
 * conditional GET, keep-alive); curl starts fresh each time, as a cron job would. Requests
 * are counted in Apache's access log; times are medians.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { Fetcher } from '../daemon/http/index.js';
import { startApache, type Apache } from '../test/fixtures/http/apache.js';
import { requireProgram } from '../test/fixtures/peers.js';
import type { BenchModule, BenchRow } from './types.js';
import { median, timed } from './util.js';

const RUNS = 15;
const USER = 'bench';
const PASSWORD = 'bench-password';
const run = promisify(execFile);

interface Sample {
  ms: number[];
  requests: number[];
}

async function sample(apache: Apache, action: () => Promise<unknown>, before?: () => void): Promise<Sample> {
  const result: Sample = { ms: [], requests: [] };
  for (let i = 0; i < RUNS; i++) {
    before?.();
    const logged = (await apache.accessLog()).length;
    result.ms.push(await timed(action));
    result.requests.push((await apache.accessLog()).length - logged);
  }
  return result;
}

const bench: BenchModule = {
  title: 'fetch: provisiond fetcher vs curl --digest (Apache httpd, Digest MD5)',
  async run(): Promise<BenchRow[]> {
    const curl = requireProgram('curl', 'curl');
    const profile = '<flat-profile>' + '<Line_Enable_1_>Yes</Line_Enable_1_>'.repeat(500) + '</flat-profile>\n';
    const apache = await startApache({ areas: [{ path: '/p', auth: { scheme: 'Digest', realm: 'bench', users: { [USER]: PASSWORD } } }], files: { 'p/spa.xml': profile } });
    const stateDir = mkdtempSync(path.join(tmpdir(), 'provisiond-bench-fetch-'));
    const url = `${apache.origin}/p/spa.xml`;
    const file = path.join(apache.docroot, 'p/spa.xml');
    const credentials = async () => ({ username: USER, password: PASSWORD, source: 'rule' as const });
    let version = 0;
    const change = () => writeFileSync(file, profile.replace('</flat-profile>', `<GPP_A>${++version}</GPP_A></flat-profile>`));
    const curlFetch = async () => {
      // Credentials through a config on stdin: never on a command line.
      const child = run(curl, ['-sS', '--fail', '-o', '/dev/null', '--digest', '-K', '-', url]);
      child.child.stdin!.end(`user = "${USER}:${PASSWORD}"\n`);
      await child;
    };
    try {
      const oursFirst = await sample(apache, async () => {
        const fresh = new Fetcher({ userAgent: 'bench', stateDir: mkdtempSync(path.join(stateDir, 'first-')) });
        await fresh.fetch({ url, operation: 'resync', credentials });
        fresh.close();
      });
      const curlFirst = await sample(apache, curlFetch);
      const fetcher = new Fetcher({ userAgent: 'bench', stateDir });
      await fetcher.fetch({ url, operation: 'resync', credentials });
      const oursChanged = await sample(apache, () => fetcher.fetch({ url, operation: 'resync', credentials }), change);
      const curlChanged = await sample(apache, curlFetch, change);
      const oursSame = await sample(apache, () => fetcher.fetch({ url, operation: 'resync', credentials }));
      const curlSame = await sample(apache, curlFetch);
      fetcher.close();
      const rows: BenchRow[] = [];
      for (const [name, ours, theirs] of [
        ['first fetch', oursFirst, curlFirst],
        ['changed profile', oursChanged, curlChanged],
        ['unchanged profile', oursSame, curlSame],
      ] as const) {
        rows.push({ name: `${name}: wall time`, value: median(ours.ms), unit: 'ms', baseline: { name: 'curl --digest', value: median(theirs.ms) }, note: `median of ${RUNS}; curl includes its process start` });
        rows.push({ name: `${name}: requests`, value: median(ours.requests), unit: 'requests', baseline: { name: 'curl --digest', value: median(theirs.requests) }, note: 'counted in the Apache access log' });
      }
      return rows;
    } finally {
      await apache.stop();
      rmSync(stateDir, { recursive: true, force: true });
    }
  },
};

export default bench;
