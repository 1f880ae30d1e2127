import t from 'tap';
import { keyId, normalizeOrigin, originOf } from '../../daemon/vault/index.js';

t.test('the origin of a URL fills in the default port of its scheme', async (t) => {
  t.same(originOf('https://Prov.Example.com/cfg/$MA.xml'), { scheme: 'https', host: 'prov.example.com', port: 443 });
  t.same(originOf('http://10.0.0.5/'), { scheme: 'http', host: '10.0.0.5', port: 80 });
  // Cisco rules may name a TFTP server (DOMAIN.md §1): tftp://host/file.
  t.same(originOf(new URL('tftp://tftp.example.com/spa.cfg')), { scheme: 'tftp', host: 'tftp.example.com', port: 69 });
  t.same(originOf('https://[2001:db8::1]:8443/x'), { scheme: 'https', host: '2001:db8::1', port: 8443 });
});

t.test('a URL whose scheme has no known default port must name one', async (t) => {
  t.same(originOf('mqtts://broker:8883'), { scheme: 'mqtts', host: 'broker', port: 8883 });
  t.throws(() => originOf('gopher://old.example.com/'), { code: 'vault_invalid_record', where: { path: '$.origin.port' } });
});

t.test('an origin is spelled one way', async (t) => {
  t.same(normalizeOrigin({ scheme: 'HTTPS', host: 'A.B', port: 1 }), { scheme: 'https', host: 'a.b', port: 1 });
  t.throws(() => normalizeOrigin(null), { code: 'vault_invalid_record', where: { path: '$.origin' } });
});

t.test('the key id tells apart what the vault tells apart', async (t) => {
  t.equal(keyId({ purpose: 'profile-account' }), '["profile-account",null,null,null,null,null]');
  t.not(keyId({ purpose: 'gpp-secret', name: 'GPP_SA' }), keyId({ purpose: 'gpp-secret', realm: 'GPP_SA' }));
  t.equal(
    keyId({ purpose: 'backup-restore', origin: { scheme: 'https', host: 'h', port: 443 }, realm: 'r' }),
    '["backup-restore","https","h",443,"r",null]',
  );
});
