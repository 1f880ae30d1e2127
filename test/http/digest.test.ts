import t from 'tap';
import { parseChallenges } from '../../daemon/http/challenge.js';
import { computeDigest, digestAuthorization, hashHex, readAlgorithm, readDigestChallenge, strongestDigest, type DigestChallenge } from '../../daemon/http/digest.js';

function challenge(header: string): DigestChallenge {
  const parsed = parseChallenges([header]);
  const digest = parsed[0] && readDigestChallenge(parsed[0]);
  if (!digest) throw new Error('no digest challenge');
  return digest;
}

// RFC 7616 §3.9.1 inputs (DOMAIN.md §4.4, RELIABILITY.md §3.1, §3.3).
const RFC7616 = {
  username: 'Mufasa',
  password: 'Circle of Life',
  method: 'GET',
  uri: '/dir/index.html',
  cnonce: 'f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ',
  nc: 1,
};
const header7616 = (algorithm: string, extra = '') =>
  `Digest realm="http-auth@example.org", qop="auth, auth-int", algorithm=${algorithm}, nonce="7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v", opaque="FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS"${extra}`;

t.test('RFC 7616 §3.9.1 vectors for MD5 and SHA-256 are reproduced', async (t) => {
  const md5 = computeDigest({ ...RFC7616, challenge: challenge(header7616('MD5')) });
  t.equal(md5.ha1, '3d78807defe7de2157e2b0b6573a855f');
  t.equal(md5.ha2, '39aff3a2bab6126f332b942af96d3366');
  t.equal(md5.response, '8ca523f5e9506fed4657c9700eebdbec');
  const sha = computeDigest({ ...RFC7616, challenge: challenge(header7616('SHA-256')) });
  t.equal(sha.ha1, '7987c64c30e25f1b74be53f966b49b90f2808aa92faf9a00262392d7b4794232');
  t.equal(sha.response, '753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1');
  t.equal(sha.nc, '00000001');
});

t.test('derived vectors for -sess, auth-int and no-qop forms match RELIABILITY.md §3.3', async (t) => {
  const cases: [string, string, string][] = [
    ['SHA-512-256', '', '430d05014cecc49cab6fbe03176d41a1da86cbfe24a16580e22aaad928d960d0'],
    ['MD5-sess', '', 'e783283f46242139c486a698fec7211d'],
    ['SHA-256-sess', '', '2fd51b3a77ad75bad6afad6003e818d767133c46d9e2749e7f5232ae1ea3efd7'],
    ['SHA-512-256-sess', '', '3f2a34f923c38b0fb26dce2fdfc2ce326c23cecf86fbb1444f3e51fbbc2cb92e'],
  ];
  for (const [algorithm, extra, expected] of cases) {
    t.equal(computeDigest({ ...RFC7616, challenge: challenge(header7616(algorithm, extra)) }).response, expected, algorithm);
  }
  const authInt = (algorithm: string) => ({ ...challenge(header7616(algorithm)), qop: 'auth-int' as const });
  t.equal(computeDigest({ ...RFC7616, challenge: authInt('MD5') }).response, '8804a53d3640a40a4f73cea12c5ba451');
  t.equal(computeDigest({ ...RFC7616, challenge: authInt('SHA-256'), body: new Uint8Array() }).response, '8bdf6f15638e260831e905028de5450562816d093c9bfc5c13d3a46adcdde940');
  t.equal(computeDigest({ ...RFC7616, challenge: authInt('SHA-512-256') }).response, '38244c4d345d09bb0000b355be27d2a55003ee188df9821c54df70a63aa0c1ca');
  const noQop = challenge('Digest realm="http-auth@example.org", nonce="7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v", algorithm=SHA-256');
  t.equal(computeDigest({ ...RFC7616, challenge: noQop }).response, 'a1306b0595a6c7fe96c448631fb5cfbd5107bd1fe1da729d978dd7446b812363');
});

t.test('auth-int hashes the exact body bytes', async (t) => {
  const c = challenge('Digest realm="r", nonce="n", qop="auth-int"');
  const body = Buffer.from('PUT body\r\n');
  const withBody = computeDigest({ ...RFC7616, method: 'PUT', challenge: c, body });
  t.equal(withBody.ha2, hashHex('MD5', `PUT:/dir/index.html:${hashHex('MD5', body)}`));
  t.not(withBody.response, computeDigest({ ...RFC7616, method: 'PUT', challenge: c }).response);
});

