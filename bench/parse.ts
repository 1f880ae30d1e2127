/**
 * Profile parse cost (SPEC §12): flat XML profiles of 1k / 10k / 100k parameters and a large
 * Avaya settings script, time (median of several runs) and heap growth, and how time grows
 * with size: the goal is about linear, the time per parameter at 10× the input at most 1.5×
 * what it was.
 */
import { parseProfile } from '../daemon/profiles/index.js';
import type { BenchModule, BenchRow } from './types.js';

const SIZES = [1_000, 10_000, 100_000];
const LIMIT = 64 * 1024 * 1024;

function flatProfile(count: number): Buffer {
  const lines = ['<?xml version="1.0" encoding="UTF-8"?>', '<flat-profile>'];
  for (let i = 0; i < count; i++) lines.push(`  <Param_${i}_ ua="rw" group="Bench/Section">value &amp; more ${i}</Param_${i}_>`);
  lines.push('</flat-profile>');
  return Buffer.from(lines.join('\n'));
}

/** A 46xxsettings-like script: an IF ladder over models, then many SETs. */
function settingsScript(count: number): Buffer {
  const lines = ['## generated'];
  for (let m = 0; m < 50; m++) lines.push(`IF $MODEL4 SEQ 9${m}00 GOTO M${m}`);
  for (let m = 0; m < 50; m++) {
    lines.push(`# M${m}`);
    for (let i = 0; i < count / 50; i++) lines.push(`SET PARAM_${m}_${i} "value ${i}"`);
    lines.push('GOTO END');
  }
  lines.push('# END');
  return Buffer.from(lines.join('\r\n'));
}

function gc(): void {
  (globalThis as { gc?: () => void }).gc?.();
}

async function measure(data: Buffer, runs: number, params?: (name: string) => string | undefined): Promise<{ ms: number; heapMiB: number; updates: number }> {
  const times: number[] = [];
  let heap = 0;
  let updates = 0;
  for (let r = 0; r < runs; r++) {
    gc();
    const before = process.memoryUsage().heapUsed;
    const started = process.hrtime.bigint();
    const parsed = await parseProfile(data, { limits: { profileBytes: LIMIT }, ...(params && { params }) });
    times.push(Number(process.hrtime.bigint() - started) / 1e6);
    heap = Math.max(heap, (process.memoryUsage().heapUsed - before) / (1024 * 1024));
    updates = parsed.updates.length;
  }
  times.sort((a, b) => a - b);
  return { ms: times[Math.floor(times.length / 2)] as number, heapMiB: heap, updates };
}

const bench: BenchModule = {
  title: 'profile parsing (flat XML, settings script)',
  async run(): Promise<BenchRow[]> {
    const rows: BenchRow[] = [];
    const times: number[] = [];
    for (const size of SIZES) {
      const data = flatProfile(size);
      await measure(data, 1); // warm-up
      const result = await measure(data, size >= 100_000 ? 5 : 9);
      times.push(result.ms);
      rows.push({ name: `flat XML ${size / 1000}k parameters`, value: result.ms, unit: 'ms', note: `${(data.length / 1048576).toFixed(1)} MiB, ${result.updates} updates, heap +${result.heapMiB.toFixed(1)} MiB` });
    }
    for (let i = 1; i < times.length; i++) {
      const perUnit = times[i]! / SIZES[i]! / (times[i - 1]! / SIZES[i - 1]!);
      rows.push({ name: `time per parameter, growth ${SIZES[i - 1]! / 1000}k → ${SIZES[i]! / 1000}k`, value: perUnit, unit: '×', goal: { max: 1.5 }, note: `input 10×, time ${(times[i]! / times[i - 1]!).toFixed(1)}×; linear is 1×` });
    }
    const script = settingsScript(100_000);
    await measure(script, 1, () => '94900');
    const result = await measure(script, 5, (name) => (name === 'MODEL4' ? '94900' : undefined));
    rows.push({ name: 'settings script 100k SET lines', value: result.ms, unit: 'ms', note: `${(script.length / 1048576).toFixed(1)} MiB, ${result.updates} updates applied, heap +${result.heapMiB.toFixed(1)} MiB` });
    return rows;
  },
};

export default bench;
