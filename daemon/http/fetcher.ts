/**
 * The fetcher every resync, backup, restore and TRUSTCERTS download goes through (SPEC §4–6): status handling as DOMAIN.md §1.12, Basic/Digest with at most two answered
 * challenges per request, pre-emptive Digest and conditional GET, redirects that never carry
 * auth state to another origin, and auth events without secrets.
 */
import { retryAfterMs } from './retry-after.js';
import { randomBytes } from 'node:crypto';
import type * as tls from 'node:tls';
import type { EventInput, JsonValue } from '../bus/events.js';
import { systemClock, type Clock } from '../clock/index.js';
import { ProvisiondError, type ErrorCode } from '../errors/index.js';
import type { FileSystem } from '../fsutil/index.js';
import { Redactor } from '../log/index.js';
import { Origin } from '../origin/index.js';
import { DigestCache, nextNonce } from './auth.js';
import { basicAuthorization } from './basic.js';
import { parseChallenges } from './challenge.js';
import { digestAuthorization, strongestDigest, type DigestChallenge } from './digest.js';
import { FetchError } from './errors.js';
import { DEFAULT_TIMEOUTS, Transport, type ExchangeResult, type Timeouts } from './transport.js';
import { displayUrl, requestTarget } from './url.js';
import { ValidatorStore } from './validators.js';

export type Method = 'GET' | 'PUT' | 'POST' | 'DELETE';
export type CredentialSource = 'rule' | 'profile-account' | 'stored' | 'prompt' | 'callserver';

export interface Credentials {
  readonly username: string;
  readonly password: string;
  readonly source: CredentialSource;
}

export interface CredentialContext {
  readonly origin: Origin;
  readonly realm: string;
  readonly scheme: 'Basic' | 'Digest';
  /** 0: a pre-emptive answer (must not prompt); 1 or 2: answering a challenge. */
  readonly attempt: number;
  /** The previous answer to this request was refused (not a stale nonce). */
  readonly previousRejected: boolean;
}

export type CredentialsCallback = (context: CredentialContext) => Promise<Credentials | undefined>;

export interface FetchRequest {
  readonly url: string;
  readonly method?: Method;
  /** A Buffer is replayable: the same bytes are sent again on an auth retry or redirect. */
  readonly body?: Buffer;
  readonly headers?: Readonly<Record<string, string>>;
  /** SPEC §8 `operation` of the auth events (`resync`, `backup`, …). */
  readonly operation: string;
  readonly credentials?: CredentialsCallback;
  /** Origins that may receive credentials; default: only the request's own origin. */
  readonly allowCredentialsFor?: (origin: Origin) => boolean;
  /** Sent as Basic on every https request to the request's origin (Avaya call-server credential, DOMAIN.md §3.4). */
  readonly preemptiveBasic?: Credentials;
  /** Conditional GET with the stored validators (default: true for GET when a state dir is set). */
  readonly conditional?: boolean;
  readonly maxBytes?: number;
  /** TLS policy for this request (default: the fetcher's). */
  readonly tls?: (origin: Origin) => tls.ConnectionOptions;
  /** Abandons the fetch with `aborted` (daemon shutdown). */
  readonly signal?: AbortSignal;
}

export interface FetchResult {
  readonly status: number;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly body: Buffer;
  /** Final URL after redirects. */
  readonly url: string;
  /** 304: the stored copy is current; `body` is empty. */
  readonly notModified: boolean;
  /** HTTP exchanges this fetch took (redirects and auth retries included). */
  readonly requests: number;
  readonly redirects: number;
  /**
   * Present on a full 2xx answer to a conditional GET. Validators belong to an applied
   * profile (SPEC §4): the caller calls this once the body has been applied, so that a
   * rejected, undecryptable or unparsable body is fetched whole again next time. With
   * `reusable` false the validators are forgotten instead: the body alone does not stand for
   * what was applied (a settings script whose `GET` includes may change on their own).
   */
  readonly applied?: (reusable?: boolean) => Promise<void>;
}

export interface FetcherOptions {
  /** e.g. `userAgent({ model, version, mac })`. */
  readonly userAgent: string;
  /** Where `http-validators.json` lives; omitted: no conditional GET. */
  readonly stateDir?: string;
  /** The state directory's filesystem (default: node:fs). */
  readonly files?: FileSystem;
  /** TLS options per origin, usually `tlsConnectionOptions(trustStore, { checkName })`. */
  readonly tls?: (origin: Origin) => tls.ConnectionOptions;
  readonly timeouts?: Partial<Timeouts>;
  /** Default body cap (SPEC §2 `limits.profileBytes`, 4 MiB). */
  readonly maxBytes?: number;
  readonly onEvent?: (event: EventInput) => void;
  /**
   * The total deadline bounds real sockets, as the transport's phase timers do: it is measured
   * on monotonic time (default: the system's), which a wall-clock jump mid-fetch cannot move.
   */
  readonly clock?: Pick<Clock, 'monotonic'>;
  /**
   * The phone's wall clock (the daemon's injected clock; default: the system's), read only to
   * place a `Retry-After` HTTP-date when the response has no usable `Date` of its own.
   */
  readonly wallClock?: Pick<Clock, 'now'>;
  readonly random?: (bytes: number) => Buffer;
  /** Where passwords and Basic headers are registered for redaction (default: the daemon's). */
  readonly redactor?: Redactor;
}

