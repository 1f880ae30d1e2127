/**
 * Which credentials answer a provisioning challenge (SPEC §5, DOMAIN §1.14). Pure.
 *
 * 1. `--uid/--pwd` in the rule always win; wrong ones fail, the account is never tried.
 * 2. The Profile Account, unless `Profile_Authentication_Type` is `Disabled`, and only for
 *    origins a `Profile_Rule…_D` names (never one first reached through a redirect).
 * 3. Nothing: the request fails; the engine may open the Profile account setup prompt.
 */
import type { Credentials } from '../http/index.js';

export interface Account {
  readonly username: string;
  readonly password: string;
}

export interface CredentialInput {
  readonly ruleUid?: string | undefined;
  readonly rulePwd?: string | undefined;
  readonly account?: Account | undefined;
  readonly accountEnabled: boolean;
  readonly originNamed: boolean;
}

export function ruleHasCredentials(uid: string | undefined, pwd: string | undefined): boolean {
  return uid !== undefined || pwd !== undefined;
}

export function accountIsEmpty(account: Account | undefined): boolean {
  return account === undefined || (account.username === '' && account.password === '');
}

export function chooseCredentials(input: CredentialInput): Credentials | undefined {
  if (ruleHasCredentials(input.ruleUid, input.rulePwd)) {
    return { username: input.ruleUid ?? '', password: input.rulePwd ?? '', source: 'rule' };
  }
  if (!input.accountEnabled || !input.originNamed || accountIsEmpty(input.account)) return undefined;
  const account = input.account as Account;
  return { username: account.username, password: account.password, source: 'profile-account' };
}

export interface PromptInput {
  /** This is the first challenge since start-up. */
  readonly firstChallenge: boolean;
  readonly accountEnabled: boolean;
  readonly account?: Account | undefined;
  readonly ruleHasCredentials: boolean;
}

/**
 * The Profile account setup screen pops up only when all of DOMAIN §1.14 hold: a 401 during
 * the first provisioning after start-up, an empty account, no credentials in the rule; and
 * never when the feature is `Disabled`.
 */
export function shouldOpenAccountPrompt(input: PromptInput): boolean {
  return input.firstChallenge && input.accountEnabled && accountIsEmpty(input.account) && !input.ruleHasCredentials;
}
