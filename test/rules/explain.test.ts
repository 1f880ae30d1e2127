import t from 'tap';
import { describePlan, evaluateRule, explainRule, isSecretName, maskRuleText, planToJson } from '../../daemon/rules/index.js';
import { context } from '../fixtures/rules/context.js';

t.test('explain shows the chosen alternative and the expanded request with secrets masked', async (t) => {
  const rule = '("$A" eq "x")? /never | [--uid $SA --pwd $SB --key "k e y"] https://prov.example.com/$MA.xml';
  const result = explainRule(rule, { GPP_SA: 'alice', GPP_SB: 'hunter2' }, { MA: '000e08aabbcc' });
  t.equal(result.ok, true);
  t.equal(result.text, [
    'rule: ("$A" eq "x")? /never | [--uid $SA --pwd *** --key ***] https://prov.example.com/$MA.xml',
    'alternative 2 of 2 chosen',
    'GET https://prov.example.com/000e08aabbcc.xml',
    '  --uid alice --pwd *** --key ***',
  ].join('\n'));
  t.notMatch(JSON.stringify(result.json), /hunter2|k e y/);
  t.match(result.json, { ok: true, plan: { alternative: 1, request: { uid: 'alice', pwd: '***', key: '***' } } });
});

t.test('explain puts a caret under the failing column', async (t) => {
  const result = explainRule('[--pwd hunter2] ("$A" eq "x")? /a', {}, {});
  t.equal(result.ok, false);
  t.equal(result.text, [
    'error rule_parse_error: unexpected text after the URL; alternatives are separated by "|" (column 23)',
    '  [--pwd ***] ("$A" eq "x")? /a',
    `${' '.repeat(2 + 18)}^`,
  ].join('\n'));
  t.same(result.json, { ok: false, error: { code: 'rule_parse_error', message: 'unexpected text after the URL; alternatives are separated by "|" (column 23)', column: 19 } });
  t.notMatch(result.text, /hunter2/);
  const or = explainRule('($A eq 1 or $B eq 2)? /x', {}, {});
  t.match(or.text, /\n {11}\^$/, 'the caret sits under "or"');
});

t.test('explain works with a DHCP server, skipped rules and errors without a column', async (t) => {
  t.match(explainRule('/x.cfg', {}, {}, '10.0.0.1').text, /GET tftp:\/\/10\.0\.0\.1\/x\.cfg/);
  t.match(explainRule('("$A" eq "1")? /x', { GPP_A: '2' }, {}).text, /no alternative applies \(1 tried\): the rule is skipped/);
  t.equal(explainRule('(a = "1")!', { toString: 'x' }, {}).ok, true, 'inherited names are not parameters');
  const odd = { get params() { throw new Error('boom'); } };
  const crashed = explainRule('($A eq 1)? /x', odd as unknown as Record<string, string>, {});
  t.equal(crashed.ok, true, 'hasOwn never reads the getter, so no crash');
});

t.test('an internal failure is reported without a caret', async (t) => {
  const vars = new Proxy({}, { ownKeys: () => { throw new Error('broken vars'); } });
  const result = explainRule('($A eq $B)? /x', {}, vars);
  t.same(result.json, { ok: false, error: { code: 'rule_eval_error', message: 'broken vars' } });
  t.equal(result.text, 'error rule_eval_error: broken vars');
  const odd = new Proxy({}, { ownKeys: () => { throw Symbol.for('not an Error') as unknown as Error; } });
  t.match(explainRule('($A eq $B)? /x', {}, odd).json, { ok: false, error: { code: 'rule_eval_error', message: 'Symbol(not an Error)' } });
});

t.test('plans describe assignments, POST bodies and alias maps without secrets', async (t) => {
  const ctx = context({ GPP_F: 'body', GPP_K: 'a/b = X;' }, {}, 'h');
  const plan = evaluateRule('(GPP_SA = "pw"; b = "visible"; EM_Mobile_Password = "x")! [--post f --alias k] http://h/x', ctx);
  t.equal(describePlan(plan), [
    'alternative 1 of 1 chosen',
    'assign GPP_SA = "***"',
    'assign GPP_B = "visible"',
    'assign EM_Mobile_Password = "***"',
    'POST http://h/x',
    '  --post GPP_F (4 bytes) --alias (1 paths)',
  ].join('\n'));
  t.match(planToJson(plan), { request: { method: 'POST', post: { param: 'GPP_F', bytes: 4 }, alias: { 'a/b': 'X' } } });
  t.equal(describePlan(evaluateRule('(a = "1")!', ctx)), 'alternative 1 of 1 chosen\nassign GPP_A = "1"\nno request (assignments only)');
  t.equal(describePlan(evaluateRule('/x', ctx)), 'alternative 1 of 1 chosen\nGET tftp://h/x');
  t.same(planToJson(evaluateRule('', ctx)), { skipped: true, alternative: -1, alternatives: 0, assignments: [], request: null });
});

t.test('secret names and rule text masking', async (t) => {
  for (const name of ['GPP_SA', 'GPP_SD', 'EM_Phone_Password', 'Admin_Passwd', 'SIP_PWD', 'Secret_Key']) t.ok(isSecretName(name), name);
  for (const name of ['GPP_A', 'GPP_SE', 'User_ID_1_']) t.notOk(isSecretName(name), name);
  const masked = maskRuleText('[--key "a b" --pwd x --uid u]http://h/x | [--key"q"] /y');
  t.equal(masked.text, '[--key *** --pwd *** --uid u]http://h/x | [--key***] /y');
  t.equal(masked.column(2), 2, 'before any secret');
  t.equal(masked.column(8), 8, 'at the start of a secret');
  t.equal(masked.column(10), 8, 'inside a secret: its start');
  t.equal(masked.column(19), 17, 'after one masked secret');
  t.equal(masked.column(60), 60, 'after all secrets (shorter and longer ones cancel out)');
  t.equal(maskRuleText('[--pwd abcdefgh]/x').column(18), 13);
  t.equal(maskRuleText('/plain').text, '/plain');
});

t.test('a port other than the scheme\'s own is printed as written', async (t) => {
  t.match(explainRule('https://prov.example.com:8443/x.cfg', {}, {}).text, /GET https:\/\/prov\.example\.com:8443\/x\.cfg/);
  t.match(explainRule('http://h:443/x', {}, {}).text, /GET http:\/\/h:443\/x/, 'an http URL on 443 keeps its port');
});
