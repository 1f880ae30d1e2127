/**
 * `npm run bench`: runs every benchmark module in one process run and prints one table with
 * our number, the competitor's number from the same run, and the ratio (SPEC §12).
 * `npm run bench -- NAME…` runs only the named modules.
 */
import { writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BenchModule, BenchRow } from './types.js';

const MODULES: Record<string, () => Promise<{ default: BenchModule }>> = {
  daemon: () => import('./daemon.js'),
  parse: () => import('./parse.js'),
  vault: () => import('./vault.js'),
  fetch: () => import('./fetch.js'),
  events: () => import('./events.js'),
  feed: () => import('./feed.js'),
  resync: () => import('./resync.js'),
  fleet: () => import('./fleet.js'),
};

function format(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  if (Math.abs(value) >= 100) return value.toFixed(0);
  if (Math.abs(value) >= 1) return value.toFixed(2);
  return value.toPrecision(3);
}

export function table(sections: { title: string; rows: BenchRow[] }[]): string {
  const lines: string[][] = [['benchmark', 'provisiond', 'competitor', 'ratio', 'note']];
  for (const section of sections) {
    lines.push([`— ${section.title}`, '', '', '', '']);
    for (const row of section.rows) {
      const ours = `${format(row.value)} ${row.unit}`;
      const theirs = row.baseline ? `${format(row.baseline.value)} ${row.unit} (${row.baseline.name})` : '';
      const ratio = row.baseline && row.baseline.value !== 0 ? `${format(row.value / row.baseline.value)}×` : '';
      lines.push([row.name, ours, theirs, ratio, row.note ?? '']);
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
    try {
      sections.push({ title: module.title, rows: await module.run() });
    } catch (err) {
      sections.push({ title: module.title, rows: [{ name: `failed: ${(err as Error).message}`, value: NaN, unit: '' }] });
    }
  }
  process.stdout.write(table(sections) + '\n');
  // bench/results.json in the source tree (this file runs as dist/bench/run.js): every row, and the fleet's figures in full.
  const fleet = names.includes('fleet') ? (await import('./fleet.js')).fleetResults : [];
  const file = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'bench', 'results.json');
  writeFileSync(file, JSON.stringify({ when: new Date().toISOString(), node: process.version, sections, fleet }, null, 2) + '\n');
  process.stderr.write(`wrote ${file}\n`);
}

await main();
