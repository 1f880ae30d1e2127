/**
 * The vault's cost: a durable, encrypted `put` against the same durable write of the same
 * records as plain JSON (what an unencrypted store would pay), and the start-up read of a
 * vault of 100 records. Medians of several runs in a temp dir on the state file system.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { writeFileDurable } from '../daemon/fsutil/index.js';
import { Redactor } from '../daemon/log/index.js';
import { openFileVault, type VaultEntry } from '../daemon/vault/index.js';
import type { BenchModule, BenchRow } from './types.js';
import { median, timed } from './util.js';
import { Origin } from '../daemon/origin/index.js';

const PUTS = 50;
const OPENS = 20;

function entry(i: number): VaultEntry {
  return { purpose: 'backup-restore', origin: Origin.from({ scheme: 'https', host: `br${i}.example.com`, port: 443 }), realm: 'BR', username: `user${i}`, secret: `secret-${i}-${'x'.repeat(16)}` };
}

const bench: BenchModule = {
  title: 'vault (AES-256-GCM, durable writes)',
  async run(): Promise<BenchRow[]> {
    const dir = mkdtempSync(path.join(tmpdir(), 'provisiond-bench-vault-'));
    try {
      const options = { stateDir: dir, credentialsDirectory: undefined, redactor: new Redactor() };
      const vault = await openFileVault(options);
      for (let i = 0; i < 9; i++) await vault.put(entry(i));
      const ours: number[] = [];
      const plain: number[] = [];
      for (let i = 0; i < PUTS; i++) {
        ours.push(await timed(() => vault.put({ ...entry(9), secret: `changed-${i}` })));
        const records = await vault.list();
        plain.push(await timed(() => writeFileDurable(path.join(dir, 'plain.json'), JSON.stringify(records), { mode: 0o600 })));
      }
      for (let i = 10; i < 100; i++) await vault.put(entry(i));
      const opens: number[] = [];
      for (let i = 0; i < OPENS; i++) opens.push(await timed(() => openFileVault(options)));
      return [
        { name: 'put, 10 records', value: median(ours), unit: 'ms', baseline: { name: 'same durable write, plain JSON', value: median(plain) }, note: `median of ${PUTS}; temp+fsync+rename+fsync dir` },
        { name: 'open, 100 records', value: median(opens), unit: 'ms', note: `median of ${OPENS}; key load, decrypt, 100 record tags` },
      ];
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  },
};

export default bench;
