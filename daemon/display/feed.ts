/**
 * The local WebSocket feed (SPEC §8, ECOSYSTEM.md §2, RELIABILITY.md §6.4). One `ws` server
 * in `noServer` mode serves both listeners: on the Unix socket the file permissions are the
 * authentication and `hello` goes out at once; on TCP nothing is sent or accepted until the
 * first message is `auth` with the display token.
 *
 * Every inbound message gets exactly one `result` (id echoed, `null` when it had none); events
 * from the event log (`recorded` on the bus) and screen changes go to every authenticated
 * client. Dead peers are dropped by ping, slow ones when their send buffer passes a bound.
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { WebSocketServer, WebSocket, RawData } from 'ws';
import type { DaemonBus } from '../bus/index.js';
import { ProvisiondError } from '../errors/index.js';
import { statusOf, toCommandError, type AnyCommandResult, type CommandError } from '../commands/index.js';
import { Logger, type Redactor } from '../log/index.js';
import { PROTOCOL, PROTOCOL_VERSION, parseClientMessage, type ClientMessage, type FeedErrorCode, type MessageId, type ServerMessage } from './protocol.js';
import { computeScreen, type Screen } from './screen.js';
import type { DaemonSoftkey, DisplayBackend, PromptDesk } from './state.js';
import { tokenMatches } from './token.js';

export type Transport = 'unix' | 'tcp';

/** Application close codes (ECOSYSTEM.md §2.5; 4000–4999 are free, RFC 6455 §7.4.2). */
export const CLOSE_UNAUTHORIZED = 4401;
export const CLOSE_AUTH_TIMEOUT = 4408;
/** RFC 6455 §7.4.1 "Try Again Later". */
export const CLOSE_TRY_AGAIN_LATER = 1013;

export interface DisplayFeedOptions {
  readonly backend: DisplayBackend;
  readonly prompts: PromptDesk;
  readonly bus: DaemonBus;
  readonly token: string;
  /** `limits.wsPayloadBytes`: larger frames close the connection with 1009. */
  readonly maxPayload: number;
  readonly heartbeatMs?: number;
  /** How long a TCP client has to send `auth` (short: it holds one of few waiting slots). */
  readonly authTimeoutMs?: number;
  /** A client whose unsent data passes this is cut off rather than buffered without end. */
  readonly maxBufferedBytes?: number;
  /** How long `stop` waits for a client's close handshake. */
  readonly closeTimeoutMs?: number;
  /** Authenticated clients (Unix socket included) beyond this are turned away with 1013. */
  readonly maxClients?: number;
  readonly logger?: Logger;
  readonly redactor?: Redactor;
}

interface Client {
  readonly ws: WebSocket;
  readonly transport: Transport;
  authenticated: boolean;
  alive: boolean;
  authTimer: NodeJS.Timeout | undefined;
}

/** A script or the page sends `auth` at once; a slot held longer is a stranger's. */
const DEFAULT_AUTH_TIMEOUT_MS = 3000;
/** TCP clients still authenticating, at most; more are turned away with 1013 (SPEC §8). */
const MAX_UNAUTHENTICATED = 16;

/**
 * The feed's timers guard sockets (heartbeat, authentication and close deadlines), whose
 * peers live on real time: they are Node's, not the daemon's clock, which a test may stop.
 */
export class DisplayFeed {
  private readonly options: DisplayFeedOptions;
  private readonly logger: Logger;
  private readonly redactor: Redactor;
  private wss: Promise<WebSocketServer> | undefined;
  private readonly clients = new Set<Client>();
  private unsubscribe: (() => void)[] = [];
  private accepting = false;
  private heartbeat: NodeJS.Timeout | undefined;
  private lastScreen = '';

  constructor(options: DisplayFeedOptions) {
    this.options = options;
    this.logger = options.logger ?? new Logger({ scope: 'display' });
    this.redactor = options.redactor ?? this.logger.redactor;
  }

