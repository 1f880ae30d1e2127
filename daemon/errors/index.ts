/**
 * The typed error taxonomy (STYLE.md §7). Every failure that crosses a module boundary is a
 * ProvisiondError with a stable `code`; the CLI, the local feed and MQTT map codes to
 * messages without stack traces. `where` names the place in the input (JSON path, line,
 * column, URL) so an administrator can find the problem.
 *
 * Messages must never contain a secret: build them from names and positions, not values.
 */
/**
 * Every code a ProvisiondError may carry: the codes users see (`provisionctl` prints them, the
 * feed and MQTT reply with them, the `*.failed` events carry them). Adding a failure means
 * adding its code here, once.
 */
export const ERROR_CODES = [
  // anywhere
  'internal_error',
  'aborted',
  'timeout',
  'network_error',
  // settings, parameters, state (SPEC §2, §3)
  'settings_invalid',
  'param_invalid',
  'param_access_denied',
  'unknown_parameter',
  'schedule_invalid',
  'state_read_failed',
  'state_write_failed',
  // rules (DOMAIN §1.3–§1.8)
  'rule_parse_error',
  'rule_version_error',
  'rule_alias_error',
  'rule_url_error',
  'rule_eval_error',
  'url_invalid',
  'scheme_unsupported',
  // resync (SPEC §4, §8)
  'provision_disabled',
  // configuration report (DOMAIN §1.10)
  'report_rule_unset',
  // profiles (SPEC §4)
  'profile_parse_error',
  'profile_format_unknown',
  'profile_encoding_error',
  'profile_too_large',
  'profile_too_deep',
  'profile_gzip_error',
  'profile_decrypt_error',
  'profile_get_cycle',
  'profile_get_depth',
  'profile_script_loop',
  // HTTP and TFTP (DOMAIN §1.12, SPEC §4)
  'http_status',
  'not_found',
  'body_too_large',
  'connection_reused_closed',
  'redirect_loop',
  'redirect_downgrade',
  'redirect_invalid',
  'redirect_body_cross_origin',
  'tftp_error',
  // authentication and credentials (SPEC §5)
  'auth_unsupported',
  'auth_challenge_invalid',
  'auth_rejected',
  'auth_retries_exhausted',
  'auth_cancelled',
  'auth_timeout',
  'no_credentials',
  'credentials_invalid',
  // TLS (SPEC §6): `tls_` and a TlsReason of daemon/tls
  'tls_untrusted_root',
  'tls_expired',
  'tls_not_yet_valid',
  'tls_name_mismatch',
  'tls_bad_purpose',
  'tls_incomplete_chain',
  'tls_handshake_failed',
  'trust_anchors_unreadable',
  'trust_certificate_invalid',
  // TRUSTCERTS (SPEC §6): why a listed file was not installed.
  'trustcerts_download_failed',
  'trustcerts_name_invalid',
  'trustcerts_not_ca',
  'trustcerts_not_yet_valid',
  'trustcerts_expired',
  'trustcerts_key_unsupported',
  // vault (SPEC §6)
  'vault_unavailable',
  'vault_invalid_record',
  'vault_write_failed',
  'vault_key_invalid',
  'vault_key_insecure',
  'vault_key_unavailable',
  // backup and restore (SPEC §7)
  'backup_not_configured',
  'restore_not_configured',
  'backup_failed',
  // An automatic backup waiting on a prompt gave way to a registration, a backup or a restore.
  'backup_superseded',
  'restore_failed',
  'backup_parse_error',
  'backup_too_large',
  'restore_not_backup',
  'register_invalid',
  // Extension Mobility (SPEC §5)
  'em_disabled',
  'em_busy',
  'em_not_logged_in',
  // prompts, display, feed, CLI and MQTT (SPEC §1, §8)
  'no_such_prompt',
  'invalid_answer',
  'answer_required',
  'softkey_unavailable',
  'display_socket_failed',
  'invalid_message',
  'bad_json',
  'unknown_type',
  'unknown_command',
  'daemon_unreachable',
  'mqtt_bad_url',
  'mqtt_bad_topic',
  'mqtt_file_unreadable',
  'command_too_large',
  'command_bad_json',
  'command_bad_request',
  'command_unknown',
  'command_unavailable',
  // the MQTT contract document (daemon/contract): an allowed event field without a type
  'asyncapi_untyped_field',
  'command_failed',
] as const;

/** A stable error code: what the CLI, the feed and MQTT show and match on. */
export type ErrorCode = (typeof ERROR_CODES)[number];

export interface ErrorWhere {
  /** JSON path such as `$.mqtt.url`, a file name, or a URL with secrets removed. */
  readonly path?: string;
  readonly line?: number;
  readonly column?: number;
}

export class ProvisiondError extends Error {
  override readonly name = 'ProvisiondError';
  readonly code: ErrorCode;
  readonly where: ErrorWhere | undefined;

  constructor(code: ErrorCode, message: string, where?: ErrorWhere, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.where = where;
  }

  /** The shape sent over the feed, MQTT results and `provisionctl --json`. */
  toJSON(): { code: ErrorCode; message: string } {
    return { code: this.code, message: this.message };
  }
}

export function isProvisiondError(value: unknown, code?: ErrorCode): value is ProvisiondError {
  return value instanceof ProvisiondError && (code === undefined || value.code === code);
}

/** Wraps anything thrown into a ProvisiondError, keeping a typed one as it is. */
export function toProvisiondError(value: unknown, code: ErrorCode = 'internal_error'): ProvisiondError {
  if (value instanceof ProvisiondError) return value;
  const message = value instanceof Error ? value.message : String(value);
  return new ProvisiondError(code, message, undefined, { cause: value });
}
