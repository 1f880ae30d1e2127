import t from 'tap';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { startMosquitto } from '../fixtures/mqtt/mosquitto.js';
import { subscribe } from '../fixtures/mqtt/subscriber.js';
import { DASH_PASSWORD, DASH_USER, PHONE_PASSWORD, PHONE_USER, TEST_ACL } from '../fixtures/mqtt/harness.js';

const child = fileURLToPath(new URL('../fixtures/mqtt/reporter-child.ts', import.meta.url));

t.test('the broker publishes the retained offline last will when the daemon is SIGKILLed', async (t) => {
  const broker = await startMosquitto({ users: { [PHONE_USER]: PHONE_PASSWORD, [DASH_USER]: DASH_PASSWORD }, acl: TEST_ACL });
  t.teardown(() => broker.close());
  const daemon = spawn(process.execPath, [...process.execArgv, child], {
    env: { ...process.env, PROVISIOND_TEST_MQTT: JSON.stringify({ url: broker.url, stateDir: t.testdir() }) },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  t.teardown(() => daemon.kill('SIGKILL'));
  await new Promise<void>((resolve) => daemon.stdout.on('data', (chunk: Buffer) => chunk.toString().includes('connected') && resolve()));
  const dashboard = await subscribe(broker.url, 'prov/phone1/status', { username: DASH_USER, password: DASH_PASSWORD });
  t.teardown(() => dashboard.close());
  await dashboard.waitFor((messages) => messages.length === 1);
  t.match(dashboard.messages[0], { text: 'online', retain: true });
  daemon.kill('SIGKILL');
  await dashboard.waitFor((messages) => messages.length === 2);
  t.match(dashboard.messages[1], { text: 'offline', retain: false }, 'the will, delivered live');
  const late = await subscribe(broker.url, 'prov/phone1/status', { username: DASH_USER, password: DASH_PASSWORD });
  t.teardown(() => late.close());
  await late.waitFor((messages) => messages.length === 1);
  t.match(late.messages[0], { text: 'offline', retain: true }, 'and retained for dashboards that come later');
});
