/** The demo's welcome text (pure): where to look, what to type, what to try. */

export interface BannerFacts {
  /** The display page with its token in the fragment. */
  readonly pageUrl: string;
  /** The fleet view (every phone on the broker) with its token in the fragment. */
  readonly fleetUrl: string;
  readonly user: string;
  readonly password: string;
  readonly realm: string;
  readonly serverOrigin: string;
  readonly socketPath: string;
  /** The provisionctl program as a command (`node …/dist/daemon/cli/main.js`). */
  readonly provisionctl: string;
  readonly mqttPort: number;
  readonly topicPrefix: string;
  readonly demoDir: string;
  /** Where the demo server keeps the backups it is sent. */
  readonly backupDir: string;
  /** Set when the requested display port was taken and another was picked. */
  readonly portNote?: string;
}

export function banner(f: BannerFacts): string {
  const ctl = `provisionctl --socket ${f.socketPath}`;
  const lines = [
    '',
    '=== provisiond demo ===========================================================',
    ...(f.portNote === undefined ? [] : [f.portNote]),
    `Open the phone's display page:   ${f.pageUrl}`,
    `and the fleet view (dashboard):  ${f.fleetUrl}`,
    '',
    `The first resync meets the Digest realm "${f.realm}" at ${f.serverOrigin}`,
    'and the page asks for a Profile Account. Type:',
    `    user      ${f.user}`,
    `    password  ${f.password}`,
    'The resync then applies the Cisco profile and the Avaya 46xxsettings script.',
    '',
    'Try, in another terminal:',
    `    alias provisionctl='${f.provisionctl}'`,
    `    ${ctl} status`,
    `    ${ctl} resync --wait     (once answered: unchanged, the server says 304)`,
    `    ${ctl} params Station_Name`,
    `    ${ctl} events --follow`,
    `    mosquitto_sub -h 127.0.0.1 -p ${f.mqttPort} -t '${f.topicPrefix}/#' -v`,
    `    provisionctl dashboard --mqtt mqtt://127.0.0.1:${f.mqttPort} --prefix ${f.topicPrefix} --listen 127.0.0.1:8091 --commands`,
    '',
    `Avaya backup and restore (the script set BRURI to ${f.serverOrigin}/backup/):`,
    `    ${ctl} register 2001     (as at an Avaya login: type any registration password)`,
    `    ${ctl} set ABKNAME001=Alice ABKNUMBER001=2002`,
    `    ${ctl} backup --wait     (the page asks for HTTP Authentication: the same user and password)`,
    `    ls ${f.backupDir}        (2001_96xxdata.txt, UTF-16LE with BOM)`,
    `    ${ctl} unset ABKNAME001 && ${ctl} restore --wait     (Alice comes back)`,
    'or press the Backup and Restore softkeys on the page.',
    '',
    `Throw-away state: ${f.demoDir} (removed on exit). Ctrl-C stops everything.`,
    '===============================================================================',
    '',
  ];
  return lines.join('\n');
}
