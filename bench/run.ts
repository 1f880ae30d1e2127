/**
 * `npm run bench`: runs every benchmark module in one process run and prints one table with
 * our number, the competitor's number from the same run, and the ratio (SPEC §12).
 * `npm run bench -- NAME…` runs only the named modules.
 */
import { writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BenchModule, BenchRow, Goal } from './types.js';

const MODULES: Record<string, () => Promise<{ default: BenchModule }>> = {
  daemon: () => import('./daemon.js'),
  parse: () => import('./parse.js'),
  vault: () => import('./vault.js'),
  fetch: () => import('./fetch.js'),
  events: () => import('./events.js'),
  feed: () => import('./feed.js'),
  resync: () => import('./resync.js'),
  growth: () => import('./growth.js'),
  fleet: () => import('./fleet.js'),
};

function format(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  if (Math.abs(value) >= 100) return value.toFixed(0);
  if (Math.abs(value) >= 1) return value.toFixed(2);
  return value.toPrecision(3);
}

function goals(row: BenchRow): readonly Goal[] {
  if (!row.goal) return [];
  return Array.isArray(row.goal) ? (row.goal as readonly Goal[]) : [row.goal as Goal];
}

function ratioOf(row: BenchRow): number | undefined {
  return row.baseline && row.baseline.value !== 0 ? row.value / row.baseline.value : undefined;
}

/** The goal as printed: `≤ 1.5×`, `≤ 2 ms and ≥ 0.8×`. */
export function goalText(row: BenchRow): string {
  return goals(row)
    .map((goal) => {
      if (goal.text !== undefined) return goal.text;
      const unit = goal.on === 'ratio' ? '×' : ` ${row.unit}`;
      const bounds: string[] = [];
      if (goal.max !== undefined) bounds.push(`≤ ${format(goal.max)}${unit}`);
      if (goal.min !== undefined) bounds.push(`≥ ${format(goal.min)}${unit}`);
      return bounds.join(' and ');
    })
    .join(' and ');
}

/** `met` when every bound holds, `MISSED` when one does not (or the figure is missing), '' without a bound. */
export function verdict(row: BenchRow): '' | 'met' | 'MISSED' {
  const bounded = goals(row).filter((goal) => goal.max !== undefined || goal.min !== undefined);
  if (bounded.length === 0) return '';
  for (const goal of bounded) {
    const figure = goal.on === 'ratio' ? ratioOf(row) : row.value;
    if (figure === undefined || !Number.isFinite(figure)) return 'MISSED';
    if (goal.max !== undefined && figure > goal.max) return 'MISSED';
    if (goal.min !== undefined && figure < goal.min) return 'MISSED';
  }
  return 'met';
}

export function table(sections: { title: string; rows: BenchRow[] }[]): string {
  const lines: string[][] = [['benchmark', 'provisiond', 'competitor', 'ratio', 'goal', '', 'note']];
  for (const section of sections) {
    lines.push([`— ${section.title}`, '', '', '', '', '', '']);
    for (const row of section.rows) {
      const ours = `${format(row.value)} ${row.unit}`;
      const theirs = row.baseline ? `${format(row.baseline.value)} ${row.unit} (${row.baseline.name})` : '';
      const ratio = ratioOf(row);
      lines.push([row.name, ours, theirs, ratio === undefined ? '' : `${format(ratio)}×`, goalText(row), verdict(row), row.note ?? '']);
    }
  }
  const widths = lines[0]!.map((_, i) => Math.max(...lines.map((l) => l[i]!.length)));
  return lines.map((l) => l.map((cell, i) => cell.padEnd(widths[i]!)).join('  ').trimEnd()).join('\n');
}

async function main(): Promise<void> {
  const wanted = process.argv.slice(2);
  const names = wanted.length ? wanted : Object.keys(MODULES);
  const sections: { title: string; rows: BenchRow[] }[] = [];
  for (const name of names) {
    const load = MODULES[name];
    if (!load) throw new Error(`unknown benchmark ${name}; known: ${Object.keys(MODULES).join(', ')}`);
    const module = (await load()).default;
    process.stderr.write(`running ${name}: ${module.title}…\n`);
    const started = Date.now();
    try {
      sections.push({ title: module.title, rows: await module.run() });
    } catch (err) {
      sections.push({ title: module.title, rows: [{ name: `failed: ${(err as Error).message}`, value: NaN, unit: '' }] });
    }
    process.stderr.write(`  ${name} took ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
  }
  process.stdout.write(table(sections) + '\n');
  // bench/results.json in the source tree (this file runs as dist/bench/run.js): every row, and the fleet's figures in full.
  // Only a whole run writes it: `npm run bench -- NAME` must not replace the full results with a part.
  if (wanted.length > 0) return;
  const { fleetResults: fleet } = await import('./fleet.js');
  const file = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'bench', 'results.json');
  writeFileSync(file, JSON.stringify({ when: new Date().toISOString(), node: process.version, sections: sections.map((s) => ({ ...s, rows: s.rows.map((row) => ({ ...row, verdict: verdict(row) })) })), fleet }, null, 2) + '\n');
  process.stderr.write(`wrote ${file}\n`);
}

await main();
