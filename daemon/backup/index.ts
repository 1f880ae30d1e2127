/**
 * Avaya backup and restore (SPEC §3, §5, §7; DOMAIN.md §3.3–3.4): registration (extension and
 * registration password), local user data (`set` / `unset`), one PUT of
 * `<NVPHONEXT>_96xxdata.txt` to `BRURI` on demand and after user-data changes (debounced),
 * one GET to restore (on demand and after an EM login), the call-server credential and the
 * stored realm credential with the *HTTP Authentication* prompts.
 *
 * A feature class: the constructor only assigns, `start()` subscribes, `stop()` removes every
 * listener and the pending timer.
 */
import { createHash } from 'node:crypto';
import * as path from 'node:path';
import type { DaemonBus, EventInput } from '../bus/index.js';
import { systemClock, type Clock } from '../clock/index.js';
import { ProvisiondError, toProvisiondError } from '../errors/index.js';
import { nodeFileSystem, readFileIfExists, removeStaleTemps, writeFileDurable, type FileSystem } from '../fsutil/index.js';
import type { CredentialContext, Credentials, FetchRequest, FetchResult } from '../http/index.js';
import type { Logger } from '../log/index.js';
import { Origin } from '../origin/index.js';
import { OWNED_PARAMS, canonicalName, isSecretParam, normaliseValue, type ParamStore, type ParamUpdate } from '../params/index.js';
import { isUserDataName, parseBackupFile, serializeBackupFile } from '../profiles/index.js';
import type { PromptBroker } from '../prompts/index.js';
import type { TrustStore } from '../tls/index.js';
import type { Vault } from '../vault/index.js';

/** A few seconds: a burst of changes (a restore of many contacts, a script) is one PUT (SPEC §7). */
export const DEFAULT_DEBOUNCE_MS = 3000;

/** What the server holds as far as this phone knows: a digest of the last URL and body sent or restored. */
export const BACKUP_STATE_FILE = 'backup-state.json';

export type BackupTrigger = 'manual' | 'change';
export type RestoreTrigger = 'manual' | 'em-login';

/** What the display shows of backup and restore (Avaya Advanced Options > Backup/Restore). */
export type BackupStatus = {
  /** BRURI and NVPHONEXT are set: the screen offers Backup and Restore. */
  readonly configured: boolean;
  readonly running: 'backup' | 'restore' | null;
  readonly last: { readonly operation: 'backup' | 'restore'; readonly outcome: 'succeeded' | 'failed'; readonly at: string; readonly code?: string } | null;
};

export interface BackupOptions {
  readonly params: ParamStore;
  readonly vault: Vault;
  readonly fetch: (request: FetchRequest) => Promise<FetchResult>;
  readonly prompts: PromptBroker;
  readonly bus: DaemonBus;
  readonly logger: Logger;
  /** Whether at least one TRUSTCERTS certificate is installed (DOMAIN.md §3.4). */
  readonly trust: () => Pick<TrustStore, 'hasTrustCerts'>;
  readonly debounceMs?: number;
  readonly maxBytes?: number;
  /** The daemon's clock: the debounce is a timer on it, `last.at` its wall time (default: the system's). */
  readonly clock?: Pick<Clock, 'now' | 'setTimer' | 'clearTimer'>;
  /**
   * Where the digest of the server's copy is kept, so that a change a power cut kept from its
   * backup (in the debounce, or during the PUT) is backed up after the restart. Without it,
   * nothing is remembered across restarts.
   */
  readonly stateDir?: string;
  readonly files?: FileSystem;
}

/** The one stored realm credential (DOMAIN.md §3.4: NV holds one realm + one pair). */
interface RealmCredential {
  readonly origin: Origin;
  readonly realm: string;
  readonly username: string;
  readonly password: string;
}

/** The code of a failure that has none of its own, per operation. */
const FAILED_CODE = { 'backup.failed': 'backup_failed', 'restore.failed': 'restore_failed' } as const;

