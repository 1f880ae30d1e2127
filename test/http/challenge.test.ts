import t from 'tap';
import { MAX_CHALLENGE_CHARS, parseChallenges } from '../../daemon/http/challenge.js';

const params = (header: string | string[], index = 0) => Object.fromEntries(parseChallenges(Array.isArray(header) ? header : [header])[index]?.params ?? []);

t.test('several challenges in one header and across headers are found (curl tests 76, 1204)', async (t) => {
  const list = parseChallenges(['X-MobileMe-AuthToken realm="Newcastle", Basic realm="fun fun  fun"', 'Digest realm="d",nonce=abc,qop="auth,auth-int"']);
  t.same(
    list.map((c) => c.scheme),
    ['x-mobileme-authtoken', 'basic', 'digest'],
  );
  t.same(params(['Digest realm="d",nonce=abc,qop="auth,auth-int"']), { realm: 'd', nonce: 'abc', qop: 'auth,auth-int' });
  t.same(
    parseChallenges(['Basic, Wild-and-crazy, NTLM']).map((c) => c.scheme),
    ['basic', 'wild-and-crazy', 'ntlm'],
  );
});

t.test('quoted strings keep escaped quotes and spaces; names are case-insensitive; spaces around = are allowed', async (t) => {
  t.same(params('Digest REALM = "My \\"Cool\\" Realm" , Nonce="a b"'), { realm: 'My "Cool" Realm', nonce: 'a b' });
});

t.test('token68 credentials and empty values do not break parsing', async (t) => {
  const list = parseChallenges(['Negotiate abc==, Basic realm=""']);
  t.same(
    list.map((c) => c.scheme),
    ['negotiate', 'basic'],
  );
  t.same(params('Basic realm=""', 0), { realm: '' });
});

t.test('an empty header gives no challenge; thousands of commas are skipped in linear time', async (t) => {
  t.same(parseChallenges([]), []);
  t.same(parseChallenges([',,, ,']), []);
  t.same(params(`Digest ${','.repeat(MAX_CHALLENGE_CHARS - 40)}realm="r"`), { realm: 'r' });
});

t.test('malformed challenges are typed errors, never another exception', async (t) => {
  const bad = [
    'Digest realm="unterminated',
    'Digest realm="ends with backslash\\',
    'Digest realm="line\nbreak"',
    'Digest realm=@',
    'Digest realm="r" nonce="n"',
    '=broken',
    'x'.repeat(MAX_CHALLENGE_CHARS + 1),
    Array.from({ length: 17 }, (_, i) => `S${i}`).join(', '),
    `Digest ${Array.from({ length: 33 }, (_, i) => `p${i}=1`).join(', ')}`,
  ];
  for (const header of bad) t.throws(() => parseChallenges([header]), { code: 'auth_challenge_invalid' }, header.slice(0, 40));
});

t.test('duplicated parameters beyond the cap replace rather than count', async (t) => {
  const header = `Digest ${Array.from({ length: 32 }, (_, i) => `p${i}=1`).join(', ')}, p0=2`;
  t.equal(params(header).p0, '2');
});
