/**
 * The parameter store on a failing disk (issue 15, found by test/faults/storage-io.test.ts):
 * the faults come through the filesystem seam (test/fixtures/faults/filesystem.ts).
 */
import t, { type Test } from 'tap';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { MemorySecretKeeper, ParamStore, PUBLISHED_FILE, STATE_FILE } from '../../daemon/params/index.js';
import type { ProvisiondError } from '../../daemon/errors/index.js';
import { Logger, Redactor } from '../../daemon/log/index.js';
import { EIO_POINTS, faultyFileSystem, type StorageFault } from '../fixtures/faults/filesystem.js';

/** faultyFileSystem picks the EIO point from `random()` (EIO_POINTS): these pick `dirsync` and `read`. */
const EIO_DIRSYNC = 2.5 / 6;
const EIO_READ = 5.5 / 6;

function quietLogger(lines: string[] = []): Logger {
  return new Logger({ level: 'debug', redactor: new Redactor(), sink: { out: (l) => lines.push(l), err: (l) => lines.push(l) } });
}

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

interface Names {
  /** Keys the state file's secret values name. */
  readonly state: string[];
  /** The state file's `retainedKeys`. */
  readonly retained: string[];
  /** Keys the `.prev` copy's secret values name. */
  readonly prev: string[];
}

/** The vault keys the parameter state on disk names, as ParamStore.load reads them. */
function names(dir: string): Names {
  const read = (file: string): { layers: Record<string, Record<string, string | null>>; secretKeys?: Record<string, Record<string, string>>; retainedKeys?: string[] } | undefined =>
    existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')) : undefined;
  const secrets = (state: ReturnType<typeof read>): string[] =>
    Object.entries(state?.layers ?? {}).flatMap(([layer, values]) => Object.entries(values).filter(([, value]) => value === null).map(([name]) => state?.secretKeys?.[layer]?.[name] ?? `${layer}:${name}`));
  const file = path.join(dir, STATE_FILE);
  const state = read(file);
  return { state: secrets(state).sort(), retained: [...(state?.retainedKeys ?? [])].sort(), prev: secrets(read(file + '.prev')).sort() };
}

const sorted = (keys: Iterable<string>): string[] => [...new Set(keys)].sort();

/** Nothing lost (every key the state names is held) and nothing leaked (every key held is named by the state, its retained keys or `.prev`). */
function checkKeys(t: Test, dir: string, keeper: MemorySecretKeeper, label: string): void {
  const on = names(dir);
  const held = keeper.keys();
  t.same(on.state.filter((key) => !held.includes(key)), [], `${label}: every key the state names is in the vault`);
  t.same(held.filter((key) => ![...on.state, ...on.retained, ...on.prev].includes(key)).sort(), [], `${label}: no vault key that no state on disk names`);
}

/** A store with its own keeper on a disk that can fail (healthy until told), loaded, with one commit per value of GPP_SA. */
async function secretStore(t: Test, values: readonly string[]): Promise<{ dir: string; faulty: ReturnType<typeof faultyFileSystem>; keeper: MemorySecretKeeper; store: ParamStore }> {
  const dir = t.testdir({});
  const faulty = faultyFileSystem();
  const keeper = new MemorySecretKeeper();
  const store = new ParamStore({ stateDir: dir, secretKeeper: keeper, files: faulty.files });
  await store.load();
  for (const value of values) await store.applyProvisioned([{ name: 'GPP_SA', value }]);
  return { dir, faulty, keeper, store };
}

const FAULTS: readonly { code: StorageFault; random: number; after: number; name: string }[] = [
  // ENOSPC: a short write; `after` 1 lets the `.prev` copy through and fails the state file itself.
  { code: 'ENOSPC', random: 0.5, after: 0, name: 'ENOSPC on the .prev copy' },
  { code: 'ENOSPC', random: 0.5, after: 1, name: 'ENOSPC on the state file' },
  ...EIO_POINTS.flatMap((point, i) => [0, 1].map((after) => ({ code: 'EIO' as const, random: (i + 0.5) / EIO_POINTS.length, after, name: `EIO at ${point}${after === 1 ? ' (after one)' : ''}` }))),
];

t.test('a commit whose state write fails leaves no vault key behind: the next commits remove it, unless a state on disk names it', async (t) => {
  for (const fault of FAULTS) {
    const { dir, faulty, keeper, store } = await secretStore(t, ['first']);
    faulty.inject(fault.code, dir, () => fault.random, fault.after);
    await t.rejects(store.applyProvisioned([{ name: 'GPP_SA', value: 'second' }]), `${fault.name}: the commit fails`);
    t.ok(keeper.keys().includes('provisioned:GPP_SA#2'), `${fault.name}: its secret was saved first`);
    faulty.heal();
    await store.applyProvisioned([{ name: 'GPP_SA', value: 'third' }]);
    checkKeys(t, dir, keeper, `${fault.name}, then a commit`);
    await store.applyProvisioned([{ name: 'GPP_SA', value: 'fourth' }]);
    checkKeys(t, dir, keeper, `${fault.name}, then two commits`);
    const on = names(dir);
    t.same(keeper.keys().sort(), sorted([...on.state, ...on.retained]), `${fault.name}: the vault holds exactly what the state names and retains`);
    t.same(on.state, ['provisioned:GPP_SA#4']);
    const restarted = new ParamStore({ stateDir: dir, secretKeeper: keeper });
    await restarted.load();
    t.equal(restarted.get('GPP_SA'), 'fourth', `${fault.name}: nothing lost`);
  }
});

