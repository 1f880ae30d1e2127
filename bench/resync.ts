/**
 * Resyncs through the whole daemon (rule → fetcher → parser → parameter store → events)
 * against Apache httpd with a Digest realm (SPEC §12): requests per resync, and memory
 * growth over 10,000 unchanged resyncs. The competitor for requests is `curl --digest`, which
 * always needs two (challenge, answer); for memory, the daemon's own footprint after warm-up.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { App } from '../daemon/app/index.js';
import { Logger, Redactor } from '../daemon/log/index.js';
import { parseSettings } from '../daemon/settings/index.js';
import { Notifier } from '../daemon/systemd/index.js';
import { startApache } from '../test/fixtures/http/apache.js';
import type { BenchModule, BenchRow } from './types.js';
import { median, timed } from './util.js';

const RESYNCS = 10_000;
const WARM_UP = 500;
const USER = 'bench';
const PASSWORD = 'bench-resync-password';

function profile(count: number): string {
  const lines = Array.from({ length: count }, (_, i) => `  <Param_${i}_>value ${i}</Param_${i}_>`);
  return `<flat-profile>\n${lines.join('\n')}\n</flat-profile>\n`;
}

function settle(): { heap: number; rss: number } {
  (globalThis as { gc?: () => void }).gc?.();
  const usage = process.memoryUsage();
  return { heap: usage.heapUsed / 2 ** 20, rss: usage.rss / 2 ** 20 };
}

const bench: BenchModule = {
  title: `resync through the daemon (Apache Digest), ${RESYNCS} unchanged resyncs`,
  async run(): Promise<BenchRow[]> {
    const apache = await startApache({ areas: [{ path: '/p', auth: { scheme: 'Digest', realm: 'bench', users: { [USER]: PASSWORD } } }], files: { 'p/phone.xml': profile(200) } });
    const dir = mkdtempSync(path.join(tmpdir(), 'pvd-bench-'));
    const settings = parseSettings({
      stateDir: path.join(dir, 'state'),
      runtimeDir: path.join(dir, 'run'),
      trust: { anchorsDir: path.join(dir, 'none') },
      display: { socket: false, http: false },
      log: { level: 'warning' },
      parameters: { Resync_On_Reset: 'No', Profile_Rule: `[--uid ${USER} --pwd ${PASSWORD}]${apache.origin}/p/phone.xml` },
    });
    const app = new App({ settings, logger: new Logger({ level: 'warning', redactor: new Redactor(), sink: { out: () => undefined, err: () => undefined } }), notifier: new Notifier({}) });
    try {
      await app.start();
      const before = (await apache.accessLog()).length;
      const firstMs = await timed(() => app.resync.resyncNow());
      const firstRequests = (await apache.accessLog()).length - before;
      for (let i = 0; i < WARM_UP; i++) await app.resync.resyncNow();
      const warm = settle();
      const logged = (await apache.accessLog()).length;
      const times: number[] = [];
      let peak = warm.rss;
      for (let i = 0; i < RESYNCS; i++) {
        times.push(await timed(() => app.resync.resyncNow()));
        if (i % 500 === 0) peak = Math.max(peak, process.memoryUsage().rss / 2 ** 20);
      }
      const perResync = ((await apache.accessLog()).length - logged) / RESYNCS;
      const after = settle();
      return [
        { name: 'first resync (200 parameters): wall time', value: firstMs, unit: 'ms' },
        { name: 'first resync: requests', value: firstRequests, unit: 'requests', baseline: { name: 'curl --digest', value: 2 } },
        { name: 'unchanged resync: wall time', value: median(times), unit: 'ms', note: `median of ${RESYNCS}` },
        { name: 'unchanged resync: requests', value: perResync, unit: 'requests', baseline: { name: 'curl --digest', value: 2 }, note: 'conditional GET + pre-emptive Digest' },
        { name: `heap growth over ${RESYNCS} resyncs`, value: after.heap - warm.heap, unit: 'MiB', note: `after gc; heap ${warm.heap.toFixed(1)} → ${after.heap.toFixed(1)} MiB` },
        { name: `RSS growth over ${RESYNCS} resyncs`, value: after.rss - warm.rss, unit: 'MiB', note: `peak RSS ${peak.toFixed(1)} MiB (bench process, daemon in-process)` },
      ];
    } finally {
      await app.stop();
      await apache.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  },
};

export default bench;
