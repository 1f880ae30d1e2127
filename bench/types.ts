/**
 * Every benchmark module exports `run(): Promise<BenchRow[]>`; `bench/run.ts` runs them in
 * one process run and prints one table. A row compares our number with a competitor's
 * measured in the same run (curl, a bare Node process) where one exists.
 */
export interface BenchRow {
  /** What was measured, e.g. `resync first fetch`. */
  readonly name: string;
  /** Our measurement. */
  readonly value: number;
  readonly unit: string;
  /** The competitor's measurement of the same thing in the same run, and its name. */
  readonly baseline?: { readonly name: string; readonly value: number };
  /** Free text: sample count, target, notes. */
  readonly note?: string;
}

export interface BenchModule {
  readonly title: string;
  run(): Promise<BenchRow[]>;
}
