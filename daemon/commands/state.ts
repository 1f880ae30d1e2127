/** `status` and `events` (SPEC §8): what the daemon is doing, and what it recorded last. */
import type { RecordedEvent } from '../bus/index.js';
import type { PromptView } from '../prompts/index.js';
import { NO_ARGS } from './args.js';
import { LOCAL, command } from './spec.js';
import type { DisplayState, StateContext } from './types.js';

export type PromptRef = { readonly id: string; readonly kind: string };
/** `provisionctl status --json`: the snapshot, the oldest open prompt, and all of them. */
export type StatusResult = DisplayState & { readonly prompt: PromptRef | null; readonly prompts: readonly PromptRef[] };

const DEFAULT_EVENTS = 20;
const MAX_EVENTS = 1000;

/** Also the `hello` state, so a client sees the same document either way. */
export function statusOf(snapshot: DisplayState, open: readonly PromptView[]): StatusResult {
  const prompts = open.map((view) => ({ id: view.id, kind: view.kind }));
  return { ...snapshot, prompt: prompts[0] ?? null, prompts };
}

export const status = command<Record<string, never>, StatusResult, StateContext>({
  args: NO_ARGS,
  transports: LOCAL,
  handler: async (_args, ctx) => statusOf(ctx.snapshot(), ctx.prompts.list()),
});

export const events = command<{ readonly limit?: number }, readonly RecordedEvent[], StateContext>({
  args: { named: { limit: { kind: 'integer' } } },
  transports: LOCAL,
  handler: async (args, ctx) => ctx.recent(Math.min(Math.max(args.limit ?? DEFAULT_EVENTS, 1), MAX_EVENTS)),
});
