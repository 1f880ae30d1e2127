/**
 * `provisionctl rule eval` answers about this phone (SPEC §8, issue 13): the device macros come
 * from the settings file's device facts over the hardware's, the EM macros from parameters
 * given by their real names, and the URL is printed as the rule would request it.
 */
import t from 'tap';
import { writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { runCli } from '../../daemon/cli/index.js';
import type { HardwareFacts } from '../../daemon/device/index.js';
import { memoryIo } from '../fixtures/display/fake-daemon.js';

const EM_RULE = '("$EMS" eq "mobile" and "$MUID" ne "" and "$MPWD" ne "") ? [--uid $MUID$PDOM --pwd $MPWD] https://prov.test/em/$MA.xml | https://prov.test/host/$MA-$SN-$PN.xml';

async function ruleEval(args: string[], env: Record<string, string>, hardware: HardwareFacts = {}) {
  const run = memoryIo('', { env });
  const code = await runCli(['--socket', '/nonexistent.sock', 'rule', 'eval', ...args], { ...run.io, probe: async () => hardware });
  return { code, stdout: run.stdout(), stderr: run.stderr() };
}

t.test('the settings file\'s device facts fill $MA, $SN and $PN; no :443 is added', async (t) => {
  const dir = t.testdir();
  const config = path.join(dir, 'provisiond.json');
  writeFileSync(config, JSON.stringify({ stateDir: path.join(dir, 'state'), device: { mac: '00:0E:08:DE:30:01', serial: 'CBT12345', model: 'SPA942' } }));
  const out = await ruleEval([EM_RULE], { PROVISIOND_CONFIG: config }, { mac: '02:00:00:00:00:99', serial: 'HW', model: 'Hardware' });
  t.equal(out.code, 0);
  t.match(out.stdout, /^GET https:\/\/prov\.test\/host\/000e08de3001-CBT12345-SPA942\.xml$/m, 'the settings win over the hardware');
});

t.test('without a settings file the hardware answers', async (t) => {
  const out = await ruleEval(['https://prov.test/$MA-$PN.xml'], { PROVISIOND_CONFIG: path.join(t.testdir(), 'absent.json') }, { mac: '02:00:00:00:00:99', model: 'J179' });
  t.same(out, { code: 0, stdout: 'rule: https://prov.test/$MA-$PN.xml\nalternative 1 of 1 chosen\nGET https://prov.test/020000000099-J179.xml\n', stderr: '' });
});

t.test('a broken settings file is named, and the hardware answers', async (t) => {
  const config = path.join(t.testdir(), 'broken.json');
  writeFileSync(config, '{ "stateDir": ');
  const out = await ruleEval(['https://prov.test/$MA.xml'], { PROVISIOND_CONFIG: config }, { mac: '02:00:00:00:00:98' });
  t.equal(out.code, 0);
  t.match(out.stderr, /^provisionctl: .*broken\.json.*; using the hardware's facts\n$/);
  t.match(out.stdout, /GET https:\/\/prov\.test\/020000000098\.xml/);
});

t.test('--param sets parameters by their real names, and the EM macros follow them', async (t) => {
  const env = { PROVISIOND_CONFIG: path.join(t.testdir(), 'absent.json') };
  const mobile = await ruleEval([EM_RULE, '--param', 'EM_Login_State=mobile', '--param', 'EM_Mobile_User_ID=alice', '--param', 'EM_Mobile_Password=Zq9-Secret', '--param', 'EM_User_Domain=@corp'], env, { mac: '02:00:00:00:00:01' });
  t.equal(mobile.code, 0);
  t.match(mobile.stdout, /GET https:\/\/prov\.test\/em\/020000000001\.xml\n {2}--uid alice@corp --pwd \*\*\*/, 'EM_Login_State feeds $EMS, EM_Mobile_Password $MPWD');
  t.notMatch(mobile.stdout, /Zq9/, 'the password is masked');
  const host = await ruleEval([EM_RULE, '--param', 'EM_Login_State=host'], env, { mac: '02:00:00:00:00:01' });
  t.match(host.stdout, /alternative 2 of 2 chosen/);
});
