import t from 'tap';
import * as path from 'node:path';
import { SettingsError, loadSettings, parseSettings, positionOf } from '../../daemon/settings/index.js';
import { validate } from '../../daemon/settings/schema.js';

t.test('an empty settings object gets every default of the schema', async (t) => {
  const s = parseSettings({});
  t.equal(s.stateDir, '/var/lib/provisiond');
  t.equal(s.runtimeDir, '/run/provisiond');
  t.same(s.trust, { anchorsDir: '/etc/provisiond/certs/avaya', useSystemStore: false });
  t.same(s.limits, { profileBytes: 4 * 1024 * 1024, wsPayloadBytes: 64 * 1024 });
  t.equal(s.prompts.timeoutSeconds, 300);
  t.equal(s.mqtt.url, undefined, 'no url: MQTT off');
  t.equal(s.mqtt.topicPrefix, 'provisiond');
  t.equal(s.mqtt.outboxMax, 10000);
  t.equal(s.display.socket, '/run/provisiond/display.sock');
  t.same(s.display.http, { host: '127.0.0.1', port: 8080 });
  t.equal(s.log.level, 'info');
});

t.test('the shipped config/provisiond.json is valid', async (t) => {
  const s = loadSettings(path.join(import.meta.dirname, '..', '..', 'config', 'provisiond.json'));
  t.equal(s.parameters.Provision_Enable, 'Yes');
  // No group by default: an image without the phonetech group (a tarball install, no sysusers run)
  // must still get its display socket; an image that has the group sets display.socketGroup.
  t.equal(s.display.socketGroup, undefined);
});

t.test('display socket and http can be turned off or set', async (t) => {
  t.equal(parseSettings({ display: { socket: false, http: false } }).display.socket, false);
  t.equal(parseSettings({ display: { http: false } }).display.http, false);
  t.equal(parseSettings({ runtimeDir: '/run/x', display: { socket: true } }).display.socket, '/run/x/display.sock');
  t.same(parseSettings({ display: { http: true } }).display.http, { host: '127.0.0.1', port: 8080 });
  t.equal(parseSettings({ display: { socket: '/tmp/d.sock' } }).display.socket, '/tmp/d.sock');
});

t.test('parameter values are kept as strings', async (t) => {
  const s = parseSettings({ parameters: { Resync_Periodic: 60, Provision_Enable: true, Profile_Rule: 'http://x/$MA.xml' } });
  t.same(s.parameters, { Resync_Periodic: '60', Provision_Enable: 'true', Profile_Rule: 'http://x/$MA.xml' });
});

t.test('every problem is reported at once, each with its JSON path, expected and found', async (t) => {
  const err = t.throws(() =>
    parseSettings(
      {
        stateDir: 5,
        mqtt: { url: 'http://broker', urll: 'x', outboxMax: 0 },
        limits: { profileBytes: 1.5 },
        log: { level: 'loud' },
        parameters: { 'odd name': [1] },
        display: { http: { port: 70000 } },
        prompts: { timeoutSeconds: 'soon' },
        device: { mac: 'zz' },
        trust: { anchorsDir: '' },
      },
      'bad.json',
    ),
  ) as SettingsError;
  t.type(err, SettingsError);
  t.equal(err.code, 'settings_invalid');
  const lines = err.lines();
  const expect = [
    'bad.json: $.stateDir: expected a string, found the integer 5',
    'bad.json: $.mqtt.url: expected a string matching ^(mqtt|mqtts|ws|wss)://[^\\s]+$, found the string "http://broker"',
    'bad.json: $.mqtt.urll: expected no such key',
    'bad.json: $.mqtt.outboxMax: expected a value of at least 1, found the integer 0',
    'bad.json: $.limits.profileBytes: expected an integer, found the number 1.5',
    'bad.json: $.log.level: expected one of "error", "warning", "notice", "info", "debug", found the string "loud"',
    'bad.json: $.parameters["odd name"]: expected a string or a number or a boolean, found an array',
    'bad.json: $.display.http.port: expected a value of at most 65535, found the integer 70000',
    'bad.json: $.prompts.timeoutSeconds: expected an integer, found the string "soon"',
    'bad.json: $.device.mac: expected a string matching',
    'bad.json: $.trust.anchorsDir: expected a string of at least 1 character(s), found the string ""',
  ];
  for (const want of expect) t.ok(lines.some((l) => l.startsWith(want)), want);
  t.equal(lines.length, expect.length);
});

t.test('a settings file that is not an object, or has null, is named clearly', async (t) => {
  const err = t.throws(() => parseSettings([1])) as SettingsError;
  t.match(err.lines()[0], /\$: expected an object, found an array/);
  const err2 = t.throws(() => parseSettings({ mqtt: null })) as SettingsError;
  t.match(err2.lines()[0], /\$\.mqtt: expected an object, found null/);
  const err3 = t.throws(() => parseSettings({ stateDir: 'x'.repeat(50), runtimeDir: false })) as SettingsError;
  t.match(err3.lines()[0], /\$\.runtimeDir: expected a string, found false/);
});

