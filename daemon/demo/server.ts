/**
 * The demo provisioning server (SPEC §10): HTTPS on 127.0.0.1, every path behind one Digest
 * realm, a Cisco profile at `/cisco/$MA.xml`, an Avaya script at `/avaya/46xxsettings.txt`,
 * and `/backup/NAME` accepting PUT and answering GET (what a backup server does for the
 * phone's BRURI, DOMAIN.md §3.3). Bodies carry a strong ETag, so the unchanged resync shows
 * 304. Each request is told to the console: method, path, status, user.
 */
import { createHash } from 'node:crypto';
import * as https from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import { closeServers } from '../display/index.js';
import { readFileIfExists, writeFileDurable } from '../fsutil/index.js';
import { avayaScript, ciscoProfile } from './content.js';
import type { DigestGuard } from './digest.js';

export interface DemoServerOptions {
  readonly certPem: string;
  readonly keyPem: string;
  readonly guard: DigestGuard;
  /** Where PUT bodies are written. */
  readonly backupDir: string;
  readonly say: (line: string) => void;
}

export interface DemoServer {
  /** `https://127.0.0.1:PORT`. */
  readonly origin: string;
  stop(): Promise<void>;
}

/** Largest backup body kept; a bigger one is answered 413 (a demo, not a file store). */
export const MAX_BACKUP_BYTES = 1024 * 1024;

interface Reply {
  readonly status: number;
  readonly body?: string | Buffer;
  readonly type?: string;
  readonly etag?: string;
}

export async function startDemoServer(options: DemoServerOptions): Promise<DemoServer> {
  let origin = '';
  const server = https.createServer({ cert: options.certPem, key: options.keyPem }, (req, res) => {
    void handle(req, res);
  });
  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const method = req.method!;
    const uri = req.url!;
    const verdict = options.guard.verify(method, uri, req.headers.authorization);
    let reply: Reply;
    if (verdict.ok) {
      reply = await route(method, new URL(uri, origin).pathname, req, origin, options.backupDir);
    } else {
      req.resume();
      res.setHeader('WWW-Authenticate', options.guard.challenges(verdict.stale));
      reply = { status: 401, body: 'authentication required\n' };
    }
    reply = conditional(reply, req.headers['if-none-match']);
    const who = verdict.user ?? '-';
    const note = verdict.ok ? '' : verdict.stale ? ' (stale nonce, asked again)' : verdict.user === undefined ? ' (no credentials)' : ' (wrong credentials)';
    options.say(`server   ${method} ${uri} → ${reply.status} user=${who}${note}`);
    send(res, reply);
  };
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { origin, stop: () => closeServers([server]) };
}

async function route(method: string, pathname: string, req: IncomingMessage, origin: string, backupDir: string): Promise<Reply> {
  const backup = /^\/backup\/([A-Za-z0-9][A-Za-z0-9._-]*)$/.exec(pathname)?.[1];
  if (backup !== undefined) {
    const file = path.join(backupDir, backup);
    if (method === 'PUT') return store(req, file);
    if (method === 'GET') {
      const body = await readFileIfExists(file);
      return body === undefined ? { status: 404, body: 'no such backup\n' } : { status: 200, body, type: 'text/plain; charset=utf-8' };
    }
    return { status: 405, body: 'GET or PUT\n' };
  }
  let served: Reply | undefined;
  if (/^\/cisco\/[0-9a-f]{12}\.xml$/i.test(pathname)) served = { status: 200, body: ciscoProfile(origin), type: 'application/xml; charset=utf-8' };
  else if (pathname === '/avaya/46xxsettings.txt') served = { status: 200, body: avayaScript(origin), type: 'text/plain; charset=utf-8' };
  if (served === undefined) return { status: 404, body: 'not found\n' };
  return method === 'GET' ? served : { status: 405, body: 'GET only\n' };
}

async function store(req: IncomingMessage, file: string): Promise<Reply> {
  const chunks: Buffer[] = [];
  let size = 0;
  // Read to the end either way, so the connection stays usable for the 413.
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size <= MAX_BACKUP_BYTES) chunks.push(chunk);
  }
  if (size > MAX_BACKUP_BYTES) return { status: 413, body: `a backup is at most ${MAX_BACKUP_BYTES} bytes\n` };
  const existed = (await readFileIfExists(file)) !== undefined;
  await writeFileDurable(file, Buffer.concat(chunks), { mode: 0o600 });
  return { status: existed ? 204 : 201 };
}

/** A strong ETag of the body; a matching If-None-Match turns a 200 into a 304 (RFC 9110 §13.1.2). */
function conditional(reply: Reply, ifNoneMatch: string | undefined): Reply {
  if (reply.status !== 200) return reply;
  const etag = `"${createHash('sha256').update(reply.body!).digest('hex').slice(0, 32)}"`;
  // Weak comparison, as If-None-Match asks (RFC 9110 §13.1.2).
  const matches = (ifNoneMatch ?? '').split(',').some((tag) => tag.trim().replace(/^W\//, '') === etag || tag.trim() === '*');
  return matches ? { status: 304, etag } : { ...reply, etag };
}

function send(res: ServerResponse, reply: Reply): void {
  res.statusCode = reply.status;
  if (reply.etag !== undefined) res.setHeader('ETag', reply.etag);
  if (reply.type !== undefined) res.setHeader('Content-Type', reply.type);
  res.end(reply.body);
}
