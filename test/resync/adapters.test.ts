/**
 * The engine's transport (fetcher and TFTP in one) and its reading of a profile into updates.
 */
import { execFileSync } from 'node:child_process';
import t from 'tap';
import { ProvisiondError } from '../../daemon/errors/index.js';
import { parseUpdates, profileSource, type ProfileParseOptions } from '../../daemon/resync/adapters.js';
import type { FetchRequest } from '../../daemon/http/index.js';
import { Origin } from '../../daemon/origin/index.js';

const request = (url: string, extra: Partial<FetchRequest> = {}): FetchRequest => ({
  url,
  method: 'GET',
  operation: 'resync',
  credentials: async () => undefined,
  allowCredentialsFor: () => true,
  ...extra,
});

t.test('a tftp URL goes to the TFTP client; without one it is refused', async (t) => {
  const source = profileSource(async () => Promise.reject(new Error('not http')), async (url) => Buffer.from(`from ${url}`));
  t.match(await source.fetch(request('tftp://127.0.0.1:69/p.cfg')), { status: 200, body: Buffer.from('from tftp://127.0.0.1:69/p.cfg'), notModified: false });
  await t.rejects(profileSource(async () => Promise.reject(new Error('x'))).fetch(request('tftp://h/p')), { code: 'scheme_unsupported' });
});

t.test('an http request carries method, body, operation and the credential callbacks', async (t) => {
  const seen: unknown[] = [];
  const source = profileSource(async (http) => {
    seen.push(http.method, http.body?.toString(), http.operation, http.allowCredentialsFor?.(Origin.of('http://127.0.0.1/')));
    return { status: 200, headers: {}, body: Buffer.from('ok'), url: http.url, notModified: false, requests: 1, redirects: 0 };
  });
  await source.fetch(request('http://127.0.0.1/x', { method: 'POST', body: Buffer.from('b'), operation: 'em-login' }));
  await source.fetch(request('http://127.0.0.1/x'));
  t.same(seen, ['POST', 'b', 'em-login', true, 'GET', undefined, 'resync', true]);
});

t.test('profiles: a script GET of a missing file is skipped, other failures stop it', async (t) => {
  const parser = { parse: (body: Buffer, options: ProfileParseOptions) => parseUpdates(body, {}, options) };
  const script = Buffer.from('SET GROUP 1\nGET missing.txt\nSET OTHER 2\n');
  const missing = await parser.parse(script, { fetchRelated: async () => Promise.reject(new ProvisiondError('not_found', 'gone')) });
  t.same(missing, { format: 'avaya-script', updates: [{ name: 'GROUP', value: '1' }, { name: 'OTHER', value: '2' }], ignored: [], access: [], setIn: new Map(), userData: [] });
  // Which file set a name last: a GET file's name, or nothing for the script itself.
  const chain = await parser.parse(Buffer.from('SET A 1\nSET B 1\nGET site/next.txt\n'), { fetchRelated: async () => Buffer.from('SET A 2\n') });
  t.same(chain.setIn, new Map([['A', 'site/next.txt']]));
  const back = await parser.parse(Buffer.from('SET A 1\nGET next.txt\n'), { fetchRelated: async (name) => Buffer.from(name === 'next.txt' ? 'SET A 2\nGET last.txt\n' : 'SET B 3\n') });
  t.same(back.setIn, new Map([['A', 'next.txt'], ['B', 'last.txt']]));
  await t.rejects(parser.parse(script, { fetchRelated: async () => Promise.reject(new ProvisiondError('timeout', 'slow')) }), { code: 'timeout' });
});

t.test('profiles: --key, --alias and ua-only elements (SPEC §3)', async (t) => {
  const xml = '<flat-profile><Display_Name_1_ ua="ro"/><A>1</A></flat-profile>';
  // openssl enc -aes-256-cbc -k (DOMAIN §1.11), made by the real openssl.
  const encrypted = execFileSync('openssl', ['enc', '-aes-256-cbc', '-md', 'sha256', '-k', 'phrase'], { input: xml });
  const parsed = await parseUpdates(encrypted, { profileBytes: 1 << 20 }, { key: 'phrase', fetchRelated: async () => Buffer.alloc(0) });
  t.same(parsed.updates, [{ name: 'A', value: '1' }], 'an element with only ua changes no value');
  const aliased = await parseUpdates(Buffer.from('<CPE><name>x</name></CPE>'), {}, {
    alias: new Map([['/CPE/name', 'Display_Name_1_']]),
    fetchRelated: async () => Buffer.alloc(0),
  });
  t.same(aliased.updates, [{ name: 'Display_Name_1_', value: 'x' }]);
});

t.test('profiles: a settings script tests the phone\'s variables when the daemon passes them (DOMAIN §3.1)', async (t) => {
  const script = Buffer.from('IF $MODEL4 SEQ 9611 GOTO NINE\nSET OTHER 1\nGOTO END\n# NINE\nSET NINE 1\n# END\n');
  const vars: Record<string, string> = { MODEL4: '9611' };
  const seen = await parseUpdates(script, { variables: (name) => vars[name] }, { fetchRelated: async () => Buffer.alloc(0) });
  t.same(seen.updates, [{ name: 'NINE', value: '1' }]);
  const blind = await parseUpdates(script, {}, { fetchRelated: async () => Buffer.alloc(0) });
  t.same(blind.updates, [{ name: 'OTHER', value: '1' }], 'an unknown name: the IF line is ignored');
});
