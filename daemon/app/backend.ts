/**
 * What the local feed, provisionctl and MQTT commands act on (SPEC §8): the state snapshot
 * over the real features, and the command table run over them, so the three front doors
 * behave the same. Snapshots are built from named fields only (STYLE.md §12): nothing secret
 * can be in them.
 */
import type { DaemonBus, JsonValue } from '../bus/index.js';
import { emResult, run, type CommandArgs, type CommandContext, type CommandName, type CommandOutcome, type CommandResult, type CommandRunner, type DisplayState, type Transport } from '../commands/index.js';
import type { DaemonSoftkey, DisplayBackend } from '../display/index.js';
import type { FeatureHealth } from '../controller/index.js';
import type { ResyncOutcome } from '../resync/index.js';

export interface BackendParts extends Omit<CommandContext, 'snapshot'> {
  readonly bus: DaemonBus;
  readonly mqttConnected: () => boolean;
  /** Each feature's state (daemon/controller): a feature that failed is visible, not only logged. */
  readonly health: () => readonly FeatureHealth[];
}

export class DaemonBackend implements DisplayBackend, CommandRunner {
  private readonly parts: BackendParts;
  private readonly context: CommandContext;
  private readonly listeners = new Set<() => void>();

  constructor(parts: BackendParts) {
    this.parts = parts;
    this.context = { ...parts, snapshot: () => this.snapshot() };
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
      account: { enabled: resync.profileAccountEnabled() },
      trust: this.trustSummary(),
      backup: this.parts.backup.status(),
      features: this.features(),
    };
  }

  /** The retained MQTT `state` document. */
  mqttState(): { [key: string]: JsonValue } {
    const { resync, em } = this.snapshot();
    return { resync, em: { state: em.state }, trust: this.trustSummary(), features: this.features() };
  }

  /** Feature health as JSON (named fields only). */
  private features(): JsonValue[] {
    return this.parts.health().map((f) => ({ name: f.name, state: f.state, ...(f.error ? { error: { code: f.error.code, message: f.error.message } } : {}) }));
  }

  run<N extends CommandName>(name: N, args: CommandArgs, via: Transport): Promise<CommandOutcome<CommandResult<N>>> {
    return run(name, args, via, this.context);
  }

  async softkey(key: DaemonSoftkey): Promise<void> {
    if (key === 'Setup') this.parts.resync.openProfileAccountSetup();
    else if (key === 'Login') this.parts.em.openLogin();
    // The screen shows the outcome (and any prompt): the softkey only starts the operation.
    else if (key === 'Backup') this.parts.backup.backup('manual').catch(() => undefined);
    else if (key === 'Restore') this.parts.backup.restore('manual').catch(() => undefined);
    else emResult(await this.parts.em.logout());
  }

  private trustSummary(): { anchors: number; trustcerts: number } {
    const certificates = this.parts.trust().certificates;
    return { anchors: certificates.filter((c) => c.origin !== 'trustcerts').length, trustcerts: certificates.filter((c) => c.origin === 'trustcerts').length };
  }
}

function summary(outcome: ResyncOutcome): { at: string; outcome: string; trigger: string; error?: string } {
  return { at: outcome.finishedAt, outcome: outcome.result, trigger: String(outcome.trigger), ...(outcome.error ? { error: outcome.error.code } : {}) };
}
