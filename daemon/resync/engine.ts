/**
 * The resync engine (SPEC §4–5): timers, triggers, one resync at a time, events and the
 * `Log_Resync_*` journal lines. The decisions are in `plan.ts`, `credentials.ts` and
 * `run.ts`; this class only holds state and timers.
 */
import { lookup as dnsLookup } from 'node:dns/promises';
import type { DaemonBus, EventInput } from '../bus/index.js';
import { emVars } from './em-vars.js';
import { phoneParams, phoneVars } from './phone-vars.js';
import { ProvisiondError, toProvisiondError } from '../errors/index.js';
import { FetchError } from '../http/index.js';
import type { Logger } from '../log/index.js';
import { ProfileAccount } from './account.js';
import { shouldOpenAccountPrompt, type Account } from './credentials.js';
import { planBoot, planNext, PRVST, type History, type PlannedTimer, type Trigger } from './plan.js';
import type { ProfileReading, ProfileSource } from './adapters.js';
import { evaluateExpression, expandMessage } from '../rules/index.js';
import { report, type ResyncOutcome } from './outcome.js';
import { runRules, type RunResult } from './run.js';
import { systemClock, type Clock } from '../clock/index.js';
import { DueTimer, wallJump, wallOffset } from './timer.js';
import { readSettings, SCHEDULE_PARAMETERS } from './settings.js';
import { deviceMacros, type DeviceFacts } from '../device/index.js';
import type { ParamStore } from '../params/index.js';
import type { PromptBroker } from '../prompts/index.js';
import type { Vault } from '../vault/index.js';

export interface ResyncEngineOptions {
  readonly params: EngineParams;
  readonly vault: Vault;
  readonly source: ProfileSource;
  /** How profiles are read on this phone (size cap, the script's `IF $NAME` variables). */
  readonly reading?: ProfileReading;
  readonly prompts: Pick<PromptBroker, 'open'>;
  readonly bus: DaemonBus;
  readonly logger: Logger;
  readonly device: DeviceFacts;
  readonly clock?: Clock;
  readonly random?: () => number;
  /** Host name to address for `$SERVIP` (default: DNS A/AAAA lookup). */
  readonly lookup?: (host: string) => Promise<string>;
  /**
   * Installs the TRUSTCERTS list at the end of a resync whose profile set it (SPEC §6), with
   * the URL of that profile; it reports its own problems and never fails the resync.
   */
  readonly trustCerts?: (list: string, base: string) => Promise<unknown>;
}

export type { ResyncOutcome, ResyncResult } from './outcome.js';

/** What the engine and EM use of the parameter store (`daemon/params`). */
export type EngineParams = Pick<ParamStore, 'get' | 'snapshot' | 'derive' | 'origin' | 'applyProvisioned' | 'setLocal' | 'clearLocal'>;

/** What a resync is for: the `operation` of its auth events (SPEC §8). */
export interface RequestContext {
  readonly vars: Readonly<Record<string, string>>;
  readonly account: Account | undefined;
  readonly accountEnabled: boolean;
}

export type Operation = 'resync' | 'em-login';

export interface ResyncStatus {
  readonly running: boolean;
  readonly last: ResyncOutcome | null;
  readonly next: { readonly at: string; readonly trigger: Trigger } | null;
}

export interface ResyncRequest {
  readonly operation?: Operation;
}

export class ResyncEngine {
  private readonly options: ResyncEngineOptions;
  private readonly clock: Clock;
  private readonly random: () => number;
  private readonly logger: Logger;
  private readonly account: ProfileAccount;
  /** Monotonic ms of start-up and of the last attempt: `$UPGTMR`, `$PRVTMR`. */
  private readonly startedAt: number;
  private history: History = { succeededOnce: false, consecutiveFailures: 0, periodicTurns: 0 };
  private readonly timer: DueTimer;
  private running: Promise<ResyncOutcome> | undefined;
  private queued: Promise<ResyncOutcome> | undefined;
  private last: ResyncOutcome | undefined;
  private lastAttempt: number | undefined;
  /** The expression last reported as not evaluable, per trigger parameter (logged once). */
  private readonly unevaluable = new Map<string, string>();
  private challengeSeen = false;
  private active = false;
  private unsubscribe: (() => void) | undefined;
  private readonly listeners = new Set<() => void>();
  private readonly param = (name: string): string | undefined => this.options.params.get(name);

  constructor(options: ResyncEngineOptions) {
    this.options = options;
    this.clock = options.clock ?? systemClock;
    this.random = options.random ?? Math.random;
    this.logger = options.logger.child('resync');
    this.startedAt = this.clock.monotonic();
    this.timer = new DueTimer(this.clock, (planned) => this.onTimer(planned), (jumped, planned) => this.onClockJump(jumped, planned));
    this.account = new ProfileAccount({
      vault: options.vault,
      prompts: options.prompts,
      emit: (event) => options.bus.emit('event', event),
      logger: this.logger,
      onStored: () => void this.resyncNow().catch(() => undefined),
    });
  }

