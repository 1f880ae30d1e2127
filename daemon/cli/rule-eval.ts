/**
 * `provisionctl rule eval RULE [--param NAME=VALUE …]` (SPEC §8): the daemon's own evaluator,
 * offline, about this phone. The device macros (`$MA`, `$SN`, `$PN`, …) come from the settings
 * file's `device` facts (`$PROVISIOND_CONFIG`, else the default path) over the hardware's, as
 * the daemon reads them at start; the Extension Mobility macros (`$EMS`, `$MUID`, `$MPWD`, …)
 * from the parameters, which `--param` sets by their real names (`EM_Login_State=mobile`).
 * Secrets are masked in what is printed.
 */
import { existsSync } from 'node:fs';
import type { Writable } from 'node:stream';
import type { HardwareProbe } from '../device/index.js';
import type { DeviceOverrides } from '../settings/index.js';

export interface RuleEvalInput {
  readonly rule: string;
  readonly params: Readonly<Record<string, string>>;
  readonly json: boolean;
}

export interface RuleEvalIo {
  readonly stdout: Writable;
  readonly stderr: Writable;
  readonly env: Readonly<Record<string, string | undefined>>;
}

/** Prints the explanation; resolves true when the rule evaluated. */
export async function ruleEval(input: RuleEvalInput, io: RuleEvalIo, probe?: HardwareProbe): Promise<boolean> {
  // Loaded here, not at provisionctl's start: only this command needs the evaluator and the device facts.
  const [{ explainRule }, { deviceMacros, readDeviceFacts, probeHardware }, { emParamVars }, { canonicalName }] = await Promise.all([
    import('../rules/index.js'),
    import('../device/index.js'),
    import('../resync/em-vars.js'),
    import('../params/index.js'),
  ]);
  const params: Record<string, string> = {};
  for (const [name, value] of Object.entries(input.params)) params[canonicalName(name)] = value;
  const device = await readDeviceFacts(await deviceSettings(io), probe ?? probeHardware);
  const get = (name: string): string | undefined => (Object.hasOwn(params, name) ? params[name] : undefined);
  // A `--param` named like a macro (`MA=…`) still stands in for it, as before.
  const vars = { ...deviceMacros(device), ...emParamVars(get), ...params };
  const explanation = explainRule(input.rule, params, vars);
  io.stdout.write((input.json ? JSON.stringify(explanation.json) : explanation.text) + '\n');
  return explanation.ok;
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
