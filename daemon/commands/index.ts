/**
 * The one table of commands (SPEC §8): name → argument schema → handler → result → the
 * transports that expose it. The local feed, provisionctl (through the feed) and MQTT
 * `cmd/<name>` all dispatch through `run`, which validates, keeps a command's password known
 * to the redactor while the command holds it, and resolves with a typed result or a typed
 * error — never a rejection.
 */
import { argsProblem } from './args.js';
import { backup, register, restore } from './avaya.js';
import { login, logout } from './em.js';
import { toCommandError } from './outcome.js';
import { params, set, unset } from './params.js';
import { report } from './report.js';
import { profileAccount, profileAccountClear, resync } from './resync.js';
import type { CommandSpec, Secrets } from './spec.js';
import { events, status } from './state.js';
import { trust } from './trust.js';
import type { CommandArgs, CommandContext, CommandOutcome, Transport } from './types.js';

/** In the order `provisionctl --help` and the MQTT "expected one of" list show them. */
export const COMMANDS = {
  status,
  resync,
  backup,
  restore,
  report,
  login,
  logout,
  'profile-account': profileAccount,
  'profile-account-clear': profileAccountClear,
  register,
  set,
  unset,
  params,
  trust,
  events,
} as const;

export type CommandName = keyof typeof COMMANDS;
export type CommandResult<N extends CommandName> = Awaited<ReturnType<(typeof COMMANDS)[N]['handler']>>;
export type AnyCommandResult = CommandResult<CommandName>;

export const COMMAND_NAMES = Object.keys(COMMANDS) as CommandName[];

export function isCommandName(value: unknown): value is CommandName {
  return typeof value === 'string' && Object.hasOwn(COMMANDS, value);
}

/** The commands a transport exposes, in table order. */
export function commandsFor(transport: Transport): CommandName[] {
  return COMMAND_NAMES.filter((name) => COMMANDS[name].transports.includes(transport));
}

/** What the feed and MQTT are given: `run` over the daemon's context. */
export interface CommandRunner {
  run<N extends CommandName>(name: N, args: CommandArgs, via: Transport): Promise<CommandOutcome<CommandResult<N>>>;
}

export function run<N extends CommandName>(name: N, args: CommandArgs, via: Transport, ctx: CommandContext): Promise<CommandOutcome<CommandResult<N>>> {
  // The row's argument type is erased here; the schema check in runSpec is what makes the call sound.
  return runSpec(name, COMMANDS[name] as CommandSpec<CommandArgs, CommandResult<N>>, args, via, ctx);
}

/** One row run: `run` for the daemon, and for a test double that has only what the row reads. */
export async function runSpec<R, C extends Secrets>(name: string, spec: CommandSpec<CommandArgs, R, C>, args: CommandArgs, via: Transport, ctx: C): Promise<CommandOutcome<R>> {
  if (!spec.transports.includes(via)) return { ok: false, error: { code: 'command_unavailable', message: `${name} is not available over ${via}` } };
  const problem = argsProblem(name, spec.args, args);
  if (problem !== undefined) return { ok: false, error: { code: 'invalid_message', message: problem } };
  // The schema has made the secret argument a string.
  const release = ctx.redactor.add(spec.secret === undefined ? undefined : (args[spec.secret] as string));
  let outcome: CommandOutcome<R>;
  try {
    outcome = { ok: true, data: await spec.handler(args, ctx) };
  } catch (error) {
    const failure = toCommandError(error);
    // Cleaned while the password is still registered: a handler's message is not trusted to be clean.
    outcome = { ok: false, error: { code: failure.code, message: ctx.redactor.redact(failure.message) } };
  }
  // What the handler stored (vault, parameters) registered the secret itself for as long as it keeps it.
  release();
  return outcome;
}

export { MAX_KEY, MAX_STRING } from './args.js';
export { emResult, toCommandError } from './outcome.js';
export { statusOf, type PromptRef, type StatusResult } from './state.js';
export type { CommandSpec, Secrets } from './spec.js';
export type { CommandArgs, CommandContext, CommandError, CommandErrorCode, CommandOutcome, DisplayState, FeatureContext, ResyncSummary, StateContext, Transport } from './types.js';
export type { ResyncResult } from './resync.js';
export type { BackupResult, RestoreResult } from './avaya.js';
export type { Changed } from './params.js';
export type { EmCommandResult } from './em.js';
export type { TrustResult } from './trust.js';
