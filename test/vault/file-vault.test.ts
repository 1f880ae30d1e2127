import t, { type Test } from 'tap';
import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import { Redactor } from '../../daemon/log/index.js';
import { deriveKeys, encodeVault, openBody, sealBody } from '../../daemon/vault/codec.js';
import { openFileVault, type FileVaultOptions, type VaultCorruption, type VaultEntry } from '../../daemon/vault/index.js';
import { steppingClock } from '../fixtures/vault/contract.js';
import { faultyFs } from '../fixtures/vault/faults.js';
import { Origin } from '../../daemon/origin/index.js';

// DOMAIN.md §3.4: the Avaya backup/restore credential, one realm on one server.
const backup: VaultEntry = { purpose: 'backup-restore', origin: Origin.from({ scheme: 'https', host: 'br.example.com', port: 443 }), realm: 'BR', username: 'alice', secret: 'old-br-secret' };
const registration: VaultEntry = { purpose: 'registration', secret: 'old-reg-secret' };

async function seeded(t: Test) {
  const stateDir = t.testdir();
  const redactor = new Redactor();
  const vault = await openFileVault({ stateDir, credentialsDirectory: undefined, redactor, now: steppingClock() });
  await vault.put(backup);
  await vault.put(registration);
  const file = path.join(stateDir, 'vault.enc');
  return { stateDir, file, vault, redactor, bytes: await fsp.readFile(file) };
}

/** Opens the vault again, collecting what it reports. */
async function reopen(stateDir: string, options: { credentialsDirectory?: string } = {}) {
  const reports: VaultCorruption[] = [];
  const redactor = new Redactor();
  const vault = await openFileVault({ stateDir, credentialsDirectory: undefined, ...options, redactor, onCorrupt: (info) => reports.push(info), now: () => new Date('2026-11-22T09:00:00Z') });
  return { vault, reports, redactor };
}

const secretsOf = async (vault: { list(): Promise<{ secret: string }[]> }) => (await vault.list()).map((r) => r.secret).sort();

t.test('the vault file and its key are private, and a restart reads the records back', async (t) => {
  const { stateDir, file } = await seeded(t);
  t.equal((await fsp.stat(file)).mode & 0o777, 0o600);
  t.equal((await fsp.stat(path.join(stateDir, 'vault.key'))).mode & 0o777, 0o600);
  const { vault, reports, redactor } = await reopen(stateDir);
  t.same(await secretsOf(vault), ['old-br-secret', 'old-reg-secret']);
  t.same(reports, []);
  t.equal(vault.keySource, 'state-dir');
  t.equal(vault.file, file);
  t.ok(redactor.has('old-br-secret') && redactor.has('old-reg-secret'), 'secrets loaded from disk are registered for redaction');
});

t.test('a vault file readable by others is made private again at start', async (t) => {
  const { stateDir, file } = await seeded(t);
  await fsp.chmod(file, 0o644);
  const { vault } = await reopen(stateDir);
  t.equal((await fsp.stat(file)).mode & 0o777, 0o600);
  t.equal((await vault.list()).length, 2);
});

t.test('stale temp files of the vault and its key are removed at start', async (t) => {
  const { stateDir } = await seeded(t);
  await fsp.writeFile(path.join(stateDir, '.vault.enc.tmp-1-deadbeef'), 'torn');
  await fsp.writeFile(path.join(stateDir, '.vault.key.tmp-1-deadbeef'), 'torn');
  await reopen(stateDir);
  t.same((await fsp.readdir(stateDir)).sort(), ['vault.enc', 'vault.key']);
});

t.test('the key comes from $CREDENTIALS_DIRECTORY by default', async (t) => {
  const dir = t.testdir({ creds: { 'vault.key': 'c'.repeat(32) }, state: {} });
  await fsp.chmod(path.join(dir, 'creds', 'vault.key'), 0o400);
  const saved = process.env.CREDENTIALS_DIRECTORY;
  process.env.CREDENTIALS_DIRECTORY = path.join(dir, 'creds');
  t.teardown(() => {
    if (saved === undefined) delete process.env.CREDENTIALS_DIRECTORY;
    else process.env.CREDENTIALS_DIRECTORY = saved;
  });
  const vault = await openFileVault({ stateDir: path.join(dir, 'state'), redactor: new Redactor() });
  t.equal(vault.keySource, 'credential');
  await vault.put(registration);
  t.same(await fsp.readdir(path.join(dir, 'state')), ['vault.enc'], 'no key file in the state directory');
});

