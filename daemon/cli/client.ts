/**
 * provisionctl's side of the local feed (SPEC §8): connects to the Unix socket (its file
 * permissions are the authentication), waits for `hello`, then sends requests with ids and
 * matches their results. Failing to reach the daemon, or losing it, is exit code 3.
 */
import WebSocket, { type RawData } from 'ws';
import type { RecordedEvent } from '../bus/index.js';
import { PROTOCOL, parseServerMessage, type ClientRequest, type CommandArgs, type CommandName, type CommandReply, type ServerMessage } from '../display/index.js';

export class Unreachable extends Error {
  override readonly name = 'Unreachable';
}

/** A result as the CLI handles it: the daemon's, or `daemon_unreachable` when the socket is gone. */
export type Reply<T = unknown> = { readonly ok: true; readonly data?: T } | { readonly ok: false; readonly error: { readonly code: string; readonly message: string } };

export class FeedConnection {
  private readonly ws: WebSocket;
  private readonly pending = new Map<number, (result: Reply) => void>();
  private readonly eventListeners = new Set<(event: RecordedEvent) => void>();
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

  /**
   * Connects and waits for the daemon's `hello`; rejects with Unreachable. With `timeoutMs`, a
   * daemon that has not said `hello` by then is given up (the connection is cut).
   */
  static open(socketPath: string, timeoutMs?: number): Promise<FeedConnection> {
    const ws = new WebSocket(`ws+unix:${socketPath}:/ws`, { perMessageDeflate: false });
    const connection = new FeedConnection(ws, socketPath);
    const timer = timeoutMs === undefined ? undefined : setTimeout(() => {
      connection.lost = new Unreachable(`the daemon at ${socketPath} did not answer within ${timeoutMs} ms`);
      ws.terminate();
    }, timeoutMs);
    return new Promise((resolve, reject) => {
      ws.once('error', (error: NodeJS.ErrnoException) => {
        connection.lost ??= new Unreachable(connectError(socketPath, error));
      });
      ws.once('close', () => {
        clearTimeout(timer);
        // The close listener of the constructor, which runs first, has named why.
        reject(connection.lost!);
      });
      ws.once('message', (data) => {
        const hello = decode(data);
        if (hello?.type !== 'hello' || hello.protocol !== PROTOCOL) {
          connection.lost = new Unreachable(`${socketPath} does not speak ${PROTOCOL}`);
          ws.terminate();
          return;
        }
        ws.on('message', (data) => connection.receive(decode(data)));
        clearTimeout(timer);
        resolve(connection);
      });
    });
  }

  /** Sends a message with a fresh id and resolves with its result. */
  request(message: ClientRequest): Promise<Reply> {
    if (this.lost) return Promise.resolve(this.unreachableResult());
    const id = this.nextId++;
    return new Promise((resolve) => {
      this.pending.set(id, resolve);
      this.ws.send(JSON.stringify({ ...message, id }));
    });
  }

  /** Runs a command of the table; its data has the type the table gives that command. */
  async command<N extends CommandName>(name: N, args: CommandArgs = {}): Promise<CommandReply<N>> {
    // The daemon answers command N with CommandResult<N>: it is the same build as this CLI.
    return (await this.request({ type: 'command', name, args })) as CommandReply<N>;
  }

  onEvent(listener: (event: RecordedEvent) => void): void {
    this.eventListeners.add(listener);
  }

  close(): void {
    this.closing = true;
    this.ws.close();
  }

  private receive(message: ServerMessage | undefined): void {
    if (message?.type === 'event') {
      for (const listener of this.eventListeners) listener(message.event);
      return;
    }
    // Results we did not ask for (a daemon bug) and screens are of no interest here.
    if (message?.type !== 'result' || typeof message.id !== 'number') return;
    const settle = this.pending.get(message.id);
    if (!settle) return;
    this.pending.delete(message.id);
    settle(message);
  }

  /** Only called once the connection is lost, so `lost` names why. */
  private unreachableResult(): Reply {
    return { ok: false, error: { code: 'daemon_unreachable', message: this.lost!.message } };
  }
}

function decode(data: RawData): ServerMessage | undefined {
  return parseServerMessage((data as Buffer).toString());
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
