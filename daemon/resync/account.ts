/**
 * The Profile Account (SPEC §5, DOMAIN §1.14): one vault record, purpose `profile-account`,
 * no origin or realm; the *Profile account setup* prompt that fills it. An answer stores the
 * account and asks for a resync at once.
 */
import { toProvisiondError } from '../errors/index.js';
import type { Logger } from '../log/index.js';
import type { Account } from './credentials.js';
import type { EventInput } from '../bus/index.js';
import type { PromptBroker } from '../prompts/index.js';
import type { Vault } from '../vault/index.js';

export const PROFILE_ACCOUNT = { purpose: 'profile-account' } as const;

export interface ProfileAccountOptions {
  readonly vault: Vault;
  readonly prompts: Pick<PromptBroker, 'open'>;
  readonly emit: (event: EventInput) => void;
  readonly logger: Logger;
  /** Called after an account was stored from the prompt or the CLI. */
  readonly onStored: () => void;
}

export class ProfileAccount {
  private readonly options: ProfileAccountOptions;
  private openId: string | undefined;

  constructor(options: ProfileAccountOptions) {
    this.options = options;
  }

  async get(): Promise<Account | undefined> {
    const record = await this.options.vault.get(PROFILE_ACCOUNT);
    return record && { username: record.username ?? '', password: record.secret };
  }

  /** Stores the account (replacing any) and asks for a resync. */
  /** `source`: the Setup prompt, or a technician's `profile-account` command (SPEC §8 sources). */
  async store(username: string, password: string, source: 'prompt' | 'profile-account'): Promise<void> {
    await this.options.vault.put({ ...PROFILE_ACCOUNT, username, secret: password });
    this.options.emit({ type: 'credentials.stored', operation: 'resync', source });
    this.options.logger.notice('profile account stored', { source });
    this.options.onStored();
  }

  /** Removes the stored account (a technician's `profile-account --clear`); false when there was none. */
  async clear(): Promise<boolean> {
    const removed = await this.options.vault.delete(PROFILE_ACCOUNT);
    if (removed) {
      this.options.emit({ type: 'credentials.cleared', operation: 'resync', reason: 'cleared' });
      this.options.logger.notice('profile account cleared');
    }
    return removed;
  }

  /**
   * Opens the setup prompt, or returns the id of the one already open (one per kind, SPEC §5).
   * Cancel or timeout leaves the account as it was.
   */
  openSetup(): string {
    if (this.openId !== undefined) return this.openId;
    const prompt = this.options.prompts.open({ kind: 'profile-account', purpose: { operation: 'resync' } });
    this.openId = prompt.id;
    void prompt.result
      .then(async (result) => {
        this.openId = undefined;
        if (result.outcome === 'answered') await this.store(result.username, result.password, 'prompt');
      })
      .catch((error: unknown) => {
        this.openId = undefined;
        this.options.logger.error('profile account prompt failed', { error: toProvisiondError(error).message });
      });
    return prompt.id;
  }
}
