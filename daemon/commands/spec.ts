/** One row of the command table: its arguments, who may send it, and what runs. */
import type { ArgSchema } from './args.js';
import type { CommandArgs, CommandContext, Transport } from './types.js';
import type { Redactor } from '../log/index.js';

/** `C` is what the handler reads of the daemon: `status` and `events` need only its state views. */
export interface CommandSpec<A extends CommandArgs = CommandArgs, R = unknown, C = CommandContext> {
  readonly args: ArgSchema;
  readonly transports: readonly Transport[];
  /** The argument that carries a password: known to the redactor while the command holds it. */
  readonly secret?: keyof A & string;
  /** Runs with arguments the schema has accepted; a failure throws a ProvisiondError. */
  readonly handler: (args: A, ctx: C) => Promise<R>;
}

/** Local transports: the feed and provisionctl over its socket. */
export const LOCAL: readonly Transport[] = ['feed', 'cli'];
/** Local, and MQTT `cmd/<name>` with `mqtt.commands` (SPEC §8). */
export const EVERYWHERE: readonly Transport[] = ['feed', 'cli', 'mqtt'];

export function command<A extends CommandArgs, R, C = CommandContext>(spec: CommandSpec<A, R, C>): CommandSpec<A, R, C> {
  return spec;
}

/** Where a command's password is registered while the command runs. */
export interface Secrets {
  readonly redactor: Redactor;
}
