/**
 * One HTTP/1.1 exchange over `node:http`/`node:https` (the thin edge under the fetcher):
 * keep-alive agents per origin (TLS sessions are cached by the https agent and resumed),
 * timeouts per phase (connect, handshake, headers, idle) under an overall deadline, a body
 * cap, and every failure turned into a typed `FetchError`. Auth, redirects and status
 * handling live in fetcher.ts.
 */
import * as http from 'node:http';
import * as https from 'node:https';
import type * as tls from 'node:tls';
import { TLSSocket } from 'node:tls';
import type { Socket } from 'node:net';
import type { Origin } from '../origin/index.js';
import { peerCertificateInfo, tlsReason, type CertificateInfo } from '../tls/index.js';
import { FetchError } from './errors.js';
import { displayUrl, requestTarget } from './url.js';

export interface Timeouts {
  /** TCP connection established. */
  readonly connectMs: number;
  /** TLS handshake finished (https only). */
  readonly handshakeMs: number;
  /** Response headers received after the request was written. */
  readonly headersMs: number;
  /** Longest silence while the body arrives. */
  readonly idleMs: number;
  /** Everything, redirects and auth retries included (enforced through `deadline`). */
  readonly totalMs: number;
}

export const DEFAULT_TIMEOUTS: Timeouts = { connectMs: 10_000, handshakeMs: 10_000, headersMs: 30_000, idleMs: 30_000, totalMs: 120_000 };

export interface Exchange {
  readonly url: URL;
  /** The origin of `url`: one keep-alive agent per origin. */
  readonly origin: Origin;
  readonly method: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body?: Buffer;
  readonly maxBytes: number;
  readonly timeouts: Timeouts;
  /** Absolute time (ms, `now()` clock) by which everything must be done. */
  readonly deadline: number;
  /** Abandons the exchange (daemon shutdown, SPEC §9). */
  readonly signal?: AbortSignal;
  /** TLS options for https origins (ca, rejectUnauthorized, checkServerIdentity…); none: trust nothing. */
  readonly tls?: tls.ConnectionOptions;
}

export interface ExchangeResult {
  readonly status: number;
  readonly headers: http.IncomingHttpHeaders;
  readonly body: Buffer;
}

/** Without a TLS policy an https origin is trusted by nothing (never Node's bundled roots: SPEC §6). */
const TRUST_NOTHING: tls.ConnectionOptions = { ca: [], rejectUnauthorized: true, minVersion: 'TLSv1.2' };

/** Origins whose keep-alive agent (idle sockets, TLS sessions) is kept: the provisioning server and a few redirect targets. */
export const MAX_AGENTS = 8;

const IDEMPOTENT = new Set(['GET', 'HEAD', 'PUT', 'DELETE', 'OPTIONS']);

type Phase = 'connect' | 'handshake' | 'headers' | 'idle';

/**
 * Closes an agent's idle sockets and lets a request still in flight on it finish: with no free
 * slot left, the agent closes each socket as its response ends instead of keeping it.
 */
function retire(agent: http.Agent): void {
  agent.maxFreeSockets = 0;
  for (const name of Object.keys(agent.freeSockets)) for (const socket of agent.freeSockets[name]!) socket.destroy();
}

export class Transport {
  private readonly agents = new Map<string, { agent: http.Agent; tls: tls.ConnectionOptions }>();
  private readonly now: () => number;

  constructor(now: () => number) {
    this.now = now;
  }

  /** Closes idle keep-alive connections and forgets TLS sessions. */
  close(): void {
    for (const { agent } of this.agents.values()) agent.destroy();
    this.agents.clear();
  }

  private agentFor(url: URL, origin: Origin, tlsOptions: tls.ConnectionOptions = TRUST_NOTHING): http.Agent {
    const key = String(origin);
    const known = this.agents.get(key);
    // New trust (another options object) means new connections: never reuse a socket or
    // session that was verified against anchors we no longer hold.
    if (known && sameOptions(known.tls, tlsOptions)) {
      // Most recently used last, so the eviction below drops the one unused longest.
      this.agents.delete(key);
      this.agents.set(key, known);
      return known.agent;
    }
    known?.agent.destroy();
    this.agents.delete(key);
    const common = { keepAlive: true, maxSockets: 4, maxFreeSockets: 2 };
    const agent = url.protocol === 'https:' ? new https.Agent({ ...common, ...tlsOptions }) : new http.Agent(common);
    this.agents.set(key, { agent, tls: tlsOptions });
    // Redirect targets are chosen by servers: without a bound every origin ever named would
    // keep its agent and idle sockets (file descriptors) for the daemon's lifetime.
    while (this.agents.size > MAX_AGENTS) {
      const [oldest, entry] = this.agents.entries().next().value!;
      retire(entry.agent);
      this.agents.delete(oldest);
    }
    return agent;
  }

