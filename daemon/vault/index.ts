/**
 * The vault (SPEC §6): every secret the daemon holds, keyed by purpose, origin and
 * realm, encrypted at rest and crash-safe. `Vault` is the contract; `createMemoryVault` and
 * `openFileVault` are its two implementations.
 */
export {
  PURPOSES,
  keyId,
  type VaultEntry,
  type VaultFilter,
  type VaultKey,
  type VaultPurpose,
  type VaultRecord,
} from './record.js';
export { createMemoryVault, type Vault } from './table.js';
export { FileVault, VAULT_FILE, openFileVault, type FileVaultOptions, type VaultCorruption } from './file-vault.js';
export { CORRUPT_REASONS, FORMAT_VERSION, type CorruptReason } from './codec.js';
export { KEY_FILE, MIN_KEY_BYTES } from './key.js';
