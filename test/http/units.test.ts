import t from 'tap';
import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import { DigestCache, nextNonce } from '../../daemon/http/auth.js';
import { readDigestChallenge } from '../../daemon/http/digest.js';
import { parseChallenges } from '../../daemon/http/challenge.js';
import { displayUrl, userAgent } from '../../daemon/http/index.js';
import { requestTarget } from '../../daemon/http/url.js';
import { VALIDATORS_FILE, ValidatorStore } from '../../daemon/http/validators.js';
import { Origin } from '../../daemon/origin/index.js';

t.test('URLs in events lose userinfo, fragments and secret query values', async (t) => {
  t.equal(displayUrl(new URL('https://u:p@h/a?mac=00:11&pwd=x&token=y&pwd=z#f')), 'https://h/a?mac=00%3A11&pwd=***&token=***');
  t.equal(displayUrl(new URL('http://h/a?x=1')), 'http://h/a?x=1');
  // Nothing to remove, or only an empty fragment or query mark.
  t.equal(displayUrl(new URL('http://h:8080/p/spa.xml')), 'http://h:8080/p/spa.xml');
  t.equal(displayUrl(new URL('http://h/a#')), 'http://h/a');
  t.equal(displayUrl(new URL('http://h/a?')), 'http://h/a?');
  t.equal(displayUrl(new URL('http://@h/a')), 'http://h/a');
  t.equal(requestTarget(new URL('http://h/a/b?c=d#e')), '/a/b?c=d');
});

t.test('User-Agent as the phones send it (DOMAIN.md §1.12)', async (t) => {
  t.equal(userAgent({ model: 'Cisco-CP-8841-3PCC', version: '11.0', mac: '00:56:2B:04:36:15' }), 'Cisco-CP-8841-3PCC/11.0 (00562b043615)');
});

t.test('Authentication-Info nextnonce is read; a malformed header is ignored', async (t) => {
  t.equal(nextNonce('qop=auth, nextnonce="abc\\"d", rspauth="x"'), 'abc"d');
  t.equal(nextNonce('nextnonce=tok'), 'tok');
  t.equal(nextNonce('nextnonce=""'), undefined);
  t.equal(nextNonce('nextnonce="unterminated'), undefined);
  t.equal(nextNonce(undefined), undefined);
});

t.test('Digest state: nc counts per nonce, a new nonce starts over with a new cnonce', async (t) => {
  let n = 0;
  const cache = new DigestCache(() => `c${++n}`);
  const challenge = readDigestChallenge(parseChallenges(['Digest realm="r", nonce="1", qop=auth'])[0]!)!;
  const o = Origin.of('https://o.example/');
  const other = Origin.of('https://o.example:8443/');
  const a = cache.adopt(o, challenge);
  a.nc++;
  t.equal(cache.adopt(o, challenge), a, 'same nonce, same counter');
  cache.rotate(o, '1');
  t.equal(cache.get(o), a);
  cache.rotate(o, '2');
  t.match(cache.get(o), { nc: 0, cnonce: 'c2', challenge: { nonce: '2' } });
  cache.rotate(other, '3');
  t.equal(cache.get(other), undefined);
  cache.forget(o);
  t.equal(cache.get(o), undefined);
});

t.test('validators: kept per URL hash, forgotten when a server stops sending them, a damaged file is ignored', async (t) => {
  const dir = t.testdir();
  const store = new ValidatorStore(dir);
  t.equal(await store.get('http://h/a'), undefined);
  await store.set('http://h/a', { etag: '"1"' });
  await store.set('http://h/a', { etag: '"1"' });
  t.same(await new ValidatorStore(dir).get('http://h/a'), { etag: '"1"' });
  await store.set('http://h/a', {});
  t.equal(await new ValidatorStore(dir).get('http://h/a'), undefined);
  for (let i = 0; i < 260; i++) await store.set(`http://h/${i}`, { lastModified: `d${i}` });
  const file = JSON.parse(await fsp.readFile(path.join(dir, VALIDATORS_FILE), 'utf8'));
  t.equal(Object.keys(file.entries).length, 256, 'the oldest entries are dropped');
  t.equal(await store.get('http://h/0'), undefined);
  for (const damaged of ['{not json', '{"version":2,"entries":{}}', '{"version":1,"entries":null}', '{"version":1}']) {
    const other = t.testdir({ [VALIDATORS_FILE]: damaged });
    t.equal(await new ValidatorStore(other).get('http://h/a'), undefined, damaged);
  }
});

t.test('passwords and Basic headers the fetcher sends are registered for redaction', async (t) => {
  const { Redactor } = await import('../../daemon/log/index.js');
  const { Fetcher } = await import('../../daemon/http/index.js');
  const { startStub } = await import('../fixtures/http/stub.js');
  const redactor = new Redactor();
  const server = await startStub((req, res) => {
    if (!req.headers.authorization) {
      res.statusCode = 401;
      res.setHeader('www-authenticate', req.url === '/basic' ? 'Basic realm="r"' : 'Digest realm="r", nonce="n", qop=auth');
    }
    res.end();
  });
  t.teardown(server.stop);
  const fetcher = new Fetcher({ userAgent: 'test', redactor });
  t.teardown(() => fetcher.close());
  await fetcher.fetch({ url: `${server.origin}/basic`, operation: 'backup', credentials: async () => ({ username: 'u', password: 'basic-secret', source: 'prompt' }) });
  await fetcher.fetch({ url: `${server.origin}/digest`, operation: 'resync', credentials: async () => ({ username: 'u', password: 'digest-secret', source: 'prompt' }) });
  await fetcher.fetch({ url: `${server.origin}/digest`, operation: 'resync', credentials: async () => ({ username: 'u', password: 'digest-secret', source: 'prompt' }) });
  t.equal(redactor.redact('basic-secret digest-secret dTpiYXNpYy1zZWNyZXQ='), '*** *** ***');
  t.equal(redactor.size, 3);
});

t.test('a temp file left by a validators write that a power cut interrupted is removed when the store loads', async (t) => {
  const stale = `.${VALIDATORS_FILE}.tmp-4242-0badc0de`;
  const dir = t.testdir({ [stale]: '{"version":1,"entr' });
  t.equal(await new ValidatorStore(dir).get('http://h/a'), undefined);
  await t.rejects(fsp.stat(path.join(dir, stale)), { code: 'ENOENT' });
});
