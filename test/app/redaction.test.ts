/**
 * The app owns one redactor and a feed client cannot poison it (issue 12 §9): a password is
 * registered for redaction only while it answers a prompt that is open or a command that holds
 * it, so answers for prompts that do not exist leave later log lines and events untouched.
 */
import t from 'tap';
import * as path from 'node:path';
import { App } from '../../daemon/app/index.js';
import { Logger } from '../../daemon/log/index.js';
import { parseSettings } from '../../daemon/settings/index.js';
import { Notifier } from '../../daemon/systemd/index.js';
import { FeedClient } from '../fixtures/display/harness.js';
import { shortTempDir } from '../fixtures/local.js';

t.test('answers for a prompt that does not exist change no later log line or event', async (t) => {
  const dir = shortTempDir(t, 'pvd-r-');
  const socket = path.join(dir, 'run', 'display.sock');
  const settings = parseSettings({
    stateDir: path.join(dir, 'state'),
    runtimeDir: path.join(dir, 'run'),
    trust: { anchorsDir: path.join(dir, 'anchors') },
    display: { socket, http: false },
    parameters: { Resync_On_Reset: 'No', Profile_Rule: 'http://127.0.0.1:9/$MA.cfg' },
  });
  const lines: string[] = [];
  const logger = new Logger({ level: 'debug', sink: { out: (l) => lines.push(l), err: (l) => lines.push(l) } });
  const app = new App({ settings, logger, notifier: new Notifier({}), probe: async () => ({ mac: '00:0e:08:aa:bb:cc', model: 'SPA942' }) });
  t.ok(await app.start());
  t.teardown(() => app.stop());
  t.equal(app.redactor, logger.redactor, "the app's redactor is the one its log lines pass through");
  const before = app.redactor.size;

  const client = new FeedClient(`ws+unix:${socket}:/ws`);
  await client.next('hello');
  for (const [id, password] of [['one-letter', 'e'], ['a-word', 'resync'], ['a-long-one', 'refused because no prompt is open']] as const) {
    t.match(await client.request({ type: 'answer', id, promptId: 'no-such-prompt', username: 'u', password }), { ok: false, error: { code: 'no_such_prompt' } });
  }
  t.equal(app.redactor.size, before, 'nothing was registered');
  lines.length = 0;

  t.match(await client.request({ type: 'command', id: 'r', name: 'resync', args: { wait: true } }), { ok: false, error: { code: 'network_error' } });
  const events = await client.request({ type: 'command', id: 'e', name: 'events', args: { limit: 5 } });
  const recorded = events.data as { type: string; message?: string }[];
  t.ok(recorded.some((event) => event.type === 'resync.failed'), 'the event types read as they are');
  t.notMatch(JSON.stringify(recorded), /\*\*\*/, 'no event has been redacted');
  t.ok(lines.some((line) => /resync/.test(line)), 'the resync was logged');
  t.notMatch(lines.join('\n'), /\*\*\*/, 'no log line has been redacted');
  client.close();
});

t.test('a command password is registered while the command holds it and released after; the vault keeps its own', async (t) => {
  const dir = shortTempDir(t, 'pvd-r-');
  const settings = parseSettings({
    stateDir: path.join(dir, 'state'),
    runtimeDir: path.join(dir, 'run'),
    trust: { anchorsDir: path.join(dir, 'anchors') },
    display: { socket: false, http: false },
    parameters: { Resync_On_Reset: 'No', EM_Enable: 'Yes', Profile_Rule: 'http://127.0.0.1:9/$MA.cfg' },
  });
  const lines: string[] = [];
  const logger = new Logger({ level: 'debug', sink: { out: (l) => lines.push(l), err: (l) => lines.push(l) } });
  const app = new App({ settings, logger, notifier: new Notifier({}), probe: async () => ({ mac: '00:0e:08:aa:bb:cc', model: 'SPA942' }) });
  t.ok(await app.start());
  t.teardown(() => app.stop());
  const outcome = await app.backend.run('login', { user: 'alice', password: 'alice-login-pw' }, 'cli');
  t.match(outcome, { ok: false, error: { code: 'network_error' } });
  t.ok(app.redactor.has('alice-login-pw'), 'the vault keeps the password for the retry, registered');
  t.notMatch(lines.join('\n'), /alice-login-pw/);
  await app.vault.clear();
  t.notOk(app.redactor.has('alice-login-pw'), 'once the vault lets go nothing holds it: the command released its own registration');
});
