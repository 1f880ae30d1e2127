/**
 * Every benchmark module exports `run(): Promise<BenchRow[]>`; `bench/run.ts` runs them in
 * one process run and prints one table. A row compares our number with a competitor's
 * measured in the same run (curl, a bare Node process) where one exists, and prints its goal
 * next to the figure: `met`, or `MISSED`.
 */
export interface BenchRow {
  /** What was measured, e.g. `resync first fetch`. */
  readonly name: string;
  /** Our measurement. */
  readonly value: number;
  readonly unit: string;
  /** The competitor's measurement of the same thing in the same run, and its name. */
  readonly baseline?: { readonly name: string; readonly value: number };
  /** What the figure should be; several bounds must all hold. */
  readonly goal?: Goal | readonly Goal[];
  /** Free text: sample count, target, notes. */
  readonly note?: string;
}

/**
 * A bound on the row's value (`on: 'value'`, the default) or on its ratio to the baseline
 * (`on: 'ratio'`). A goal with neither bound is printed as text only (`text`), never judged.
 */
export interface Goal {
  readonly on?: 'value' | 'ratio';
  readonly max?: number;
  readonly min?: number;
  /** Printed instead of the bounds, e.g. `linear`. */
  readonly text?: string;
}

export interface BenchModule {
  readonly title: string;
  run(): Promise<BenchRow[]>;
}
