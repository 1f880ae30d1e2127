/** The configuration report on demand (DOMAIN §1.10, daemon/report). */
import { WAIT } from './args.js';
import { startOrWait, type Started } from './outcome.js';
import { EVERYWHERE, command } from './spec.js';

export type ReportCommandResult = Started | { readonly outcome: 'succeeded'; readonly url: string; readonly status: number; readonly bytes: number; readonly encrypted: boolean };

export const report = command<{ readonly wait?: boolean }, ReportCommandResult>({
  args: WAIT,
  transports: EVERYWHERE,
  handler: (args, ctx) => startOrWait(ctx.report.report('demand'), args.wait === true, ({ url, status, bytes, encrypted }) => ({ outcome: 'succeeded', url, status, bytes, encrypted })),
});
