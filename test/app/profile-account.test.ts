/**
 * A technician stores and clears the Profile Account with provisionctl (SPEC §5, §8): the real
 * daemon, the real feed socket, the CLI as a process; `credentials.cleared` follows the removal.
 */
import t from 'tap';
import { spawnCli } from '../fixtures/display/cli.js';
import { FeedClient } from '../fixtures/display/harness.js';
import { startApp } from '../fixtures/app.js';

t.test('profile-account --user stores it, --clear removes it and says so', async (t) => {
  const { app, socket } = await startApp(t, { socket: true, parameters: { Profile_Rule: 'http://127.0.0.1:9/$MA.cfg' } });
  const stored = await spawnCli(['--socket', socket, 'profile-account', '--user', 'tech', '--password-stdin'], { input: 'tech-pw\n' });
  t.same([stored.code, stored.stdout], [0, 'profile account stored\n']);
  t.ok(await app.vault.get({ purpose: 'profile-account' }), 'in the vault');
  const cleared = await spawnCli(['--socket', socket, 'profile-account', '--clear']);
  t.same([cleared.code, cleared.stdout, cleared.stderr], [0, 'profile account cleared\n', '']);
  t.equal(await app.vault.get({ purpose: 'profile-account' }), undefined, 'gone from the vault');
  t.match(app.events.recent().filter((e) => e.type.startsWith('credentials.')), [
    { type: 'credentials.stored', operation: 'resync', source: 'profile-account' },
    { type: 'credentials.cleared', operation: 'resync', reason: 'cleared' },
  ]);
  const again = await spawnCli(['--socket', socket, 'profile-account', '--clear']);
  t.same([again.code, again.stdout], [0, 'no profile account was stored\n'], 'nothing left to clear');
  const json = await spawnCli(['--socket', socket, '--json', 'profile-account', '--clear']);
  t.same([json.code, JSON.parse(json.stdout)], [0, { cleared: false }]);
  const usage = await spawnCli(['--socket', socket, 'profile-account', '--clear', '--user', 'x']);
  t.same([usage.code, usage.stderr.split('\n')[0]], [2, 'provisionctl: profile-account: --clear takes no --user']);
});

t.test('with Profile_Authentication_Type Disabled the screen offers no Setup and the softkey is refused', async (t) => {
  const { app, socket } = await startApp(t, { socket: true, parameters: { Profile_Authentication_Type: 'Disabled' } });
  const client = new FeedClient(`ws+unix:${socket}:/ws`);
  t.teardown(() => client.close());
  await client.next('hello');
  const screen = (await client.next('screen')) as unknown as { screen: { softkeys: string[] } };
  t.notOk(screen.screen.softkeys.includes('Setup'), 'the setup menu is hidden (DOMAIN §1.14)');
  t.match(await client.request({ type: 'softkey', id: 's', key: 'Setup' }), { ok: false, error: { code: 'softkey_unavailable' } });
  t.throws(() => app.resync.openProfileAccountSetup(), { code: 'softkey_unavailable' }, 'and the engine will not open it either');
  t.same(app.prompts.list(), []);
});
