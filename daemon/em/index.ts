/**
 * Extension Mobility, our model of the SPA942 feature (SPEC §5, DOMAIN §2; the login sequence
 * is our design, DOMAIN §2.3). Login stores the mobile credentials (password in the vault
 * only), sets state `mobile` and resyncs, so a rule branching on `$EMS` passes
 * `[--uid $MUID$PDOM --pwd $MPWD]`. A failed login offers `Retry` and `Abort`; Abort puts
 * back the state and credentials exactly as they were before the first attempt. Logout
 * clears the mobile credentials, sets `host` and resyncs with the phone's own.
 */
import { ProvisiondError } from '../errors/index.js';
import type { Logger } from '../log/index.js';
import type { EventInput } from '../bus/index.js';
import { readBool, readEnum, readText, type ParamReader, type ParamUpdate } from '../params/index.js';
import type { PromptBroker, PromptRequest } from '../prompts/index.js';
import { EM_MOBILE, type EngineParams, type ResyncOutcome, type ResyncRequest } from '../resync/index.js';
import type { Vault, VaultRecord } from '../vault/index.js';

export type EmState = '' | 'host' | 'mobile';

export interface ExtensionMobilityOptions {
  readonly params: EngineParams;
  readonly vault: Vault;
  readonly resync: { resyncNow(request?: ResyncRequest): Promise<ResyncOutcome> };
  readonly prompts: Pick<PromptBroker, 'open'>;
  readonly emit: (event: EventInput) => void;
  readonly logger: Logger;
}

export interface EmResult {
  readonly ok: boolean;
  readonly state: EmState;
  readonly outcome: ResyncOutcome;
}

/** What Abort restores: each EM parameter with its layer, and the mobile vault record. */
interface Snapshot {
  readonly values: readonly { readonly name: string; readonly value: string; readonly local: boolean }[];
  readonly mobile: VaultRecord | undefined;
}


export class ExtensionMobility {
  private readonly options: ExtensionMobilityOptions;
  private readonly logger: Logger;
  /** Set while a failed login waits for Retry or Abort: the state before the first attempt. */
  private failedFrom: Snapshot | undefined;
  private busy = false;
  private readonly read: ParamReader;

  constructor(options: ExtensionMobilityOptions) {
    this.options = options;
    this.logger = options.logger.child('em');
    this.read = (name) => options.params.get(name);
  }

  state(): EmState {
    // The registry admits exactly the EM states, so the stored spelling is one of them.
    return readEnum(this.read, 'EM_Login_State') as EmState;
  }

  enabled(): boolean {
    return readBool(this.read, 'EM_Enable');
  }

  /** The softkeys the display offers (SPEC §5): `Login` when enabled, `Logout` only in `mobile`. */
  softkeys(): ('Login' | 'Logout')[] {
    if (!this.enabled()) return [];
    return this.state() === 'mobile' ? ['Logout'] : ['Login'];
  }

  /** The `Login` softkey: asks for user id and password, then logs in. */
  openLogin(): string {
    return this.loginPrompt({ kind: 'em-login', purpose: { operation: 'em-login' } }, 'EM login prompt failed');
  }

  async login(user: string, password: string): Promise<EmResult> {
    if (!this.enabled()) throw new ProvisiondError('em_disabled', 'Extension Mobility is not enabled (EM_Enable)');
    if (this.busy) throw new ProvisiondError('em_busy', 'an Extension Mobility login or logout is in progress');
    this.busy = true;
    try {
      const before = this.failedFrom ?? (await this.snapshot());
      await this.options.vault.put({ ...EM_MOBILE, username: user, secret: password });
      await this.options.params.setLocal([
        { name: 'EM_Mobile_User_ID', value: user },
        { name: 'EM_Login_State', value: 'mobile' },
      ]);
      const outcome = await this.options.resync.resyncNow({ operation: 'em-login' });
      if (outcome.result !== 'failed') {
        this.failedFrom = undefined;
        this.options.emit({ type: 'em.login', user, url: outcome.url });
        this.logger.notice('logged in', { user });
        return { ok: true, state: this.state(), outcome };
      }
      this.failedFrom = before;
      this.logger.warning('login failed', { user, error: outcome.error?.code });
      this.loginPrompt({ kind: 'em-login-failed', purpose: { operation: 'em-login' }, context: { username: user } }, 'EM login-failed prompt failed');
      return { ok: false, state: this.state(), outcome };
    } finally {
      this.busy = false;
    }
  }

  async logout(): Promise<EmResult> {
    if (this.state() !== 'mobile') throw new ProvisiondError('em_not_logged_in', 'no Extension Mobility user is logged in');
    if (this.busy) throw new ProvisiondError('em_busy', 'an Extension Mobility login or logout is in progress');
    this.busy = true;
    try {
      const user = readText(this.read, 'EM_Mobile_User_ID');
      this.failedFrom = undefined;
      if (await this.options.vault.delete(EM_MOBILE)) this.options.emit({ type: 'credentials.cleared', operation: 'em-login', reason: 'logout' });
      await this.options.params.setLocal([
        { name: 'EM_Mobile_User_ID', value: '' },
        { name: 'EM_Login_State', value: 'host' },
      ]);
      const outcome = await this.options.resync.resyncNow();
      this.options.emit({ type: 'em.logout', user, reason: 'logout' });
      this.logger.notice('logged out', { user });
      return { ok: outcome.result !== 'failed', state: this.state(), outcome };
    } finally {
      this.busy = false;
    }
  }

  /**
   * A login prompt: its answer logs in. `Login failed` keeps the user id and password fields:
   * `Retry` submits them (again or corrected) as an answer; `Abort` (cancel, or the prompt
   * timing out) restores.
   */
  private loginPrompt(request: PromptRequest, failure: string): string {
    const prompt = this.options.prompts.open(request);
    void prompt.result.then(async (result) => {
      if (result.outcome === 'answered') await this.login(result.username, result.password);
      else await this.abort();
    }).catch((error: unknown) => this.logger.error(failure, { error: (error as Error).message }));
    return prompt.id;
  }

  /** Puts back the state and credentials as they were before the failed login, without a resync. */
  private async abort(): Promise<void> {
    const before = this.failedFrom;
    if (before === undefined) return;
    this.failedFrom = undefined;
    if (before.mobile) await this.options.vault.put({ ...EM_MOBILE, username: before.mobile.username, secret: before.mobile.secret });
    // The failed attempt's credentials go; a dashboard learns they are no longer held.
    else if (await this.options.vault.delete(EM_MOBILE)) this.options.emit({ type: 'credentials.cleared', operation: 'em-login', reason: 'aborted' });
    const local: ParamUpdate[] = [];
    const cleared: string[] = [];
    for (const saved of before.values) {
      if (saved.local) local.push({ name: saved.name, value: saved.value });
      else cleared.push(saved.name);
    }
    if (local.length > 0) await this.options.params.setLocal(local);
    if (cleared.length > 0) await this.options.params.clearLocal(cleared);
    this.logger.notice('login aborted: previous state restored', { state: this.state() });
  }

  private async snapshot(): Promise<Snapshot> {
    const local = (name: string): boolean => this.options.params.origin(name) === 'local';
    return {
      values: [
        { name: 'EM_Login_State', value: this.state(), local: local('EM_Login_State') },
        { name: 'EM_Mobile_User_ID', value: readText(this.read, 'EM_Mobile_User_ID'), local: local('EM_Mobile_User_ID') },
      ],
      mobile: await this.options.vault.get(EM_MOBILE),
    };
  }
}
