/**
 * What one resync does (DOMAIN §1.1, §1.12; SPEC §4): the rule sequence, status handling,
 * whole-profile apply, events, `Log_Resync_*` lines and one resync at a time, on the real rule
 * language and profile parser.
 */
import t from 'tap';
import { ProvisiondError } from '../../daemon/errors/index.js';
import type { FetchRequest } from '../../daemon/http/index.js';
import { Origin } from '../../daemon/origin/index.js';
import { encryptProfile } from '../../daemon/profiles/index.js';
import { harness, ok, profile } from '../fixtures/resync/harness.js';

const A = 'http://127.0.0.1:8080/a.cfg';
const B = 'http://127.0.0.1:8080/b.cfg';
const C = 'http://127.0.0.1:8080/c.cfg';
/** The server's answer per path: a flat profile's values, a raw body, or a fault. */
const byPath = (bodies: Record<string, Record<string, string> | string | Buffer | Error>) => async (request: { url: string }) => {
  const body = bodies[new URL(request.url).pathname];
  if (body instanceof Error) throw body;
  if (body === undefined) throw new ProvisiondError('not_found', 'file not found');
  return typeof body === 'string' || Buffer.isBuffer(body) ? ok(body, request.url) : profile(body, request.url);
};
const paths = (requests: readonly FetchRequest[]): string[] => requests.map((request) => new URL(request.url).pathname);

t.test('Profile_Rule, _B, _C, _D run in order; later profiles win (DOMAIN §1.1)', async (t) => {
  const h = harness({
    params: { Profile_Rule: A, Profile_Rule_B: '# http://commented.out/', Profile_Rule_C: C, Profile_Rule_D: '("$A" eq "never")? http://127.0.0.1:8080/d.cfg' },
    handler: byPath({ '/a.cfg': { Line: 'a', OnlyA: '1' }, '/c.cfg': { Line: 'c' } }),
  });
  const outcome = await h.engine.resyncNow();
  t.equal(outcome.result, 'succeeded');
  t.same(paths(h.requests), ['/a.cfg', '/c.cfg'], 'a commented rule and a rule whose condition fails are skipped');
  t.equal(h.params.get('Line'), 'c', 'last processed wins');
  t.same(outcome.changed, ['Line', 'OnlyA']);
  t.same(h.types(), ['resync.started', 'config.applied', 'resync.succeeded']);
  t.same(h.events[1], { type: 'config.applied', changed: ['Line', 'OnlyA'], source: 'resync' });
  t.match(h.events[2], { type: 'resync.succeeded', url: C, status: 200, changed: ['Line', 'OnlyA'] });
});

t.test('a profile may set the next rule, read when its turn comes', async (t) => {
  const h = harness({ params: { Profile_Rule: A }, handler: byPath({ '/a.cfg': { Profile_Rule_B: B }, '/b.cfg': { X: '1' } }) });
  await h.engine.resyncNow();
  t.same(paths(h.requests), ['/a.cfg', '/b.cfg']);
  t.equal(h.params.get('X'), '1');
});

t.test('a rule of assignments only succeeds and applies them (PAP2 wording, DOMAIN §1.1)', async (t) => {
  const h = harness({ params: { Profile_Rule: '( GPP_A = "x"; )!' } });
  const outcome = await h.engine.resyncNow();
  t.equal(outcome.result, 'succeeded');
  t.same(outcome.changed, ['GPP_A']);
  t.equal(h.params.get('GPP_A'), 'x');
  t.equal(h.requests.length, 0);
});

t.test('assignments run before the URL is built and stay applied (DOMAIN §1.5)', async (t) => {
  const h = harness({ params: { Profile_Rule: '( GPP_B = "$MA"; )! http://127.0.0.1:8080/$B.cfg' }, handler: byPath({ '/000e08aabbcc.cfg': { X: '1' } }) });
  const outcome = await h.engine.resyncNow();
  t.equal(outcome.result, 'succeeded');
  t.same(paths(h.requests), ['/000e08aabbcc.cfg']);
  t.same(outcome.changed, ['GPP_B', 'X']);
});

