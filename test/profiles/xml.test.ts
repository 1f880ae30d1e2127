import t from 'tap';
import { parseFlatProfile } from '../../daemon/profiles/index.js';
import { thrown } from '../fixtures/rules/context.js';

t.test('each child of <flat-profile> is a parameter', async (t) => {
  // DOMAIN.md §1.11 [CISCO-7832-PF] [CSB-PG p29-34]: header and comments allowed, names
  // case-sensitive, `_n_` suffixes, unknown attributes such as group= ignored.
  const xml = `<?xml version="1.0" encoding="UTF-8"?>
<!-- provisioning for 000e08aabbcc -->
<flat-profile>
  <Profile_Rule group="Provisioning/Configuration_Profile">https://p.example.com/$MA.xml</Profile_Rule>
  <Dial_Plan_1_>(*xx|[3469]11|0|00|[2-9]xxxxxx|1xxx[2-9]xxxxxxS0|xxxxxxxxxxxx.)</Dial_Plan_1_>
  <Resync_At__HHmm_>0300</Resync_At__HHmm_>
</flat-profile>`;
  t.same(parseFlatProfile(xml), [
    { name: 'Profile_Rule', value: 'https://p.example.com/$MA.xml' },
    { name: 'Dial_Plan_1_', value: '(*xx|[3469]11|0|00|[2-9]xxxxxx|1xxx[2-9]xxxxxxS0|xxxxxxxxxxxx.)' },
    { name: 'Resync_At__HHmm_', value: '0300' },
  ]);
});

t.test('<flat-profile> may sit inside other elements, which are ignored', async (t) => {
  // DOMAIN.md §1.11: "the <flat-profile> element may itself be nested inside other arbitrary elements".
  const xml = '<device><info><Proxy_1_>ignored</Proxy_1_></info><config><flat-profile><Proxy_1_>sip.example.com</Proxy_1_><Unknown><Deep>x</Deep></Unknown></flat-profile></config></device>';
  t.same(parseFlatProfile(xml), [{ name: 'Proxy_1_', value: 'sip.example.com' }, { name: 'Unknown', value: '' }]);
});

t.test('the last value wins and values are trimmed with newlines as spaces', async (t) => {
  // DOMAIN.md §1.11 [CISCO-7832-PF].
  const xml = '<flat-profile><A>1</A><B>\n  first line\r\n  second line\n</B><A> 2 </A></flat-profile>';
  t.same(parseFlatProfile(xml), [{ name: 'A', value: '2' }, { name: 'B', value: 'first line   second line' }]);
});

t.test('predefined entities and character references are decoded', async (t) => {
  // DOMAIN.md §1.11: &amp; &lt; &gt; &apos; &quot; and numeric references such as &#40; and &#x2e;.
  const xml = '<flat-profile><V>&amp;&lt;&gt;&apos;&quot;&#40;&#x2e;&#x1F600;</V><C><![CDATA[a&b<c>]]></C></flat-profile>';
  t.same(parseFlatProfile(xml), [{ name: 'V', value: '&<>\'"(.😀' }, { name: 'C', value: 'a&b<c>' }]);
});

t.test('ua changes the access; an empty element sets the empty value', async (t) => {
  // SPEC §3 decisions on DOMAIN.md §7 items 2–3 [CISCO-7832-PF] [CISCO-6800-UA].
  const xml = `<flat-profile>
  <Speed_Dial_2_Name ua="rw"/>
  <Profile_Rule_B />
  <Station_Name ua="ro"></Station_Name>
  <Line_Enable_1_ ua='na'>Yes</Line_Enable_1_>
  <Display_Name_1_>Ann</Display_Name_1_>
</flat-profile>`;
  t.same(parseFlatProfile(xml), [
    { name: 'Speed_Dial_2_Name', access: 'rw' },
    { name: 'Profile_Rule_B', value: '' },
    { name: 'Station_Name', value: '', access: 'ro' },
    { name: 'Line_Enable_1_', value: 'Yes', access: 'na' },
    { name: 'Display_Name_1_', value: 'Ann' },
  ]);
  t.same(parseFlatProfile('<flat-profile><X>v</X><X ua="ro"/></flat-profile>'), [{ name: 'X', value: 'v', access: 'ro' }], 'value and access merge, each last wins');
  t.same(parseFlatProfile('<flat-profile/>'), [], 'an empty flat profile sets nothing');
  t.same(parseFlatProfile('<root><flat-profile/></root>'), []);
});

