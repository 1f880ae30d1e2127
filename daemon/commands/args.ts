/**
 * Argument schemas of the commands (SPEC §8) and their one validator. Unknown keys are
 * refused so that typos do not pass silently; `set`/`unset` take parameter names as keys
 * (checked against the registry by the handler).
 */
import type { CommandArgs } from './types.js';

export const MAX_STRING = 1024;
export const MAX_KEY = 64;
const MAX_FREE_ARGS = 256;

type ArgKind = 'string' | 'boolean' | 'integer';
interface ArgSpec {
  readonly kind: ArgKind;
  readonly required?: boolean;
}

/** Named arguments with their kinds, or every key a name with values of one kind (`set`, `unset`). */
export type ArgSchema = { readonly named: Readonly<Record<string, ArgSpec>> } | { readonly free: 'string' | 'boolean' };

export const NO_ARGS: ArgSchema = { named: {} };
export const WAIT: ArgSchema = { named: { wait: { kind: 'boolean' } } };

/** Why `args` do not fit the schema of `name`, or undefined. */
export function argsProblem(name: string, schema: ArgSchema, args: CommandArgs): string | undefined {
  if ('free' in schema) return freeProblem(name, schema.free, args);
  const spec = schema.named;
  for (const key of Object.keys(args)) {
    if (!Object.hasOwn(spec, key)) return `${name} takes no argument ${JSON.stringify(key.slice(0, MAX_KEY))}`;
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

function freeProblem(name: string, kind: 'string' | 'boolean', args: CommandArgs): string | undefined {
  const entries = Object.entries(args);
  if (entries.length === 0 || entries.length > MAX_FREE_ARGS) return `${name} takes 1 to ${MAX_FREE_ARGS} parameters`;
  const bad = entries.find(([key, value]) => key.length > MAX_KEY || typeof value !== kind || (typeof value === 'string' && value.length > MAX_STRING));
  return bad === undefined ? undefined : `${name}.${bad[0].slice(0, MAX_KEY)} must be ${kind === 'string' ? `a string of at most ${MAX_STRING} characters` : 'true'}`;
}

function hasKind(value: string | number | boolean, kind: ArgKind): boolean {
  if (kind === 'integer') return Number.isSafeInteger(value);
  if (kind === 'string') return typeof value === 'string' && value.length <= MAX_STRING;
  return typeof value === 'boolean';
}