t.test('a failing rule stops the sequence and arms the retry; earlier profiles stay applied', async (t) => {
  const h = harness({
    params: { Profile_Rule: A, Profile_Rule_B: B, Profile_Rule_C: C },
    handler: byPath({ '/a.cfg': { X: '1' }, '/b.cfg': new ProvisiondError('http_status', 'server answered 503'), '/c.cfg': { Y: '1' } }),
  });
  h.engine.start();
  await h.clock.advance(0);
  t.same(paths(h.requests), ['/a.cfg', '/b.cfg'], 'C never requested');
  const last = h.engine.status().last;
  t.match(last, { result: 'failed', changed: ['X'], error: { code: 'http_status', message: 'server answered 503' } });
  t.equal(h.engine.status().next?.trigger, 'retry');
  t.same(h.types(), ['resync.started', 'config.applied', 'resync.failed']);
  t.match(h.events[2], { code: 'http_status', reason: 'server answered 503', retryInSeconds: 60, message: 'SPA942 00:0e:08:aa:bb:cc -- Resync failed: http_status: server answered 503' });
  h.engine.stop();
});

t.test('a rule that does not parse fails the resync', async (t) => {
  const h = harness({ params: { Profile_Rule: '("$A" eq "x" http://127.0.0.1:8080/a.cfg' } });
  const outcome = await h.engine.resyncNow();
  t.equal(outcome.error?.code, 'rule_parse_error');
  t.equal(h.requests.length, 0);
});

t.test('a rule whose URL is not one the phone may request fails the resync before any request', async (t) => {
  for (const [rule, code] of [
    ['/a.cfg', 'rule_url_error'],
    ['[--uid $MUID --pwd $MPWD] http://127.0.0.1:8080/$MPWD.cfg', 'rule_url_error'],
    ['[--alias k] http://127.0.0.1:8080/a.cfg', 'rule_alias_error'],
  ] as const) {
    const h = harness({ params: { Profile_Rule: rule, GPP_K: 'not a map' } });
    const outcome = await h.engine.resyncNow();
    t.equal(outcome.error?.code, code, rule);
    t.equal(h.requests.length, 0);
  }
});

t.test('404 fails under Resync_Fails_On_FNF=Yes and counts as success under No (DOMAIN §1.1)', async (t) => {
  const h = harness({ params: { Profile_Rule: A, Profile_Rule_B: B }, handler: byPath({ '/b.cfg': { X: '1' } }) });
  t.equal((await h.engine.resyncNow()).error?.code, 'not_found');
  await h.params.setLocal([{ name: 'Resync_Fails_On_FNF', value: 'No' }]);
  const outcome = await h.engine.resyncNow();
  t.equal(outcome.result, 'succeeded');
  t.same(outcome.changed, ['X'], 'the sequence went on to Profile_Rule_B');
});

t.test('a 304 answer is a success without change: resync.unchanged', async (t) => {
  const h = harness({ params: { Profile_Rule: A }, handler: async (request) => ({ ...ok('', request.url), status: 304, notModified: true }) });
  const outcome = await h.engine.resyncNow();
  t.equal(outcome.result, 'unchanged');
  t.same(h.types(), ['resync.started', 'resync.unchanged']);
  t.match(h.events[1], { status: 304, message: 'SPA942 00:0e:08:aa:bb:cc -- Successful resync http://127.0.0.1:8080/a.cfg -- not modified' });
});

t.test('a profile that half-parses changes nothing', async (t) => {
  // Well-formed up to the fourth element, which the next tag does not close.
  const malformed = '<flat-profile>\n  <X>new</X>\n  <Y>1</Y>\n  <Z>2</W>\n</flat-profile>\n';
  const h = harness({ params: { Profile_Rule: A, X: 'old' }, handler: byPath({ '/a.cfg': malformed }) });
  const outcome = await h.engine.resyncNow();
  t.match(outcome.error, { code: 'profile_parse_error', message: '</W> closes <Z>' });
  t.equal(h.params.get('X'), 'old');
  t.equal(h.params.get('Y'), undefined);
  t.notOk(h.types().includes('config.applied'));
});

