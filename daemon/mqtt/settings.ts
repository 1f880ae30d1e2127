/**
 * The `mqtt` settings (SPEC §2; validated by the settings concern, passed in here) and how
 * they become mqtt.js connect options. The password is read from `passwordFile` (never from
 * the settings JSON or a command line) and registered with the redactor before anything
 * could log it. Certificates are passed to `tls.connect` as they are: a `caFile` replaces the
 * system trust store (Node's `ca` option, ECOSYSTEM.md §1.9), which is what a provisioning
 * broker with its own root wants. Broker TLS follows the provisioning rules (SPEC §6):
 * `rejectUnauthorized: true`, set explicitly — an unset option lets the process environment
 * decide (RELIABILITY.md §4.2), and mqtt.js hands it to the WebSocket of a `wss://` URL only
 * when it is set.
 */
import { readFile } from 'node:fs/promises';
import type { IClientOptions } from 'mqtt';
import { ProvisiondError } from '../errors/index.js';
import type { Redactor, Release } from '../log/index.js';
import type { MqttSettings as ConfiguredMqtt } from '../settings/index.js';
import { scrubUrl } from '../events/index.js';

/**
 * The validated `mqtt` settings with a URL (no URL: MQTT is off and no reporter is built).
 * `protocolVersion` 5 = MQTT 5 (the default: response topics and correlation data, SPEC §8),
 * 4 = MQTT 3.1.1 only. The reporter falls back from 5 to 3.1.1 by itself when a broker refuses 5.
 */
export type MqttSettings = Omit<ConfiguredMqtt, 'url' | 'protocolVersion'> & { readonly url: string; readonly protocolVersion?: ProtocolVersion };

/** 4 = MQTT 3.1.1, 5 = MQTT 5. */
export type ProtocolVersion = 4 | 5;

export interface LoadedFiles {
  readonly password?: string;
  readonly ca?: Buffer;
  readonly cert?: Buffer;
  readonly key?: Buffer;
  /** Releases the password and key from the redactor once the reporter no longer holds them. */
  readonly release?: Release;
}

const SCHEMES = ['mqtt:', 'mqtts:', 'ws:', 'wss:'];
const ignore = (): undefined => undefined;

/** Checks the URL scheme; the URL is named in errors only with its secrets removed. */
export function checkUrl(url: string): URL {
  const parsed = URL.canParse(url) ? new URL(url) : undefined;
  if (!parsed || !SCHEMES.includes(parsed.protocol)) {
    throw new ProvisiondError('mqtt_bad_url', `mqtt.url must be an mqtt://, mqtts://, ws:// or wss:// URL, found ${scrubUrl(url)}`, { path: '$.mqtt.url' });
  }
  return parsed;
}

/** Reads the password and certificate files named in the settings. */
export async function loadFiles(settings: MqttSettings, redactor: Redactor): Promise<LoadedFiles> {
  const [passwordText, ca, cert, key] = await Promise.all([
    readSetting(settings.passwordFile, 'passwordFile'),
    readSetting(settings.caFile, 'caFile'),
    readSetting(settings.certFile, 'certFile'),
    readSetting(settings.keyFile, 'keyFile'),
  ]);
  // One trailing newline is what `echo secret > file` leaves; it is not part of the password.
  const password = passwordText?.toString('utf8').replace(/\r?\n$/, '');
  const releases = [redactor.add(password), redactor.add(key?.toString('utf8'))];
  return { password, ca, cert, key, release: () => releases.forEach((release) => release()) };
}

async function readSetting(file: string | undefined, key: string): Promise<Buffer | undefined> {
  if (file === undefined) return undefined;
  try {
    return await readFile(file);
  } catch (error) {
    // fs errors always carry a code (ENOENT, EACCES, EISDIR…).
    const code = String((error as NodeJS.ErrnoException).code);
    throw new ProvisiondError('mqtt_file_unreadable', `cannot read mqtt.${key} ${file}: ${code}`, { path: `$.mqtt.${key}` }, { cause: error });
  }
}

export interface ConnectParameters {
  readonly clientId: string;
  readonly statusTopic: string;
  readonly connectTimeoutMs: number;
  readonly keepaliveSeconds: number;
}

/** mqtt.js options: our own reconnect loop (reconnectPeriod 0), a clean session, the last will. */
export function clientOptions(settings: MqttSettings, files: LoadedFiles, parameters: ConnectParameters, protocolVersion: ProtocolVersion, debugging = process.env.DEBUG !== undefined): IClientOptions {
  return {
    protocolVersion,
    clientId: parameters.clientId,
    ...(settings.username !== undefined ? { username: settings.username } : {}),
    ...(files.password !== undefined ? { password: files.password } : {}),
    ...(files.ca ? { ca: files.ca } : {}),
    ...(files.cert ? { cert: files.cert } : {}),
    ...(files.key ? { key: files.key } : {}),
    rejectUnauthorized: true,
    // Commands that arrive hours late are worse than lost ones (ECOSYSTEM.md §1.5); events
    // are queued by our own outbox, not by a broker session.
    clean: true,
    reconnectPeriod: 0,
    connectTimeout: parameters.connectTimeoutMs,
    keepalive: parameters.keepaliveSeconds,
    queueQoSZero: false,
    will: { topic: parameters.statusTopic, payload: Buffer.from('offline'), qos: 1, retain: true },
    // mqtt.js builds its debug lines (arguments, format strings) for every packet even when
    // nobody listens: a third of what an event allocates. DEBUG=mqttjs* still gets them.
    ...(debugging ? {} : { log: ignore }),
  };
}
