import t from 'tap';
import { COMMAND_NAMES, isCommandName, parseClientMessage, parseServerMessage } from '../../daemon/display/index.js';

t.test('well-formed client messages parse into typed messages', async (t) => {
  t.same(parseClientMessage('{"type":"auth","token":"abc"}'), { ok: true, message: { type: 'auth', id: null, token: 'abc' } });
  t.same(parseClientMessage('{"type":"answer","id":3,"promptId":"p","username":"u","password":""}'), {
    ok: true,
    message: { type: 'answer', id: 3, promptId: 'p', username: 'u', password: '' },
  });
  t.same(parseClientMessage('{"type":"cancel","promptId":"p"}'), { ok: true, message: { type: 'cancel', id: null, promptId: 'p' } });
  t.same(parseClientMessage('{"type":"softkey","id":"k","key":"Setup"}'), { ok: true, message: { type: 'softkey', id: 'k', key: 'Setup' } });
  t.same(parseClientMessage('{"type":"command","id":"1","name":"register","args":{"extension":"4711","password":"x"}}'), {
    ok: true,
    message: { type: 'command', id: '1', name: 'register', args: { extension: '4711', password: 'x' } },
  });
  t.same(parseClientMessage('{"type":"command","id":1,"name":"events","args":{"limit":5}}'), {
    ok: true,
    message: { type: 'command', id: 1, name: 'events', args: { limit: 5 } },
  });
});

t.test('every malformed message gets a stable code and the id when it could be read (arguments: test/commands)', async (t) => {
  const cases: [string, string, unknown, RegExp?][] = [
    ['', 'bad_json', null],
    ['null', 'invalid_message', null],
    ['"text"', 'invalid_message', null],
    ['{"type":"auth","id":{"x":1},"token":"t"}', 'invalid_message', null, /id must be/],
    [`{"type":"auth","id":"${'i'.repeat(65)}","token":"t"}`, 'invalid_message', null],
    ['{"type":"auth","id":1.5,"token":"t"}', 'invalid_message', null],
    ['{"id":4}', 'invalid_message', 4, /needs a string "type"/],
    ['{"type":"hello","id":4}', 'unknown_type', 4, /unknown message type "hello"/],
    ['{"type":"auth"}', 'invalid_message', null, /auth.token must be a string/],
    [`{"type":"softkey","id":2,"key":"${'k'.repeat(1025)}"}`, 'invalid_message', 2, /softkey.key/],
    ['{"type":"answer","id":2,"promptId":"p","username":"u"}', 'invalid_message', 2, /answer.password/],
    ['{"type":"command","name":"status"}', 'invalid_message', null, /needs an id/],
    ['{"type":"command","id":1,"name":7}', 'invalid_message', 1, /name must be a string/],
    ['{"type":"command","id":1,"name":"reboot"}', 'unknown_command', 1, /unknown command "reboot"/],
    ['{"type":"command","id":1,"name":"status","args":[]}', 'invalid_message', 1, /args must be an object/],
    ['{"type":"command","id":1,"name":"resync","args":{"wait":{"deep":true}}}', 'invalid_message', 1, /args\.wait must be a string, a number or a boolean/],
  ];
  for (const [text, code, id, message] of cases) {
    const parsed = parseClientMessage(text);
    t.match(parsed, { ok: false, code, id }, `${code}: ${text.slice(0, 60)}`);
    if (message && !parsed.ok) t.match(parsed.message, message);
  }
});

t.test('the command list is the one of SPEC §8 plus events, report and the account\'s --clear', async (t) => {
  t.same([...COMMAND_NAMES], ['status', 'resync', 'backup', 'restore', 'report', 'login', 'logout', 'profile-account', 'profile-account-clear', 'register', 'set', 'unset', 'params', 'trust', 'events']);
  t.ok(isCommandName('trust'));
  t.notOk(isCommandName('reboot'));
  t.notOk(isCommandName(undefined));
});

t.test('a client reads server messages by their type and drops anything else', async (t) => {
  t.same(parseServerMessage('{"type":"result","id":3,"ok":true,"data":{"started":true}}'), { type: 'result', id: 3, ok: true, data: { started: true } });
  t.same(parseServerMessage('{"type":"event","event":{"seq":1}}'), { type: 'event', event: { seq: 1 } });
  for (const text of ['', 'null', '[]', '{"type":"dance"}', '{"type":"result","id":{},"ok":true}', '{"type":"result","id":1}']) t.equal(parseServerMessage(text), undefined, text);
});
