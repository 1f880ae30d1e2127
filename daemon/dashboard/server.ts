/**
 * The fleet view's process (SPEC §8): one MQTT client subscribed to every phone's `status`,
 * `state` and `events/#` under the prefix, and an HTTP server that serves the page and
 * pushes what the broker says to it over a WebSocket (`/ws`). It holds the dashboard's own
 * broker login and no credential of any phone. Only when started with `commands` does it
 * publish `cmd/<resync|backup|restore>` for the page, with a transaction id of its own, and
 * relay the `cmd/<name>/result` replies.
 *
 * The WebSocket is the page's: the first message must be `auth` with the token printed in
 * the URL (a browser on another site, or another local user, cannot drive the fleet), a
 * browser's Origin must be the page's own, and frames are small (`maxPayload`).
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomBytes } from 'node:crypto';
import type { Duplex } from 'node:stream';
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import type { JsonValue } from '../bus/index.js';
import { closeServers, hostForUrl, listen, originAllowed, pathOf, refuse, servePageFile, tokenMatches } from '../display/index.js';
import { COMMANDS, type CommandName } from '../mqtt/index.js';
import { Fleet, parseObject, type FleetChange } from './fleet.js';
import { DASHBOARD_FILES } from './page.js';

export const WS_PATH = '/ws';
/** A page sends `auth` and small `command` requests: nothing larger is needed. */
export const WS_MAX_PAYLOAD = 4096;
/** Recent events sent with `hello`. */
const HELLO_EVENTS = 200;
const MAX_CLIENTS = 32;
/** An unauthenticated socket is closed after this long. */
const AUTH_DEADLINE_MS = 10_000;
/** How often device rows are re-sent, so the last-hour counts fall as time passes. */
const REFRESH_MS = 60_000;
const CSP = "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

export interface DashboardOptions {
  readonly mqttUrl: string;
  readonly host: string;
  readonly port: number;
  readonly prefix: string;
  readonly commands: boolean;
  /** The dashboard's own broker login (never a phone's). */
  readonly username?: string | undefined;
  readonly password?: string | undefined;
  readonly protocolVersion?: 4 | 5 | undefined;
  /**
   * Take the events through the shared subscription `$share/<share>/<prefix>/+/events/#`, so
   * several dashboard processes split a fleet's events (status and state stay plain
   * subscriptions: a broker sends no retained message to a shared one).
   */
  readonly share?: string | undefined;
  /** The page token; random when not given. */
  readonly token?: string | undefined;
  readonly now?: () => number;
  /** How long a socket may stay without `auth` (default 10 s). */
  readonly authDeadlineMs?: number;
  /** How often device rows are re-sent so the last-hour counts fall (default 60 s). */
  readonly refreshMs?: number;
  /** Called with one line per broker connection change (no secrets). */
  readonly log?: (line: string) => void;
}

export interface Dashboard {
  /** The page's address, token in the fragment (never sent to a server or a log by the browser). */
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
}

type PageMessage = { readonly type: string; readonly [key: string]: JsonValue };

