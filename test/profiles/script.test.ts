import t from 'tap';
import { DEFAULT_MAX_WORK, WORK_BASE, WORK_PER_CHAR, parseSettingsScript } from '../../daemon/profiles/index.js';
import type { ProfileUpdate } from '../../daemon/profiles/index.js';

const files = (map: Record<string, string>) => async (name: string): Promise<Uint8Array | null> => (name in map ? Buffer.from(map[name] as string) : null);
const values = (updates: ProfileUpdate[]): Record<string, string | undefined> => Object.fromEntries(updates.map((u) => [u.name, u.value]));

t.test('SET assigns values, quoted ones may hold blanks and commas', async (t) => {
  // DOMAIN.md §3.1 [AV-9608-SET p60] and IP Office files [IPO-46xx].
  const script = [
    '## IP Office generated file',
    'SET BRURI "https://10.0.0.5:443/user/backuprestore/"',
    'SET TRUSTCERTS Root-CA-0214515C.pem',
    'SET MCIPADD 10.0.0.1,10.0.0.2',
    'SET SCREENSAVERON "240"',
    'SET TEXT "a b, c" trailing ignored',
    'SET EMPTY',
    '  set lower case',
    'UNKNOWN statement is ignored',
    'SET BRAUTH 0',
    'SET BRAUTH 1',
  ].join('\r\n');
  t.same(values(await parseSettingsScript(script)), {
    BRURI: 'https://10.0.0.5:443/user/backuprestore/', TRUSTCERTS: 'Root-CA-0214515C.pem', MCIPADD: '10.0.0.1,10.0.0.2',
    SCREENSAVERON: '240', TEXT: 'a b, c', EMPTY: '', lower: 'case', BRAUTH: '1',
  });
});

t.test('IF $X SEQ v GOTO tag compares exactly and jumps past the tag', async (t) => {
  // DOMAIN.md §3.1 and the IP Office ladder [IPO-46xx]; exact compare per SPEC §3.
  const script = [
    'IF $MODEL4 SEQ 9608 GOTO 9608',
    'IF $MODEL4 SEQ 9641 GOTO 9641',
    'GOTO END',
    '# 9608',
    'SET LINE 9608',
    'GOTO END',
    '# 9641',
    'SET LINE 9641',
    'IF $SIG_IN_USE SEQ "H323" GOTO H323',
    'SET SIG other',
    '# H323',
    'SET DONE yes',
    '# END',
  ].join('\n');
  t.same(values(await parseSettingsScript(script, { params: (n) => ({ MODEL4: '9641', SIG_IN_USE: 'H323' })[n] })), { LINE: '9641', DONE: 'yes' });
  t.same(values(await parseSettingsScript(script, { params: (n) => ({ MODEL4: '9608' })[n] })), { LINE: '9608' });
  t.same(values(await parseSettingsScript(script, { params: (n) => ({ MODEL4: '9641', SIG_IN_USE: 'h323' })[n] })), { LINE: '9641', SIG: 'other', DONE: 'yes' }, 'case matters');
  t.same(values(await parseSettingsScript(script)), {}, 'an unknown parameter ignores the IF line');
  t.same(values(await parseSettingsScript('SET GROUP 5\nIF $GROUP SEQ 5 GOTO g\nSET A 1\n# g\nSET B 2')), { GROUP: '5', B: '2' }, 'IF sees values set earlier');
});

t.test('GOTO to a missing tag ignores the rest of the file', async (t) => {
  t.same(values(await parseSettingsScript('SET A 1\nGOTO nowhere\nSET B 2')), { A: '1' });
  t.same(values(await parseSettingsScript('SET A 1\nIF $A SEQ 1 GOTO nowhere\nSET B 2')), { A: '1' });
  t.same(values(await parseSettingsScript('#  not a tag\n#tag\nGOTO\nSET B 2')), {}, 'only "# word" lines are tags');
});

t.test('GET interprets the fetched file and does not continue the current one', async (t) => {
  // DOMAIN.md §3.1 boot flow [AV-9608-SET] [AV-96x1-ZTP]: 96xxupgrade.txt GETs 46xxsettings.scr then .txt.
  const upgrade = 'SET APPNAME S96x1_SALBR6_8.bin\nGET 46xxsettings.scr\nGET 46xxsettings.txt\nSET AFTER never';
  const txt = 'SET BRURI http://10.0.0.5/br/\nGET $MACADDR.txt\nSET LAST yes';
  const own = 'SET OWN 1';
  t.same(values(await parseSettingsScript(upgrade, { name: '96xxupgrade.txt', fetch: files({ '46xxsettings.txt': txt, '001122aabbcc.txt': own }), params: (n) => (n === 'MACADDR' ? '001122aabbcc' : undefined) })), {
    APPNAME: 'S96x1_SALBR6_8.bin', BRURI: 'http://10.0.0.5/br/', OWN: '1',
  }, 'a missing file continues the current one; a found one replaces it');
  t.same(values(await parseSettingsScript('GET a.txt\nSET B 2')), { B: '2' }, 'without a fetch callback every GET is missing');
  t.same(values(await parseSettingsScript('GET $NOPE.txt\nSET B 2', { fetch: files({}) })), { B: '2' });
});

