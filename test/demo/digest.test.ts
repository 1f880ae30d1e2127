import t from 'tap';
import { DigestGuard } from '../../daemon/demo/index.js';
import { digestAuthorization, parseChallenges, readDigestChallenge, type DigestChallenge } from '../../daemon/http/index.js';

const REALM = 'provisioning@demo';
const guard = (): DigestGuard => new DigestGuard(REALM, { demo: 'pa55word' });

/** The challenge of `algorithm` among the ones the guard sends. */
function challengeOf(g: DigestGuard, algorithm: 'MD5' | 'SHA-256', stale = false): DigestChallenge {
  const found = parseChallenges(g.challenges(stale)).map(readDigestChallenge).find((c) => c?.hash === algorithm);
  return found!;
}

function answer(challenge: DigestChallenge, over: { username?: string; password?: string; method?: string; uri?: string; nc?: number } = {}): string {
  return digestAuthorization({ challenge, username: over.username ?? 'demo', password: over.password ?? 'pa55word', method: over.method ?? 'GET', uri: over.uri ?? '/cisco/000e08de3001.xml', cnonce: 'c0ffee', nc: over.nc ?? 1 });
}

t.test('the challenge offers SHA-256 first, then MD5, with qop=auth and one fresh nonce', async (t) => {
  const values = guard().challenges();
  t.equal(values.length, 2);
  t.match(values[0], /^Digest realm="provisioning@demo", algorithm=SHA-256, qop="auth", nonce="[\w-]+", opaque="[0-9a-f]+"$/);
  t.match(values[1], /algorithm=MD5/);
  t.match(guard().challenges(true)[0], /, stale=true$/);
});

t.test('a correct answer is accepted with MD5 and with SHA-256, once per nonce count', async (t) => {
  const g = guard();
  for (const algorithm of ['MD5', 'SHA-256'] as const) {
    const c = challengeOf(g, algorithm);
    t.same(g.verify('GET', '/cisco/000e08de3001.xml', answer(c)), { ok: true, user: 'demo' }, algorithm);
    t.same(g.verify('GET', '/cisco/000e08de3001.xml', answer(c, { nc: 2 })), { ok: true, user: 'demo' }, `${algorithm}, the nonce reused with the next count`);
    t.same(g.verify('GET', '/cisco/000e08de3001.xml', answer(c, { nc: 2 })), { ok: false, stale: true, user: 'demo' }, `${algorithm}, a replayed count is stale`);
  }
});

t.test('a wrong password, user, method, URI or realm is refused, not stale', async (t) => {
  const g = guard();
  const c = challengeOf(g, 'SHA-256');
  const refused = { ok: false, stale: false, user: 'demo' };
  t.same(g.verify('GET', '/cisco/000e08de3001.xml', answer(c, { password: 'wrong' })), refused, 'wrong password');
  t.same(g.verify('PUT', '/cisco/000e08de3001.xml', answer(c)), refused, 'signed for another method');
  t.same(g.verify('GET', '/avaya/46xxsettings.txt', answer(c)), refused, 'signed for another URI');
  t.same(g.verify('GET', '/cisco/000e08de3001.xml', answer({ ...c, realm: 'other' })), refused, 'another realm');
  t.same(g.verify('GET', '/cisco/000e08de3001.xml', answer(c, { username: 'root' })), { ok: false, stale: false, user: 'root' }, 'unknown user');
  t.same(g.verify('GET', '/cisco/000e08de3001.xml', answer(c, { nc: 0 })), refused, 'a nonce count of 0');
  t.same(g.verify('GET', '/cisco/000e08de3001.xml', answer({ ...c, qop: undefined })), refused, 'no qop (RFC 2069 style)');
  t.same(g.verify('GET', '/cisco/000e08de3001.xml', answer(c).replace('SHA-256', 'SHA-512-256')), refused, 'an algorithm the demo does not offer');
  t.same(g.verify('GET', '/cisco/000e08de3001.xml', answer(c).replace(/response="[0-9a-f]+"/, 'response="00"')), refused, 'a response of the wrong length');
  t.same(g.verify('GET', '/cisco/000e08de3001.xml', answer(c).replace(/cnonce="c0ffee", /, '')), refused, 'no cnonce');
  t.same(g.verify('GET', '/cisco/000e08de3001.xml', answer(c).replace(/, algorithm=SHA-256/, '')), refused, 'no algorithm means MD5, which this response is not');
  t.same(g.verify('GET', '/cisco/000e08de3001.xml', answer(c).replace(/response="[0-9a-f]+"/, '')), refused, 'no response');
  t.same(g.verify('GET', '/cisco/000e08de3001.xml', answer(c).replace(/nonce="[^"]+"/, '')), { ok: false, stale: true, user: 'demo' }, 'no nonce: stale, ask again');
  t.same(g.verify('GET', '/cisco/000e08de3001.xml', answer(c).replace(/nc=\w+/, '')), refused, 'no nonce count');
  t.same(g.verify('GET', '/cisco/000e08de3001.xml', answer(c)), { ok: true, user: 'demo' }, 'the right answer still works after all that');
});

t.test('no header, a Basic header, a malformed header and an unknown nonce', async (t) => {
  const g = guard();
  t.same(g.verify('GET', '/x', undefined), { ok: false, stale: false });
  t.same(g.verify('GET', '/x', 'Basic ZGVtbzpwYTU1d29yZA=='), { ok: false, stale: false });
  t.same(g.verify('GET', '/x', 'Digest username="demo", realm="unterminated'), { ok: false, stale: false });
  t.same(g.verify('GET', '/x', 'Digest realm="provisioning@demo"'), { ok: false, stale: false }, 'no username');
  const foreign = challengeOf(guard(), 'MD5');
  t.same(g.verify('GET', '/cisco/000e08de3001.xml', answer(foreign)), { ok: false, stale: true, user: 'demo' }, 'a nonce this guard never issued is stale');
});

t.test('only the newest 256 nonces are remembered', async (t) => {
  const g = guard();
  const first = challengeOf(g, 'MD5');
  for (let i = 0; i < 256; i++) g.challenges();
  t.same(g.verify('GET', '/cisco/000e08de3001.xml', answer(first)), { ok: false, stale: true, user: 'demo' });
});
