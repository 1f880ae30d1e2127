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
import { shortTempDir } from '../fixtures/local.js';

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

t.test('with the daemon reachable, its device facts and parameters (EM state included) answer', async (t) => {
  const { startApp } = await import('../fixtures/app.js');
  const { app, socket } = await startApp(t, { socket: true, parameters: { EM_Enable: 'Yes', EM_User_Domain: '@corp' }, hardware: { mac: '00:0e:08:de:30:07', serial: 'FCH0001', model: 'SPA942' } });
  await app.params.setLocal([{ name: 'EM_Login_State', value: 'mobile' }, { name: 'EM_Mobile_User_ID', value: 'alice' }]);
  const run = memoryIo('', { env: { PROVISIOND_CONFIG: path.join(t.testdir(), 'absent.json') } });
  const code = await runCli(['--socket', socket, 'rule', 'eval', '($EMS eq "mobile")? [--uid $MUID$PDOM] https://prov.test/em/$MA-$SN.xml | https://prov.test/$MA.xml'], { ...run.io, probe: async () => ({ mac: '02:00:00:00:00:99' }) });
  t.equal(code, 0);
  t.match(run.stdout(), /GET https:\/\/prov\.test\/em\/000e08de3007-FCH0001\.xml\n {2}--uid alice@corp/, 'the daemon\'s facts and EM state, not the hardware probe');
  t.match(run.stderr(), /evaluating with the facts and parameters of the daemon at /);
  const overridden = memoryIo('', { env: {} });
  await runCli(['--socket', socket, 'rule', 'eval', '($EMS eq "mobile")? https://prov.test/em.xml | https://prov.test/host.xml', '--param', 'EM_Login_State=host'], overridden.io);
  t.match(overridden.stdout(), /GET https:\/\/prov\.test\/host\.xml/, '--param wins over the daemon\'s value');
});

t.test('a daemon that refuses, or never says hello, is not waited for: the answer is offline', async (t) => {
  const { harnessFor } = await import('../fixtures/display/harness.js');
  const { ProvisiondError } = await import('../../daemon/errors/index.js');
  const h = await harnessFor(t);
  h.backend.failWith = new ProvisiondError('internal_error', 'not now');
  const env = { PROVISIOND_CONFIG: path.join(t.testdir(), 'absent.json') };
  const refused = memoryIo('', { env });
  t.equal(await runCli(['--socket', h.socketPath, 'rule', 'eval', 'https://prov.test/$MA.xml'], { ...refused.io, probe: async () => ({ mac: '02:00:00:00:00:42' }) }), 0);
  t.match(refused.stdout(), /GET https:\/\/prov\.test\/020000000042\.xml/, 'the hardware answers');
  t.notMatch(refused.stderr(), /evaluating with/);

  const { createServer } = await import('node:net');
  const silent = path.join(shortTempDir(t, 'pvd-silent-'), 'silent.sock');
  const held: import('node:net').Socket[] = [];
  const server = createServer((socket) => held.push(socket));
  await new Promise<void>((resolve) => server.listen(silent, resolve));
  t.teardown(() => {
    for (const socket of held) socket.destroy();
    server.close();
  });
  const waited = memoryIo('', { env });
  t.equal(await runCli(['--socket', silent, 'rule', 'eval', 'https://prov.test/$MA.xml'], { ...waited.io, probe: async () => ({ mac: '02:00:00:00:00:43' }) }), 0);
  t.match(waited.stdout(), /020000000043\.xml/, 'after the wait, offline');
});
