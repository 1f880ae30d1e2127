/**
 * Node/OpenSSL verification errors mapped to the stable reasons of the `tls.rejected` event
 * (SPEC §6, §8). Codes as observed in RELIABILITY.md §4.2 (Node 20 / OpenSSL 3.0).
 */
export const TLS_REASONS = ['untrusted_root', 'expired', 'not_yet_valid', 'name_mismatch', 'bad_purpose', 'incomplete_chain', 'handshake_failed'] as const;
export type TlsReason = (typeof TLS_REASONS)[number];

const BY_CODE: Record<string, TlsReason> = {
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: 'untrusted_root',
  DEPTH_ZERO_SELF_SIGNED_CERT: 'untrusted_root',
  SELF_SIGNED_CERT_IN_CHAIN: 'untrusted_root',
  CERT_UNTRUSTED: 'untrusted_root',
  CERT_REJECTED: 'untrusted_root',
  // A trusted anchor with the issuer's name but another key (a look-alike root): the
  // chain does not lead to a key we trust.
  CERT_SIGNATURE_FAILURE: 'untrusted_root',
  CERT_HAS_EXPIRED: 'expired',
  CERT_NOT_YET_VALID: 'not_yet_valid',
  ERR_TLS_CERT_ALTNAME_INVALID: 'name_mismatch',
  HOSTNAME_MISMATCH: 'name_mismatch',
  IP_ADDRESS_MISMATCH: 'name_mismatch',
  INVALID_PURPOSE: 'bad_purpose',
  // A signer that is not a CA, or a CA beyond its path length, is unfit for its purpose.
  INVALID_CA: 'bad_purpose',
  PATH_LENGTH_EXCEEDED: 'bad_purpose',
  // The server left out an intermediate we do not hold (no AIA fetching in OpenSSL).
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: 'incomplete_chain',
  UNABLE_TO_GET_ISSUER_CERT: 'incomplete_chain',
};

/**
 * Node has no code for some OpenSSL verdicts and says `UNSPECIFIED`; a signer whose key
 * usage forbids certificate signing (a non-CA signing the leaf) is one, recognised by text.
 */
const UNFIT_SIGNER = /key usage does not include certificate signing/i;

export function tlsReason(code: string | undefined, message = ''): TlsReason {
  if (code === 'UNSPECIFIED' && UNFIT_SIGNER.test(message)) return 'bad_purpose';
  return (code !== undefined && BY_CODE[code]) || 'handshake_failed';
}

