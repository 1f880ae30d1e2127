/**
 * The prompt broker (SPEC §5): opens a prompt, shows it to every local client,
 * takes the first valid answer or cancel from any of them, and closes it for all.
 *
 * One prompt is open at a time per kind. A second `open` of a kind that is already open
 * joins the open prompt and gets the same result, so two requests stuck on the same missing
 * account are answered by one typed answer instead of stacking two screens.
 *
 * A typed password is registered with the redactor before anything else touches it and
 * travels only in the result promise, to the request that asked; events carry id, kind and
 * outcome only.
 */
import { randomUUID } from 'node:crypto';
import type { DaemonBus } from '../bus/index.js';
import { systemClock, type Clock } from '../clock/index.js';
import { ProvisiondError } from '../errors/index.js';
import { Redactor } from '../log/index.js';
import { lookOf, type PromptContext, type PromptContexts, type PromptField, type PromptKind } from './kinds.js';

/** A prompt to open: its kind, and the facts that kind shows (`PromptContexts`). */
/**
 * What a prompt asks credentials for. Its `auth.prompt` event carries it, and so does the
 * `auth.failure` (`cancelled`, `timeout`) with which an unanswered prompt ends (SPEC §8).
 */
export interface PromptPurpose {
  readonly operation: 'resync' | 'backup' | 'restore' | 'em-login' | 'trustcerts';
  /** Where the credentials would go (scrubbed by the event log like every URL). */
  readonly url?: string | undefined;
  readonly realm?: string | undefined;
}

export type PromptRequest = {
  readonly [K in PromptKind]: {
    readonly kind: K;
    readonly purpose: PromptPurpose;
    readonly fields?: readonly PromptField[];
    readonly softkeys?: readonly [string, string];
    readonly context?: PromptContexts[K];
  };
}[PromptKind];

/** The facts of a prompt as clients get them: the set ones only. */
export type PromptFacts = { readonly [K in keyof PromptContext]?: string };

/** A prompt as every client sees it. Never carries a typed value. */
export interface PromptView {
  readonly id: string;
  readonly kind: PromptKind;
  readonly title: string;
  readonly lines: readonly string[];
  readonly fields: readonly PromptField[];
  readonly softkeys: readonly [string, string];
  readonly context: PromptFacts;
  readonly expiresAt: string;
}

export type PromptOutcome = 'answered' | 'cancelled' | 'timeout';
export type PromptResult =
  | { readonly outcome: 'answered'; readonly username: string; readonly password: string }
  | { readonly outcome: 'cancelled' | 'timeout' };

export interface PromptHandle {
  readonly id: string;
  readonly result: Promise<PromptResult>;
}

export interface PromptBrokerOptions {
  readonly bus: DaemonBus;
  /** `prompts.timeoutSeconds` (SPEC §2). */
  readonly timeoutSeconds: number;
  /** The daemon's clock: the timeout is a timer on it, `expiresAt` its wall time (default: the system's). */
  readonly clock?: Pick<Clock, 'now' | 'setTimer' | 'clearTimer'>;
  readonly newId?: () => string;
  readonly redactor?: Redactor;
}

interface OpenPrompt {
  readonly view: PromptView;
  readonly purpose: { readonly [K in keyof PromptPurpose]?: string };
  readonly handle: PromptHandle;
  readonly settle: (result: PromptResult) => void;
  readonly timer: unknown;
}

const MAX_USERNAME = 256;
const MAX_PASSWORD = 1024;
const CONTROL = /[\u0000-\u001f\u007f]/;

export class PromptBroker {
  private readonly bus: DaemonBus;
  private readonly timeoutMs: number;
  private readonly clock: Pick<Clock, 'now' | 'setTimer' | 'clearTimer'>;
  private readonly newId: () => string;
  private readonly redactor: Redactor;
  private readonly prompts = new Map<string, OpenPrompt>();
  private readonly listeners = new Set<() => void>();

  constructor(options: PromptBrokerOptions) {
    this.bus = options.bus;
    this.timeoutMs = options.timeoutSeconds * 1000;
    this.clock = options.clock ?? systemClock;
    this.newId = options.newId ?? randomUUID;
    this.redactor = options.redactor ?? new Redactor();
  }

