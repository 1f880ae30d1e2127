/**
 * The command table's dispatcher over rows whose handlers are the real ones (`status`,
 * `events`) or stand-ins that inject a failure; the rows over the real features are tested
 * through a real daemon in test/app/backend.test.ts.
 */
import t from 'tap';
import type { RecordedEvent } from '../../daemon/bus/index.js';
import { COMMANDS, commandsFor, isCommandName, runSpec, toCommandError, type CommandArgs, type CommandSpec, type DisplayState, type Secrets, type StateContext } from '../../daemon/commands/index.js';
import { ProvisiondError } from '../../daemon/errors/index.js';
import { Redactor } from '../../daemon/log/index.js';

const STATE: DisplayState = { device: { id: 'SEP001122334455' }, resync: { running: false, last: null, next: null }, em: { enabled: false, state: '' }, mqtt: { connected: false } };

function event(seq: number): RecordedEvent {
  return { v: 1, seq, ts: '2026-01-01T12:00:00.000Z', device: 'SEP001122334455', type: 'daemon.started' };
}

function views(): StateContext & Secrets {
  const recorded = Array.from({ length: 1500 }, (_, i) => event(i + 1));
  return { snapshot: () => STATE, prompts: { list: () => [] }, recent: (n) => recorded.slice(-n), redactor: new Redactor() };
}

const row = <N extends keyof typeof COMMANDS>(name: N): CommandSpec<CommandArgs, unknown, StateContext & Secrets> => COMMANDS[name] as CommandSpec<CommandArgs, unknown, StateContext & Secrets>;

t.test('the table lists every command once, with the transports that expose it', async (t) => {
  t.same(Object.keys(COMMANDS), ['status', 'resync', 'backup', 'restore', 'report', 'login', 'logout', 'profile-account', 'profile-account-clear', 'register', 'set', 'unset', 'params', 'trust', 'events']);
  t.same(commandsFor('mqtt'), ['resync', 'backup', 'restore', 'report'], 'no credential and no local value travels over MQTT (SPEC §8)');
  t.same(commandsFor('feed'), Object.keys(COMMANDS));
  t.same(commandsFor('cli'), Object.keys(COMMANDS));
  t.ok(isCommandName('trust'));
  t.notOk(isCommandName('toString'), 'an inherited property is no command');
  t.notOk(isCommandName(7));
});

t.test('status is the snapshot with the open prompts; events are clamped to 1…1000, 20 by default', async (t) => {
  const ctx = views();
  t.same(await runSpec('status', row('status'), {}, 'cli', ctx), { ok: true, data: { ...STATE, prompt: null, prompts: [] } });
  const count = async (args: CommandArgs): Promise<number> => {
    const outcome = await runSpec('events', row('events'), args, 'feed', ctx);
    return outcome.ok ? (outcome.data as unknown[]).length : -1;
  };
  t.equal(await count({}), 20);
  t.equal(await count({ limit: 0 }), 1);
  t.equal(await count({ limit: 5 }), 5);
  t.equal(await count({ limit: 5000 }), 1000);
});

t.test('a command is refused on a transport that does not expose it, and with arguments its schema refuses', async (t) => {
  const ctx = views();
  t.same(await runSpec('status', row('status'), {}, 'mqtt', ctx), { ok: false, error: { code: 'command_unavailable', message: 'status is not available over mqtt' } });
  t.same(await runSpec('events', row('events'), { limit: 'all' }, 'feed', ctx), { ok: false, error: { code: 'invalid_message', message: 'events args.limit must be an integer' } });
});

t.test("a command's password is known to the redactor exactly while the handler holds it", async (t) => {
  const ctx = views();
  let during: boolean | undefined;
  const login = { ...row('login'), handler: async () => {
    during = ctx.redactor.has('pw-held');
    throw new ProvisiondError('auth_rejected', 'login with pw-held refused');
  } };
  t.same(await runSpec('login', login, { user: 'alice', password: 'pw-held' }, 'feed', ctx), { ok: false, error: { code: 'auth_rejected', message: 'login with *** refused' } });
  t.equal(during, true);
  t.notOk(ctx.redactor.has('pw-held'), 'released when the command is over');
  const refused = await runSpec('login', login, { user: 'alice' }, 'feed', ctx);
  t.match(refused, { ok: false, error: { code: 'invalid_message' } });
  const ok = await runSpec('login', { ...login, handler: async () => ({ state: 'mobile' }) }, { user: 'alice', password: 'pw-ok' }, 'cli', ctx);
  t.same(ok, { ok: true, data: { state: 'mobile' } });
  t.equal(ctx.redactor.size, 0, 'nothing stays registered');
});

t.test('a typed failure keeps its code; anything else thrown is an internal error', async (t) => {
  t.same(toCommandError(new ProvisiondError('tls_untrusted_root', 'untrusted')), { code: 'tls_untrusted_root', message: 'untrusted' });
  t.same(toCommandError(new Error('boom')), { code: 'internal_error', message: 'boom' });
  t.same(toCommandError('thrown text'), { code: 'internal_error', message: 'thrown text' });
});
