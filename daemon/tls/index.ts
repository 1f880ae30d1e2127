export { certificateInfo, certificateInfoFromDer, certificatesFromBytes, peerCertificateInfo, type CertificateInfo } from './certinfo.js';
export { tlsReason, TLS_REASONS, type TlsReason } from './reasons.js';
export { loadTrustStore, tlsConnectionOptions, type TrustSource, type TrustStore, type TrustedCertificate } from './trust.js';
export { makeCa, makeLeaf, makeTestPki, type CaOptions, type CertOptions, type Issued, type LeafOptions, type TestPki } from './pki.js';
export { TrustCerts, TRUSTCERTS_FILE, TRUSTCERTS_MAX_BYTES, validateCaFile, type InstalledTrustCert, type TrustCertsOptions, type TrustCertsReport } from './trustcerts.js';
