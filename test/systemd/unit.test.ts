import t from 'tap';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { requireProgram } from '../fixtures/peers.js';

const ROOT = path.join(import.meta.dirname, '..', '..');
const UNIT = path.join(ROOT, 'systemd', 'provisiond.service');

t.test('the unit is Type=notify with a watchdog, its directories, the vault key credential, and never MemoryDenyWriteExecute', async (t) => {
  const unit = readFileSync(UNIT, 'utf8');
  for (const line of ['Type=notify', 'NotifyAccess=all', 'StateDirectory=provisiond', 'RuntimeDirectory=provisiond', 'ConfigurationDirectory=provisiond', 'LoadCredential=vault.key:provisiond.vault.key', 'RestartPreventExitStatus=78', 'User=provisiond', 'LimitCORE=0']) {
    t.match(unit, new RegExp(`^${line.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`, 'm'), line);
  }
  t.match(unit, /^WatchdogSec=\d+s$/m);
  t.notMatch(unit, /^MemoryDenyWriteExecute=yes/m, 'V8 needs W+X pages');
  t.match(unit, /^ExecStart=\/usr\/bin\/node .*dist\/daemon\/main\.js/m, 'compiled JavaScript, not a TypeScript runner');
  t.match(readFileSync(path.join(ROOT, 'systemd', 'provisiond.sysusers'), 'utf8'), /^u provisiond /m);
  // display.socketGroup: the daemon gives its socket to phonetech, so it must be a member of
  // it, and a private user namespace would leave that group unmapped.
  t.match(readFileSync(path.join(ROOT, 'systemd', 'provisiond.sysusers'), 'utf8'), /^m provisiond phonetech$/m);
  t.match(unit, /^SupplementaryGroups=phonetech$/m);
  t.notMatch(unit, /^PrivateUsers=(yes|true|1|on)/m);
});

t.test('systemd-analyze rates the unit\'s exposure 2.5 or lower', async (t) => {
  const analyze = requireProgram('systemd-analyze', 'systemd');
  const out = execFileSync(analyze, ['security', '--offline=yes', '--no-pager', UNIT], { encoding: 'utf8' });
  const score = Number(/Overall exposure level for provisiond\.service: ([\d.]+)/.exec(out)?.[1]);
  t.ok(score <= 2.5, `exposure ${score}`);
});
