import t from 'tap';
import { computeScreen, shortTime, type DisplayState } from '../../daemon/display/index.js';
import type { PromptView } from '../../daemon/prompts/index.js';

function state(patch: Partial<DisplayState> = {}): DisplayState {
  return {
    device: { id: 'SEP001122334455' },
    resync: { running: false, last: null, next: null },
    em: { enabled: false, state: '' },
    mqtt: { connected: false },
    ...patch,
  };
}

function prompt(patch: Partial<PromptView> = {}): PromptView {
  return {
    id: 'p1',
    kind: 'profile-account',
    title: 'Profile account setup',
    lines: ['Enter the provisioning account'],
    fields: [
      { name: 'username', label: 'User ID', secret: false },
      { name: 'password', label: 'Password', secret: true },
    ],
    softkeys: ['OK', 'Cancel'],
    context: {},
    expiresAt: '2026-01-01T00:05:00.000Z',
    ...patch,
  };
}

t.test('a phone that never provisioned shows its id and only Setup', async (t) => {
  t.same(computeScreen(state(), []), { title: 'SEP001122334455', lines: ['Not provisioned yet', 'Dashboard offline'], softkeys: ['Setup'], prompt: null });
});

t.test('the title is the extension when one is registered (Avaya NVPHONEXT)', async (t) => {
  t.equal(computeScreen(state({ device: { id: 'x', extension: '4711' } }), []).title, 'Ext 4711');
  t.equal(computeScreen(state({ device: { id: 'x', extension: '' } }), []).title, 'x');
});

t.test('the resync line says running, or the last outcome with its time', async (t) => {
  t.equal(computeScreen(state({ resync: { running: true, last: null, next: null } }), []).lines[0], 'Resync in progress');
  const s = computeScreen(state({ resync: { running: false, last: { at: '2026-03-04T05:06:07Z', outcome: 'failed' }, next: '2026-03-04T06:06:07Z' } }), []);
  t.same(s.lines.slice(0, 2), ['Resync failed 2026-03-04 05:06', 'Next resync 2026-03-04 06:06']);
});

// SPEC §5 / DOMAIN.md §2 (SPA942 Extension Mobility): Login with EM_Enable=Yes while not
// logged in; Logout only in state mobile.
t.test('Extension Mobility softkeys follow EM_Enable and the login state', async (t) => {
  t.same(computeScreen(state({ em: { enabled: true, state: '' } }), []).softkeys, ['Setup', 'Login']);
  t.same(computeScreen(state({ em: { enabled: true, state: 'host' } }), []).softkeys, ['Setup', 'Login']);
  const mobile = computeScreen(state({ em: { enabled: true, state: 'mobile', user: 'alice' } }), []);
  t.same(mobile.softkeys, ['Setup', 'Logout']);
  t.ok(mobile.lines.includes('Logged in: alice'));
  t.ok(computeScreen(state({ em: { enabled: false, state: 'mobile' } }), []).lines.includes('Logged in: ?'));
  t.same(computeScreen(state({ em: { enabled: false, state: 'host' } }), []).softkeys, ['Setup']);
});

t.test('an open prompt takes the screen with its fields and softkeys', async (t) => {
  const s = computeScreen(state({ em: { enabled: true, state: '' } }), [prompt({ context: { realm: 'Avaya' } })]);
  t.same(s, {
    title: 'Profile account setup',
    lines: ['Enter the provisioning account', 'Realm: Avaya'],
    softkeys: ['OK', 'Cancel'],
    prompt: {
      id: 'p1',
      kind: 'profile-account',
      fields: [
        { name: 'username', label: 'User ID', secret: false },
        { name: 'password', label: 'Password', secret: true },
      ],
      expiresAt: '2026-01-01T00:05:00.000Z',
    },
  });
});

t.test('the oldest prompt is shown and the others are counted', async (t) => {
  t.equal(computeScreen(state(), [prompt(), prompt({ id: 'p2' })]).lines.at(-1), '1 more prompt waiting');
  t.equal(computeScreen(state(), [prompt(), prompt({ id: 'p2' }), prompt({ id: 'p3' })]).lines.at(-1), '2 more prompts waiting');
});

t.test('Login failed prefills the user id, never the password', async (t) => {
  const s = computeScreen(state(), [prompt({ kind: 'em-login-failed', title: 'Login failed', softkeys: ['Retry', 'Abort'], context: { username: 'alice' } })]);
  t.same(s.prompt?.fields.map((f) => f.value), ['alice', undefined]);
});

t.test('shortTime trims ISO timestamps to minutes and leaves short text alone', async (t) => {
  t.equal(shortTime('2026-01-01T12:34:56.000Z'), '2026-01-01 12:34');
  t.equal(shortTime('soon'), 'soon');
});

// Avaya Advanced Options > Backup/Restore (DOMAIN.md §3.3): offered once BRURI and the
// extension are set; the outcome in the phone's words.
t.test('Backup and Restore are offered when configured, with the outcome the phone shows', async (t) => {
  const at = '2026-01-01T00:00:00.000Z';
  const screen = (backup: DisplayState['backup']) => computeScreen(state({ backup }), []);
  t.same(screen({ configured: false, running: null, last: null }).softkeys, ['Setup']);
  t.same(screen({ configured: true, running: null, last: null }), { title: 'SEP001122334455', lines: ['Not provisioned yet', 'Dashboard offline'], softkeys: ['Setup', 'Backup', 'Restore'], prompt: null });
  const line = (backup: DisplayState['backup']) => screen(backup).lines[1];
  t.equal(line({ configured: true, running: 'backup', last: null }), 'Backup in progress');
  t.equal(line({ configured: true, running: 'restore', last: null }), 'Restore in progress');
  t.equal(line({ configured: true, running: null, last: { operation: 'restore', outcome: 'succeeded', at } }), 'Restore successful');
  t.equal(line({ configured: true, running: null, last: { operation: 'restore', outcome: 'failed', at, code: 'restore_not_backup' } }), 'Retrieval failed');
  t.equal(line({ configured: true, running: null, last: { operation: 'backup', outcome: 'succeeded', at } }), 'Backup successful');
  t.equal(line({ configured: true, running: null, last: { operation: 'backup', outcome: 'failed', at } }), 'Backup failed');
  t.same(computeScreen(state({ em: { enabled: true, state: '' }, backup: { configured: true, running: null, last: null } }), []).softkeys, ['Setup', 'Login', 'Backup', 'Restore']);
});
