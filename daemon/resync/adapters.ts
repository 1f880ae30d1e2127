/**
 * The real neighbours behind the engine's ports: the rule language (`daemon/rules`), the
 * schedule arithmetic (`daemon/schedule`) and the HTTP fetcher (`daemon/http`), plus TFTP
 * through a function the controller passes.
 */
import { ProvisiondError } from '../errors/index.js';
import type { FetchRequest as HttpRequest, FetchResult as HttpResult } from '../http/index.js';
import { parseProfile } from '../profiles/index.js';
import { evaluateExpression, evaluateRule, expandMessage } from '../rules/index.js';
import { delayMs, nextDailyResync, startupDelayMs } from '../schedule/index.js';
import type { ProfileParser, ProfileSource, RuleLanguage, ScheduleMath } from './ports.js';

export const rulesLanguage: RuleLanguage = {
  evaluate(rule, context) {
    const plan = evaluateRule(rule, context);
    const request = plan.request;
    if (request === undefined) return { skipped: plan.skipped, assignments: plan.assignments };
    return {
      skipped: plan.skipped,
      assignments: plan.assignments,
      request: { method: request.method, url: request.url, uid: request.uid, pwd: request.pwd, key: request.key, body: request.post?.body, alias: request.alias },
    };
  },
  expand: expandMessage,
  // The engine passes only configured triggers, so "no trigger" (undefined) cannot occur.
  condition: (expression, context) => evaluateExpression(expression, context) === true,
};

export const scheduleMath: ScheduleMath = {
  bootDelay: startupDelayMs,
  // `daemon/schedule` counts attempts from 1.
  listDelay: (value, name, attempt, random) => delayMs(value, name, attempt + 1, random),
  resyncAt: nextDailyResync,
};

/** Sends a request with the fetcher (`daemon/http` `Fetcher.fetch`). */
export type HttpFetch = (request: HttpRequest) => Promise<HttpResult>;
/** Reads a `tftp://host:port/path` URL (`daemon/tftp`). */
export type TftpGet = (url: string) => Promise<Buffer>;

export function profileSource(http: HttpFetch, tftp?: TftpGet): ProfileSource {
  return {
    async fetch(request) {
      if (request.url.startsWith('tftp:')) {
        if (tftp === undefined) throw new ProvisiondError('scheme_unsupported', 'TFTP is not available', { path: request.url });
        return { status: 200, body: await tftp(request.url), url: request.url, notModified: false };
      }
      const result = await http({
        url: request.url,
        method: request.method,
        ...(request.body !== undefined && { body: request.body }),
        operation: request.operation,
        credentials: request.credentials,
        allowCredentialsFor: request.allowCredentialsFor,
      });
      return { status: result.status, body: result.body, url: result.url, notModified: result.notModified };
    },
  };
}

/** Profile formats (`daemon/profiles`): `limits.profileBytes` caps every profile after its layers. */
/**
 * `variables` answers a settings script's `IF $NAME` (GROUP, MODEL, MODEL4, MACADDR,
 * SIG_IN_USE…, DOMAIN §3.1); without it such lines are ignored, as for an unknown name.
 */
export function profileParser(limits: { readonly profileBytes?: number } = {}, variables?: (name: string) => string | undefined): ProfileParser {
  return {
    async parse(body, options) {
      const parsed = await parseProfile(body, {
        limits,
        ...(variables !== undefined && { params: variables }),
        ...(options.key !== undefined && { key: options.key }),
        ...(options.alias !== undefined && { alias: options.alias }),
        // A script's `GET` of a missing file is `null` to the script language (DOMAIN §3.1).
        fetch: async (name) => options.fetchRelated(name).catch((error: unknown) => {
          if (error instanceof ProvisiondError && error.code === 'not_found') return null;
          throw error;
        }),
      });
      // An element carrying only `ua` changes only the access (SPEC §3), which the parameter
      // store does not hold: it changes no value.
      const updates = parsed.updates.flatMap((update) => (update.value === undefined ? [] : [{ name: update.name, value: update.value }]));
      return { format: parsed.format, updates };
    },
  };
}
