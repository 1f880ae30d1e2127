/**
 * The fetcher against `curl --digest` for the same file from the same Apache httpd (Digest
 * MD5, mod_auth_digest), over http and https, in one run (SPEC §12). Every comparison is
 * alike on both sides:
 * - cold: a new process per fetch, its start included — our real fetcher in a fresh Node
 *   process (bench/cold-fetch.ts) against a fresh curl; nothing cached on either side;
 * - warm: one process fetching the same URL again and again on a kept connection — our
 *   fetcher instance against one curl process with N transfers (`next`), a changed profile
 *   (full body) and an unchanged one (conditional GET on both sides: our stored validators,
 *   curl's `--etag-compare`).
 * Wall times are medians; CPU is user + system: cold, the median per process; warm, curl's
 * marginal cost per transfer (bench/curl.ts) and our mean per fetch of this process's CPU
 * during the fetch, after untimed fetches that warm the connection, the nonce and V8's code.
 * Requests are counted in Apache's access log.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { Fetcher, type FetcherOptions } from '../daemon/http/index.js';
import { loadTrustStore, makeTestPki, tlsConnectionOptions } from '../daemon/tls/index.js';
import { startApache, type Apache } from '../test/fixtures/http/apache.js';
import { curlCold, curlWarm, ourCold, type CurlTarget } from './curl.js';
import { cpuMs, type Measured } from './rusage.js';
import type { BenchModule, BenchRow } from './types.js';
import { median } from './util.js';

const COLD_RUNS = 9;
const TRANSFERS = 40;
/**
 * Untimed fetches first, as bench/resync.ts does: curl's warm figure is the marginal cost of
 * a transfer in a process that has run its code before; ours is the same once V8 has compiled
 * the fetch path (after one fetch it is still mostly interpreted).
 */
const WARM_UP = 30;
const WARM_PROCESSES = 5;
const USER = 'bench';
const PASSWORD = 'bench-password';
const PROFILE = '<flat-profile>' + '<Line_Enable_1_>Yes</Line_Enable_1_>'.repeat(500) + '</flat-profile>\n';

interface Figures {
  wallMs: number;
  cpuMs: number;
  requests: number;
}

async function counted(apache: Apache, fetches: number, action: () => Promise<unknown>): Promise<number> {
  const before = (await apache.accessLog()).length;
  await action();
  return ((await apache.accessLog()).length - before) / fetches;
}

/** `TRANSFERS` fetches with one fetcher, after `WARM_UP` that warm the connection, the nonce and the code. */
async function ourWarm(apache: Apache, fetcher: Fetcher, url: string, before?: () => void): Promise<Figures> {
  const credentials = async () => ({ username: USER, password: PASSWORD, source: 'rule' as const });
  const once = () => fetcher.fetch({ url, operation: 'resync', credentials });
  for (let i = 0; i < WARM_UP; i++) {
    before?.();
    await (await once()).applied?.();
  }
  const walls: number[] = [];
  let cpu = 0;
  const requests = await counted(apache, TRANSFERS, async () => {
    for (let i = 0; i < TRANSFERS; i++) {
      before?.();
      const used = process.cpuUsage();
      const started = process.hrtime.bigint();
      const result = await once();
      walls.push(Number(process.hrtime.bigint() - started) / 1e6);
      const spent = process.cpuUsage(used);
      cpu += (spent.user + spent.system) / 1000;
      // Validators are kept once the profile is applied (SPEC §4); the resync rows time that part.
      await result.applied?.();
    }
  });
  return { wallMs: median(walls), cpuMs: cpu / TRANSFERS, requests };
}

