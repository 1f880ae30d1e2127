/**
 * The configuration report (DOMAIN §1.10): `Report_Rule`, a rule like `Profile_Rule`, names
 * where the XML of every parameter goes; `--key` encrypts it as `openssl enc -aes-256-cbc`
 * does. HTTP and HTTPS upload it by POST through the resync's fetcher, with the resync's
 * credential choice (`chooseCredentials`) and TLS policy; one attempt, no retries. TFTP PUT is
 * not built: a `tftp://` report fails with `scheme_unsupported`.
 *
 * When: on demand (`report()`), and per `Report_to_Server`: `Periodically` every
 * `Periodic_Upload_to_Server` seconds, `On Local Change` after a local `set`.
 */
import type { DaemonBus } from '../bus/index.js';
import { MAX_TIMER_MS, systemClock, type Clock } from '../clock/index.js';
import { ProvisiondError, toProvisiondError } from '../errors/index.js';
import { FetchError, type CredentialContext, type Credentials, type FetchRequest, type FetchResult } from '../http/index.js';
import type { Logger } from '../log/index.js';
import { readEnum, readInt, readText, type ParamStore } from '../params/index.js';
import { encryptProfile } from '../profiles/index.js';
import { chooseCredentials, type RequestContext } from '../resync/index.js';
import { evaluateRule } from '../rules/index.js';
import { buildReport } from './xml.js';

export { buildReport } from './xml.js';

export type ReportTrigger = 'demand' | 'periodic' | 'local-change';

export interface ReportOptions {
  readonly params: Pick<ParamStore, 'get' | 'published' | 'onChange' | 'origin'>;
  readonly fetch: (request: FetchRequest) => Promise<FetchResult>;
  /** The resync engine's macros and Profile Account (`ResyncEngine.requestContext`). */
  readonly context: () => Promise<RequestContext>;
  readonly bus: DaemonBus;
  readonly logger: Logger;
  /** The daemon's clock: the period is measured on its monotonic time (default: the system's). */
  readonly clock?: Pick<Clock, 'monotonic' | 'setTimer' | 'clearTimer'>;
}

export interface ReportResult {
  readonly url: string;
  readonly status: number;
  readonly bytes: number;
  readonly encrypted: boolean;
}

export class ConfigurationReport {
  private cancel: (() => void) | undefined;
  private unsubscribe: (() => void) | undefined;

  private readonly options: ReportOptions;
  private readonly clock: Pick<Clock, 'monotonic' | 'setTimer' | 'clearTimer'>;

  constructor(options: ReportOptions) {
    this.options = options;
    this.clock = options.clock ?? systemClock;
  }

  /** Follows `Report_to_Server` until `stop()`; rearmed whenever a parameter changes. */
  start(): void {
    this.unsubscribe = this.options.params.onChange((changed) => this.changed(changed));
    this.arm();
  }

  stop(): void {
    this.unsubscribe?.();
    this.unsubscribe = undefined;
    this.cancel?.();
    this.cancel = undefined;
  }

  /** One upload of the report; `report.succeeded` or `report.failed`, and the failure rethrown. */
  async report(trigger: ReportTrigger = 'demand'): Promise<ReportResult> {
    let url: string | undefined;
    try {
      const { vars, account, accountEnabled } = await this.options.context();
      const rule = readText((name) => this.options.params.get(name), 'Report_Rule').trim();
      if (rule === '') throw new ProvisiondError('report_rule_unset', 'Report_Rule is empty: there is nowhere to send the configuration report', { path: 'Report_Rule' });
      const plan = evaluateRule(rule, { params: (name) => this.options.params.get(name), vars });
      const request = plan.request;
      if (request === undefined) throw new ProvisiondError('report_rule_unset', 'Report_Rule names no URL for this phone (no alternative applies)', { path: 'Report_Rule' });
      url = request.url;
      if (request.origin.scheme === 'tftp') throw new ProvisiondError('scheme_unsupported', 'a configuration report by TFTP PUT is not built; use an http or https Report_Rule', { path: request.url });
      const releases = [request.pwd, request.key].map((secret) => this.options.logger.redactor.add(secret));
      try {
        const xml = Buffer.from(buildReport(this.options.params.published()), 'utf8');
        const body = request.key === undefined ? xml : encryptProfile(xml, request.key);
        const credentials = (challenge: CredentialContext): Promise<Credentials | undefined> =>
          Promise.resolve(chooseCredentials({ ruleUid: request.uid, rulePwd: request.pwd, account, accountEnabled, originNamed: challenge.origin.equals(request.origin) }));
        const result = await this.options.fetch({
          url: request.url,
          method: 'POST',
          body,
          headers: { 'content-type': request.key === undefined ? 'application/xml' : 'application/octet-stream' },
          conditional: false,
          operation: 'report',
          credentials,
          // As for a resync (SPEC §5): the account goes only to the origin the rule names.
          allowCredentialsFor: (origin) => origin.equals(request.origin),
        });
        const outcome = { url: result.url, status: result.status, bytes: body.length, encrypted: request.key !== undefined };
        this.options.logger.info('configuration report uploaded', { url: result.url, status: result.status, bytes: body.length });
        this.options.bus.emit('event', { type: 'report.succeeded', ...outcome, trigger });
        return outcome;
      } finally {
        for (const release of releases) release();
      }
    } catch (error) {
      const failure = toProvisiondError(error);
      const status = failure instanceof FetchError ? failure.status : undefined;
      this.options.logger.warning(`configuration report failed: ${failure.message}`, { code: failure.code });
      this.options.bus.emit('event', { type: 'report.failed', code: failure.code, message: failure.message, reason: failure.code, trigger, ...(url === undefined ? {} : { url }), ...(status === undefined ? {} : { status }) });
      throw failure;
    }
  }

  private changed(changed: readonly string[]): void {
    if (changed.some((name) => name === 'Report_to_Server' || name === 'Periodic_Upload_to_Server')) this.arm();
    if (this.mode() !== 'On Local Change') return;
    // Only the administrator's or user's own changes are "local" (DOMAIN §1.10); a profile's are not.
    if (changed.some((name) => this.options.params.origin(name) === 'local')) this.launch('local-change');
  }

  private mode(): string {
    return readEnum((name) => this.options.params.get(name), 'Report_to_Server');
  }

  private arm(): void {
    this.cancel?.();
    this.cancel = undefined;
    if (this.mode() !== 'Periodically') return;
    const seconds = readInt((name) => this.options.params.get(name), 'Periodic_Upload_to_Server');
    this.wait(this.clock.monotonic() + seconds * 1000);
  }

  /** Node timers hold at most 2^31-1 ms (24.8 days) and the period may be 30 days: wait in steps. */
  private wait(due: number): void {
    const clock = this.clock;
    const handle = clock.setTimer(() => {
      if (clock.monotonic() < due) return this.wait(due);
      this.launch('periodic');
      this.arm();
    }, Math.min(Math.max(due - clock.monotonic(), 0), MAX_TIMER_MS));
    this.cancel = () => clock.clearTimer(handle);
  }

  /** A report nobody awaits: its failure is already logged and emitted. */
  private launch(trigger: ReportTrigger): void {
    void this.report(trigger).catch(() => undefined);
  }
}
