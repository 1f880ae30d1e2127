/** Small measuring helpers shared by the benchmark modules. */
import { readFileSync, realpathSync, statfsSync } from 'node:fs';

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

/** Wall time of one awaited action, in milliseconds. */
export async function timed(action: () => Promise<unknown>): Promise<number> {
  const started = process.hrtime.bigint();
  await action();
  return Number(process.hrtime.bigint() - started) / 1e6;
}

/** The state directory's filesystem, as `mount` would name it (Linux), else its statfs magic. */
export function filesystemOf(dir: string): string {
  const real = realpathSync(dir);
  try {
    let best: { point: string; text: string } | undefined;
    for (const line of readFileSync('/proc/self/mounts', 'utf8').split('\n')) {
      const [device, point, type] = line.split(' ');
      if (!device || !point || !type) continue;
      const inside = real === point || real.startsWith(point.endsWith('/') ? point : point + '/');
      if (inside && (!best || point.length >= best.point.length)) best = { point, text: `${type} on ${device}` };
    }
    if (best) return best.text;
  } catch {
    // Not Linux: the magic number below still tells tmpfs from a disk.
  }
  return `filesystem 0x${statfsSync(real).type.toString(16)}`;
}
