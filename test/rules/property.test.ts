import t from 'tap';
import fc from 'fast-check';
import { ProvisiondError } from '../../daemon/errors/index.js';
import { evaluateRule, expandMacros, explainRule, parseRule } from '../../daemon/rules/index.js';
import { context } from '../fixtures/rules/context.js';

// Random rules drawn from the rule alphabet, so the parser's corners are reached often.
const pieces = ['(', ')', '?', '!', '[', ']', '|', '"', '$', '$(', 'A', ':2', ' ', 'and', 'or', 'eq', '<=', '!=', '=', ';',
  '--key', '--uid', '--pwd', '--post', '--alias', 'a', 'k', '2.0.6(b)', 'sip7832.11-0-1MPP-3', '12', 'http://h/x', '/p', 'tftp://', ':8', '#'];
const ruleText = fc.oneof(fc.string({ maxLength: 60 }), fc.array(fc.constantFrom(...pieces), { maxLength: 30 }).map((a) => a.join('')));
const ctx = context({ GPP_A: '2.0.6', GPP_K: 'a = B;', GPP_SA: 's' }, { SWVER: '1.2.3' }, 'h');

t.test('random rules parse or fail with a typed error, never anything else', async (t) => {
  fc.assert(fc.property(ruleText, (text) => {
    try {
      evaluateRule(text, ctx);
    } catch (error) {
      if (!(error instanceof ProvisiondError) || !/^rule_/.test(error.code) || error.where?.column === undefined) throw error;
    }
  }), { numRuns: 3000 });
  t.pass('3000 random rules');
});

t.test('explain never throws and never shows a --pwd argument', async (t) => {
  fc.assert(fc.property(ruleText, fc.stringMatching(/^[a-z]{6,10}$/), (text, secret) => {
    const result = explainRule(`[--pwd ${secret}] ${text}`, {}, {});
    return !result.text.includes(`--pwd ${secret}`);
  }), { numRuns: 500 });
  t.pass('500 random rules');
});

t.test('macro expansion is a single pass: expanding values never re-expands them', async (t) => {
  fc.assert(fc.property(fc.string({ maxLength: 20 }), fc.string({ maxLength: 40 }), (value, text) => {
    const c = context({ GPP_A: value });
    const once = expandMacros(text.replaceAll('$', () => '$$'), c);
    return once === text;
  }), { numRuns: 1000 });
  fc.assert(fc.property(fc.string({ maxLength: 20 }), (value) => expandMacros('$A', context({ GPP_A: value })) === value), { numRuns: 500 });
  t.pass('escaped text round-trips and values are inserted verbatim');
});

t.test('a parsed rule evaluates like its text', async (t) => {
  fc.assert(fc.property(ruleText, (text) => {
    let parsed;
    try {
      parsed = parseRule(text);
    } catch {
      return true;
    }
    const run = (rule: typeof parsed | string): string => {
      try {
        return JSON.stringify(evaluateRule(rule, ctx));
      } catch (error) {
        return (error as ProvisiondError).code;
      }
    };
    return run(parsed) === run(text);
  }), { numRuns: 1000 });
  t.pass('1000 rules');
});
