import t from 'tap';
import { Origin } from '../../daemon/origin/index.js';
import { keyId } from '../../daemon/vault/index.js';
import { normalizeKey } from '../../daemon/vault/record.js';

t.test('an origin read back from a file is spelled one way; a malformed one names its JSON path', async (t) => {
  const key = normalizeKey({ purpose: 'backup-restore', origin: { scheme: 'HTTPS', host: 'A.B', port: 1 } });
  t.ok(key.origin?.equals(Origin.of('https://a.b:1/')));
  t.throws(() => normalizeKey({ purpose: 'backup-restore', origin: null }), { code: 'vault_invalid_record', where: { path: '$.origin' } });
  t.throws(() => normalizeKey({ purpose: 'backup-restore', origin: { scheme: 1, host: 'h', port: 1 } }), { code: 'vault_invalid_record', where: { path: '$.origin.scheme' } });
  t.throws(() => normalizeKey({ purpose: 'backup-restore', origin: { scheme: 'https', host: 1, port: 1 } }), { code: 'vault_invalid_record', where: { path: '$.origin.host' } });
  t.throws(() => normalizeKey({ purpose: 'backup-restore', origin: { scheme: 'https', host: 'h', port: '443' } }), { code: 'vault_invalid_record', where: { path: '$.origin.port' } });
});

t.test('the key id tells apart what the vault tells apart', async (t) => {
  t.equal(keyId({ purpose: 'profile-account' }), '["profile-account",null,null,null,null,null]');
  t.not(keyId({ purpose: 'gpp-secret', name: 'GPP_SA' }), keyId({ purpose: 'gpp-secret', realm: 'GPP_SA' }));
  t.equal(
    keyId({ purpose: 'backup-restore', origin: Origin.of('https://h/'), realm: 'r' }),
    '["backup-restore","https","h",443,"r",null]',
  );
  t.equal(
    keyId({ purpose: 'backup-restore', origin: Origin.of('https://[2001:DB8::1]:8443/'), realm: 'r' }),
    '["backup-restore","https","2001:db8::1",8443,"r",null]',
    'IPv6 without brackets, as vault files written before the Origin type spell it',
  );
});
