import t from 'tap';
import { evaluateExpression, evaluateRule, parseRule, requestVars } from '../../daemon/rules/index.js';
import { isProvisiondError } from '../../daemon/errors/index.js';
import { Origin } from '../../daemon/origin/index.js';
import { context, thrown } from '../fixtures/rules/context.js';

t.test('the first alternative whose condition holds is chosen', async (t) => {
  // DOMAIN.md §1.5 combined example [SPA2102-PG p38].
  const rule = '("$A" ne "Provisioned")? (Line_Enable_1_ = "No";)! https://p.tel.com/init-prov | https://p.tel.com/configs';
  const fresh = evaluateRule(rule, context());
  t.equal(fresh.alternative, 0);
  t.same(fresh.assignments, [{ name: 'Line_Enable_1_', value: 'No' }]);
  t.equal(fresh.request?.url, 'https://p.tel.com:443/init-prov');
  const done = evaluateRule(rule, context({ GPP_A: 'Provisioned' }));
  t.equal(done.alternative, 1);
  t.same(done.assignments, []);
  t.equal(done.request?.url, 'https://p.tel.com:443/configs');
});

t.test('no alternative true, or an empty rule, skips the rule', async (t) => {
  // DOMAIN.md §1.3 step 4 [CISCO-7832-PF].
  t.same(evaluateRule('("$A" eq "x")? /a.cfg', context()), { skipped: true, alternative: -1, alternatives: 1, assignments: [] });
  t.equal(evaluateRule('', context()).skipped, true);
  t.equal(evaluateRule(parseRule('# http://192.168.1.200/sample.cfg'), context()).skipped, true);
});

t.test('assignments expand macros and run before the URL is built', async (t) => {
  // DOMAIN.md §1.5 [SPA2102-PG p38].
  const plan = evaluateRule('( User_ID_1_ = "uid$B" ; c = "" ; d = "$MA" ; )! /$D/$C$B.cfg', context({ GPP_B: '7', GPP_C: 'old' }, { MA: '000e08aabbcc' }, '10.0.0.9'));
  t.same(plan.assignments, [{ name: 'User_ID_1_', value: 'uid7' }, { name: 'GPP_C', value: '' }, { name: 'GPP_D', value: '000e08aabbcc' }]);
  t.equal(plan.request?.url, 'tftp://10.0.0.9:69/000e08aabbcc/7.cfg');
  t.equal(plan.request, plan.request);
  t.same(evaluateRule('(a = "1"; a = "$A$A")!', context()).assignments, [{ name: 'GPP_A', value: '1' }, { name: 'GPP_A', value: '11' }], 'a later assignment sees an earlier one');
  t.equal(evaluateRule('(a = "1")!', context()).request, undefined, 'an assignment-only rule makes no request');
});

t.test('URLs default the scheme to tftp and resolve default ports', async (t) => {
  // DOMAIN.md §1.6 valid examples [SPA2102-PG p38] [CISCO-7832-PF].
  const ctx = context({ GPP_D: 'd', GPP_E: 'e' }, { MA: '000e08aabbcc', PSN: '2102' }, '192.168.1.1');
  const url = (rule: string): string | undefined => evaluateRule(rule, ctx).request?.url;
  t.equal(url('/$MA.cfg'), 'tftp://192.168.1.1:69/000e08aabbcc.cfg');
  t.equal(url('/Linksys/spa021025.bin'), 'tftp://192.168.1.1:69/Linksys/spa021025.bin');
  t.equal(url('192.168.1.130/profiles/init.cfg'), 'tftp://192.168.1.130:69/profiles/init.cfg');
  t.equal(url('tftp://prov.call.com/cpe/Linksys$MA.cfg'), 'tftp://prov.call.com:69/cpe/Linksys000e08aabbcc.cfg');
  t.equal(url('http://neptune.speak.net:8080/prov/$D/$E.cfg'), 'http://neptune.speak.net:8080/prov/d/e.cfg');
  t.equal(url('https://secure.me.com/profile?Linksys'), 'https://secure.me.com:443/profile?Linksys');
  t.equal(url('HTTP://Prov.Example.COM/x'), 'http://prov.example.com:80/x', 'scheme and host are case-insensitive');
  t.equal(url('http://[::1]:8080/x'), 'http://[::1]:8080/x');
  t.equal(url('/spa$PSN.cfg'), 'tftp://192.168.1.1:69/spa2102.cfg', 'the SPA2102 default rule');
  t.same(requestVars(evaluateRule('https://p.tel.com/a.xml', ctx).request as never), { SCHEME: 'https', METH: 'https', SERV: 'p.tel.com', PORT: '443', PATH: '/a.xml' });
});