t.test('a long string value is shortened in the message', async (t) => {
  const err = t.throws(() => parseSettings({ log: { level: 'x'.repeat(100) } })) as SettingsError;
  t.match(err.lines()[0], /found the string "x{40}…"/);
});

t.test('a missing file, an unreadable one and a JSON syntax error each get a clear message', async (t) => {
  const dir = t.testdir({ 'syntax.json': '{\n  "stateDir": "/x",\n  "log": { "level": "info", }\n}\n', 'ok.json': '{}' });
  const missing = t.throws(() => loadSettings(path.join(dir, 'nope.json'))) as SettingsError;
  t.match(missing.lines()[0], /nope\.json: \$: expected a readable JSON settings file, found the file does not exist/);
  const syntax = t.throws(() => loadSettings(path.join(dir, 'syntax.json'))) as SettingsError;
  t.match(syntax.lines()[0], /syntax\.json: \$: expected valid JSON, found a syntax error at line 3, column 29/);
  const asDir = t.throws(() => loadSettings(dir)) as SettingsError;
  t.match(asDir.lines()[0], /cannot be read \(EISDIR\)/);
  t.equal(loadSettings(path.join(dir, 'ok.json')).stateDir, '/var/lib/provisiond');
});

t.test('positionOf reads Node 20 positions and Node 22 line/column messages', async (t) => {
  t.same(positionOf('ab\ncd', 'Unexpected token in JSON at position 4'), { line: 2, column: 2 });
  t.same(positionOf('x', 'Expected property name (line 7 column 9)'), { line: 7, column: 9 });
  t.same(positionOf('{\n', 'Unexpected end of JSON input'), { line: 2, column: 1 });
});

t.test('the validator handles required keys and open objects', async (t) => {
  const problems: { path: string; expected: string; found: string }[] = [];
  const out = validate({ type: 'object', required: ['a'], properties: { b: { type: 'number' } } }, { c: 1, b: 2.5 }, '$', problems);
  t.same(out, { c: 1, b: 2.5 });
  t.same(problems, [{ path: '$.a', expected: 'a value (this key is required)', found: 'nothing' }]);
  t.same(validate({}, 'anything', '$', problems), 'anything');
});

t.test('a file the daemon may not read says permission denied (root reads anything, so the error is injected)', async (t) => {
  const fs = await import('node:fs');
  const denied = Object.assign(new Error('EACCES'), { code: 'EACCES' });
  const { loadSettings: load } = await t.mockImport<typeof import('../../daemon/settings/index.js')>('../../daemon/settings/index.js', {
    'node:fs': { ...fs, readFileSync: (file: string, enc: string) => (String(file).endsWith('locked.json') ? (() => { throw denied; })() : fs.readFileSync(file, enc as BufferEncoding)) },
  });
  const err = t.throws(() => load('/etc/locked.json')) as SettingsError;
  t.match(err.lines()[0], /locked\.json: \$: expected a readable JSON settings file, found permission denied/);
  const odd = Object.assign(new Error('odd'), {});
  const { loadSettings: load2 } = await t.mockImport<typeof import('../../daemon/settings/index.js')>('../../daemon/settings/index.js', {
    'node:fs': { ...fs, readFileSync: (file: string, enc: string) => (String(file).endsWith('odd.json') ? (() => { throw odd; })() : fs.readFileSync(file, enc as BufferEncoding)) },
  });
  t.match((t.throws(() => load2('/etc/odd.json')) as SettingsError).lines()[0], /cannot be read \(EIO\)/);
});

t.test('describing a value covers every JSON kind', async (t) => {
  const { describeValue } = await import('../../daemon/settings/schema.js');
  t.equal(describeValue({}), 'an object');
  t.equal(describeValue(true), 'true');
});

t.test('mqtt.outboxMax takes any integer from 1 (a small phone may keep 5 events)', async (t) => {
  t.equal(parseSettings({ mqtt: { outboxMax: 1 } }).mqtt.outboxMax, 1);
  t.equal(parseSettings({ mqtt: { outboxMax: 5 } }).mqtt.outboxMax, 5);
  t.equal(parseSettings({}).mqtt.outboxMax, 10000);
  const zero = t.throws(() => parseSettings({ mqtt: { outboxMax: 0 } })) as SettingsError;
  t.match(zero.lines()[0], /\$\.mqtt\.outboxMax: /);
  const fraction = t.throws(() => parseSettings({ mqtt: { outboxMax: 2.5 } })) as SettingsError;
  t.match(fraction.lines()[0], /\$\.mqtt\.outboxMax: /);
});
