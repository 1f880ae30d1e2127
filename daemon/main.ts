#!/usr/bin/env node
/**
 * `provisiond [--config FILE] [--demo]` (SPEC §1–2, §9). Exit codes: 0 after a clean stop,
 * 64 for a usage error, 78 (EX_CONFIG) for invalid settings, 1 when start-up failed.
 */
import { runDaemon } from './app/run.js';
import { runDemo } from './demo/index.js';

process.exitCode = await runDaemon(process.argv.slice(2), process.env, process, runDemo);