t.test('RFC 7616 §3.9.2 corrected SHA-512-256 userhash vector (erratum 4897), not the published one', async (t) => {
  const c = challenge(
    'Digest realm="api@example.org", qop="auth", algorithm=SHA-512-256, nonce="5TsQWLVdgBdmrQ0XsxbDODV+57QdFR34I9HAbC/RVvkK", opaque="HRPCssKJSGjCrkzDg8OhwpzCiGPChXYjwrI2QmXDnsOS", charset=UTF-8, userhash=true',
  );
  const input = { challenge: c, username: 'J\u00e4s\u00f8n Doe', password: 'Secret, or not?', method: 'GET', uri: '/doe.json', cnonce: 'NTg6RKcb9boFIAS3KrFK9BGeh+iDa/sm6jUMp2wds69v', nc: 1 };
  const result = computeDigest(input);
  t.equal(result.ha1, '2d3d9f12c9f3d30011259dc5fecee005ae24de40e3e1f61806d03e65f1e6024f');
  t.equal(result.ha2, '1734b070bafdeb53ae52f93659427bb4bc545e2ef4d5e74ba247dad4861b4634');
  t.equal(result.response, '3798d4131c277846293534c3edc11bd8a5e4cdcbff78b05db9d95eeb1cec68a5');
  t.not(result.response, 'ae66e67d6b427bd3f120414a82e4acff38e8ecd9101d6c861229025f607a79dd');
  const header = digestAuthorization(input);
  t.match(header, /^Digest username="793263caabb707a56211940d90411ea4a575adeccb7e360aeb624ed06ece9b0b", /);
  t.match(header, /, userhash=true$/);
  t.match(header, /algorithm=SHA-512-256, /);
  t.equal(hashHex('SHA-512-256', 'abc'), '53048e2681941ef99b2e29b76b4c7dabe4c2d0c634fc6d46e0e2f13107e7af23', 'FIPS 180-4 SHA-512/256');
});

t.test('a non-ASCII username without userhash goes as username* (RFC 7616 §3.4.4)', async (t) => {
  const c = challenge('Digest realm="api@example.org", qop=auth, nonce="n"');
  const header = digestAuthorization({ challenge: c, username: "J\u00e4s\u00f8n Doe's", password: 'p', method: 'GET', uri: '/', cnonce: 'c', nc: 1 });
  t.match(header, /^Digest username\*=UTF-8''J%C3%A4s%C3%B8n%20Doe%27s, /);
});

t.test('RFC 2617 §3.5 and RFC 2069 vectors', async (t) => {
  const c = challenge('Digest realm="testrealm@host.com", qop="auth,auth-int", nonce="dcd98b7102dd2f0e8b11d0f600bfb0c093", opaque="5ccc069c403ebaf9f0171e9517f40e41"');
  const header = digestAuthorization({ challenge: c, username: 'Mufasa', password: 'Circle Of Life', method: 'GET', uri: '/dir/index.html', cnonce: '0a4f113b', nc: 1 });
  t.equal(
    header,
    'Digest username="Mufasa", realm="testrealm@host.com", uri="/dir/index.html", algorithm=MD5, nonce="dcd98b7102dd2f0e8b11d0f600bfb0c093", nc=00000001, cnonce="0a4f113b", qop=auth, response="6629fae49393a05397450978507c4ef1", opaque="5ccc069c403ebaf9f0171e9517f40e41"',
  );
  const legacy = challenge('Digest realm="testrealm@host.com", nonce="dcd98b7102dd2f0e8b11d0f600bfb0c093"');
  const legacyHeader = digestAuthorization({ challenge: legacy, username: 'Mufasa', password: 'CircleOfLife', method: 'GET', uri: '/dir/index.html', cnonce: 'x', nc: 1 });
  t.match(legacyHeader, /response="1949323746fe6a43ef61f9606e7febea"$/);
  t.notMatch(legacyHeader, /nc=|cnonce|qop/);
});

