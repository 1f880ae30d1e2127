/**
 * Per-feature health (issue 10): a feature that fails to start is visible in `provisionctl
 * status` and its `--json`, not only in the log; the others go on. One that dies later is
 * reported through the controller the same way.
 */
import t from 'tap';
import { Controller } from '../../daemon/controller/index.js';
import { Logger } from '../../daemon/log/index.js';
import { spawnCli } from '../fixtures/display/cli.js';
import { startApp } from '../fixtures/app.js';

t.test('a feature that failed to start shows in status, human and JSON', async (t) => {
  // The broker's password file is missing: the MQTT feature cannot start; the rest can.
  const { app, socket, dir } = await startApp(t, { socket: true, extra: { mqtt: { url: 'mqtt://127.0.0.1:9', username: 'phone', passwordFile: '/nonexistent/absent.password' } } });
  t.ok(dir, 'the daemon runs without MQTT');
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