/** The phones' User-Agent shape: `Cisco-CP-8841-3PCC/11.0 (00562b043615)` (DOMAIN.md §1.12). */
export function userAgent(device: { model: string; version: string; mac: string }): string {
  return `${device.model}/${device.version} (${device.mac.replace(/[^0-9a-fA-F]/g, '').toLowerCase()})`;
}

const MAX_REDIRECTS = 5;
const MAX_ANSWERS = 2;
const REDIRECTS = new Set([301, 302, 303, 307, 308]);

interface Hop {
  url: URL;
  origin: Origin;
  method: Method;
  body: Buffer | undefined;
  /** Whether credentials and auth state may be used on this hop. */
  authAllowed: boolean;
}

export class Fetcher {
  private readonly options: FetcherOptions;
  private readonly transport: Transport;
  private readonly digests: DigestCache;
  private readonly validators: ValidatorStore | undefined;
  private readonly timeouts: Timeouts;
  private readonly now: () => number;
  private readonly redactor: Redactor;

  constructor(options: FetcherOptions) {
    this.options = options;
    this.redactor = options.redactor ?? new Redactor();
    const clock = options.clock ?? systemClock;
    this.now = () => clock.monotonic();
    this.transport = new Transport(this.now);
    const random = options.random ?? randomBytes;
    this.digests = new DigestCache(() => random(12).toString('base64'));
    this.validators = options.stateDir === undefined ? undefined : new ValidatorStore(options.stateDir, options.files);
    this.timeouts = { ...DEFAULT_TIMEOUTS, ...options.timeouts };
  }

  /** Drops kept-alive connections and TLS sessions (after a trust change, at shutdown). */
  close(): void {
    this.transport.close();
  }

  /** Forgets the Digest state of an origin (its credentials changed). */
  forgetAuth(origin: Origin): void {
    this.digests.forget(origin);
  }

  async fetch(request: FetchRequest): Promise<FetchResult> {
    const first = parseUrl(request.url);
    const firstOrigin = Origin.of(first);
    const allow = request.allowCredentialsFor ?? ((origin: Origin) => origin.equals(firstOrigin));
    const method = request.method ?? 'GET';
    const deadline = this.now() + this.timeouts.totalMs;
    const conditional = this.validators !== undefined && method === 'GET' && request.conditional !== false;
    const stored = conditional ? await this.validators.get(first.href) : undefined;
    const counter = { requests: 0 };
    let hop: Hop = { url: first, origin: firstOrigin, method, body: request.body, authAllowed: allow(firstOrigin) };
    const headers: Record<string, string> = { 'user-agent': this.options.userAgent, accept: '*/*', ...request.headers };
    if (stored?.etag !== undefined) headers['if-none-match'] = stored.etag;
    if (stored?.lastModified !== undefined) headers['if-modified-since'] = stored.lastModified;
    let redirects = 0;
    let response = await this.authenticated(request, hop, headers, deadline, counter);
    while (REDIRECTS.has(response.status) && response.headers.location !== undefined) {
      if (redirects === MAX_REDIRECTS) throw new FetchError('redirect_loop', `more than ${MAX_REDIRECTS} redirects from ${displayUrl(first)}`, displayUrl(hop.url));
      hop = this.follow(hop, response.status, response.headers.location, firstOrigin);
      redirects++;
      response = await this.authenticated(request, hop, headers, deadline, counter);
    }
    return this.complete(response, hop.url, conditional ? first.href : undefined, stored !== undefined, counter.requests, redirects);
  }