export class BackupRestore {
  private readonly options: BackupOptions;
  private readonly debounceMs: number;
  private readonly unsubscribe: (() => void)[] = [];
  private readonly clock: Pick<Clock, 'now' | 'setTimer' | 'clearTimer'>;
  private timer: unknown;
  /** A restore's own change triggers no backup (SPEC §8). */
  private restoring = 0;
  private running: Promise<unknown> = Promise.resolve();
  /**
   * Ends the automatic backup that is waiting on an HTTP Authentication prompt, if one is.
   * Without it a request made meanwhile (`backup --wait`, a restore) would queue behind a
   * prompt nobody asked for, until its timeout, and a registration made meanwhile would never
   * be tried by the backup that started before it.
   */
  private giveWay: (() => void) | undefined;
  /** The backup that gave way runs again (debounced) unless a backup replaces it. */
  private rescheduleAfterGiveWay = false;
  private current: BackupStatus['running'] = null;
  private last: BackupStatus['last'] = null;
  private readonly listeners = new Set<() => void>();
  /** Where the digest of the server's copy is kept; undefined: not remembered across restarts. */
  private readonly stateFile: string | undefined;

  constructor(options: BackupOptions) {
    this.options = options;
    this.debounceMs = options.debounceMs ?? DEFAULT_DEBOUNCE_MS;
    this.clock = options.clock ?? systemClock;
    this.stateFile = options.stateDir === undefined ? undefined : path.join(options.stateDir, BACKUP_STATE_FILE);
  }

  /** Subscribes, then backs up (debounced) user data the server may not have: changed since the last backup or restore. */
  async start(): Promise<void> {
    const { params, bus } = this.options;
    this.unsubscribe.push(
      params.onChange((changed) => {
        if (this.restoring === 0 && changed.some(isUserDataName)) this.schedule();
      }),
      bus.on('event', (event) => {
        if (event.type === 'em.login' && this.configured()) void this.restore('em-login').catch(() => undefined);
      }),
    );
    const file = this.stateFile;
    if (file === undefined) return;
    await removeStaleTemps(file, this.options.files);
    const url = this.url();
    if (url === undefined) return;
    const sent = await readSent(file, this.options.files);
    if (sent !== digest(url, this.userDataBody())) {
      this.options.logger.info('user data changed since the last backup; backing it up', {});
      this.schedule();
    }
  }

  stop(): void {
    for (const off of this.unsubscribe.splice(0)) off();
    this.disarm();
  }

  status(): BackupStatus {
    return { configured: this.configured(), running: this.current, last: this.last };
  }

  /** Called when `status()` may have changed (an operation started or ended). */
  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Resolves once the backup or restore in flight (if any) has finished. */
  idle(): Promise<void> {
    return this.running.then(() => undefined, () => undefined);
  }

  /** As at an Avaya login screen: the extension in `NVPHONEXT`, the password in the vault. */
  async register(extension: string, password: string): Promise<void> {
    if (!/^[0-9]{1,32}$/.test(extension)) throw new ProvisiondError('register_invalid', 'the extension is 1 to 32 digits', { path: 'extension' });
    if (password === '') throw new ProvisiondError('register_invalid', 'the registration password is empty', { path: 'password' });
    // Known to the redactor before the vault write, which registers it for as long as it keeps it.
    const release = this.options.logger.redactor.add(password);
    try {
      await this.options.vault.put({ purpose: 'registration', secret: password });
    } finally {
      release();
    }
    await this.options.params.setLocal([{ name: 'NVPHONEXT', value: extension }]);
    // A backup waiting on a prompt started without this credential: it tries again with it.
    this.supersedeWaiting(true);
  }

