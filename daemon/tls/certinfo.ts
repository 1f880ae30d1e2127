/**
 * Reading certificates for reports (SPEC §6: node-forge reads and reports): PEM or DER in,
 * subject, issuer, validity and SHA-256 fingerprint out. Trust decisions are never made here.
 */
import { createHash } from 'node:crypto';
import forge from 'node-forge';
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
    blocks.forEach((block) => parse(() => forge.pki.certificateFromPem(block), name));
    return blocks;
  }
  const cert = parse(() => forge.pki.certificateFromAsn1(forge.asn1.fromDer(forge.util.createBuffer(text))), name);
  return [forge.pki.certificateToPem(cert)];
}

function parse<T>(read: () => T, name: string): T {
  try {
    return read();
  } catch (err) {
    throw notACertificate(name, err);
  }
}

function notACertificate(name: string, cause?: unknown): ProvisiondError {
  return new ProvisiondError('trust_certificate_invalid', `${name} is not a PEM or DER X.509 certificate`, { path: name }, { cause });
}

function distinguishedName(attributes: forge.pki.CertificateField[]): string {
  return attributes.map((a) => `${a.shortName ?? a.type}=${String(a.value)}`).join(', ');
}

export function certificateInfo(pem: string): CertificateInfo {
  const cert = forge.pki.certificateFromPem(pem);
  const der = forge.asn1.toDer(forge.pki.certificateToAsn1(cert)).getBytes();
  const digest = createHash('sha256').update(Buffer.from(der, 'latin1')).digest('hex').toUpperCase();
  return {
    subject: distinguishedName(cert.subject.attributes),
    issuer: distinguishedName(cert.issuer.attributes),
    notBefore: cert.validity.notBefore.toISOString(),
    notAfter: cert.validity.notAfter.toISOString(),
    fingerprint256: digest.match(/../g)!.join(':'),
  };
}

/** Info for a DER certificate as Node hands it over (`getPeerCertificate().raw`). */
export function certificateInfoFromDer(der: Uint8Array): CertificateInfo {
  return certificateInfo(certificatesFromBytes(der, 'peer certificate')[0]!);
}
