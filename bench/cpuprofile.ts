/**
 * Reads a V8 `.cpuprofile` (from `node --cpu-prof`) and sums self time per function (name,
 * file and line), and per file, so a profile can be summarised as its top entries in the
 * table's notes and in a person's notes. `node dist/bench/cpuprofile.js FILE [TOP]` prints
 * the summary of one profile.
 */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

interface ProfileNode {
  readonly id: number;
  readonly callFrame: { readonly functionName: string; readonly url: string; readonly lineNumber: number };
}

interface Profile {
  readonly nodes: readonly ProfileNode[];
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
}

export interface SelfTime {
  readonly what: string;
  readonly ms: number;
}

function shortUrl(url: string): string {
  if (url === '') return '';
  const modules = url.lastIndexOf('node_modules/');
  if (modules >= 0) return url.slice(modules + 'node_modules/'.length);
  const dist = url.lastIndexOf('/dist/');
  if (dist >= 0) return url.slice(dist + '/dist/'.length);
  return url.replace(/^file:\/\//, '');
}

/** Self time per function and per file, largest first, and the profile's total. */
export function selfTimes(file: string): { total: number; functions: SelfTime[]; files: SelfTime[] } {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const functions = new Map<string, number>();
  const files = new Map<string, number>();
  let total = 0;
  profile.samples.forEach((id, i) => {
    const ms = (profile.timeDeltas[i] ?? 0) / 1000;
    const frame = byId.get(id)!.callFrame;
    const where = shortUrl(frame.url);
    const name = `${frame.functionName || '(anonymous)'}${where ? ` ${where}:${frame.lineNumber + 1}` : ''}`;
    functions.set(name, (functions.get(name) ?? 0) + ms);
    const group = where === '' ? frame.functionName : where.startsWith('node:') ? 'node: internals' : where;
    files.set(group, (files.get(group) ?? 0) + ms);
    total += ms;
  });
  const sorted = (map: Map<string, number>) => [...map].map(([what, ms]) => ({ what, ms })).sort((a, b) => b.ms - a.ms);
  return { total, functions: sorted(functions), files: sorted(files) };
}

/** `name 12.3 ms, other 4.5 ms, …` for the top `count` entries. */
export function topText(entries: readonly SelfTime[], count: number): string {
  return entries
    .slice(0, count)
    .map((e) => `${e.what} ${e.ms.toFixed(1)} ms`)
    .join(', ');
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const top = Number(process.argv[3] ?? 25);
  const summary = selfTimes(process.argv[2]!);
  process.stdout.write(`total ${summary.total.toFixed(1)} ms\n\nby function (self):\n`);
  for (const e of summary.functions.slice(0, top)) process.stdout.write(`  ${e.ms.toFixed(1).padStart(8)} ms  ${e.what}\n`);
  process.stdout.write('\nby file (self):\n');
  for (const e of summary.files.slice(0, top)) process.stdout.write(`  ${e.ms.toFixed(1).padStart(8)} ms  ${e.what}\n`);
}
