/**
 * Reading the owned parameters through the registry and the real store (SPEC §3, DOMAIN §1.1
 * defaults) and the URL macros (DOMAIN §1.8).
 */
import t, { type Test } from 'tap';
import { ParamStore, defaultOf } from '../../daemon/params/index.js';
import { readSettings } from '../../daemon/resync/index.js';
import { Origin } from '../../daemon/origin/index.js';
import { urlVars } from '../../daemon/resync/vars.js';

const store = (t: Test, factory: Record<string, string> = {}): ParamStore => new ParamStore({ stateDir: t.testdir(), factory });

t.test('unset parameters take the registry defaults (DOMAIN §1.1, §1.9)', async (t) => {
  const params = store(t);
  t.same(readSettings((name) => params.get(name)), {
    provisionEnable: true,
    onReset: true,
    randomDelay: 2,
    periodic: '3600',
    errorRetryDelay: '60,120,240,480,960,1920,3840,7680,15360,30720,61440,86400',
    at: '',
    atRandomDelay: 600,
    triggers: [],
    accountEnabled: true,
    messages: {
      request: defaultOf('Log_Resync_Request_Msg'),
      success: defaultOf('Log_Resync_Success_Msg'),
      failure: defaultOf('Log_Resync_Failure_Msg'),
    },
  });
  t.same(readSettings(() => undefined), readSettings((name) => params.get(name)), 'a reader without the store reads the same defaults');
});

t.test('the MPP spellings are the same parameters (the store resolves them)', async (t) => {
  const params = store(t, { Resync_At: '0300', Log_Request_Msg: 'mpp request' });
  t.equal(readSettings((name) => params.get(name)).at, '0300');
  await params.setLocal([{ name: 'Resync_At__HHmm_', value: '0400' }]);
  const settings = readSettings((name) => params.get(name));
  t.equal(settings.at, '0400');
  t.equal(settings.messages.request, 'mpp request');
});

t.test('triggers: set ones in order, a # comment reads as unset', async (t) => {
  const params = store(t, { Resync_Trigger_1: '# $PRVTMR ge 600', Resync_Trigger_2: ' $PRVTMR ge 60 ' });
  t.same(readSettings((name) => params.get(name)).triggers, [{ name: 'Resync_Trigger_2', expression: '$PRVTMR ge 60' }]);
});

t.test('Profile_Authentication_Type=Disabled turns the account off, in any case', async (t) => {
  t.equal(readSettings((name) => store(t, { Profile_Authentication_Type: 'disabled' }).get(name)).accountEnabled, false);
  t.equal(readSettings((name) => store(t, { Profile_Authentication_Type: 'Basic Http Authentication' }).get(name)).accountEnabled, true);
});

t.test('URL macros resolve default ports, drop IPv6 brackets and show the path as it is sent', async (t) => {
  const at = (url: string) => ({ origin: Origin.of(url), path: new URL(url).pathname, url });
  t.same(urlVars(at('http://Prov.Example/p.cfg'), '192.0.2.1'), { SCHEME: 'http', METH: 'http', SERV: 'prov.example', SERVIP: '192.0.2.1', PORT: '80', PATH: '/p.cfg' });
  t.match(urlVars(at('https://[2001:db8::1]/a b.cfg?x=1#f'), '2001:db8::1'), { SERV: '2001:db8::1', PORT: '443', PATH: '/a%20b.cfg?x=1' });
});