async function scheme(tls: boolean, dir: string): Promise<BenchRow[]> {
  const pki = tls ? makeTestPki() : undefined;
  const apache = await startApache({
    ...(pki && { tls: { certPem: pki.chainPem, keyPem: pki.leaf.keyPem } }),
    areas: [{ path: '/p', auth: { scheme: 'Digest', realm: 'bench', users: { [USER]: PASSWORD } } }],
    files: { 'p/spa.xml': PROFILE },
  });
  try {
    const caFile = path.join(dir, `ca-${tls}.pem`);
    if (pki) writeFileSync(caFile, pki.root.certPem);
    const target: CurlTarget = { url: `${apache.origin}/p/spa.xml`, username: USER, password: PASSWORD, ...(pki && { caFile }) };
    const file = path.join(apache.docroot, 'p/spa.xml');
    let version = 0;
    const change = () => writeFileSync(file, PROFILE.replace('</flat-profile>', `<GPP_A>${++version}</GPP_A></flat-profile>`));

    const oursCold = await perProcess(apache, () => ourCold(target, COLD_RUNS));
    const curlColdFigures = await perProcess(apache, () => curlCold(target, COLD_RUNS));

    const options: FetcherOptions = { userAgent: 'bench', stateDir: mkdtempSync(path.join(dir, 'state-')) };
    if (pki) {
      const store = await loadTrustStore({ trustCerts: [{ name: 'bench CA', data: Buffer.from(pki.root.certPem) }] });
      const connection = tlsConnectionOptions(store, { checkName: true });
      Object.assign(options, { tls: () => connection });
    }
    const fetcher = new Fetcher(options);
    let oursChanged: Figures;
    let oursSame: Figures;
    try {
      oursChanged = await ourWarm(apache, fetcher, target.url, change);
      oursSame = await ourWarm(apache, fetcher, target.url);
    } finally {
      fetcher.close();
    }
    const curlFull = await curlWarmFigures(apache, target);
    const etag = path.join(dir, `etag-${tls}`);
    await curlCold(target, 1, { file: etag, mode: 'save' });
    const curlSame = await curlWarmFigures(apache, target, etag);

    const label = tls ? 'https' : 'http';
    const rows: BenchRow[] = [];
    const add = (what: string, mine: Figures, theirs: Figures, competitor: string, note: string, goals: { wall?: number; cpu?: number; requests?: number }) => {
      rows.push({ name: `${label} ${what}: wall time`, value: mine.wallMs, unit: 'ms', baseline: { name: competitor, value: theirs.wallMs }, ...(goals.wall !== undefined && { goal: { on: 'ratio', max: goals.wall } }), note });
      rows.push({ name: `${label} ${what}: CPU`, value: mine.cpuMs, unit: 'ms', baseline: { name: competitor, value: theirs.cpuMs }, ...(goals.cpu !== undefined && { goal: { on: 'ratio', max: goals.cpu } }), note: 'user + system; ours: mean per fetch, curl: marginal per transfer' });
      rows.push({ name: `${label} ${what}: requests`, value: mine.requests, unit: 'requests', baseline: { name: competitor, value: theirs.requests }, ...(goals.requests !== undefined && { goal: { max: goals.requests } }), note: 'Apache access log' });
    };
    add('cold fetch (new process)', oursCold, curlColdFigures, 'curl --digest, new process', `median of ${COLD_RUNS}; node process vs curl process, start included`, {});
    add('warm fetch, changed profile', oursChanged, curlFull, `curl --digest, ${TRANSFERS} URLs in 1 process`, `median of ${TRANSFERS} after ${WARM_UP} untimed; kept connection on both sides`, { wall: 1, cpu: 1, requests: 1 });
    add('warm fetch, unchanged profile', oursSame, curlSame, `curl --digest --etag-compare, ${TRANSFERS} URLs`, `median of ${TRANSFERS} after ${WARM_UP} untimed; conditional GET on both sides`, { wall: 1, cpu: 1, requests: 1 });
    return rows;
  } finally {
    await apache.stop();
  }
}

/** Medians over processes of one fetch each. */
async function perProcess(apache: Apache, measure: () => Promise<Measured[]>): Promise<Figures> {
  let runs: Measured[] = [];
  const requests = await counted(apache, COLD_RUNS, async () => (runs = await measure()));
  return { wallMs: median(runs.map((r) => r.wallMs)), cpuMs: median(runs.map(cpuMs)), requests };
}

async function curlWarmFigures(apache: Apache, target: CurlTarget, etagFile?: string): Promise<Figures> {
  const etag = etagFile === undefined ? undefined : { file: etagFile, mode: 'compare' as const };
  let warm: Awaited<ReturnType<typeof curlWarm>> | undefined;
  // Requests per transfer over every process run (the single-transfer runs included).
  const requests = await counted(apache, WARM_PROCESSES * (TRANSFERS + 1), async () => (warm = await curlWarm(target, TRANSFERS, WARM_PROCESSES, etag)));
  return { wallMs: warm!.wallMs, cpuMs: warm!.cpuMs, requests };
}

const bench: BenchModule = {
  title: 'fetch: provisiond fetcher vs curl --digest (Apache httpd, Digest MD5), cold and warm, http and https',
  async run(): Promise<BenchRow[]> {
    const dir = mkdtempSync(path.join(tmpdir(), 'provisiond-bench-fetch-'));
    try {
      return [...(await scheme(false, dir)), ...(await scheme(true, dir))];
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  },
};

export default bench;
