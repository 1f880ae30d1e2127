/**
 * What the vault holds (SPEC §6): one record per purpose, origin, realm and name. The key is
 * pure data with one canonical spelling, so the same key found twice is the same record and
 * the canonical form can be bound into each ciphertext as associated data.
 */
import { ProvisiondError } from '../errors/index.js';
import { Origin, OriginError } from '../origin/index.js';

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

export interface VaultKey {
  readonly purpose: VaultPurpose;
  /**
   * Absent for records that belong to no server (the profile account, EM passwords). The same
   * realm string on another origin is another record (SPEC §6).
   */
  readonly origin?: Origin;
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
  readonly origin?: Origin;
  readonly realm?: string;
  readonly name?: string;
}

function invalid(path: string, expected: string): ProvisiondError {
  return new ProvisiondError('vault_invalid_record', `vault record ${path}: expected ${expected}`, { path });
}

function optionalString(value: unknown, path: string): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string') throw invalid(path, 'a string');
  return value;
}

/**
 * How the vault file spells an origin: an object with the host without IPv6 brackets. The
 * same fields make the key id, so files written before `Origin` existed still open.
 */
export interface StoredOrigin {
  readonly scheme: string;
  readonly host: string;
  readonly port: number;
}

export function storedOrigin(origin: Origin): StoredOrigin {
  return { scheme: origin.scheme, host: origin.bareHost, port: origin.port };
}

const EXPECTED = { scheme: 'a URL scheme', host: 'a host name or address', port: 'a port from 1 to 65535' } as const;

/** An `Origin` as it is, or the stored spelling read back from a file. */
function readOrigin(origin: unknown, path: string): Origin {
  if (origin instanceof Origin) return origin;
  if (typeof origin !== 'object' || origin === null) throw invalid(path, 'an object with scheme, host and port');
  const { scheme, host, port } = origin as Record<string, unknown>;
  if (typeof scheme !== 'string') throw invalid(`${path}.scheme`, EXPECTED.scheme);
  if (typeof host !== 'string') throw invalid(`${path}.host`, EXPECTED.host);
  if (typeof port !== 'number') throw invalid(`${path}.port`, EXPECTED.port);
  try {
    return Origin.from({ scheme, host, port });
  } catch (error) {
    const part = (error as OriginError).where!.path as keyof typeof EXPECTED;
    throw invalid(`${path}.${part}`, EXPECTED[part]);
  }
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
    ...(raw.origin === undefined ? {} : { origin: readOrigin(raw.origin, `${path}.origin`) }),
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
  const origin = key.origin === undefined ? undefined : storedOrigin(key.origin);
  return JSON.stringify([key.purpose, origin?.scheme ?? null, origin?.host ?? null, origin?.port ?? null, key.realm ?? null, key.name ?? null]);
}

export function matches(record: VaultKey, filter: VaultFilter): boolean {
  return (
    (filter.purpose === undefined || record.purpose === filter.purpose) &&
    (filter.origin === undefined || filter.origin.equals(record.origin)) &&
    (filter.realm === undefined || record.realm === filter.realm) &&
    (filter.name === undefined || record.name === filter.name)
  );
}

