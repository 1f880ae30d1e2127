import t from 'tap';
import { OWNED_PARAMS, canonicalName, hasLiteralSecrets, isSecretParam, maskRule, normaliseValue } from '../../daemon/params/index.js';
import { ProvisiondError } from '../../daemon/errors/index.js';

t.test('owned parameters carry the vendors\' defaults (DOMAIN.md §1.1, §1.9, §3.2)', async (t) => {
  const def = (n: string) => OWNED_PARAMS.get(n)?.default;
  t.equal(def('Provision_Enable'), 'Yes');
  t.equal(def('Resync_Random_Delay'), '2');
  t.equal(def('Resync_Periodic'), '3600');
  t.equal(def('Resync_At_Random_Delay'), '600');
  t.equal(def('Profile_Authentication_Type'), 'Basic Http Authentication');
  t.equal(def('Log_Resync_Failure_Msg'), '$PN $MAC -- Resync failed: $ERR');
  t.equal(def('BRAUTH'), '0');
  t.equal(def('TLSSRVRID'), '1');
  t.equal(def('GPP_P'), '');
  t.equal(def('EM_Login_State'), '');
});

t.test('MPP spellings are aliases of the SPA names', async (t) => {
  t.equal(canonicalName('Resync_At__HHmm_'), 'Resync_At');
  t.equal(canonicalName('Log_Request_Msg'), 'Log_Resync_Request_Msg');
  t.equal(canonicalName('Log_Success_Msg'), 'Log_Resync_Success_Msg');
  t.equal(canonicalName('Log_Failure_Msg'), 'Log_Resync_Failure_Msg');
  t.equal(canonicalName('Line_Enable_1_'), 'Line_Enable_1_');
  // A profile's names are its own: nothing on an object's prototype is an alias.
  for (const name of ['constructor', 'toString', '__proto__', 'hasOwnProperty']) t.equal(canonicalName(name), name);
});

t.test('secret parameters and rules with literal credentials are recognised', async (t) => {
  t.ok(isSecretParam('GPP_SA'));
  t.ok(isSecretParam('EM_Mobile_Password'));
  t.notOk(isSecretParam('GPP_A'));
  t.ok(hasLiteralSecrets('Profile_Rule', '[--uid bob --pwd x]https://s/p.xml'));
  t.ok(hasLiteralSecrets('Profile_Rule_D', '[--key $SA]/p.cfg'));
  t.notOk(hasLiteralSecrets('Profile_Rule', 'https://s/$MA.xml'));
  t.notOk(hasLiteralSecrets('GPP_A', '--pwd x'));
  t.ok(hasLiteralSecrets('Profile_Rule', '[--pwd"S3cret"]https://s/p.xml'), 'no space after the option: the rule parser accepts it');
  t.ok(hasLiteralSecrets('Profile_Rule', '[--pwd x --alias zz]https://s/p.xml'), 'a rule the parser refuses still counts');
  t.notOk(hasLiteralSecrets('Profile_Rule', '( $A eq "--pwd" )? https://s/p.xml'), 'an option name inside a quoted operand is no option');
});

t.test('masking follows the rule parser\'s tokens: whatever it accepts is masked (SPEC §4)', async (t) => {
  t.equal(maskRule('[--uid bob --pwd"S3cret"]https://s/p.xml'), '[--uid *** --pwd***]https://s/p.xml');
  t.equal(maskRule('[--pwd\tS3cret]https://s/p.xml'), '[--pwd\t***]https://s/p.xml');
  t.equal(maskRule('[ --key"k"--uid u]/p.cfg'), '[ --key***--uid ***]/p.cfg');
  t.equal(maskRule('[--pwd x --alias zz]https://s/p.xml'), '***', 'unparsable: masked whole');
  t.equal(maskRule('not ( a rule'), 'not ( a rule', 'unparsable without credentials: as it is');
  const { ruleSecrets } = await import('../../daemon/params/index.js');
  t.same(ruleSecrets('[--uid bob --pwd"S3cret"]https://s/p.xml'), ['S3cret']);
  t.same(ruleSecrets('[--pwd x --alias zz]https://s/p.xml'), ['[--pwd x --alias zz]https://s/p.xml']);
  t.same(ruleSecrets('not ( a rule'), []);
});

