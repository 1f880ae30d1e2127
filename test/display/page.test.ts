/**
 * The display page in headless Chromium (SPEC §8, §11): it renders the prompt, a typed
 * answer reaches the daemon, and the softkeys change with the state.
 */
import t from 'tap';
import { chromium, type Browser } from 'playwright-core';
import { requireProgram } from '../fixtures/peers.js';
import { TOKEN, harnessFor } from '../fixtures/display/harness.js';

const CHROMIUM_FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

let browser: Browser;

t.before(async () => {
  browser = await chromium.launch({ executablePath: requireProgram('chromium', 'chromium'), args: CHROMIUM_FLAGS });
});
t.teardown(() => browser.close());

async function open(t: { teardown(fn: () => unknown): void }, hash = `#token=${TOKEN}`) {
  const h = await harnessFor(t);
  const page = await browser.newPage({ viewport: { width: 560, height: 720 } });
  t.teardown(() => page.close());
  await page.goto(`${h.origin}/${hash}`);
  return { h, page };
}

const softkeys = (page: import('playwright-core').Page) => page.locator('#softkeys button:not([disabled])').allTextContents();

t.test('the page shows the phone status and removes the token from the address bar', async (t) => {
  const { page } = await open(t);
  await page.locator('#conn', { hasText: 'online' }).waitFor();
  t.equal(await page.locator('#title').textContent(), 'Ext 4711');
  t.same(await page.locator('#lines li').allTextContents(), ['Resync succeeded 2026-01-01 12:00', 'Next resync 2026-01-01 13:00', 'Dashboard connected']);
  t.same(await softkeys(page), ['Setup']);
  t.notMatch(page.url(), /token/);
});

t.test('a prompt is rendered with a hidden password field and the typed answer reaches the daemon', async (t) => {
  const { h, page } = await open(t);
  await page.locator('#conn', { hasText: 'online' }).waitFor();
  const handle = h.broker.open({ kind: 'profile-account', purpose: { operation: 'resync' } });
  const password = page.locator('#prompt input[name=password]');
  await password.waitFor();
  t.equal(await password.getAttribute('type'), 'password');
  t.equal(await page.locator('#title').textContent(), 'Profile account setup');
  t.same(await softkeys(page), ['OK', 'Cancel']);
  await page.locator('#prompt input[name=username]').fill('cisco-user');
  await password.fill('typed-in-browser');
  await page.locator('#events li', { hasText: 'auth.prompt profile-account' }).waitFor();
  if (process.env.PROVISIOND_SCREENSHOT) await page.screenshot({ path: process.env.PROVISIOND_SCREENSHOT });
  await page.locator('#softkeys button', { hasText: 'OK' }).click();
  t.same(await handle.result, { outcome: 'answered', username: 'cisco-user', password: 'typed-in-browser' });
  await page.locator('#prompt').waitFor({ state: 'hidden' });
  await page.locator('#events li', { hasText: 'auth.prompt.closed profile-account answered' }).waitFor();
  t.same(await softkeys(page), ['Setup']);
});

t.test('Cancel closes the prompt, Enter in a field submits it', async (t) => {
  const { h, page } = await open(t);
  await page.locator('#conn', { hasText: 'online' }).waitFor();
  const first = h.broker.open({ kind: 'http-auth', purpose: { operation: 'backup' }, context: { realm: 'Avaya' } });
  await page.locator('#lines li', { hasText: 'Realm: Avaya' }).waitFor();
  await page.locator('#softkeys button', { hasText: 'Cancel' }).click();
  t.same(await first.result, { outcome: 'cancelled' });
  await page.locator('#prompt').waitFor({ state: 'hidden' });
  const second = h.broker.open({ kind: 'em-login-failed', purpose: { operation: 'em-login' }, context: { username: 'alice' } });
  const user = page.locator('#prompt input[name=username]');
  await user.waitFor();
  t.equal(await user.inputValue(), 'alice', 'Login failed offers the user id again');
  await page.locator('#prompt input[name=password]').fill('again');
  await page.locator('#prompt input[name=password]').press('Enter');
  t.same(await second.result, { outcome: 'answered', username: 'alice', password: 'again' });
});

t.test('softkeys change with the state and pressing one reaches the daemon', async (t) => {
  const { h, page } = await open(t);
  await page.locator('#conn', { hasText: 'online' }).waitFor();
  h.backend.set({ em: { enabled: true, state: 'host' } });
  await page.locator('#softkeys button', { hasText: 'Login' }).waitFor();
  h.backend.set({ em: { enabled: true, state: 'mobile', user: 'alice' } });
  await page.locator('#softkeys button', { hasText: 'Logout' }).waitFor();
  t.same(await softkeys(page), ['Setup', 'Logout']);
  await page.locator('#softkeys button', { hasText: 'Logout' }).click();
  await page.locator('#softkeys button', { hasText: 'Setup' }).click();
  h.bus.emit('event', { type: 'resync.failed', reason: 'timeout' });
  await page.locator('#events li.bad', { hasText: 'resync.failed timeout' }).waitFor();
  t.same(h.backend.softkeys, ['Logout', 'Setup']);
});

t.test('an error from the daemon is shown on the screen', async (t) => {
  const { h, page } = await open(t);
  await page.locator('#conn', { hasText: 'online' }).waitFor();
  h.broker.open({ kind: 'profile-account', purpose: { operation: 'resync' } });
  await page.locator('#prompt input[name=password]').waitFor();
  await page.locator('#softkeys button', { hasText: 'OK' }).click();
  await page.locator('#message', { hasText: 'the user ID is empty' }).waitFor();
  t.pass('invalid answer explained');
});

t.test('a wrong token is reported and not retried; a lost daemon is retried', async (t) => {
  const { page } = await open(t, '?token=wrong');
  await page.locator('#conn', { hasText: 'wrong token' }).waitFor();
  t.notMatch(page.url(), /wrong/);
  const { h, page: second } = await open(t);
  await second.locator('#conn', { hasText: 'online' }).waitFor();
  await h.feed.stop();
  await second.locator('#conn', { hasText: 'offline' }).waitFor();
  t.pass('shows offline and keeps trying');
});
