import t from 'tap';
import { gzipSync } from 'node:zlib';
import { detectFormat, parseProfile } from '../../daemon/profiles/index.js';
import type { ParsedProfile } from '../../daemon/profiles/index.js';

/** A stand-in for the parameter store: applies a parsed profile only when parsing succeeded. */
async function applyTo(store: Map<string, string>, pending: Promise<ParsedProfile>): Promise<void> {
  const parsed = await pending;
  for (const u of parsed.updates) if (u.value !== undefined) store.set(u.name, u.value);
}

t.test('the format is told apart by content', async (t) => {
  t.equal(detectFormat('  \n<?xml version="1.0"?><flat-profile/>'), 'xml');
  t.equal(detectFormat('## comment\nSET A 1'), 'avaya-script');
  t.equal(detectFormat('set a 1'), 'avaya-script');
  t.equal(detectFormat('IF $GROUP SEQ 1 GOTO g'), 'avaya-script');
  t.equal(detectFormat('GET 46xxsettings.txt'), 'avaya-script');
  t.equal(detectFormat('GOTO END'), 'avaya-script');
  t.equal(detectFormat('Station_Name "lobby";'), undefined);
  t.equal(detectFormat('SETTINGS'), undefined);
  t.equal(detectFormat(' \n '), undefined);
});

t.test('a gzipped flat profile parses into updates; user data is left out', async (t) => {
  const xml = '<flat-profile><Station_Name ua="ro">lobby</Station_Name><ABKNAME001>Eve</ABKNAME001></flat-profile>';
  const parsed = await parseProfile(gzipSync(Buffer.from(xml)));
  t.same(parsed, { format: 'xml', updates: [{ name: 'Station_Name', value: 'lobby', access: 'ro' }], ignored: ['ABKNAME001'] });
});

t.test('a settings script parses with GET through the fetch callback', async (t) => {
  const parsed = await parseProfile(Buffer.from('\uFEFFSET BRURI http://h/br/\nGET more.txt'), {
    fetch: async (name) => (name === 'more.txt' ? Buffer.from('SET TLSSRVRID 1') : null),
  });
  t.same(parsed, { format: 'avaya-script', updates: [{ name: 'BRURI', value: 'http://h/br/' }, { name: 'TLSSRVRID', value: '1' }], ignored: [] });
  await t.rejects(parseProfile(Buffer.from('GET more.txt'), { fetch: async () => Buffer.from([0xc3]) }), { code: 'profile_encoding_error' }, 'fetched files are checked as UTF-8 too');
});

t.test('an unknown format is a typed error', async (t) => {
  await t.rejects(parseProfile(Buffer.from('Station_Name "lobby";')), { code: 'profile_format_unknown', where: { line: 1 } });
});

t.test('hostile inputs are refused quickly and leave the parameters untouched', async (t) => {
  const store = new Map([['Station_Name', 'before']]);
  const refuse = async (name: string, pending: Promise<ParsedProfile>, code: string): Promise<void> => {
    await t.rejects(applyTo(store, pending), { code }, name);
    t.same([...store], [['Station_Name', 'before']], `${name}: nothing applied`);
  };
  const bomb = `<!DOCTYPE z [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]><flat-profile><Station_Name>&b;</Station_Name></flat-profile>`;
  await refuse('entity bomb', parseProfile(Buffer.from(bomb)), 'profile_parse_error');
  const huge = Buffer.alloc(50 * 1024 * 1024, 0x20);
  huge.write('<flat-profile><Station_Name>x</Station_Name>');
  await refuse('50 MB profile', parseProfile(huge), 'profile_too_large');
  await refuse('50 MB once decompressed', parseProfile(gzipSync(huge)), 'profile_too_large');
  const deep = `<flat-profile><Station_Name>x</Station_Name>${'<a>'.repeat(10_000)}${'</a>'.repeat(10_000)}</flat-profile>`;
  await refuse('10,000-deep nesting', parseProfile(Buffer.from(deep)), 'profile_too_deep');
  const cycle = { 'a.txt': 'SET Station_Name a\nGET b.txt', 'b.txt': 'GET a.txt' } as Record<string, string>;
  await refuse('GET cycle', parseProfile(Buffer.from('GET a.txt'), { name: 'root.txt', fetch: async (n) => Buffer.from(cycle[n] ?? '') }), 'profile_get_cycle');
  await refuse('a late syntax error', parseProfile(Buffer.from('<flat-profile><Station_Name>after</Station_Name><Bad></flat-profile>')), 'profile_parse_error');
});

t.test('limits.profileBytes and --key are passed through', async (t) => {
  await t.rejects(parseProfile(Buffer.from('SET A 1'), { limits: { profileBytes: 3 } }), { code: 'profile_too_large' });
  await t.rejects(parseProfile(Buffer.from('SET A 1'), { key: 'k' }), { code: 'profile_decrypt_error' });
  await t.rejects(parseProfile(Buffer.from('GET x'), { limits: { profileBytes: 20 }, fetch: async () => Buffer.alloc(30, 0x20) }), { code: 'profile_too_large' });
});
