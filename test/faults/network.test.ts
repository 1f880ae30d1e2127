/**
 * Flapping networks (issue 15): the real daemon against a provisioning server that answers
 * 5xx, 429 and 503 with `Retry-After`, resets connections before the headers and mid-body,
 * stalls mid-body, and goes away entirely (connection refused) — in a seeded order — while the
 * Mosquitto broker it reports to is stopped and restarted now and then. Each resync fails with
 * a typed error after a bounded number of requests, `status` answers while a fetch is stalled,
 * a good profile applies as soon as the server behaves again, and every event reaches the
 * dashboard with its `seq` unbroken across the broker outages.
 */
import t from 'tap';
import * as http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { transpileDaemon } from '../fixtures/daemon-js.js';
import { shortTempDir } from '../fixtures/local.js';
import { startMosquitto } from '../fixtures/mqtt/mosquitto.js';
import { subscribe } from '../fixtures/mqtt/subscriber.js';
import { faultSeed, feedCommand, prng, startDaemon, status, writeConfig } from '../fixtures/faults/daemon.js';

const SEED = faultSeed(20261504);
const FAULTS = Number(process.env.PROVISIOND_FAULT_COUNT ?? 60);
const DEVICE = '000e08123456';

type Fault = 'http 500' | 'http 502' | 'http 429 retry-after' | 'http 503 retry-after' | 'reset before headers' | 'reset mid-body' | 'stall mid-body' | 'server down';
const KINDS: readonly Fault[] = ['http 500', 'http 502', 'http 429 retry-after', 'http 503 retry-after', 'reset before headers', 'reset mid-body', 'stall mid-body', 'server down'];

const profile = (v: number): string => `<flat-profile><Station_Name>n${v}</Station_Name><Resync_Periodic>86400</Resync_Periodic></flat-profile>`;

