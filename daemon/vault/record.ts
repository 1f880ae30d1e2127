/**
 * What the vault holds (SPEC §6): one record per purpose, origin, realm and name. The key is
 * pure data with one canonical spelling, so the same key found twice is the same record and
 * the canonical form can be bound into each ciphertext as associated data.
 */
import { ProvisiondError } from '../errors/index.js';

export const PURPOSES = [
  'profile-account',
  'backup-restore',
  'registration',
  'em-phone',
  'em-mobile',
  'gpp-secret',
  /** A parameter kept whole because it carries secrets, e.g. a rule with literal `--pwd` (SPEC §3). */
  'parameter',
] as const;
export type VaultPurpose = (typeof PURPOSES)[number];

/** Scheme, host and port: the same realm string on another origin is another record (SPEC §6). */
export interface VaultOrigin {
  readonly scheme: string;
  readonly host: string;
  readonly port: number;
}

export interface VaultKey {
  readonly purpose: VaultPurpose;
  /** Absent for records that belong to no server (the profile account, EM passwords). */
  readonly origin?: VaultOrigin;
  /** The HTTP authentication realm, compared exactly (RFC 7235 §2.2: realms are case-sensitive). */
  readonly realm?: string;
  /** Which one when a purpose holds several, e.g. `GPP_SA` or a parameter name. */
  readonly name?: string;
}

/** What a caller stores. */
export interface VaultEntry extends VaultKey {
  readonly username?: string;
  /** The password, or the secret value of a `gpp-secret` or `parameter` record. */
  readonly secret: string;
}

/** What the vault returns: the entry with its timestamps (ISO-8601). */
export interface VaultRecord extends VaultEntry {
  readonly createdAt: string;
  readonly updatedAt: string;
}

/** Every field given must match; an absent field matches anything. */
export interface VaultFilter {
  readonly purpose?: VaultPurpose;
  readonly origin?: VaultOrigin;
  readonly realm?: string;
  readonly name?: string;
}

const SCHEME = /^[a-z][a-z0-9+.-]*$/;

function invalid(path: string, expected: string): ProvisiondError {
  return new ProvisiondError('vault_invalid_record', `vault record ${path}: expected ${expected}`, { path });
}

function optionalString(value: unknown, path: string): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string') throw invalid(path, 'a string');
  return value;
}

/** Lower-cases scheme and host (RFC 3986 §3.1, §3.2.2) and drops IPv6 brackets. */
export function normalizeOrigin(origin: unknown, path = '$.origin'): VaultOrigin {
  if (typeof origin !== 'object' || origin === null) throw invalid(path, 'an object with scheme, host and port');
  const { scheme, host, port } = origin as Record<string, unknown>;
  if (typeof scheme !== 'string' || !SCHEME.test(scheme.toLowerCase())) throw invalid(`${path}.scheme`, 'a URL scheme');
  if (typeof host !== 'string' || host === '') throw invalid(`${path}.host`, 'a host name or address');
  if (typeof port !== 'number' || !Number.isInteger(port) || port < 1 || port > 65535) throw invalid(`${path}.port`, 'a port from 1 to 65535');
  return { scheme: scheme.toLowerCase(), host: host.toLowerCase().replace(/^\[(.*)\]$/, '$1'), port };
}

const DEFAULT_PORTS: Record<string, number> = { http: 80, https: 443, tftp: 69 };

/** The origin of a URL, with the scheme's default port filled in. */
export function originOf(url: string | URL): VaultOrigin {
  const parsed = typeof url === 'string' ? new URL(url) : url;
  const scheme = parsed.protocol.slice(0, -1);
  const port = parsed.port === '' ? DEFAULT_PORTS[scheme] : Number(parsed.port);
  if (port === undefined) throw invalid('$.origin.port', `a port (no default is known for ${scheme})`);
  return normalizeOrigin({ scheme, host: parsed.hostname, port });
}

/** Validates and normalises a key; unknown fields are dropped. */
export function normalizeKey(key: unknown, path = '$'): VaultKey {
  if (typeof key !== 'object' || key === null) throw invalid(path, 'an object');
  const raw = key as Record<string, unknown>;
  if (!PURPOSES.includes(raw.purpose as VaultPurpose)) throw invalid(`${path}.purpose`, `one of ${PURPOSES.join(', ')}`);
  const realm = optionalString(raw.realm, `${path}.realm`);
  const name = optionalString(raw.name, `${path}.name`);
  return {
    purpose: raw.purpose as VaultPurpose,
    ...(raw.origin === undefined ? {} : { origin: normalizeOrigin(raw.origin, `${path}.origin`) }),
    ...(realm === undefined ? {} : { realm }),
    ...(name === undefined ? {} : { name }),
  };
}

export function normalizeEntry(entry: unknown, path = '$'): VaultEntry {
  const key = normalizeKey(entry, path);
  const raw = entry as Record<string, unknown>;
  const username = optionalString(raw.username, `${path}.username`);
  if (typeof raw.secret !== 'string') throw invalid(`${path}.secret`, 'a string');
  return { ...key, ...(username === undefined ? {} : { username }), secret: raw.secret };
}

/**
 * The canonical spelling of a key: the map key in memory and the associated data of the
 * record's ciphertext on disk, so a ciphertext moved to another record's slot fails.
 */
export function keyId(key: VaultKey): string {
  const { origin } = key;
  return JSON.stringify([key.purpose, origin?.scheme ?? null, origin?.host ?? null, origin?.port ?? null, key.realm ?? null, key.name ?? null]);
}

function sameOrigin(a: VaultOrigin | undefined, b: VaultOrigin): boolean {
  return a !== undefined && a.scheme === b.scheme && a.host === b.host && a.port === b.port;
}

export function matches(record: VaultKey, filter: VaultFilter): boolean {
  return (
    (filter.purpose === undefined || record.purpose === filter.purpose) &&
    (filter.origin === undefined || sameOrigin(record.origin, filter.origin)) &&
    (filter.realm === undefined || record.realm === filter.realm) &&
    (filter.name === undefined || record.name === filter.name)
  );
}

/** A filter with its origin normalised, so `HTTPS://Host` finds `https://host`. */
export function normalizeFilter(filter: VaultFilter): VaultFilter {
  return filter.origin === undefined ? filter : { ...filter, origin: normalizeOrigin(filter.origin, '$.filter.origin') };
}
