/**
 * The local feed protocol (SPEC §8, ECOSYSTEM.md §2.5): every message is a JSON object with a
 * `type`. This module parses and validates what clients send, with stable error codes, and
 * never throws: a bad frame gets an error result, not a crash.
 */
import type { RecordedEvent } from '../bus/index.js';
import { COMMAND_NAMES, MAX_KEY, MAX_STRING, isCommandName, type AnyCommandResult, type CommandArgs, type CommandErrorCode, type CommandName, type CommandResult, type StatusResult } from '../commands/index.js';
import type { Screen } from './screen.js';

export const PROTOCOL = 'provisiond.display';
export const PROTOCOL_VERSION = 1;

export { COMMAND_NAMES, isCommandName };
export type { CommandArgs, CommandName };
export type MessageId = string | number | null;

export type ClientMessage =
  | { readonly type: 'auth'; readonly id: MessageId; readonly token: string }
  | { readonly type: 'answer'; readonly id: MessageId; readonly promptId: string; readonly username: string; readonly password: string }
  | { readonly type: 'cancel'; readonly id: MessageId; readonly promptId: string }
  | { readonly type: 'softkey'; readonly id: MessageId; readonly key: string }
  | { readonly type: 'command'; readonly id: MessageId; readonly name: CommandName; readonly args: CommandArgs };

export interface ProtocolError {
  readonly code: 'bad_json' | 'invalid_message' | 'unknown_type' | 'unknown_command';
  readonly message: string;
  /** The message id when one could be read, so the error result can be matched. */
  readonly id: MessageId;
}

export type Parsed = { readonly ok: true; readonly message: ClientMessage } | ({ readonly ok: false } & ProtocolError);

export function parseClientMessage(text: string): Parsed {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return fail('bad_json', 'the message is not valid JSON', null);
  }
  if (!isObject(value)) return fail('invalid_message', 'a message must be a JSON object', null);
  const id = readId(value.id);
  if (id === undefined) return fail('invalid_message', `id must be a string of at most ${MAX_KEY} characters or an integer`, null);
  switch (value.type) {
    case 'auth':
      return fields(value, id, ['token'], () => ({ type: 'auth', id, token: value.token as string }));
    case 'answer':
      return fields(value, id, ['promptId', 'username', 'password'], () => ({
        type: 'answer',
        id,
        promptId: value.promptId as string,
        username: value.username as string,
        password: value.password as string,
      }));
    case 'cancel':
      return fields(value, id, ['promptId'], () => ({ type: 'cancel', id, promptId: value.promptId as string }));
    case 'softkey':
      return fields(value, id, ['key'], () => ({ type: 'softkey', id, key: value.key as string }));
    case 'command':
      return parseCommand(value, id);
    default:
      return typeof value.type === 'string'
        ? fail('unknown_type', `unknown message type ${JSON.stringify(value.type.slice(0, MAX_KEY))}`, id)
        : fail('invalid_message', 'a message needs a string "type"', id);
  }
}

function fields(value: Record<string, unknown>, id: MessageId, names: readonly string[], build: () => ClientMessage): Parsed {
  for (const name of names) {
    const field = value[name];
    if (typeof field !== 'string' || field.length > MAX_STRING) {
      return fail('invalid_message', `${String(value.type)}.${name} must be a string of at most ${MAX_STRING} characters`, id);
    }
  }
  return { ok: true, message: build() };
}

function parseCommand(value: Record<string, unknown>, id: MessageId): Parsed {
  if (id === null) return fail('invalid_message', 'a command needs an id', null);
  if (!isCommandName(value.name)) {
    return typeof value.name === 'string'
      ? fail('unknown_command', `unknown command ${JSON.stringify(value.name.slice(0, MAX_KEY))}`, id)
      : fail('invalid_message', 'command.name must be a string', id);
  }
  const args = value.args ?? {};
  if (!isObject(args)) return fail('invalid_message', 'command.args must be an object', id);
  // Each command's own schema is checked by the command table; here only that args are JSON scalars.
  const scalars: Record<string, string | number | boolean> = {};
  for (const [key, arg] of Object.entries(args)) {
    if (typeof arg !== 'string' && typeof arg !== 'number' && typeof arg !== 'boolean') return fail('invalid_message', `command args.${key.slice(0, MAX_KEY)} must be a string, a number or a boolean`, id);
    scalars[key] = arg;
  }
  return { ok: true, message: { type: 'command', id, name: value.name, args: scalars } };
}

function readId(value: unknown): MessageId | undefined {
  if (value === undefined || value === null) return null;
  if (typeof value === 'string' && value.length <= MAX_KEY) return value;
  if (Number.isSafeInteger(value)) return value as number;
  return undefined;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function fail(code: ProtocolError['code'], message: string, id: MessageId): Parsed {
  return { ok: false, code, message, id };
}

export type FeedErrorCode = CommandErrorCode | ProtocolError['code'];

export type ResultMessage =
  | { readonly type: 'result'; readonly id: MessageId; readonly ok: true; readonly data?: AnyCommandResult }
  | { readonly type: 'result'; readonly id: MessageId; readonly ok: false; readonly error: { readonly code: FeedErrorCode; readonly message: string } };

/** Server → client messages. */
export type ServerMessage =
  | { readonly type: 'hello'; readonly protocol: typeof PROTOCOL; readonly version: typeof PROTOCOL_VERSION; readonly state: StatusResult }
  | { readonly type: 'screen'; readonly screen: Screen }
  | { readonly type: 'event'; readonly event: RecordedEvent }
  | ResultMessage;

/** The result of command `N` as a client reads it (the daemon is the same build as its CLI). */
export type CommandReply<N extends CommandName> = { readonly ok: true; readonly data: CommandResult<N> } | { readonly ok: false; readonly error: { readonly code: string; readonly message: string } };

const SERVER_TYPES: ReadonlySet<unknown> = new Set(['hello', 'screen', 'event', 'result']);

/**
 * What a client reads from the daemon: a server message with a known `type`, or undefined.
 * The envelope is checked; the payload is the daemon's own, built from the types above.
 */
export function parseServerMessage(text: string): ServerMessage | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (!isObject(value) || !SERVER_TYPES.has(value.type)) return undefined;
  if (value.type === 'result' && (readId(value.id) === undefined || typeof value.ok !== 'boolean')) return undefined;
  return value as ServerMessage;
}

/** A client message before the client gives it its id. */
export type ClientRequest = ClientMessage extends infer M ? (M extends ClientMessage ? Omit<M, 'id'> : never) : never;
