/**
 * What one resync does (DOMAIN §1.1, §1.12; SPEC §4): the rule sequence, status handling,
 * whole-profile apply, events, `Log_Resync_*` lines and one resync at a time.
 */
import t from 'tap';
import { ProvisiondError } from '../../daemon/errors/index.js';
import { ResyncEngine } from '../../daemon/resync/index.js';
import { SKIP, fetchPlan, plan } from '../fixtures/resync/fakes.js';
import { harness, ok } from '../fixtures/resync/harness.js';

const A = fetchPlan('http://127.0.0.1:8080/a.cfg');
const B = fetchPlan('http://127.0.0.1:8080/b.cfg');
const C = fetchPlan('http://127.0.0.1:8080/c.cfg');
const byPath = (bodies: Record<string, string | Error>) => async (request: { url: string }) => {
  const body = bodies[new URL(request.url).pathname];
  if (body instanceof Error) throw body;
  if (body === undefined) throw new ProvisiondError('not_found', 'file not found');
  return ok(body, request.url);
};

t.test('Profile_Rule, _B, _C, _D run in order; later profiles win (DOMAIN §1.1)', async (t) => {
  const h = harness({
    params: { Profile_Rule: 'A', Profile_Rule_B: '# http://commented.out/', Profile_Rule_C: 'C', Profile_Rule_D: 'skip' },
    plans: { A, C, skip: SKIP },
    handler: byPath({ '/a.cfg': 'Line=a\nOnlyA=1', '/c.cfg': 'Line=c' }),
  });
  const outcome = await h.engine.resyncNow();
  t.equal(outcome.result, 'succeeded');
  t.same(h.requests.map((request) => new URL(request.url).pathname), ['/a.cfg', '/c.cfg']);
  t.equal(h.params.get('Line'), 'c', 'last processed wins');
  t.same(outcome.changed, ['Line', 'OnlyA']);
  t.same(h.types(), ['resync.started', 'config.applied', 'resync.succeeded']);
  t.same(h.events[1], { type: 'config.applied', changed: ['Line', 'OnlyA'], source: 'resync' });
  t.match(h.events[2], { type: 'resync.succeeded', url: 'http://127.0.0.1:8080/c.cfg', status: 200, changed: ['Line', 'OnlyA'] });
});

t.test('a profile may set the next rule, read when its turn comes', async (t) => {
  const h = harness({ params: { Profile_Rule: 'A' }, plans: { A, B }, handler: byPath({ '/a.cfg': 'Profile_Rule_B=B', '/b.cfg': 'X=1' }) });
  await h.engine.resyncNow();
  t.equal(h.requests.length, 2);
  t.equal(h.params.get('X'), '1');
});

t.test('a rule of assignments only succeeds and applies them (PAP2 wording, DOMAIN §1.1)', async (t) => {
  const h = harness({ params: { Profile_Rule: 'set' }, plans: { set: plan([{ name: 'GPP_A', value: 'x' }]) } });
  const outcome = await h.engine.resyncNow();
  t.equal(outcome.result, 'succeeded');
  t.same(outcome.changed, ['GPP_A']);
  t.equal(h.requests.length, 0);
});

t.test('a failing rule stops the sequence and arms the retry; earlier profiles stay applied', async (t) => {
  const h = harness({
    params: { Profile_Rule: 'A', Profile_Rule_B: 'B', Profile_Rule_C: 'C' },
    plans: { A, B, C },
    handler: byPath({ '/a.cfg': 'X=1', '/b.cfg': new ProvisiondError('http_status', 'server answered 503'), '/c.cfg': 'Y=1' }),
  });
  h.engine.start();
  await h.clock.advance(0);
  t.same(h.requests.map((request) => new URL(request.url).pathname), ['/a.cfg', '/b.cfg'], 'C never requested');
  const last = h.engine.status().last;
  t.match(last, { result: 'failed', changed: ['X'], error: { code: 'http_status', message: 'server answered 503' } });
  t.equal(h.engine.status().next?.trigger, 'retry');
  t.same(h.types(), ['resync.started', 'config.applied', 'resync.failed']);
  t.match(h.events[2], { code: 'http_status', reason: 'server answered 503', retryInSeconds: 60, message: 'SPA942 00:0e:08:aa:bb:cc -- Resync failed: http_status: server answered 503' });
  h.engine.stop();
});

t.test('a rule that does not parse fails the resync', async (t) => {
  const h = harness({ params: { Profile_Rule: 'unknown' } });
  const outcome = await h.engine.resyncNow();
  t.equal(outcome.error?.code, 'rule_parse_error');
});

