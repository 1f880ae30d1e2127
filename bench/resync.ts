/**
 * CPU per resync through the whole daemon (rule → fetcher → parser → parameter store →
 * events) against Apache httpd with a Digest realm (SPEC §12), for a 100 KB profile that is
 * unchanged and one that changed, against `curl --digest` fetching the same file from the same
 * server: warm (one curl process, N transfers on a kept connection; `--etag-compare` for the
 * unchanged profile, so both sides send a conditional GET) and cold (one curl per fetch).
 * CPU is user + system: ours this process's during the resync (every thread), curl's from
 * the kernel's rusage (bench/curl.ts). The goal is less CPU than curl warm. Requests per
 * resync are counted in the access log.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { startApache } from '../test/fixtures/http/apache.js';
import { profileOfSize, startBenchApp } from './app.js';
import { curlCold, curlWarm, type CurlTarget, type CurlWarm } from './curl.js';
import { cpuMs } from './rusage.js';
import type { BenchModule, BenchRow } from './types.js';
import { median, timed } from './util.js';

const PROFILE_BYTES = 100 * 1024;
const UNCHANGED = 200;
const CHANGED = 40;
const WARM_UP = 30;
const TRANSFERS = 40;
const PROCESSES = 5;
const USER = 'bench';
const PASSWORD = 'bench-resync-password';

interface Figures {
  cpuMs: number;
  wallMs: number;
  requests: number;
}

const bench: BenchModule = {
  title: `CPU per resync through the daemon (Apache Digest, ${PROFILE_BYTES / 1024} KB profile) vs curl --digest`,
  async run(): Promise<BenchRow[]> {
    const apache = await startApache({ areas: [{ path: '/p', auth: { scheme: 'Digest', realm: 'bench', users: { [USER]: PASSWORD } } }], files: { 'p/phone.xml': profileOfSize(PROFILE_BYTES) } });
    const dir = mkdtempSync(path.join(tmpdir(), 'pvd-bench-resync-'));
    const file = path.join(apache.docroot, 'p/phone.xml');
    const target: CurlTarget = { url: `${apache.origin}/p/phone.xml`, username: USER, password: PASSWORD };
    const app = await startBenchApp(dir, `[--uid ${USER} --pwd ${PASSWORD}]${target.url}`);
    const requestsDuring = async (count: number, action: () => Promise<unknown>) => {
      const before = (await apache.accessLog()).length;
      await action();
      return ((await apache.accessLog()).length - before) / count;
    };
    try {
      const firstMs = await timed(() => app.resync.resyncNow());
      for (let i = 0; i < WARM_UP; i++) await app.resync.resyncNow();
      /** `count` resyncs, `before` (untimed) ahead of each; every one must end with `expected`. */
      const resyncs = async (count: number, expected: string, before?: (i: number) => void): Promise<Figures> => {
        const walls: number[] = [];
        let cpu = 0;
        const requests = await requestsDuring(count, async () => {
          for (let i = 0; i < count; i++) {
            before?.(i);
            const used = process.cpuUsage();
            const started = process.hrtime.bigint();
            const outcome = await app.resync.resyncNow();
            walls.push(Number(process.hrtime.bigint() - started) / 1e6);
            const spent = process.cpuUsage(used);
            cpu += (spent.user + spent.system) / 1000;
            if (outcome.result !== expected) throw new Error(`resync bench: a resync ended ${outcome.result} (${outcome.error?.message ?? ''}), expected ${expected}`);
          }
        });
        return { cpuMs: cpu / count, wallMs: median(walls), requests };
      };
      const unchanged = await resyncs(UNCHANGED, 'unchanged');
      const changed = await resyncs(CHANGED, 'succeeded', (i) => writeFileSync(file, profileOfSize(PROFILE_BYTES, `v${i}`)));

      const etag = path.join(dir, 'etag');
      await curlCold(target, 1, { file: etag, mode: 'save' });
      const transfers = PROCESSES * (TRANSFERS + 1);
      let curlWarmSame: CurlWarm | undefined;
      let curlWarmFull: CurlWarm | undefined;
      const curlSameRequests = await requestsDuring(transfers, async () => (curlWarmSame = await curlWarm(target, TRANSFERS, PROCESSES, { file: etag, mode: 'compare' })));
      const curlFullRequests = await requestsDuring(transfers, async () => (curlWarmFull = await curlWarm(target, TRANSFERS, PROCESSES)));
      const curlColdSame = median((await curlCold(target, PROCESSES * 2, { file: etag, mode: 'compare' })).map(cpuMs));
      const curlColdFull = median((await curlCold(target, PROCESSES * 2)).map(cpuMs));
      const lessThanCurlWarm = { on: 'ratio' as const, max: 1 };
      const note = (count: number) => `mean of ${count}; curl warm: marginal CPU of 1 of ${TRANSFERS} transfers in one process`;
      return [
        { name: 'first resync: wall time', value: firstMs, unit: 'ms', note: `${PROFILE_BYTES / 1024} KB, about ${Math.round(PROFILE_BYTES / 39)} parameters` },
        { name: 'CPU per unchanged resync', value: unchanged.cpuMs, unit: 'ms', baseline: { name: 'curl --digest --etag-compare, warm', value: curlWarmSame!.cpuMs }, goal: lessThanCurlWarm, note: note(UNCHANGED) },
        { name: 'CPU per unchanged resync, vs curl cold', value: unchanged.cpuMs, unit: 'ms', baseline: { name: 'curl --digest --etag-compare, 1 process', value: curlColdSame }, note: `median of ${PROCESSES * 2} curl processes` },
        { name: 'CPU per changed resync (100 KB)', value: changed.cpuMs, unit: 'ms', baseline: { name: 'curl --digest, warm', value: curlWarmFull!.cpuMs }, goal: lessThanCurlWarm, note: `${note(CHANGED)}; ours parses, applies and stores it` },
        { name: 'CPU per changed resync, vs curl cold', value: changed.cpuMs, unit: 'ms', baseline: { name: 'curl --digest, 1 process', value: curlColdFull }, note: `median of ${PROCESSES * 2} curl processes` },
        { name: 'unchanged resync: wall time', value: unchanged.wallMs, unit: 'ms', baseline: { name: 'curl --digest --etag-compare, warm', value: curlWarmSame!.wallMs }, note: `median of ${UNCHANGED}; curl: its time_total per transfer` },
        { name: 'changed resync: wall time', value: changed.wallMs, unit: 'ms', baseline: { name: 'curl --digest, warm', value: curlWarmFull!.wallMs }, note: `median of ${CHANGED}` },
        { name: 'unchanged resync: requests', value: unchanged.requests, unit: 'requests', baseline: { name: 'curl --digest --etag-compare', value: curlSameRequests }, goal: { max: 1 }, note: 'conditional GET + pre-emptive Digest; Apache access log' },
        { name: 'changed resync: requests', value: changed.requests, unit: 'requests', baseline: { name: 'curl --digest', value: curlFullRequests }, goal: { max: 1 }, note: 'Apache access log' },
      ];
    } finally {
      await app.stop();
      await apache.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  },
};

export default bench;
