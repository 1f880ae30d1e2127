/**
 * Reading certificates for reports (SPEC §6): PEM or DER in, subject, issuer, validity and
 * SHA-256 fingerprint out, through Node's `crypto.X509Certificate` (OpenSSL), which reads
 * every key type a server may present — RSA, ECDSA (P-256, P-384) and Ed25519. node-forge
 * reads RSA keys only, so it is kept for making the RSA test and demo PKI (pki.ts) and never
 * reads a certificate that came from outside. Trust decisions are never made here.
 */
import { X509Certificate } from 'node:crypto';
import { ProvisiondError } from '../errors/index.js';

export interface CertificateInfo {
  readonly subject: string;
  readonly issuer: string;
  readonly notBefore: string;
  readonly notAfter: string;
  /** Upper-case hex pairs joined by `:`, as `openssl x509 -fingerprint -sha256` prints. */
  readonly fingerprint256: string;
}

const PEM_BLOCK = /-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g;

/** Every certificate in a PEM text or one DER certificate, as PEM strings. */
export function certificatesFromBytes(data: Uint8Array, name: string): string[] {
  const text = Buffer.from(data).toString('latin1');
  if (text.includes('-----BEGIN ')) {
    const blocks = text.match(PEM_BLOCK) ?? [];
    if (blocks.length === 0) throw notACertificate(name);
    blocks.forEach((block) => read(block, name));
    return blocks;
  }
  return [read(Buffer.from(data), name).toString()];
}

function read(input: string | Buffer, name: string): X509Certificate {
  try {
    return new X509Certificate(input);
  } catch (err) {
    throw notACertificate(name, err);
  }
}

function notACertificate(name: string, cause?: unknown): ProvisiondError {
  return new ProvisiondError('trust_certificate_invalid', `${name} is not a PEM or DER X.509 certificate`, { path: name }, { cause });
}

/** OpenSSL prints one attribute per line (separators inside values escaped as `\,` and `\0A`). */
export function distinguishedName(multiline: string): string {
  return multiline.split('\n').join(', ');
}

function info(cert: X509Certificate): CertificateInfo {
  return {
    subject: distinguishedName(cert.subject),
    issuer: distinguishedName(cert.issuer),
    notBefore: new Date(cert.validFrom).toISOString(),
    notAfter: new Date(cert.validTo).toISOString(),
    fingerprint256: cert.fingerprint256,
  };
}

/** Info for one PEM certificate; anything unreadable is a typed `trust_certificate_invalid`. */
export function certificateInfo(pem: string): CertificateInfo {
  return info(read(pem, 'certificate'));
}

/** Info for a DER certificate as Node hands it over (`getPeerCertificate().raw`). */
export function certificateInfoFromDer(der: Uint8Array): CertificateInfo {
  return info(read(Buffer.from(der), 'peer certificate'));
}

/**
 * For socket listeners (the TLS `secure` event): the peer's info, or undefined for bytes
 * that are not a certificate — an exception there would escape as an uncaught one.
 */
export function peerCertificateInfo(der: Uint8Array | undefined): CertificateInfo | undefined {
  if (!der?.length) return undefined;
  try {
    return certificateInfoFromDer(der);
  } catch {
    return undefined;
  }
}