t.test("curl's Digest vectors (RELIABILITY.md §1.2) including escaped quotes", async (t) => {
  const base = { username: 'testuser', password: 'testpass', method: 'GET', cnonce: 'c', nc: 1 };
  const r = (header: string, uri: string, extra: Partial<typeof base> = {}) => computeDigest({ ...base, ...extra, uri, challenge: challenge(header) }).response;
  t.equal(r('Digest realm="testrealm", nonce="1053604145"', '/64"'), '1ee14b238b3259f17602e9ce41491ef9');
  t.equal(r('Digest realm="testrealm", nonce="1053604145", algorithm="SHA-256"', '/2061'), '9dc55255f1a2537b838311674b621d45346b862a81631bb20e4ce356ef25062d');
  t.equal(r('Digest realm="testrealm", nonce="1053604145", algorithm="SHA-512-256"', '/2062'), '9d3256ee6526ec40dd48743bb48e51ee9baba587c78f15c3a86166242150af98');
  t.equal(r('Digest realm="testrealm", nonce="1", algorithm=MD5', '/2076?query'), '5758bd3bbde7f33236e6ccd278eb59af');
  t.equal(r('Digest realm="test \\"this\\" realm!!", nonce="1053604145"', '/1095'), 'df3246f44d2bc8de0e9f8fc4d7cf6e95');
  t.equal(r('Digest realm="testrealm", nonce="1053604145"', '/1229', { username: '\\user"', password: 'password' }), 'f2694d426040712584c156d3de72b8d6');
  // test 1437: duplicated parameters, the last one wins.
  t.equal(r('Digest realm="testrealm", algorithm=MD5, algorithm=MD5, nonce="1", nonce="2"', '/1437'), '4376eb639bf8e7343a6e7b56e1b89c4f');
  const header = digestAuthorization({ ...base, username: '\\user"', uri: '/a"b', challenge: challenge('Digest realm="test \\"this\\" realm!!", nonce="1"') });
  t.match(header, /username="\\\\user\\"", realm="test \\"this\\" realm!!", uri="\/a\\"b"/);
  const userhash = challenge('Digest realm="testrealm", nonce="1053604145", algorithm="SHA-256", userhash=true');
  t.match(digestAuthorization({ ...base, uri: '/2063', challenge: userhash }), /username="75af8a3500f771e58a52093a25e7905d6e428a511285c12ea1420c73078dfd61".*response="6c470aec384ab1d4e12d3ce1f5b08303d8cad177e52ebe50ec1a3e141adb0cdc"/);
});

t.test('algorithm names: absent means MD5, aliases and case are accepted, unknown ones are refused', async (t) => {
  t.same(readAlgorithm(undefined), { hash: 'MD5', sess: false });
  t.same(readAlgorithm('sha-256-SESS'), { hash: 'SHA-256', sess: true });
  t.same(readAlgorithm('SHA-512/256'), { hash: 'SHA-512-256', sess: false });
  t.equal(readAlgorithm('SHA-1'), undefined);
  t.equal(readAlgorithm('MD5-sess-sess'), undefined);
  t.equal(readDigestChallenge(parseChallenges(['Digest realm="r", nonce="n", algorithm=SHA3'])[0]!), undefined);
});

t.test('qop choice: auth wins, unknown tokens are skipped, only unknown tokens means no answer', async (t) => {
  t.equal(challenge('Digest realm="r", nonce="n", qop="crazy, auth"').qop, 'auth');
  t.equal(challenge('Digest realm="r", nonce="n", qop="auth-int"').qop, 'auth-int');
  t.equal(readDigestChallenge(parseChallenges(['Digest realm="r", nonce="n", qop="crazy"'])[0]!), undefined);
  t.equal(challenge('Digest realm="r", nonce="n", stale=TRUE').stale, true);
  t.equal(challenge('Digest realm="r", nonce="n", stale=false').stale, false);
  t.equal(challenge('Digest realm="r", nonce="n"').opaque, undefined);
  t.equal(challenge('Digest realm="r", nonce="n", opaque=""').opaque, '');
});

t.test('a challenge without nonce or realm, or -sess without qop, is a typed error', async (t) => {
  for (const header of ['Digest', 'Digest realm="r"', 'Digest realm="r", nonce=""', 'Digest nonce="n"', 'Digest realm="r", nonce="n", algorithm=MD5-sess']) {
    t.throws(() => readDigestChallenge(parseChallenges([header])[0]!), { code: 'auth_challenge_invalid' }, header);
  }
});

t.test('the strongest supported Digest challenge wins; the first among equals', async (t) => {
  const strongest = strongestDigest(
    parseChallenges(['Basic realm="b"', 'Digest realm="a", nonce="1", algorithm=MD5', 'Digest realm="a", nonce="2", algorithm=SHA-256', 'Digest realm="a", nonce="3", algorithm=SHA-256', 'Digest realm="a", nonce="4", algorithm=UNKNOWN']),
  );
  t.equal(strongest?.nonce, '2');
  t.equal(strongestDigest(parseChallenges(['Basic realm="b"'])), undefined);
});

t.test('a Digest challenge without a nonce does not hide a usable one in the same response', async (t) => {
  t.equal(strongestDigest(parseChallenges(['Digest realm="a", algorithm=SHA-256', 'Digest realm="a", nonce="ok", algorithm=MD5']))?.nonce, 'ok');
  t.throws(() => strongestDigest(parseChallenges(['Digest realm="a"', 'Digest realm="b"'])), { code: 'auth_challenge_invalid', message: /no nonce/ }, 'none usable: the first problem');
});

t.test('a -sess answer names its algorithm with the -sess suffix, unquoted', async (t) => {
  const header = digestAuthorization({ ...RFC7616, challenge: challenge(header7616('MD5-sess')) });
  t.match(header, /algorithm=MD5-sess, .*response="e783283f46242139c486a698fec7211d"/);
});
