import t from 'tap';
import { DEFAULT_SOCKET, parseCommandLine } from '../../daemon/cli/index.js';

const parse = (...argv: string[]) => parseCommandLine(argv, {});

t.test('every SPEC §8 command parses', async (t) => {
  const cases: [string[], unknown][] = [
    [['status'], { name: 'status' }],
    [['logout'], { name: 'logout' }],
    [['trust'], { name: 'trust' }],
    [['resync'], { name: 'resync', wait: false }],
    [['backup', '--wait'], { name: 'backup', wait: true }],
    [['report', '--wait'], { name: 'report', wait: true }],
    [['restore', '--wait'], { name: 'restore', wait: true }],
    [['register', '4711'], { name: 'register', extension: '4711' }],
    [['login', 'alice'], { name: 'login', user: 'alice' }],
    [['profile-account', '--user', 'cisco'], { name: 'profile-account', user: 'cisco' }],
    [['profile-account', '--clear'], { name: 'profile-account-clear' }],
    [['answer', '--user', 'u'], { name: 'answer', prompt: undefined, user: 'u' }],
    [['answer', '--prompt', 'p1', '--user', 'u'], { name: 'answer', prompt: 'p1', user: 'u' }],
    [['cancel'], { name: 'cancel', prompt: undefined }],
    [['softkey', 'Setup'], { name: 'softkey', key: 'Setup' }],
    [['events', '--follow'], { name: 'events', follow: true }],
    [['params'], { name: 'params', param: undefined }],
    [['params', 'Profile_Rule'], { name: 'params', param: 'Profile_Rule' }],
    [['rule', 'eval', 'http://x/$MA.cfg', '--param', 'MA=0011', '--param', 'GPP_A=a=b'], { name: 'rule-eval', rule: 'http://x/$MA.cfg', params: { MA: '0011', GPP_A: 'a=b' } }],
    [['set', 'ABKNAME001=Alice', 'Resync_Periodic=600', 'X=a=b'], { name: 'set', values: { ABKNAME001: 'Alice', Resync_Periodic: '600', X: 'a=b' }, secret: undefined }],
    [['set', 'GPP_SA', '--secret'], { name: 'set', values: {}, secret: 'GPP_SA' }],
    [['unset', 'ABKNAME001', 'LANGUSER'], { name: 'unset', names: ['ABKNAME001', 'LANGUSER'] }],
    [['help'], { name: 'help' }],
    [['-h'], { name: 'help' }],
  ];
  for (const [argv, command] of cases) t.match(parse(...argv), { ok: true, invocation: { command } }, argv.join(' '));
});

t.test('the socket comes from --socket, else PROVISIOND_SOCKET, else the default', async (t) => {
  t.match(parseCommandLine(['--socket', '/a.sock', 'status'], { PROVISIOND_SOCKET: '/b.sock' }), { invocation: { socket: '/a.sock' } });
  t.match(parseCommandLine(['status'], { PROVISIOND_SOCKET: '/b.sock' }), { invocation: { socket: '/b.sock' } });
  t.match(parseCommandLine(['status', '--json'], {}), { invocation: { socket: DEFAULT_SOCKET, json: true, passwordStdin: false } });
  t.match(parse('login', 'bob', '--password-stdin'), { invocation: { passwordStdin: true } });
});

t.test('usage errors say what is wrong', async (t) => {
  const cases: [string[], RegExp][] = [
    [[], /a command is needed/],
    [['frob'], /unknown command "frob"/],
    [['status', '--password', 'x'], /Unknown option '--password'/],
    [['status', '--wait'], /status does not take --wait/],
    [['status', 'extra'], /status takes no arguments/],
    [['login'], /login takes 1 argument$/],
    [['softkey', 'a', 'b'], /softkey takes 1 argument/],
    [['register', '47a1'], /the extension is 1 to 32 digits/],
    [['profile-account'], /needs --user NAME/],
    [['answer'], /answer needs --user NAME/],
    [['params', 'a', 'b'], /at most one NAME/],
    [['set'], /set needs NAME=VALUE/],
    [['set', 'NAME'], /"NAME": expected NAME=VALUE/],
    [['set', '=v'], /expected NAME=VALUE/],
    [['set', 'A=1', '--secret'], /takes one NAME/],
    [['set', 'A', 'B', '--secret'], /takes one NAME/],
    [['unset'], /unset needs at least one NAME/],
    [['rule', 'check', 'x'], /usage: rule eval RULE/],
    [['rule', 'eval'], /usage: rule eval RULE/],
    [['rule', 'eval', 'x', '--param', 'novalue'], /--param "novalue": expected NAME=VALUE/],
    [['rule', 'eval', 'x', '--param', '=v'], /expected NAME=VALUE/],
  ];
  for (const [argv, message] of cases) {
    const parsed = parse(...argv);
    t.equal(parsed.ok, false, argv.join(' '));
    if (!parsed.ok) t.match(parsed.message, message);
  }
});
