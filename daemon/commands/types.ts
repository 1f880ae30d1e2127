/**
 * The shapes every command shares (SPEC §8): what a handler is given, what it may answer, and
 * the typed failure the feed, provisionctl and MQTT map to their own envelopes.
 */
import type { JsonValue, RecordedEvent } from '../bus/index.js';
import type { BackupRestore, BackupStatus } from '../backup/index.js';
import type { DeviceFacts } from '../device/index.js';
import type { ErrorCode } from '../errors/index.js';
import type { EmState, ExtensionMobility } from '../em/index.js';
import type { Redactor } from '../log/index.js';
import type { ParamStore } from '../params/index.js';
import type { ConfigurationReport } from '../report/index.js';
import type { PromptView } from '../prompts/index.js';
import type { ResyncEngine } from '../resync/index.js';
import type { TrustStore } from '../tls/index.js';

/** Where a command can be sent from: the local feed, `provisionctl` (over the feed socket), MQTT `cmd/<name>`. */
export type Transport = 'feed' | 'cli' | 'mqtt';

/** Arguments as they arrive: JSON scalars by name. */
export type CommandArgs = { readonly [key: string]: string | number | boolean };

export type ResyncSummary = {
  readonly at: string;
  /** `succeeded`, `unchanged`, `failed`. */
  readonly outcome: string;
  readonly trigger?: string;
  readonly error?: string;
};

/** The daemon's state as the feed shows it (`hello.state`, `status`), from named fields only (STYLE.md §12). */
export type DisplayState = {
  readonly device: { readonly id: string; readonly [field: string]: JsonValue };
  readonly resync: { readonly running: boolean; readonly last: ResyncSummary | null; readonly next: string | null };
  readonly em: { readonly enabled: boolean; readonly state: EmState; readonly user?: string };
  readonly mqtt: { readonly connected: boolean };
  /** The Profile Account (DOMAIN §1.14): the `Setup` softkey is offered only when enabled. */
  readonly account?: { readonly enabled: boolean };
  /** Avaya backup/restore; absent: not offered. */
  readonly backup?: BackupStatus;
  readonly [section: string]: JsonValue | undefined;
};

/** The state views the `status` and `events` commands read. */
export interface StateContext {
  readonly snapshot: () => DisplayState;
  readonly prompts: { list(): PromptView[] };
  /** The last `n` recorded events, oldest first. */
  readonly recent: (n: number) => readonly RecordedEvent[];
}

/** The features the other commands act on. */
export interface FeatureContext {
  readonly device: DeviceFacts;
  readonly params: ParamStore;
  readonly resync: ResyncEngine;
  readonly em: ExtensionMobility;
  readonly backup: BackupRestore;
  /** The configuration report (DOMAIN §1.10). */
  readonly report: ConfigurationReport;
  /** The live trust store (TRUSTCERTS can replace it while running). */
  readonly trust: () => TrustStore;
}

export interface CommandContext extends StateContext, FeatureContext {
  /** Where a command's password is registered while the command holds it. */
  readonly redactor: Redactor;
}

/** The daemon's one union of error codes (daemon/errors, STYLE.md §7). */
export type CommandErrorCode = ErrorCode;

export interface CommandError {
  readonly code: CommandErrorCode;
  readonly message: string;
}

/** What `run` resolves with: never a rejection, so no transport can forget to catch one. */
export type CommandOutcome<T = unknown> = { readonly ok: true; readonly data: T } | { readonly ok: false; readonly error: CommandError };
