/**
 * What the local feed, provisionctl and MQTT commands act on (SPEC §8): one object over the
 * real features, so the three front doors behave the same. Snapshots are built from named
 * fields only (STYLE.md §12): nothing secret can be in them.
 */
import type { BackupRestore } from '../backup/index.js';
import type { DaemonBus, JsonValue } from '../bus/index.js';
import type { DeviceFacts } from '../device/index.js';
import type { CommandArgs, DaemonCommandName, DaemonSoftkey, DisplayBackend, DisplayState } from '../display/index.js';
import type { EmResult, ExtensionMobility } from '../em/index.js';
import { ProvisiondError } from '../errors/index.js';
import type { ParamStore } from '../params/index.js';
import type { ResyncEngine, ResyncOutcome } from '../resync/index.js';
import type { TrustStore } from '../tls/index.js';

export interface BackendParts {
  readonly bus: DaemonBus;
  readonly device: DeviceFacts;
  readonly params: ParamStore;
  readonly resync: ResyncEngine;
  readonly em: ExtensionMobility;
  readonly backup: BackupRestore;
  readonly trust: () => TrustStore;
  readonly mqttConnected: () => boolean;
}

export class DaemonBackend implements DisplayBackend {
  private readonly parts: BackendParts;
  private readonly listeners = new Set<() => void>();

  constructor(parts: BackendParts) {
    this.parts = parts;
    parts.resync.onChange(() => this.changed());
    parts.params.onChange(() => this.changed());
    parts.bus.on('mqtt.connection', () => this.changed());
    parts.backup.onChange(() => this.changed());
  }

  /** Tells listeners (feed, MQTT state) that the snapshot may have changed. */
  changed(): void {
    for (const listener of [...this.listeners]) listener();
  }

  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  snapshot(): DisplayState {
    const { device, resync, em, params } = this.parts;
    const status = resync.status();
    // Owned parameters always have a value (their default at least).
    const owned = (name: string): string => params.get(name)!;
    return {
      device: { id: device.id, mac: device.mac, model: device.model, serial: device.serial, swVersion: device.swVersion, ip: device.ip, extension: owned('NVPHONEXT') },
      resync: { running: status.running, last: status.last ? summary(status.last) : null, next: status.next?.at ?? null },
      em: { enabled: em.enabled(), state: em.state(), ...(em.state() === 'mobile' ? { user: owned('EM_Mobile_User_ID') } : {}) },
      mqtt: { connected: this.parts.mqttConnected() },
      trust: this.trustSummary(),
      backup: this.parts.backup.status(),
    };
  }

  /** The retained MQTT `state` document. */
  mqttState(): { [key: string]: JsonValue } {
    const { resync, em } = this.snapshot();
    return { resync, em: { state: em.state }, trust: this.trustSummary() };
  }

  async softkey(key: DaemonSoftkey): Promise<void> {
    if (key === 'Setup') this.parts.resync.openProfileAccountSetup();
    else if (key === 'Login') this.parts.em.openLogin();
    // The screen shows the outcome (and any prompt): the softkey only starts the operation.
    else if (key === 'Backup') this.parts.backup.backup('manual').catch(() => undefined);
    else if (key === 'Restore') this.parts.backup.restore('manual').catch(() => undefined);
    else await this.parts.em.logout().then(emResult);
  }

  async command(name: DaemonCommandName, args: CommandArgs): Promise<JsonValue | undefined> {
    const { resync, em, params } = this.parts;
    switch (name) {
      case 'resync':
        return this.resync(args.wait === true);
      case 'login':
        return emResult(await em.login(String(args.user), String(args.password)));
      case 'logout':
        return emResult(await em.logout());
      case 'profile-account':
        await resync.storeProfileAccount(String(args.user), String(args.password));
        return { stored: true };
      case 'params': {
        // A profile's ua="na" hides a parameter from the user's view (SPEC §3).
        const published = params.userView();
        if (args.name === undefined) return published;
        const value = published[String(args.name)];
        if (value === undefined) throw new ProvisiondError('unknown_parameter', `no parameter ${String(args.name)} (or it is secret)`);
        return { [String(args.name)]: value };
      }
      case 'trust':
        return this.trustDetails();
      default:
        return this.avaya(name, args);
    }
  }

  /** Registration, local values, backup and restore (SPEC §7, §8; daemon/backup). */
  private async avaya(name: 'register' | 'set' | 'unset' | 'backup' | 'restore', args: CommandArgs): Promise<JsonValue> {
    const { backup } = this.parts;
    switch (name) {
      case 'register':
        await backup.register(String(args.extension), String(args.password));
        return { extension: String(args.extension) };
      case 'set':
        return { changed: await backup.set(Object.fromEntries(Object.entries(args).map(([key, value]) => [key, String(value)]))) };
      case 'unset':
        return { changed: await backup.unset(Object.keys(args)) };
      case 'backup':
        return startOrWait(backup.backup('manual'), args.wait === true, ({ url, status, bytes }) => ({ outcome: 'succeeded', url, status, bytes }));
      case 'restore':
        return startOrWait(backup.restore('manual'), args.wait === true, ({ url, status, changed }) => ({ outcome: 'succeeded', url, status, changed }));
    }
  }

  /** `resync`: with wait, the outcome (a failure rejects, so the CLI exits 1). */
  async resync(wait: boolean): Promise<JsonValue> {
    const running = this.parts.resync.resyncNow();
    if (!wait) {
      running.catch(() => undefined);
      return { started: true };
    }
    const outcome = throwIfFailed(await running);
    return { outcome: outcome.result, changed: [...outcome.changed] };
  }

  private trustSummary(): { anchors: number; trustcerts: number } {
    const certificates = this.parts.trust().certificates;
    return { anchors: certificates.filter((c) => c.origin !== 'trustcerts').length, trustcerts: certificates.filter((c) => c.origin === 'trustcerts').length };
  }

  private trustDetails(): JsonValue {
    const store = this.parts.trust();
    return {
      certificates: store.certificates.map((c) => ({ origin: c.origin, source: c.source, subject: c.subject, issuer: c.issuer, notBefore: c.notBefore, notAfter: c.notAfter, fingerprint256: c.fingerprint256 })),
      problems: store.problems.map((p) => ({ code: p.code, message: p.message })),
    };
  }
}

function summary(outcome: ResyncOutcome): { at: string; outcome: string; trigger: string; error?: string } {
  return { at: outcome.finishedAt, outcome: outcome.result, trigger: String(outcome.trigger), ...(outcome.error ? { error: outcome.error.code } : {}) };
}

/** A failed outcome becomes its error, so the CLI exits 1 and MQTT replies with the code. */
function throwIfFailed(outcome: ResyncOutcome): ResyncOutcome {
  // The engine gives every failed outcome its error.
  if (outcome.result === 'failed') throw new ProvisiondError(outcome.error!.code, outcome.error!.message);
  return outcome;
}

/** EM succeeds exactly when its resync did (daemon/em). */
function emResult(result: EmResult): JsonValue {
  throwIfFailed(result.outcome);
  return { state: result.state };
}

/** `--wait` answers with the outcome; without it the command answers at once and the run's failure is reported by its own events. */
async function startOrWait<T>(running: Promise<T>, wait: boolean, outcome: (result: T) => JsonValue): Promise<JsonValue> {
  if (!wait) {
    running.catch(() => undefined);
    return { started: true };
  }
  return outcome(await running);
}
