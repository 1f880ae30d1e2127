/** `resync` and `profile-account` (SPEC §4, §5). */
import { NO_ARGS, WAIT } from './args.js';
import { EVERYWHERE, LOCAL, command } from './spec.js';
import { startOrWait, throwIfFailed, type Started } from './outcome.js';

export type ResyncResult = Started | { readonly outcome: string; readonly changed: readonly string[] };

/** With `wait`, the outcome: a failure rejects, so the CLI exits 1. */
export const resync = command<{ readonly wait?: boolean }, ResyncResult>({
  args: WAIT,
  transports: EVERYWHERE,
  handler: (args, ctx) =>
    startOrWait(ctx.resync.resyncNow(), args.wait === true, (outcome) => {
      throwIfFailed(outcome);
      return { outcome: outcome.result, changed: [...outcome.changed] };
    }),
});

/** A technician removes the stored Profile Account (`credentials.cleared`, SPEC §8). */
export const profileAccountClear = command<Record<string, never>, { readonly cleared: boolean }>({
  args: NO_ARGS,
  transports: LOCAL,
  handler: async (_args, ctx) => ({ cleared: await ctx.resync.clearProfileAccount() }),
});

export const profileAccount = command<{ readonly user: string; readonly password: string }, { readonly stored: true }>({
  args: { named: { user: { kind: 'string', required: true }, password: { kind: 'string', required: true } } },
  transports: LOCAL,
  secret: 'password',
  handler: async (args, ctx) => {
    await ctx.resync.storeProfileAccount(args.user, args.password);
    return { stored: true };
  },
});