  /** DOMAIN.md §1.12 status classes; a full 2xx answer offers its validators to the caller. */
  private async complete(response: ExchangeResult, url: URL, validatorKey: string | undefined, sentValidators: boolean, requests: number, redirects: number): Promise<FetchResult> {
    const shown = displayUrl(url);
    const result = { status: response.status, headers: response.headers, body: response.body, url: shown, requests, redirects };
    if (response.status === 304 && sentValidators) return { ...result, notModified: true };
    if (response.status === 404) throw new FetchError('not_found', `${shown} was not found (404)`, shown, { status: 404 });
    if (response.status < 200 || response.status > 299) {
      // 503 and 429 may say when to come back (RFC 9110 §10.2.3, RFC 6585 §4); the resync honours it.
      // An HTTP-date counts from the response's own Date: the phone's clock may be 1970.
      const retryAfter = retryAfterMs(response.headers['retry-after'], (this.options.wallClock ?? systemClock).now(), response.headers.date);
      throw new FetchError('http_status', `${shown} answered ${response.status}`, shown, { status: response.status, retryAfterMs: retryAfter });
    }
    if (validatorKey === undefined) return { ...result, notModified: false };
    const validators = { etag: response.headers.etag, lastModified: response.headers['last-modified'] };
    const store = this.validators!;
    return { ...result, notModified: false, applied: async (reusable = true) => store.set(validatorKey, reusable ? validators : {}) };
  }

  /** SPEC §4: never https → http; on an origin change no credential and no auth state, for good. */
  private follow(hop: Hop, status: number, location: string, firstOrigin: Origin): Hop {
    const shown = displayUrl(hop.url);
    let next: URL;
    try {
      next = new URL(location, hop.url);
    } catch {
      throw new FetchError('redirect_invalid', `${shown} redirected to an invalid location`, shown, { status });
    }
    // Userinfo in a Location never introduces or selects credentials (curl tests 899, 2208).
    next.username = '';
    next.password = '';
    if (next.protocol !== 'http:' && next.protocol !== 'https:') throw new FetchError('redirect_invalid', `${shown} redirected to an unsupported scheme ${next.protocol}`, shown, { status });
    if (hop.url.protocol === 'https:' && next.protocol === 'http:') throw new FetchError('redirect_downgrade', `${shown} redirected from https to http`, shown, { status });
    const toGet = status === 303 || ((status === 301 || status === 302) && hop.method === 'POST');
    const origin = Origin.of(next);
    const sameOrigin = origin.equals(hop.origin) && origin.equals(firstOrigin);
    // 307/308 keep the method and body (RFC 9110 §15.4.8): a PUT of the user's backup or a
    // POST body must not follow to a server the request was never meant for.
    if (!toGet && hop.body !== undefined && hop.body.length > 0 && !sameOrigin) {
      throw new FetchError('redirect_body_cross_origin', `${shown} redirected a ${hop.method} with a body to another origin (${String(origin)}); not sent`, shown, { status });
    }
    return { url: next, origin, method: toGet ? 'GET' : hop.method, body: toGet ? undefined : hop.body, authAllowed: hop.authAllowed && sameOrigin };
  }

  /** Every password and Basic header we send is redacted from logs and events (SPEC §6). */
  private remember(secret: string): void {
    if (!this.redactor.has(secret)) this.redactor.add(secret);
  }

  private basic(credentials: Credentials): string {
    const header = basicAuthorization(credentials.username, credentials.password);
    this.remember(credentials.password);
    this.remember(header.slice('Basic '.length));
    return header;
  }

