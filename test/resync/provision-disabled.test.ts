/**
 * A resync refused by `Provision_Enable=No` is reported (SPEC §8): a `resync.failed` with
 * code `provision_disabled` in the daemon's event journal, which the feed, `provisionctl
 * events` and MQTT read. Over the real daemon, without network peers.
 */
import t from 'tap';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { App } from '../../daemon/app/index.js';
import { EVENTS_FILE } from '../../daemon/events/index.js';
import { Logger, Redactor } from '../../daemon/log/index.js';
import { parseSettings } from '../../daemon/settings/index.js';
import { Notifier } from '../../daemon/systemd/index.js';
import { shortTempDir } from '../fixtures/local.js';

t.test('Provision_Enable=No: the refused resync is a resync.failed event in the journal', async (t) => {
  const dir = shortTempDir(t, 'pvd-pe-');
  const settings = parseSettings({
    stateDir: path.join(dir, 'state'),
    runtimeDir: path.join(dir, 'run'),
    trust: { anchorsDir: path.join(dir, 'anchors') },
    display: { socket: false, http: false },
    parameters: { Provision_Enable: 'No', Profile_Rule: 'http://127.0.0.1:9/never.xml' },
  });
  const logger = new Logger({ level: 'debug', redactor: new Redactor(), sink: { out: () => undefined, err: () => undefined } });
  const app = new App({ settings, logger, notifier: new Notifier({}), probe: async () => ({ mac: '00:0e:08:aa:bb:cc', model: 'SPA942' }) });
  t.ok(await app.start());
  t.teardown(() => app.stop());
  const outcome = await app.resync.resyncNow();
  t.match(outcome, { result: 'failed', error: { code: 'provision_disabled' } });
  const expected = { type: 'resync.failed', code: 'provision_disabled', reason: 'Provision_Enable is No', message: 'Provision_Enable is No' };
  t.match(app.events.recent().at(-1), expected);
  await app.events.settled();
  const journal = readFileSync(path.join(settings.stateDir, EVENTS_FILE), 'utf8').trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
  t.match(journal.filter((event) => event.type === 'resync.failed'), [expected], 'on disk, once');
  t.notOk(journal.some((event) => event.type === 'resync.started'), 'a refused resync never started');
});
