/**
 * The parameter store (SPEC §3). Values come, lowest first, from the owned defaults, the
 * settings file's `parameters`, provisioned profiles and local changes. Profiles are applied
 * as one transaction: every value is validated first, the new state is written durably, and
 * only then does the applied set change. Secret values live in a SecretKeeper (the vault);
 * the files in stateDir never hold them.
 */
import { constants as fsConstants } from 'node:fs';
import * as path from 'node:path';
import { ProvisiondError, toProvisiondError } from '../errors/index.js';
import { nodeFileSystem, readFileIfExists, removeStaleTemps, writeFileDurable, type FileHandle, type FileSystem } from '../fsutil/index.js';
import { Redactor, type Logger } from '../log/index.js';
import { OWNED_PARAMS, canonicalName, hasLiteralSecrets, isSecretParam, maskRule, normaliseValue, ruleSecrets } from './registry.js';
import { MemorySecretKeeper, type SecretKeeper } from './secrets.js';

export type Layer = 'provisioned' | 'local';
const LAYERS: readonly Layer[] = ['provisioned', 'local'];

export interface ParamUpdate {
  readonly name: string;
  readonly value: string;
}

/**
 * What a profile says a user may do with a parameter (`ua`, SPEC §3): `ro` read-only, `na` not
 * shown; `rw`, the default, removes a restriction an earlier profile set.
 */
export type UserAccess = 'rw' | 'ro' | 'na';

export interface AccessUpdate {
  readonly name: string;
  readonly access: UserAccess;
}

export interface ParamStoreOptions {
  readonly stateDir: string;
  /** The settings file's `parameters` (factory values). */
  readonly factory?: Readonly<Record<string, string>>;
  readonly secretKeeper?: SecretKeeper;
  /** User data (backup file keys) never comes from a profile (SPEC §3). */
  readonly isUserData?: (name: string) => boolean;
  readonly logger?: Logger;
  /** Where secret values are registered: the app's registry (by default the logger's). */
  readonly redactor?: Redactor;
  readonly files?: FileSystem;
}

type LayerValues = Map<string, string>;

interface StateFile {
  version: 1;
  layers: Record<Layer, Record<string, string | null>>;
  /** `ua` restrictions from profiles; absent in files of versions before it. */
  access?: Record<string, 'ro' | 'na'>;
  /**
   * The vault key of each secret value (`layer:name#generation`); absent in older files, whose
   * keys were `layer:name`. A changed secret gets a new key, so the vault never holds a value
   * that a state file on disk does not name: a power cut between the two writes leaves the old
   * state with its old, untouched keys.
   */
  secretKeys?: Record<Layer, Record<string, string>>;
  /** Keys of the previous values of changed secrets, still named by the `.prev` copy. */
  retainedKeys?: string[];
  generation?: number;
}

export const PUBLISHED_FILE = 'parameters.json';
export const STATE_FILE = 'parameters.state.json';

export class ParamStore {
  private readonly stateDir: string;
  private readonly files: FileSystem;
  private readonly keeper: SecretKeeper;
  private readonly isUserData: (name: string) => boolean;
  private readonly logger: Logger | undefined;
  private readonly redactor: Redactor;
  private readonly factory: Map<string, string>;
  private layers: Record<Layer, LayerValues> = { provisioned: new Map(), local: new Map() };
  private restrictions = new Map<string, 'ro' | 'na'>();
  /** The vault key of each secret value in the state on disk, per layer. */
  private secretKeys: Record<Layer, Map<string, string>> = { provisioned: new Map(), local: new Map() };
  /** Keys the previous state (the `.prev` copy) names: kept until the next commit. */
  private priorKeys = new Set<string>();
  /**
   * Keys saved by a commit whose state may not have reached the disk (its write failed), or
   * that start-up could not remove: the next commit removes each that neither its state nor
   * the `.prev` copy it writes names (a failed write may still have landed, and become `.prev`).
   */
  private unnamed = new Set<string>();
  private generation = 0;
  /** parameters.json lags the applied set (its write failed): the next commit writes it even with nothing changed. */
  private unpublished = false;
  /** A commit failed part-way: the state on disk may be that commit's, not `layers`, until one succeeds. */
  private inDoubt = false;
  private applied = new Map<string, string>();
  /** `derive`'s results, each with the applied set it was computed from (a change replaces the set). */
  private readonly derived = new Map<(applied: ReadonlyMap<string, string>) => unknown, { of: ReadonlyMap<string, string>; value: unknown }>();
  private readonly listeners = new Set<(changed: readonly string[]) => void>();
  private queue: Promise<unknown> = Promise.resolve();