  async exchange(request: Exchange): Promise<ExchangeResult> {
    try {
      return await this.once(request);
    } catch (err) {
      // A kept-alive socket the server closed meanwhile: resend once on a fresh one — only an
      // idempotent request (RFC 9110 §9.2.2): the server may have acted on a POST already.
      if (err instanceof FetchError && err.code === 'connection_reused_closed' && IDEMPOTENT.has(request.method)) return this.once(request);
      throw err;
    }
  }

  private once(request: Exchange): Promise<ExchangeResult> {
    const { url } = request;
    const shown = displayUrl(url);
    const isHttps = url.protocol === 'https:';
    return new Promise<ExchangeResult>((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined;
      let peer: CertificateInfo | undefined;
      let connected = false;
      let secured = !isHttps;
      let settled = false;
      const finish = (err: Error | undefined, result?: ExchangeResult): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        request.signal?.removeEventListener('abort', abort);
        if (err) reject(err);
        else resolve(result!);
      };
      const fail = (err: FetchError): void => {
        finish(err);
        // Without an error argument: ours is already reported, and an error passed to
        // destroy() can surface on the socket after the response listeners are gone.
        req.destroy();
      };
      const arm = (phase: Phase): void => {
        clearTimeout(timer);
        const left = request.deadline - this.now();
        const limit = Math.min(request.timeouts[`${phase}Ms`], left);
        const which = limit === left ? 'total' : phase;
        timer = setTimeout(() => fail(new FetchError('timeout', `${which} timeout after ${Math.max(0, limit)} ms fetching ${shown}`, shown)), Math.max(0, limit));
      };

      const abort = (): void => fail(new FetchError('aborted', `fetching ${shown} was abandoned`, shown));
      const req = (isHttps ? https : http).request({
        protocol: url.protocol,
        hostname: url.hostname.replace(/^\[|\]$/g, ''),
        port: url.port,
        path: requestTarget(url),
        method: request.method,
        headers: { ...request.headers, 'content-length': String(request.body?.length ?? 0) },
        agent: this.agentFor(url, request.origin, request.tls),
      });

      req.on('socket', (socket: Socket) => {
        // A kept-alive socket was verified when it connected; its 'secure' never fires again,
        // so a listener added for it would stay on the socket for as long as it is kept.
        if (!socket.connecting) {
          connected = secured = true;
          arm('headers');
          return;
        }
        if (socket instanceof TLSSocket) {
          // 'secure' fires before Node verifies the peer, so the certificate can be reported
          // even when it is then rejected (SPEC §8 tls.rejected carries subject and issuer).
          // Nothing here may throw: an exception in a socket listener is an uncaught one.
          socket.prependOnceListener('secure', () => {
            peer = peerCertificateInfo(socket.getPeerCertificate().raw);
          });
        }
        arm('connect');
        socket.once('connect', () => {
          connected = true;
          arm(isHttps ? 'handshake' : 'headers');
        });
        socket.once('secureConnect', () => {
          secured = true;
          arm('headers');
        });
      });

      req.on('response', (res: http.IncomingMessage) => {
        // First: a destroyed request (cap, timeout) also errors its response.
        res.on('error', (err) => finish(new FetchError('network_error', `the connection closed before the whole body of ${shown} arrived`, shown, { cause: err })));
        const declared = Number(res.headers['content-length'] ?? 0);
        if (declared > request.maxBytes) {
          fail(tooLarge(shown, request.maxBytes));
          return;
        }
        const chunks: Buffer[] = [];
        let size = 0;
        arm('idle');
        res.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > request.maxBytes) {
            fail(tooLarge(shown, request.maxBytes));
            return;
          }
          chunks.push(chunk);
          arm('idle');
        });
        res.on('end', () => finish(undefined, { status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks) }));
      });

      req.on('error', (err: NodeJS.ErrnoException) => {
        if (settled) return;
        const code = err.code;
        if (connected && !secured) {
          const reason = tlsReason(code, err.message);
          finish(new FetchError(`tls_${reason}`, `TLS with ${String(request.origin)} failed: ${reason} (${err.message})`, shown, { tlsReason: reason, certificate: peer, cause: err }));
        } else if (req.reusedSocket && code === 'ECONNRESET') {
          finish(new FetchError('connection_reused_closed', `a kept-alive connection to ${String(request.origin)} was closed`, shown, { cause: err }));
        } else {
          finish(new FetchError('network_error', `cannot fetch ${shown}: ${err.message}`, shown, { cause: err }));
        }
      });

      request.signal?.addEventListener('abort', abort, { once: true });
      req.end(request.body);
      if (request.signal?.aborted) abort();
    });
  }
}

/** Equal TLS policies (the caller may build a new options object per request). */
function sameOptions(a: tls.ConnectionOptions, b: tls.ConnectionOptions): boolean {
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  return [...keys].every((key) => {
    const x = (a as Record<string, unknown>)[key];
    const y = (b as Record<string, unknown>)[key];
    return x === y || (Array.isArray(x) && Array.isArray(y) && x.length === y.length && x.every((item, i) => item === y[i]));
  });
}

function tooLarge(shown: string, max: number): FetchError {
  return new FetchError('body_too_large', `the body of ${shown} is larger than ${max} bytes`, shown);
}
