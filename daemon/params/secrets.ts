/**
 * Where the parameter store keeps secret values (SPEC §6): the vault in the daemon, memory in
 * tests and until the vault is wired.
 */
export interface SecretKeeper {
  load(key: string): Promise<string | undefined>;
  save(key: string, value: string): Promise<void>;
  remove(key: string): Promise<void>;
  /** Every key held: the store removes those no state on disk names (a commit that never reached the disk). */
  list(): Promise<string[]>;
}

export class MemorySecretKeeper implements SecretKeeper {
  private readonly values = new Map<string, string>();
  /** The keys held, for a look at what is kept. */
  keys(): string[] {
    return [...this.values.keys()];
  }
  async load(key: string): Promise<string | undefined> {
    return this.values.get(key);
  }
  async save(key: string, value: string): Promise<void> {
    this.values.set(key, value);
  }
  async remove(key: string): Promise<void> {
    this.values.delete(key);
  }
  async list(): Promise<string[]> {
    return this.keys();
  }
}
