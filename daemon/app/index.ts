/**
 * The daemon assembled (STYLE.md §1): settings → logger and the redactor (one, owned here and
 * handed to every module that holds a secret or writes text that leaves the daemon) → device → event log (the one event
 * journal) → MQTT reporter (its cursor in that journal) →
 * vault → parameters → prompts → trust and fetcher → resync and Extension Mobility → local
 * feed, each a Feature of one Controller, stopped in reverse order. READY is said last, once
 * the state is loaded and the sockets listen (SPEC §9).
 */
import { promises as fsp } from 'node:fs';
import { BackupRestore } from '../backup/index.js';
import { ConfigurationReport } from '../report/index.js';
import { TypedBus, type DaemonBus, type DaemonEvents, type JsonValue } from '../bus/index.js';
import { systemClock, type Clock } from '../clock/index.js';
import { Controller, type Feature } from '../controller/index.js';
import { avayaScriptVariables, readDeviceFacts, type DeviceFacts, type HardwareProbe } from '../device/index.js';
import { DisplayFeed, loadDisplayToken, startDisplayServers, type DisplayServers } from '../display/index.js';
import { ExtensionMobility } from '../em/index.js';
import { EventLog } from '../events/index.js';
import { nodeFileSystem, settleWrites, type FileSystem } from '../fsutil/index.js';
import { Fetcher, userAgent } from '../http/index.js';
import { Logger, Redactor } from '../log/index.js';
import { MqttReporter, tableHandler } from '../mqtt/index.js';
import { ParamStore } from '../params/index.js';
import { isUserDataName } from '../profiles/index.js';
import { PromptBroker } from '../prompts/index.js';
import { ResyncEngine, profileSource } from '../resync/index.js';
import type { Settings } from '../settings/index.js';
import { Notifier } from '../systemd/index.js';
import { tftpGet } from '../tftp/index.js';
import { loadTrustStore, tlsConnectionOptions, TrustCerts, type TrustStore } from '../tls/index.js';
import { DaemonBackend } from './backend.js';
import { openVault, vaultSecretKeeper } from './vault.js';
import type { Vault } from '../vault/index.js';

export interface AppOptions {
  readonly settings: Settings;
  readonly logger?: Logger;
  readonly notifier?: Notifier;
  readonly probe?: HardwareProbe;
  /**
   * Wall time, monotonic time and timers (default: the system's), handed to every feature
   * whose time is the daemon's: resync schedule, prompt timeouts, backup debounce, report
   * period, MQTT reconnects, event timestamps. A test injects clock jumps or a simulated day
   * here. Waits that bound a socket (the fetcher's deadlines, the feed's) or the shutdown
   * stay on real time: the peer at the other end lives on it.
   */
  readonly clock?: Clock;
  /** The state directory's filesystem (default: node:fs); a test injects storage faults here. */
  readonly files?: FileSystem;
}

/** How long SIGTERM waits for a resync in flight before abandoning it. */
const STOP_GRACE_MS = 10_000;

export class App {
  readonly settings: Settings;
  readonly logger: Logger;
  /** Every secret the daemon holds is registered here by its holder; the logger's, when one is given. */
  readonly redactor: Redactor;
  readonly bus: DaemonBus;
  readonly notifier: Notifier;
  readonly clock: Clock;
  private readonly probe: HardwareProbe | undefined;
  private readonly files: FileSystem;
  private controller: Controller | undefined;
  private stopRequested = false;
  device!: DeviceFacts;
  params!: ParamStore;
  vault!: Vault;
  events!: EventLog;
  prompts!: PromptBroker;
  trust!: TrustStore;
  trustCerts!: TrustCerts;
  fetcher!: Fetcher;
  resync!: ResyncEngine;
  em!: ExtensionMobility;
  backup!: BackupRestore;
  report!: ConfigurationReport;
  backend!: DaemonBackend;
  mqtt: MqttReporter | undefined;
  display: DisplayServers | undefined;
  /**
   * The retained MQTT `state`: "starting" until the features it describes exist; then built
   * when the reporter asks for it and kept until the backend changes (a resync changes it
   * several times, and without a connected broker nobody reads it).
   */
  private stateDocument: { [key: string]: JsonValue } | undefined = { starting: true };

  constructor(options: AppOptions) {
    this.settings = options.settings;
    this.redactor = options.logger?.redactor ?? new Redactor();
    this.logger = options.logger ?? new Logger({ level: options.settings.log.level, redactor: this.redactor });
    this.notifier = options.notifier ?? new Notifier();
    this.probe = options.probe;
    this.clock = options.clock ?? systemClock;
    this.files = options.files ?? nodeFileSystem;
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
    // A feature's health is part of the snapshot: the screen, `status` and the MQTT `state` follow it.
    // (The backend exists once the resync feature has started; health before that waits for it.)
    this.controller = new Controller(this.features(), logger, () => (this.backend as DaemonBackend | undefined)?.changed());
    if (!(await this.controller.start())) return false;
    this.bus.emit('event', { type: 'daemon.started', version: this.device.swVersion });
    await this.notifier.ready('provisioning daemon running');
    this.notifier.startWatchdog();
    logger.info('ready', { stateDir: settings.stateDir, parameters: Object.keys(this.params.published()).length, display: this.display?.url });
    return true;
  }

