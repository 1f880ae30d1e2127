/**
 * The daemon assembled: settings → logger → state directories → device → parameter store →
 * features, in that order, under one Controller (STYLE.md §1). READY is said last.
 */
import { promises as fsp } from 'node:fs';
import { TypedBus, type DaemonBus, type DaemonEvents } from '../bus/index.js';
import { Controller, type Feature } from '../controller/index.js';
import { readDeviceFacts, type DeviceFacts, type HardwareProbe } from '../device/index.js';
import { settleWrites } from '../fsutil/index.js';
import { Logger } from '../log/index.js';
import { ParamStore } from '../params/index.js';
import type { Settings } from '../settings/index.js';
import { Notifier } from '../systemd/index.js';

export interface AppOptions {
  readonly settings: Settings;
  readonly logger?: Logger;
  readonly notifier?: Notifier;
  readonly probe?: HardwareProbe;
}

export class App {
  readonly settings: Settings;
  readonly logger: Logger;
  readonly bus: DaemonBus;
  readonly notifier: Notifier;
  private readonly probe: HardwareProbe | undefined;
  private controller: Controller | undefined;
  private stopRequested = false;
  device!: DeviceFacts;
  params!: ParamStore;

  constructor(options: AppOptions) {
    this.settings = options.settings;
    this.logger = options.logger ?? new Logger({ level: options.settings.log.level });
    this.notifier = options.notifier ?? new Notifier();
    this.probe = options.probe;
    this.bus = new TypedBus<DaemonEvents>((error, name) => this.logger.error(`a ${String(name)} listener failed: ${String(error)}`));
  }

  /** Starts everything; resolves false if a stop was requested during start-up. */
  async start(): Promise<boolean> {
    const { settings, logger } = this;
    await fsp.mkdir(settings.stateDir, { recursive: true, mode: 0o750 });
    await fsp.mkdir(settings.runtimeDir, { recursive: true, mode: 0o750 });
    this.device = await readDeviceFacts(settings.device, this.probe);
    if (this.stopRequested) return false;
    logger.info('device identity', { id: this.device.id, mac: this.device.mac, model: this.device.model, version: this.device.swVersion });
    this.params = new ParamStore({ stateDir: settings.stateDir, factory: settings.parameters, logger: logger.child('params') });
    this.params.onChange((changed) => this.bus.emit('params.changed', changed));
    this.controller = new Controller(this.features(), logger);
    const started = await this.controller.start();
    if (!started) return false;
    this.bus.emit('event', { type: 'daemon.started', version: this.device.swVersion });
    await this.notifier.ready('provisioning daemon running');
    this.notifier.startWatchdog();
    logger.info('ready', { stateDir: settings.stateDir, parameters: Object.keys(this.params.published()).length });
    return true;
  }

  /** Stops features newest first and waits for durable writes in flight. */
  async stop(): Promise<void> {
    this.stopRequested = true;
    this.notifier.stopWatchdog();
    await this.notifier.stopping();
    this.bus.emit('event', { type: 'daemon.stopping' });
    await this.controller?.stop();
    await settleWrites();
  }

  private features(): Feature[] {
    return [
      {
        name: 'parameters',
        essential: true,
        start: () => this.params.load(),
        stop: async () => undefined,
      },
    ];
  }
}
