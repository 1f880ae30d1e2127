/**
 * TRUSTCERTS (SPEC §6, DOMAIN.md §3.2): the CA certificates a settings script names, downloaded
 * at the end of the resync that set the list and from then on trust anchors beside
 * `trust.anchorsDir`.
 *
 * Each name is resolved against the URL of the script that set the list (an absolute URL is
 * used as given) and fetched with the trust of the moment. A file is installed only when every
 * certificate in it is a CA (basicConstraints CA), within its validity, with an RSA, ECDSA or
 * Ed25519 key, all read with Node's `crypto.X509Certificate`; anything else is refused with a
 * reason (event and log) and the other names still install. A name that fails — download or
 * validation — keeps the copy installed before, if any: a server that is briefly down or a
 * file replaced by mistake does not take trust away. A name no longer listed is removed.
 *
 * The installed set is one file, `stateDir/trustcerts.json`, written durably (temp file,
 * fsync, rename, fsync of the directory): after a crash it is the old set or the new, whole.
 */
import { X509Certificate } from 'node:crypto';
import * as path from 'node:path';
import type { EventInput } from '../bus/index.js';
import { ProvisiondError, toProvisiondError } from '../errors/index.js';
import { readFileIfExists, removeStaleTemps, writeFileDurable, type FileSystem } from '../fsutil/index.js';
import type { FetchRequest, FetchResult } from '../http/index.js';
import type { Logger } from '../log/index.js';
import { certificateInfo, certificatesFromBytes, distinguishedName } from './certinfo.js';

export const TRUSTCERTS_FILE = 'trustcerts.json';
/** A CA file is a few kilobytes; a bundle of a dozen stays far below this. */
export const TRUSTCERTS_MAX_BYTES = 256 * 1024;
const KEY_TYPES = new Set(['rsa', 'rsa-pss', 'ec', 'ed25519']);

export interface InstalledTrustCert {
  /** The name as TRUSTCERTS lists it. */
  readonly name: string;
  /** Where it was downloaded from. */
  readonly url: string;
  /** The certificates of the file, PEM. */
  readonly pem: string;
}

export interface TrustCertsOptions {
  readonly stateDir: string;
  readonly fetch: (request: FetchRequest) => Promise<FetchResult>;
  readonly emit: (event: EventInput) => void;
  readonly logger: Logger;
  /** Called after the installed set changed, with it (the owner rebuilds its trust store). */
  readonly onChange: (installed: readonly InstalledTrustCert[]) => Promise<void>;
  readonly files?: FileSystem;
}

export interface TrustCertsReport {
  readonly installed: readonly string[];
  readonly refused: readonly { readonly name: string; readonly code: string; readonly message: string }[];
  readonly removed: readonly string[];
}

export class TrustCerts {
  private readonly options: TrustCertsOptions;
  private readonly file: string;
  private installed: InstalledTrustCert[] = [];

  constructor(options: TrustCertsOptions) {
    this.options = options;
    this.file = path.join(options.stateDir, TRUSTCERTS_FILE);
  }

  /** Reads the installed set; an unreadable file is reported and treated as empty. */
  async load(): Promise<void> {
    // A power cut during an install leaves its temp file; nothing else would remove it.
    await removeStaleTemps(this.file, this.options.files);
    const data = await readFileIfExists(this.file, this.options.files);
    if (data === undefined) return;
    try {
      const parsed = JSON.parse(data.toString('utf8')) as { version?: unknown; certificates?: unknown };
      if (parsed.version !== 1 || !Array.isArray(parsed.certificates)) throw new Error('not version 1');
      this.installed = (parsed.certificates as InstalledTrustCert[]).filter((c) => typeof c.name === 'string' && typeof c.url === 'string' && typeof c.pem === 'string');
    } catch {
      this.options.logger.warning(`${TRUSTCERTS_FILE} cannot be read; no TRUSTCERTS certificate is trusted until the next resync sets the list`, { path: this.file });
    }
  }

  list(): readonly InstalledTrustCert[] {
    return this.installed;
  }

  /** The installed files as `loadTrustStore` takes them. */
  forTrustStore(): { name: string; data: Uint8Array }[] {
    return this.installed.map((c) => ({ name: c.name, data: Buffer.from(c.pem) }));
  }

