import t from 'tap';
import { Redactor } from '../../daemon/log/index.js';
import { createMemoryVault, openFileVault } from '../../daemon/vault/index.js';
import { vaultContract } from '../fixtures/vault/contract.js';

vaultContract(t, 'in-memory vault', async (_t, options) => ({ vault: createMemoryVault(options) }));

vaultContract(t, 'file vault', async (t, options) => {
  const stateDir = t.testdir();
  const open = () => openFileVault({ stateDir, credentialsDirectory: undefined, ...options });
  return { vault: await open(), reopen: open };
});

t.test("secrets are registered with the app's redactor while the vault holds them, and times come from the clock", async (t) => {
  const secrets = new Redactor();
  const vault = createMemoryVault({ redactor: secrets });
  const before = Date.now();
  const record = await vault.put({ purpose: 'em-phone', username: 'host-user', secret: 'em-phone-default-secret' });
  t.ok(Date.parse(record.createdAt) >= before);
  t.ok(secrets.has('em-phone-default-secret'));
  await vault.clear();
  t.notOk(secrets.has('em-phone-default-secret'));
});
