import t from 'tap';
import { parseRule, MAX_RULE_LENGTH } from '../../daemon/rules/index.js';
import { thrown } from '../fixtures/rules/context.js';

/** Arguments for `t.match`: what parsing `rule` threw, and the error expected. */
function fails(rule: string, column: number, message: RegExp): [unknown, unknown, string] {
  return [thrown(() => parseRule(rule)), { name: 'ProvisiondError', code: 'rule_parse_error', column, message }, `${rule} fails at ${column}`];
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
  t.match(...fails('/a.cfg | /b.cfg', 10, /only the last/));
});

t.test('an unbalanced bracket is reported where it opens', async (t) => {
  t.match(...fails('("$A" eq "x" ? /a', 1, /unbalanced.*"\("/));
  t.match(...fails('[--uid x', 1, /unbalanced.*"\["/));
  t.match(...fails('($A eq 2.0.6(b)?/a', 1, /unbalanced/));
  t.match(...fails('(($A eq 1))?/a', 2, /cannot nest/));
});

t.test('a missing ? or ! is reported at the closing bracket', async (t) => {
  t.match(...fails('("$A" eq "x") /a', 13, /missing "\?".*"!"/));
  t.match(...fails('("$A" eq "x")', 13, /missing/));
});

t.test('parts must come in order and only once', async (t) => {
  t.match(...fails('(a="1")! ($A eq 1)? /x', 10, /must come first/));
  t.match(...fails('(a="1")! (b="1")! /x', 10, /must come first/));
  t.match(...fails('($A eq 1)? ($A eq 1)? /x', 12, /must come first/));
});

t.test('an unterminated string is reported at its opening quote', async (t) => {
  t.match(...fails('("$A eq 1)?/x', 2, /unterminated/));
  t.match(...fails('[--key "abc]/x', 8, /unterminated/));
});

t.test('assignments are checked', async (t) => {
  t.match(...fails('(1x = "a")!', 2, /parameter name/));
  t.match(...fails('(a "x")!', 4, /"="/));
  t.match(...fails('(a = x)!', 6, /quoted/));
  t.match(...fails('(a = "x" b = "y")!', 10, /";"/));
});

t.test('options are checked', async (t) => {
  t.match(...fails('[--term 1]/x', 2, /unknown option/));
  t.match(...fails('["k"]/x', 2, /unknown option/));
  t.match(...fails('[--uid a --uid b]/x', 10, /twice/));
  t.match(...fails('[--uid]/x', 2, /needs a value/));
  t.match(...fails('[--post zz]/x', 9, /letter a…p/));
  t.match(...fails('[--alias q]/x', 10, /letter a…p/));
  t.match(...fails('[--uid a] | /x', 1, /followed by a URL/));
});

t.test('alternatives must not be empty or carry trailing text', async (t) => {
  t.match(...fails('($A eq 1)? /a |', 16, /empty alternative/));
  t.match(...fails('($A eq 1)? /a | | /b', 17, /empty alternative/));
  t.match(...fails('/a /b', 4, /unexpected text/));
});

t.test('conditions are checked', async (t) => {
  t.match(...fails('($A eq 1 or $B eq 2)?/x', 10, /"or" is not supported/));
  t.match(...fails('($A == 1)?/x', 5, /unknown operator/));
  t.match(...fails('($A 1)?/x', 5, /operator/));
  t.match(...fails('($A)?/x', 4, /operator/));
  t.match(...fails('($A eq)?/x', 7, /value after/));
  t.match(...fails('($A eq eq)?/x', 8, /value after/));
  t.match(...fails('()?/x', 2, /empty comparison/));
  t.match(...fails('($A eq 1 and)?/x', 13, /empty comparison/));
  t.match(...fails('($A eq 1 $B)?/x', 10, /"and"/));
  t.match(...fails('(! 1 2)?/x', 6, /"and"/));
  t.match(...fails('("a" lt "b")?/x', 6, /eq or ne/));
  t.match(...fails('($A gt "b")?/x', 5, /eq or ne/));
});

t.test('an over-long rule is refused', async (t) => {
  t.match(...fails(`/${'a'.repeat(MAX_RULE_LENGTH)}`, MAX_RULE_LENGTH + 1, /longer than/));
});
