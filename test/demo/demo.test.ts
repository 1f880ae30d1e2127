/**
 * The demo end to end, in-process (SPEC §10): the newcomer's story — 401, the Profile Account
 * prompt, the printed account typed in, the Cisco profile and the Avaya script applied, the
 * dashboard telling it — and the demo server's own behaviour (Digest, ETag, backups).
 */
import t from 'tap';
import { shortTempDir } from '../fixtures/local.js';
import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { Demo, DEMO_REALM, MAX_BACKUP_BYTES } from '../../daemon/demo/index.js';
import { digestAuthorization, parseChallenges, strongestDigest, readDigestChallenge } from '../../daemon/http/index.js';
import { Logger, Redactor } from '../../daemon/log/index.js';
import { parseSettings } from '../../daemon/settings/index.js';
import { Notifier } from '../../daemon/systemd/index.js';
import { request, until } from '../fixtures/demo/client.js';
import { command } from '../fixtures/app.js';


const quiet = new Logger({ redactor: new Redactor(), sink: { out: () => undefined, err: () => undefined } });

t.test('npm start story: 401 → prompt → printed account typed → profile and script applied, told by the dashboard', async (t) => {
  // Unix socket paths are limited to 108 bytes: tap's fixture paths are too long.
  const root = shortTempDir(t);
  const said: string[] = [];
  const demo = await Demo.start({
    // No display listener in the base: the demo still serves the page, on a free port.
    baseSettings: (dir) => parseSettings({ stateDir: path.join(dir, 'state'), runtimeDir: path.join(dir, 'run'), display: { socket: true, http: false }, parameters: { Resync_On_Reset: 'Yes' } }),
    say: (line) => said.push(line),
    tmpRoot: root,
    logger: quiet,
    notifier: new Notifier({}),
  });
  let stopped = false;
  t.teardown(async () => {
    if (!stopped) await demo.stop();
  });
  const { app, account } = demo;
  const printed = said.join('\n');
  t.match(demo.pageUrl, /^http:\/\/127\.0\.0\.1:\d+\/#token=[\w-]{32,}$/, 'the page URL carries the token');
  t.ok(printed.includes(demo.pageUrl), 'and is printed whole (not redacted)');
  t.ok(printed.includes(`user      ${account.user}`) && printed.includes(`password  ${account.password}`), 'the account to type is printed');
  t.match(printed, /^ {4}alias provisionctl='node \S+\/dist\/daemon\/cli\/main\.js'$/m);
  t.match(printed, /^ {4}provisionctl --socket \S+\/display\.sock resync --wait/m);
  t.match(printed, /mosquitto_sub -h 127\.0\.0\.1 -p \d+ -t 'provisiond\/#'/);
  t.notMatch(printed, /is taken/);
  t.match(demo.fleetUrl, /^http:\/\/127\.0\.0\.1:\d+\/#token=[\w-]{24}$/);
  t.ok(printed.includes(`and the fleet view (dashboard):  ${demo.fleetUrl}`), 'the fleet view URL is printed beside the page');
  t.match(await (await fetch(demo.fleetUrl.split('#')[0]!)).text(), /<title>provisiond fleet<\/title>/);
  t.match(printed, /provisionctl dashboard --mqtt mqtt:\/\/127\.0\.0\.1:\d+ --prefix provisiond/);

  // The start-up resync meets the realm with no account: the page's prompt opens.
  const prompt = () => app.prompts.list().find((p) => p.kind === 'profile-account');
  await until(() => prompt() !== undefined);
  await until(() => said.some((l) => /^server +GET \/cisco\/000e08de3001\.xml → 401 user=- \(no credentials\)$/.test(l)));
  app.prompts.answer(prompt()!.id, account.user, account.password);
  await until(() => app.params.get('Station_Name') === 'Demo Reception' && app.params.get('BRURI') !== '');
  t.equal(app.params.get('Profile_Rule_B'), `${demo.serverOrigin}/avaya/46xxsettings.txt`, 'rule B came from the Cisco profile');
  t.equal(app.params.get('Resync_Periodic'), '7200');
  t.equal(app.params.get('BRURI'), `${demo.serverOrigin}/backup/`, 'the script took its IF $GROUP jump');
  t.equal(app.params.get('SCREENSAVERON'), undefined, 'and skipped the 9608 block');
  t.ok(said.some((l) => /^server +GET \/avaya\/46xxsettings\.txt → 200 user=demo$/.test(l)), 'the server logged the user');

  await until(() => said.some((l) => /^event +#\d+ resync\.succeeded/.test(l)));
  t.ok(said.some((l) => /^event +#\d+ auth\.prompt id=\S+ kind=profile-account( |$)/.test(l)), 'the dashboard saw the prompt');

  // Unchanged: the conditional GET gets a 304.
  const again = await app.resync.resyncNow();
  t.equal(again.result, 'unchanged');
  t.ok(said.some((l) => /^server +GET \/cisco\/000e08de3001\.xml → 304 user=demo$/.test(l)));
  await until(() => said.some((l) => /^event +#\d+ resync\.unchanged/.test(l)));

  // The Avaya story the banner tells: register, change a contact, back up, restore.
  t.match(printed, new RegExp(`^    provisionctl --socket \\S+ register 2001 `, 'm'));
  t.ok(printed.includes(`    ls ${path.join(demo.dir, 'backup')} `), 'the banner says where backups land');
  t.match(printed, /restore --wait/);
  await command(app, 'register', { extension: '2001', password: 'demo-registration' });
  await command(app, 'set', { ABKNAME001: 'Alice', ABKNUMBER001: '2002' });
  const backup = command(app, 'backup', { wait: true });
  // The call-server credential alone does not open the demo's Digest realm: the page asks.
  await until(() => app.prompts.list().some((p) => p.kind === 'http-auth'));
  const asking = app.prompts.list().find((p) => p.kind === 'http-auth')!;
  t.match(asking.context, { realm: DEMO_REALM, server: demo.serverOrigin });
  app.prompts.answer(asking.id, account.user, account.password);
  t.match(await backup, { outcome: 'succeeded', status: 201 });
  const landed = readFileSync(path.join(demo.dir, 'backup', '2001_96xxdata.txt'));
  t.same(landed, Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('ABKNAME001=Alice\r\nABKNUMBER001=2002\r\n', 'utf16le')]), 'the backup landed in the demo directory');
  await command(app, 'unset', { ABKNAME001: true });
  t.match(await command(app, 'restore', { wait: true }), { outcome: 'succeeded', changed: ['ABKNAME001'] });
  t.equal(app.params.get('ABKNAME001'), 'Alice', 'restored, without a second prompt');

  const dir = demo.dir;
  await demo.stop();
  stopped = true;
  t.notOk(existsSync(dir), 'the throw-away directory is removed');
});

t.test('the demo server: Digest MD5 and SHA-256, wrong password refused, ETag, backups', async (t) => {
  const root = shortTempDir(t);
  const said: string[] = [];
  // Provisioning off: this test talks to the server alone.
  const demo = await Demo.start({
    baseSettings: (dir) => parseSettings({ stateDir: path.join(dir, 'state'), runtimeDir: path.join(dir, 'run'), display: { socket: true, http: { host: '127.0.0.1', port: 0 } }, parameters: { Resync_On_Reset: 'No' } }),
    say: (line) => said.push(line),
    tmpRoot: root,
    logger: quiet,
    notifier: new Notifier({}),
  });
  t.teardown(() => demo.stop());
  const ca = readFileSync(path.join(demo.dir, 'anchors', 'demo-root.pem'), 'utf8');
  const { user, password } = demo.account;
  let nc = 0;
  let lastAuthorization = '';
  /** Asks once without credentials, then answers the challenge of `algorithm`. */
  const call = async (method: string, target: string, options: { algorithm?: 'MD5' | 'SHA-256'; password?: string; headers?: Record<string, string>; body?: Buffer | string } = {}) => {
    const first = await request(demo.serverOrigin + target, ca, { method, body: options.body });
    t.equal(first.status, 401, `${method} ${target} needs credentials`);
    const values = [String(first.headers['www-authenticate'])];
    const challenges = parseChallenges(values);
    t.equal(strongestDigest(challenges)?.realm, DEMO_REALM);
    const challenge = challenges.map(readDigestChallenge).find((c) => c?.hash === (options.algorithm ?? 'SHA-256'))!;
    const authorization = (lastAuthorization = digestAuthorization({ challenge, username: user, password: options.password ?? password, method, uri: target, cnonce: `c${++nc}`, nc: 1 }));
    return request(demo.serverOrigin + target, ca, { method, headers: { authorization, ...options.headers }, body: options.body });
  };

  const md5 = await call('GET', '/cisco/000e08de3001.xml', { algorithm: 'MD5' });
  t.equal(md5.status, 200, 'MD5 answer accepted');
  t.match(md5.body, /<Station_Name>Demo Reception<\/Station_Name>/);
  t.equal(md5.headers['content-type'], 'application/xml; charset=utf-8');
  const sha = await call('GET', '/cisco/000e08de3001.xml');
  t.equal(sha.status, 200, 'SHA-256 answer accepted');
  t.equal(sha.headers.etag, md5.headers.etag, 'a stable ETag');
  t.equal((await call('GET', '/cisco/000e08de3001.xml', { password: 'not-it' })).status, 401, 'a wrong password gets 401 again');
  t.ok(said.some((l) => /→ 401 user=demo \(wrong credentials\)$/.test(l)));
  const replayed = await call('GET', '/cisco/000e08de3001.xml');
  t.equal(replayed.status, 200);
  const again = await request(demo.serverOrigin + '/cisco/000e08de3001.xml', ca, { headers: { authorization: lastAuthorization } });
  t.equal(again.status, 401, 'a replayed answer (same nonce count) is refused');
  t.match(String(again.headers['www-authenticate']), /stale=true/, 'as stale, so a client retries without a new password');
  t.ok(said.some((l) => /→ 401 user=demo \(stale nonce, asked again\)$/.test(l)));
  t.equal((await call('GET', '/cisco/000e08de3001.xml', { headers: { 'if-none-match': `W/"x", ${String(md5.headers.etag)}` } })).status, 304, 'If-None-Match → 304');
  t.equal((await call('GET', '/cisco/000e08de3001.xml', { headers: { 'if-none-match': '*' } })).status, 304);
  const script = await call('GET', '/avaya/46xxsettings.txt?x=1');
  t.equal(script.status, 200);
  t.match(script.body, /^## 46xxsettings\.txt/);
  t.match(script.body, /\nIF \$MODEL4 SEQ 9608 GOTO DESK9608\n/);
  t.equal(script.headers['content-type'], 'text/plain; charset=utf-8');
  t.equal((await call('POST', '/avaya/46xxsettings.txt')).status, 405);
  t.equal((await call('GET', '/cisco/not-a-mac.xml')).status, 404);

  t.equal((await call('GET', '/backup/000e08de3001.txt')).status, 404, 'no backup yet');
  t.equal((await call('PUT', '/backup/000e08de3001.txt', { body: 'ABKNAME1=Alice\n' })).status, 201, 'created');
  t.equal((await call('PUT', '/backup/000e08de3001.txt', { body: 'ABKNAME1=Bob\n' })).status, 204, 'replaced');
  const back = await call('GET', '/backup/000e08de3001.txt');
  t.equal(back.body, 'ABKNAME1=Bob\n', 'GET returns what was PUT');
  t.equal(readFileSync(path.join(demo.dir, 'backup', '000e08de3001.txt'), 'utf8'), 'ABKNAME1=Bob\n', 'kept in the demo directory');
  t.equal((await call('DELETE', '/backup/000e08de3001.txt')).status, 405);
  t.equal((await call('PUT', '/backup/big.txt', { body: Buffer.alloc(MAX_BACKUP_BYTES + 1) })).status, 413, 'too big');
  t.equal((await call('GET', '/backup/.hidden')).status, 404, 'only plain names');
});
