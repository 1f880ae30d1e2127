/**
 * The local feed protocol (SPEC §8, ECOSYSTEM.md §2.5): every message is a JSON object with a
 * `type`. This module parses and validates what clients send, with stable error codes, and
 * never throws: a bad frame gets an error result, not a crash.
 */
import type { JsonValue } from '../bus/index.js';

export const PROTOCOL = 'provisiond.display';
export const PROTOCOL_VERSION = 1;

export const COMMAND_NAMES = ['status', 'resync', 'backup', 'restore', 'login', 'logout', 'profile-account', 'register', 'set', 'unset', 'params', 'trust', 'events'] as const;
export type CommandName = (typeof COMMAND_NAMES)[number];
/** Commands the feed answers itself (`status`, `events`); the rest go to the backend. */
export type DaemonCommandName = Exclude<CommandName, 'status' | 'events'>;

export type CommandArgs = { readonly [key: string]: string | number | boolean };
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

const MAX_STRING = 1024;
const MAX_ID = 64;

type ArgKind = 'string' | 'boolean' | 'integer';
interface ArgSpec {
  readonly kind: ArgKind;
  readonly required?: boolean;
}

/** Arguments of each command. Unknown keys are refused so typos do not pass silently. */
const COMMAND_ARGS: Record<CommandName, Record<string, ArgSpec>> = {
  status: {},
  resync: { wait: { kind: 'boolean' } },
  backup: { wait: { kind: 'boolean' } },
  restore: { wait: { kind: 'boolean' } },
  login: { user: { kind: 'string', required: true }, password: { kind: 'string', required: true } },
  logout: {},
  'profile-account': { user: { kind: 'string', required: true }, password: { kind: 'string', required: true } },
  register: { extension: { kind: 'string', required: true }, password: { kind: 'string', required: true } },
  params: { name: { kind: 'string' } },
  // set/unset: every key is a parameter name (checked by the daemon); see FREE_ARGS.
  set: {},
  unset: {},
  trust: {},
  events: { limit: { kind: 'integer' } },
};

export function isCommandName(value: unknown): value is CommandName {
  return typeof value === 'string' && (COMMAND_NAMES as readonly string[]).includes(value);
}

export function parseClientMessage(text: string): Parsed {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return fail('bad_json', 'the message is not valid JSON', null);
  }
  if (!isObject(value)) return fail('invalid_message', 'a message must be a JSON object', null);
  const id = readId(value.id);
  if (id === undefined) return fail('invalid_message', `id must be a string of at most ${MAX_ID} characters or an integer`, null);
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
        ? fail('unknown_type', `unknown message type ${JSON.stringify(value.type.slice(0, MAX_ID))}`, id)
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
      ? fail('unknown_command', `unknown command ${JSON.stringify(value.name.slice(0, MAX_ID))}`, id)
      : fail('invalid_message', 'command.name must be a string', id);
  }
  const args = value.args ?? {};
  if (!isObject(args)) return fail('invalid_message', 'command.args must be an object', id);
  const problem = argsProblem(value.name, args);
  if (problem) return fail('invalid_message', problem, id);
  return { ok: true, message: { type: 'command', id, name: value.name, args: args as CommandArgs } };
}

/** `set {NAME: "value", …}` and `unset {NAME: true, …}` (SPEC §8): parameter names as keys. */
const FREE_ARGS: Partial<Record<CommandName, 'string' | 'boolean'>> = { set: 'string', unset: 'boolean' };
const MAX_FREE_ARGS = 256;

function argsProblem(name: CommandName, args: Record<string, unknown>): string | undefined {
  const free = FREE_ARGS[name];
  if (free !== undefined) {
    const entries = Object.entries(args);
    if (entries.length === 0 || entries.length > MAX_FREE_ARGS) return `${name} takes 1 to ${MAX_FREE_ARGS} parameters`;
    const bad = entries.find(([key, value]) => key.length > MAX_ID || typeof value !== free || (typeof value === 'string' && value.length > MAX_STRING));
    return bad === undefined ? undefined : `${name}.${bad[0].slice(0, MAX_ID)} must be ${free === 'string' ? `a string of at most ${MAX_STRING} characters` : 'true'}`;
  }
  const spec = COMMAND_ARGS[name];
  for (const key of Object.keys(args)) {
    if (!Object.hasOwn(spec, key)) return `${name} takes no argument ${JSON.stringify(key.slice(0, MAX_ID))}`;
  }
  for (const [key, arg] of Object.entries(spec)) {
    const given = args[key];
    if (given === undefined) {
      if (arg.required) return `${name} needs args.${key}`;
      continue;
    }
    if (!hasKind(given, arg.kind)) return `${name} args.${key} must be ${arg.kind === 'integer' ? 'an integer' : `a ${arg.kind}`}`;
  }
  return undefined;
}

function hasKind(value: unknown, kind: ArgKind): boolean {
  if (kind === 'integer') return Number.isSafeInteger(value);
  if (kind === 'string') return typeof value === 'string' && value.length <= MAX_STRING;
  return typeof value === 'boolean';
}

function readId(value: unknown): MessageId | undefined {
  if (value === undefined || value === null) return null;
  if (typeof value === 'string' && value.length <= MAX_ID) return value;
  if (Number.isSafeInteger(value)) return value as number;
  return undefined;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function fail(code: ProtocolError['code'], message: string, id: MessageId): Parsed {
  return { ok: false, code, message, id };
}

/** Server → client messages. */
export type ServerMessage =
  | { readonly type: 'hello'; readonly protocol: typeof PROTOCOL; readonly version: typeof PROTOCOL_VERSION; readonly state: JsonValue }
  | { readonly type: 'screen'; readonly screen: JsonValue }
  | { readonly type: 'event'; readonly event: JsonValue }
  | { readonly type: 'result'; readonly id: MessageId; readonly ok: boolean; readonly error?: { readonly code: string; readonly message: string }; readonly data?: JsonValue };
