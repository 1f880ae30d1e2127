/**
 * `provisionctl` command line (SPEC §8, ECOSYSTEM.md §6): parsed with `node:util` parseArgs,
 * pure. Passwords are never accepted here: they come from the terminal or `--password-stdin`.
 */
import { parseArgs } from 'node:util';

export const DEFAULT_SOCKET = '/run/provisiond/display.sock';

export type Command =
  | { readonly name: 'status' | 'logout' | 'trust' }
  | { readonly name: 'resync' | 'backup' | 'restore' | 'report'; readonly wait: boolean }
  | { readonly name: 'register'; readonly extension: string }
  | { readonly name: 'login'; readonly user: string }
  | { readonly name: 'profile-account'; readonly user: string }
  | { readonly name: 'profile-account-clear' }
  | { readonly name: 'answer'; readonly prompt: string | undefined; readonly user: string }
  | { readonly name: 'cancel'; readonly prompt: string | undefined }
  | { readonly name: 'softkey'; readonly key: string }
  | { readonly name: 'events'; readonly follow: boolean }
  | { readonly name: 'params'; readonly param: string | undefined }
  | { readonly name: 'set'; readonly values: Readonly<Record<string, string>>; readonly secret: string | undefined }
  | { readonly name: 'unset'; readonly names: readonly string[] }
  | { readonly name: 'rule-eval'; readonly rule: string; readonly params: Readonly<Record<string, string>> }
  | { readonly name: 'help' };

export interface Invocation {
  readonly socket: string;
  readonly json: boolean;
  readonly passwordStdin: boolean;
  readonly command: Command;
}

export type ParsedArgs = { readonly ok: true; readonly invocation: Invocation } | { readonly ok: false; readonly message: string };

export const USAGE = `usage: provisionctl [--socket PATH] [--json] COMMAND

  status                          what the daemon is doing
  resync|backup|restore [--wait]  start one (--wait: exit code is the outcome)
  report [--wait]                 upload the configuration report (Report_Rule)
  register EXT                    set the extension and its registration password
  login USER | logout             Extension Mobility
  profile-account --user NAME     store the provisioning account
  profile-account --clear         remove the stored provisioning account
  answer [--prompt ID] --user NAME  answer the open prompt
  cancel [--prompt ID]            cancel the open prompt
  softkey KEY                     press a softkey (Setup, Login, Logout, …)
  events [--follow]               recent events (--follow: keep printing)
  params [NAME]                   applied parameters
  set NAME=VALUE… | set NAME --secret  local values (user data, settings; all or nothing)
  unset NAME…                     remove local values
  trust                           trusted certificates
  rule eval RULE [--param N=V …]  evaluate a profile rule offline
  dashboard --mqtt URL [--listen HOST:PORT] [--commands]  serve the fleet view (see dashboard --help)

Passwords are read from the terminal without echo, or from standard input with
--password-stdin; never from the command line.
Socket: --socket, else $PROVISIOND_SOCKET, else ${DEFAULT_SOCKET}.
Exit codes: 0 done, 1 failed, 2 usage, 3 daemon unreachable.`;

const OPTIONS = {
  socket: { type: 'string' },
  json: { type: 'boolean' },
  wait: { type: 'boolean' },
  follow: { type: 'boolean' },
  user: { type: 'string' },
  prompt: { type: 'string' },
  'password-stdin': { type: 'boolean' },
  secret: { type: 'boolean' },
  clear: { type: 'boolean' },
  param: { type: 'string', multiple: true },
  help: { type: 'boolean', short: 'h' },
} as const;

type Values = { [K in keyof typeof OPTIONS]?: (typeof OPTIONS)[K] extends { multiple: true } ? string[] : (typeof OPTIONS)[K]['type'] extends 'string' ? string : boolean };

/** Options each command accepts besides the global ones. */
const ALLOWED: Record<string, readonly (keyof typeof OPTIONS)[]> = {
  status: [],
  logout: [],
  trust: [],
  resync: ['wait'],
  backup: ['wait'],
  restore: ['wait'],
  report: ['wait'],
  register: ['password-stdin'],
  login: ['password-stdin'],
  'profile-account': ['user', 'password-stdin', 'clear'],
  answer: ['prompt', 'user', 'password-stdin'],
  cancel: ['prompt'],
  softkey: [],
  events: ['follow'],
  params: [],
  set: ['secret', 'password-stdin'],
  unset: [],
  rule: ['param'],
};
const GLOBAL: readonly (keyof typeof OPTIONS)[] = ['socket', 'json', 'help'];

