/**
 * The two listeners of the display feed (SPEC §8): the Unix socket (mode 0660, the group of
 * the technicians; its permissions are the authentication) and the display HTTP port, which
 * also serves the page. Upgrades are checked here, in the HTTP server's `upgrade` handler,
 * before `ws` sees them (ECOSYSTEM.md §2.4: no `verifyClient`).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { execFile } from 'node:child_process';
import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import { isIP } from 'node:net';
import type { Duplex } from 'node:stream';
import { ProvisiondError } from '../errors/index.js';
import type { DisplayFeed } from './feed.js';
import { PAGE_FILES, type PageFile } from './page.js';

export const FEED_PATH = '/ws';

export interface DisplayServersOptions {
  readonly feed: DisplayFeed;
  /** `runtimeDir/display.sock` (`display.socket`); omitted = no Unix socket. */
  readonly socketPath?: string;
  /**
   * `display.socketGroup`: the group (name, or gid as digits) that gets the socket — the
   * technicians'. The socket's directory, when the daemon owns it, is given to that group too
   * (g+x), so its members can reach the socket while others cannot list or enter it.
   */
  readonly socketGroup?: string;
  /** `display.http`; omitted = no TCP listener. Port 0 picks a free port. */
  readonly http?: { readonly host: string; readonly port: number };
}

/**
 * A TCP peer that connects and says nothing holds a file descriptor until Node's header
 * deadline: keep that deadline short and the number of such peers bounded, so strangers
 * cannot exhaust the daemon's descriptors (SPEC §8; the Unix socket is a separate server).
 */
const TCP_HEADERS_TIMEOUT_MS = 5000;
/** TCP connections at most, upgraded ones included; the Unix socket is not counted. */
const MAX_TCP_CONNECTIONS = 320;

export interface DisplayServers {
  /** `http://host:port` of the page, when the TCP listener runs. */
  readonly url: string | undefined;
  readonly port: number | undefined;
  readonly socketPath: string | undefined;
  close(): Promise<void>;
}

export async function startDisplayServers(options: DisplayServersOptions): Promise<DisplayServers> {
  const servers: Server[] = [];
  try {
    let url: string | undefined;
    let port: number | undefined;
    if (options.socketPath !== undefined) {
      const gid = options.socketGroup === undefined ? undefined : await resolveGroup(options.socketGroup);
      servers.push(await listenUnix(options.feed, options.socketPath));
      if (gid !== undefined) await grantGroup(options.socketPath, gid);
    }
    if (options.http) {
      const server = createServer({ headersTimeout: TCP_HEADERS_TIMEOUT_MS, requestTimeout: 2 * TCP_HEADERS_TIMEOUT_MS, connectionsCheckingInterval: 1000 }, (request, response) =>
        servePage(request, response),
      );
      server.maxConnections = MAX_TCP_CONNECTIONS;
      server.on('upgrade', (request, socket, head) => upgradeTcp(options.feed, request, socket, head));
      await listen(server, (s) => s.listen(options.http?.port, options.http?.host));
      servers.push(server);
      port = (server.address() as { port: number }).port;
      url = `http://${hostForUrl(options.http.host)}:${port}`;
    }
    return { url, port, socketPath: options.socketPath, close: () => closeServers(servers) };
  } catch (error) {
    await closeServers(servers);
    throw error;
  }
}

async function listenUnix(feed: DisplayFeed, socketPath: string): Promise<Server> {
  const stat = await fsp.lstat(socketPath).catch(() => undefined);
  if (stat && !stat.isSocket()) {
    throw new ProvisiondError('display_socket_failed', `${socketPath} exists and is not a socket; not replacing it`, { path: socketPath });
  }
  // A socket file left by a previous run (crash, SIGKILL) would make listen fail with EADDRINUSE.
  if (stat) await fsp.unlink(socketPath);
  const server = createServer((request, response) => servePageFile(request, response, undefined, PAGE_CSP));
  server.on('upgrade', (request: IncomingMessage, socket: Duplex, head: Buffer) => {
    if (pathOf(request) !== FEED_PATH) return refuse(socket, 404, 'Not Found');
    feed.handleUpgrade(request, socket, head, 'unix');
  });
  await listen(server, (s) => s.listen(socketPath));
  await fsp.chmod(socketPath, 0o660);
  return server;
}

