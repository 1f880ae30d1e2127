/**
 * sd_notify for Type=notify (SPEC §9). Node cannot send AF_UNIX datagrams, so we run the
 * `systemd-notify` tool (ECOSYSTEM.md §3.2; the unit sets NotifyAccess=all). Everything is a
 * no-op when NOTIFY_SOCKET is unset, i.e. outside systemd.
 *
 * The watchdog is fed from a timer on the event loop: a blocked loop stops the pings, a
 * network outage does not (STYLE.md §11).
 */
import { execFile } from 'node:child_process';

export type NotifyRunner = (args: readonly string[], env: NodeJS.ProcessEnv) => Promise<void>;

const runSystemdNotify: NotifyRunner = (args, env) =>
  new Promise((resolve) => {
    // A failed notification must never take the daemon down; systemd will see the timeout.
    // execFile also throws synchronously (ENOMEM, an argument or variable it cannot pass),
    // which inside the watchdog's timer would be an unhandled rejection.
    try {
      execFile('systemd-notify', [...args], { env, timeout: 5000 }, () => resolve());
    } catch {
      resolve();
    }
  });

export class Notifier {
  private readonly env: NodeJS.ProcessEnv;
  private readonly run: NotifyRunner;
  private watchdog: NodeJS.Timeout | undefined;

  constructor(env: NodeJS.ProcessEnv = process.env, run: NotifyRunner = runSystemdNotify) {
    this.env = env;
    this.run = run;
  }

  get enabled(): boolean {
    return Boolean(this.env.NOTIFY_SOCKET);
  }

  /** The watchdog interval systemd asked for, in ms, or undefined. */
  get watchdogMs(): number | undefined {
    const usec = Number(this.env.WATCHDOG_USEC);
    const pid = this.env.WATCHDOG_PID;
    if (!Number.isFinite(usec) || usec <= 0) return undefined;
    if (pid !== undefined && Number(pid) !== process.pid) return undefined;
    return Math.floor(usec / 1000);
  }

  async notify(...assignments: string[]): Promise<void> {
    if (!this.enabled) return;
    await this.run([`--pid=${process.pid}`, ...assignments], this.env);
  }

  ready(status: string): Promise<void> {
    return this.notify('--ready', `--status=${status}`);
  }

  stopping(): Promise<void> {
    return this.notify('STOPPING=1');
  }

  /** Pings the watchdog at half its interval while the event loop turns. */
  startWatchdog(): void {
    const interval = this.watchdogMs;
    if (!this.enabled || interval === undefined || this.watchdog) return;
    // A runner that rejects costs one ping, never the process (no exception leaves a timer).
    this.watchdog = setInterval(() => void this.notify('WATCHDOG=1').catch(() => undefined), Math.max(500, Math.floor(interval / 2)));
    this.watchdog.unref();
  }

  stopWatchdog(): void {
    clearInterval(this.watchdog);
    this.watchdog = undefined;
  }
}