t.test('404 fails under Resync_Fails_On_FNF=Yes and counts as success under No (DOMAIN §1.1)', async (t) => {
  const h = harness({ params: { Profile_Rule: 'A', Profile_Rule_B: 'B' }, plans: { A, B }, handler: byPath({ '/b.cfg': 'X=1' }) });
  t.equal((await h.engine.resyncNow()).error?.code, 'not_found');
  await h.params.setLocal([{ name: 'Resync_Fails_On_FNF', value: 'No' }]);
  const outcome = await h.engine.resyncNow();
  t.equal(outcome.result, 'succeeded');
  t.same(outcome.changed, ['X'], 'the sequence went on to Profile_Rule_B');
});

t.test('a 304 answer is a success without change: resync.unchanged', async (t) => {
  const h = harness({ params: { Profile_Rule: 'A' }, plans: { A }, handler: async (request) => ({ ...ok('', request.url), status: 304, notModified: true }) });
  const outcome = await h.engine.resyncNow();
  t.equal(outcome.result, 'unchanged');
  t.same(h.types(), ['resync.started', 'resync.unchanged']);
  t.match(h.events[1], { status: 304, message: 'SPA942 00:0e:08:aa:bb:cc -- Successful resync http://127.0.0.1:8080/a.cfg -- not modified' });
});

t.test('a profile that half-parses changes nothing', async (t) => {
  const h = harness({ params: { Profile_Rule: 'A', X: 'old' }, plans: { A }, handler: byPath({ '/a.cfg': 'X=new\nY=1\nBAD\nZ=2' }) });
  const outcome = await h.engine.resyncNow();
  t.equal(outcome.error?.code, 'profile_parse_error');
  t.equal(h.params.get('X'), 'old');
  t.equal(h.params.get('Y'), undefined);
  t.notOk(h.types().includes('config.applied'));
});

t.test('a profile with a value the store refuses changes nothing', async (t) => {
  const h = harness({ params: { Profile_Rule: 'A' }, plans: { A }, handler: byPath({ '/a.cfg': 'X=1\nResync_Periodic=soon' }) });
  const outcome = await h.engine.resyncNow();
  t.equal(outcome.error?.code, 'param_invalid');
  t.equal(h.params.get('X'), undefined);
});

t.test('Log_Resync_* lines are expanded per request into the journal and the events (DOMAIN §1.9)', async (t) => {
  const h = harness({ params: { Profile_Rule: 'A' }, plans: { A }, handler: byPath({ '/a.cfg': 'X=1' }) });
  await h.engine.resyncNow();
  t.ok(h.lines.includes('<6>resync: SPA942 00:0e:08:aa:bb:cc -- Requesting resync http://127.0.0.1:8080/a.cfg'));
  t.ok(h.lines.includes('<6>resync: SPA942 00:0e:08:aa:bb:cc -- Successful resync http://127.0.0.1:8080/a.cfg -- ok'));
  t.equal(h.events.at(-1)?.message, 'SPA942 00:0e:08:aa:bb:cc -- Successful resync http://127.0.0.1:8080/a.cfg -- ok');
});

t.test('the MPP spellings Log_*_Msg are the same parameters; an empty message is silent', async (t) => {
  const h = harness({
    params: { Profile_Rule: 'A', GPP_A: 'a', Log_Request_Msg: 'mpp request $SERV $GPP_A', Log_Success_Msg: '', Log_Failure_Msg: '' },
    plans: { A },
    handler: byPath({ '/a.cfg': 'X=1' }),
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
    params: { Profile_Rule: 'A', Profile_Rule_B: 'B', Log_Resync_Request_Msg: '$SCHEME|$SERV|$SERVIP|$PORT|$PATH' },
    plans: { A: fetchPlan('https://unresolvable/x/$MA.xml?mac=1'), B: fetchPlan('tftp://[::1]/b.cfg') },
    handler: async (request) => ok('', request.url),
  });
  await h.engine.resyncNow();
  t.ok(h.lines.includes('<6>resync: https|unresolvable|unresolvable|443|/x/$MA.xml?mac=1'), 'a name that does not resolve stays a name');
  t.ok(h.lines.includes('<6>resync: tftp|::1|127.0.0.1|69|/b.cfg'));
});

