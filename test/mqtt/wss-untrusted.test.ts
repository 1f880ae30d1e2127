/**
 * Broker TLS follows the provisioning rules (SPEC §6, RELIABILITY.md §4.2): a `wss://` broker
 * with a certificate from another CA is refused even when the environment says
 * `NODE_TLS_REJECT_UNAUTHORIZED=0` — mqtt.js passes `rejectUnauthorized` to the WebSocket
 * only when it is set, so an unset option let the password go to the untrusted server.
 */
import t from 'tap';
import * as https from 'node:https';
import type { AddressInfo } from 'node:net';
import { WebSocketServer } from 'ws';
import { makeCa, makeLeaf } from '../../daemon/tls/index.js';
import { makePki } from '../fixtures/mqtt/tls.js';
import { until } from '../fixtures/mqtt/subscriber.js';
import { PHONE_PASSWORD, startHarness } from '../fixtures/mqtt/harness.js';

t.test('wss with an untrusted certificate: refused under NODE_TLS_REJECT_UNAUTHORIZED=0, nothing sent', async (t) => {
  const dir = t.testdir();
  const root = makeCa({ commonName: 'untrusted broker root' });
  const leaf = makeLeaf({ commonName: 'broker', issuer: root });
  const server = https.createServer({ cert: leaf.certPem + root.certPem, key: leaf.keyPem });
  const received: Buffer[] = [];
  let upgrades = 0;
  const wss = new WebSocketServer({ server });
  wss.on('connection', (socket) => {
    upgrades++;
    socket.on('message', (data: Buffer) => received.push(data));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => {
    wss.close();
    server.closeAllConnections();
    server.close();
  });
  const previous = process.env.NODE_TLS_REJECT_UNAUTHORIZED;
  process.env.NODE_TLS_REJECT_UNAUTHORIZED = '0';
  t.teardown(() => {
    if (previous === undefined) delete process.env.NODE_TLS_REJECT_UNAUTHORIZED;
    else process.env.NODE_TLS_REJECT_UNAUTHORIZED = previous;
  });
  const ours = await makePki(dir, 'ours');
  const phone = await startHarness({ stateDir: dir, url: `wss://127.0.0.1:${(server.address() as AddressInfo).port}/mqtt`, settings: { caFile: ours.caFile } });
  t.teardown(() => phone.stop());
  phone.emit({ type: 'daemon.started' });
  await until(() => phone.reporter.status().problem !== null);
  t.notOk(phone.reporter.connected);
  t.equal(upgrades, 0, 'no WebSocket was opened');
  t.notMatch(Buffer.concat(received).toString('latin1'), PHONE_PASSWORD);
});
