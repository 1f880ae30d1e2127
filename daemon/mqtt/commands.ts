/**
 * Remote commands over MQTT (SPEC §8): `cmd/<name>` for the commands the table exposes over
 * MQTT (daemon/commands), with a JSON payload
 * `{"transaction": id, …}`, answered on `cmd/<name>/result` with
 * `{"transaction": id, "status": "ok"|"error", "error"?: {code, message}}` — the zigbee2mqtt
 * request/response envelope (ECOSYSTEM.md §1.7). Pure: parsing and building the reply; the
 * reporter does the I/O. Every malformed request gets an error reply with a stable code.
 */
import type { JsonValue } from '../bus/index.js';
import { commandsFor, type CommandArgs, type CommandName } from '../commands/index.js';
import { toProvisiondError } from '../errors/index.js';

export const COMMANDS: readonly CommandName[] = commandsFor('mqtt');
export type { CommandName };
export type Transaction = string | number;

/** A command payload larger than this is refused unread. */
export const MAX_COMMAND_BYTES = 16 * 1024;
const MAX_TRANSACTION_LENGTH = 128;

export interface CommandError {
  readonly code: string;
  readonly message: string;
}

export type ParsedCommand =
  | { readonly ok: true; readonly name: CommandName; readonly transaction: Transaction | undefined; readonly args: Record<string, JsonValue> }
  | { readonly ok: false; readonly transaction: Transaction | undefined; readonly error: CommandError };

export function parseCommand(name: string, payload: Uint8Array): ParsedCommand {
  if (payload.byteLength > MAX_COMMAND_BYTES) return refuse(undefined, 'command_too_large', `command payload exceeds ${MAX_COMMAND_BYTES} bytes`);
  let body: unknown = {};
  // An empty payload (mosquitto_pub -n) is a request without arguments.
  if (payload.byteLength > 0) {
    try {
      body = JSON.parse(Buffer.from(payload).toString('utf8'));
    } catch {
      return refuse(undefined, 'command_bad_json', 'command payload is not JSON');
    }
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return refuse(undefined, 'command_bad_request', 'command payload must be a JSON object');
  const { transaction, ...args } = body as Record<string, JsonValue>;
  if (transaction !== undefined && !isTransaction(transaction)) {
    return refuse(undefined, 'command_bad_request', `transaction must be a string of at most ${MAX_TRANSACTION_LENGTH} characters or a number`);
  }
  const known = COMMANDS.find((command) => command === name);
  if (known === undefined) return refuse(transaction, 'command_unknown', `unknown command; expected one of ${COMMANDS.join(', ')}`);
  return { ok: true, name: known, transaction, args };
}

/**
 * The table arguments of an MQTT request: a dashboard may add its own keys to the payload, so
 * only `wait: true` is read and the rest is left alone rather than refused.
 */
export function tableArgs(payload: Readonly<Record<string, JsonValue>>): CommandArgs {
  return { wait: payload.wait === true };
}

/**
 * The reply payload for a finished command; a thrown error becomes `{code, message}` with the
 * message passed through `redact` (a handler's error text is not trusted to be clean).
 */
export function commandReply(transaction: Transaction | undefined, outcome: { ok: true } | { ok: false; error: unknown }, redact: (text: string) => string): string {
  const reply = transaction === undefined ? {} : { transaction };
  if (outcome.ok) return JSON.stringify({ ...reply, status: 'ok' });
  const error = outcome.error as Partial<CommandError> | undefined;
  const known = typeof error?.code === 'string' && typeof error.message === 'string';
  const { code, message } = known ? (error as CommandError) : toProvisiondError(outcome.error, 'command_failed');
  return JSON.stringify({ ...reply, status: 'error', error: { code, message: redact(message) } });
}

function isTransaction(value: JsonValue): value is Transaction {
  return (typeof value === 'string' && value.length <= MAX_TRANSACTION_LENGTH) || (typeof value === 'number' && Number.isFinite(value));
}

function refuse(transaction: Transaction | undefined, code: string, message: string): ParsedCommand {
  return { ok: false, transaction, error: { code, message } };
}
