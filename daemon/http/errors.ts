/**
 * The fetcher's typed failures (STYLE.md §7). `FetchError` adds what a caller needs to act
 * without parsing messages: the HTTP status, or the TLS reason and the peer certificate.
 */
import { ProvisiondError, type ErrorCode } from '../errors/index.js';
import type { CertificateInfo, TlsReason } from '../tls/index.js';

export interface FetchErrorDetails {
  readonly status?: number;
  readonly tlsReason?: TlsReason;
  readonly certificate?: CertificateInfo;
  readonly cause?: unknown;
  /** What the server's `Retry-After` asked for (capped; see retry-after.ts). */
  readonly retryAfterMs?: number | undefined;
}

export class FetchError extends ProvisiondError {
  readonly status: number | undefined;
  readonly tlsReason: TlsReason | undefined;
  readonly certificate: CertificateInfo | undefined;
  readonly retryAfterMs: number | undefined;

  constructor(code: ErrorCode, message: string, url: string, details: FetchErrorDetails = {}) {
    super(code, message, { path: url }, { cause: details.cause });
    this.status = details.status;
    this.tlsReason = details.tlsReason;
    this.certificate = details.certificate;
    this.retryAfterMs = details.retryAfterMs;
  }
}