  /** One URL: pre-emptive auth, then up to two answered challenges (DOMAIN.md §1.12). */
  private async authenticated(request: FetchRequest, hop: Hop, headers: Record<string, string>, deadline: number, counter: { requests: number }): Promise<ExchangeResult> {
    const { origin } = hop;
    const shown = displayUrl(hop.url);
    const event = (type: EventInput['type'], fields: Record<string, JsonValue | undefined>): void =>
      this.options.onEvent?.({ type, operation: request.operation, url: shown, ...fields });
    const tlsPolicy = hop.url.protocol === 'https:' ? (request.tls ?? this.options.tls)?.(origin) : undefined;
    const send = async (authorization: string | undefined): Promise<ExchangeResult> => {
      counter.requests++;
      try {
        return await this.transport.exchange({
          url: hop.url,
          origin,
          method: hop.method,
          headers: authorization === undefined ? headers : { ...headers, authorization },
          body: hop.body,
          maxBytes: request.maxBytes ?? this.options.maxBytes ?? 4 * 1024 * 1024,
          timeouts: this.timeouts,
          deadline,
          tls: tlsPolicy,
          signal: request.signal,
        });
      } catch (err) {
        const failure = err as FetchError;
        if (failure.tlsReason !== undefined) {
          event('tls.rejected', { reason: failure.tlsReason, subject: failure.certificate?.subject, issuer: failure.certificate?.issuer });
        }
        throw err;
      }
    };
    const digestAnswer = (challenge: DigestChallenge, credentials: Credentials): string => {
      this.remember(credentials.password);
      const session = this.digests.adopt(origin, challenge);
      session.nc++;
      return digestAuthorization({ challenge: session.challenge, username: credentials.username, password: credentials.password, method: hop.method, uri: requestTarget(hop.url), cnonce: session.cnonce, nc: session.nc, body: hop.body });
    };

    let authorization: string | undefined;
    let used: { credentials: Credentials; scheme: 'Basic' | 'Digest'; realm: string; algorithm?: string } | undefined;
    if (hop.authAllowed && request.preemptiveBasic !== undefined && hop.url.protocol === 'https:') {
      const credentials = request.preemptiveBasic;
      authorization = this.basic(credentials);
      used = { credentials, scheme: 'Basic', realm: '' };
    } else if (hop.authAllowed && request.credentials !== undefined && this.digests.get(origin) !== undefined) {
      const session = this.digests.get(origin)!;
      const credentials = await request.credentials({ origin, realm: session.challenge.realm, scheme: 'Digest', attempt: 0, previousRejected: false });
      if (credentials !== undefined) {
        authorization = digestAnswer(session.challenge, credentials);
        used = { credentials, scheme: 'Digest', realm: session.challenge.realm, algorithm: algorithmName(session.challenge) };
      }
    }

    // A refused pre-emptive answer is not a rejection (SPEC §4: it does not count): the
    // nonce may be gone (server restart) or the server wants other credentials.
    let preemptive = authorization !== undefined;
    for (let answered = 0; ; answered++) {
      const response = await send(authorization);
      if (response.status !== 401) {
        if (used?.scheme === 'Digest') {
          const next = nextNonce(response.headers['authentication-info'] as string | undefined);
          if (next !== undefined) this.digests.rotate(origin, next);
        }
        if (used !== undefined && answered > 0) event('auth.success', { realm: used.realm, scheme: used.scheme, algorithm: used.algorithm, source: used.credentials.source });
        return response;
      }
      const header = response.headers['www-authenticate'];
      const challenges = parseChallenges(header === undefined ? [] : [header]);
      const digest = strongestDigest(challenges);
      const basic = challenges.find((c) => c.scheme === 'basic');
      if (digest === undefined && basic === undefined) {
        throw new FetchError('auth_unsupported', `${shown} asks for authentication without a Basic or supported Digest challenge`, shown, { status: 401 });
      }
      const scheme = digest !== undefined ? 'Digest' : 'Basic';
      const realm = digest?.realm ?? basic!.params.get('realm') ?? '';
      const algorithm = digest === undefined ? undefined : algorithmName(digest);
      // `source`: where the credentials this request carried came from (`none` for a first try).
      event('auth.challenge', { realm, scheme, algorithm, source: used?.credentials.source ?? 'none' });
      const failure = (code: ErrorCode, reason: string, message: string): FetchError => {
        event('auth.failure', { reason, realm, scheme, algorithm, source: used?.credentials.source ?? 'none' });
        return new FetchError(code, message, shown, { status: 401 });
      };
      if (!hop.authAllowed || request.credentials === undefined) {
        throw failure('no_credentials', 'no-credentials', `${shown} asks for credentials and none may be sent to ${String(origin)}`);
      }
      // A stale nonce is not a rejection: retry silently with the same credentials (RFC 7616 §3.3).
      const stale = digest?.stale === true && used?.scheme === 'Digest';
      if (answered === MAX_ANSWERS) {
        throw stale
          ? failure('auth_retries_exhausted', 'retries-exhausted', `${shown} still refused after ${MAX_ANSWERS} answered challenges`)
          : failure('auth_rejected', 'rejected', `${shown} refused the credentials`);
      }
      const previousRejected = used !== undefined && !stale && !preemptive;
      const credentials = stale ? used!.credentials : await request.credentials({ origin, realm, scheme, attempt: answered + 1, previousRejected });
      if (credentials === undefined) {
        throw previousRejected ? failure('auth_rejected', 'rejected', `${shown} refused the credentials`) : failure('no_credentials', 'no-credentials', `no credentials for ${String(origin)} realm "${realm}"`);
      }
      // The same refused credentials again would only be refused again (curl's loop guard).
      if (previousRejected && sameCredentials(credentials, used!.credentials) && used!.realm === realm && used!.scheme === scheme) {
        throw failure('auth_rejected', 'rejected', `${shown} refused the credentials`);
      }
      authorization = digest !== undefined ? digestAnswer(digest, credentials) : this.basic(credentials);
      used = { credentials, scheme, realm, algorithm };
      preemptive = false;
    }
  }
}

function algorithmName(challenge: DigestChallenge): string {
  return challenge.hash + (challenge.sess ? '-sess' : '');
}

function sameCredentials(a: Credentials, b: Credentials): boolean {
  return a.username === b.username && a.password === b.password;
}

function parseUrl(text: string): URL {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new ProvisiondError('url_invalid', 'the URL cannot be parsed');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new ProvisiondError('url_invalid', `the fetcher speaks http and https, not ${url.protocol}`, { path: displayUrl(url) });
  return url;
}
