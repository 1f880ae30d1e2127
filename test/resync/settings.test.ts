/**
 * Reading the owned parameters (SPEC §3, DOMAIN §1.1 defaults) and the URL macros (DOMAIN §1.8).
 */
import t from 'tap';
import { DEFAULT_MESSAGES, readSettings } from '../../daemon/resync/index.js';
import { yes } from '../../daemon/resync/settings.js';
import { Origin } from '../../daemon/origin/index.js';
import { urlVars } from '../../daemon/resync/vars.js';

t.test('unset parameters take the vendor defaults (DOMAIN §1.1, §1.9)', async (t) => {
  t.same(readSettings(() => undefined), {
    provisionEnable: true,
    onReset: true,
    randomDelay: '2',
    periodic: '3600',
    errorRetryDelay: '3600',
    at: '',
    atRandomDelay: '600',
    failsOnFnf: true,
    triggers: [],
    rules: [
      { name: 'Profile_Rule', rule: '' },
      { name: 'Profile_Rule_B', rule: '' },
      { name: 'Profile_Rule_C', rule: '' },
      { name: 'Profile_Rule_D', rule: '' },
    ],
    accountEnabled: true,
    messages: DEFAULT_MESSAGES,
  });
});

t.test('a set Resync_At__HHmm_ wins over Resync_At; an empty one does not', async (t) => {
  const values: Record<string, string> = { Resync_At: '0300', Resync_At__HHmm_: ' ' };
  t.equal(readSettings((name) => values[name]).at, '0300');
  values.Resync_At__HHmm_ = '0400';
  t.equal(readSettings((name) => values[name]).at, '0400');
});

t.test('Cisco booleans read Yes/No, 1/0 and true/false; anything else keeps the default', async (t) => {
  for (const text of ['Yes', 'yes', '1', 'true', ' TRUE ']) t.equal(yes(text, false), true, text);
  for (const text of ['No', 'no', '0', 'false']) t.equal(yes(text, true), false, text);
  t.equal(yes('maybe', true), true);
  t.equal(yes(undefined, false), false);
});

t.test('Profile_Authentication_Type=Disabled turns the account off, in any case', async (t) => {
  t.equal(readSettings((name) => (name === 'Profile_Authentication_Type' ? 'disabled' : undefined)).accountEnabled, false);
  t.equal(readSettings((name) => (name === 'Profile_Authentication_Type' ? 'Basic Http Authentication' : undefined)).accountEnabled, true);
});

t.test('URL macros resolve default ports, drop IPv6 brackets and show the path as it is sent', async (t) => {
  const at = (url: string) => ({ origin: Origin.of(url), path: new URL(url).pathname, url });
  t.same(urlVars(at('http://Prov.Example/p.cfg'), '192.0.2.1'), { SCHEME: 'http', METH: 'http', SERV: 'prov.example', SERVIP: '192.0.2.1', PORT: '80', PATH: '/p.cfg' });
  t.match(urlVars(at('https://[2001:db8::1]/a b.cfg?x=1#f'), '2001:db8::1'), { SERV: '2001:db8::1', PORT: '443', PATH: '/a%20b.cfg?x=1' });
});