/** Each damaged file is moved aside intact, reported with its reason, and the vault goes on empty. */
const damage: [string, string, (ctx: Awaited<ReturnType<typeof seeded>>) => Promise<void>][] = [
  ['a bit flip', 'tampered', async ({ file, bytes }) => {
    const bad = Buffer.from(bytes);
    bad[bad.length - 20]! ^= 0x04;
    await fsp.writeFile(file, bad);
  }],
  ['a truncation', 'truncated', ({ file, bytes }) => fsp.writeFile(file, bytes.subarray(0, bytes.length - 7))],
  ['a file emptied by a torn write', 'truncated', ({ file }) => fsp.writeFile(file, '')],
  ['a vault from a future version', 'future_version', async ({ file, bytes }) => {
    const future = Buffer.from(bytes);
    future[8] = 9;
    await fsp.writeFile(file, future);
  }],
  ['a changed key', 'wrong_key', ({ stateDir }) => fsp.writeFile(path.join(stateDir, 'vault.key'), Buffer.alloc(32, 1), { mode: 0o600 })],
  ['a missing key', 'wrong_key', ({ stateDir }) => fsp.rm(path.join(stateDir, 'vault.key'))],
  ['swapped records', 'record_mismatch', async ({ stateDir, file, bytes }) => {
    const keys = deriveKeys(await fsp.readFile(path.join(stateDir, 'vault.key')));
    const opened = openBody(bytes, keys);
    if (!opened.ok) throw new Error('seed did not open');
    const body = JSON.parse(opened.plain.toString());
    [body.records[0].sealed, body.records[1].sealed] = [body.records[1].sealed, body.records[0].sealed];
    await fsp.writeFile(file, sealBody(Buffer.from(JSON.stringify(body)), keys));
  }],
  ['a directory in its place', 'unreadable', async ({ file }) => {
    await fsp.rm(file);
    await fsp.mkdir(file);
  }],
];

for (const [what, reason, harm] of damage) {
  t.test(`${what} is moved aside, reported as ${reason}, and the vault continues empty`, async (t) => {
    const seed = await seeded(t);
    await harm(seed);
    const damaged = await fsp.readFile(seed.file).catch(() => undefined);
    const { vault, reports } = await reopen(seed.stateDir);
    t.equal(reports.length, 1);
    t.match(reports[0], { reason, file: seed.file, movedTo: `${seed.file}.corrupt-20261122T090000000Z`, at: '2026-11-22T09:00:00.000Z', detail: String });
    t.same(await fsp.readFile(reports[0]!.movedTo!).catch(() => undefined), damaged, 'the damaged file is kept as it was');
    t.same(await vault.list(), []);
    await vault.put({ ...registration, secret: 'new-reg-secret' });
    t.same(await secretsOf((await reopen(seed.stateDir)).vault), ['new-reg-secret'], 'and it works again');
  });
}

t.test('a planted symbolic link is moved aside without touching its target', async (t) => {
  const seed = await seeded(t);
  const target = path.join(seed.stateDir, 'precious');
  await fsp.writeFile(target, 'not yours');
  await fsp.rm(seed.file);
  await fsp.symlink(target, seed.file);
  const { vault, reports } = await reopen(seed.stateDir);
  t.match(reports, [{ reason: 'symlink', detail: 'it is a symbolic link' }]);
  t.equal(await fsp.readlink(reports[0]!.movedTo!), target);
  await vault.put(registration);
  t.equal(await fsp.readFile(target, 'utf8'), 'not yours');
  t.notOk((await fsp.lstat(seed.file)).isSymbolicLink());
});