  /**
   * ws (about 6 MiB of RSS once loaded, more than the rest of the display) is imported on the
   * first upgrade: a phone whose display and CLI are not connected never pays for it.
   */
  private server(): Promise<WebSocketServer> {
    this.wss ??= import('ws').then(({ WebSocketServer }) => {
      // perMessageDeflate off: no compression bombs, no zlib work on a small CPU (RELIABILITY §6.4).
      return new WebSocketServer({ noServer: true, maxPayload: this.options.maxPayload, perMessageDeflate: false, clientTracking: false });
    });
    return this.wss;
  }

  start(): void {
    this.accepting = true;
    this.unsubscribe = [
      this.options.bus.on('recorded', (event) => this.broadcast({ type: 'event', event })),
      this.options.backend.onChange(() => this.screenChanged()),
      this.options.prompts.onChange(() => this.screenChanged()),
    ];
    this.heartbeat = setInterval(() => this.beat(), this.options.heartbeatMs ?? 30_000);
  }

  /** Closes every client (1001) and waits for them, cutting off those that do not answer. */
  async stop(): Promise<void> {
    this.accepting = false;
    for (const off of this.unsubscribe) off();
    this.unsubscribe = [];
    clearInterval(this.heartbeat);
    await Promise.all([...this.clients].map((client) => this.closeClient(client)));
  }

  get clientCount(): number {
    return this.clients.size;
  }

  /** Completes a WebSocket upgrade the listener has already checked (path, Origin). */
  handleUpgrade(request: IncomingMessage, socket: Duplex, head: Buffer, transport: Transport): void {
    // The socket stays paused (no 'data' listener) until ws takes it over.
    void this.server().then((wss) => wss.handleUpgrade(request, socket, head, (ws) => this.accept(ws, transport)));
  }

  /** What the display shows now. */
  screen(): Screen {
    return computeScreen(this.options.backend.snapshot(), this.options.prompts.list());
  }

  private accept(ws: WebSocket, transport: Transport): void {
    // Clients still authenticating have their own small limit, so however many strangers
    // connect on TCP, the Unix socket and authenticated clients keep their room (SPEC §8).
    const full = transport === 'tcp' ? this.count(false) >= MAX_UNAUTHENTICATED : this.authenticatedFull();
    if (!this.accepting || full) {
      ws.close(CLOSE_TRY_AGAIN_LATER, this.accepting ? 'too many clients' : 'daemon stopping');
      return;
    }
    const client: Client = { ws, transport, authenticated: false, alive: true, authTimer: undefined };
    this.clients.add(client);
    ws.on('message', (data, isBinary) => this.receive(client, data, isBinary));
    ws.on('pong', () => {
      client.alive = true;
    });
    // Oversized frames and protocol violations arrive here; ws then closes (1009, 1002).
    ws.on('error', (error) => this.logger.debug('client error', { transport, error: error.message }));
    ws.on('close', () => {
      clearTimeout(client.authTimer);
      this.clients.delete(client);
    });
    if (transport === 'unix') this.welcome(client);
    else client.authTimer = setTimeout(() => ws.close(CLOSE_AUTH_TIMEOUT, 'authentication timeout'), this.options.authTimeoutMs ?? DEFAULT_AUTH_TIMEOUT_MS);
  }

  private count(authenticated: boolean): number {
    let count = 0;
    for (const client of this.clients) if (client.authenticated === authenticated) count++;
    return count;
  }

  private authenticatedFull(): boolean {
    return this.count(true) >= (this.options.maxClients ?? 256);
  }

  private welcome(client: Client): void {
    client.authenticated = true;
    // The `hello` state is the document the `status` command answers with.
    this.send(client, { type: 'hello', protocol: PROTOCOL, version: PROTOCOL_VERSION, state: statusOf(this.options.backend.snapshot(), this.options.prompts.list()) });
    this.send(client, { type: 'screen', screen: this.screen() });
  }

