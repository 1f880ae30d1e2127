/**
 * The daemon's vault. Opens the file vault; a damaged vault is reported as `vault.corrupted` and replaced by an
 * empty one (the vault does that itself). A vault that cannot be opened at all (a refused
 * key: loose permissions, wrong size, unreadable) must not crash the daemon in a loop either:
 * it is logged and reported, and the daemon runs with an in-memory vault until the
 * administrator fixes it (SPEC §6).
 */
import type { DaemonBus } from '../bus/index.js';
import { toProvisiondError } from '../errors/index.js';
import type { FileSystem } from '../fsutil/index.js';
import type { Logger } from '../log/index.js';
import type { SecretKeeper } from '../params/index.js';
import { createMemoryVault, openFileVault, type Vault } from '../vault/index.js';

export async function openVault(stateDir: string, bus: DaemonBus, logger: Logger, files?: FileSystem): Promise<Vault> {
  try {
    return await openFileVault({
      stateDir,
      files,
      // The vault registers every secret it holds with the app's redactor, and releases what it drops.
      redactor: logger.redactor,
      onCorrupt: (info) => {
        logger.error(`the vault was damaged (${info.reason}); it was moved aside and an empty vault is in use`, { movedTo: info.movedTo });
        bus.emit('event', { type: 'vault.corrupted', reason: info.reason, path: info.file });
      },
    });
  } catch (err) {
    const error = toProvisiondError(err, 'vault_unavailable');
    logger.error(`${error.message}; secrets are kept in memory only until this is fixed`, { code: error.code });
    bus.emit('event', { type: 'vault.corrupted', reason: 'unavailable', code: error.code });
    return createMemoryVault({ redactor: logger.redactor });
  }
}

/**
 * Secret parameters live in the vault (SPEC §6): one record of purpose `parameter`
 * per layer and name, with no origin or realm.
 */
export function vaultSecretKeeper(vault: Vault): SecretKeeper {
  return {
    load: async (name) => (await vault.get({ purpose: 'parameter', name }))?.secret,
    save: async (name, secret) => {
      await vault.put({ purpose: 'parameter', name, secret });
    },
    remove: async (name) => {
      await vault.delete({ purpose: 'parameter', name });
    },
    list: async () => (await vault.list({ purpose: 'parameter' })).map((record) => record.name).filter((name): name is string => name !== undefined),
  };
}