t.test('an --alias map sets parameters from foreign elements', async (t) => {
  // DOMAIN.md §1.7 [SPA2102-PG p40].
  const alias = new Map([['/CPE/SIP-Credentials/name', 'Display_Name_1_'], ['Secret/pw', 'Password_1_'], ['/CPE/Flag', 'Line_Enable_1_']]);
  const xml = '<CPE><SIP-Credentials><name>Ann</name></SIP-Credentials><Secret><pw>x</pw></Secret><Flag ua="ro"/><Other>1</Other></CPE>';
  t.same(parseFlatProfile(xml, { alias }), [{ name: 'Display_Name_1_', value: 'Ann' }, { name: 'Password_1_', value: 'x' }, { name: 'Line_Enable_1_', access: 'ro' }]);
});

t.test('malformed XML is refused with its line', async (t) => {
  const cases: Array<[string, number, RegExp, string?]> = [
    ['<flat-profile>\n<A>1</B>\n</flat-profile>', 2, /<\/B> closes <A>/],
    ['<flat-profile>\n<A>1', 2, /<A> is not closed/],
    ['<flat-profile></flat-profile>\n<x/>', 2, /more than one root/],
    ['hello <flat-profile/>', 1, /text outside/],
    ['<flat-profile/>\ntrailing', 2, /text outside/],
    ['', 1, /no XML element/],
    ['<a><b>1</b></a>', 1, /no <flat-profile>/],
    ['</a>', 1, /closes nothing/],
    ['<flat-profile>\n<!-- open', 2, /unterminated comment/],
    ['<?xml version="1.0"', 1, /unterminated processing instruction/],
    ['<flat-profile><![CDATA[x', 1, /unterminated CDATA/],
    ['<flat-profile><A>a & b</A></flat-profile>', 1, /bare "&"/],
    ['<flat-profile><A>&amp</A></flat-profile>', 1, /bare "&"/],
    ['<flat-profile><A>&nbsp;</A></flat-profile>', 1, /unknown entity &nbsp;/],
    ['<flat-profile><A>&#0;</A></flat-profile>', 1, /valid character/],
    ['<flat-profile><A>&#xD800;</A></flat-profile>', 1, /valid character/],
    ['<flat-profile><A>&#x110000;</A></flat-profile>', 1, /valid character/],
    ['<flat-profile><A ua="xx">1</A></flat-profile>', 1, /ua must be/],
    ['<flat-profile><A b=1>1</A></flat-profile>', 1, /malformed start tag <A>/],
    ['<flat-profile><A>1</A x></flat-profile>', 1, /malformed end tag <\/A>/],
    ['<flat-profile><A>1</A/></flat-profile>', 1, /malformed end tag/],
    ['< A/>', 1, /element name/],
  ];
  for (const [xml, line, message] of cases) t.match(thrown(() => parseFlatProfile(xml)), { code: 'profile_parse_error', line, message }, xml);
});

t.test('DTDs are refused, so an entity bomb never expands', async (t) => {
  // The "billion laughs" document: refused at its <!DOCTYPE, before any entity is read.
  const bomb = `<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol">${Array.from({ length: 9 }, (_, i) => `<!ENTITY lol${i + 1} "${`&lol${i === 0 ? '' : i};`.repeat(10)}">`).join('')}]>
<flat-profile><A>&lol9;</A></flat-profile>`;
  t.match(thrown(() => parseFlatProfile(bomb)), { code: 'profile_parse_error', line: 2, message: /DTDs and entity declarations are not accepted/ });
  t.match(thrown(() => parseFlatProfile('<flat-profile><A>&lol9;</A></flat-profile>')), { code: 'profile_parse_error', message: /unknown entity/ }, 'an undeclared entity is not expanded either');
  t.match(thrown(() => parseFlatProfile('<!DOCTYPE x SYSTEM "file:///etc/passwd"><flat-profile/>')), { message: /DTDs/ }, 'no external entity either');
});

t.test('nesting depth and element count are capped', async (t) => {
  const deep = `${'<a>'.repeat(10_000)}${'</a>'.repeat(10_000)}`;
  t.match(thrown(() => parseFlatProfile(deep)), { code: 'profile_too_deep', line: 1, message: /deeper than 64/ });
  t.match(thrown(() => parseFlatProfile('<a><b><c/></b></a>', { maxDepth: 2 })), { code: 'profile_too_deep' });
  const many = `<flat-profile>${'<A>1</A>'.repeat(11)}</flat-profile>`;
  t.match(thrown(() => parseFlatProfile(many, { maxElements: 10 })), { code: 'profile_too_large', message: /more than 10 elements/ });
});
