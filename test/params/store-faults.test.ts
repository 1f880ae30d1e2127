/**
 * The parameter store on a failing disk (issue 15, found by test/faults/storage-io.test.ts):
 * the faults come through the filesystem seam (test/fixtures/faults/filesystem.ts).
 */
import t from 'tap';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { MemorySecretKeeper, ParamStore, PUBLISHED_FILE, STATE_FILE } from '../../daemon/params/index.js';
import type { ProvisiondError } from '../../daemon/errors/index.js';
import { faultyFileSystem } from '../fixtures/faults/filesystem.js';

/** faultyFileSystem picks the EIO point from `random()` (EIO_POINTS): these pick `dirsync` and `read`. */
const EIO_DIRSYNC = 2.5 / 6;
const EIO_READ = 5.5 / 6;

const published = (dir: string): Record<string, string> => (JSON.parse(readFileSync(path.join(dir, PUBLISHED_FILE), 'utf8')) as { parameters: Record<string, string> }).parameters;
const state = (dir: string): { generation: number; layers: { provisioned: Record<string, string | null> } } => JSON.parse(readFileSync(path.join(dir, STATE_FILE), 'utf8'));

t.test('parameters.json failing behind a durable state: the change applies, is told, and parameters.json is written by the next commit', async (t) => {
  const dir = t.testdir({});
  const faulty = faultyFileSystem();
  const store = new ParamStore({ stateDir: dir, files: faulty.files });
  await store.load();
  const heard: string[][] = [];
  store.onChange((changed) => heard.push([...changed]));
  // The state file's write (open, write, rename) goes through; then the disk is read-only.
  faulty.inject('EROFS', dir, () => 0, 3);
  const err = (await store.applyProvisioned([{ name: 'Station_Name', value: 'new' }]).catch((e: unknown) => e)) as ProvisiondError;
  t.equal(err.code, 'state_write_failed', 'the caller hears of the failure');
  t.match(err.message, /parameters\.json: EROFS/);
  t.equal(state(dir).layers.provisioned.Station_Name, 'new', 'the state file holds the change');
  t.equal(store.get('Station_Name'), 'new', 'so it applies');
  t.same(heard, [['Station_Name']], 'and listeners hear of it');
  t.not(published(dir).Station_Name, 'new', 'parameters.json still lags');

  // Still failing: the lag stays, and the next commit tries again.
  await t.rejects(store.applyProvisioned([{ name: 'Station_Name', value: 'new' }]), { code: 'state_write_failed' });
  faulty.heal();
  t.same(await store.applyProvisioned([{ name: 'Station_Name', value: 'new' }]), [], 'the same profile again changes nothing');
  t.equal(published(dir).Station_Name, 'new', 'but parameters.json is written');
  t.same(heard, [['Station_Name']], 'and nobody hears of the change twice');
});

t.test('a commit that fails still uses up its generation: vault keys are never given to two values', async (t) => {
  const dir = t.testdir({});
  const faulty = faultyFileSystem();
  const keeper = new MemorySecretKeeper();
  const saved: string[] = [];
  const save = keeper.save.bind(keeper);
  keeper.save = async (key, value) => {
    saved.push(key);
    await save(key, value);
  };
  const store = new ParamStore({ stateDir: dir, secretKeeper: keeper, files: faulty.files });
  await store.load();
  await store.applyProvisioned([{ name: 'GPP_SA', value: 'first' }]);
  t.equal(state(dir).generation, 1);
  // The state file is renamed into place, then the directory fsync fails: on disk, named by generation 2.
  faulty.inject('EIO', dir, () => EIO_DIRSYNC, 1);
  await t.rejects(store.applyProvisioned([{ name: 'GPP_SA', value: 'second' }]), { code: 'state_write_failed' });
  faulty.heal();
  t.equal(state(dir).generation, 2, 'the failed state reached the disk');
  await store.applyProvisioned([{ name: 'GPP_SA', value: 'third' }]);
  t.same(saved, ['provisioned:GPP_SA#1', 'provisioned:GPP_SA#2', 'provisioned:GPP_SA#3'], 'each value under a key of its own');
  t.equal(store.get('GPP_SA'), 'third');
});

t.test('a state file that cannot be read during a commit is state_read_failed, and nothing changes', async (t) => {
  const dir = t.testdir({});
  const faulty = faultyFileSystem();
  const store = new ParamStore({ stateDir: dir, files: faulty.files });
  await store.load();
  await store.applyProvisioned([{ name: 'Station_Name', value: 'one' }]);
  faulty.inject('EIO', dir, () => EIO_READ);
  const err = (await store.applyProvisioned([{ name: 'Station_Name', value: 'two' }]).catch((e: unknown) => e)) as ProvisiondError;
  t.equal(err.code, 'state_read_failed');
  t.match(err.message, /parameters\.state\.json: EIO/);
  t.equal(store.get('Station_Name'), 'one');
  faulty.heal();
  t.same(await store.applyProvisioned([{ name: 'Station_Name', value: 'two' }]), ['Station_Name']);
});