t.test('masking hides --uid, --pwd and --key arguments only', async (t) => {
  t.equal(maskRule('[--uid bob --pwd s3cret]https://s/p.xml'), '[--uid *** --pwd ***]https://s/p.xml');
  t.equal(maskRule('[--key "a b c" --alias a]/p.cfg'), '[--key *** --alias a]/p.cfg');
  t.equal(maskRule('( $EMS eq "mobile" )? [--uid $MUID$PDOM --pwd $MPWD]http://s/m.xml | [--uid u --pwd p]http://s/h.xml'),
    '( $EMS eq "mobile" )? [--uid *** --pwd ***]http://s/m.xml | [--uid *** --pwd ***]http://s/h.xml');
});

t.test('values of owned parameters are validated and normalised', async (t) => {
  t.equal(normaliseValue('Provision_Enable', 'yes'), 'Yes');
  t.equal(normaliseValue('Provision_Enable', 'false'), 'No');
  t.equal(normaliseValue('Resync_Random_Delay', ' 10 '), '10');
  t.equal(normaliseValue('Resync_Error_Retry_Delay', '1800+300, 3600+600,7200'), '1800+300,3600+600,7200');
  t.equal(normaliseValue('Profile_Authentication_Type', 'disabled'), 'Disabled');
  t.equal(normaliseValue('EM_Login_State', 'MOBILE'), 'mobile');
  t.equal(normaliseValue('Resync_At', 'whatever'), 'whatever', 'invalid Resync_At is kept and ignored by the scheduler');
  t.equal(normaliseValue('Unknown_Param', '  spaced  '), '  spaced  ');
  const cases: [string, string, RegExp][] = [
    ['Provision_Enable', 'maybe', /Provision_Enable expects Yes or No, found "maybe"/],
    ['Resync_Random_Delay', '-1', /expects a whole number from 0 to 65535/],
    ['Resync_Random_Delay', '70000', /from 0 to 65535/],
    ['Resync_Periodic', '1h', /expects seconds, or a list like/],
    ['BRAUTH', '2', /BRAUTH expects one of "0", "1"/],
  ];
  for (const [name, value, message] of cases) {
    const err = t.throws(() => normaliseValue(name, value)) as ProvisiondError;
    t.equal(err.code, 'param_invalid');
    t.match(err.message, message);
    t.equal(err.where?.path, name);
  }
  const secret = t.throws(() => normaliseValue('EM_Login_State', 'hunter2')) as ProvisiondError;
  t.match(secret.message, /found "hunter2"/, 'non-secret values are shown');
});

t.test('the literal passwords and keys of a rule are extracted for redaction, macros are not', async (t) => {
  const { ruleSecrets } = await import('../../daemon/params/index.js');
  t.same(ruleSecrets('( $A eq 1 )? [--uid bob --pwd s3cret --key "k e y"]https://s/p | [--pwd $MPWD --key ""]/x'), ['s3cret', 'k e y']);
});

t.test('typed reads by name: the value as the registry normalises it, else its default', async (t) => {
  const { readBool, readEnum, readInt, readSchedule, readText, defaultOf } = await import('../../daemon/params/index.js');
  const values: Record<string, string> = {
    Provision_Enable: 'no',
    Resync_Random_Delay: ' 7 ',
    Resync_Periodic: '600, 1200+30',
    Resync_Trigger_1: '',
    Profile_Authentication_Type: 'disabled',
  };
  const get = (name: string): string | undefined => values[name];
  t.equal(readBool(get, 'Provision_Enable'), false);
  t.equal(readInt(get, 'Resync_Random_Delay'), 7);
  t.equal(readSchedule(get, 'Resync_Periodic'), '600,1200+30');
  t.equal(readText(get, 'Resync_Trigger_1'), '', 'an empty text is a value');
  t.equal(readEnum(get, 'Profile_Authentication_Type'), 'Disabled');
  // Unset: the registry default.
  t.equal(readBool(get, 'Resync_On_Reset'), true);
  t.equal(readInt(get, 'Resync_At_Random_Delay'), 600);
  t.equal(readSchedule(get, 'Resync_Error_Retry_Delay'), defaultOf('Resync_Error_Retry_Delay'));
  t.equal(readText(get, 'Log_Resync_Failure_Msg'), '$PN $MAC -- Resync failed: $ERR');
  // A reader other than the store may hold what the registry refuses: the default then.
  const bad = (name: string): string | undefined => ({ Provision_Enable: 'maybe', Resync_Random_Delay: '70000', Resync_Periodic: 'hourly', BRAUTH: '2' })[name];
  t.equal(readBool(bad, 'Provision_Enable'), true);
  t.equal(readInt(bad, 'Resync_Random_Delay'), 2);
  t.equal(readSchedule(bad, 'Resync_Periodic'), '3600');
  t.equal(readEnum(bad, 'BRAUTH'), '0');
});
