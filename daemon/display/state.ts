/**
 * What the daemon tells the display feed (SPEC §8): the state snapshot and the backend
 * interface the lead implements over the real features. The feed knows nothing else about
 * the daemon, so it is tested against a stub backend.
 */
import type { JsonValue } from '../bus/index.js';
import type { PromptView } from '../prompts/index.js';
import type { CommandArgs, DaemonCommandName } from './protocol.js';

export type EmState = '' | 'host' | 'mobile';

export interface ResyncSummary {
  readonly at: string;
  /** `succeeded`, `unchanged`, `failed`. */
  readonly outcome: string;
  readonly [field: string]: JsonValue;
}

/** The daemon's state as the feed shows it (`hello.state`, `status`). */
export interface DisplayState {
  readonly device: { readonly id: string; readonly [field: string]: JsonValue };
  readonly resync: { readonly running: boolean; readonly last: ResyncSummary | null; readonly next: string | null };
  readonly em: { readonly enabled: boolean; readonly state: EmState; readonly user?: string };
  readonly mqtt: { readonly connected: boolean };
  /** Avaya backup/restore (daemon/backup `BackupStatus`); absent: not offered. */
  readonly backup?: {
    readonly configured: boolean;
    readonly running: 'backup' | 'restore' | null;
    readonly last: { readonly operation: 'backup' | 'restore'; readonly outcome: 'succeeded' | 'failed'; readonly at: string; readonly code?: string } | null;
  };
  readonly [section: string]: JsonValue | undefined;
}

/** The softkeys the daemon acts on; the prompt softkeys are handled by the feed. */
export type DaemonSoftkey = 'Setup' | 'Login' | 'Logout' | 'Backup' | 'Restore';

export interface DisplayBackend {
  snapshot(): DisplayState;
  /** Runs a command (SPEC §8); resolves with its result data, rejects with a ProvisiondError. */
  command(name: DaemonCommandName, args: CommandArgs): Promise<JsonValue | undefined>;
  softkey(key: DaemonSoftkey): Promise<void>;
  /** Called whenever the snapshot may have changed; returns the unsubscribe function. */
  onChange(listener: () => void): () => void;
}

/** The part of the prompt broker the feed uses. */
export interface PromptDesk {
  list(): PromptView[];
  answer(id: string, username: string, password: string): void;
  cancel(id: string): void;
  onChange(listener: () => void): () => void;
}