t.test(`network: ${FAULTS} seeded server faults and broker flaps; bounded retries, status always answers, no event lost`, async (t) => {
  t.comment(`seed ${SEED}`);
  const random = prng(SEED);
  const daemon = transpileDaemon();
  t.teardown(daemon.remove);
  const broker = await startMosquitto({ users: { phone: 'phone-net-pw', dash: 'dash-pass' }, persistence: true });
  t.teardown(() => broker.close());

  let fault: Fault | 'ok' = 'ok';
  let version = 0;
  let requests = 0;
  const sockets = new Set<Socket>();
  let stalled: (() => void) | undefined;
  const handler = (_req: http.IncomingMessage, res: http.ServerResponse): void => {
    requests++;
    const body = profile(version);
    switch (fault) {
      case 'ok':
        res.writeHead(200, { 'content-type': 'application/xml', 'content-length': Buffer.byteLength(body) }).end(body);
        return;
      case 'http 500':
      case 'http 502':
        res.writeHead(Number(fault.slice(5)), { 'content-length': 0 }).end();
        return;
      case 'http 429 retry-after':
        res.writeHead(429, { 'retry-after': '3600', 'content-length': 0 }).end();
        return;
      case 'http 503 retry-after':
        res.writeHead(503, { 'retry-after': '120', 'content-length': 0 }).end();
        return;
      case 'reset before headers':
        res.socket?.resetAndDestroy();
        return;
      case 'reset mid-body':
        res.writeHead(200, { 'content-type': 'application/xml', 'content-length': Buffer.byteLength(body) });
        res.write(body.slice(0, 20), () => res.socket?.resetAndDestroy());
        return;
      case 'stall mid-body':
        res.writeHead(200, { 'content-type': 'application/xml', 'content-length': Buffer.byteLength(body) });
        res.write(body.slice(0, 20));
        stalled = () => res.socket?.resetAndDestroy();
        return;
      case 'server down':
        // Never reached: the listener is closed while this fault lasts.
        res.socket?.destroy();
    }
  };
  const server = http.createServer(handler);
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  t.teardown(() => {
    for (const socket of sockets) socket.destroy();
    return new Promise<void>((resolve) => server.close(() => resolve()));
  });

  const dir = shortTempDir(t);
  writeFileSync(path.join(dir, 'mqtt.pw'), 'phone-net-pw\n');
  const paths = writeConfig(
    dir,
    { mqtt: { url: broker.url, username: 'phone', passwordFile: path.join(dir, 'mqtt.pw'), topicPrefix: 'prov' } },
    { Profile_Rule: `http://127.0.0.1:${port}/$MA.xml` },
  );
  const dashboard = await subscribe(broker.url, `prov/${DEVICE}/events/#`, { username: 'dash', password: 'dash-pass', clean: false, clientId: 'net-dashboard' });
  t.teardown(() => dashboard.close());

  const running = startDaemon(daemon.main, paths.config);
  t.teardown(() => running.kill());
  await running.ready;

  const resync = () => feedCommand(paths.socket, 'resync', { wait: true });
  t.equal((await resync()).ok, true, 'a first good resync applies');

  const counts = new Map<string, number>();
  const codes = new Map<string, Set<string>>();
  const problems: string[] = [];
  let brokerFlaps = 0;
  let brokerDown = false;
  const retryAfterIgnored: string[] = [];
  let statusWhileStalled = 0;
  for (let i = 0; i < FAULTS; i++) {
    const kind = KINDS[Math.floor(random() * KINDS.length)]!;
    counts.set(kind, (counts.get(kind) ?? 0) + 1);
    if (!brokerDown && random() < 0.15) {
      brokerFlaps++;
      brokerDown = true;
      await broker.stop();
    }
    fault = kind;
    for (const socket of sockets) socket.destroy();
    if (kind === 'server down') await new Promise<void>((resolve) => server.close(() => resolve()));
    const before = requests;
    const pending = resync();
    if (kind === 'stall mid-body') {
      while (stalled === undefined) await new Promise((resolve) => setTimeout(resolve, 5));
      // The daemon is waiting on a silent server: the local feed must not be.
      const during = await status(paths.socket);
      if (!during.resync.running) problems.push(`fault ${i}: status says no resync is running during a stalled fetch`);
      statusWhileStalled++;
      stalled();
      stalled = undefined;
    }
    const result = await pending;
    if (result.ok) problems.push(`fault ${i} (${kind}): the resync reported success`);
    else {
      const seen = codes.get(kind) ?? new Set<string>();
      seen.add(result.error.code);
      codes.set(kind, seen);
    }
    // One profile rule: a retry inside one resync would be the fetcher's, bounded by auth/redirects.
    if (requests - before > 2) problems.push(`fault ${i} (${kind}): ${requests - before} requests for one resync`);
    const after = await status(paths.socket);
    if (after.resync.next === null) problems.push(`fault ${i} (${kind}): no retry scheduled after a failure`);
    else {
      const wait = Date.parse(after.resync.next) - Date.now();
      // Resync_Error_Retry_Delay's default list caps at one day.
      if (!(wait > 0 && wait <= 86_400_000 + 60_000)) problems.push(`fault ${i} (${kind}): next retry in ${wait} ms`);
      const asked = kind === 'http 429 retry-after' ? 3600_000 : kind === 'http 503 retry-after' ? 120_000 : 0;
      if (wait + 2_000 < asked) retryAfterIgnored.push(`fault ${i} (${kind}): next retry in ${Math.round(wait / 1000)} s, Retry-After asked ${asked / 1000} s`);
    }
    if (kind === 'server down') await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
    if (brokerDown && random() < 0.5) {
      brokerDown = false;
      await broker.restart();
    }
    fault = 'ok';
    version++;
    if (random() < 0.3) {
      const good = await resync();
      if (!good.ok) problems.push(`after fault ${i}: a good server was not applied: ${JSON.stringify(good.error)}`);
    }
  }
  if (brokerDown) await broker.restart();
  fault = 'ok';
  version++;
  const last = await resync();
  t.equal(last.ok, true, 'once the server behaves, the next resync applies');
  const published = JSON.parse(readFileSync(path.join(paths.stateDir, 'parameters.json'), 'utf8')) as { parameters: Record<string, string> };
  t.equal(published.parameters.Station_Name, `n${version}`, 'the last profile is applied');
  t.same(problems, [], 'every fault failed cleanly with a retry scheduled and status answering');
  // The fetcher reads Retry-After (capped at a day) and the next retry waits at least that long.
  t.same(retryAfterIgnored, [], 'a 429/503 Retry-After is honoured by the next retry');
  t.same(
    [...codes].filter(([, set]) => [...set].some((code) => !/^[a-z_]+$/.test(code))),
    [],
    'every failure has a typed error code',
  );

  running.child.kill('SIGTERM');
  t.equal(await running.exited, 0, 'the daemon stops cleanly');
  const journal = readFileSync(path.join(paths.stateDir, 'events.jsonl'), 'utf8')
    .split('\n')
    .filter((line) => line.includes('"seq"'))
    .map((line) => (JSON.parse(line) as { seq: number }).seq);
  const lastSeq = journal.at(-1)!;
  // The reconnect backoff (up to 60 s) may still be waiting after the last outage: a restart
  // connects at once, and whatever the journal still holds must then arrive.
  const again = startDaemon(daemon.main, paths.config);
  t.teardown(() => again.kill());
  await again.ready;
  const lastAfter = async (): Promise<number> => {
    const lines = readFileSync(path.join(paths.stateDir, 'events.jsonl'), 'utf8').split('\n').filter((line) => line.includes('"seq"'));
    return (JSON.parse(lines.at(-1)!) as { seq: number }).seq;
  };
  const target = Math.max(lastSeq + 1, await lastAfter());
  await dashboard.waitFor((messages) => messages.some((m) => (JSON.parse(m.text) as { seq: number }).seq === target));
  again.child.kill('SIGTERM');
  await again.exited;
  const seqs = [...new Set(dashboard.messages.map((m) => (JSON.parse(m.text) as { seq: number }).seq))].sort((a, b) => a - b);
  t.same(seqs.filter((seq) => seq <= target), Array.from({ length: target }, (_, i) => i + 1), `all ${target} events reached the dashboard across ${brokerFlaps} broker outages`);
  for (const [kind, count] of counts) t.comment(`network / ${kind}: ${count} injected, failed as ${[...(codes.get(kind) ?? [])].join('/')}, retry scheduled, nothing lost`);
  t.comment(`network / broker outage: ${brokerFlaps} injected, no event lost; status answered ${statusWhileStalled} times during stalled fetches`);
});