  /**
   * Local values (SPEC §8 `set`): every value is validated first, then all are applied in one
   * transaction or none. Unknown names are kept as given (SPEC §3).
   */
  async set(values: Readonly<Record<string, string>>): Promise<string[]> {
    const updates: ParamUpdate[] = [];
    for (const [raw, value] of Object.entries(values)) {
      const name = checkName(raw);
      this.refuseRestricted(name);
      if (isUserDataName(name) && !validUserValue(name, value)) {
        throw new ProvisiondError('param_invalid', `${name}: the value is not valid user data`, { path: name });
      }
      normaliseValue(name, value);
      updates.push({ name, value });
    }
    // Known to the redactor while the transaction runs; the parameter store registers what it keeps.
    const releases = updates.filter((update) => isSecretParam(update.name)).map((update) => this.options.logger.redactor.add(update.value));
    try {
      return await this.options.params.setLocal(updates);
    } finally {
      for (const release of releases) release();
    }
  }

  /** Removes local values so the provisioned or factory value applies again. */
  unset(names: readonly string[]): Promise<string[]> {
    const checked = names.map(checkName);
    for (const name of checked) this.refuseRestricted(name);
    return this.options.params.clearLocal(checked);
  }

  /** A profile's `ua="ro"` / `"na"` (SPEC §3) closes a parameter to local changes. */
  private refuseRestricted(name: string): void {
    const access = this.options.params.access(name);
    if (access === 'rw') return;
    throw new ProvisiondError('param_access_denied', `${name} is ${access === 'ro' ? 'read-only' : 'not accessible'} for the user (ua="${access}" in the provisioning profile)`, { path: name });
  }

  /** The backup/restore URI (DOMAIN.md §3.3), or undefined when BRURI or NVPHONEXT is unset. */
  url(): string | undefined {
    // Owned parameters always have a value (their default at least).
    const base = this.options.params.get('BRURI')!;
    const extension = this.options.params.get('NVPHONEXT')!;
    if (base === '' || extension === '') return undefined;
    return `${base}${base.endsWith('/') ? '' : '/'}${extension}_96xxdata.txt`;
  }

  configured(): boolean {
    return this.url() !== undefined;
  }

  /** One PUT of the user data (DOMAIN.md §3.3: one attempt; the caller retries). */
  backup(trigger: BackupTrigger = 'manual'): Promise<{ url: string; status: number; bytes: number }> {
    this.disarm();
    // This backup sends the same data or newer: the waiting one need not run again.
    if (trigger === 'manual') this.supersedeWaiting(false);
    return this.serialise('backup', async () => {
      const url = this.requireUrl('backup');
      const body = this.userDataBody();
      try {
        const result = await this.exchange('backup', url, 'PUT', body, trigger === 'change');
        await this.remember(url, body);
        this.emit({ type: 'backup.succeeded', url, bytes: body.length, trigger });
        return { url, status: result.status, bytes: body.length };
      } catch (error) {
        throw this.failed('backup.failed', url, error);
      }
    });
  }

  /** One GET, applied as one local transaction; a body that is not a backup changes nothing. */
  restore(trigger: RestoreTrigger = 'manual'): Promise<{ url: string; status: number; changed: string[] }> {
    if (trigger === 'manual') this.supersedeWaiting(true);
    // A backup still in its debounce would send the values this restore is about to replace
    // (the server's copy wins, SPEC §7): it waits until the restore is over.
    const postponed = this.timer !== undefined;
    this.disarm();
    const run = this.serialise('restore', async () => {
      const url = this.requireUrl('restore');
      try {
        const result = await this.exchange('restore', url, 'GET');
        const entries = readBackup(result);
        this.restoring++;
        let changed: string[];
        try {
          changed = await this.options.params.setLocal([...entries].map(([name, value]) => ({ name, value })));
        } finally {
          this.restoring--;
        }
        // The restored values are the server's: nothing is owed to it (a restore triggers no backup, SPEC §7).
        await this.remember(url, this.userDataBody());
        this.emit({ type: 'restore.succeeded', url, bytes: result.body.length, changed, trigger });
        return { url, status: result.status, changed };
      } catch (error) {
        throw this.failed('restore.failed', url, error);
      }
    });
    if (postponed) {
      const again = (): void => this.schedule();
      void run.then(again, again);
    }
    return run;
  }

