/** Registration, backup and restore (SPEC §7, daemon/backup). */
import { WAIT } from './args.js';
import { startOrWait, type Started } from './outcome.js';
import { EVERYWHERE, LOCAL, command } from './spec.js';

export type BackupResult = Started | { readonly outcome: 'succeeded'; readonly url: string; readonly status: number; readonly bytes: number };
export type RestoreResult = Started | { readonly outcome: 'succeeded'; readonly url: string; readonly status: number; readonly changed: readonly string[] };

/** Sets `NVPHONEXT` and stores the registration password, as at an Avaya login screen. */
export const register = command<{ readonly extension: string; readonly password: string }, { readonly extension: string }>({
  args: { named: { extension: { kind: 'string', required: true }, password: { kind: 'string', required: true } } },
  transports: LOCAL,
  secret: 'password',
  handler: async (args, ctx) => {
    await ctx.backup.register(args.extension, args.password);
    return { extension: args.extension };
  },
});

export const backup = command<{ readonly wait?: boolean }, BackupResult>({
  args: WAIT,
  transports: EVERYWHERE,
  handler: (args, ctx) => startOrWait(ctx.backup.backup('manual'), args.wait === true, ({ url, status, bytes }) => ({ outcome: 'succeeded', url, status, bytes })),
});

export const restore = command<{ readonly wait?: boolean }, RestoreResult>({
  args: WAIT,
  transports: EVERYWHERE,
  handler: (args, ctx) => startOrWait(ctx.backup.restore('manual'), args.wait === true, ({ url, status, changed }) => ({ outcome: 'succeeded', url, status, changed })),
});
