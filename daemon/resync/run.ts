/**
 * One resync: `Profile_Rule`, `_B`, `_C`, `_D` in order (DOMAIN §1.1). Each rule is read
 * when its turn comes, so a profile fetched by `Profile_Rule` may set `Profile_Rule_B`. A
 * failing rule stops the sequence; every profile is applied whole through the parameter
 * store or not at all.
 */
import { ProvisiondError, toProvisiondError } from '../errors/index.js';
import type { Logger } from '../log/index.js';
import { chooseCredentials, ruleHasCredentials, type Account } from './credentials.js';
import type { CredentialContext, Credentials, FetchRequest } from '../http/index.js';
import { canonicalName, readBool, readText } from '../params/index.js';
import type { Origin } from '../origin/index.js';
import { evaluateRule, expandMessage, type MacroContext, type RuleRequest } from '../rules/index.js';
import { parseUpdates, type ProfileReading, type ProfileSource } from './adapters.js';
import type { EngineParams, Operation } from './engine.js';
import { RULE_PARAMETERS, uncomment } from './settings.js';
import { urlVars } from './vars.js';

export interface RunDeps {
  readonly params: EngineParams;
  readonly source: ProfileSource;
  readonly reading: ProfileReading;
  readonly logger: Logger;
  readonly lookup: (host: string) => Promise<string>;
}

export interface RunInput {
  readonly operation: Operation;
  /** Macro variables of this resync (device, EM, `$PRVST`, `$PRVTMR`). */
  readonly vars: Readonly<Record<string, string>>;
  readonly account: Account | undefined;
  readonly accountEnabled: boolean;
  readonly requestMessage: string;
  readonly successMessage: string;
  /** Called on every 401/407 challenge (not on pre-emptive answers), answered or not. */
  readonly onChallenge: (ruleHasCredentials: boolean) => void;
}

export type RunResult = RunSuccess | RunFailure;

export interface RunSuccess extends RunReport {
  readonly ok: true;
}

export interface RunFailure extends RunReport {
  readonly ok: false;
  readonly error: ProvisiondError;
}

interface RunReport {
  /** Names of the parameters the assignments and profiles changed. */
  readonly changed: readonly string[];
  /** Settings-script lines left out for an invalid value. */
  readonly ignored: number;
  /** `$ERR` for the log messages. */
  readonly err: string;
  /** The variables of the last request, for the final log message. */
  readonly vars: Readonly<Record<string, string>>;
  /** Expanded `Log_Resync_*` lines of this resync, in order. */
  readonly messages: readonly string[];
  /** The last URL requested and the HTTP status it answered with, for the events. */
  readonly url?: string | undefined;
  readonly status?: number | undefined;
  /** The URL of the profile that set TRUSTCERTS in this resync, if one did (SPEC §6). */
  readonly trustCertsFrom?: string | undefined;
}

export async function runRules(deps: RunDeps, input: RunInput): Promise<RunResult> {
  const changed = new Set<string>();
  let ignored = 0;
  const messages: string[] = [];
  let err = '';
  let vars: Record<string, string> = { ...input.vars, ERR: err };
  const param = (name: string): string | undefined => deps.params.get(name);
  const context = (): MacroContext => ({ params: param, vars });
  // Origins the configured rules name (SPEC §5: the account goes only there).
  const named = new NamedOrigins();
  let url: string | undefined;
  let status: number | undefined;
  let trustCertsFrom: string | undefined;
  const say = (template: string): void => {
    if (template === '') return;
    const line = expandMessage(template, context());
    messages.push(line);
    deps.logger.info(line);
  };
  for (const name of RULE_PARAMETERS) {
    const rule = uncomment(readText(param, name));
    if (rule === '') continue;
    try {
      const plan = evaluateRule(rule, context());
      if (plan.skipped) continue;
      if (plan.assignments.length > 0) add(changed, await deps.params.applyProvisioned(plan.assignments));
      if (!plan.request) continue;
      const request = plan.request;
      named.add(request.origin);
      url = request.url;
      status = undefined;
      // A literal or expanded --pwd/--key must never reach a log line (SPEC §6).
      const releases = [request.pwd, request.key].map((secret) => deps.logger.redactor.add(secret));
      try {
        const host = request.origin.bareHost;
        vars = { ...vars, ...urlVars(request, await deps.lookup(host).catch(() => host)), ERR: '' };
        say(input.requestMessage);
        const outcome = await fetchAndApply(deps, input, request, named);
        add(changed, outcome.changed);
        ignored += outcome.ignored;
        trustCertsFrom = outcome.trustCertsFrom ?? trustCertsFrom;
        status = outcome.status;
        err = outcome.err;
        vars = { ...vars, ERR: err };
        say(input.successMessage);
      } finally {
        for (const release of releases) release();
      }
    } catch (error) {
      const failure = toProvisiondError(error);
      return { ok: false, changed: [...changed], ignored, error: failure, err: errText(failure), vars: { ...vars, ERR: errText(failure) }, messages, url, status, trustCertsFrom };
    }
  }
  return { ok: true, changed: [...changed], ignored, err, vars, messages, url, status, trustCertsFrom };
}

