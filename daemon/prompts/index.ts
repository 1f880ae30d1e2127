/** Prompts (SPEC §5): the broker and what each prompt kind looks like. */
export { PromptBroker, answerProblem } from './broker.js';
export type { PromptBrokerOptions, PromptFacts, PromptHandle, PromptOutcome, PromptPurpose, PromptRequest, PromptResult, PromptView } from './broker.js';
export { PROMPT_KINDS, lookOf } from './kinds.js';
export type { PromptContext, PromptContexts, PromptField, PromptKind, PromptLook } from './kinds.js';
