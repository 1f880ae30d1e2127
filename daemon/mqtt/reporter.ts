/**
 * The MQTT reporter (SPEC §8, ECOSYSTEM.md §1): publishes `status` (retained `online` on every
 * connect, `offline` as the last will and on a clean stop), `state` (retained snapshot,
 * republished on connect and when `publishState` finds it changed, never per event) and every
 * recorded event on `events/<type>` at QoS 1, in seq order, from the one event journal once
 * it is durable (`outbox.ts` keeps the cursor). With `mqtt.commands` it answers `cmd/<name>`
 * requests.
 *
 * Connection handling is ours, not mqtt.js's: one client per attempt with `reconnectPeriod`
 * 0, then a capped, jittered backoff. mqtt.js's in-memory offline queue is never used: we
 * publish only while connected, and what is unacknowledged when a connection drops stays in
 * the journal after the cursor and is sent again, oldest first, on the next one (at-least-once; consumers
 * de-duplicate by `seq`). A broker that is absent or refuses us never blocks the daemon.
 */
import type { connect as Connect, IClientPublishOptions, IPublishPacket, MqttClient } from 'mqtt';
import type { DaemonBus, JsonValue } from '../bus/index.js';
import { systemClock, type Clock } from '../clock/index.js';
import type { Logger, Redactor } from '../log/index.js';
import type { FileSystem } from '../fsutil/index.js';
import { scrubUrl, type EventLog } from '../events/index.js';
import { reconnectDelay, DEFAULT_BACKOFF, type BackoffSettings } from './backoff.js';
import { respond, type CommandHandler } from './responder.js';
import { Outbox } from './outbox.js';
import { checkUrl, clientOptions, loadFiles, type LoadedFiles, type MqttSettings, type ProtocolVersion } from './settings.js';
import { topicsFor, type Topics } from './topics.js';

export interface MqttReporterOptions {
  readonly settings: MqttSettings;
  readonly device: string;
  readonly stateDir: string;
  readonly bus: DaemonBus;
  /** The event journal: the reporter publishes what it holds after the cursor. */
  readonly events: EventLog;
  readonly log: Logger;
  /** The retained `state` document: last/next resync, EM state, trust summary (allowlisted by its builder); the reporter adds `mqtt`. */
  readonly snapshot: () => { readonly [key: string]: JsonValue };
  readonly handleCommand?: CommandHandler;
  /** The broker connection came up or went down (the display shows "Dashboard connected"). */
  readonly onConnectionChange?: (connected: boolean) => void;
  readonly redactor?: Redactor;
  /** The daemon's clock: the reconnect backoff is a timer on it (default: the system's). */
  readonly clock?: Pick<Clock, 'setTimer' | 'clearTimer'>;
  readonly backoff?: BackoffSettings;
  /** How long a clean stop waits for the broker to take `offline`. */
  readonly stopTimeoutMs?: number;
  readonly files?: FileSystem;
}

export interface MqttStatus {
  readonly connected: boolean;
  readonly pending: number;
  /** Events published and not yet acknowledged. */
  readonly inFlight: number;
  /** Why the last attempt failed, while disconnected (no secrets). */
  readonly problem: string | null;
  /** The protocol spoken: `5`, or `3.1.1` when configured so or after a broker refused 5. */
  readonly protocol: '5' | '3.1.1';
}

/** Events published and not yet acknowledged, at most: enough to keep a LAN broker busy; a smaller MQTT 5 Receive Maximum wins. */
const MAX_IN_FLIGHT = 256;

/** CONNACK refusals that mean "your credentials": 3.1.1 codes 4, 5; MQTT 5 0x86, 0x87. */
const LOGIN_REFUSED = new Set([4, 5, 0x86, 0x87]);
/**
 * CONNACK refusals that mean "not this protocol": a 3.1.1 broker answers an MQTT 5 CONNECT
 * with return code 1 (MQTT 3.1.1 §3.2.2.3), a 5 broker that will not speak it with 0x84
 * (MQTT 5 §3.2.2.2).
 */
