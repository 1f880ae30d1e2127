/**
 * The ports of the resync engine: the small interfaces it needs from the rest of the
 * daemon. The lead wires the real modules (parameter store, vault, fetcher, prompt broker,
 * rule language, schedule arithmetic, profile parsers) into them; tests pass fakes.
 * Keeping them here lets the engine be built and tested before its neighbours land.
 */
import type { EventInput } from '../bus/index.js';
import type { PromptRequest, PromptResult } from '../prompts/index.js';

/** The parameter store (lead, `daemon/params`). */
export interface ParamStore {
  get(name: string): string | undefined;
  /** Whole-profile transaction: throws a ProvisiondError and changes nothing on any invalid value. */
  applyProvisioned(updates: readonly ParamUpdate[]): Promise<string[]>;
  setLocal(updates: readonly ParamUpdate[]): Promise<string[]>;
  /** Drops local values so the lower layers show again (EM Abort restores exactly). */
  clearLocal(names: readonly string[]): Promise<string[]>;
  /** Which layer a value comes from (EM Abort puts each back in its own layer). */
  origin(name: string): 'local' | 'provisioned' | 'settings' | 'default' | undefined;
}

export interface ParamUpdate {
  readonly name: string;
  readonly value: string;
}

/** Device facts (`daemon/device`), source of `$MA`, `$SN`, `$PN`, … (DOMAIN §1.8). */
export type { DeviceFacts } from '../device/index.js';

/**
 * The vault (issue 5, `daemon/vault` `Vault`): records keyed by purpose, origin, realm and
 * name. The engine uses records without origin: the profile account and the EM passwords.
 */
export interface VaultKey {
  readonly purpose: 'profile-account' | 'em-phone' | 'em-mobile';
}

export interface VaultSecret {
  readonly username?: string | undefined;
  readonly secret: string;
}

export interface VaultPort {
  get(key: VaultKey): Promise<VaultSecret | undefined>;
  put(entry: VaultKey & VaultSecret): Promise<unknown>;
  delete(key: VaultKey): Promise<unknown>;
}

/** What the engine answers to a challenge (the fetcher's credentials callback). */
export interface Credentials {
  readonly username: string;
  readonly password: string;
  readonly source: CredentialSource;
}

export type CredentialSource = 'rule' | 'profile-account' | 'prompt' | 'stored';

export interface ChallengeContext {
  readonly origin: string;
  readonly realm?: string | undefined;
  readonly scheme?: string | undefined;
  /** 0 for a pre-emptive answer (never prompts), 1 for the first challenge, 2 for the second. */
  readonly attempt: number;
  /** True when the server refused the credentials answered to the previous challenge. */
  readonly previousRejected: boolean;
}

export type Operation = 'resync' | 'em-login';

export interface FetchRequest {
  readonly url: string;
  readonly method: 'GET' | 'POST';
  readonly body?: Buffer | undefined;
  readonly operation: Operation;
  credentials(context: ChallengeContext): Promise<Credentials | undefined>;
  /** Stored credentials go only to origins a profile rule names (SPEC §6). */
  allowCredentialsFor(origin: string): boolean;
}

export interface FetchResult {
  readonly status: number;
  readonly body: Buffer;
  /** The final URL after redirects. */
  readonly url: string;
  /** A 304 answer to a conditional GET: success without a change. */
  readonly notModified: boolean;
}

/** HTTP(S) and TFTP in one (issue 4). Failures are ProvisiondErrors (`not_found`, `auth_rejected`, …). */
export interface ProfileSource {
  fetch(request: FetchRequest): Promise<FetchResult>;
}

/** A rule evaluated to what to do (issue 3, `daemon/rules`). */
export interface RulePlan {
  readonly skipped: boolean;
  readonly assignments: readonly ParamUpdate[];
  readonly request?: RuleRequest | undefined;
}

export interface RuleRequest {
  readonly method: 'GET' | 'POST';
  /** Expanded, absolute, with the scheme defaulted to tftp. */
  readonly url: string;
  readonly uid?: string | undefined;
  readonly pwd?: string | undefined;
  readonly key?: string | undefined;
  readonly body?: string | undefined;
  /** `--alias`: map of foreign element paths to parameter names. */
  readonly alias?: ReadonlyMap<string, string> | undefined;
}

export interface MacroContext {
  readonly params: (name: string) => string | undefined;
  readonly vars: Readonly<Record<string, string>>;
}

export interface RuleLanguage {
  evaluate(rule: string, context: MacroContext): RulePlan;
  /** Macro expansion for `Log_Resync_*` messages (DOMAIN §1.8). */
  expand(text: string, context: MacroContext): string;
  /** A `Resync_Trigger_*` expression (DOMAIN §1.4, written without `( … )?`). */
  condition(expression: string, context: MacroContext): boolean;
}

/** Pure schedule arithmetic (issue 3, `daemon/schedule`); every delay in ms; an invalid value throws. */
export interface ScheduleMath {
  /** `Resync_Random_Delay` (units of 20 s): a random delay in 0…value×20 s. */
  bootDelay(value: string, random: () => number): number;
  /** Element `attempt` (0-based; the last repeats) of a list value with `+random`; undefined when 0 (never). */
  listDelay(value: string, name: string, attempt: number, random: () => number): number | undefined;
  /** The next `Resync_At` moment after `now` within its random window; undefined when unset or invalid. */
  resyncAt(value: string, randomDelay: string, now: Date, random: () => number): Date | undefined;
}

export interface ParsedProfile {
  readonly format: string;
  readonly updates: readonly ParamUpdate[];
}

export interface ProfileParseOptions {
  readonly key?: string | undefined;
  readonly alias?: ReadonlyMap<string, string> | undefined;
  /** Fetches a file a settings script names with `GET` (relative to the profile's URL). */
  readonly fetchRelated: (name: string) => Promise<Buffer>;
}

/** Profile formats (issue 3, `daemon/profiles`): the whole profile or a ProvisiondError. */
export interface ProfileParser {
  parse(body: Buffer, options: ProfileParseOptions): Promise<ParsedProfile>;
}

/** The prompt broker (`daemon/prompts`): the engine and EM open prompts by kind. */
export type { PromptKind, PromptRequest, PromptResult } from '../prompts/index.js';

export interface PromptBroker {
  open(request: PromptRequest): { readonly id: string; readonly result: Promise<PromptResult> };
}

/** Where events go (the bus `event` channel). */
export type EmitEvent = (event: EventInput) => void;

/** Time and timers, injected so schedule tests need no waiting. */
export interface Clock {
  now(): number;
  setTimer(callback: () => void, ms: number): unknown;
  clearTimer(handle: unknown): void;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  // Node holds at most 2^31-1 ms; the engine sets a timer again when one fires early.
  setTimer: (callback, ms) => setTimeout(callback, Math.min(ms, 2 ** 31 - 1)),
  clearTimer: (handle) => clearTimeout(handle as NodeJS.Timeout),
};