t.test('a symbolic link planted while running refuses the write and keeps the old state', async (t) => {
  const seed = await seeded(t);
  const target = path.join(seed.stateDir, 'precious');
  await fsp.writeFile(target, 'not yours');
  await fsp.rename(seed.file, `${seed.file}.real`);
  await fsp.symlink(target, seed.file);
  await t.rejects(seed.vault.put({ ...registration, secret: 'new-reg-secret' }), { code: 'vault_write_failed', message: /symbolic link/ });
  t.equal(await fsp.readFile(target, 'utf8'), 'not yours');
  t.same(await secretsOf(seed.vault), ['old-br-secret', 'old-reg-secret']);
  t.notOk(seed.redactor.has('new-reg-secret'), 'a secret that was not stored is not kept');
});

t.test('two corruptions in the same millisecond keep both files', async (t) => {
  const seed = await seeded(t);
  await fsp.writeFile(`${seed.file}.corrupt-20261122T090000000Z`, 'earlier');
  await fsp.writeFile(seed.file, 'garbage');
  const { reports } = await reopen(seed.stateDir);
  t.match(reports, [{ reason: 'not_a_vault', movedTo: `${seed.file}.corrupt-20261122T090000000Z-1` }]);
  t.equal(await fsp.readFile(`${seed.file}.corrupt-20261122T090000000Z`, 'utf8'), 'earlier');
});

/** The file vault on a filesystem whose calls fail as `faulty.inject` says. */
function mocked() {
  const faulty = faultyFs();
  return { faulty, openFileVault: (options: FileVaultOptions) => openFileVault({ ...options, files: faulty.files }) };
}

t.test('write faults leave the previous vault intact, in use, and say why', async (t) => {
  const seed = await seeded(t);
  const { faulty, openFileVault: open } = mocked();
  const redactor = new Redactor();
  const vault = await open({ stateDir: seed.stateDir, credentialsDirectory: undefined, redactor });
  const temp = (file: string) => file.includes('.vault.enc.tmp-');
  const faults: [string, (call: string, file: string) => string | undefined][] = [
    ['ENOSPC', (call, file) => (call === 'write' && temp(file) ? 'ENOSPC' : undefined)],
    ['EROFS', (call, file) => (call === 'open' && temp(file) ? 'EROFS' : undefined)],
    ['EACCES', (call, file) => (call === 'open' && temp(file) ? 'EACCES' : undefined)],
    ['EIO', (call, file) => (call === 'fsync' && temp(file) ? 'EIO' : undefined)],
    ['EXDEV', (call) => (call === 'rename' ? 'EXDEV' : undefined)],
  ];
  for (const [code, injector] of faults) {
    faulty.inject(injector);
    await t.rejects(vault.put({ ...registration, secret: `lost-${code}` }), { code: 'vault_write_failed', message: new RegExp(`the vault was not changed: could not write .*vault.enc: ${code}`) }, code);
    await t.rejects(vault.delete(backup), { code: 'vault_write_failed' });
    faulty.inject(undefined);
    t.same(await secretsOf(vault), ['old-br-secret', 'old-reg-secret'], `${code}: the old records are still in use`);
    t.same(await fsp.readFile(seed.file), seed.bytes, `${code}: the old file is untouched`);
    t.same((await fsp.readdir(seed.stateDir)).sort(), ['vault.enc', 'vault.key'], `${code}: no temp file is left`);
    t.notOk(redactor.has(`lost-${code}`));
  }
  await vault.put({ ...registration, secret: 'new-reg-secret' });
  t.same(await secretsOf((await reopen(seed.stateDir)).vault), ['old-br-secret', 'new-reg-secret'].sort(), 'writes work again once the fault is gone');
});