t.test('a failed state write that reached the disk keeps its key while .prev names it, and not one commit longer', async (t) => {
  const { dir, faulty, keeper, store } = await secretStore(t, ['first']);
  // The .prev copy and the state file are renamed into place; the state's directory fsync fails.
  faulty.inject('EIO', dir, () => EIO_DIRSYNC, 1);
  await t.rejects(store.applyProvisioned([{ name: 'GPP_SA', value: 'second' }]), { code: 'state_write_failed' });
  faulty.heal();
  t.same(names(dir).state, ['provisioned:GPP_SA#2'], 'the failed state is on disk');
  await store.applyProvisioned([{ name: 'GPP_SA', value: 'third' }]);
  t.same(names(dir).prev, ['provisioned:GPP_SA#2'], 'and is the .prev copy now');
  t.equal(await keeper.load('provisioned:GPP_SA#2'), 'second', 'so the value it names stays');
  // A torn state file: start-up falls back to that copy and finds its secret.
  const torn = path.join(dir, 'torn');
  mkdirSync(torn);
  writeFileSync(path.join(torn, STATE_FILE), 'torn');
  writeFileSync(path.join(torn, STATE_FILE + '.prev'), readFileSync(path.join(dir, STATE_FILE + '.prev')));
  const copy = new MemorySecretKeeper();
  await copy.save('provisioned:GPP_SA#2', (await keeper.load('provisioned:GPP_SA#2'))!);
  const fallback = new ParamStore({ stateDir: torn, secretKeeper: copy, logger: quietLogger() });
  await fallback.load();
  t.equal(fallback.get('GPP_SA'), 'second');
  await store.applyProvisioned([{ name: 'GPP_SA', value: 'fourth' }]);
  t.same(keeper.keys().sort(), ['provisioned:GPP_SA#3', 'provisioned:GPP_SA#4'], 'once .prev no longer names it, it goes');
});

t.test('a failed commit, then a restart: load removes the keys no state on disk names', async (t) => {
  for (const fault of FAULTS) {
    const { dir, faulty, keeper, store } = await secretStore(t, ['first', 'second']);
    faulty.inject(fault.code, dir, () => fault.random, fault.after);
    await t.rejects(store.applyProvisioned([{ name: 'GPP_SA', value: 'third' }, { name: 'GPP_SB', value: 'new-secret' }]), `${fault.name}: the commit fails`);
    faulty.heal();
    const restarted = new ParamStore({ stateDir: dir, secretKeeper: keeper });
    await restarted.load();
    const on = names(dir);
    t.same(keeper.keys().sort(), sorted([...on.state, ...on.retained, ...on.prev]), `${fault.name}: after load the vault holds exactly what the state, its retained keys and .prev name`);
    t.ok(['second', 'third'].includes(restarted.get('GPP_SA')!), `${fault.name}: a whole state with its own secret`);
    await restarted.applyProvisioned([{ name: 'GPP_SA', value: 'fifth' }]);
    await restarted.applyProvisioned([{ name: 'GPP_SA', value: 'sixth' }]);
    const after = names(dir);
    t.same(keeper.keys().sort(), sorted([...after.state, ...after.retained]), `${fault.name}: two commits later, what the state names and retains`);
  }
});

t.test('a power cut between the vault write and the state write: load removes the key nothing names', async (t) => {
  const { dir, keeper } = await secretStore(t, ['first', 'second']);
  // The next commit saved its secrets (generation 3), and the process died before its state.
  await keeper.save('provisioned:GPP_SA#3', 'third');
  await keeper.save('local:EM_Mobile_Password#3', 'mobile');
  const restarted = new ParamStore({ stateDir: dir, secretKeeper: keeper });
  await restarted.load();
  t.same(keeper.keys().sort(), ['provisioned:GPP_SA#1', 'provisioned:GPP_SA#2'], 'the state\'s key and the one .prev names stay; the dead commit\'s go');
  t.equal(restarted.get('GPP_SA'), 'second');
  // The next commit takes generation 3 again: its key is the dead commit's, now its own.
  await restarted.applyProvisioned([{ name: 'GPP_SA', value: 'third' }]);
  t.same(keeper.keys().sort(), ['provisioned:GPP_SA#2', 'provisioned:GPP_SA#3']);
});

