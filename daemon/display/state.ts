/**
 * What the daemon gives the display feed (SPEC §8): the state snapshot for the screen, the
 * softkeys the daemon acts on, and the command table to run commands through. The feed knows
 * nothing else about the daemon, so it is tested against a stub backend.
 */
import type { CommandRunner, DisplayState } from '../commands/index.js';
import type { PromptBroker } from '../prompts/index.js';

export type { DisplayState, ResyncSummary } from '../commands/index.js';
export type { EmState } from '../em/index.js';

/** The softkeys the daemon acts on; the prompt softkeys are handled by the feed. */
export type DaemonSoftkey = 'Setup' | 'Login' | 'Logout' | 'Backup' | 'Restore';

export interface DisplayBackend extends CommandRunner {
  snapshot(): DisplayState;
  softkey(key: DaemonSoftkey): Promise<void>;
  /** Called whenever the snapshot may have changed; returns the unsubscribe function. */
  onChange(listener: () => void): () => void;
}

/** The part of the prompt broker the feed uses. */
export type PromptDesk = Pick<PromptBroker, 'list' | 'answer' | 'cancel' | 'onChange'>;