t.test('a profile in no known format changes nothing', async (t) => {
  const h = harness({ params: { Profile_Rule: A }, handler: byPath({ '/a.cfg': 'X=1\n' }) });
  t.equal((await h.engine.resyncNow()).error?.code, 'profile_format_unknown');
  t.equal(h.params.get('X'), undefined);
});

t.test('a profile with a value the store refuses changes nothing', async (t) => {
  const h = harness({ params: { Profile_Rule: A }, handler: byPath({ '/a.cfg': { X: '1', Resync_Periodic: 'soon' } }) });
  const outcome = await h.engine.resyncNow();
  t.equal(outcome.error?.code, 'param_invalid');
  t.equal(h.params.get('X'), undefined);
});

t.test('Log_Resync_* lines are expanded per request into the journal and the events (DOMAIN §1.9)', async (t) => {
  const h = harness({ params: { Profile_Rule: A }, handler: byPath({ '/a.cfg': { X: '1' } }) });
  await h.engine.resyncNow();
  t.ok(h.lines.includes('<6>resync: SPA942 00:0e:08:aa:bb:cc -- Requesting resync http://127.0.0.1:8080/a.cfg'));
  t.ok(h.lines.includes('<6>resync: SPA942 00:0e:08:aa:bb:cc -- Successful resync http://127.0.0.1:8080/a.cfg -- ok'));
  t.equal(h.events.at(-1)?.message, 'SPA942 00:0e:08:aa:bb:cc -- Successful resync http://127.0.0.1:8080/a.cfg -- ok');
});

t.test('the MPP spellings Log_*_Msg are the same parameters; an empty message is silent', async (t) => {
  const h = harness({
    params: { Profile_Rule: A, GPP_A: 'a', Log_Request_Msg: 'mpp request $SERV $GPP_A', Log_Success_Msg: '', Log_Failure_Msg: '' },
    handler: byPath({ '/a.cfg': { X: '1' } }),
  });
  t.equal(h.params.get('Log_Resync_Request_Msg'), 'mpp request $SERV $GPP_A', 'the store keeps one parameter under its SPA name');
  await h.engine.resyncNow();
  t.same(h.lines, ['<6>resync: mpp request 127.0.0.1 a']);
  t.equal(h.events.at(-1)?.message, 'mpp request 127.0.0.1 a');
  h.setHandler(async () => Promise.reject(new ProvisiondError('timeout', 'no answer')));
  await h.engine.resyncNow();
  t.equal(h.events.at(-1)?.message, 'no answer', 'a silent failure message leaves the error text in the event');
});

t.test('$SCHEME, $SERV, $SERVIP, $PORT, $PATH are filled per request', async (t) => {
  const h = harness({
    params: { Profile_Rule: 'https://unresolvable/x/$MA.xml?mac=1', Profile_Rule_B: 'tftp://[::1]/b.cfg', Log_Resync_Request_Msg: '$SCHEME|$SERV|$SERVIP|$PORT|$PATH' },
    handler: async (request) => profile({}, request.url),
  });
  await h.engine.resyncNow();
  t.same(h.requests.map((request) => request.url), ['https://unresolvable:443/x/000e08aabbcc.xml?mac=1', 'tftp://[::1]:69/b.cfg']);
  t.ok(h.lines.includes('<6>resync: https|unresolvable|unresolvable|443|/x/000e08aabbcc.xml?mac=1'), 'a name that does not resolve stays a name');
  t.ok(h.lines.includes('<6>resync: tftp|::1|127.0.0.1|69|/b.cfg'));
});

