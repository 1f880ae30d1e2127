#!/usr/bin/env node
/**
 * `provisiond [--config FILE] [--demo]` (SPEC §1–2, §9). Exit codes: 0 after a clean stop,
 * 64 for a usage error, 78 (EX_CONFIG) for invalid settings, 1 when start-up failed.
 */
import { setFlagsFromString } from 'node:v8';
import type { DemoRunner } from './app/run.js';

/**
 * The young generation stays at its first 1 MiB semi-space instead of growing to 8 MiB while
 * start-up allocates: a phone's idle RSS is about 3 MiB lower, and a daemon that allocates
 * little at run time scavenges a 1 MiB space cheaply (measured: new space 8 → 2 MiB). Set
 * here, before the daemon's modules load, because the unit's flags do not reach a daemon
 * started by hand; `--semi-space-growth-factor` is one of the V8 flags read at each scavenge.
 */
setFlagsFromString('--semi-space-growth-factor=1');
/**
 * TurboFan is off while the daemon starts: start-up runs most code once, and optimising the
 * module loader's and the settings parser's warm functions left about 4 MiB of RSS behind
 * (measured). Once READY is sent it is back on for whatever the running phone makes hot.
 */
setFlagsFromString('--no-opt');
const { runDaemon } = await import('./app/run.js');

const HELP = `NAME
  provisiond - the phone's provisioning daemon

SYNOPSIS
  provisiond [--config FILE]
  provisiond --demo
  provisiond --help

DESCRIPTION
  Keeps the phone's configuration in step with its provisioning servers (profile rules,
  XML flat profiles, Avaya 46xxsettings scripts), keeps credentials in an encrypted vault,
  and reports events over MQTT and the local socket that provisionctl(1) talks to. It runs
  under systemd (provisiond.service, Type=notify) and logs to stderr with <N> priorities.

OPTIONS
  --config FILE  the settings file (JSON, never written by the daemon)
  --demo         the whole product on one machine, with its own servers (a source checkout
                 only: the installed package leaves the demo out)
  --help         this text

ENVIRONMENT
  PROVISIOND_CONFIG      the settings file when --config is not given
  CREDENTIALS_DIRECTORY  set by systemd LoadCredential=; vault.key in it is the vault key

FILES
  /etc/provisiond/provisiond.json          settings (default)
  /etc/provisiond/certs/avaya/             trust anchors (the Avaya Product Root CA)
  /etc/credstore/provisiond.vault.key      the vault key, passed by the unit
  /var/lib/provisiond/                     state: parameters, vault, outbox
  /run/provisiond/display.sock             the local socket (group phonetech)

EXIT STATUS
  0 clean stop (SIGTERM, SIGINT), 1 start-up failed, 64 usage error, 78 invalid settings

SEE ALSO
  provisionctl --help, /usr/share/doc/provisiond/README.md`;

const argv = process.argv.slice(2);
if (argv.includes('--help') || argv.includes('-h')) {
  process.stdout.write(HELP + '\n');
} else {
  const demo = argv.includes('--demo');
  // The demo is no idle phone: its code is optimised from the start.
  if (demo) setFlagsFromString('--opt');
  process.exitCode = await runDaemon(argv, process.env, process, demo ? await loadDemo() : undefined, () => setFlagsFromString('--opt'));
}

/**
 * The demo and its broker (aedes, a dev dependency) are imported only for --demo: the installed
 * package leaves both out (packaging/build.sh), and runDaemon says so when no runner comes.
 */
async function loadDemo(): Promise<DemoRunner | undefined> {
  try {
    return (await import('./demo/index.js')).runDemo;
  } catch (err) {
    process.stderr.write(`<3>the demo is not installed here (${(err as Error).message})\n`);
    return undefined;
  }
}