export async function startDashboard(options: DashboardOptions): Promise<Dashboard> {
  const now = options.now ?? Date.now;
  const log = options.log ?? (() => undefined);
  const token = options.token ?? randomBytes(18).toString('base64url');
  const prefix = options.prefix.replace(/\/+$/, '');
  const fleet = new Fleet(prefix);
  const clients = new Set<WebSocket>();
  let pending = 0;
  let connected = false;

  const broadcast = (message: PageMessage): void => {
    const text = JSON.stringify(message);
    for (const client of clients) client.send(text);
  };

  const mqttOptions: IClientOptions = {
    clientId: `provisiond-dashboard-${randomBytes(4).toString('hex')}`,
    reconnectPeriod: 2000,
    connectTimeout: 10_000,
    protocolVersion: options.protocolVersion ?? 4,
    ...(options.username !== undefined ? { username: options.username } : {}),
    ...(options.password !== undefined ? { password: options.password } : {}),
  };
  const client: MqttClient = mqtt.connect(options.mqttUrl, mqttOptions);
  const events = options.share === undefined ? `${prefix}/+/events/#` : `$share/${options.share}/${prefix}/+/events/#`;
  const filters = [`${prefix}/+/status`, `${prefix}/+/state`, events, ...(options.commands ? [`${prefix}/+/cmd/+/result`] : [])];
  client.on('connect', () => {
    connected = true;
    log('connected to the MQTT broker');
    client.subscribe(filters, { qos: 1 });
    broadcast({ type: 'broker', connected: true });
  });
  client.on('close', () => {
    if (!connected) return;
    connected = false;
    log('lost the MQTT broker; reconnecting');
    broadcast({ type: 'broker', connected: false });
  });
  // mqtt.js reconnects by itself; an error only explains why the last attempt failed.
  client.on('error', () => undefined);
  client.on('message', (topic, payload) => {
    const reply = options.commands ? replyOf(prefix, topic, payload) : undefined;
    if (reply) return broadcast(reply);
    const change = fleet.apply(topic, payload, now());
    if (change) broadcast(pageMessage(change));
  });

  const wss = new WebSocketServer({ noServer: true, maxPayload: WS_MAX_PAYLOAD, perMessageDeflate: false, clientTracking: false });
  const server = createServer((request, response) => servePage(request, response));
  server.on('upgrade', (request: IncomingMessage, socket: Duplex, head: Buffer) => {
    const origin = request.headers.origin;
    if (pathOf(request) !== WS_PATH) return refuse(socket, 404, 'Not Found');
    if (origin !== undefined && !originAllowed(origin, request.headers.host, [])) return refuse(socket, 403, 'Forbidden');
    if (clients.size + pending >= MAX_CLIENTS) return refuse(socket, 503, 'Service Unavailable');
    pending++;
    wss.handleUpgrade(request, socket, head, (ws) => accept(ws));
  });

  const accept = (ws: WebSocket): void => {
    let authenticated = false;
    const deadline = setTimeout(() => ws.close(4001, 'auth required'), options.authDeadlineMs ?? AUTH_DEADLINE_MS);
    const settle = (): void => {
      clearTimeout(deadline);
      if (!authenticated) pending--;
    };
    ws.on('close', () => {
      settle();
      clients.delete(ws);
    });
    ws.on('error', () => ws.terminate());
    ws.on('message', (data: RawData) => {
      const message = parseMessage(data);
      if (!authenticated) {
        if (message?.type !== 'auth' || typeof message.token !== 'string' || !tokenMatches(token, message.token)) return ws.close(4003, 'bad token');
        settle();
        authenticated = true;
        clients.add(ws);
        ws.send(
          JSON.stringify({ type: 'hello', prefix, commands: options.commands, broker: { connected }, devices: fleet.views(now()) as unknown as JsonValue, events: fleet.events().slice(-HELLO_EVENTS) as JsonValue }),
        );
        return;
      }
      ws.send(JSON.stringify(command(message)));
    });
  };

  /** A page's `command` request: validated, then published (only with `commands`). */
  const command = (message: PageMessage | undefined): PageMessage => {
    const id = typeof message?.id === 'string' || typeof message?.id === 'number' ? message.id : null;
    if (message?.type !== 'command') return { type: 'error', id, code: 'bad_request', message: 'expected a command message' };
    if (!options.commands) return { type: 'error', id, code: 'commands_disabled', message: 'this dashboard was started without --commands' };
    const { device, name } = message;
    if (typeof name !== 'string' || !(COMMANDS as readonly string[]).includes(name)) return { type: 'error', id, code: 'bad_request', message: `name must be one of ${COMMANDS.join(', ')}` };
    if (typeof device !== 'string' || device === '' || /[/+#\u0000]/.test(device)) return { type: 'error', id, code: 'bad_request', message: 'device must be a device id' };
    if (!connected) return { type: 'error', id, code: 'broker_unavailable', message: 'not connected to the MQTT broker' };
    const transaction = `dash-${randomBytes(6).toString('hex')}`;
    client.publish(`${prefix}/${device}/cmd/${name as CommandName}`, JSON.stringify({ transaction }), { qos: 1, retain: false });
    return { type: 'sent', id, device, name, transaction };
  };

  const refresh = setInterval(() => {
    for (const view of fleet.views(now())) broadcast({ type: 'device', view: view as unknown as JsonValue });
  }, options.refreshMs ?? REFRESH_MS);
  refresh.unref();

  try {
    await listen(server, (s) => s.listen(options.port, options.host));
  } catch (error) {
    // Nothing is served: the broker client and the refresh must not keep the process alive.
    clearInterval(refresh);
    client.end(true);
    throw error;
  }
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://${hostForUrl(options.host)}:${port}/#token=${token}`,
    port,
    close: async () => {
      clearInterval(refresh);
      for (const ws of [...clients]) ws.terminate();
      await Promise.all([client.endAsync(true), closeServers([server])]);
      wss.close();
    },
  };
}

function pageMessage(change: FleetChange): PageMessage {
  const view = change.view as unknown as JsonValue;
  return change.kind === 'event' ? { type: 'event', event: change.event, view } : { type: 'device', view };
}

/** A `cmd/<name>/result` reply as the page sees it: named fields only. */
function replyOf(prefix: string, topic: string, payload: Buffer): PageMessage | undefined {
  const levels = topic.slice(prefix.length + 1).split('/');
  if (levels.length !== 4 || levels[1] !== 'cmd' || levels[3] !== 'result') return undefined;
  // A reply that is not a JSON object is still shown as one, with no transaction.
  const body = (parseObject(payload.toString('utf8')) ?? {}) as { transaction?: unknown; status?: unknown; error?: { code?: unknown; message?: unknown } };
  const text = (value: unknown): string | null => (typeof value === 'string' || typeof value === 'number' ? String(value).slice(0, 512) : null);
  return {
    type: 'reply',
    device: levels[0]!,
    name: levels[2]!,
    transaction: text(body.transaction),
    status: text(body.status) ?? 'unknown',
    error: body.error ? { code: text(body.error.code), message: text(body.error.message) } : null,
  };
}

function parseMessage(data: RawData): PageMessage | undefined {
  // binaryType is the default, nodebuffer: a message is one Buffer.
  const value = parseObject((data as Buffer).toString('utf8'));
  return typeof value?.type === 'string' ? (value as PageMessage) : undefined;
}

function servePage(request: IncomingMessage, response: ServerResponse): void {
  servePageFile(request, response, DASHBOARD_FILES[pathOf(request)], CSP);
}
