#!/usr/bin/env node
/** provisionctl entry (package.json `bin`, compiled to dist/daemon/cli/main.js). */
import { runCli } from './run.js';

const interrupted = new AbortController();
process.once('SIGINT', () => interrupted.abort());
process.exitCode = await runCli(process.argv.slice(2), {
  stdin: process.stdin,
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
  signal: interrupted.signal,
});