  constructor(options: ParamStoreOptions) {
    this.stateDir = options.stateDir;
    this.files = options.files ?? nodeFileSystem;
    this.keeper = options.secretKeeper ?? new MemorySecretKeeper();
    this.isUserData = options.isUserData ?? (() => false);
    this.logger = options.logger;
    this.redactor = options.redactor ?? options.logger?.redactor ?? new Redactor();
    this.factory = new Map();
    for (const [name, value] of Object.entries(options.factory ?? {})) {
      const canonical = canonicalName(name);
      const normalised = normaliseValue(canonical, value);
      this.factory.set(canonical, normalised);
      if (isSecretValue(canonical, normalised)) registerSecret(this.redactor, normalised);
    }
    this.applied = this.compute();
  }

  /** Loads the persisted layers (falling back to the previous good copy) and republishes. */
  async load(): Promise<void> {
    // A power cut during a durable write leaves its temp file; nothing else would remove it.
    for (const name of [STATE_FILE, STATE_FILE + '.prev', PUBLISHED_FILE]) await removeStaleTemps(path.join(this.stateDir, name), this.files);
    const { state, copies } = await this.readState();
    this.generation = state?.generation ?? 0;
    this.priorKeys = new Set(state?.retainedKeys ?? []);
    for (const layer of LAYERS) {
      const values: LayerValues = new Map();
      const keys = new Map<string, string>();
      for (const [name, value] of Object.entries(state?.layers[layer] ?? {})) {
        const key = secretKeyOf(state!, layer, name);
        if (value === null) keys.set(name, key);
        const restored = value ?? (await this.keeper.load(key));
        if (restored === undefined) {
          this.logger?.warning('a secret parameter is missing from the vault; using the lower layer', { parameter: name });
          continue;
        }
        if (value === null) registerSecret(this.redactor, restored);
        values.set(name, restored);
      }
      this.layers[layer] = values;
      this.secretKeys[layer] = keys;
    }
    this.restrictions = new Map(Object.entries(state?.access ?? {}).filter((entry): entry is [string, 'ro' | 'na'] => entry[1] === 'ro' || entry[1] === 'na'));
    await this.removeUnnamedSecrets(state, copies);
    this.applied = this.compute();
    await this.publish();
  }

  /**
   * A commit saves its secrets before its state: a full disk or a power cut between the two
   * leaves vault keys that no state names, and nothing else would ever remove them. They go at
   * start-up; a key the state file or its `.prev` copy names never does, and with a copy that
   * could not be read none does (it may name keys nobody can read now).
   */
  private async removeUnnamedSecrets(state: StateFile | undefined, copies: readonly StateFile[] | undefined): Promise<void> {
    if (copies === undefined) return;
    const named = new Set([...namedKeys(state), ...(state?.retainedKeys ?? [])]);
    for (const copy of copies) {
      for (const key of namedKeys(copy)) {
        // Named by `.prev` alone: named no longer once the next commit rewrites `.prev`.
        if (!named.has(key)) this.priorKeys.add(key);
        named.add(key);
      }
    }
    try {
      for (const key of await this.keeper.list()) {
        if (named.has(key)) continue;
        this.unnamed.add(key);
        await this.keeper.remove(key);
        this.unnamed.delete(key);
      }
    } catch (error) {
      this.warnUnremoved(error);
    }
  }