  /** Opens a prompt of `request.kind`, or joins the one of that kind already open. */
  open(request: PromptRequest): PromptHandle {
    const existing = [...this.prompts.values()].find((entry) => entry.view.kind === request.kind);
    if (existing) return existing.handle;
    const look = lookOf(request.kind);
    const id = this.newId();
    const view: PromptView = {
      id,
      kind: request.kind,
      title: look.title,
      lines: look.lines,
      fields: request.fields ?? look.fields,
      softkeys: request.softkeys ?? look.softkeys,
      context: definedOnly<PromptContext>(request.context ?? {}),
      expiresAt: new Date(this.clock.now() + this.timeoutMs).toISOString(),
    };
    let settle!: (result: PromptResult) => void;
    const result = new Promise<PromptResult>((resolve) => {
      settle = resolve;
    });
    // The timer is cleared whenever the prompt closes first, so it only ever closes an open one.
    const timer = this.clock.setTimer(() => this.close(entry, { outcome: 'timeout' }), this.timeoutMs);
    const purpose = definedOnly(request.purpose);
    const entry: OpenPrompt = { view, purpose, handle: { id, result }, settle, timer };
    this.prompts.set(id, entry);
    this.bus.emit('event', { type: 'auth.prompt', id, kind: request.kind, ...purpose });
    this.changed();
    return entry.handle;
  }

  /** The open prompts, oldest first. */
  list(): PromptView[] {
    return [...this.prompts.values()].map((entry) => entry.view);
  }

  get(id: string): PromptView | undefined {
    return this.prompts.get(id)?.view;
  }

  /** Accepts an answer; the first valid one closes the prompt for every client. */
  answer(id: string, username: string, password: string): void {
    const entry = this.require(id);
    // Registered before validation, so even a rejected answer can never reach a log line.
    this.redactor.add(password);
    const problem = answerProblem(username, password);
    if (problem) {
      this.redactor.remove(password);
      throw new ProvisiondError('invalid_answer', problem);
    }
    this.close(entry, { outcome: 'answered', username, password });
  }

  cancel(id: string): void {
    this.close(this.require(id), { outcome: 'cancelled' });
  }

  /** Cancels every open prompt (daemon stopping). */
  stop(): void {
    for (const entry of [...this.prompts.values()]) this.close(entry, { outcome: 'cancelled' });
  }

  /** Called after any prompt opens or closes; returns the unsubscribe function. */
  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private require(id: string): OpenPrompt {
    const entry = this.prompts.get(id);
    if (!entry) throw new ProvisiondError('no_such_prompt', `no open prompt with id ${JSON.stringify(id.slice(0, 64))}`);
    return entry;
  }

  private close(entry: OpenPrompt, result: PromptResult): void {
    const { id } = entry.view;
    this.prompts.delete(id);
    this.clock.clearTimer(entry.timer);
    if (result.outcome !== 'answered') this.bus.emit('event', { type: 'auth.failure', ...entry.purpose, reason: result.outcome, source: 'prompt' });
    this.bus.emit('event', { type: 'auth.prompt.closed', id, kind: entry.view.kind, outcome: result.outcome });
    entry.settle(result);
    this.changed();
  }

  private changed(): void {
    for (const listener of [...this.listeners]) listener();
  }
}

function definedOnly<T extends object>(facts: T): { readonly [K in keyof T]?: string } {
  const out: { [key: string]: string } = {};
  for (const [key, value] of Object.entries(facts) as [string, string | undefined][]) if (value !== undefined) out[key] = value;
  return out as { readonly [K in keyof T]?: string };
}

/** Why an answer is not acceptable, or undefined. Names the field, never echoes a value. */
export function answerProblem(username: unknown, password: unknown): string | undefined {
  if (typeof username !== 'string' || username.length === 0) return 'the user ID is empty';
  if (username.length > MAX_USERNAME) return `the user ID is longer than ${MAX_USERNAME} characters`;
  if (CONTROL.test(username)) return 'the user ID contains control characters';
  if (typeof password !== 'string') return 'the password is missing';
  if (password.length > MAX_PASSWORD) return `the password is longer than ${MAX_PASSWORD} characters`;
  if (CONTROL.test(password)) return 'the password contains control characters';
  return undefined;
}

