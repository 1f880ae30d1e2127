/** Extension Mobility `login` and `logout` (SPEC §5, daemon/em). */
import type { EmState } from '../em/index.js';
import { NO_ARGS } from './args.js';
import { emResult } from './outcome.js';
import { LOCAL, command } from './spec.js';

export type EmCommandResult = { readonly state: EmState };

export const login = command<{ readonly user: string; readonly password: string }, EmCommandResult>({
  args: { named: { user: { kind: 'string', required: true }, password: { kind: 'string', required: true } } },
  transports: LOCAL,
  secret: 'password',
  handler: async (args, ctx) => emResult(await ctx.em.login(args.user, args.password)),
});

export const logout = command<Record<string, never>, EmCommandResult>({
  args: NO_ARGS,
  transports: LOCAL,
  handler: async (_args, ctx) => emResult(await ctx.em.logout()),
});