  /** Stops features newest first and waits for durable writes in flight. */
  async stop(): Promise<void> {
    this.stopRequested = true;
    this.notifier.stopWatchdog();
    await this.notifier.stopping();
    if (this.controller) this.bus.emit('event', { type: 'daemon.stopping' });
    await this.controller?.stop();
    await settleWrites();
  }

  private features(): Feature[] {
    return [this.eventsFeature(), this.mqttFeature(), this.vaultFeature(), this.paramsFeature(), this.promptsFeature(), this.networkFeature(), this.resyncFeature(), this.displayFeature()];
  }

  /** The MQTT reporter attaches to the event journal before any other feature records an event. */
  private mqttFeature(): Feature {
    return {
      name: 'mqtt',
      start: async () => {
        const { mqtt } = this.settings;
        if (mqtt.url === undefined) return;
        const reporter = new MqttReporter({
          settings: { ...mqtt, url: mqtt.url },
          device: this.device.id,
          stateDir: this.settings.stateDir,
          bus: this.bus,
          events: this.events,
          log: this.logger,
          redactor: this.redactor,
          snapshot: () => (this.stateDocument ??= this.backend.mqttState()),
          // The backend exists once the resync feature has started; commands arrive after that.
          handleCommand: (name, args) => tableHandler(this.backend)(name, args),
          onConnectionChange: (connected) => this.bus.emit('mqtt.connection', connected),
          clock: this.clock,
          files: this.files,
        });
        await reporter.start();
        this.mqtt = reporter;
      },
      stop: async () => this.mqtt?.stop(),
    };
  }

  private eventsFeature(): Feature {
    return {
      name: 'events',
      essential: true,
      start: async () => {
        this.events = new EventLog({ bus: this.bus, stateDir: this.settings.stateDir, device: this.device.id, log: this.logger.child('events'), redactor: this.redactor, clock: this.clock, files: this.files });
        await this.events.start();
      },
      stop: () => this.events.stop(),
    };
  }

  private vaultFeature(): Feature {
    return {
      name: 'vault',
      essential: true,
      start: async () => {
        this.vault = await openVault(this.settings.stateDir, this.bus, this.logger.child('vault'), this.files);
      },
    };
  }

  private paramsFeature(): Feature {
    return {
      name: 'parameters',
      essential: true,
      start: async () => {
        this.params = new ParamStore({
          stateDir: this.settings.stateDir,
          factory: this.settings.parameters,
          secretKeeper: vaultSecretKeeper(this.vault),
          isUserData: isUserDataName,
          logger: this.logger.child('params'),
          redactor: this.redactor,
          files: this.files,
        });
        this.params.onChange((changed) => this.bus.emit('params.changed', changed));
        await this.params.load();
      },
    };
  }

  private promptsFeature(): Feature {
    return {
      name: 'prompts',
      start: async () => {
        this.prompts = new PromptBroker({ bus: this.bus, timeoutSeconds: this.settings.prompts.timeoutSeconds, redactor: this.redactor, clock: this.clock });
      },
      stop: async () => this.prompts.stop(),
    };
  }

  private networkFeature(): Feature {
    return {
      name: 'network',
      essential: true,
      start: async () => {
        const { trust, limits, stateDir } = this.settings;
        const anchors = (): Promise<TrustStore> => loadTrustStore({ anchorsDir: trust.anchorsDir, useSystemStore: trust.useSystemStore, trustCerts: this.trustCerts.forTrustStore() });
        this.trustCerts = new TrustCerts({
          stateDir,
          fetch: (request) => this.fetcher.fetch(request),
          emit: (event) => this.bus.emit('event', event),
          logger: this.logger.child('trust'),
          onChange: async () => {
            this.trust = await anchors();
            // Kept-alive connections and TLS sessions were trusted under the old anchors.
            this.fetcher.close();
            this.backend.changed();
          },
          files: this.files,
        });
        await this.trustCerts.load();
        this.trust = await anchors();
        for (const problem of this.trust.problems) this.logger.warning(`trust anchor skipped: ${problem.message}`, { code: problem.code });
        if (this.trust.certificates.length === 0 && !trust.useSystemStore) this.logger.warning('no trust anchors: every https server will be refused', { anchorsDir: trust.anchorsDir });
        this.fetcher = new Fetcher({
          userAgent: userAgent({ model: this.device.model, version: this.device.swVersion, mac: this.device.mac }),
          stateDir: this.settings.stateDir,
          files: this.files,
          // TLSSRVRID is read per connection, so a profile that changes it takes effect at once.
          tls: () => tlsConnectionOptions(this.trust, { checkName: this.params.get('TLSSRVRID') !== '0' }),
          maxBytes: limits.profileBytes,
          redactor: this.redactor,
          onEvent: (event) => this.bus.emit('event', event),
          // Deadlines stay on the system's monotonic time (real sockets); Retry-After reads the daemon's wall clock.
          wallClock: this.clock,
        });
      },
      stop: async () => this.fetcher.close(),
    };
  }

