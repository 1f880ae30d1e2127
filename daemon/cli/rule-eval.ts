/**
 * `provisionctl rule eval RULE [--param NAME=VALUE …]` (SPEC §8): the daemon's own evaluator,
 * about this phone. With the daemon reachable on the socket, its device facts and its
 * parameters (EM state included; secrets it never hands out) are the starting point; without
 * it, the settings file's `device` facts (`$PROVISIOND_CONFIG`, else the default path) over
 * the hardware's, as the daemon reads them at start. `--param` sets parameters by their real
 * names over either (`EM_Login_State=mobile`), and the Extension Mobility macros (`$EMS`,
 * `$MUID`, `$MPWD`, …) follow them. Secrets are masked in what is printed.
 */
import { existsSync } from 'node:fs';
import type { CliIo } from './run.js';
import type { DeviceOverrides } from '../device/index.js';

export interface RuleEvalInput {
  readonly rule: string;
  readonly params: Readonly<Record<string, string>>;
  readonly json: boolean;
  /** The daemon's socket: asked first, for its facts and parameters. */
  readonly socket: string;
}

/** What a running daemon says about itself; undefined when it does not answer. */
interface DaemonView {
  readonly device: DeviceOverrides;
  readonly params: Readonly<Record<string, string>>;
}

/** How long `rule eval` waits for a daemon before answering offline. */
const DAEMON_WAIT_MS = 2000;

type RuleEvalIo = Pick<CliIo, 'stdout' | 'stderr' | 'env' | 'probe'>;

/** Prints the explanation; resolves true when the rule evaluated. */
export async function ruleEval(input: RuleEvalInput, io: RuleEvalIo): Promise<boolean> {
  // Loaded here, not at provisionctl's start: only this command needs the evaluator and the device facts.
  const [{ explainRule }, { deviceMacros, readDeviceFacts, probeHardware }, { emParamVars }, { canonicalName }] = await Promise.all([
    import('../rules/index.js'),
    import('../device/index.js'),
    import('../resync/em-vars.js'),
    import('../params/index.js'),
  ]);
  const daemon = await askDaemon(input.socket);
  const params: Record<string, string> = { ...daemon?.params };
  for (const [name, value] of Object.entries(input.params)) params[canonicalName(name)] = value;
  // The daemon's facts are complete: the hardware is not asked again.
  const device = daemon ? await readDeviceFacts(daemon.device, async () => ({})) : await readDeviceFacts(await deviceSettings(io), io.probe ?? probeHardware);
  if (daemon) io.stderr.write(`provisionctl: evaluating with the facts and parameters of the daemon at ${input.socket}\n`);
  const get = (name: string): string | undefined => (Object.hasOwn(params, name) ? params[name] : undefined);
  // A `--param` named like a macro (`MA=…`) still stands in for it, as before.
  const vars = { ...deviceMacros(device), ...emParamVars(get), ...params };
  const explanation = explainRule(input.rule, params, vars);
  io.stdout.write((input.json ? JSON.stringify(explanation.json) : explanation.text) + '\n');
  return explanation.ok;
}

async function askDaemon(socket: string): Promise<DaemonView | undefined> {
  const { FeedConnection } = await import('./client.js');
  const connection = await FeedConnection.open(socket, DAEMON_WAIT_MS).catch(() => undefined);
  if (connection === undefined) return undefined;
  try {
    const [status, params] = await Promise.all([connection.command('status'), connection.command('params')]);
    // Both are read-only commands every daemon of this build answers; a refusal means "offline".
    if (!status.ok || !params.ok) return undefined;
    const { id, mac, model, serial, swVersion, ip } = status.data.device;
    const text = (value: unknown): string | undefined => (typeof value === 'string' && value !== '' ? value : undefined);
    const device: DeviceOverrides = Object.fromEntries(
      Object.entries({ id, mac, model, serial, swVersion, ip }).flatMap(([key, value]) => (text(value) === undefined ? [] : [[key, text(value)]])),
    );
    return { device, params: params.data };
  } finally {
    connection.close();
  }
}

async function deviceSettings(io: RuleEvalIo): Promise<DeviceOverrides> {
  const { DEFAULT_CONFIG_FILE, loadSettings } = await import('../settings/index.js');
  const file = io.env.PROVISIOND_CONFIG ?? DEFAULT_CONFIG_FILE;
  // No settings file (a technician's laptop) is normal; a broken one is worth a word.
  if (!existsSync(file)) return {};
  try {
    return loadSettings(file).device;
  } catch (error) {
    io.stderr.write(`provisionctl: ${(error as Error).message}; using the hardware's facts\n`);
    return {};
  }
}