t.test('a damaged vault that cannot be moved aside is never overwritten', async (t) => {
  const seed = await seeded(t);
  await fsp.writeFile(seed.file, 'garbage');
  const { faulty, openFileVault: open } = mocked();
  faulty.inject((call) => (call === 'rename' ? 'EROFS' : undefined));
  const reports: VaultCorruption[] = [];
  const vault = await open({ stateDir: seed.stateDir, credentialsDirectory: undefined, redactor: new Redactor(), onCorrupt: (info) => reports.push(info) });
  t.match(reports, [{ reason: 'not_a_vault', movedTo: undefined }]);
  await t.rejects(vault.put(registration), { code: 'vault_write_failed', message: /could not be moved aside/ });
  t.equal(await fsp.readFile(seed.file, 'utf8'), 'garbage');
  faulty.inject((call) => (call === 'lstat' ? 'EIO' : undefined));
  await t.rejects(vault.put(registration), { code: 'vault_write_failed' }, 'nor when its neighbours cannot be listed');
  faulty.inject(undefined);
  await vault.put(registration);
  t.ok((await fsp.readdir(seed.stateDir)).some((name) => name.startsWith('vault.enc.corrupt-')), 'moved aside at the next write');
  t.same(await secretsOf((await reopen(seed.stateDir)).vault), ['old-reg-secret']);
});

t.test('a damaged vault that disappeared by itself no longer blocks writes', async (t) => {
  const seed = await seeded(t);
  await fsp.writeFile(seed.file, 'garbage');
  const { faulty, openFileVault: open } = mocked();
  faulty.inject((call) => (call === 'rename' ? 'EROFS' : undefined));
  const vault = await open({ stateDir: seed.stateDir, credentialsDirectory: undefined, redactor: new Redactor() });
  faulty.inject(undefined);
  await fsp.rm(seed.file);
  await vault.put(registration);
  await vault.put(backup);
  t.equal((await vault.list()).length, 2);
});

t.test('a vault that cannot be read for the moment (EACCES, EIO, EMFILE) is a typed error and is left alone', async (t) => {
  const seed = await seeded(t);
  const { faulty, openFileVault: open } = mocked();
  const reports: VaultCorruption[] = [];
  for (const code of ['EACCES', 'EIO', 'EMFILE']) {
    faulty.inject((call, file) => (call === 'open' && file.endsWith('vault.enc') ? code : undefined));
    await t.rejects(open({ stateDir: seed.stateDir, credentialsDirectory: undefined, redactor: new Redactor(), onCorrupt: (info) => reports.push(info) }), { code: 'vault_unavailable', message: new RegExp(`now \\(${code}\\)`) });
  }
  t.same(reports, [], 'not reported as corrupt');
  t.same(await fsp.readFile(seed.file), seed.bytes, 'not moved aside');
  t.notOk((await fsp.readdir(seed.stateDir)).some((name) => name.includes('corrupt')));
  faulty.inject(undefined);
  const vault = await open({ stateDir: seed.stateDir, credentialsDirectory: undefined, redactor: new Redactor() });
  t.same(await secretsOf(vault), ['old-br-secret', 'old-reg-secret'], 'every credential is still there once the fault passes');
});

t.test('nothing the vault writes or reports contains a secret it holds', async (t) => {
  const seed = await seeded(t);
  const lines: string[] = [];
  await seed.vault.put({ purpose: 'em-mobile', username: 'mobile-user-77', secret: 'em-mobile-pw-77' });
  await seed.vault.put({ purpose: 'parameter', name: 'Profile_Rule', secret: 'https://p.example.com/x.cfg --uid u --pwd rule-pw-77' });
  await seed.vault.delete(registration);
  const errors = await seed.vault.put({ ...backup, origin: { scheme: 'https', host: 'br.example.com', port: 0 } as never }).catch((err: Error) => err.message);
  lines.push(JSON.stringify(errors));
  await fsp.writeFile(seed.file, Buffer.concat([await fsp.readFile(seed.file), Buffer.from('x')]));
  const { reports } = await reopen(seed.stateDir);
  lines.push(JSON.stringify(reports));
  const written = await Promise.all((await fsp.readdir(seed.stateDir)).filter((name) => name !== 'vault.key').map((name) => fsp.readFile(path.join(seed.stateDir, name))));
  const haystack = Buffer.concat([...written, Buffer.from(lines.join('\n'))]);
  for (const secret of ['old-br-secret', 'old-reg-secret', 'em-mobile-pw-77', 'rule-pw-77', 'mobile-user-77', 'alice', 'br.example.com']) {
    t.equal(haystack.indexOf(secret), -1, `${secret} appears nowhere`);
  }
  t.equal(encodeVault([], deriveKeys(Buffer.alloc(32))).length > 0, true);
});