async function fetchAndApply(deps: RunDeps, input: RunInput, request: RuleRequest, named: NamedOrigins): Promise<{ changed: readonly string[]; ignored: number; err: string; status?: number; trustCertsFrom?: string }> {
  const credentials = async (challenge: CredentialContext): Promise<Credentials | undefined> => {
    const chosen = chooseCredentials({
      ruleUid: request.uid,
      rulePwd: request.pwd,
      account: input.account,
      accountEnabled: input.accountEnabled,
      originNamed: named.has(challenge.origin),
    });
    if (challenge.attempt > 0) input.onChallenge(ruleHasCredentials(request.uid, request.pwd));
    return chosen;
  };
  const fetchRequest = (url: string, method: 'GET' | 'POST', body?: Buffer, conditional = true): FetchRequest => ({
    url,
    method,
    body,
    conditional,
    operation: input.operation,
    credentials,
    allowCredentialsFor: (origin) => named.has(origin),
  });
  let result;
  try {
    result = await deps.source.fetch(fetchRequest(request.url, request.method, request.post === undefined ? undefined : Buffer.from(request.post.body)));
  } catch (error) {
    // DOMAIN §1.1: with Resync_Fails_On_FNF=No a file-not-found counts as success.
    if (error instanceof ProvisiondError && error.code === 'not_found' && !readBool((name) => deps.params.get(name), 'Resync_Fails_On_FNF')) {
      return { changed: [], ignored: 0, err: 'file not found', status: 404 };
    }
    throw error;
  }
  if (result.notModified) return { changed: [], ignored: 0, err: 'not modified', status: result.status };
  const finalUrl = result.url;
  // A `GET` include is always fetched whole: a 304 has no body, and bodies are never stored
  // (SPEC §3), yet an unchanged include still contributes its settings (SPEC §4).
  let includes = 0;
  const profile = await parseUpdates(result.body, deps.reading, {
    key: request.key,
    alias: request.alias,
    fetchRelated: async (file) => {
      includes++;
      return (await deps.source.fetch(fetchRequest(new URL(file, finalUrl).href, 'GET', undefined, false))).body;
    },
  });
  for (const line of profile.ignored) deps.logger.warning('settings script: SET ignored, invalid value', { parameter: line.name, reason: line.reason, url: finalUrl });
  for (const name of profile.userData) deps.logger.info('ignoring user data in a provisioned profile', { parameter: name, url: finalUrl });
  const changed = await deps.params.applyProvisioned(profile.updates, profile.access);
  // Only now do the validators stand for an applied profile (SPEC §4). A parent with includes
  // keeps none: its 304 would hide a changed include. A failed write costs one full download.
  await result.applied?.(includes === 0).catch((error: unknown) => deps.logger.warning(`conditional GET state not saved: ${toProvisiondError(error).message}`));
  const ignored = profile.ignored.length;
  const trustCerts = profile.updates.find((update) => canonicalName(update.name) === 'TRUSTCERTS');
  if (trustCerts === undefined) return { changed, ignored, err: 'ok', status: result.status };
  const setIn = profile.setIn?.get(trustCerts.name);
  return { changed, ignored, err: 'ok', status: result.status, trustCertsFrom: setIn === undefined ? finalUrl : new URL(setIn, finalUrl).href };
}

function add(target: Set<string>, names: readonly string[]): void {
  for (const name of names) target.add(name);
}

/** The origins the configured rules name (SPEC §5), compared the one way origins compare. */
class NamedOrigins {
  private readonly origins: Origin[] = [];

  add(origin: Origin): void {
    this.origins.push(origin);
  }

  has(origin: Origin): boolean {
    return this.origins.some((named) => named.equals(origin));
  }
}

/** `$ERR`: the error's message (never a secret, SPEC §6), prefixed by its stable code. */
function errText(error: ProvisiondError): string {
  return `${error.code}: ${error.message}`;
}
