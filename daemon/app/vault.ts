/**
 * Opens the file vault; a damaged vault is reported as `vault.corrupted` and replaced by an
 * empty one (the vault does that itself). A key that is refused (loose permissions, wrong
 * size, unreadable) must not crash the daemon in a loop either: it is logged and the daemon
 * runs with an in-memory vault until the administrator fixes the key (SPEC §6).
 */
import type { DaemonBus } from '../bus/index.js';
import type { Logger } from '../log/index.js';
import { createMemoryVault, openFileVault, type Vault } from '../vault/index.js';
import { isProvisiondError } from '../errors/index.js';

export async function openVault(stateDir: string, bus: DaemonBus, logger: Logger): Promise<Vault> {
  try {
    return await openFileVault({
      stateDir,
      onCorrupt: (info) => {
        logger.error(`the vault was damaged (${info.reason}); it was moved aside and an empty vault is in use`, { movedTo: info.movedTo });
        bus.emit('event', { type: 'vault.corrupted', reason: info.reason, path: info.movedTo ?? info.file });
      },
    });
  } catch (err) {
    if (!isProvisiondError(err) || !err.code.startsWith('vault_key')) throw err;
    logger.error(`${err.message}; secrets are kept in memory only until the key is fixed`, { code: err.code });
    bus.emit('event', { type: 'vault.corrupted', reason: 'key_refused', code: err.code });
    return createMemoryVault();
  }
}