  private warnUnremoved(error: unknown): void {
    this.logger?.warning('cannot remove vault keys no parameter state names; a later commit or start-up will', { error: toProvisiondError(error).message });
  }

  /** What the provisioned profiles let a user do with the parameter (`ua`). */
  access(name: string): UserAccess {
    return this.restrictions.get(canonicalName(name)) ?? 'rw';
  }

  get(name: string): string | undefined {
    return this.applied.get(canonicalName(name));
  }

  /** Every applied parameter, secrets included: for the daemon's own use, never to print. */
  snapshot(): Record<string, string> {
    return Object.fromEntries(this.applied);
  }

  /**
   * A value computed from every applied parameter (secrets included: for the daemon's own
   * use, never to print), computed again only once the applied set changed: a resync reads
   * a few names out of thousands. `compute` is the key of the cache, so pass the same function.
   */
  derive<T>(compute: (applied: ReadonlyMap<string, string>) => T): T {
    const cached = this.derived.get(compute);
    if (cached?.of === this.applied) return cached.value as T;
    const value = compute(this.applied);
    this.derived.set(compute, { of: this.applied, value });
    return value;
  }

  /** The applied, non-secret view (what parameters.json holds). */
  published(): Record<string, string> {
    return publishedOf(this.applied);
  }

  /** What a user may see (`params` over the feed and the CLI): the published view without `ua="na"`. */
  userView(): Record<string, string> {
    const out = this.published();
    for (const name of this.restrictions.keys()) if (this.restrictions.get(name) === 'na') delete out[name];
    return out;
  }

  /** Where a parameter's applied value comes from. */
  origin(name: string): 'local' | 'provisioned' | 'settings' | 'default' | undefined {
    const canonical = canonicalName(name);
    if (this.layers.local.has(canonical)) return 'local';
    if (this.layers.provisioned.has(canonical)) return 'provisioned';
    if (this.factory.has(canonical)) return 'settings';
    return OWNED_PARAMS.has(canonical) ? 'default' : undefined;
  }

