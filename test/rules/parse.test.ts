import t from 'tap';
import { parseRule, MAX_RULE_LENGTH } from '../../daemon/rules/index.js';
import { thrown } from '../fixtures/rules/context.js';

function fails(tt: { match: (found: unknown, wanted: unknown, message?: string) => boolean }, rule: string, column: number, message: RegExp): void {
  tt.match(thrown(() => parseRule(rule)), { name: 'ProvisiondError', code: 'rule_parse_error', column, message }, `${rule} fails at ${column}`);
}

t.test('a rule is a list of alternatives with condition, assignments, options and URL', async (t) => {
  // DOMAIN.md §1.5 combined example [SPA2102-PG p38].
  const rule = parseRule('("$A" ne "Provisioned")? (Line_Enable_1_ = "No";)! https://p.tel.com/init-prov | https://p.tel.com/configs');
  t.equal(rule.alternatives.length, 2);
  const [first, second] = rule.alternatives;
  t.same(first?.condition, [{ left: { text: '$A', quoted: true, column: 2 }, operator: 'ne', right: { text: 'Provisioned', quoted: true, column: 10 } }]);
  t.same(first?.assignments, [{ name: 'Line_Enable_1_', value: 'No', column: 27 }]);
  t.same(first?.url, { text: 'https://p.tel.com/init-prov', column: 52 });
  t.equal(second?.condition, undefined);
  t.same(second?.url, { text: 'https://p.tel.com/configs', column: 82 });
});

t.test('one-letter assignments name GPP_A…GPP_P', async (t) => {
  // DOMAIN.md §1.5 [SPA2102-PG p38].
  const rule = parseRule('( User_ID_1_ = "uid$B" ; c = "" ; d = "$MA" ; )!');
  t.same(rule.alternatives[0]?.assignments.map((a) => [a.name, a.value]), [['User_ID_1_', 'uid$B'], ['GPP_C', ''], ['GPP_D', '$MA']]);
  t.same(parseRule('(a="1")!').alternatives[0]?.assignments.map((a) => a.name), ['GPP_A'], 'the last ";" is optional');
  t.same(parseRule('()!').alternatives[0]?.assignments, [], 'no assignment at all is allowed');
});

t.test('options are read with quoted and bare arguments', async (t) => {
  const alt = parseRule('[--alias a --key "my secret phrase" --post c --uid $SA --pwd ""]http://ps.one.com/cpe/resyncs?').alternatives[0];
  t.same(alt?.options, {
    alias: { text: 'a', column: 10 },
    key: { text: 'my secret phrase', column: 18 },
    post: { text: 'c', column: 44 },
    uid: { text: '$SA', column: 52 },
    pwd: { text: '', column: 62 },
  });
  t.same(alt?.url, { text: 'http://ps.one.com/cpe/resyncs?', column: 65 });
});

t.test('whitespace is optional around conditions', async (t) => {
  // DOMAIN.md §1.3 [CHAN-SCCP-517].
  const alt = parseRule('( $SWVER != 7.6.2 ) ? tftp://10.0.0.1/a.cfg').alternatives[0];
  t.equal(alt?.condition?.[0]?.operator, 'ne');
  t.same(parseRule('($SWVER ge 2.0.6(b))?/x').alternatives[0]?.condition?.[0]?.right.text, '2.0.6(b)', 'a version keeps its brackets');
  t.same(parseRule('($(A:1) eq 1)?/x').alternatives[0]?.condition?.[0]?.left.text, '$(A:1)', 'a macro keeps its brackets');
});

t.test('a value starting with # is a comment, i.e. an empty rule', async (t) => {
  // DOMAIN.md §1.3 [CSB-PG p40].
  t.same(parseRule('# http://192.168.1.200/sample.cfg'), { alternatives: [] });
  t.same(parseRule('   '), { alternatives: [] });
});

t.test('only the last alternative may lack a condition', async (t) => {
  fails(t, '/a.cfg | /b.cfg', 10, /only the last/);
});

t.test('an unbalanced bracket is reported where it opens', async (t) => {
  fails(t, '("$A" eq "x" ? /a', 1, /unbalanced.*"\("/);
  fails(t, '[--uid x', 1, /unbalanced.*"\["/);
  fails(t, '($A eq 2.0.6(b)?/a', 1, /unbalanced/);
  fails(t, '(($A eq 1))?/a', 2, /cannot nest/);
});

t.test('a missing ? or ! is reported at the closing bracket', async (t) => {
  fails(t, '("$A" eq "x") /a', 13, /missing "\?".*"!"/);
  fails(t, '("$A" eq "x")', 13, /missing/);
});

t.test('parts must come in order and only once', async (t) => {
  fails(t, '(a="1")! ($A eq 1)? /x', 10, /must come first/);
  fails(t, '(a="1")! (b="1")! /x', 10, /must come first/);
  fails(t, '($A eq 1)? ($A eq 1)? /x', 12, /must come first/);
});

t.test('an unterminated string is reported at its opening quote', async (t) => {
  fails(t, '("$A eq 1)?/x', 2, /unterminated/);
  fails(t, '[--key "abc]/x', 8, /unterminated/);
});

t.test('assignments are checked', async (t) => {
  fails(t, '(1x = "a")!', 2, /parameter name/);
  fails(t, '(a "x")!', 4, /"="/);
  fails(t, '(a = x)!', 6, /quoted/);
  fails(t, '(a = "x" b = "y")!', 10, /";"/);
});

t.test('options are checked', async (t) => {
  fails(t, '[--term 1]/x', 2, /unknown option/);
  fails(t, '["k"]/x', 2, /unknown option/);
  fails(t, '[--uid a --uid b]/x', 10, /twice/);
  fails(t, '[--uid]/x', 2, /needs a value/);
  fails(t, '[--post zz]/x', 9, /letter a…p/);
  fails(t, '[--alias q]/x', 10, /letter a…p/);
  fails(t, '[--uid a] | /x', 1, /followed by a URL/);
});

t.test('alternatives must not be empty or carry trailing text', async (t) => {
  fails(t, '($A eq 1)? /a |', 16, /empty alternative/);
  fails(t, '($A eq 1)? /a | | /b', 17, /empty alternative/);
  fails(t, '/a /b', 4, /unexpected text/);
});

t.test('conditions are checked', async (t) => {
  fails(t, '($A eq 1 or $B eq 2)?/x', 10, /"or" is not supported/);
  fails(t, '($A == 1)?/x', 5, /unknown operator/);
  fails(t, '($A 1)?/x', 5, /operator/);
  fails(t, '($A)?/x', 4, /operator/);
  fails(t, '($A eq)?/x', 7, /value after/);
  fails(t, '($A eq eq)?/x', 8, /value after/);
  fails(t, '()?/x', 2, /empty comparison/);
  fails(t, '($A eq 1 and)?/x', 13, /empty comparison/);
  fails(t, '($A eq 1 $B)?/x', 10, /"and"/);
  fails(t, '(! 1 2)?/x', 6, /"and"/);
  fails(t, '("a" lt "b")?/x', 6, /eq or ne/);
  fails(t, '($A gt "b")?/x', 5, /eq or ne/);
});

t.test('an over-long rule is refused', async (t) => {
  fails(t, `/${'a'.repeat(MAX_RULE_LENGTH)}`, MAX_RULE_LENGTH + 1, /longer than/);
});
