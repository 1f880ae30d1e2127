/**
 * Conditional GET against real Apache, which sends `ETag` and `Last-Modified` for static
 * files (SPEC §4): validators are kept only once their profile has been applied, and an
 * unchanged settings-script `GET` include still contributes (issue 12 §2, §3).
 */
import t from 'tap';
import { execFileSync } from 'node:child_process';
import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import { startApache, type Apache } from '../fixtures/http/apache.js';
import { flatProfile, realEngine } from '../fixtures/resync/real.js';

const encrypted = (text: string, phrase: string): Buffer => execFileSync('openssl', ['enc', '-aes-256-cbc', '-md', 'sha256', '-k', phrase], { input: text });

let apache: Apache;
t.before(async () => {
  apache = await startApache({
    files: {
      'secret.xml': encrypted(flatProfile({ GPP_A: 'decrypted' }), 'right phrase'),
      'bad.xml': flatProfile({ GPP_B: 'never', Resync_Periodic: 'soon' }),
      'main.txt': 'SET GPP_C parent-1\nGET inc.txt\n',
      'inc.txt': 'SET GPP_D from-include\n',
    },
  });
});
t.teardown(() => apache.stop());

async function setup(t: { testdir(): string; teardown(fn: () => void): void }, rule: string) {
  const real = await realEngine({ stateDir: t.testdir(), conditional: true, factory: { Profile_Rule: rule.replace('{origin}', apache.origin) } });
  t.teardown(real.close);
  return real;
}

/** Apache writes its access log after answering: wait for `count` lines of these files (each test has its own). */
async function requests(files: readonly string[], count: number): Promise<string[]> {
  for (;;) {
    const lines = (await apache.accessLog()).filter((line) => files.includes(line.path));
    if (lines.length >= count) return lines.map((line) => `${line.path} ${line.status}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

t.test('a profile rejected for a wrong --key is fetched whole once the key is fixed locally, and applied', async (t) => {
  const real = await setup(t, '[--key wrong]{origin}/secret.xml');
  t.match(await real.engine.resyncNow(), { result: 'failed', error: { code: 'profile_decrypt_error' } });
  t.equal((await real.engine.resyncNow()).result, 'failed', 'the same body fails again, never unchanged');
  await real.params.setLocal([{ name: 'Profile_Rule', value: `[--key "right phrase"]${apache.origin}/secret.xml` }]);
  const fixed = await real.engine.resyncNow();
  t.equal(fixed.result, 'succeeded');
  t.equal(real.params.get('GPP_A'), 'decrypted');
  t.equal((await real.engine.resyncNow()).result, 'unchanged', 'the applied profile now costs a 304');
  t.same(await requests(['/secret.xml'], 4), ['/secret.xml 200', '/secret.xml 200', '/secret.xml 200', '/secret.xml 304']);
});

t.test('a profile with an invalid owned value is fetched whole and rejected on every resync', async (t) => {
  const real = await setup(t, '{origin}/bad.xml');
  t.match(await real.engine.resyncNow(), { result: 'failed', error: { code: 'param_invalid' } });
  t.match(await real.engine.resyncNow(), { result: 'failed', error: { code: 'param_invalid' } });
  t.equal(real.params.get('GPP_B'), '');
  t.same(await requests(['/bad.xml'], 2), ['/bad.xml 200', '/bad.xml 200']);
  t.notOk(real.events.some((event) => event.type === 'resync.unchanged'));
});

t.test('an unchanged GET include still contributes when only the parent changed; a changed include is seen with an unchanged parent', async (t) => {
  const real = await setup(t, '{origin}/main.txt');
  t.equal((await real.engine.resyncNow()).result, 'succeeded');
  t.same([real.params.get('GPP_C'), real.params.get('GPP_D')], ['parent-1', 'from-include']);
  await fsp.writeFile(path.join(apache.docroot, 'main.txt'), 'SET GPP_C parent-2\nGET inc.txt\nSET GPP_E after-include\n');
  await fsp.writeFile(path.join(apache.docroot, 'inc.txt'), 'SET GPP_D from-include\nSET GPP_F also\n');
  t.equal((await real.engine.resyncNow()).result, 'succeeded');
  t.same([real.params.get('GPP_C'), real.params.get('GPP_D'), real.params.get('GPP_F')], ['parent-2', 'from-include', 'also']);
  await fsp.writeFile(path.join(apache.docroot, 'inc.txt'), 'SET GPP_D changed-alone\n');
  t.equal((await real.engine.resyncNow()).result, 'succeeded');
  t.equal(real.params.get('GPP_D'), 'changed-alone', 'the parent kept no validators, so its include was read again');
  t.same(await requests(['/main.txt', '/inc.txt'], 6), ['/main.txt 200', '/inc.txt 200', '/main.txt 200', '/inc.txt 200', '/main.txt 200', '/inc.txt 200']);
  t.notOk(real.events.some((event) => event.type === 'resync.unchanged'));
});

t.test('the include contributes when the parent changes and the include does not', async (t) => {
  await fsp.writeFile(path.join(apache.docroot, 'p2.txt'), 'SET GPP_G one\nGET inc2.txt\n');
  await fsp.writeFile(path.join(apache.docroot, 'inc2.txt'), 'SET GPP_H kept\nGET tail.txt\n');
  await fsp.writeFile(path.join(apache.docroot, 'tail.txt'), 'SET GPP_I tail\n');
  const real = await setup(t, '{origin}/p2.txt');
  t.equal((await real.engine.resyncNow()).result, 'succeeded');
  // Something else provisioned GPP_H since: only the include can set it back.
  await real.params.applyProvisioned([{ name: 'GPP_H', value: 'elsewhere' }, { name: 'GPP_I', value: 'elsewhere' }]);
  await fsp.writeFile(path.join(apache.docroot, 'p2.txt'), 'SET GPP_G two\nGET inc2.txt\n');
  const outcome = await real.engine.resyncNow();
  t.equal(outcome.result, 'succeeded');
  t.same([real.params.get('GPP_G'), real.params.get('GPP_H'), real.params.get('GPP_I')], ['two', 'kept', 'tail'], 'the unchanged include and the file it GETs still applied');
});