t.test('device and EM macros reach the rule; EM passwords come from the vault', async (t) => {
  const h = harness({ params: { Profile_Rule: 'A', EM_Login_State: 'mobile', EM_User_Domain: '@example.com', EM_Mobile_User_ID: 'alice', EM_Phone_User_ID: 'desk', EM_Phone_Password: 'from-profile' }, plans: { A } });
  await h.vault.put({ purpose: 'em-mobile', username: 'alice', secret: 'mobile-secret' });
  await h.engine.resyncNow();
  t.match(h.rules.contexts[0]?.vars, { MA: '000e08aabbcc', MAU: '000E08AABBCC', MAC: '00:0e:08:aa:bb:cc', PN: 'SPA942', PSN: '942', SN: '88012BA01234', EMS: 'mobile', PDOM: '@example.com', MUID: 'alice', MPWD: 'mobile-secret', PUID: 'desk', PPWD: 'from-profile', PRVST: '-1' });
  await h.vault.put({ purpose: 'em-phone', username: 'desk', secret: 'phone-secret' });
  await h.vault.delete({ purpose: 'em-mobile' });
  await h.params.setLocal([{ name: 'EM_Login_State', value: 'host' }]);
  await h.engine.resyncNow();
  t.match(h.rules.contexts[1]?.vars, { EMS: 'host', PPWD: 'phone-secret', MPWD: '' });
});

t.test('POST bodies, --key and --alias reach the fetcher and the parser; GET in a script follows the profile URL', async (t) => {
  const seen: unknown[] = [];
  const h = harness({
    params: { Profile_Rule: 'P' },
    plans: { P: fetchPlan('http://127.0.0.1:8080/cpe/resyncs?', { method: 'POST', post: { param: 'GPP_A', body: 'MAC_Addr = "000e08aabbcc";' }, key: 'k3y-secret', alias: new Map([['/a', 'B']]) }) },
    handler: async (request) => ok(request.body?.toString() ?? `GET ${request.url}`, 'http://127.0.0.1:8080/cpe/final/'),
  });
  const engine = new ResyncEngine({
    ...(h.engine as unknown as { options: ConstructorParameters<typeof ResyncEngine>[0] }).options,
    parser: {
      parse: async (body, options) => {
        seen.push(body.toString(), options.key, options.alias?.get('/a'), (await options.fetchRelated('extra.txt')).toString());
        return { format: 'fake', updates: [], ignored: [], access: [], userData: [] };
      },
    },
  });
  t.equal((await engine.resyncNow()).result, 'unchanged');
  t.same(seen, ['MAC_Addr = "000e08aabbcc";', 'k3y-secret', 'B', 'GET http://127.0.0.1:8080/cpe/final/extra.txt']);
  t.equal(h.requests[0]?.method, 'POST');
  t.equal(h.requests[1]?.method, 'GET');
  const { logger } = (h.engine as unknown as { options: ConstructorParameters<typeof ResyncEngine>[0] }).options;
  t.notOk(logger.redactor.has('k3y-secret'), 'the --key secret is unregistered once the request is over');
});

t.test('a --pwd never reaches the journal, even through a URL', async (t) => {
  const h = harness({
    params: { Profile_Rule: 'A', Log_Resync_Request_Msg: 'request $PATH' },
    plans: { A: fetchPlan('http://127.0.0.1:8080/p?pw=hunter2-secret', { uid: 'u', pwd: 'hunter2-secret' }) },
  });
  await h.engine.resyncNow();
  t.same(h.lines.slice(0, 1), ['<6>resync: request /p?pw=***']);
});

t.test('one resync at a time: a demand during a resync queues one more, further demands join it', async (t) => {
  const releases: (() => void)[] = [];
  const h = harness({ params: { Profile_Rule: 'A' }, plans: { A }, handler: () => new Promise((resolve) => releases.push(() => resolve(ok('X=1')))) });
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
  const h = harness({ params: { Profile_Rule: 'A' }, plans: { A } });
  h.vault.failGet = true;
  const outcome = await h.engine.resyncNow();
  t.match(outcome, { result: 'failed', error: { code: 'vault_unavailable' } });
});

t.test('status() reports the last outcome and the next timer', async (t) => {
  const h = harness({ params: { Profile_Rule: 'A' }, plans: { A } });
  t.same(h.engine.status(), { running: false, last: null, next: null });
  const outcome = await h.engine.resyncNow();
  t.same(h.engine.status().last, outcome);
  t.match(outcome, { trigger: 'demand', startedAt: '2026-11-22T08:00:00.000Z', finishedAt: '2026-11-22T08:00:00.000Z', url: 'http://127.0.0.1:8080/a.cfg' });
});

t.test('onChange tells when status() may have changed; a failing listener is logged', async (t) => {
  const h = harness({ params: { Profile_Rule: 'A' }, plans: { A } });
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
    params: { Profile_Rule: 'A' },
    plans: { A },
    handler: byPath({ '/a.cfg': 'TRUSTCERTS=ca.pem,https://elsewhere.example/b.pem' }),
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
  h.setHandler(byPath({ '/a.cfg': 'Other=1' }));
  await h.engine.resyncNow();
  t.equal(calls.length, 2);
});
