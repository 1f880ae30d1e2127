import t from 'tap';
import { basicAuthorization } from '../../daemon/http/basic.js';

t.test('RFC 7617 vectors (DOMAIN.md §5, RELIABILITY.md §3.5)', async (t) => {
  t.equal(basicAuthorization('Aladdin', 'open sesame'), 'Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==');
  t.equal(basicAuthorization('test', '123\u00a3'), 'Basic dGVzdDoxMjPCow==', 'UTF-8, not Latin-1');
  t.equal(basicAuthorization('aladdin', 'open:sesame'), 'Basic YWxhZGRpbjpvcGVuOnNlc2FtZQ==');
});

t.test('the Avaya call-server credential (DOMAIN.md §3.4) is the IP as user-id', async (t) => {
  t.equal(basicAuthorization('192.168.1.10', '123456'), 'Basic MTkyLjE2OC4xLjEwOjEyMzQ1Ng==');
});

t.test('both parts are NFC-normalised', async (t) => {
  t.equal(basicAuthorization('e\u0301', 'x'), basicAuthorization('\u00e9', 'x'));
});

t.test('a colon in the user-id or a control character is refused', async (t) => {
  t.throws(() => basicAuthorization('a:b', 'p'), { code: 'credentials_invalid' });
  t.throws(() => basicAuthorization('a', 'p\n'), { code: 'credentials_invalid' });
  t.throws(() => basicAuthorization('a\u007f', 'p'), { code: 'credentials_invalid' });
});