t.test('bad URLs are rule_url_error with the URL column', async (t) => {
  const ctx = context({ GPP_A: 'relative.cfg' });
  t.match(thrown(() => evaluateRule('  spa.cfg', ctx)), { code: 'rule_url_error', column: 3, message: /must be absolute/ });
  t.match(thrown(() => evaluateRule('http://host', ctx)), { code: 'rule_url_error', message: /absolute/ });
  t.match(thrown(() => evaluateRule('$A', ctx)), { code: 'rule_url_error', column: 1, message: /absolute/ }, 'checked after expansion');
  t.match(thrown(() => evaluateRule('ftp://h/x', ctx)), { code: 'rule_url_error', message: /scheme/ });
  t.match(thrown(() => evaluateRule('/x.cfg', ctx)), { code: 'rule_url_error', message: /no TFTP server/ });
  t.match(thrown(() => evaluateRule('http://u:p@h/x', ctx)), { code: 'rule_url_error', message: /credentials in the URL/ });
  t.match(thrown(() => evaluateRule('http://bad_host/x', ctx)), { code: 'rule_url_error', message: /server name/ });
  t.match(thrown(() => evaluateRule('http://h:0/x', ctx)), { code: 'rule_url_error', message: /port/ });
  t.match(thrown(() => evaluateRule('http://h:70000/x', ctx)), { code: 'rule_url_error', message: /port/ });
  t.match(thrown(() => evaluateRule('http://h:/x', ctx)), { code: 'rule_url_error', message: /port/ });
  t.match(thrown(() => evaluateRule('http://[:::]/x', ctx)), { code: 'rule_url_error', message: /server name/ }, 'brackets around no IPv6 address');
});

t.test("the request's origin is the one the fetcher derives from its URL", async (t) => {
  // The account goes only to origins a rule names (SPEC §5): both sides must spell them alike.
  const ctx = context({}, {}, '192.168.1.1');
  for (const rule of ['HTTP://Prov.Example.COM/x', 'https://[FE80::0001]:8443/x', 'http://0x7f.1/x', 'tftp://TFTP.Example/x', '/x.cfg']) {
    const request = evaluateRule(rule, ctx).request!;
    t.ok(request.origin.equals(Origin.of(request.url)), `${rule}: ${String(request.origin)}`);
  }
  t.equal(evaluateRule('https://[FE80::0001]:8443/x', ctx).request?.url, 'https://[fe80::1]:8443/x', 'IPv6 in one spelling');
});

t.test('options give credentials, key, POST body and alias map', async (t) => {
  // DOMAIN.md §1.7 [CISCO-7832-PF] [SPA2102-PG p39-40].
  const ctx = context({
    GPP_SA: 'alice', GPP_SB: 's3cret', GPP_SC: 'a37d2fb9055c1d04883a0745eb0917a4',
    GPP_F: 'Product = "$PN"; MAC_Addr = "$MA"; Ser_Num = "$SN"; SW_Ver = "$SWVER";',
    GPP_K: '/CPE/SIP-Credentials/name = /flat-profile/Display_Name_1_ ;\n/CPE/x = Line_Enable_1_;',
  }, { PN: 'SPA2102', MA: '000e08aabbcc', SN: '88012BA01234', SWVER: '2.0.6(b)' });
  const plan = evaluateRule('[--uid $SA --pwd $SB --key $SC] https://p.tel.com/a.xml', ctx);
  t.match(plan.request, { method: 'GET', uid: 'alice', pwd: 's3cret', key: 'a37d2fb9055c1d04883a0745eb0917a4' });
  const post = evaluateRule('[--post f --alias k] http://ps.one.com/cpe/resyncs?', ctx).request;
  t.equal(post?.method, 'POST');
  t.same(post?.post, { param: 'GPP_F', body: 'Product = "SPA2102"; MAC_Addr = "000e08aabbcc"; Ser_Num = "88012BA01234"; SW_Ver = "2.0.6(b)";' });
  t.same([...(post?.alias ?? [])], [['/CPE/SIP-Credentials/name', 'Display_Name_1_'], ['/CPE/x', 'Line_Enable_1_']]);
  t.equal(evaluateRule('https://x/y', ctx).request?.alias.size, 0);
  t.same(evaluateRule('[--key "my secret phrase"] https://x/y', ctx).request?.key, 'my secret phrase');
  t.equal(evaluateRule('[--uid $A] https://x/y', ctx).request?.uid, '', 'an unset GPP gives an empty value');
  t.same(evaluateRule('[--post a] https://x/y', ctx).request?.post, { param: 'GPP_A', body: '' });
  t.equal(evaluateRule('[--alias a] https://x/y', ctx).request?.alias.size, 0);
});

