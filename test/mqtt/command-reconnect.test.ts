/**
 * A command may outlast the connection it came on (listener audit, issue 12): its reply goes
 * out on the connection live when it finishes, and nothing a reply does can throw out of the
 * MQTT client's message listener. Against Mosquitto, restarted in the middle of a command.
 */
import t from 'tap';
import { startMosquitto } from '../fixtures/mqtt/mosquitto.js';
import { subscribe, until } from '../fixtures/mqtt/subscriber.js';
import { DASH_PASSWORD, DASH_USER, PHONE_PASSWORD, PHONE_USER, startHarness, TEST_ACL } from '../fixtures/mqtt/harness.js';
import { ProvisiondError } from '../../daemon/errors/index.js';
import { Redactor } from '../../daemon/log/index.js';

const users = { [PHONE_USER]: PHONE_PASSWORD, [DASH_USER]: DASH_PASSWORD };
const dash = { username: DASH_USER, password: DASH_PASSWORD };

t.test('a command that outlasts a broker restart is answered on the new connection, and no broker problem is reported', async (t) => {
  const broker = await startMosquitto({ users, acl: TEST_ACL });
  t.teardown(() => broker.close());
  let release: (() => void) | undefined;
  const started: string[] = [];
  const phone = await startHarness({
    stateDir: t.testdir(),
    url: broker.url,
    settings: { commands: true },
    handleCommand: async (name) => {
      started.push(name);
      await new Promise<void>((resolve) => (release = resolve));
    },
  });
  t.teardown(() => phone.stop());
  await until(() => phone.reporter.connected);
  const requester = await subscribe(broker.url, 'prov/phone1/status', dash);
  await requester.client.publishAsync('prov/phone1/cmd/resync', JSON.stringify({ transaction: 'slow' }), { qos: 1 });
  await until(() => started.length === 1);
  await requester.close();
  await broker.restart();
  await until(() => phone.reporter.connected);
  const results = await subscribe(broker.url, 'prov/phone1/cmd/+/result', dash);
  t.teardown(() => results.close());
  release!();
  await results.waitFor((messages) => messages.length === 1);
  t.same(JSON.parse(results.messages[0]!.text), { transaction: 'slow', status: 'ok' });
  t.match(phone.reporter.status(), { connected: true, problem: null }, 'no "client disconnecting" problem while connected');
});

t.test('a command finishing while disconnected loses its reply with a warning; a reply that cannot be built is logged, not thrown', async (t) => {
  const broker = await startMosquitto({ users, acl: TEST_ACL });
  t.teardown(() => broker.close());
  // A redactor that fails on one text: building that reply throws inside the message listener.
  class Failing extends Redactor {
    override redact(text: string): string {
      if (text.includes('unbuildable')) throw new Error('redactor failed');
      return super.redact(text);
    }
  }
  const releases: (() => void)[] = [];
  const phone = await startHarness({
    stateDir: t.testdir(),
    url: broker.url,
    redactor: new Failing(),
    settings: { commands: true },
    handleCommand: async (name) => {
      if (name === 'backup') throw new ProvisiondError('backup_failed', 'unbuildable');
      await new Promise<void>((resolve) => releases.push(resolve));
    },
  });
  t.teardown(() => phone.stop());
  await until(() => phone.reporter.connected);
  const requester = await subscribe(broker.url, 'prov/phone1/status', dash);
  t.teardown(() => requester.close());
  await requester.client.publishAsync('prov/phone1/cmd/backup', '{}', { qos: 1 });
  await until(() => phone.logLines.some((line) => line.includes('cannot answer an MQTT command')));
  t.ok(phone.reporter.connected, 'the connection survived');
  await requester.client.publishAsync('prov/phone1/cmd/resync', '{}', { qos: 1 });
  await until(() => releases.length === 1);
  await broker.stop();
  await until(() => !phone.reporter.connected);
  releases[0]!();
  await until(() => phone.logLines.some((line) => line.includes('its reply is lost')));
  t.pass('logged');
});
