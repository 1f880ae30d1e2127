/**
 * The daemon's command line: parse arguments, load settings, run until SIGTERM/SIGINT.
 * Kept apart from main.ts so tests can drive it in-process.
 */
import * as path from 'node:path';
import { isProvisiondError } from '../errors/index.js';
import { packageRoot } from '../fsutil/index.js';
import { Logger } from '../log/index.js';
import { DEFAULT_CONFIG_FILE, SettingsError, loadSettings, parseSettings, type Settings } from '../settings/index.js';
import { App } from './index.js';

export const EX_USAGE = 64;
export const EX_CONFIG = 78;

export interface DaemonArgs {
  readonly config?: string;
  readonly demo: boolean;
}

export function parseArgs(argv: readonly string[]): DaemonArgs | string {
  let config: string | undefined;
  let demo = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--demo') demo = true;
    else if (arg === '--config' && i + 1 < argv.length) config = argv[++i];
    else if (arg.startsWith('--config=')) config = arg.slice('--config='.length);
    else return `unknown argument ${JSON.stringify(arg)}`;
  }
  return config === undefined ? { demo } : { config, demo };
}

const USAGE = 'usage: provisiond [--config FILE] [--demo]';

/**
 * The demo's base settings: the shipped file, with state under `dir`/state, and the display
 * page on PROVISIOND_DEMO_PORT when set (0 picks a free port). daemon/demo adds its server,
 * broker and trust anchors.
 */
export function demoSettings(cwd: string, env: NodeJS.ProcessEnv): Settings {
  const shipped = loadSettings(path.join(packageRoot(), 'config', 'provisiond.json'));
  const stateDir = path.join(cwd, 'state');
  const http = { host: '127.0.0.1', port: env.PROVISIOND_DEMO_PORT === undefined ? 8080 : Number(env.PROVISIOND_DEMO_PORT) };
  return parseSettings({ ...shipped, stateDir, runtimeDir: path.join(stateDir, 'run'), display: { socket: true, http } }, 'demo settings');
}

/**
 * Runs `--demo` (`daemon/demo` `runDemo`). The demo builds on `App`, so it is passed in from
 * above (main.ts) instead of imported here.
 */
export type DemoRunner = (options: { readonly baseSettings: (dir: string) => Settings; readonly signals: NodeJS.EventEmitter }) => Promise<number>;

export async function runDaemon(argv: readonly string[], env: NodeJS.ProcessEnv, signals: NodeJS.EventEmitter = process, runDemo?: DemoRunner, onStarted?: () => void): Promise<number> {
  const bootLog = new Logger();
  const args = parseArgs(argv);
  if (typeof args === 'string') {
    bootLog.error(`${args}; ${USAGE}`);
    return EX_USAGE;
  }
  if (args.demo) {
    if (runDemo !== undefined) return runDemo({ baseSettings: (dir) => demoSettings(dir, env), signals });
    bootLog.error(`--demo is not available here; ${USAGE}`);
    return EX_USAGE;
  }
  let settings: Settings;
  try {
    settings = loadSettings(args.config ?? env.PROVISIOND_CONFIG ?? DEFAULT_CONFIG_FILE);
  } catch (err) {
    // loadSettings and parseSettings report every failure as a SettingsError.
    const invalid = err as SettingsError;
    for (const line of invalid.lines()) bootLog.error(line);
    bootLog.error(`not starting: fix the settings file (${invalid.problems.length} problem(s))`);
    return EX_CONFIG;
  }
  const app = new App({ settings });
  let onSignal!: (name: string) => void;
  const signalled = new Promise<string>((resolve) => (onSignal = resolve));
  let stopping: Promise<void> | undefined;
  void signalled.then((name) => {
    app.logger.notice(`received ${name}, stopping`);
    stopping = app.stop();
  });
  // Node passes the signal's name to its listeners.
  signals.on('SIGTERM', onSignal);
  signals.on('SIGINT', onSignal);
  // A daemon runs until it is told to stop, even while no socket or timer is pending.
  const keepAlive = setInterval(() => undefined, 2 ** 30);
  let code = 0;
  try {
    // start() resolves false when a signal came during start-up; either way, wait for the stop.
    await app.start();
    onStarted?.();
    await signalled.then(() => stopping);
    app.logger.info('stopped');
  } catch (err) {
    app.logger.error(`start-up failed: ${isProvisiondError(err) ? `${err.message} (${err.code})` : String(err)}`);
    await app.stop();
    code = 1;
  }
  clearInterval(keepAlive);
  signals.off('SIGTERM', onSignal);
  signals.off('SIGINT', onSignal);
  return code;
}