/** A group name or a gid (digits) as a gid; `getent` so NSS groups resolve as on the image. */
export async function resolveGroup(group: string): Promise<number> {
  if (/^\d+$/.test(group)) return Number(group);
  const line = await new Promise<string | undefined>((resolve) => {
    execFile('getent', ['group', group], { encoding: 'utf8' }, (error, stdout) => resolve(error ? undefined : stdout));
  });
  if (line === undefined) throw new ProvisiondError('display_socket_failed', `display.socketGroup: no group named "${group}"`, { path: '$.display.socketGroup' });
  // group(5): name:password:GID:members
  return Number(line.split(':')[2]);
}

async function grantGroup(socketPath: string, gid: number): Promise<void> {
  const dir = path.dirname(socketPath);
  try {
    await fsp.chown(socketPath, -1, gid);
    const stat = await fsp.stat(dir);
    // Only a directory of our own (the RuntimeDirectory= systemd made for us): never widen /tmp or /run.
    if (stat.uid === process.geteuid!()) {
      await fsp.chown(dir, -1, gid);
      await fsp.chmod(dir, (stat.mode & 0o7777) | 0o010);
    }
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new ProvisiondError('display_socket_failed', `cannot give ${socketPath} to group ${gid}: ${code} (is the daemon's user a member of it?)`, { path: socketPath });
  }
}

function upgradeTcp(feed: DisplayFeed, request: IncomingMessage, socket: Duplex, head: Buffer): void {
  if (pathOf(request) !== FEED_PATH) return refuse(socket, 404, 'Not Found');
  const origin = request.headers.origin;
  // Non-browser clients send no Origin and are held by the token; a browser must come from the page.
  if (origin !== undefined && !originAllowed(origin, request.headers.host, [])) return refuse(socket, 403, 'Forbidden');
  feed.handleUpgrade(request, socket, head, 'tcp');
}

/**
 * The page's own origin is `http://<Host>` — but only when Host names an IP address or
 * `localhost`: a DNS name could be an attacker's, rebound to this phone's address.
 */
export function originAllowed(origin: string, host: string | undefined, extra: readonly string[]): boolean {
  if (extra.includes(origin)) return true;
  if (host === undefined || origin !== `http://${host}`) return false;
  const hostname = host.replace(/:\d*$/, '').replace(/^\[(.*)\]$/, '$1');
  return hostname === 'localhost' || isIP(hostname) !== 0;
}

function servePage(request: IncomingMessage, response: ServerResponse): void {
  const path = pathOf(request);
  if (path === FEED_PATH) {
    response.writeHead(426, { 'Content-Type': 'text/plain', Upgrade: 'websocket' }).end('Upgrade Required\n');
    return;
  }
  servePageFile(request, response, PAGE_FILES[path], PAGE_CSP);
}

const PAGE_CSP = "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/**
 * A page of built-in files (the display page, the fleet view): GET and HEAD only, never
 * cached, never sniffed, no Referer (a token may be in the query), under a strict CSP.
 */
export function servePageFile(request: IncomingMessage, response: ServerResponse, file: PageFile | undefined, csp: string): void {
  if (!file) {
    response.writeHead(404, { 'Content-Type': 'text/plain' }).end('Not Found\n');
    return;
  }
  if (request.method !== 'GET' && request.method !== 'HEAD') {
    response.writeHead(405, { Allow: 'GET, HEAD', 'Content-Type': 'text/plain' }).end('Method Not Allowed\n');
    return;
  }
  response.writeHead(200, { 'Content-Type': file.type, 'Cache-Control': 'no-store', 'Referrer-Policy': 'no-referrer', 'X-Content-Type-Options': 'nosniff', 'Content-Security-Policy': csp });
  response.end(request.method === 'HEAD' ? undefined : file.body);
}

/** Ends a refused WebSocket upgrade with a bare HTTP status. */
export function refuse(socket: Duplex, status: number, reason: string): void {
  socket.end(`HTTP/1.1 ${status} ${reason}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
}

export function pathOf(request: IncomingMessage): string {
  // Node always sets `url` on a server request. No URL parsing: an absolute-form or malformed
  // target must simply not match, never throw inside a request handler.
  return String(request.url).split('?', 1)[0] as string;
}

/** A host as it stands in a URL: an IPv6 address in brackets. */
export function hostForUrl(host: string): string {
  return isIP(host) === 6 ? `[${host}]` : host;
}

/** Resolves once `start` has the server listening; rejects with its error (EADDRINUSE…). */
export function listen(server: Server, start: (server: Server) => void): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.once('listening', () => {
      server.off('error', reject);
      resolve();
    });
    start(server);
  });
}

/** Closes the servers, cutting off the connections still open (kept-alive ones included). */
export async function closeServers(servers: readonly Server[]): Promise<void> {
  await Promise.all(
    servers.map(
      (server) =>
        new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeAllConnections();
        }),
    ),
  );
}