const PROTOCOL_REFUSED = new Set([1, 0x84]);

export class MqttReporter {
  private readonly options: MqttReporterOptions;
  private readonly topics: Topics;
  private readonly outbox: Outbox;
  private readonly redactor: Redactor;
  private readonly clock: Pick<Clock, 'setTimer' | 'clearTimer'>;
  private readonly log: Logger;
  private files: LoadedFiles = {};
  private client: MqttClient | undefined;
  private isConnected = false;
  private readonly inFlight = new Set<number>();
  /** In-flight limit on this connection: `maxInFlight`, or the broker's Receive Maximum when smaller. */
  private window = 1;
  /** Publish options of an event on this connection (one object, not one per event). */
  private eventOptions: IClientPublishOptions = { qos: 1 };
  private pumpQueued = false;
  /** The last seq published on this connection: the next pump goes on after it. */
  private sentThrough = 0;
  private attempt = 0;
  private refused = false;
  private problem: string | null = null;
  private protocol: ProtocolVersion;
  /** Set when a broker refused MQTT 5 on the attempt that just closed: retry at once with 3.1.1. */
  private downgraded = false;
  private lastState: string | undefined;
  private cancelReconnect: (() => void) | undefined;
  private connect: typeof Connect | undefined;
  /** Set while a stop waits for the outbox to empty. */
  private onDrained: (() => void) | undefined;

  constructor(options: MqttReporterOptions) {
    this.options = options;
    checkUrl(options.settings.url);
    this.topics = topicsFor(options.settings.topicPrefix, options.device);
    this.redactor = options.redactor ?? options.log.redactor;
    this.clock = options.clock ?? systemClock;
    this.protocol = options.settings.protocolVersion ?? 5;
    this.log = options.log.child('mqtt');
    this.outbox = new Outbox({
      stateDir: options.stateDir,
      events: options.events,
      max: options.settings.outboxMax,
      onReady: () => this.pump(),
      onWriteError: (error) => this.log.warning('cannot write the MQTT cursor', { error: String(error) }),
      files: options.files,
    });
  }

  /** Loads credentials and the cursor (attaching to the event journal), starts connecting. */
  async start(): Promise<void> {
    // mqtt.js (about 20 MiB of RSS and 0.1 s to load) is imported only when a broker is configured.
    this.connect = (await import('mqtt')).connect;
    this.files = await loadFiles(this.options.settings, this.redactor);
    const { pending, skipped, imported } = await this.outbox.load();
    if (imported > 0 || skipped > 0) this.log.notice('imported the outbox of an older version into the event journal', { imported, skipped });
    if (pending > 0) this.log.info('events waiting in the MQTT outbox', { pending });
    this.connectNow();
  }

  /**
   * If connected: delivers what the outbox holds, then publishes `offline` — each step bounded
   * by `stopTimeoutMs`, so a dead broker cannot hold up shutdown (SPEC §9). Then disconnects;
   * whatever was not acknowledged stays on disk for the next start.
   */
  async stop(): Promise<void> {
    this.cancelReconnect?.();
    if (this.isConnected) {
      await this.within((done) => {
        this.onDrained = () => {
          if (this.outbox.size === 0) done();
        };
        this.onDrained();
      });
    }
    this.onDrained = undefined;
    const client = this.client;
    this.client = undefined;
    let answered = false;
    if (client && this.isConnected) {
      answered = await this.within((done) => client.publish(this.topics.status, 'offline', { qos: 1, retain: true }, () => done()));
    }
    this.isConnected = false;
    // A broker that answered gets a DISCONNECT, so it discards the will (we said `offline`
    // ourselves); one that did not is cut off and may publish the will, which says the same.
    if (client) await new Promise<void>((resolve) => client.end(!answered, () => resolve()));
    await this.outbox.close();
    this.files.release?.();
    this.files = {};
  }

