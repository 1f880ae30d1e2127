import t from 'tap';
import { writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { checkUrl, clientOptions, loadFiles, type MqttSettings } from '../../daemon/mqtt/index.js';
import { Redactor } from '../../daemon/log/index.js';

const base: MqttSettings = { url: 'mqtt://127.0.0.1:1883', topicPrefix: 'provisiond', commands: false, outboxMax: 10000 };
const parameters = { clientId: 'provisiond-d', statusTopic: 'provisiond/d/status', connectTimeoutMs: 1000, keepaliveSeconds: 30 };

t.test('mqtt, mqtts, ws and wss URLs are accepted, anything else refused without showing secrets', async (t) => {
  for (const url of ['mqtt://h', 'mqtts://h:8883', 'ws://h/mqtt', 'wss://h/mqtt']) t.doesNotThrow(() => checkUrl(url), url);
  t.throws(() => checkUrl('http://user:hunter2@h/'), { code: 'mqtt_bad_url', message: /http:\/\/h\// });
  t.throws(() => checkUrl('not a url'), { code: 'mqtt_bad_url' });
});

t.test('the password file is read without its trailing newline and registered as a secret', async (t) => {
  const dir = t.testdir();
  const passwordFile = path.join(dir, 'pw');
  await writeFile(passwordFile, 'hunter2\n');
  await writeFile(path.join(dir, 'ca.pem'), 'CA');
  await writeFile(path.join(dir, 'cert.pem'), 'CERT');
  await writeFile(path.join(dir, 'key.pem'), 'KEY-MATERIAL');
  const redactor = new Redactor();
  const files = await loadFiles(
    { ...base, username: 'phone', passwordFile, caFile: path.join(dir, 'ca.pem'), certFile: path.join(dir, 'cert.pem'), keyFile: path.join(dir, 'key.pem') },
    redactor,
  );
  t.equal(files.password, 'hunter2');
  t.ok(redactor.has('hunter2'));
  t.ok(redactor.has('KEY-MATERIAL'));
  const options = clientOptions({ ...base, username: 'phone', protocolVersion: 5 }, files, parameters, 5);
  t.match(options, { protocolVersion: 5, clientId: 'provisiond-d', username: 'phone', password: 'hunter2', clean: true, reconnectPeriod: 0, keepalive: 30 });
  t.equal(String(options.ca), 'CA');
  t.equal(String(options.cert), 'CERT');
  t.equal(String(options.key), 'KEY-MATERIAL');
  t.match(options.will, { topic: 'provisiond/d/status', qos: 1, retain: true });
  t.equal(String(options.will?.payload), 'offline');
});

t.test('without files or user name the options carry none; the protocol is the one asked for', async (t) => {
  const options = clientOptions(base, await loadFiles(base, new Redactor()), parameters, 4);
  t.equal(options.protocolVersion, 4);
  for (const key of ['username', 'password', 'ca', 'cert', 'key']) t.notOk(key in options, key);
});

t.test('an unreadable file is named by its setting, never by its content', async (t) => {
  await t.rejects(loadFiles({ ...base, passwordFile: '/nonexistent/pw' }, new Redactor()), {
    code: 'mqtt_file_unreadable',
    message: 'cannot read mqtt.passwordFile /nonexistent/pw: ENOENT',
    where: { path: '$.mqtt.passwordFile' },
  });
});

t.test("mqtt.js's debug lines are turned off unless DEBUG asks for them", async (t) => {
  const files = await loadFiles(base, new Redactor());
  const quiet = clientOptions(base, files, parameters, 5, false);
  t.type(quiet.log, 'function');
  t.equal(quiet.log?.('ignored'), undefined);
  t.notOk('log' in clientOptions(base, files, parameters, 5, true), 'DEBUG=mqttjs* keeps them');
});
