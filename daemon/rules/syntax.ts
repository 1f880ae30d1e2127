/**
 * The profile rule syntax tree (DOMAIN.md §1.3–1.7). Every node keeps the 1-based column
 * where it starts in the rule text, so evaluation errors point at the right place too.
 */
export type Operator = 'eq' | 'ne' | 'lt' | 'le' | 'gt' | 'ge';

export interface Operand {
  /** As written, macros not yet expanded; quotes removed. */
  readonly text: string;
  readonly quoted: boolean;
  readonly column: number;
}

export interface Comparison {
  readonly left: Operand;
  readonly operator: Operator;
  readonly right: Operand;
}

export interface Assignment {
  readonly name: string;
  /** Macros not yet expanded. */
  readonly value: string;
  readonly column: number;
}

export interface OptionArgument {
  readonly text: string;
  readonly column: number;
}

export interface RuleOptions {
  readonly key?: OptionArgument;
  readonly uid?: OptionArgument;
  readonly pwd?: OptionArgument;
  /** GPP letter a…p holding the POST body / the alias map. */
  readonly post?: OptionArgument;
  readonly alias?: OptionArgument;
}

export interface Alternative {
  readonly column: number;
  /** Comparisons joined by `and`; absent when the alternative has no condition. */
  readonly condition?: readonly Comparison[];
  readonly assignments: readonly Assignment[];
  readonly options: RuleOptions;
  readonly url?: OptionArgument;
}

export interface ParsedRule {
  readonly alternatives: readonly Alternative[];
}

/** Parameter named by a one-letter assignment or option: `a`…`p` stand for GPP_A…GPP_P. */
export function gppName(letter: string): string | undefined {
  return /^[a-p]$/.test(letter) ? `GPP_${letter.toUpperCase()}` : undefined;
}