  /** Arms the start-up resync (or the first timer) and follows owned parameter changes. */
  start(): void {
    if (this.active) return;
    this.active = true;
    this.unsubscribe = this.options.bus.on('params.changed', (names) => this.onParamsChanged(names));
    this.arm(planBoot(this.planInput()));
  }

  /** Stops the timers; a resync in flight finishes but arms nothing. */
  stop(): void {
    this.active = false;
    this.unsubscribe?.();
    this.unsubscribe = undefined;
    this.timer.clear();
    this.notify();
  }

  /**
   * A resync on demand (`$PRVST` -1). During a resync, a demand queues one more (the running
   * one may have started before what prompted the demand); further demands join that one.
   */
  resyncNow(request: ResyncRequest = {}): Promise<ResyncOutcome> {
    return this.launch('demand', request.operation ?? 'resync', true);
  }

  /** Whether the Profile Account is in use (`Profile_Authentication_Type` is not `Disabled`, DOMAIN §1.14). */
  profileAccountEnabled(): boolean {
    return readSettings(this.param).accountEnabled;
  }

  /**
   * What another request under the provisioning rules needs to be built and answered exactly as
   * a resync's (the configuration report, DOMAIN §1.10): the macros, the Profile Account and
   * whether it is in use.
   */
  async requestContext(): Promise<RequestContext> {
    const vars = { ...this.macroVars('demand'), ...(await emVars(this.param, this.options.vault)) };
    return { vars, account: await this.account.get(), accountEnabled: this.profileAccountEnabled() };
  }

  /** Opens the *Profile account setup* prompt (softkey `Setup`); the menu is hidden when the account is Disabled. */
  openProfileAccountSetup(): string {
    if (!this.profileAccountEnabled()) throw new ProvisiondError('softkey_unavailable', 'Profile account setup is off: Profile_Authentication_Type is Disabled');
    return this.account.openSetup();
  }

  /** Stores the Profile Account given locally (CLI) and resyncs at once. */
  storeProfileAccount(username: string, password: string): Promise<void> {
    return this.account.store(username, password, 'profile-account');
  }

  /** Removes the stored Profile Account; false when none was stored. */
  clearProfileAccount(): Promise<boolean> {
    return this.account.clear();
  }

  /** Resolves when no resync is running or queued (shutdown waits for it, or gives up). */
  async idle(): Promise<void> {
    while (this.running !== undefined) await this.running;
  }

