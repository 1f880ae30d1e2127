/** `provisiond --demo` as runDaemon calls it: runs until a signal, stops everything, exit codes. */
import t, { type Test } from 'tap';
import { shortTempDir } from '../fixtures/local.js';
import { EventEmitter } from 'node:events';
import { readdirSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import * as path from 'node:path';
import { formatEvent, runDemo } from '../../daemon/demo/index.js';
import { ProvisiondError } from '../../daemon/errors/index.js';
import { Logger, Redactor } from '../../daemon/log/index.js';
import { parseSettings } from '../../daemon/settings/index.js';
import { Notifier } from '../../daemon/systemd/index.js';

const quiet = new Logger({ redactor: new Redactor(), sink: { out: () => undefined, err: () => undefined } });

function shortDir(t: Test): string {
  // Unix socket paths are limited to 108 bytes: tap's fixture paths are too long.
  const dir = shortTempDir(t);
  return dir;
}

t.test('runs until SIGTERM, then stops everything and removes its directory; a taken display port is replaced and said', async (t) => {
  const root = shortDir(t);
  const taken = createServer();
  await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
  t.teardown(() => taken.close());
  const port = (taken.address() as AddressInfo).port;
  const signals = new EventEmitter();
  const said: string[] = [];
  const code = await runDemo({
    baseSettings: (dir) => parseSettings({ stateDir: path.join(dir, 'state'), runtimeDir: path.join(dir, 'run'), display: { socket: true, http: { host: '127.0.0.1', port } } }),
    say: (line) => {
      said.push(line);
      if (line.includes('=== provisiond demo')) setImmediate(() => signals.emit('SIGTERM'));
    },
    signals,
    tmpRoot: root,
    logger: quiet,
    notifier: new Notifier({}),
  });
  t.equal(code, 0);
  const printed = said.join('\n');
  t.match(printed, new RegExp(`Port ${port} is taken: the display page listens on \\d+ instead\\.`));
  t.match(printed, /^demo +received SIGTERM, stopping$/m);
  t.equal(said.at(-1), 'demo     stopped');
  t.same(readdirSync(root), [], 'nothing left behind');
  t.equal(signals.listenerCount('SIGTERM') + signals.listenerCount('SIGINT'), 0, 'signal handlers removed');
});

t.test('a demo that cannot start says why, exits 1 and leaves nothing behind', async (t) => {
  const root = shortDir(t);
  const said: string[] = [];
  const failing = (error: Error) => runDemo({
    baseSettings: () => {
      throw error;
    },
    say: (line) => said.push(line),
    signals: new EventEmitter(),
    tmpRoot: root,
  });
  t.equal(await failing(new ProvisiondError('settings_invalid', 'the shipped settings are broken')), 1);
  t.equal(said.at(-1), 'demo     could not start: the shipped settings are broken (settings_invalid)');
  t.equal(await failing(new Error('boom')), 1);
  t.equal(said.at(-1), 'demo     could not start: Error: boom');
  t.same(readdirSync(root), [], 'server, broker and directory cleaned up');
});

t.test('without a say function the demo writes to standard output', async (t) => {
  const out: string[] = [];
  const write = process.stdout.write.bind(process.stdout);
  process.stdout.write = ((chunk: string) => {
    out.push(String(chunk));
    return true;
  });
  let code: number;
  try {
    code = await runDemo({
      baseSettings: () => {
        throw new Error('no settings here');
      },
      signals: new EventEmitter(),
    });
  } finally {
    process.stdout.write = write;
  }
  t.equal(code, 1);
  t.same(out, ['demo     could not start: Error: no settings here\n']);
});

t.test('dashboard lines: seq, type, then the fields; anything else shown as text', async (t) => {
  const event = { v: 1, seq: 7, ts: '2026-01-01T00:00:00Z', device: '000e08de3001', type: 'resync.failed', trigger: 'boot', error: 'auth failed', status: 401, changed: ['A', 'B'], message: 'SPA942 -- Resync failed' };
  t.equal(formatEvent(JSON.stringify(event)), 'event    #7 resync.failed trigger=boot error="auth failed" status=401 changed=["A","B"]', 'the message is already in the log');
  const long = formatEvent(JSON.stringify({ seq: 8, type: 'config.applied', changed: Array.from({ length: 20 }, (_, i) => `Param_${i}_`) }));
  t.match(long, /^event {4}#8 config\.applied changed=\["Param_0_",.*…$/);
  t.equal(long.length, 'event    #8 config.applied changed='.length + 72, 'a long value is cut');
  t.equal(formatEvent('not json'), 'event    not json');
});