  /** Whether a debounced backup is waiting. */
  pending(): boolean {
    return this.timer !== undefined;
  }

  /**
   * Runs the waiting debounced backup now; resolves when it has finished. Shutdown does not
   * wait for one: the next start finds the user data differ from `backup-state.json` and backs up.
   */
  async flush(): Promise<void> {
    if (this.timer === undefined) return;
    await this.backup('change').catch(() => undefined);
  }

  private schedule(): void {
    if (!this.configured()) return;
    this.disarm();
    this.timer = this.clock.setTimer(() => {
      this.timer = undefined;
      this.backup('change').catch((error: unknown) => {
        const failure = toProvisiondError(error);
        if (failure.code !== 'backup_superseded') {
          this.options.logger.warning('automatic backup failed', { error: failure.message });
        } else if (this.rescheduleAfterGiveWay) {
          this.options.logger.info('automatic backup gave way to a newer request; it runs again', {});
          this.schedule();
        }
      });
    }, this.debounceMs);
  }

  /** The backup file of the local user data, as a backup sends it. */
  private userDataBody(): Buffer {
    const entries = Object.entries(this.options.params.snapshot())
      .filter(([name]) => isUserDataName(name))
      .sort(([a], [b]) => (a < b ? -1 : 1));
    return serializeBackupFile(entries);
  }

  /** Records what the server holds once it holds it; a failed write costs one more backup after a restart, never a lost one. */
  private async remember(url: string, body: Buffer): Promise<void> {
    if (this.stateFile === undefined) return;
    const sent = digest(url, body);
    await writeFileDurable(this.stateFile, JSON.stringify({ version: 1, sent }) + '\n', { mode: 0o600, files: this.options.files }).catch((error: unknown) =>
      this.options.logger.warning('backup state not saved', { error: toProvisiondError(error).message }),
    );
  }

  private disarm(): void {
    if (this.timer !== undefined) this.clock.clearTimer(this.timer);
    this.timer = undefined;
  }

  private supersedeWaiting(reschedule: boolean): void {
    const giveWay = this.giveWay;
    if (giveWay === undefined) return;
    this.giveWay = undefined;
    this.rescheduleAfterGiveWay = reschedule;
    giveWay();
  }

  private serialise<T>(operation: 'backup' | 'restore', job: () => Promise<T>): Promise<T> {
    const tracked = async (): Promise<T> => {
      this.current = operation;
      this.changed();
      const outcome = await job().then(
        (value) => ({ ok: true as const, value }),
        (error: unknown) => ({ ok: false as const, error }),
      );
      const at = new Date(this.clock.now()).toISOString();
      const code = outcome.ok ? undefined : toProvisiondError(outcome.error).code;
      // A backup that gave way is not a failure the user needs to see: its successor reports.
      if (code !== 'backup_superseded') this.last = code === undefined ? { operation, outcome: 'succeeded', at } : { operation, outcome: 'failed', at, code };
      this.current = null;
      this.changed();
      if (!outcome.ok) throw outcome.error;
      return outcome.value;
    };
    const run = this.running.then(tracked, tracked);
    this.running = run.catch(() => undefined);
    return run;
  }

  private changed(): void {
    for (const listener of [...this.listeners]) listener();
  }

  private requireUrl(operation: 'backup' | 'restore'): string {
    const url = this.url();
    if (url === undefined) throw new ProvisiondError(`${operation}_not_configured`, `${operation} needs BRURI and NVPHONEXT (register an extension)`);
    return url;
  }

  private failed(type: 'backup.failed' | 'restore.failed', url: string, error: unknown): ProvisiondError {
    const failure = toProvisiondError(error, FAILED_CODE[type]);
    const status = (error as { status?: number }).status;
    this.emit({ type, url, code: failure.code, message: failure.message, reason: failure.code, ...(status !== undefined ? { status } : {}) });
    return failure;
  }

