/**
 * `curl --digest` as the competitor, measured the way we are (SPEC §12): cold (one process
 * per fetch, its start included, as a cron job runs it) and warm (one process fetching the
 * same URL N times: keep-alive, TLS kept, `next` between transfers). Everything, the password
 * included, goes in a config on stdin (`-K -`), never on a command line. Warm figures are per
 * transfer: wall time from curl's own `%{time_total}` of each transfer after the first, CPU as
 * the marginal cost of a transfer, (CPU of N transfers − CPU of 1) / (N − 1), both medians of
 * several processes.
 */
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { requireProgram } from '../test/fixtures/peers.js';
import { cpuMs, measureRuns, type Measured } from './rusage.js';
import { median } from './util.js';

export interface CurlTarget {
  readonly url: string;
  readonly username: string;
  readonly password: string;
  /** PEM file of the CA for https. */
  readonly caFile?: string;
}

/** Conditional GET for curl as well: `save` stores the ETag, `compare` sends If-None-Match. */
export interface CurlEtag {
  readonly file: string;
  readonly mode: 'save' | 'compare';
}

function quote(text: string): string {
  return `"${text.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

/** A curl config for `transfers` GETs of the target in one process. */
export function curlConfig(target: CurlTarget, transfers: number, etag?: CurlEtag): string {
  const block = [
    `user = ${quote(`${target.username}:${target.password}`)}`,
    'digest',
    'silent',
    'show-error',
    'fail',
    'write-out = "%{time_total}\\n"',
    ...(target.caFile ? [`cacert = ${quote(target.caFile)}`] : []),
    ...(etag ? [`etag-${etag.mode} = ${quote(etag.file)}`] : []),
    `url = ${quote(target.url)}`,
    'output = "/dev/null"',
  ].join('\n');
  return Array.from({ length: transfers }, () => block).join('\nnext\n') + '\n';
}

export interface CurlWarm {
  /** Median wall time of a transfer on a kept connection. */
  readonly wallMs: number;
  /** Marginal CPU of one more transfer in the same process. */
  readonly cpuMs: number;
  /** The processes of N transfers, as measured. */
  readonly processes: readonly Measured[];
}

export function curlProgram(): string {
  return requireProgram('curl', 'curl');
}

/** `runs` processes of one transfer each. */
export function curlCold(target: CurlTarget, runs: number, etag?: CurlEtag): Promise<Measured[]> {
  return measureRuns([curlProgram(), '-K', '-'], runs, curlConfig(target, 1, etag));
}

/** `runs` processes of `transfers` transfers each, and as many of one transfer for the marginal CPU. */
export async function curlWarm(target: CurlTarget, transfers: number, runs: number, etag?: CurlEtag): Promise<CurlWarm> {
  const processes = await measureRuns([curlProgram(), '-K', '-'], runs, curlConfig(target, transfers, etag));
  const single = await curlCold(target, runs, etag);
  const kept = processes.flatMap((p) =>
    p.stdout
      .trim()
      .split('\n')
      .slice(1)
      .map((seconds) => Number(seconds) * 1000),
  );
  return {
    wallMs: median(kept),
    cpuMs: (median(processes.map(cpuMs)) - median(single.map(cpuMs))) / (transfers - 1),
    processes,
  };
}

const COLD_FETCH = path.join(path.dirname(fileURLToPath(import.meta.url)), 'cold-fetch.js');

/** `runs` new Node processes, each one fetch with the real fetcher (bench/cold-fetch.ts), flags as the unit's. */
export function ourCold(target: CurlTarget, runs: number): Promise<Measured[]> {
  return measureRuns([process.execPath, '--enable-source-maps', COLD_FETCH], runs, JSON.stringify(target));
}
