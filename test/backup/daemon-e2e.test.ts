/**
 * Backup and restore through the whole daemon: provisionctl as a separate process, the real
 * App, Apache httpd with mod_dav over TLS from a run-time CA whose Basic realm knows the call
 * server's IP as a user (the Avaya file server model, DOMAIN.md §3.4).
 *
 * The story once hung: a user-data change armed the debounced backup before the extension
 * was registered; that backup met the 401 without the call-server credential, opened the
 * HTTP Authentication prompt and held the queue, so `backup --wait` after `register` waited
 * out the prompt's timeout. Now a registration or an explicit request makes the waiting
 * automatic backup give way. The prompt timeout is long here: a regression hangs until tap's
 * timeout instead of passing late.
 */
import t from 'tap';
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { App } from '../../daemon/app/index.js';
import type { EventInput } from '../../daemon/bus/index.js';
import { Logger } from '../../daemon/log/index.js';
import { parseSettings } from '../../daemon/settings/index.js';
import { Notifier } from '../../daemon/systemd/index.js';
import { spawnCli } from '../fixtures/display/cli.js';
import { startFileServer } from '../fixtures/http/file-server.js';
import { shortTempDir, until } from '../fixtures/local.js';

const CALL_SERVER = '192.168.1.10';
const REG_PASSWORD = 'Reg-Pa55-e2e';
const WRONG_PASSWORD = 'Wr0ng-Reg-e2e';

t.test('register after an automatic backup prompted: backup --wait and restore --wait finish with the call-server credential', async (t) => {
  const dir = shortTempDir(t);
  const { apache, anchors } = await startFileServer(t, dir, CALL_SERVER, REG_PASSWORD);
  const socket = path.join(dir, 'run', 'display.sock');
  const settings = parseSettings({
    stateDir: path.join(dir, 'state'),
    runtimeDir: path.join(dir, 'run'),
    device: { mac: '00:1b:4f:12:34:56', model: '9608', swVersion: '6.8.5', serial: 'SN2' },
    trust: { anchorsDir: anchors },
    display: { socket, http: false },
    prompts: { timeoutSeconds: 3600 },
    parameters: { Resync_On_Reset: 'No', MCIPADD: `${CALL_SERVER},192.168.1.11`, BRURI: `${apache.origin}/br` },
  });
  const lines: string[] = [];
  const logger = new Logger({ level: 'debug', redactor: undefined, sink: { out: (l) => lines.push(l), err: (l) => lines.push(l) } });
  const app = new App({ settings, logger, notifier: new Notifier({}) });
  const events: EventInput[] = [];
  t.ok(await app.start());
  app.bus.on('event', (event) => events.push(event));
  t.teardown(() => app.stop());
  const cli = (args: string[], input?: string) => spawnCli(['--socket', socket, ...args], input === undefined ? {} : { input });
  const outputs: string[] = [];
  const run = async (args: string[], input?: string) => {
    const done = await cli(args, input);
    outputs.push(done.stdout, done.stderr);
    return done;
  };

  // User data before registration: the debounced backup has no call-server credential yet.
  t.equal((await run(['set', 'NVPHONEXT=201', 'ABKNAME001=Alice', 'ABKNUMBER001=2001'])).code, 0);
  await until(() => app.prompts.list().some((p) => p.kind === 'http-auth'));
  t.equal((await run(['register', '201', '--password-stdin'], REG_PASSWORD + '\n')).code, 0);
  // The waiting backup gave way and ran again with the credential, without a prompt.
  await until(() => events.some((e) => e.type === 'backup.succeeded'));
  t.same(app.prompts.list(), [], 'the prompt nobody answered is gone');
  t.match(events.find((e) => e.type === 'backup.failed'), { code: 'backup_superseded' });
  t.match(events.filter((e) => e.type === 'auth.prompt.closed'), [{ kind: 'http-auth', outcome: 'cancelled' }]);

  const backup = await run(['backup', '--wait']);
  t.same([backup.code, backup.stdout], [0, 'backup succeeded\n'], backup.stderr);
  const stored = readFileSync(path.join(apache.docroot, 'br/201_96xxdata.txt'));
  t.same(stored, Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('ABKNAME001=Alice\r\nABKNUMBER001=2001\r\n', 'utf16le')]));
  // The server's copy changed (another phone of the same extension): restore applies it.
  writeFileSync(path.join(apache.docroot, 'br/201_96xxdata.txt'), 'ABKNAME001=Alice\nABKNAME002=Bob\n');
  const restore = await run(['restore', '--wait']);
  t.same([restore.code, restore.stdout], [0, 'restore succeeded\n'], restore.stderr);
  t.equal(app.params.get('ABKNAME002'), 'Bob');
  const log = (await apache.accessLog()).filter((l) => l.path === '/br/201_96xxdata.txt');
  t.match(log[0], { method: 'PUT', status: 401, user: '-' }, 'the first automatic backup had nothing to send');
  t.ok(log.slice(1).every((l) => l.user === CALL_SERVER && l.authScheme === 'Basic' && l.status < 300), 'every later request carried the call-server credential');

  // A wrong registration password: the pre-emptive answer is refused, the prompt opens for the
  // explicit backup, and an answer typed with provisionctl finishes it.
  t.equal((await run(['register', '201', '--password-stdin'], WRONG_PASSWORD + '\n')).code, 0);
  await until(() => !app.backup.pending());
  await app.backup.idle();
  const waiting = run(['backup', '--wait']);
  await until(() => app.prompts.list().some((p) => p.kind === 'http-auth'));
  t.equal((await run(['answer', '--user', CALL_SERVER, '--password-stdin'], REG_PASSWORD + '\n')).code, 0);
  const answered = await waiting;
  t.same([answered.code, answered.stdout], [0, 'backup succeeded\n'], answered.stderr);
  t.match(events.filter((e) => e.type === 'credentials.stored'), [{ realm: 'file server', source: 'prompt' }]);

  await app.stop();
  const basic = (user: string, password: string) => Buffer.from(`${user}:${password}`).toString('base64');
  const secretsUsed = [REG_PASSWORD, WRONG_PASSWORD, basic(CALL_SERVER, REG_PASSWORD), basic(CALL_SERVER, WRONG_PASSWORD)];
  const written: string[] = [];
  const walk = (d: string): void => {
    for (const name of readdirSync(d)) {
      const file = path.join(d, name);
      if (statSync(file).isDirectory()) walk(file);
      else if (!/^vault\.(enc|key)$/.test(name)) written.push(readFileSync(file, 'latin1'));
    }
  };
  walk(path.join(dir, 'state'));
  const everything = [...written, lines.join('\n'), JSON.stringify(events), outputs.join('\n')].join('\n');
  for (const secret of secretsUsed) t.notOk(everything.includes(secret), `${secret.slice(0, 4)}… appears nowhere`);
});