export function parseCommandLine(argv: readonly string[], env: Readonly<Record<string, string | undefined>>): ParsedArgs {
  let values: Values;
  let positionals: string[];
  try {
    const parsed = parseArgs({ args: [...argv], options: OPTIONS, allowPositionals: true, strict: true });
    values = parsed.values;
    positionals = parsed.positionals;
  } catch (error) {
    return usage((error as Error).message);
  }
  const [name, ...rest] = positionals;
  if (values.help || name === 'help') return invocation(values, env, { name: 'help' });
  if (name === undefined) return usage('a command is needed');
  const allowed = ALLOWED[name];
  if (!allowed) return usage(`unknown command ${JSON.stringify(name)}`);
  const stray = (Object.keys(values) as (keyof typeof OPTIONS)[]).find((key) => !GLOBAL.includes(key) && !allowed.includes(key));
  if (stray) return usage(`${name} does not take --${stray}`);
  const command = buildCommand(name, rest, values);
  return typeof command === 'string' ? usage(command) : invocation(values, env, command);
}

function buildCommand(name: string, rest: readonly string[], values: Values): Command | string {
  const arity = (count: 0 | 1): string | undefined => (rest.length === count ? undefined : `${name} takes ${count === 0 ? 'no arguments' : '1 argument'}`);
  switch (name) {
    case 'status':
    case 'logout':
    case 'trust':
      return arity(0) ?? { name };
    case 'resync':
    case 'backup':
    case 'restore':
    case 'report':
      return arity(0) ?? { name, wait: values.wait === true };
    case 'register':
      // Avaya extensions are digits (DOMAIN.md §3, NVPHONEXT).
      return arity(1) ?? (/^[0-9]{1,32}$/.test(rest[0] as string) ? { name, extension: rest[0] as string } : 'register EXT: the extension is 1 to 32 digits');
    case 'login':
      return arity(1) ?? { name, user: rest[0] as string };
    case 'profile-account':
      if (values.clear === true) return arity(0) ?? (values.user === undefined ? { name: 'profile-account-clear' } : 'profile-account: --clear takes no --user');
      return arity(0) ?? (values.user ? { name, user: values.user } : 'profile-account needs --user NAME (or --clear)');
    case 'answer':
      return arity(0) ?? (values.user ? { name, prompt: values.prompt, user: values.user } : 'answer needs --user NAME');
    case 'cancel':
      return arity(0) ?? { name, prompt: values.prompt };
    case 'softkey':
      return arity(1) ?? { name, key: rest[0] as string };
    case 'events':
      return arity(0) ?? { name, follow: values.follow === true };
    case 'params':
      return rest.length <= 1 ? { name, param: rest[0] } : 'params takes at most one NAME';
    case 'set':
      return setCommand(rest, values.secret === true);
    case 'unset':
      return rest.length > 0 ? { name, names: [...rest] } : 'unset needs at least one NAME';
    default:
      return ruleCommand(rest, values.param ?? []);
  }
}

/** `set NAME=VALUE…`, or `set NAME --secret` whose value is read like a password (SPEC §8). */
function setCommand(rest: readonly string[], secret: boolean): Command | string {
  if (secret) return rest.length === 1 && !rest[0]!.includes('=') ? { name: 'set', values: {}, secret: rest[0] } : 'set NAME --secret takes one NAME and reads its value like a password';
  if (rest.length === 0) return 'set needs NAME=VALUE';
  const values = namedValues(rest, 'set');
  return typeof values === 'string' ? values : { name: 'set', values, secret: undefined };
}

function ruleCommand(rest: readonly string[], pairs: readonly string[]): Command | string {
  if (rest[0] !== 'eval' || rest.length !== 2) return 'usage: rule eval RULE [--param NAME=VALUE …]';
  const params = namedValues(pairs, '--param');
  return typeof params === 'string' ? params : { name: 'rule-eval', rule: rest[1] as string, params };
}

/** `NAME=VALUE` pairs as a record, or why one is not a pair (`what` names the option). */
function namedValues(pairs: readonly string[], what: string): Record<string, string> | string {
  const values: Record<string, string> = {};
  for (const pair of pairs) {
    const equals = pair.indexOf('=');
    if (equals < 1) return `${what} ${JSON.stringify(pair)}: expected NAME=VALUE`;
    values[pair.slice(0, equals)] = pair.slice(equals + 1);
  }
  return values;
}

function invocation(values: Values, env: Readonly<Record<string, string | undefined>>, command: Command): ParsedArgs {
  return {
    ok: true,
    invocation: {
      socket: values.socket ?? env.PROVISIOND_SOCKET ?? DEFAULT_SOCKET,
      json: values.json === true,
      passwordStdin: values['password-stdin'] === true,
      command,
    },
  };
}

function usage(message: string): ParsedArgs {
  return { ok: false, message };
}
