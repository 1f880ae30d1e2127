/**
 * Per-feature health (issue 10): a feature that fails to start is visible in `provisionctl
 * status` and its `--json`, not only in the log; the others go on. One that dies later is
 * reported through the controller the same way.
 */
import t from 'tap';
import * as path from 'node:path';
import { App } from '../../daemon/app/index.js';
import { Controller } from '../../daemon/controller/index.js';
import { Logger } from '../../daemon/log/index.js';
import { parseSettings } from '../../daemon/settings/index.js';
import { Notifier } from '../../daemon/systemd/index.js';
import { spawnCli } from '../fixtures/display/cli.js';
import { shortTempDir } from '../fixtures/local.js';

t.test('a feature that failed to start shows in status, human and JSON', async (t) => {
  const dir = shortTempDir(t, 'pvd-h-');
  const socket = path.join(dir, 'run', 'display.sock');
  const settings = parseSettings({
    stateDir: path.join(dir, 'state'),
    runtimeDir: path.join(dir, 'run'),
    trust: { anchorsDir: path.join(dir, 'anchors') },
    display: { socket, http: false },
    // The broker's password file is missing: the MQTT feature cannot start; the rest can.
    mqtt: { url: 'mqtt://127.0.0.1:9', username: 'phone', passwordFile: path.join(dir, 'absent.password') },
    parameters: { Resync_On_Reset: 'No' },
  });
  const logger = new Logger({ level: 'warning', sink: { out: () => undefined, err: () => undefined } });
  const app = new App({ settings, logger, notifier: new Notifier({}), probe: async () => ({ mac: '00:0e:08:aa:bb:05', model: 'SPA942' }) });
  t.ok(await app.start(), 'the daemon runs without MQTT');
  t.teardown(() => app.stop());
  const human = await spawnCli(['--socket', socket, 'status']);
  t.equal(human.code, 0);
  t.match(human.stdout, /^Features +mqtt failed \(mqtt_file_unreadable\)$/m);
  const json = JSON.parse((await spawnCli(['--socket', socket, '--json', 'status'])).stdout) as { features: { name: string; state: string; error?: { code: string } }[] };
  t.match(json.features.find((f) => f.name === 'mqtt'), { state: 'failed', error: { code: 'mqtt_file_unreadable' } });
  t.match(json.features.find((f) => f.name === 'display'), { state: 'running' });
  t.match(app.backend.mqttState().features, json.features, 'the MQTT state carries the same');
});

t.test('a feature that dies after starting is reported failed, then stopped features say so', async (t) => {
  const seen: string[] = [];
  const logger = new Logger({ level: 'debug', sink: { out: () => undefined, err: (line) => seen.push(line) } });
  let changes = 0;
  const controller = new Controller([{ name: 'a', start: async () => undefined, stop: async () => undefined }], logger, () => changes++);
  t.ok(await controller.start());
  t.same(controller.health(), [{ name: 'a', state: 'running' }]);
  controller.fail('a', new Error('socket closed for good'));
  t.same(controller.health(), [{ name: 'a', state: 'failed', error: { code: 'internal_error', message: 'socket closed for good' } }]);
  t.match(seen.join('\n'), /a stopped working: socket closed for good/);
  await controller.stop();
  t.same(controller.health(), [{ name: 'a', state: 'stopped' }]);
  t.equal(changes, 4, 'starting, running, failed, stopped: each told');
});
