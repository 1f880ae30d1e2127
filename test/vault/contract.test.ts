import t from 'tap';
import { createMemoryVault, openFileVault } from '../../daemon/vault/index.js';
import { vaultContract } from '../fixtures/vault/contract.js';

vaultContract(t, 'in-memory vault', async (_t, options) => ({ vault: createMemoryVault(options) }));

vaultContract(t, 'file vault', async (t, options) => {
  const stateDir = t.testdir();
  const open = () => openFileVault({ stateDir, credentialsDirectory: undefined, ...options });
  return { vault: await open(), reopen: open };
});