  /** Makes the installed set match `value` (the TRUSTCERTS list) set by the script at `base`. */
  async sync(value: string, base: string): Promise<TrustCertsReport> {
    const names = [...new Set(value.split(',').map((name) => name.trim()).filter((name) => name !== ''))];
    const previous = new Map(this.installed.map((c) => [c.name, c]));
    const next: InstalledTrustCert[] = [];
    const installed: string[] = [];
    const refused: { name: string; code: string; message: string }[] = [];
    for (const name of names) {
      let url: string | undefined;
      try {
        url = resolveName(name, base);
        const result = await this.options.fetch({ url, operation: 'trustcerts', conditional: false, maxBytes: TRUSTCERTS_MAX_BYTES });
        const pem = validateCaFile(result.body, name, Date.now());
        next.push({ name, url: result.url, pem });
        if (previous.get(name)?.pem !== pem) {
          installed.push(name);
          // A bundle is told by its first certificate.
          const { subject, notAfter, fingerprint256 } = certificateInfo(pem);
          this.options.emit({ type: 'trustcerts.installed', name, url: result.url, subject, notAfter, fingerprint256 });
          this.options.logger.notice(`TRUSTCERTS ${name} installed`, { url: result.url, fingerprint256 });
        }
      } catch (error) {
        const failure = toProvisiondError(error, 'trustcerts_download_failed');
        const status = (error as { status?: number }).status;
        const kept = previous.get(name);
        if (kept !== undefined) next.push(kept);
        refused.push({ name, code: failure.code, message: failure.message });
        this.options.emit({ type: 'trustcerts.refused', name, ...(url !== undefined && { url }), code: failure.code, reason: failure.code, message: failure.message, ...(status !== undefined && { status }), kept: kept !== undefined });
        this.options.logger.warning(`TRUSTCERTS ${name} refused: ${failure.message}${kept ? ' (the copy installed before is kept)' : ''}`, { code: failure.code });
      }
    }
    const removed = [...previous.keys()].filter((name) => !names.includes(name));
    for (const name of removed) {
      this.options.emit({ type: 'trustcerts.removed', name, url: previous.get(name)!.url });
      this.options.logger.notice(`TRUSTCERTS ${name} removed: no longer listed`);
    }
    if (installed.length > 0 || removed.length > 0) {
      await writeFileDurable(this.file, JSON.stringify({ version: 1, certificates: next }, null, 2) + '\n', { files: this.options.files });
      this.installed = next;
      await this.options.onChange(next);
    }
    return { installed, refused, removed };
  }
}

/** Relative to the script's URL; an absolute URL as given (SPEC §6). */
function resolveName(name: string, base: string): string {
  try {
    return new URL(name, base).href;
  } catch (error) {
    throw new ProvisiondError('trustcerts_name_invalid', `${JSON.stringify(name.slice(0, 64))} is not a file name or URL`, { path: name.slice(0, 64) }, { cause: error });
  }
}

/**
 * A file of CA certificates, PEM (one or more) or DER (one), as PEM text; refuses anything
 * that is not a CA certificate fit to be an anchor now.
 */
export function validateCaFile(data: Uint8Array, name: string, now: number): string {
  if (data.length === 0) throw new ProvisiondError('trustcerts_not_ca', `${name} is empty, not a CA certificate`, { path: name });
  const pems = certificatesFromBytes(data, name);
  for (const pem of pems) {
    const cert = new X509Certificate(pem);
    const subject = distinguishedName(cert.subject);
    if (!cert.ca) throw new ProvisiondError('trustcerts_not_ca', `${name} is not a CA certificate (${subject}: basicConstraints CA is not set)`, { path: name });
    if (now < Date.parse(cert.validFrom)) throw new ProvisiondError('trustcerts_not_yet_valid', `${name} (${subject}) is not valid before ${new Date(cert.validFrom).toISOString()}`, { path: name });
    if (now > Date.parse(cert.validTo)) throw new ProvisiondError('trustcerts_expired', `${name} (${subject}) expired ${new Date(cert.validTo).toISOString()}`, { path: name });
    const keyType = String(cert.publicKey.asymmetricKeyType);
    if (!KEY_TYPES.has(keyType)) throw new ProvisiondError('trustcerts_key_unsupported', `${name} (${subject}) has a ${keyType} key; RSA, ECDSA or Ed25519 only`, { path: name });
  }
  return pems.map((pem) => pem.trim() + '\n').join('');
}
