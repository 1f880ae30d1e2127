/**
 * The trust store (SPEC §6): anchors are exactly the files of `trust.anchorsDir` plus the
 * installed TRUSTCERTS, optionally the system store; Node's TLS decides with them. The
 * connection options set `rejectUnauthorized: true` explicitly, because an unset option
 * yields to an environment that turns Node's certificate checks off (RELIABILITY.md §4.2).
 */
import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import * as tls from 'node:tls';
import { ProvisiondError } from '../errors/index.js';
import { certificateInfo, certificatesFromBytes, type CertificateInfo } from './certinfo.js';

export interface TrustSource {
  /** Directory of PEM or DER files (SPEC §2 `trust.anchorsDir`); a missing directory is empty. */
  readonly anchorsDir?: string;
  /** Downloaded TRUSTCERTS certificates, PEM or DER, with a name for messages. */
  readonly trustCerts?: readonly { readonly name: string; readonly data: Uint8Array }[];
  readonly useSystemStore?: boolean;
}

export interface TrustedCertificate extends CertificateInfo {
  readonly origin: 'anchor' | 'trustcerts';
  readonly source: string;
}

export interface TrustStore {
  /** PEM certificates for the `ca` option (system roots included when asked). */
  readonly ca: readonly string[];
  readonly certificates: readonly TrustedCertificate[];
  /** Files that could not be read as certificates (skipped, reported by the caller). */
  readonly problems: readonly ProvisiondError[];
  readonly hasTrustCerts: boolean;
}

export async function loadTrustStore(source: TrustSource): Promise<TrustStore> {
  const entries: { origin: TrustedCertificate['origin']; name: string; data: Uint8Array }[] = [];
  if (source.anchorsDir !== undefined) {
    const names = await fsp.readdir(source.anchorsDir).catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') return [] as string[];
      throw new ProvisiondError('trust_anchors_unreadable', `cannot read ${source.anchorsDir}: ${err.code}`, { path: source.anchorsDir }, { cause: err });
    });
    for (const name of names.sort()) {
      const file = path.join(source.anchorsDir, name);
      if ((await fsp.stat(file)).isFile()) entries.push({ origin: 'anchor', name: file, data: await fsp.readFile(file) });
    }
  }
  for (const cert of source.trustCerts ?? []) entries.push({ origin: 'trustcerts', ...cert });
  const ca: string[] = [];
  const certificates: TrustedCertificate[] = [];
  const problems: ProvisiondError[] = [];
  for (const entry of entries) {
    try {
      for (const pem of certificatesFromBytes(entry.data, entry.name)) {
        ca.push(pem);
        certificates.push({ ...certificateInfo(pem), origin: entry.origin, source: entry.name });
      }
    } catch (err) {
      problems.push(err as ProvisiondError);
    }
  }
  if (source.useSystemStore) ca.push(...tls.rootCertificates);
  return { ca, certificates, problems, hasTrustCerts: certificates.some((c) => c.origin === 'trustcerts') };
}

/**
 * `tls.connect` options for one server; certificate checks are always on (SPEC §6).
 * `checkName` is Avaya `TLSSRVRID`: true (1) checks the name or IP; false (0) only the chain.
 */
export function tlsConnectionOptions(store: TrustStore, policy: { readonly checkName: boolean }): tls.ConnectionOptions {
  return {
    ca: [...store.ca],
    rejectUnauthorized: true,
    minVersion: 'TLSv1.2',
    // Node calls checkServerIdentity only after OpenSSL trusted the chain, so with
    // TLSSRVRID=0 the chain is still verified; we only insist a certificate was presented.
    checkServerIdentity: policy.checkName ? tls.checkServerIdentity : chainOnly,
  };
}

function chainOnly(_host: string, cert: tls.PeerCertificate): Error | undefined {
  return cert.raw?.length ? undefined : new Error('the server presented no certificate');
}
