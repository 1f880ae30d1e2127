import t from 'tap';
import { promises as fsp, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { execFileSync } from 'node:child_process';
import { loadVaultKey, type LoadKeyOptions } from '../../daemon/vault/key.js';
import { faultyFs } from '../fixtures/vault/faults.js';

const isRoot = process.getuid!() === 0;

async function modeOf(file: string): Promise<number> {
  return (await fsp.stat(file)).mode & 0o777;
}

t.test('without a credential, a 32-byte key file is created once with mode 0600', async (t) => {
  const stateDir = t.testdir();
  const first = await loadVaultKey({ stateDir });
  t.equal(first.source, 'state-dir');
  t.equal(first.path, path.join(stateDir, 'vault.key'));
  t.equal(first.key.length, 32);
  t.equal(await modeOf(first.path), 0o600);
  t.same(await fsp.readdir(stateDir), ['vault.key'], 'no temp file is left behind');
  const second = await loadVaultKey({ stateDir, credentialsDirectory: '' });
  t.same(second.key, first.key, 'the same key on the next start');
});

t.test('the systemd credential wins over the state directory', async (t) => {
  const dir = t.testdir({ creds: { 'vault.key': 'k'.repeat(44) }, state: {} });
  await fsp.chmod(path.join(dir, 'creds', 'vault.key'), 0o400);
  const loaded = await loadVaultKey({ stateDir: path.join(dir, 'state'), credentialsDirectory: path.join(dir, 'creds') });
  t.equal(loaded.source, 'credential');
  t.equal(loaded.key.toString(), 'k'.repeat(44));
  t.same(await fsp.readdir(path.join(dir, 'state')), [], 'no key file is created');
});

t.test('a credentials directory without vault.key falls back to the state directory', async (t) => {
  const dir = t.testdir({ creds: { 'mqtt.password': 'x' }, state: {} });
  const loaded = await loadVaultKey({ stateDir: path.join(dir, 'state'), credentialsDirectory: path.join(dir, 'creds') });
  t.equal(loaded.source, 'state-dir');
});

t.test('a key file others can read is refused, naming its mode', async (t) => {
  const stateDir = t.testdir({ 'vault.key': 'k'.repeat(32) });
  await fsp.chmod(path.join(stateDir, 'vault.key'), 0o640);
  await t.rejects(loadVaultKey({ stateDir }), { code: 'vault_key_insecure', message: /mode 0640 lets other users read or change it/ });
  const dir = t.testdir({ creds: { 'vault.key': 'k'.repeat(32) }, state: {} });
  await fsp.chmod(path.join(dir, 'creds', 'vault.key'), 0o604);
  await t.rejects(loadVaultKey({ stateDir: path.join(dir, 'state'), credentialsDirectory: path.join(dir, 'creds') }), { code: 'vault_key_insecure' });
});

t.test('a key file owned by another user is refused', { skip: !isRoot && 'needs root to chown' }, async (t) => {
  const stateDir = t.testdir({ 'vault.key': 'k'.repeat(32) });
  const file = path.join(stateDir, 'vault.key');
  await fsp.chmod(file, 0o600);
  await fsp.chown(file, 65534, 65534);
  await t.rejects(loadVaultKey({ stateDir }), { code: 'vault_key_insecure', message: /owned by uid 65534, expected uid 0/ });
});

t.test('a symbolic link or a non-file at the key path is refused', async (t) => {
  const dir = t.testdir({ elsewhere: 'k'.repeat(32), link: {}, fifo: {}, folder: { 'vault.key': {} } });
  await fsp.chmod(path.join(dir, 'elsewhere'), 0o600);
  await fsp.symlink(path.join(dir, 'elsewhere'), path.join(dir, 'link', 'vault.key'));
  await t.rejects(loadVaultKey({ stateDir: path.join(dir, 'link') }), { code: 'vault_key_insecure', message: /symbolic link/ });
  execFileSync('mkfifo', ['-m', '0600', path.join(dir, 'fifo', 'vault.key')]);
  await t.rejects(loadVaultKey({ stateDir: path.join(dir, 'fifo') }), { code: 'vault_key_insecure', message: /not a regular file/ });
  await fsp.chmod(path.join(dir, 'folder', 'vault.key'), 0o700);
  await t.rejects(loadVaultKey({ stateDir: path.join(dir, 'folder') }), { code: 'vault_key_insecure', message: /not a regular file/ });
});

t.test('a key shorter than 32 bytes is refused', async (t) => {
  const stateDir = t.testdir();
  writeFileSync(path.join(stateDir, 'vault.key'), 'short', { mode: 0o600 });
  await t.rejects(loadVaultKey({ stateDir }), { code: 'vault_key_invalid', message: /holds 5 bytes; at least 32 are needed/ });
});

t.test('a key that cannot be read or created is a typed error, and leaves no temp file', async (t) => {
  const faulty = faultyFs();
  const load = (options: LoadKeyOptions) => loadVaultKey({ ...options, files: faulty.files });
  const stateDir = t.testdir();
  faulty.inject((call, file) => (call === 'open' && file.endsWith('vault.key') ? 'EACCES' : undefined));
  await t.rejects(load({ stateDir }), { code: 'vault_key_unavailable', message: /cannot read the vault key .*: EACCES/ });
  for (const [call, code] of [['open', 'EROFS'], ['write', 'ENOSPC'], ['fsync', 'EIO'], ['link', 'EPERM']] as const) {
    faulty.inject((c, file) => (c === call && file.includes('vault.key.tmp-') ? code : c === call && call === 'link' ? code : undefined));
    await t.rejects(load({ stateDir }), { code: 'vault_key_unavailable', message: `cannot create the vault key ${stateDir}/vault.key: ${code}` }, call);
    t.same(await fsp.readdir(stateDir), [], `no key and no temp after a failed ${call}`);
  }
  faulty.inject(undefined);
  t.equal((await load({ stateDir })).key.length, 32, 'and it works once the fault is gone');
});

t.test('when another process creates the key first, its key is used', async (t) => {
  const faulty = faultyFs();
  const load = (options: LoadKeyOptions) => loadVaultKey({ ...options, files: faulty.files });
  const stateDir = t.testdir();
  const theirs = Buffer.alloc(32, 9);
  faulty.inject((call, file) => {
    if (call !== 'link') return undefined;
    writeFileSync(file, theirs, { mode: 0o600 });
    return 'EEXIST';
  });
  t.same((await load({ stateDir })).key, theirs);
  t.same(await fsp.readdir(stateDir), ['vault.key']);
});

t.test('a key that vanishes while two processes race is a typed error', async (t) => {
  const faulty = faultyFs();
  const load = (options: LoadKeyOptions) => loadVaultKey({ ...options, files: faulty.files });
  faulty.inject((call) => (call === 'link' ? 'EEXIST' : undefined));
  await t.rejects(load({ stateDir: t.testdir() }), { code: 'vault_key_unavailable', message: /vanished/ });
});
