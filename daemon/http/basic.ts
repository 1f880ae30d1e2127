/**
 * HTTP Basic (RFC 7617, DOMAIN.md §5): `user-id ":" password`, UTF-8, Base64. Both parts are
 * NFC-normalised (RFC 7617 §2.1 with RFC 7613's OpaqueString profile); a user-id may not
 * contain `:` and neither part may hold control characters (RFC 7617 §2).
 */
import { ProvisiondError } from '../errors/index.js';

const CONTROL = /[\u0000-\u001f\u007f]/;

export function basicAuthorization(username: string, password: string): string {
  if (username.includes(':')) throw new ProvisiondError('credentials_invalid', 'a Basic user-id cannot contain ":" (RFC 7617 §2)');
  if (CONTROL.test(username) || CONTROL.test(password)) {
    throw new ProvisiondError('credentials_invalid', 'Basic credentials cannot contain control characters (RFC 7617 §2)');
  }
  const pair = `${username.normalize('NFC')}:${password.normalize('NFC')}`;
  return `Basic ${Buffer.from(pair, 'utf8').toString('base64')}`;
}