t.test('device and EM macros reach the rule; EM passwords come from the vault', async (t) => {
  const offered: unknown[] = [];
  const h = harness({
    params: {
      Profile_Rule: '[--uid $MUID$PDOM --pwd $MPWD] http://127.0.0.1:8080/$MA/$MAU/$MAC/$PN/$PSN/$SN/$EMS/$MUID/$PUID/$PRVST.cfg?dom=$PDOM',
      Profile_Rule_B: '("$MPWD" eq "")? [--uid $PUID --pwd $PPWD] http://127.0.0.1:8080/phone.cfg',
      EM_Login_State: 'mobile', EM_User_Domain: '@example.com', EM_Mobile_User_ID: 'alice', EM_Phone_User_ID: 'desk', EM_Phone_Password: 'from-profile',
    },
    handler: async (request) => {
      // The credentials the fetcher would send on a challenge from the requested server.
      const answer = await request.credentials?.({ origin: Origin.of(request.url), realm: 'prov', scheme: 'Digest', attempt: 1, previousRejected: false });
      offered.push([new URL(request.url).pathname, answer?.username, answer?.password]);
      return profile({}, request.url);
    },
  });
  await h.vault.put({ purpose: 'em-mobile', username: 'alice', secret: 'mobile-secret' });
  await h.engine.resyncNow();
  t.equal(h.requests[0]?.url, 'http://127.0.0.1:8080/000e08aabbcc/000E08AABBCC/00:0e:08:aa:bb:cc/SPA942/942/88012BA01234/mobile/alice/desk/-1.cfg?dom=@example.com');
  t.same(offered, [['/000e08aabbcc/000E08AABBCC/00:0e:08:aa:bb:cc/SPA942/942/88012BA01234/mobile/alice/desk/-1.cfg', 'alice@example.com', 'mobile-secret']], '$MPWD is set, so Profile_Rule_B is skipped');
  await h.vault.put({ purpose: 'em-phone', username: 'desk', secret: 'phone-secret' });
  await h.vault.delete({ purpose: 'em-mobile' });
  await h.params.setLocal([{ name: 'EM_Login_State', value: 'host' }]);
  offered.length = 0;
  await h.engine.resyncNow();
  t.match(h.requests[1]?.url, /\/host\/alice\/desk\/-1\.cfg/, '$EMS follows the login state');
  t.same(offered.at(-1), ['/phone.cfg', 'desk', 'phone-secret'], '$MPWD is empty once the vault has none; $PPWD is the vault\'s over the profile\'s');
});

t.test('POST bodies, --key and --alias reach the fetcher and the parser; GET in a script follows the profile URL', async (t) => {
  const foreign = '<CPE><SIP-Credentials><name>Alice Desk</name></SIP-Credentials></CPE>';
  const h = harness({
    params: {
      Profile_Rule: '[--post a --key $B --alias k] http://127.0.0.1:8080/cpe/resyncs?',
      Profile_Rule_B: 'http://127.0.0.1:8080/cpe/script.txt',
      GPP_A: 'MAC_Addr = "$MA";',
      GPP_B: 'k3y-secret',
      GPP_K: '/CPE/SIP-Credentials/name = /flat-profile/Display_Name_1_ ;',
    },
    handler: async (request) => {
      const path = new URL(request.url).pathname;
      if (path === '/cpe/resyncs') return ok(encryptProfile(Buffer.from(foreign), 'k3y-secret'), request.url);
      // The script's answer comes from where the server redirected the request.
      if (path === '/cpe/script.txt') return ok('GET extra.txt\n', 'http://127.0.0.1:8080/cpe/final/script.txt');
      if (path === '/cpe/final/extra.txt') return ok('SET GPP_C from-extra\n', request.url);
      throw new ProvisiondError('not_found', 'file not found');
    },
  });
  const outcome = await h.engine.resyncNow();
  t.equal(outcome.result, 'succeeded');
  t.same(h.requests.map((request) => [request.method, new URL(request.url).pathname]), [['POST', '/cpe/resyncs'], ['GET', '/cpe/script.txt'], ['GET', '/cpe/final/extra.txt']]);
  t.equal(h.requests[0]?.body?.toString(), 'MAC_Addr = "000e08aabbcc";', 'the POST body is the GPP, expanded');
  t.equal(h.params.get('Display_Name_1_'), 'Alice Desk', 'the --key decrypted the profile and the --alias mapped its element');
  t.equal(h.params.get('GPP_C'), 'from-extra', 'the GET file was fetched relative to the final URL');
  t.notOk(h.logger.redactor.has('k3y-secret'), 'the --key secret is unregistered once the request is over');
});

