/**
 * Wall time and CPU time (user + system, from the kernel's rusage of the exited child) of a
 * program, measured the same way for curl and for our own processes. Node cannot read a
 * child's rusage, so a small python3 (a peer the tests install) forks each run, waits for it
 * with `os.wait4` and prints one JSON line per run: wall, user and system milliseconds and
 * what the child wrote to stdout. What `input` holds (credentials for `curl -K -`) reaches
 * the child on stdin, never on a command line.
 */
import { execFile } from 'node:child_process';
import { requireProgram } from '../test/fixtures/peers.js';

export interface Measured {
  readonly wallMs: number;
  readonly userMs: number;
  readonly sysMs: number;
  readonly stdout: string;
}

const SCRIPT = String.raw`
import json, os, subprocess, sys, time
runs = int(sys.argv[1])
argv = sys.argv[2:]
data = sys.stdin.buffer.read()
for _ in range(runs):
    start = time.perf_counter()
    child = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    child.stdin.write(data)
    child.stdin.close()
    text = child.stdout.read()
    _pid, status, usage = os.wait4(child.pid, 0)
    wall = time.perf_counter() - start
    child.returncode = os.waitstatus_to_exitcode(status)
    if child.returncode != 0:
        sys.stderr.write("%s exited with %d\n" % (argv[0], child.returncode))
        sys.exit(1)
    print(json.dumps({"wallMs": wall * 1e3, "userMs": usage.ru_utime * 1e3, "sysMs": usage.ru_stime * 1e3, "stdout": text.decode()}))
`;

/** Runs `argv` `runs` times one after the other, each fed `input` on stdin. */
export function measureRuns(argv: readonly string[], runs: number, input = ''): Promise<Measured[]> {
  const python = requireProgram('python3', 'python3');
  return new Promise((resolve, reject) => {
    const child = execFile(python, ['-c', SCRIPT, String(runs), ...argv], { maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (err) return reject(new Error(`${argv[0]}: ${stderr || err.message}`));
      resolve(
        stdout
          .trim()
          .split('\n')
          .map((line) => JSON.parse(line) as Measured),
      );
    });
    child.stdin!.end(input);
  });
}

/** CPU milliseconds of one measured run. */
export function cpuMs(run: Measured): number {
  return run.userMs + run.sysMs;
}

/** This process's CPU milliseconds (user + system, every thread) spent in `action`. */
export async function ownCpuMs(action: () => Promise<unknown>): Promise<number> {
  const before = process.cpuUsage();
  await action();
  const used = process.cpuUsage(before);
  return (used.user + used.system) / 1000;
}