  /**
   * Runs `begin(done)`; resolves true when it calls `done`, false after `stopTimeoutMs` of
   * real time: it bounds a wait on the broker's socket, as the app's stop grace does.
   */
  private within(begin: (done: () => void) => void): Promise<boolean> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => resolve(false), this.options.stopTimeoutMs ?? 2000);
      begin(() => {
        clearTimeout(timer);
        resolve(true);
      });
    });
  }

  get connected(): boolean {
    return this.isConnected;
  }

  status(): MqttStatus {
    return { connected: this.isConnected, pending: this.outbox.size, inFlight: this.inFlight.size, problem: this.problem, protocol: this.protocol === 5 ? '5' : '3.1.1' };
  }

  /** Republishes `state` if the snapshot changed since it was last published. */
  publishState(): void {
    const client = this.client;
    if (!client || !this.isConnected) return;
    let text: string;
    try {
      text = this.redactor.redact(JSON.stringify({ ...this.options.snapshot(), mqtt: { protocol: this.status().protocol } }));
    } catch (error) {
      this.log.warning('cannot build the state snapshot', { error: String(error) });
      return;
    }
    if (text === this.lastState) return;
    this.lastState = text;
    client.publish(this.topics.state, text, this.publishOptions(true));
  }

  private connectNow(): void {
    this.cancelReconnect = undefined;
    const { settings } = this.options;
    const client = this.connect!(
      settings.url,
      clientOptions(settings, this.files, {
        clientId: `provisiond-${this.options.device}`,
        statusTopic: this.topics.status,
        connectTimeoutMs: 30_000,
        keepaliveSeconds: 60,
      }, this.protocol),
    );
    this.client = client;
    client.on('connect', (connack) => this.onConnect(client, connack.properties?.receiveMaximum));
    client.on('message', (topic, payload, packet) => {
      // No exception may leave a socket listener: a failed reply is logged, never thrown.
      this.onCommand(topic, payload, packet).catch((error: unknown) => this.log.warning('cannot answer an MQTT command', { topic, error: this.redactor.redact(String(error)) }));
    });
    client.on('error', (error) => this.noteProblem(error));
    client.on('close', () => this.onClose(client));
  }

  private onConnect(client: MqttClient, receiveMaximum: number | undefined): void {
    this.isConnected = true;
    // MQTT 5 §3.3.4: never more unacknowledged QoS 1 publishes than the broker's Receive Maximum.
    this.window = Math.min(MAX_IN_FLIGHT, receiveMaximum ?? Infinity);
    this.eventOptions = this.publishOptions(false);
    // A new connection sends again everything not yet acknowledged.
    this.sentThrough = 0;
    this.options.onConnectionChange?.(true);
    this.attempt = 0;
    this.refused = false;
    this.log.notice('connected to the MQTT broker', { url: scrubUrl(this.options.settings.url), protocol: this.status().protocol });
    this.problem = null;
    // Subscribed before `online` goes out: a dashboard that sees `online` can send commands.
    if (this.options.settings.commands) client.subscribe(this.topics.commands, { qos: 1 });
    client.publish(this.topics.status, 'online', { qos: 1, retain: true });
    this.lastState = undefined;
    this.publishState();
    this.pump();
  }

  private onClose(client: MqttClient): void {
    if (client !== this.client) return;
    this.client = undefined;
    const wasConnected = this.isConnected;
    this.isConnected = false;
    this.inFlight.clear();
    client.end(true);
    if (wasConnected) {
      this.options.onConnectionChange?.(false);
      this.noteProblem(new Error('connection lost'));
    }
    // The switch to 3.1.1 happens once per process, so the immediate retry cannot loop.
    const delay = this.downgraded ? 0 : reconnectDelay(this.attempt++, this.refused, this.options.backoff ?? DEFAULT_BACKOFF, Math.random);
    this.downgraded = false;
    this.refused = false;
    const timer = this.clock.setTimer(() => this.connectNow(), delay);
    this.cancelReconnect = () => this.clock.clearTimer(timer);
  }

  /** Logs a connection problem once per change of problem, not once per attempt. */
  private noteProblem(error: Error & { code?: unknown }): void {
    const code = error.code;
    if (this.protocol === 5 && typeof code === 'number' && PROTOCOL_REFUSED.has(code)) {
      this.protocol = 4;
      this.downgraded = true;
      this.log.notice('the MQTT broker refuses MQTT 5; speaking MQTT 3.1.1 to it (no response topics)', { code });
      return;
    }
    this.refused = typeof code === 'number';
    const problem = typeof code === 'number' && LOGIN_REFUSED.has(code) ? `login refused (${code})` : this.redactor.redact(error.message);
    if (problem === this.problem) return;
    this.problem = problem;
    this.log.warning('MQTT broker unavailable; events wait in the outbox', { problem });
  }

  /** Publishes ready events in seq order, keeping at most `window` unacknowledged. */
  private pump(): void {
    const client = this.client;
    if (!client || !this.isConnected) return;
    for (const event of this.outbox.ready(this.sentThrough)) {
      if (this.inFlight.size >= this.window) return;
      const seq = event.seq;
      this.inFlight.add(seq);
      this.sentThrough = seq;
      client.publish(this.topics.event(event.type), JSON.stringify(event), this.eventOptions, (error) => this.onAck(client, seq, error));
    }
  }

  /**
   * One pump for every acknowledgement of one read from the socket: mqtt.js writes each
   * publish made in a turn together, so the events they release go out in one write, not one
   * system call each.
   */
  private pumpSoon(): void {
    if (this.pumpQueued) return;
    this.pumpQueued = true;
    setImmediate(() => {
      this.pumpQueued = false;
      this.pump();
    });
  }

  private onAck(client: MqttClient, seq: number, error: Error | undefined): void {
    // A callback from a connection already given up: the event is still queued for the next one.
    if (client !== this.client) return;
    this.inFlight.delete(seq);
    // A failure on the live connection is the broker's final word on this event (MQTT 5 PUBACK
    // 0x87 when the ACL denies the topic, RELIABILITY.md §6.3); it would fail the same way
    // forever, and keeping it would hold back every later event.
    if (error) this.log.warning('the broker refused an event', { seq, reason: error.message });
    this.outbox.ack(seq);
    this.onDrained?.();
    this.pumpSoon();
  }

  private async onCommand(topic: string, payload: Buffer, packet: IPublishPacket): Promise<void> {
    // A retained command is the broker replaying an old request on every (re)subscribe, not
    // someone asking now: acting on it would run a restore after each broker blip (SPEC §8).
    // Live deliveries carry retain 0 (MQTT 3.1.1 §3.3.1.3; MQTT 5 unless Retain As Published).
    if (packet.retain) {
      this.log.warning('ignoring a retained MQTT command', { topic });
      return;
    }
    const { responseTopic, correlationData } = packet.properties ?? {};
    const reply = await respond(
      { topic, payload, responseTopic, correlationData },
      this.topics,
      this.options.handleCommand,
      (text) => this.redactor.redact(text),
      (name, transaction) => this.log.info('command received', { name, transaction }),
    );
    const options = this.publishOptions(false);
    if (reply.correlationData) options.properties = { ...options.properties, correlationData: reply.correlationData };
    // A command may outlast its connection (a restore, a broker restart): the reply goes out on
    // the connection live now. The one it came on is ended, and publishing there would only
    // raise a "client disconnecting" error reported as a broker problem while connected.
    const client = this.client;
    if (!client || !this.isConnected) {
      this.log.warning('an MQTT command finished while disconnected; its reply is lost', { topic });
      return;
    }
    client.publish(reply.topic, reply.payload, options);
  }

  private publishOptions(retain: boolean): IClientPublishOptions {
    const options: IClientPublishOptions = { qos: 1, retain };
    if (this.protocol === 5) options.properties = { contentType: 'application/json' };
    return options;
  }
}