t.test('a GET cycle, deep GET chains and GOTO loops are refused', async (t) => {
  await t.rejects(parseSettingsScript('GET b.txt', { name: 'a.txt', fetch: files({ 'b.txt': 'SET X 1\nGET a.txt' }) }), { code: 'profile_get_cycle', message: 'GET cycle: a.txt → b.txt → a.txt (line 2)', where: { line: 2 } });
  const chain = Object.fromEntries(Array.from({ length: 20 }, (_, i) => [`f${i}.txt`, `GET f${i + 1}.txt`]));
  await t.rejects(parseSettingsScript('GET f0.txt', { fetch: files(chain) }), { code: 'profile_get_depth', message: /deeper than 8/ });
  await t.rejects(parseSettingsScript('GET f0.txt', { fetch: files(chain), maxGetDepth: 2 }), { code: 'profile_get_depth', message: /deeper than 2/ });
  await t.rejects(parseSettingsScript('# top\nSET A 1\nGOTO top'), { code: 'profile_script_loop', where: { line: 3 } });
  await t.rejects(parseSettingsScript('# top\nGOTO top', { maxSteps: 10 }), { code: 'profile_script_loop', message: /more than 10 statements/ });
  await t.rejects(parseSettingsScript('# top\nSET A 1234567890\nGOTO top', { maxWork: 100 }), { code: 'profile_script_loop', message: /more than 100 units of work/, where: { line: 2 } });
  await t.rejects(parseSettingsScript('GET big.txt', { fetch: files({ 'big.txt': 'x'.repeat(100) }), maxBytes: 50 }), { code: 'profile_too_large' });
});

t.test('malformed statements are errors with their line', async (t) => {
  await t.rejects(parseSettingsScript('SET A 1\nSET B "open'), { code: 'profile_parse_error', message: /unterminated quoted value in \(settings script\) \(line 2\)/ });
  await t.rejects(parseSettingsScript('SET'), { code: 'profile_parse_error', where: { line: 1 }, message: /SET needs/ });
  await t.rejects(parseSettingsScript('IF $A GOTO b'), { code: 'profile_parse_error', message: /IF \$NAME SEQ value GOTO tag/ });
  await t.rejects(parseSettingsScript('GET'), { code: 'profile_parse_error', message: /GET needs/ });
  await t.rejects(parseSettingsScript('IF $A SEQ "x GOTO t', { params: () => '"x' }), { code: 'profile_parse_error', message: /unterminated/ });
});

t.test('fetched bytes go through the decode callback', async (t) => {
  const decoded: string[] = [];
  const updates = await parseSettingsScript('GET b.txt', { fetch: files({ 'b.txt': 'SET A 1' }), decode: (bytes, name) => { decoded.push(name); return Buffer.from(bytes).toString('utf8'); } });
  t.same(values(updates), { A: '1' });
  t.same(decoded, ['b.txt']);
});

t.test('a GOTO loop over a megabyte line ends after bounded work, not a million re-splits of it', async (t) => {
  const long = 'x'.repeat(1024 * 1024);
  const meter = { work: 0 };
  await t.rejects(parseSettingsScript(`# top\nSET A ${long}\nGOTO top`, { meter }), { code: 'profile_script_loop', message: /units of work/ });
  t.ok(meter.work <= DEFAULT_MAX_WORK + long.length + 100, `work ${meter.work} stays within the budget`);
  // A plain long script is far inside the budget: its work is about its size.
  const plain = { work: 0 };
  await parseSettingsScript(`SET A ${long}\nSET B 2`, { meter: plain });
  t.ok(plain.work <= long.length + 20);
});

t.test('a GET name that would expand a secret parameter is not fetched; the script goes on (SPEC §4)', async (t) => {
  const asked: string[] = [];
  const refused: string[] = [];
  const fetch = async (name: string) => {
    asked.push(name);
    return Buffer.from('SET INCLUDED yes');
  };
  const params = (n: string) => ({ GPP_SA: 'key-phrase', MACADDR: '001122334455' })[n];
  const result = values(await parseSettingsScript('GET x-$GPP_SA.txt\nIF $GPP_SA SEQ key-phrase GOTO ok\nSET NOT reached\n# ok\nSET AFTER yes', { fetch, params, refused: (m) => refused.push(m) }));
  t.same(result, { AFTER: 'yes' }, 'a condition still sees the secret (SPEC §4)');
  t.same(asked, []);
  t.match(refused, [/GET x-\$GPP_SA\.txt .* line 1 names a secret parameter/]);
  t.notMatch(refused.join(), /key-phrase/);
  t.same(values(await parseSettingsScript('GET $MACADDR.txt', { fetch, params })), { INCLUDED: 'yes' });
  t.same(asked, ['001122334455.txt']);
  t.same(values(await parseSettingsScript('SET X 1\nGET $X.txt', { fetch, secret: (n) => n === 'X' })), { X: '1' }, 'a caller may name its own secrets');
});

t.test('the default work budget grows with the scripts: a short loop ends after work proportional to its size', async (t) => {
  const loop = '# t\nIF $A SEQ 1 GOTO t\n';
  const meter = { work: 0 };
  await t.rejects(parseSettingsScript(loop, { params: () => '1', meter }), { code: 'profile_script_loop', message: /units of work/ });
  t.ok(meter.work <= WORK_PER_CHAR * loop.length + WORK_BASE + 100, `work ${meter.work} for ${loop.length} characters`);
  // An include adds its size to the budget.
  const included = { work: 0 };
  const body = `SET B ${'y'.repeat(4000)}\n`;
  await t.rejects(parseSettingsScript('GET a.txt', { params: () => '1', meter: included, fetch: async () => Buffer.from(`${body}${loop}`) }), { code: 'profile_script_loop' });
  t.ok(included.work > meter.work && included.work <= WORK_PER_CHAR * (body.length + loop.length + 10) + WORK_BASE + 5000, `work ${included.work}`);
});