  private receive(client: Client, data: RawData, isBinary: boolean): void {
    const parsed = isBinary ? undefined : parseClientMessage((data as Buffer).toString());
    if (!client.authenticated) {
      clearTimeout(client.authTimer);
      // Nothing is answered before authentication: a wrong first message just closes.
      if (!parsed?.ok || parsed.message.type !== 'auth' || !tokenMatches(this.options.token, parsed.message.token)) client.ws.close(CLOSE_UNAUTHORIZED, 'authentication required');
      else if (this.authenticatedFull()) client.ws.close(CLOSE_TRY_AGAIN_LATER, 'too many clients');
      else this.welcome(client);
      return;
    }
    if (!parsed) return this.fail(client, null, { code: 'invalid_message', message: 'binary frames are not accepted' });
    if (!parsed.ok) return this.fail(client, parsed.id, parsed);
    const { id } = parsed.message;
    void this.dispatch(parsed.message).then(
      (outcome) => (outcome.ok ? this.send(client, outcome.data === undefined ? { type: 'result', id, ok: true } : { type: 'result', id, ok: true, data: outcome.data }) : this.fail(client, id, outcome.error)),
      (error: unknown) => this.fail(client, id, toCommandError(error)),
    );
  }

  /** Commands go to the command table; prompt answers, cancels and softkeys are the display's own. */
  private async dispatch(message: ClientMessage): Promise<{ readonly ok: true; readonly data?: AnyCommandResult } | { readonly ok: false; readonly error: CommandError }> {
    switch (message.type) {
      case 'auth':
        return { ok: true };
      case 'answer':
        // The broker registers the password for redaction, and only for a prompt that is open (SPEC §8).
        this.options.prompts.answer(message.promptId, message.username, message.password);
        return { ok: true };
      case 'cancel':
        this.options.prompts.cancel(message.promptId);
        return { ok: true };
      case 'softkey':
        await this.softkey(message.key);
        return { ok: true };
      case 'command':
        return this.options.backend.run(message.name, message.args, 'feed');
    }
  }

  private async softkey(key: string): Promise<void> {
    const screen = this.screen();
    if (!screen.softkeys.includes(key)) throw new ProvisiondError('softkey_unavailable', `the softkey ${JSON.stringify(key.slice(0, 32))} is not offered now`);
    if (screen.prompt) {
      // The prompt's second softkey cancels (Cancel, Abort); its first submits, which needs the fields.
      if (key === screen.softkeys[0]) throw new ProvisiondError('answer_required', `${key} submits the prompt: send an answer with its fields`);
      this.options.prompts.cancel(screen.prompt.id);
      return;
    }
    await this.options.backend.softkey(key as DaemonSoftkey);
  }

  private fail(client: Client, id: MessageId, error: { readonly code: FeedErrorCode; readonly message: string }): void {
    this.send(client, { type: 'result', id, ok: false, error: { code: error.code, message: this.redactor.redact(error.message) } });
  }

  private screenChanged(): void {
    const screen = this.screen();
    const text = JSON.stringify(screen);
    if (text === this.lastScreen) return;
    this.lastScreen = text;
    this.broadcast({ type: 'screen', screen });
  }

  private broadcast(message: ServerMessage): void {
    const text = JSON.stringify(message);
    for (const client of this.clients) if (client.authenticated) this.sendText(client, text);
  }

  private send(client: Client, message: ServerMessage): void {
    this.sendText(client, JSON.stringify(message));
  }

  private sendText(client: Client, text: string): void {
    if (client.ws.readyState !== client.ws.OPEN) return;
    if (client.ws.bufferedAmount > (this.options.maxBufferedBytes ?? 1024 * 1024)) {
      this.logger.warning('dropping a display client that does not read', { transport: client.transport });
      // A close frame would queue behind the backlog: cut the connection instead.
      client.ws.terminate();
      return;
    }
    client.ws.send(text);
  }

  private beat(): void {
    for (const client of this.clients) {
      if (!client.authenticated) continue;
      if (!client.alive) {
        client.ws.terminate();
        continue;
      }
      client.alive = false;
      client.ws.ping();
    }
  }

  private closeClient(client: Client): Promise<void> {
    return new Promise((resolve) => {
      const cutOff = setTimeout(() => client.ws.terminate(), this.options.closeTimeoutMs ?? 2000);
      client.ws.once('close', () => {
        clearTimeout(cutOff);
        resolve();
      });
      client.ws.close(1001, 'daemon stopping');
    });
  }
}
