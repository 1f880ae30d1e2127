/** The parameter store's secrets in the vault: one `parameter` record per key, and only those are the store's to list. */
import t from 'tap';
import { vaultSecretKeeper } from '../../daemon/app/vault.js';
import { createMemoryVault } from '../../daemon/vault/index.js';

t.test('saves, loads, lists and removes parameter records, and lists no other record', async (t) => {
  const vault = createMemoryVault();
  const keeper = vaultSecretKeeper(vault);
  await vault.put({ purpose: 'gpp-secret', name: 'GPP_SA', secret: 'not a parameter record' });
  await vault.put({ purpose: 'parameter', secret: 'a parameter record without a name' });
  await keeper.save('provisioned:GPP_SA#1', 'one');
  await keeper.save('local:EM_Mobile_Password#2', 'two');
  t.equal(await keeper.load('provisioned:GPP_SA#1'), 'one');
  t.same((await keeper.list()).sort(), ['local:EM_Mobile_Password#2', 'provisioned:GPP_SA#1']);
  await keeper.remove('provisioned:GPP_SA#1');
  t.same(await keeper.list(), ['local:EM_Mobile_Password#2']);
  t.equal(await keeper.load('provisioned:GPP_SA#1'), undefined);
  t.equal((await vault.list()).length, 3, 'the other records stay');
});
