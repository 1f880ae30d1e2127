/**
 * The phone's screen for backup and restore, through the local feed of the real daemon (SPEC
 * §8 `screen`): Backup and Restore softkeys once BRURI and the extension are set, the HTTP
 * Authentication prompt with its realm, server and fields when the server challenges, and
 * "Restore successful" / "Retrieval failed" afterwards (DOMAIN.md §3.3–3.4), against Apache.
 */
import t from 'tap';
import { writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { App } from '../../daemon/app/index.js';
import { Logger } from '../../daemon/log/index.js';
import { parseSettings } from '../../daemon/settings/index.js';
import { Notifier } from '../../daemon/systemd/index.js';
import { FeedClient, type Message } from '../fixtures/display/harness.js';
import { startApache } from '../fixtures/http/apache.js';
import { shortTempDir } from '../fixtures/local.js';

interface ScreenMessage extends Message {
  readonly screen: { title: string; lines: string[]; softkeys: string[]; prompt: { id: string; kind: string; fields: { name: string; label: string; secret: boolean }[] } | null };
}

t.test('Backup/Restore softkeys, the HTTP Authentication prompt and the outcome on the screen', async (t) => {
  const apache = await startApache({ areas: [{ path: 'br', auth: { scheme: 'Basic', realm: 'phones', users: { tech: 'tech-pass' } }, dav: true }] });
  t.teardown(() => apache.stop());
  const dir = shortTempDir(t);
  const socket = path.join(dir, 'run', 'display.sock');
  const settings = parseSettings({
    stateDir: path.join(dir, 'state'),
    runtimeDir: path.join(dir, 'run'),
    device: { mac: '00:1b:4f:00:00:01', model: '9611G' },
    trust: { anchorsDir: path.join(dir, 'none') },
    display: { socket, http: false },
    prompts: { timeoutSeconds: 3600 },
    parameters: { Resync_On_Reset: 'No', BRURI: `${apache.origin}/br` },
  });
  const app = new App({ settings, logger: new Logger({ sink: { out: () => undefined, err: () => undefined } }), notifier: new Notifier({}) });
  t.ok(await app.start());
  t.teardown(() => app.stop());
  const client = new FeedClient(`ws+unix:${socket}:/ws`);
  t.teardown(() => client.close());
  await client.next('hello');
  const screen = async (test: (s: ScreenMessage['screen']) => boolean): Promise<ScreenMessage['screen']> => ((await client.next('screen', (m) => test((m as ScreenMessage).screen))) as ScreenMessage).screen;

  t.notOk((await screen(() => true)).softkeys.includes('Backup'), 'no extension yet: not offered');
  t.match(await client.request({ type: 'command', id: 1, name: 'register', args: { extension: '3001', password: 'reg-display' } }), { ok: true });
  t.same((await screen((s) => s.softkeys.includes('Backup'))).softkeys, ['Setup', 'Backup', 'Restore']);

  writeFileSync(path.join(apache.docroot, 'br/3001_96xxdata.txt'), 'ABKNAME001=From server\n');
  t.match(await client.request({ type: 'softkey', id: 2, key: 'Restore' }), { ok: true });
  const asking = await screen((s) => s.prompt !== null);
  t.match(asking, {
    title: 'HTTP Authentication',
    lines: ['Enter backup/restore credentials', `Server: ${apache.origin}`, 'Realm: phones'],
    softkeys: ['OK', 'Cancel'],
    prompt: { kind: 'http-auth', fields: [{ name: 'username', label: 'User ID', secret: false }, { name: 'password', label: 'Password', secret: true }] },
  });
  t.match(await client.request({ type: 'answer', id: 3, promptId: asking.prompt!.id, username: 'tech', password: 'tech-pass' }), { ok: true });
  t.ok((await screen((s) => s.lines.includes('Restore successful'))).softkeys.includes('Restore'));
  t.equal(app.params.get('ABKNAME001'), 'From server');

  // An HTML page where the backup should be: nothing changes and the phone says so.
  writeFileSync(path.join(apache.docroot, 'br/3001_96xxdata.txt'), '<html><body>Sign in</body></html>');
  t.match(await client.request({ type: 'softkey', id: 4, key: 'Restore' }), { ok: true });
  await screen((s) => s.lines.includes('Retrieval failed'));
  t.equal(app.params.get('ABKNAME001'), 'From server');
  // Backup from the softkey, answered silently by the stored realm credential.
  t.match(await client.request({ type: 'softkey', id: 5, key: 'Backup' }), { ok: true });
  await screen((s) => s.lines.includes('Backup successful'));
});