  /** Called whenever `status()` may have changed (a resync started or ended, a timer moved). */
  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  }

  status(): ResyncStatus {
    const planned = this.timer.planned;
    return {
      running: this.running !== undefined,
      last: this.last ?? null,
      // The moment as the wall clock reads it now (the timer itself waits on the monotonic clock).
      next: planned ? { at: new Date(this.clock.now() + planned.due - this.clock.monotonic()).toISOString(), trigger: planned.trigger } : null,
    };
  }

  private launch(trigger: Trigger, operation: Operation, queueIfBusy: boolean): Promise<ResyncOutcome> {
    if (this.running === undefined) {
      const job = this.execute(trigger, operation).finally(() => {
        this.running = undefined;
        this.notify();
      });
      this.running = job;
      this.notify();
      return job;
    }
    if (!queueIfBusy) return this.running;
    this.queued ??= this.running.then(() => {
      this.queued = undefined;
      return this.launch(trigger, operation, true);
    });
    return this.queued;
  }

  private async execute(trigger: Trigger, operation: Operation): Promise<ResyncOutcome> {
    const settings = readSettings(this.param);
    const started = this.clock.now();
    const offset = wallOffset(this.clock);
    if (!settings.provisionEnable) {
      // DOMAIN §1.1: Provision_Enable gates every resync, requested ones included (SPEC §8: reported).
      const error = { code: 'provision_disabled', message: 'Provision_Enable is No' } as const;
      this.logger.notice('resync refused: Provision_Enable is No', { trigger });
      this.emit({ type: 'resync.failed', code: error.code, reason: error.message, message: error.message });
      const at = new Date(started).toISOString();
      return { result: 'failed', trigger, startedAt: at, finishedAt: at, changed: [], error };
    }
    this.timer.clear();
    const macros = this.macroVars(trigger);
    this.lastAttempt = this.clock.monotonic();
    this.emit({ type: 'resync.started', trigger });
    let result: RunResult;
    try {
      const account = await this.account.get();
      const vars = { ...macros, ...(await emVars(this.param, this.options.vault)) };
      result = await runRules(
        { params: this.options.params, source: this.options.source, reading: this.options.reading ?? {}, logger: this.logger, lookup: this.options.lookup ?? defaultLookup },
        {
          operation,
          vars,
          account,
          accountEnabled: settings.accountEnabled,
          requestMessage: settings.messages.request,
          successMessage: settings.messages.success,
          onChallenge: (ruleHasCredentials) => this.onChallenge(settings.accountEnabled, account, ruleHasCredentials),
        },
      );
    } catch (error) {
      const failure = toProvisiondError(error);
      result = { ok: false, changed: [], ignored: 0, error: failure, err: `${failure.code}: ${failure.message}`, vars: {}, messages: [] };
    }
    if (result.trustCertsFrom !== undefined && this.options.trustCerts !== undefined) {
      await this.options.trustCerts(this.param('TRUSTCERTS')!, result.trustCertsFrom).catch((error: unknown) => {
        this.logger.warning(`TRUSTCERTS not installed: ${toProvisiondError(error).message}`);
      });
    }
    return this.finish(trigger, started, offset, result);
  }

  private finish(trigger: Trigger, started: number, offset: number, result: RunResult): ResyncOutcome {
    const finished = this.clock.now();
    const mono = this.clock.monotonic();
    const clockFailure = !result.ok && CLOCK_FAILURES.has(result.error.code);
    // A failure starts the `Resync_Periodic` list over; a periodic success moves to its next element.
    this.history = result.ok
      ? { succeededOnce: true, consecutiveFailures: 0, lastFinished: mono, periodicTurns: this.history.periodicTurns + (trigger === 'periodic' ? 1 : 0) }
      : { ...this.history, consecutiveFailures: this.history.consecutiveFailures + 1, lastFinished: mono, periodicTurns: 0, retryNotBefore: retryNotBefore(result.error, mono), clockFailure };
    if (this.active) {
      this.arm(planNext(this.planInput()));
      // The wall clock was set while this resync ran: what it judged by the old time is judged again.
      const jumped = wallJump(this.clock, offset);
      if (jumped !== 0) this.onClockJump(jumped, this.timer.planned);
    }
    const failureLine = result.ok ? '' : this.expandFailure(readSettings(this.param).messages.failure, result);
    if (failureLine !== '') this.logger.warning(failureLine);
    const next = this.timer.planned;
    const retryInSeconds = next?.trigger === 'retry' ? Math.round((next.due - mono) / 1000) : undefined;
    const { outcome, events } = report({ trigger, started, finished, result, failureLine, retryInSeconds });
    for (const event of events) this.emit(event);
    this.last = outcome;
    return outcome;
  }

  private expandFailure(template: string, result: RunResult): string {
    if (template === '') return '';
    const vars = { ...deviceMacros(this.options.device), ...result.vars, ERR: result.err };
    return expandMessage(template, { params: this.param, vars });
  }

  /**
   * DOMAIN §1.14: the setup screen pops up on a 401 of the first provisioning after start-up
   * (we read it as the first challenge since start-up, answered or not), when the account is
   * empty and the rule has no credentials.
   */
  private onChallenge(accountEnabled: boolean, account: Parameters<typeof shouldOpenAccountPrompt>[0]['account'], ruleHasCredentials: boolean): void {
    const firstChallenge = !this.challengeSeen;
    this.challengeSeen = true;
    if (shouldOpenAccountPrompt({ firstChallenge, accountEnabled, account, ruleHasCredentials })) {
      this.logger.notice('profile account needed: opening the setup prompt');
      this.account.openSetup();
    }
  }

  private onParamsChanged(names: readonly string[]): void {
    if (!names.some((name) => SCHEDULE_PARAMETERS.has(name))) return;
    // A new `Resync_Periodic` list is used from its first element.
    if (names.includes('Resync_Periodic')) this.history = { ...this.history, periodicTurns: 0 };
    // A resync in flight re-plans when it ends; a pending start-up resync keeps its turn.
    if (this.running !== undefined || this.timer.planned?.trigger === 'boot') return;
    this.arm(planNext(this.planInput()));
  }

  private onTimer(planned: PlannedTimer): void {
    if (planned.trigger === 'periodic' && !this.triggersAllow()) {
      this.logger.info('periodic resync held back by Resync_Trigger_*');
      this.history = { ...this.history, lastFinished: this.clock.monotonic(), periodicTurns: this.history.periodicTurns + 1 };
      this.arm(planNext(this.planInput()));
      return;
    }
    void this.launch(planned.trigger, 'resync', false);
  }

  /**
   * The wall clock jumped (an RTC reset to 1970, NTP catching up): waits count on the
   * monotonic clock and stand, but a `Resync_At` moment is placed again from the new time of
   * day, and the pending retry of a failure the old wall time caused (a certificate not yet
   * valid) runs at once rather than after its backoff (no retry is made when
   * `Resync_Error_Retry_Delay` planned none). A pending start-up resync keeps its turn.
   */
  private onClockJump(jumped: number, planned: PlannedTimer | undefined): void {
    if (planned?.trigger === 'retry' && this.history.clockFailure === true) {
      this.logger.notice(`the wall clock jumped by ${describeJump(jumped)}; the resync that failed on a certificate's validity is retried now`);
      this.arm({ ...planned, due: this.clock.monotonic() });
      return;
    }
    this.logger.notice(`the wall clock jumped by ${describeJump(jumped)}; the resync timer is planned again`);
    this.arm(planned?.trigger === 'boot' ? planned : planNext(this.planInput()));
  }

  /**
   * MPP meaning (DOMAIN §1.1, §7 item 6): when the periodic timer expires, configured
   * triggers block the resync unless at least one is true. A trigger that cannot be evaluated
   * (it does not parse, or names a macro nothing fills) is read as absent, so it never holds
   * resyncs back; it is logged once per expression.
   */
  private triggersAllow(): boolean {
    const { triggers } = readSettings(this.param);
    const context = { params: this.param, vars: this.macroVars('periodic') };
    const verdicts = triggers.flatMap(({ name, expression }) => {
      try {
        // Only configured triggers come here, so "no trigger" (undefined) cannot occur.
        return [evaluateExpression(expression, context) === true];
      } catch (error) {
        if (this.unevaluable.get(name) !== expression) {
          this.unevaluable.set(name, expression);
          this.logger.warning(`${name} cannot be evaluated; it is read as absent`, { error: toProvisiondError(error).message });
        }
        return [];
      }
    });
    return verdicts.length === 0 || verdicts.includes(true);
  }

  /**
   * The macros a rule or trigger sees besides the EM ones: what the rest of the phone set as
   * parameters, the device facts (they win), `$PRVST`, and the daemon's own timers: `$PRVTMR`
   * counts from the last resync attempt, `$UPGTMR` from the last upgrade attempt. This daemon
   * never upgrades firmware, so both count from start-up until there is an attempt.
   */
  private macroVars(trigger: Trigger): Record<string, string> {
    const mono = this.clock.monotonic();
    return {
      ...phoneVars(this.options.params.derive(phoneParams), this.clock.now()),
      ...deviceMacros(this.options.device),
      PRVST: String(PRVST[trigger]),
      PRVTMR: String(Math.floor((mono - (this.lastAttempt ?? this.startedAt)) / 1000)),
      UPGTMR: String(Math.floor((mono - this.startedAt) / 1000)),
    };
  }

  private arm(planned: PlannedTimer | undefined): void {
    this.timer.set(planned);
    this.notify();
  }

  private notify(): void {
    for (const listener of [...this.listeners]) {
      try {
        listener();
      } catch (error) {
        this.logger.error('status listener failed', { error: toProvisiondError(error).message });
      }
    }
  }

  private planInput(): Parameters<typeof planNext>[0] {
    return {
      settings: readSettings(this.param),
      history: this.history,
      now: this.clock.now(),
      monotonic: this.clock.monotonic(),
      random: this.random,
      onInvalid: (error) => this.logger.warning('timer parameter ignored', { error: toProvisiondError(error).message }),
    };
  }

  private emit(event: EventInput): void {
    this.options.bus.emit('event', event);
  }
}

/** When a failure's server asked to be left alone until (`Retry-After`, carried by the fetcher's error), monotonic ms. */
function retryNotBefore(error: ProvisiondError, finished: number): number | undefined {
  return error instanceof FetchError && error.retryAfterMs !== undefined ? finished + error.retryAfterMs : undefined;
}

/** Failures that a wrong wall clock causes: certificate validity is judged by it (SPEC §6). */
const CLOCK_FAILURES: ReadonlySet<string> = new Set(['tls_not_yet_valid', 'tls_expired']);

/** `+3d 4h`, `-20424d`: a jump as a person reads it. */
function describeJump(ms: number): string {
  const sign = ms < 0 ? '-' : '+';
  const seconds = Math.round(Math.abs(ms) / 1000);
  const days = Math.floor(seconds / 86_400);
  const rest = seconds - days * 86_400;
  return `${sign}${days > 0 ? `${days}d ` : ''}${Math.floor(rest / 3600)}h ${Math.floor((rest % 3600) / 60)}m ${rest % 60}s`;
}

async function defaultLookup(host: string): Promise<string> {
  return (await dnsLookup(host)).address;
}
