/**
 * Secret parameters live in the vault (SPEC §6): one record of purpose `parameter`
 * per layer and name, with no origin or realm.
 */
import type { SecretKeeper } from '../params/index.js';
import type { Vault } from '../vault/index.js';

export class VaultSecretKeeper implements SecretKeeper {
  private readonly vault: Vault;

  constructor(vault: Vault) {
    this.vault = vault;
  }

  async load(key: string): Promise<string | undefined> {
    return (await this.vault.get({ purpose: 'parameter', name: key }))?.secret;
  }

  async save(key: string, value: string): Promise<void> {
    await this.vault.put({ purpose: 'parameter', name: key, secret: value });
  }

  async remove(key: string): Promise<void> {
    await this.vault.delete({ purpose: 'parameter', name: key });
  }

  async list(): Promise<string[]> {
    return (await this.vault.list({ purpose: 'parameter' })).map((record) => record.name).filter((name): name is string => name !== undefined);
  }
}
