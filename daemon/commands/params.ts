/** `params`, `set` and `unset` (SPEC §3, §8): the applied parameters and the local layer. */
import { ProvisiondError } from '../errors/index.js';
import { LOCAL, command } from './spec.js';

export type Changed = { readonly changed: readonly string[] };

/** Published parameters only: a secret one is as unknown as a missing one. */
export const params = command<{ readonly name?: string }, Readonly<Record<string, string>>>({
  args: { named: { name: { kind: 'string' } } },
  transports: LOCAL,
  handler: async (args, ctx) => {
    // A profile's ua="na" hides a parameter from the user's view (SPEC §3).
    const published = ctx.params.userView();
    if (args.name === undefined) return published;
    const value = published[args.name];
    if (value === undefined) throw new ProvisiondError('unknown_parameter', `no parameter ${args.name} (or it is secret)`);
    return { [args.name]: value };
  },
});

/** `set {NAME: "value", …}`: all or nothing (daemon/backup). */
export const set = command<Readonly<Record<string, string>>, Changed>({
  args: { free: 'string' },
  transports: LOCAL,
  handler: async (args, ctx) => ({ changed: await ctx.backup.set(args) }),
});

/** `unset {NAME: true, …}`. */
export const unset = command<Readonly<Record<string, boolean>>, Changed>({
  args: { free: 'boolean' },
  transports: LOCAL,
  handler: async (args, ctx) => ({ changed: await ctx.backup.unset(Object.keys(args)) }),
});