  private emit(event: EventInput): void {
    this.options.bus.emit('event', event);
  }

  /**
   * One exchange with the backup server (SPEC §5): the call-server credential pre-emptively
   * over https (always without TRUSTCERTS, else only with BRAUTH=1), the stored realm
   * credential when origin and realm match, otherwise the HTTP Authentication prompt.
   */
  private async exchange(operation: 'backup' | 'restore', url: string, method: 'PUT' | 'GET', body?: Buffer, automatic = false): Promise<FetchResult> {
    const origin = Origin.of(url);
    const stored = await this.storedRealm();
    let used: (RealmCredential & { source: 'stored' | 'prompt' }) | undefined;
    const credentials = async (context: CredentialContext): Promise<Credentials | undefined> => {
      if (context.attempt === 0) return used; // a pre-emptive Digest answer repeats what worked
      const sameServer = stored !== undefined && stored.origin.equals(origin) && stored.realm === context.realm;
      if (sameServer && !context.previousRejected && used === undefined) {
        used = { ...stored, source: 'stored' };
        return { username: stored.username, password: stored.password, source: 'stored' };
      }
      const kind = context.previousRejected ? 'http-auth-failure' : 'http-auth';
      const answer = await this.ask(kind, operation, url, origin, context.realm, automatic);
      used = { origin, realm: context.realm, username: answer.username, password: answer.password, source: 'prompt' };
      return { username: answer.username, password: answer.password, source: 'prompt' };
    };
    const preemptiveBasic = await this.callServerCredential(origin);
    const result = await this.options.fetch({
      url,
      method,
      ...(body !== undefined ? { body, headers: { 'content-type': 'text/plain; charset=utf-16le' } } : {}),
      operation,
      credentials,
      conditional: false,
      ...(this.options.maxBytes !== undefined ? { maxBytes: this.options.maxBytes } : {}),
      ...(preemptiveBasic !== undefined ? { preemptiveBasic } : {}),
    });
    if (used?.source === 'prompt') await this.replaceStored(stored, used, operation, url);
    return result;
  }

  /** `callserver-ip:registration-password` (DOMAIN.md §3.4); never over plain http (the fetcher sends it on https only). */
  private async callServerCredential(origin: Origin): Promise<Credentials | undefined> {
    if (origin.scheme !== 'https') return undefined;
    if (this.options.trust().hasTrustCerts && this.options.params.get('BRAUTH') !== '1') return undefined;
    // MCIPADD is owned (default empty); the first entry is the call server in use (SPEC §3).
    const callServer = this.options.params.get('MCIPADD')!.split(',')[0]!.trim();
    const password = (await this.options.vault.get({ purpose: 'registration' }))?.secret;
    if (callServer === '' || password === undefined) return undefined;
    return { username: callServer, password, source: 'callserver' };
  }

  private async storedRealm(): Promise<RealmCredential | undefined> {
    const [record] = await this.options.vault.list({ purpose: 'backup-restore' });
    if (record?.origin === undefined || record.realm === undefined) return undefined;
    // The vault keeps this secret registered; records of this purpose are written only by replaceStored, always with a username.
    return { origin: record.origin, realm: record.realm, username: record.username!, password: record.secret };
  }

  /**
   * Stored values are replaced only after a success with different ones (DOMAIN.md §3.4). A
   * prompt opens only when the stored record did not match (origin, realm) or was refused, so
   * prompted values that succeed always differ from what is stored.
   */
  private async replaceStored(stored: RealmCredential | undefined, used: RealmCredential, operation: string, url: string): Promise<void> {
    const { vault } = this.options;
    if (stored !== undefined) {
      await vault.clear('backup-restore');
      this.emit({ type: 'credentials.cleared', operation, url: String(stored.origin), realm: stored.realm, reason: 'replaced' });
    }
    await vault.put({ purpose: 'backup-restore', origin: used.origin, realm: used.realm, username: used.username, secret: used.password });
    this.emit({ type: 'credentials.stored', operation, url, realm: used.realm, source: 'prompt' });
  }

