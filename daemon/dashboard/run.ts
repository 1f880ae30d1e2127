/**
 * `provisionctl dashboard --mqtt URL [--listen HOST:PORT] [--commands] [--prefix P]
 * [--username NAME --password-file FILE] [--mqtt-version 4|5] [--share GROUP]` (SPEC §8): starts the fleet
 * view, prints its URL and serves it until interrupted. The broker password comes from a file,
 * never from the command line (it would show in `ps`).
 */
import { readFile } from 'node:fs/promises';
import type { Writable } from 'node:stream';
import { parseArgs } from 'node:util';
import { startDashboard, type Dashboard } from './server.js';

export const DASHBOARD_USAGE = `usage: provisionctl dashboard --mqtt URL [--listen HOST:PORT] [--commands] [--prefix PREFIX]
                            [--username NAME --password-file FILE] [--mqtt-version 4|5] [--share GROUP]

  --mqtt URL            the broker the phones report to (mqtt://, mqtts://, ws://, wss://)
  --listen HOST:PORT    where the page is served (default 127.0.0.1:8090)
  --commands            let the page send cmd/resync, cmd/backup and cmd/restore
  --prefix PREFIX       the phones' mqtt.topicPrefix (default provisiond)
  --username NAME       the dashboard's broker login; its password is read from --password-file
  --share GROUP         take events through $share/GROUP/… (several dashboards split the load)`;

export interface DashboardIo {
  readonly stdout: Writable;
  readonly stderr: Writable;
  /** Aborted on SIGINT: the dashboard stops. */
  readonly signal?: AbortSignal;
  /** Called once the page is served (tests, the demo). */
  readonly onStarted?: (dashboard: Dashboard) => void;
}

export interface DashboardArgs {
  readonly mqttUrl: string;
  readonly host: string;
  readonly port: number;
  readonly commands: boolean;
  readonly prefix: string;
  readonly username: string | undefined;
  readonly passwordFile: string | undefined;
  readonly protocolVersion: 4 | 5;
  readonly share: string | undefined;
}

export function parseDashboardArgs(argv: readonly string[]): { ok: true; args: DashboardArgs } | { ok: false; message: string } | { ok: 'help' } {
  let values;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      allowPositionals: false,
      options: {
        mqtt: { type: 'string' },
        listen: { type: 'string' },
        commands: { type: 'boolean' },
        prefix: { type: 'string' },
        username: { type: 'string' },
        'password-file': { type: 'string' },
        'mqtt-version': { type: 'string' },
        share: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (error) {
    return { ok: false, message: (error as Error).message };
  }
  if (values.help === true) return { ok: 'help' };
  if (values.mqtt === undefined || !/^(mqtt|mqtts|ws|wss):\/\/\S+$/.test(values.mqtt)) return { ok: false, message: 'dashboard needs --mqtt URL (mqtt://, mqtts://, ws:// or wss://)' };
  const listen = /^(\[[0-9a-fA-F:.]+\]|[^:\s]+):(\d{1,5})$/.exec(values.listen ?? '127.0.0.1:8090');
  const port = Number(listen?.[2]);
  if (!listen || port > 65535) return { ok: false, message: '--listen must be HOST:PORT' };
  const version = values['mqtt-version'] ?? '4';
  if (version !== '4' && version !== '5') return { ok: false, message: '--mqtt-version must be 4 or 5' };
  if (values.share !== undefined && !/^[^/+#\s]+$/.test(values.share)) return { ok: false, message: '--share must be a group name (no /, + or #)' };
  if ((values.username === undefined) !== (values['password-file'] === undefined)) return { ok: false, message: '--username and --password-file go together' };
  return {
    ok: true,
    args: {
      mqttUrl: values.mqtt,
      host: listen[1]!.replace(/^\[(.*)\]$/, '$1'),
      port,
      commands: values.commands === true,
      prefix: values.prefix ?? 'provisiond',
      username: values.username,
      passwordFile: values['password-file'],
      protocolVersion: version === '5' ? 5 : 4,
      share: values.share,
    },
  };
}

/** Exit codes as provisionctl's: 0 stopped, 1 could not start, 2 usage. */
export async function runDashboardCli(argv: readonly string[], io: DashboardIo): Promise<number> {
  const parsed = parseDashboardArgs(argv);
  if (parsed.ok === 'help') {
    io.stdout.write(DASHBOARD_USAGE + '\n');
    return 0;
  }
  if (!parsed.ok) {
    io.stderr.write(`provisionctl: ${parsed.message}\n${DASHBOARD_USAGE}\n`);
    return 2;
  }
  const { args } = parsed;
  let dashboard: Dashboard;
  try {
    const password = args.passwordFile === undefined ? undefined : (await readFile(args.passwordFile, 'utf8')).replace(/\r?\n$/, '');
    dashboard = await startDashboard({ ...args, password, log: (line) => io.stderr.write(`provisionctl dashboard: ${line}\n`) });
  } catch (error) {
    io.stderr.write(`provisionctl: cannot start the dashboard: ${(error as Error).message}\n`);
    return 1;
  }
  io.stdout.write(`fleet view: ${dashboard.url}\n`);
  io.onStarted?.(dashboard);
  await new Promise<void>((resolve) => {
    if (io.signal?.aborted) return resolve();
    io.signal?.addEventListener('abort', () => resolve(), { once: true });
  });
  await dashboard.close();
  return 0;
}
