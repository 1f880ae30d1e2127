/**
 * Run-time test and demo PKI (SPEC §6: no private key is ever committed). Certificates are
 * built and signed with node-forge; 2048-bit RSA keys come from Node's native generator
 * (measured here: about 0.1 s per key, the same as forge's own generateKeyPair, which
 * delegates to Node; a root → intermediate → leaf chain takes about 0.5 s). Every function
 * returns PEM strings.
 */
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { isIP } from 'node:net';
import { createRequire } from 'node:module';
import type forge from 'node-forge';

export interface Issued {
  readonly certPem: string;
  readonly keyPem: string;
}

export interface CertOptions {
  readonly commonName: string;
  /** The signer; omitted: self-signed. */
  readonly issuer?: Issued;
  readonly notBefore?: Date;
  readonly notAfter?: Date;
}

export interface CaOptions extends CertOptions {
  /** basicConstraints pathLenConstraint. */
  readonly pathLen?: number;
}

export interface LeafOptions extends CertOptions {
  /** DNS names and IP addresses for subjectAltName (default `localhost`, 127.0.0.1, ::1). */
  readonly altNames?: readonly string[];
  /** extendedKeyUsage (default serverAuth); `clientAuth` alone makes a bad server certificate. */
  readonly extendedKeyUsage?: readonly ('serverAuth' | 'clientAuth')[];
}

const DAY = 24 * 60 * 60 * 1000;

/**
 * node-forge (about 11 MiB of RSS) is loaded on the first certificate made, not when the
 * daemon imports daemon/tls: only tests and the demo make certificates.
 */
let forgeModule: typeof forge | undefined;
function nodeForge(): typeof forge {
  forgeModule ??= createRequire(import.meta.url)('node-forge') as typeof forge;
  return forgeModule;
}

function newKeyPair(): { privateKey: forge.pki.rsa.PrivateKey; publicKey: forge.pki.rsa.PublicKey; pem: string } {
  const pem = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs1', format: 'pem' }).toString();
  const privateKey = nodeForge().pki.privateKeyFromPem(pem);
  return { privateKey, publicKey: nodeForge().pki.setRsaPublicKey(privateKey.n, privateKey.e), pem };
}

function build(options: CertOptions, extensions: object[]): Issued {
  const keys = newKeyPair();
  const cert = nodeForge().pki.createCertificate();
  cert.publicKey = keys.publicKey;
  // A positive serial: first byte below 0x80 (RFC 5280 §4.1.2.2).
  cert.serialNumber = '1' + randomBytes(15).toString('hex');
  cert.validity.notBefore = options.notBefore ?? new Date(Date.now() - DAY);
  cert.validity.notAfter = options.notAfter ?? new Date(Date.now() + 365 * DAY);
  const subject = [{ name: 'commonName', value: options.commonName }, { name: 'organizationName', value: 'provisiond test PKI' }];
  cert.setSubject(subject);
  const signer = options.issuer;
  const signerCert = signer ? nodeForge().pki.certificateFromPem(signer.certPem) : undefined;
  cert.setIssuer(signerCert ? signerCert.subject.attributes : subject);
  cert.setExtensions([...extensions, { name: 'subjectKeyIdentifier' }]);
  cert.sign(signer ? nodeForge().pki.privateKeyFromPem(signer.keyPem) : keys.privateKey, nodeForge().md.sha256.create());
  return { certPem: nodeForge().pki.certificateToPem(cert), keyPem: keys.pem };
}

/** A CA certificate: self-signed root, or an intermediate when `issuer` is given. */
export function makeCa(options: CaOptions): Issued {
  const basic = options.pathLen === undefined ? { cA: true } : { cA: true, pathLenConstraint: options.pathLen };
  return build(options, [{ name: 'basicConstraints', critical: true, ...basic }, { name: 'keyUsage', critical: true, keyCertSign: true, cRLSign: true }]);
}

/** An end-entity certificate (cA false) with SANs and an extendedKeyUsage. */
export function makeLeaf(options: LeafOptions): Issued {
  const altNames = (options.altNames ?? ['localhost', '127.0.0.1', '::1']).map((name) => (isIP(name) ? { type: 7, ip: name } : { type: 2, value: name }));
  const usages = options.extendedKeyUsage ?? ['serverAuth'];
  return build(options, [
    { name: 'basicConstraints', cA: false },
    { name: 'keyUsage', critical: true, digitalSignature: true, keyEncipherment: true },
    { name: 'extKeyUsage', serverAuth: usages.includes('serverAuth'), clientAuth: usages.includes('clientAuth') },
    { name: 'subjectAltName', altNames },
  ]);
}

/** A ready-made chain: root → intermediate (pathLen 0) → leaf for loopback names. */
export interface TestPki {
  readonly root: Issued;
  readonly intermediate: Issued;
  readonly leaf: Issued;
  /** Leaf then intermediate, as a server sends it. */
  readonly chainPem: string;
}

export function makeTestPki(leaf: Omit<LeafOptions, 'issuer'> = { commonName: 'localhost' }): TestPki {
  const root = makeCa({ commonName: 'provisiond test root' });
  const intermediate = makeCa({ commonName: 'provisiond test issuing CA', issuer: root, pathLen: 0 });
  const issued = makeLeaf({ ...leaf, issuer: intermediate });
  return { root, intermediate, leaf: issued, chainPem: issued.certPem + intermediate.certPem };
}
