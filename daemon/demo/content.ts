/**
 * What the demo provisioning server hands out (pure text, no I/O): a Cisco-style flat profile
 * and an Avaya 46xxsettings script, both written in the vendors' own syntax (DOMAIN.md §1.6
 * flat profile, §3.1 settings script), so a newcomer sees both models applied by one resync.
 */

/** The Cisco flat profile for `/cisco/$MA.xml`; `origin` is the demo server's `https://…`. */
export function ciscoProfile(origin: string): string {
  const values: readonly (readonly [string, string])[] = [
    ['Station_Name', 'Demo Reception'],
    // Two hours (the default is one), so the change shows in `provisionctl status`.
    ['Resync_Periodic', '7200'],
    // Rule B runs after rule A in the same resync (SPEC §4): the Avaya script.
    ['Profile_Rule_B', `${origin}/avaya/46xxsettings.txt`],
    ['Display_Name_1_', 'Reception'],
    ['User_ID_1_', '2001'],
    ['Proxy_1_', '127.0.0.1'],
    ['Register_Expires_1_', '3600'],
  ];
  return `<flat-profile>\n${values.map(([name, value]) => `  <${name}>${value}</${name}>`).join('\n')}\n</flat-profile>\n`;
}

/**
 * The Avaya script for `/avaya/46xxsettings.txt`. `IF $MODEL4 …` is the usual IP Office
 * ladder (DOMAIN.md §3.1 [IPO-46xx]); `IF $GROUP …` tests a value the script itself SET,
 * which the script language sees, so the jump to `# RECEPTION` is taken on any model.
 */
export function avayaScript(origin: string): string {
  return [
    '## 46xxsettings.txt served by the provisiond demo',
    'SET GROUP 1',
    'IF $MODEL4 SEQ 9608 GOTO DESK9608',
    'IF $GROUP SEQ 1 GOTO RECEPTION',
    'GOTO END',
    '# DESK9608',
    'SET SCREENSAVERON 240',
    'GOTO END',
    '# RECEPTION',
    // The extension comes from registration (`provisionctl register`), as on the phone; the
    // call server in use is the first MCIPADD entry (its credential goes with every backup).
    'SET MCIPADD 127.0.0.1',
    `SET BRURI ${origin}/backup/`,
    'SET BRAUTH 1',
    'SET DSCPAUD 46',
    '# END',
    '',
  ].join('\n');
}