  onChange(listener: (changed: readonly string[]) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * Applies a whole profile: all values (and `ua` restrictions) or none. User data in a
   * profile is ignored.
   */
  applyProvisioned(updates: readonly ParamUpdate[], access: readonly AccessUpdate[] = []): Promise<string[]> {
    const accept = (name: string): boolean => {
      if (!this.isUserData(name)) return true;
      this.logger?.info('ignoring user data in a provisioned profile', { parameter: name });
      return false;
    };
    return this.transaction('provisioned', updates, accept, (restrictions) => {
      for (const entry of access) {
        const name = canonicalName(entry.name);
        if (!accept(name)) continue;
        if (entry.access === 'rw') restrictions.delete(name);
        else restrictions.set(name, entry.access);
      }
    });
  }

  /** Local changes (technician, restore, EM): highest priority. */
  setLocal(updates: readonly ParamUpdate[]): Promise<string[]> {
    return this.transaction('local', updates, () => true);
  }

  /** Removes local overrides so the provisioned or factory value applies again. */
  clearLocal(names: readonly string[]): Promise<string[]> {
    return this.serialise(async () => {
      const next = new Map(this.layers.local);
      for (const name of names) next.delete(canonicalName(name));
      return this.commit({ ...this.layers, local: next });
    });
  }

  private transaction(layer: Layer, updates: readonly ParamUpdate[], accept: (name: string) => boolean, restrict?: (restrictions: Map<string, 'ro' | 'na'>) => void): Promise<string[]> {
    return this.serialise(async () => {
      const next = new Map(this.layers[layer]);
      for (const update of updates) {
        const name = canonicalName(update.name);
        if (!accept(name)) continue;
        const value = normaliseValue(name, update.value);
        // An unchanged value keeps the string the store already holds: the profile's copy dies
        // young instead of being kept (and promoted) in its place, so re-applying a large
        // profile leaves the collector little to move.
        if (next.get(name) !== value) next.set(name, value);
      }
      const restrictions = new Map(this.restrictions);
      restrict?.(restrictions);
      return this.commit({ ...this.layers, [layer]: next }, restrictions);
    });
  }

  private serialise<T>(job: () => Promise<T>): Promise<T> {
    const run = this.queue.then(job, job);
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async commit(layers: Record<Layer, LayerValues>, restrictions = this.restrictions): Promise<string[]> {
    // The same values and restrictions as the state on disk (a periodic resync fetching an
    // unchanged profile whole): nothing is written, which spares the phone's flash two file
    // replacements and four fsyncs per resync.
    if (!this.inDoubt && !this.unpublished && this.unnamed.size === 0 && sameEntries(restrictions, this.restrictions) && LAYERS.every((layer) => sameEntries(layers[layer], this.layers[layer]))) return [];
    const before = this.applied;
    const previous = this.layers;
    this.inDoubt = true;
    // Taken even if this commit fails: a failed write may still have reached the disk (a
    // rename whose directory fsync failed) naming this generation's vault keys, and the next
    // commit must not reuse those keys for other values.
    const generation = ++this.generation;
    const keys = await this.persistSecrets(layers, previous, generation);
    const retained = this.retainedKeys(keys);
    const prevCopy = await this.writeState(layers, restrictions, keys, retained, generation);
    await this.forgetSecrets(keys, retained, prevCopy);
    this.inDoubt = false;
    this.layers = layers;
    this.restrictions = restrictions;
    const applied = this.compute();
    const changed = [...new Set([...before.keys(), ...applied.keys()])].filter((name) => before.get(name) !== applied.get(name));
    // parameters.json is written before the new values are read here: whoever sees a value in
    // memory (status, a test, a listener) finds the same in the file. If that write fails, the
    // state file already holds the change: it applies (listeners hear of it), the caller gets
    // the error, and parameters.json is written again by the next commit (a retried resync).
    let failure: ProvisiondError | undefined;
    if (changed.length > 0 || this.unpublished) {
      try {
        await this.publish(applied);
        this.unpublished = false;
      } catch (error) {
        this.unpublished = true;
        failure = toProvisiondError(error, 'state_write_failed');
      }
    }
    this.applied = applied;
    if (changed.length > 0) for (const listener of [...this.listeners]) listener(changed);
    if (failure !== undefined) throw failure;
    return changed;
  }

  private compute(): Map<string, string> {
    const out = new Map<string, string>();
    for (const [name, param] of OWNED_PARAMS) out.set(name, param.default);
    for (const source of [this.factory, this.layers.provisioned, this.layers.local]) {
      for (const [name, value] of source) out.set(name, value);
    }
    return out;
  }

  /** Saves every new or changed secret under a key of this generation; returns the keys the new state names. */
  private async persistSecrets(next: Record<Layer, LayerValues>, previous: Record<Layer, LayerValues>, generation: number): Promise<Record<Layer, Map<string, string>>> {
    const keys: Record<Layer, Map<string, string>> = { provisioned: new Map(), local: new Map() };
    for (const layer of LAYERS) {
      for (const [name, value] of next[layer]) {
        if (!isSecretValue(name, value)) continue;
        const kept = previous[layer].get(name) === value ? this.secretKeys[layer].get(name) : undefined;
        if (kept !== undefined) {
          keys[layer].set(name, kept);
          continue;
        }
        const key = `${layer}:${name}#${generation}`;
        registerSecret(this.redactor, value);
        // Until this commit's state is on disk, nothing names the key (see `unnamed`).
        this.unnamed.add(key);
        await this.keeper.save(key, value);
        keys[layer].set(name, key);
      }
    }
    return keys;
  }

  /** The keys of changed secrets' old values: kept one commit longer, for the `.prev` copy start-up may fall back to. */
  private retainedKeys(next: Record<Layer, Map<string, string>>): Set<string> {
    const named = new Set(LAYERS.flatMap((layer) => [...next[layer].values()]));
    const retained = new Set<string>();
    for (const layer of LAYERS) for (const [name, key] of this.secretKeys[layer]) if (!named.has(key) && next[layer].has(name)) retained.add(key);
    return retained;
  }

  /**
   * Once the new state is on disk: every key it neither names nor retains leaves the vault (a
   * cleared secret at once). A failed commit's key goes too, unless the `.prev` copy just
   * written names it (that commit's state reached the disk after all): it goes the commit after.
   */
  private async forgetSecrets(next: Record<Layer, Map<string, string>>, retained: ReadonlySet<string>, prevCopy: Buffer | undefined): Promise<void> {
    const named = new Set(LAYERS.flatMap((layer) => [...next[layer].values()]));
    const known = [...LAYERS.flatMap((layer) => [...this.secretKeys[layer].values()]), ...this.priorKeys];
    for (const key of new Set(known)) if (!named.has(key) && !retained.has(key)) await this.keeper.remove(key);
    this.priorKeys = new Set(retained);
    this.secretKeys = next;
    // Read only after a failed commit: usually every unnamed key is this commit's own, now named.
    let prevNames: Set<string> | undefined;
    for (const key of this.unnamed) {
      if (!named.has(key)) {
        prevNames ??= namedKeys(prevCopy === undefined ? undefined : parseState(prevCopy));
        if (prevNames.has(key)) continue;
        await this.keeper.remove(key);
      }
      this.unnamed.delete(key);
    }
  }

  /** Writes the state durably, its last good copy first; returns what that copy (`.prev`) now holds. */
  private async writeState(layers: Record<Layer, LayerValues>, restrictions: ReadonlyMap<string, 'ro' | 'na'>, keys: Record<Layer, Map<string, string>>, retained: ReadonlySet<string>, generation: number): Promise<Buffer | undefined> {
    const secretKeys = { provisioned: Object.fromEntries(keys.provisioned), local: Object.fromEntries(keys.local) };
    const state: StateFile = { version: 1, layers: { provisioned: {}, local: {} }, access: Object.fromEntries(restrictions), secretKeys, retainedKeys: [...retained], generation };
    for (const layer of LAYERS) {
      for (const [name, value] of layers[layer]) state.layers[layer][name] = isSecretValue(name, value) ? null : value;
    }
    const file = path.join(this.stateDir, STATE_FILE);
    // Keep the last good copy: if this write is torn or lost, start-up falls back to it.
    // Never through a link: the state file is read with O_NOFOLLOW, and a link planted at
    // `.prev` is removed (the link, not what it names) before the copy is written beside it.
    const current = await readOwnFile(this.files, file).catch((err: NodeJS.ErrnoException) => {
      throw new ProvisiondError('state_read_failed', `cannot read ${file}: ${err.code}`, { path: file }, { cause: err });
    });
    if (current !== undefined) {
      const prev = file + '.prev';
      if ((await this.files.lstat(prev).catch(() => undefined))?.isSymbolicLink()) await this.files.remove(prev);
      await writeFileDurable(prev, current, { mode: 0o640, files: this.files });
    }
    await writeFileDurable(file, JSON.stringify(state, null, 1) + '\n', { mode: 0o640, files: this.files });
    return current;
  }

  private async publish(applied: ReadonlyMap<string, string> = this.applied): Promise<void> {
    const body = JSON.stringify({ version: 1, parameters: publishedOf(applied) }, null, 2) + '\n';
    await writeFileDurable(path.join(this.stateDir, PUBLISHED_FILE), body, { mode: 0o644, files: this.files });
  }

  /**
   * The state in use: the file, else its `.prev` copy (a torn write of the file). `copies` is
   * every copy on disk, parsed once here for the start-up clean-up of vault keys; undefined
   * when one is damaged or cannot be read.
   */
  private async readState(): Promise<{ state: StateFile | undefined; copies: StateFile[] | undefined }> {
    const file = path.join(this.stateDir, STATE_FILE);
    let state: StateFile | undefined;
    let copies: StateFile[] | undefined = [];
    for (const candidate of [file, file + '.prev']) {
      let data: Buffer | undefined;
      try {
        data = await readFileIfExists(candidate, this.files);
      } catch (err) {
        // Past the copy in use, a read error only keeps the clean-up from removing anything.
        if (state !== undefined) {
          this.warnUnremoved(err);
          copies = undefined;
          continue;
        }
        throw new ProvisiondError('state_read_failed', `cannot read ${candidate}: ${(err as NodeJS.ErrnoException).code}`, { path: candidate }, { cause: err });
      }
      if (data === undefined) continue;
      const parsed = parseState(data);
      if (parsed === undefined) {
        copies = undefined;
        if (state === undefined) this.logger?.warning('parameter state file is damaged (torn or truncated); ignoring it', { file: candidate });
        continue;
      }
      copies?.push(parsed);
      if (state !== undefined) continue;
      if (candidate !== file) this.logger?.warning('parameter state was damaged; using the previous good copy', { file: candidate });
      state = parsed;
    }
    return { state, copies };
  }
}

/** The applied, non-secret view of a set of values: secrets left out, rules masked. */
function publishedOf(applied: ReadonlyMap<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of [...applied.keys()].sort()) {
    const value = applied.get(name)!;
    if (isSecretParam(name)) continue;
    out[name] = hasLiteralSecrets(name, value) ? maskRule(value) : value;
  }
  return out;
}

/** Registers a secret value, and the literal passwords inside a rule, for redaction. */
function registerSecret(redactor: Redactor, value: string): void {
  redactor.add(value);
  for (const part of ruleSecrets(value)) redactor.add(part);
}

function isSecretValue(name: string, value: string): boolean {
  return (isSecretParam(name) && value !== '') || hasLiteralSecrets(name, value);
}

/** The vault key a state gives a secret value: `layer:name#generation`, or `layer:name` in files from before generations. */
function secretKeyOf(state: StateFile, layer: Layer, name: string): string {
  return state.secretKeys?.[layer]?.[name] ?? `${layer}:${name}`;
}

/** The vault keys of the secret values a state holds (not its `retainedKeys`, which name another file's). */
function namedKeys(state: StateFile | undefined): Set<string> {
  const keys = new Set<string>();
  if (state === undefined) return keys;
  for (const layer of LAYERS) for (const [name, value] of Object.entries(state.layers[layer])) if (value === null) keys.add(secretKeyOf(state, layer, name));
  return keys;
}

function parseState(data: Buffer): StateFile | undefined {
  try {
    const state = JSON.parse(data.toString('utf8')) as StateFile;
    if (state.version !== 1 || typeof state.layers?.provisioned !== 'object' || typeof state.layers?.local !== 'object') return undefined;
    return state;
  } catch {
    return undefined;
  }
}


/** The file's bytes, or undefined when it is missing, a link or not a regular file. */
async function readOwnFile(files: FileSystem, file: string): Promise<Buffer | undefined> {
  let handle: FileHandle;
  try {
    handle = await files.open(file, fsConstants.O_RDONLY | fsConstants.O_NOFOLLOW | fsConstants.O_NONBLOCK);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT' || (err as NodeJS.ErrnoException).code === 'ELOOP') return undefined;
    throw err;
  }
  try {
    return (await handle.stat()).isFile() ? await handle.readFile() : undefined;
  } finally {
    await handle.close();
  }
}

function sameEntries<V>(a: ReadonlyMap<string, V>, b: ReadonlyMap<string, V>): boolean {
  if (a.size !== b.size) return false;
  for (const [key, value] of a) if (b.get(key) !== value) return false;
  return true;
}