t.test('POST needs http and alias maps are checked', async (t) => {
  t.match(thrown(() => evaluateRule('[--post f] tftp://h/x', context())), { code: 'rule_url_error', column: 9 });
  t.match(thrown(() => evaluateRule('[--alias k] http://h/x', context({ GPP_K: 'nonsense' }))), { code: 'rule_alias_error', column: 10 });
  const many = Array.from({ length: 31 }, (_, i) => `/a/p${i} = P${i};`).join('');
  t.match(thrown(() => evaluateRule('[--alias k] http://h/x', context({ GPP_K: many }))), { code: 'rule_alias_error', message: /more than 30/ });
});

t.test('conditions compare strings, integers and versions', async (t) => {
  const ctx = context({ GPP_A: 'ABCDEF' }, { SWVER: '2.0.6(b)', REGTMR1: '301', CCERT: 'Installed', EXTIP: '', UPGTMR: '301', PRVTMR: '600' });
  const holds = (cond: string): boolean => !evaluateRule(`(${cond})? /x`, { ...ctx, defaultServer: 'h' }).skipped;
  // DOMAIN.md §1.4 examples [CISCO-7832-PF] [SPA2102-PG p37].
  t.ok(holds('"$CCERT" eq "Installed"'));
  t.ok(holds('"$EXTIP" ne ""') === false);
  t.ok(holds('$SWVER ge 2.0.6'));
  t.ok(holds('$REGTMR1 gt 300'));
  t.ok(holds('$REGTMR1 > 300 and $REGTMR1 < 302 and $REGTMR1 <= 301 and $REGTMR1 >= 301 and $REGTMR1 = 301 and $REGTMR1 != 1'));
  t.ok(holds('$REGTMR1 LT 1000'), 'acronyms are case-insensitive');
  t.notOk(holds('$REGTMR1 le 300'));
  t.ok(holds('! 1.0.33'), 'legacy: no left operand means $SWVER != 1.0.33');
  t.notOk(holds('! 2.0.6(b)'));
  t.ok(holds('$(A:2:3) eq CDE'), 'unquoted words that are not versions compare exactly for equality');
  t.ok(holds('$A ne 2.0.6'));
  t.ok(holds('2.0.6 ne sip7832.11-0-1MPP-312'), 'versions of two forms are simply different');
  t.ok(holds('"$(A:2:3)" = "CDE"'));
  t.ok(holds('-1 lt 0'));
  t.ok(holds('"a" eq "a" AND "b" ne "c"'));
  t.equal(evaluateExpression('$UPGTMR gt 300 and $PRVTMR ge 600', ctx), true, 'a Resync_Trigger expression (DOMAIN.md §1.1)');
  t.equal(evaluateExpression('$UPGTMR gt 400', ctx), false);
  t.equal(evaluateExpression('  ', ctx), undefined, 'an empty trigger is not configured');
  t.equal(evaluateExpression('# $UPGTMR gt 400', ctx), undefined, 'a # trigger is a comment');
});

t.test('errors are typed and serialise to code and message only', async (t) => {
  try {
    evaluateRule('(x', context());
    t.fail('should throw');
  } catch (error) {
    t.ok(isProvisiondError(error, 'rule_parse_error'));
    t.same((error as { toJSON(): unknown }).toJSON(), { code: 'rule_parse_error', message: 'unbalanced brackets: this "(" has no ")" (column 1)' });
  }
});

