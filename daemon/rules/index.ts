/** Profile rules, conditions and macros (DOMAIN.md §1.3–1.9; SPEC §3–4). */
export { expandMacros, expandMessage, MACRO_NAMES } from './macros.js';
export type { ExpandOptions, MacroContext } from './macros.js';
export { parseRule, MAX_RULE_LENGTH } from './parse.js';
export type { Alternative, Assignment, Comparison, Operand, Operator, OptionArgument, ParsedRule, RuleOptions } from './syntax.js';
export { evaluateExpression } from './condition.js';
export { evaluateRule, parseAliasMap, requestVars, MAX_ALIASES } from './evaluate.js';
export type { RuleContext, RulePlan, RuleRequest } from './evaluate.js';
export type { ResolvedUrl } from './url.js';
export { compareVersions, parseVersion } from './version.js';
export type { Version } from './version.js';
export { describePlan, isSecretName, maskRuleText, planToJson, MASK } from './display.js';
export { explainRule } from './explain.js';
export type { Explanation } from './explain.js';
