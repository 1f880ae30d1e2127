/**
 * provisionctl's side of the local feed (SPEC §8): connects to the Unix socket (its file
 * permissions are the authentication), waits for `hello`, then sends requests with ids and
 * matches their results. Failing to reach the daemon, or losing it, is exit code 3.
 */
import WebSocket, { type RawData } from 'ws';
import type { JsonValue } from '../bus/index.js';
import { PROTOCOL } from '../display/index.js';

export class Unreachable extends Error {
  override readonly name = 'Unreachable';
}

export interface ResultMessage {
  readonly id: string | number | null;
  readonly ok: boolean;
  readonly error?: { readonly code: string; readonly message: string };
  readonly data?: JsonValue;
}

interface Inbound {
  readonly type?: unknown;
  readonly protocol?: unknown;
  readonly id?: unknown;
  readonly event?: JsonValue;
}

export class FeedConnection {
  private readonly ws: WebSocket;
  private readonly pending = new Map<number, (result: ResultMessage) => void>();
  private readonly eventListeners = new Set<(event: JsonValue) => void>();
  private nextId = 1;
  /** Set once the connection is over: why, for requests made afterwards. */
  private lost: Unreachable | undefined;
  private closing = false;
  /** Settles when the connection ends: undefined when we closed it, else why it was lost. */
  readonly closed: Promise<Unreachable | undefined>;

  private constructor(ws: WebSocket, socketPath: string) {
    this.ws = ws;
    this.closed = new Promise((resolve) => {
      ws.on('close', () => {
        this.lost ??= new Unreachable(`the daemon at ${socketPath} closed the connection`);
        for (const settle of this.pending.values()) settle(this.unreachableResult());
        this.pending.clear();
        resolve(this.closing ? undefined : this.lost);
      });
    });
  }

  /** Connects and waits for the daemon's `hello`; rejects with Unreachable. */
  static open(socketPath: string): Promise<FeedConnection> {
    const ws = new WebSocket(`ws+unix:${socketPath}:/ws`, { perMessageDeflate: false });
    const connection = new FeedConnection(ws, socketPath);
    return new Promise((resolve, reject) => {
      ws.once('error', (error: NodeJS.ErrnoException) => {
        connection.lost = new Unreachable(connectError(socketPath, error));
      });
      ws.once('close', () => reject(connection.reason()));
      ws.once('message', (data) => {
        const hello = decode(data);
        if (hello.type !== 'hello' || hello.protocol !== PROTOCOL) {
          connection.lost = new Unreachable(`${socketPath} does not speak ${PROTOCOL}`);
          ws.terminate();
          return;
        }
        ws.on('message', (data) => connection.receive(decode(data)));
        resolve(connection);
      });
    });
  }

  /** Sends a message with a fresh id and resolves with its result. */
  request(message: { readonly type: string; readonly [key: string]: JsonValue | undefined }): Promise<ResultMessage> {
    if (this.lost) return Promise.resolve(this.unreachableResult());
    const id = this.nextId++;
    return new Promise((resolve) => {
      this.pending.set(id, resolve);
      this.ws.send(JSON.stringify({ ...message, id }));
    });
  }

  onEvent(listener: (event: JsonValue) => void): void {
    this.eventListeners.add(listener);
  }

  close(): void {
    this.closing = true;
    this.ws.close();
  }

  private receive(message: Inbound): void {
    if (message.type === 'event') {
      for (const listener of this.eventListeners) listener(message.event as JsonValue);
      return;
    }
    // Results we did not ask for (a daemon bug) and screens are of no interest here.
    const settle = message.type === 'result' ? this.pending.get(message.id as number) : undefined;
    if (!settle) return;
    this.pending.delete(message.id as number);
    settle(message as ResultMessage);
  }

  /** Why the connection is lost; only called once the close listener above has named it. */
  private reason(): Unreachable {
    return this.lost as Unreachable;
  }

  private unreachableResult(): ResultMessage {
    return { id: null, ok: false, error: { code: 'daemon_unreachable', message: this.reason().message } };
  }
}

function decode(data: RawData): Inbound {
  try {
    const value: unknown = JSON.parse((data as Buffer).toString());
    return typeof value === 'object' && value !== null ? value : {};
  } catch {
    return {};
  }
}

/** Why the socket could not be reached, in words a technician can act on. */
export function connectError(socketPath: string, error: { readonly code?: string; readonly message: string }): string {
  const why =
    error.code === 'EACCES'
      ? 'permission denied (is this user in the group of the socket?)'
      : error.code === 'ENOENT' || error.code === 'ECONNREFUSED'
        ? `${error.code} (is provisiond running?)`
        : (error.code ?? error.message);
  return `cannot reach the daemon at ${socketPath}: ${why}`;
}