  private async ask(kind: 'http-auth' | 'http-auth-failure', operation: 'backup' | 'restore', url: string, origin: Origin, realm: string, automatic: boolean): Promise<{ username: string; password: string }> {
    const { prompts } = this.options;
    // An unanswered prompt ends with the broker's auth.failure (cancelled / timeout).
    const prompt = prompts.open({ kind, purpose: { operation, url, realm }, context: { realm, server: String(origin) } });
    let superseded = false;
    // Only backups wait here, one at a time (serialise), so the prompt is this backup's alone.
    // giveWay is cleared in the microtask that follows the prompt's closing, before any other
    // request can arrive, so it only ever cancels an open prompt.
    if (automatic) {
      this.giveWay = () => {
        superseded = true;
        prompts.cancel(prompt.id);
      };
    }
    const result = await prompt.result;
    if (automatic) this.giveWay = undefined;
    // The broker has reported the cancelled prompt (auth.failure, auth.prompt.closed).
    if (superseded) {
      throw new ProvisiondError('backup_superseded', 'the automatic backup waiting for HTTP Authentication gave way to a newer request');
    }
    if (result.outcome === 'answered') {
      // The prompt broker registered the typed password when the answer came.
      return result;
    }
    throw new ProvisiondError(`auth_${result.outcome}`, `the HTTP Authentication prompt for realm ${JSON.stringify(realm)} was ${result.outcome === 'timeout' ? 'not answered in time' : 'cancelled'}`);
  }
}

function checkName(raw: string): string {
  const name = canonicalName(raw.trim());
  if (!/^[A-Za-z][A-Za-z0-9_]*$/.test(name) || name.length > 128) throw new ProvisiondError('param_invalid', `${JSON.stringify(raw.slice(0, 64))} is not a parameter name`, { path: raw.slice(0, 64) });
  return isUserDataName(name.toUpperCase()) && !OWNED_PARAMS.has(name) ? name.toUpperCase() : name;
}

/** The backup file's own rule for a value (daemon/profiles/backup.ts), applied one by one. */
function validUserValue(name: string, value: string): boolean {
  try {
    return parseBackupFile(Buffer.from(`${name}=${value}`, 'utf8')).get(name) === value;
  } catch {
    return false;
  }
}

/** A body that is not a backup file changes nothing and fails with a reason (SPEC §7). */
function readBackup(result: FetchResult): Map<string, string> {
  const { body } = result;
  if (body.length === 0) throw new ProvisiondError('restore_not_backup', 'the server sent an empty file, not a backup');
  // An HTML login or error page answered with 200 (whatever its Content-Type claims).
  if (/^\s*</.test(body.subarray(0, 64).toString('latin1').replace(/\0/g, ''))) throw new ProvisiondError('restore_not_backup', 'the server sent an HTML page, not a backup');
  // UTF-16 without a BOM would read as UTF-8 with NULs: a wrong encoding, not a backup.
  if (body[0] !== 0xff && body.includes(0)) throw new ProvisiondError('restore_not_backup', 'the file is neither UTF-16LE with a BOM nor UTF-8');
  try {
    return parseBackupFile(body);
  } catch (error) {
    throw new ProvisiondError('restore_not_backup', toProvisiondError(error).message);
  }
}

function digest(url: string, body: Buffer): string {
  return createHash('sha256').update(url).update('\n').update(body).digest('hex');
}

/** The digest last recorded; undefined when none (or unreadable: one backup too many is harmless). */
async function readSent(file: string, files: FileSystem = nodeFileSystem): Promise<string | undefined> {
  try {
    const sent = (JSON.parse((await readFileIfExists(file, files))?.toString('utf8') ?? 'null') as { sent?: unknown } | null)?.sent;
    return typeof sent === 'string' ? sent : undefined;
  } catch {
    return undefined;
  }
}