t.test('a bad version string is rule_version_error at its column', async (t) => {
  const ctx = context({}, { SWVER: 'garbage' });
  t.match(thrown(() => evaluateRule('($SWVER ge 2.0.6)? /x', ctx)), { code: 'rule_version_error', column: 2, message: /bad version string/ });
  t.match(thrown(() => evaluateRule('(2.0.6 ge $SWVER)? /x', ctx)), { code: 'rule_version_error', column: 11 });
  t.match(thrown(() => evaluateRule('($SWVER ne 2.0.6 and $SWVER lt 3)? /x', ctx)), { code: 'rule_version_error', column: 22 });
  t.match(thrown(() => evaluateRule('(2.0.6 lt sip7832.11-0-1MPP-312)? /x', ctx)), { code: 'rule_version_error', column: 11, message: /same format/ });
  t.match(thrown(() => evaluateExpression('$UPGTMR gt', ctx)), { code: 'rule_parse_error', column: 11 });
  t.match(thrown(() => evaluateExpression('"abc', ctx)), { code: 'rule_parse_error', message: /unterminated/ });
});

t.test('the Extension Mobility rule follows the login state', async (t) => {
  // SPEC §5 and DOMAIN.md §2.3: the rule branches on $EMS and passes the mobile or phone
  // credentials; the user id carries the EM user domain.
  const rule = '("$EMS" eq "mobile")? [--uid $MUID$PDOM --pwd $MPWD] https://prov.example.com/em/$MUID.xml | [--uid $PUID$PDOM --pwd $PPWD] https://prov.example.com/$MA.xml';
  const vars = (ems: string): Record<string, string> => ({ EMS: ems, PDOM: '@example.com', PUID: 'desk42', PPWD: 'phonepw', MUID: 'alice', MPWD: 'alicepw', MA: '000e08aabbcc' });
  const mobile = evaluateRule(rule, context({}, vars('mobile')));
  t.equal(mobile.alternative, 0);
  t.match(mobile.request, { url: 'https://prov.example.com:443/em/alice.xml', uid: 'alice@example.com', pwd: 'alicepw' });
  for (const state of ['host', '']) {
    const plan = evaluateRule(rule, context({}, vars(state)));
    t.equal(plan.alternative, 1, `state "${state}" uses the phone account`);
    t.match(plan.request, { url: 'https://prov.example.com:443/000e08aabbcc.xml', uid: 'desk42@example.com', pwd: 'phonepw' });
  }
  const loggedOut = evaluateRule(rule, context({}, { ...vars('host'), MUID: '', MPWD: '' }));
  t.equal(loggedOut.alternative, 1, 'after logout the mobile credentials are empty and unused');
});

t.test('a secret macro in a URL is a rule error; conditions may test secrets; assignments and POST bodies keep them literal (SPEC §4)', async (t) => {
  const em = context({ GPP_SA: 'topsecret', GPP_B: 'body $MPWD' }, { MPWD: 'alicepw', MUID: 'alice', EMS: 'mobile' });
  for (const rule of ['http://s/$MPWD.xml', 'http://s/$(MPWD:0:4).xml', 'http://s/x?k=$SA', '[--uid $MUID --pwd $MPWD]http://s/$(GPP_SB:0:1)']) {
    const error = thrown(() => evaluateRule(rule, em));
    t.match(error, { code: 'rule_url_error', column: rule.indexOf('$', rule.indexOf('http')) + 1 }, rule);
    t.notMatch(error?.message, /alic|topsecret/);
  }
  t.match(evaluateRule('( "$MPWD" ne "" and $(MPWD:0:5) eq alice )? [--uid $MUID --pwd $MPWD]http://s/em.xml | http://s/host.xml', em), { alternative: 0, request: { pwd: 'alicepw', uid: 'alice' } });
  t.match(evaluateRule('( "$MPWD" eq "" )? http://s/em.xml | http://s/host.xml', em), { alternative: 1 });
  t.same(evaluateRule('( GPP_C = "$MPWD-$SA"; )! [--post b]http://s/p', em).assignments, [{ name: 'GPP_C', value: '$MPWD-$SA' }]);
  t.equal(evaluateRule('[--post b]http://s/p', em).request?.post?.body, 'body $MPWD');
});
