/**
 * The assembled daemon's own edges: a damaged vault, a refused vault key, secret parameters
 * kept in the vault across restarts, the system trust store, a stop during start-up.
 */
import t from 'tap';
import { shortTempDir } from '../fixtures/local.js';
import { chmodSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import * as path from 'node:path';
import { App } from '../../daemon/app/index.js';
import { parseSettings } from '../../daemon/settings/index.js';
import { Logger, Redactor } from '../../daemon/log/index.js';
import { Notifier } from '../../daemon/systemd/index.js';

function settingsFor(dir: string, extra: Record<string, unknown> = {}) {
  return parseSettings({
    stateDir: path.join(dir, 'state'),
    runtimeDir: path.join(dir, 'run'),
    trust: { anchorsDir: path.join(dir, 'anchors') },
    display: { socket: false, http: false },
    parameters: { Resync_On_Reset: 'No' },
    ...extra,
  });
}

function app(dir: string, lines: string[], extra: Record<string, unknown> = {}, onLine?: (line: string) => void): App {
  const sink = (l: string): void => {
    lines.push(l);
    onLine?.(l);
  };
  return new App({ settings: settingsFor(dir, extra), logger: new Logger({ level: 'debug', redactor: new Redactor(), sink: { out: sink, err: sink } }), notifier: new Notifier({}), probe: async () => ({ mac: '00:0e:08:00:00:01' }) });
}

t.test('a damaged vault is moved aside, reported as vault.corrupted, and the daemon runs on', async (t) => {
  const dir = shortTempDir(t);
  mkdirSync(path.join(dir, 'state'), { recursive: true });
  writeFileSync(path.join(dir, 'state', 'vault.key'), randomBytes(32), { mode: 0o600 });
  writeFileSync(path.join(dir, 'state', 'vault.enc'), 'this is not a vault', { mode: 0o600 });
  const lines: string[] = [];
  const daemon = app(dir, lines);
  t.ok(await daemon.start());
  t.teardown(() => daemon.stop());
  const event = daemon.events.recent().find((e) => e.type === 'vault.corrupted');
  t.ok(event, 'reported');
  t.match(JSON.stringify(event?.path), /vault\.enc"$/);
  t.ok(readdirSync(path.join(dir, 'state')).some((f) => f.startsWith('vault.enc.corrupt-')));
  t.ok(lines.some((l) => /the vault was damaged/.test(l)));
});

t.test('a refused vault key leaves the daemon running on an in-memory vault, and says so', async (t) => {
  const dir = shortTempDir(t);
  mkdirSync(path.join(dir, 'state'), { recursive: true });
  writeFileSync(path.join(dir, 'state', 'vault.key'), randomBytes(32));
  chmodSync(path.join(dir, 'state', 'vault.key'), 0o644);
  const lines: string[] = [];
  const daemon = app(dir, lines);
  t.ok(await daemon.start());
  t.teardown(() => daemon.stop());
  t.ok(daemon.events.recent().some((e) => e.type === 'vault.corrupted' && e.reason === 'unavailable' && e.code === 'vault_key_insecure'));
  t.ok(lines.some((l) => /kept in memory only/.test(l)));
  await daemon.vault.put({ purpose: 'profile-account', username: 'u', secret: 'in-memory-secret' });
  t.equal((await daemon.vault.get({ purpose: 'profile-account' }))?.username, 'u');
});

t.test('secret parameters live in the vault and come back after a restart; clearing removes them', async (t) => {
  const dir = shortTempDir(t);
  const first = app(dir, []);
  t.ok(await first.start());
  await first.params.setLocal([{ name: 'GPP_SB', value: 'vaulted-secret' }]);
  const held = async (vault: typeof first.vault) => (await vault.list({ purpose: 'parameter' })).filter((r) => r.name?.startsWith('local:GPP_SB#'));
  t.match(await held(first.vault), [{ secret: 'vaulted-secret' }]);
  await first.stop();
  const second = app(dir, []);
  t.ok(await second.start());
  t.teardown(() => second.stop());
  t.equal(second.params.get('GPP_SB'), 'vaulted-secret');
  await second.params.clearLocal(['GPP_SB']);
  t.same(await held(second.vault), []);
});

t.test('with trust.useSystemStore the OS roots are trusted too, without the no-anchor warning', async (t) => {
  const dir = shortTempDir(t);
  const lines: string[] = [];
  const daemon = app(dir, lines, { trust: { anchorsDir: path.join(dir, 'none'), useSystemStore: true } });
  t.ok(await daemon.start());
  t.teardown(() => daemon.stop());
  t.ok(daemon.trust.ca.length > 0);
  t.notOk(lines.some((l) => /no trust anchors/.test(l)));
});

t.test('a stop requested while features start ends start-up early and unwinds', async (t) => {
  const dir = shortTempDir(t);
  let stopping: Promise<void> | undefined;
  const daemon: App = app(dir, [], {}, (line) => {
    if (line.includes('started feature=vault') && !stopping) stopping = daemon.stop();
  });
  t.equal(await daemon.start(), false);
  await stopping;
});

t.test('in-process: a start-up failure that is not typed (the state directory cannot be made) returns 1', async (t) => {
  const { runDaemon } = await import('../../daemon/app/run.js');
  const { EventEmitter } = await import('node:events');
  const dir = shortTempDir(t);
  writeFileSync(path.join(dir, 'file'), '');
  const config = path.join(dir, 'c.json');
  writeFileSync(config, JSON.stringify({ stateDir: path.join(dir, 'file', 'state'), runtimeDir: path.join(dir, 'run'), display: { socket: false, http: false } }));
  const err = process.stderr.write.bind(process.stderr);
  const captured: string[] = [];
  process.stderr.write = ((c: string) => (captured.push(String(c)), true));
  try {
    t.equal(await runDaemon(['--config', config], {}, new EventEmitter()), 1);
  } finally {
    process.stderr.write = err;
  }
  t.ok(captured.some((l) => /start-up failed: Error: ENOTDIR/.test(l)));
});

t.test('a display socket path that is taken by another file fails that feature only, and leaves nothing running', async (t) => {
  const dir = shortTempDir(t);
  const taken = path.join(dir, 'taken');
  writeFileSync(taken, 'a regular file');
  const lines: string[] = [];
  const daemon = app(dir, lines, { display: { socket: taken, http: false } });
  t.ok(await daemon.start(), 'the daemon runs without its display');
  t.teardown(() => daemon.stop());
  t.equal(daemon.display, undefined);
  t.ok(lines.some((l) => /^<3>display failed to start/.test(l)));
});

t.test('the demo settings use the shipped file, ./state and port 8080 unless told otherwise', async (t) => {
  const { demoSettings } = await import('../../daemon/app/run.js');
  const settings = demoSettings('/tmp/somewhere', {});
  t.equal(settings.stateDir, '/tmp/somewhere/state');
  t.same(settings.display.http, { host: '127.0.0.1', port: 8080 });
  t.equal(demoSettings('/x', { PROVISIOND_DEMO_PORT: '0' }).display.http && (demoSettings('/x', { PROVISIOND_DEMO_PORT: '0' }).display.http as { port: number }).port, 0);
});