t.test('a --pwd never reaches the journal, even through a URL', async (t) => {
  const h = harness({
    // GPP_B is no secret parameter, so only the rule's --pwd makes its value one.
    params: { Profile_Rule: '[--uid u --pwd $B] http://127.0.0.1:8080/p?pw=$B', GPP_B: 'hunter2-secret', Log_Resync_Request_Msg: 'request $PATH' },
  });
  await h.engine.resyncNow();
  t.equal(h.requests[0]?.url, 'http://127.0.0.1:8080/p?pw=hunter2-secret');
  t.same(h.lines.slice(0, 1), ['<6>resync: request /p?pw=***']);
  t.notOk(h.logger.redactor.has('hunter2-secret'), 'released once the request is over');
});

t.test('one resync at a time: a demand during a resync queues one more, further demands join it', async (t) => {
  const releases: (() => void)[] = [];
  const h = harness({ params: { Profile_Rule: A }, handler: () => new Promise((resolve) => releases.push(() => resolve(profile({ X: '1' })))) });
  const first = h.engine.resyncNow();
  const second = h.engine.resyncNow();
  const third = h.engine.resyncNow();
  t.equal(second, third, 'the third joins the queued one');
  await h.clock.advance(0);
  t.equal(h.requests.length, 1);
  t.same(h.engine.status().running, true);
  releases[0]?.();
  t.equal((await first).result, 'succeeded');
  await h.clock.advance(0);
  t.equal(h.requests.length, 2, 'the queued one ran after');
  releases[1]?.();
  t.equal((await second).result, 'unchanged');
});

t.test('a vault that cannot be read fails the resync with its error', async (t) => {
  const h = harness({ params: { Profile_Rule: A } });
  h.vault.failGet = true;
  const outcome = await h.engine.resyncNow();
  t.match(outcome, { result: 'failed', error: { code: 'vault_unavailable' } });
});

t.test('status() reports the last outcome and the next timer', async (t) => {
  const h = harness({ params: { Profile_Rule: A } });
  t.same(h.engine.status(), { running: false, last: null, next: null });
  const outcome = await h.engine.resyncNow();
  t.same(h.engine.status().last, outcome);
  t.match(outcome, { trigger: 'demand', startedAt: '2026-11-22T08:00:00.000Z', finishedAt: '2026-11-22T08:00:00.000Z', url: 'http://127.0.0.1:8080/a.cfg' });
});

t.test('onChange tells when status() may have changed; a failing listener is logged', async (t) => {
  const h = harness({ params: { Profile_Rule: A } });
  const seen: string[] = [];
  const off = h.engine.onChange(() => seen.push(`${h.engine.status().running}`));
  h.engine.onChange(() => {
    throw new Error('listener broke');
  });
  await h.engine.resyncNow();
  h.engine.start();
  h.engine.stop();
  off();
  await h.engine.resyncNow();
  t.same(seen, ['true', 'false', 'false', 'false']);
  t.ok(h.lines.some((line) => line.includes('status listener failed') && line.includes('listener broke')));
});

t.test('a profile that sets TRUSTCERTS: the list is installed at the end of that resync, relative to that profile', async (t) => {
  const calls: [string, string][] = [];
  const h = harness({
    params: { Profile_Rule: A },
    handler: byPath({ '/a.cfg': { TRUSTCERTS: 'ca.pem,https://elsewhere.example/b.pem' } }),
    trustCerts: async (list, base) => {
      calls.push([list, base]);
      if (calls.length === 2) throw new ProvisiondError('state_write_failed', 'disk full');
    },
  });
  t.equal((await h.engine.resyncNow()).result, 'succeeded');
  t.same(calls, [['ca.pem,https://elsewhere.example/b.pem', 'http://127.0.0.1:8080/a.cfg']]);
  // Its failure is logged; the resync that set the list still succeeds.
  t.equal((await h.engine.resyncNow()).result, 'unchanged');
  t.equal(calls.length, 2, 'set again by the same profile: tried again');
  t.match(h.lines.join('\n'), /TRUSTCERTS not installed: disk full/);
  // A resync whose profiles do not set it leaves the installed set alone.
  h.setHandler(byPath({ '/a.cfg': { Other: '1' } }));
  await h.engine.resyncNow();
  t.equal(calls.length, 2);
});
