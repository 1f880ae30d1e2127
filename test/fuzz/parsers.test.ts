/**
 * Property tests over every parser that meets outside input (issue 12 "Must show"): only
 * typed errors come out, and each input's work — counted as V8 block executions in a child
 * process, never by the clock — stays within a bound proportional to its size.
 */
import t from 'tap';
import { execFile } from 'node:child_process';
import * as path from 'node:path';
import { promisify } from 'node:util';
import fc from 'fast-check';
import { envWithoutCoverage } from '../fixtures/daemon-js.js';
import { ADVERSARIAL, PARSERS } from '../fixtures/fuzz/parsers.js';

for (const parser of PARSERS) {
  t.test(`${parser.name}: random and adversarial inputs are accepted or refused with a typed error`, async (t) => {
    await fc.assert(fc.asyncProperty(parser.input, parser.run), { numRuns: 500 });
    for (const input of ADVERSARIAL[parser.name] ?? []) await parser.run(input);
    t.pass(`${parser.name}: 500 random inputs and ${(ADVERSARIAL[parser.name] ?? []).length} adversarial ones`);
  });
}

/** Block executions per input character allowed, and the fixed part (a settings script may loop up to its WORK_BASE). */
const PER_CHAR = 300;
const BASE: Readonly<Record<string, number>> = { 'avaya-script': 2_000_000 };

t.test('work per input is bounded by its size (counted, not timed)', async (t) => {
  // The loader the tests run under (import-only export), so the child reads the same sources.
  const loader = import.meta.resolve('@tapjs/typescript/import');
  const child = path.join(import.meta.dirname, '..', 'fixtures', 'fuzz', 'work-child.ts');
  const { stdout } = await promisify(execFile)(process.execPath, [`--import=${loader}`, child, '200'], { env: envWithoutCoverage(), maxBuffer: 16 * 1024 * 1024 });
  const report = JSON.parse(stdout) as Record<string, { base: number; maxPerChar: number; worst: string; length: number; repeated: number[] }>;
  t.same(Object.keys(report), PARSERS.map((parser) => parser.name));
  for (const [name, measured] of Object.entries(report)) {
    t.ok(measured.maxPerChar <= PER_CHAR, `${name}: at most ${measured.maxPerChar.toFixed(1)} block executions per character (worst ${JSON.stringify(measured.worst.slice(0, 40))})`);
    const sizes = [1, 8, 64].map((times) => measured.length * times);
    measured.repeated.forEach((work, i) => {
      t.ok(work <= PER_CHAR * (sizes[i] as number) + (BASE[name] ?? 10_000), `${name}: ${work} for the worst input repeated to ${sizes[i]} characters`);
    });
  }
});
