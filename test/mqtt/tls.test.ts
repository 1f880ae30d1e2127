import t from 'tap';
import { startMosquitto } from '../fixtures/mqtt/mosquitto.js';
import { subscribe, until } from '../fixtures/mqtt/subscriber.js';
import { makePki } from '../fixtures/mqtt/tls.js';
import { DASH_PASSWORD, DASH_USER, PHONE_PASSWORD, PHONE_USER, startHarness, TEST_ACL } from '../fixtures/mqtt/harness.js';

const users = { [PHONE_USER]: PHONE_PASSWORD, [DASH_USER]: DASH_PASSWORD };

t.test('mqtts with the broker CA and a client certificate: events arrive', async (t) => {
  const dir = t.testdir();
  const pki = await makePki(dir, 'broker');
  const broker = await startMosquitto({
    users,
    acl: TEST_ACL,
    tls: { caFile: pki.caFile, certFile: pki.serverCert, keyFile: pki.serverKey, requireCertificate: true },
  });
  t.teardown(() => broker.close());
  const dashboard = await subscribe(broker.url, 'prov/+/events/#', { username: DASH_USER, password: DASH_PASSWORD });
  t.teardown(() => dashboard.close());
  const phone = await startHarness({
    stateDir: dir,
    url: String(broker.tlsUrl),
    settings: { caFile: pki.caFile, certFile: pki.clientCert, keyFile: pki.clientKey },
  });
  t.teardown(() => phone.stop());
  phone.emit({ type: 'daemon.started' });
  await dashboard.waitFor((messages) => messages.length === 1);
  t.equal(dashboard.messages[0]?.topic, 'prov/phone1/events/daemon.started');
});

t.test('mqtts with a broker certificate from another CA is refused and reported, events wait', async (t) => {
  const dir = t.testdir();
  const brokerPki = await makePki(dir, 'broker');
  const otherPki = await makePki(dir, 'other');
  const broker = await startMosquitto({ users, acl: TEST_ACL, tls: { caFile: brokerPki.caFile, certFile: brokerPki.serverCert, keyFile: brokerPki.serverKey } });
  t.teardown(() => broker.close());
  const phone = await startHarness({ stateDir: dir, url: String(broker.tlsUrl), settings: { caFile: otherPki.caFile } });
  t.teardown(() => phone.stop());
  phone.emit({ type: 'daemon.started' });
  await until(() => phone.reporter.status().problem !== null);
  t.notOk(phone.reporter.connected);
  t.match(phone.reporter.status(), { pending: 1, problem: /certificate/ });
});