  private resyncFeature(): Feature {
    return {
      name: 'resync',
      essential: true,
      start: async () => {
        const { profileBytes } = this.settings.limits;
        const avaya = avayaScriptVariables(this.device);
        this.resync = new ResyncEngine({
          params: this.params,
          vault: this.vault,
          source: profileSource((request) => this.fetcher.fetch(request), async (url) => (await tftpGet(url, { maxBytes: profileBytes })).body),
          // A parameter (e.g. GROUP set by the administrator) wins over the phone's own value.
          reading: { profileBytes, variables: (name) => this.params.get(name) ?? avaya[name] },
          prompts: this.prompts,
          bus: this.bus,
          logger: this.logger,
          device: this.device,
          trustCerts: (list, base) => this.trustCerts.sync(list, base),
          clock: this.clock,
        });
        this.em = new ExtensionMobility({ params: this.params, vault: this.vault, resync: this.resync, prompts: this.prompts, emit: (event) => this.bus.emit('event', event), logger: this.logger });
        // One view of the live trust store for both: TRUSTCERTS can replace it while running.
        const liveTrust = (): TrustStore => this.trust;
        this.backup = new BackupRestore({
          params: this.params,
          vault: this.vault,
          fetch: (request) => this.fetcher.fetch(request),
          prompts: this.prompts,
          bus: this.bus,
          logger: this.logger.child('backup'),
          trust: liveTrust,
          maxBytes: profileBytes,
          clock: this.clock,
          stateDir: this.settings.stateDir,
          files: this.files,
        });
        // The resync's fetcher, macros and Profile Account: the report obeys the same credential and TLS rules (DOMAIN §1.10).
        this.report = new ConfigurationReport({
          params: this.params,
          fetch: (request) => this.fetcher.fetch(request),
          context: () => this.resync.requestContext(),
          bus: this.bus,
          logger: this.logger.child('report'),
          clock: this.clock,
        });
        this.backend = new DaemonBackend({
          bus: this.bus,
          device: this.device,
          params: this.params,
          resync: this.resync,
          em: this.em,
          backup: this.backup,
          report: this.report,
          trust: liveTrust,
          prompts: this.prompts,
          recent: (n) => this.events.recent(n),
          redactor: this.redactor,
          mqttConnected: () => this.mqtt?.connected ?? false,
          // The backend is built while the controller starts its features: the controller exists.
          health: () => this.controller!.health(),
        });
        const publish = (): void => {
          this.stateDocument = undefined;
          this.mqtt?.publishState();
        };
        this.backend.onChange(publish);
        publish();
        this.resync.start();
        await this.backup.start();
        this.report.start();
      },
      stop: async () => {
        this.report.stop();
        this.backup.stop();
        this.resync.stop();
        let timer: NodeJS.Timeout | undefined;
        const grace = new Promise<void>((resolve) => (timer = setTimeout(resolve, STOP_GRACE_MS)));
        await Promise.race([this.resync.idle(), grace]);
        clearTimeout(timer);
      },
    };
  }

  private displayFeature(): Feature {
    let feed: DisplayFeed | undefined;
    return {
      name: 'display',
      start: async () => {
        const { display, limits, stateDir } = this.settings;
        if (display.socket === false && display.http === false) return;
        const token = await loadDisplayToken(stateDir, this.redactor, this.files);
        feed = new DisplayFeed({ backend: this.backend, prompts: this.prompts, bus: this.bus, token, maxPayload: limits.wsPayloadBytes, logger: this.logger.child('display'), redactor: this.redactor });
        feed.start();
        try {
          this.display = await startDisplayServers({
            feed,
            ...(display.socket !== false && { socketPath: display.socket }),
            ...(display.socketGroup !== undefined && { socketGroup: display.socketGroup }),
            ...(display.http !== false && { http: display.http }),
          });
        } catch (err) {
          // A feature that fails to start leaves nothing running (its heartbeat included).
          await feed.stop();
          throw err;
        }
      },
      stop: async () => {
        await feed?.stop();
        await this.display?.close();
      },
    };
  }
}
