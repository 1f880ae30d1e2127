/**
 * The whole daemon in the bench process (rule → fetcher → parser → parameter store → events),
 * with a quiet logger and no display, for the resync and growth benchmarks; and the profiles
 * they serve.
 */
import * as path from 'node:path';
import { App } from '../daemon/app/index.js';
import { Logger, Redactor } from '../daemon/log/index.js';
import { parseSettings } from '../daemon/settings/index.js';
import { Notifier } from '../daemon/systemd/index.js';

/** A flat profile of `count` parameters; `tag` changes one value (a changed profile of the same size). */
export function flatProfile(count: number, tag = ''): string {
  const lines = Array.from({ length: count }, (_, i) => `  <Param_${i}_>value ${i}</Param_${i}_>`);
  return `<flat-profile>\n${lines.join('\n')}\n  <GPP_A>${tag}</GPP_A>\n</flat-profile>\n`;
}

/** About `bytes` of flat profile. */
export function profileOfSize(bytes: number, tag = ''): string {
  return flatProfile(Math.round(bytes / 39), tag);
}

export async function startBenchApp(dir: string, rule: string): Promise<App> {
  const settings = parseSettings({
    stateDir: path.join(dir, 'state'),
    runtimeDir: path.join(dir, 'run'),
    trust: { anchorsDir: path.join(dir, 'none') },
    display: { socket: false, http: false },
    log: { level: 'warning' },
    parameters: { Resync_On_Reset: 'No', Profile_Rule: rule },
  });
  const app = new App({ settings, logger: new Logger({ level: 'warning', redactor: new Redactor(), sink: { out: () => undefined, err: () => undefined } }), notifier: new Notifier({}) });
  await app.start();
  return app;
}

/** Heap and RSS in MiB after a full collection (the bench runs with --expose-gc). */
export function settledMemory(): { heap: number; rss: number } {
  (globalThis as { gc?: () => void }).gc?.();
  const usage = process.memoryUsage();
  return { heap: usage.heapUsed / 2 ** 20, rss: usage.rss / 2 ** 20 };
}