t.test('load keeps what .prev alone names until the next commit, and the keys of state files from before generations', async (t) => {
  const dir = t.testdir({
    // A state from before generations names `layer:name`; its .prev copy an older key.
    [STATE_FILE]: JSON.stringify({ version: 1, layers: { provisioned: { GPP_SA: null }, local: {} } }),
    [STATE_FILE + '.prev']: JSON.stringify({ version: 1, layers: { provisioned: { GPP_SB: null }, local: {} }, secretKeys: { provisioned: { GPP_SB: 'provisioned:GPP_SB#9' }, local: {} } }),
  });
  const keeper = new MemorySecretKeeper();
  for (const key of ['provisioned:GPP_SA', 'provisioned:GPP_SB#9', 'provisioned:GPP_SA#1']) await keeper.save(key, key);
  const store = new ParamStore({ stateDir: dir, secretKeeper: keeper });
  await store.load();
  t.same(keeper.keys().sort(), ['provisioned:GPP_SA', 'provisioned:GPP_SB#9'], 'named by the state or by .prev: kept');
  await store.applyProvisioned([{ name: 'GPP_SC', value: 'c' }]);
  t.same(keeper.keys().sort(), ['provisioned:GPP_SA', 'provisioned:GPP_SC#1'], '.prev now names the state\'s keys only: the older key goes');
});

t.test('a damaged state copy, or a vault that cannot list or remove, leaves every key at load; the next commit or start-up removes them', async (t) => {
  const { dir, keeper } = await secretStore(t, ['first', 'second']);
  await keeper.save('provisioned:GPP_SA#3', 'orphan');
  const file = path.join(dir, STATE_FILE);
  const good = readFileSync(file);
  // A torn state file may name keys nobody can read: nothing is removed.
  writeFileSync(file, 'torn');
  await new ParamStore({ stateDir: dir, secretKeeper: keeper, logger: quietLogger() }).load();
  t.same(keeper.keys().sort(), ['provisioned:GPP_SA#1', 'provisioned:GPP_SA#2', 'provisioned:GPP_SA#3']);
  writeFileSync(file, good);
  // A .prev copy that cannot be read now: nothing is removed, and start-up goes on.
  const faulty = faultyFileSystem();
  faulty.inject('EIO', file + '.prev', () => EIO_READ);
  const lines: string[] = [];
  const unread = new ParamStore({ stateDir: dir, secretKeeper: keeper, files: faulty.files, logger: quietLogger(lines) });
  await unread.load();
  faulty.heal();
  t.equal(unread.get('GPP_SA'), 'second');
  t.ok(keeper.keys().includes('provisioned:GPP_SA#3'));
  t.ok(lines.some((line) => /cannot remove vault keys/.test(line) && /EIO/.test(line)), 'the reason is logged');
  // A vault that cannot remove: the key is left for the next commit, which removes it.
  const remove = keeper.remove.bind(keeper);
  keeper.remove = async () => {
    throw new Error('vault_write_failed');
  };
  const stuck = new ParamStore({ stateDir: dir, secretKeeper: keeper, logger: quietLogger() });
  await stuck.load();
  keeper.remove = remove;
  t.ok(keeper.keys().includes('provisioned:GPP_SA#3'));
  await stuck.applyProvisioned([{ name: 'Station_Name', value: 'x' }]);
  t.same(keeper.keys().sort(), ['provisioned:GPP_SA#2'], 'the next commit removed it (and the key only the old .prev named)');
});

t.test('a state file that cannot be read at start-up is state_read_failed, and no vault key is touched', async (t) => {
  const dir = t.testdir({});
  const keeper = new MemorySecretKeeper();
  await new ParamStore({ stateDir: dir, secretKeeper: keeper }).applyProvisioned([{ name: 'GPP_SA', value: 'first' }]);
  await keeper.save('provisioned:GPP_SA#2', 'orphan');
  const faulty = faultyFileSystem();
  faulty.inject('EIO', dir, () => EIO_READ);
  await t.rejects(new ParamStore({ stateDir: dir, secretKeeper: keeper, files: faulty.files }).load(), { code: 'state_read_failed' });
  t.same(keeper.keys().sort(), ['provisioned:GPP_SA#1', 'provisioned:GPP_SA#2']);
});

t.test('the very first commit failing: the next commit, with no state on disk before it, removes its key', async (t) => {
  const { dir, faulty, keeper, store } = await secretStore(t, []);
  faulty.inject('ENOSPC', dir, () => 0.5);
  await t.rejects(store.applyProvisioned([{ name: 'GPP_SA', value: 'first' }]), { code: 'state_write_failed' });
  faulty.heal();
  t.same(keeper.keys(), ['provisioned:GPP_SA#1']);
  await store.applyProvisioned([{ name: 'Station_Name', value: 'x' }]);
  t.same(keeper.keys(), [], 'no state names it');
});
