import t from 'tap';
import { expandMacros, expandMessage } from '../../daemon/rules/index.js';
import { context } from '../fixtures/rules/context.js';

// DOMAIN.md §1.8 examples [CSB-PG p40-41] [CISCO-7832-PF] [SPA-PG-3.01].
const device = context({ GPP_A: 'ABCDEF', GPP_SA: 'topsecret' }, { MAU: '000E08012345', MA: '000e08012345', MAC: '00:0e:08:01:23:45' });

t.test('substring forms take a 0-based offset and a length', async (t) => {
  t.equal(expandMacros('$(A:2)', device), 'CDEF');
  t.equal(expandMacros('$(A:2:3)', device), 'CDE');
  t.equal(expandMacros('$(MAU:4)', device), '08012345');
  t.equal(expandMacros('$(MAU:8:2)', device), '23');
  t.equal(expandMacros('$(A:10)', device), '', 'an offset past the end gives nothing');
});

t.test('$$ is a dollar and expansion is not recursive', async (t) => {
  t.equal(expandMacros('$$MAU', device), '$MAU');
  const self = context({ GPP_B: '$MAU' }, { MAU: 'X' });
  t.equal(expandMacros('$B', self), '$MAU', 'a value containing a macro is not expanded again');
});

t.test('unknown names stay as written', async (t) => {
  t.equal(expandMacros('spa$STRANGE$MAU.cfg', device), 'spa$STRANGE000E08012345.cfg');
  t.equal(expandMacros('$(NOPE)x', device), '$(NOPE)x');
  t.equal(expandMacros('$(MAU', device), '$(MAU', 'an unclosed $( is literal');
  t.equal(expandMacros('$(MAU:x)', device), '$(MAU:x)', 'a malformed substring is literal');
  t.equal(expandMacros('cost $', device), 'cost $');
});

t.test('the parenthesised form lets letters follow a name', async (t) => {
  t.equal(expandMacros('spa$(MAU)config.cfg', device), 'spa000E08012345config.cfg');
});

t.test('names match longest first', async (t) => {
  t.equal(expandMacros('$MAU', device), '000E08012345', '$MAU is not $MA followed by U');
  t.equal(expandMacros('$MAC', device), '00:0e:08:01:23:45');
  t.equal(expandMacros('$MA.cfg', device), '000e08012345.cfg');
  t.equal(expandMacros('$AX', device), 'ABCDEFX', 'a GPP letter followed by other letters');
});

t.test('GPP values are read by letter and by full name', async (t) => {
  t.equal(expandMacros('$A/$GPP_A', device), 'ABCDEF/ABCDEF');
  t.equal(expandMacros('[$C][$GPP_C]', device), '[][]', 'an unset GPP is empty');
  t.equal(expandMacros('[$SWVER]', device), '[]', 'a known variable without a value is empty');
});

t.test('$SA-$SD expand only where secrets are allowed', async (t) => {
  t.equal(expandMacros('$SA', device), '$SA');
  t.equal(expandMacros('$SA', device, { secrets: true }), 'topsecret');
  t.equal(expandMacros('$(GPP_SA:0:3)', device, { secrets: true }), 'top');
  t.equal(expandMacros('$(SA)', device), '$(SA)');
});

t.test('variables the engine adds are macros too, and METH reads SCHEME', async (t) => {
  const ctx = context({}, { UID1: '1001', SCHEME: 'https' });
  t.equal(expandMacros('$UID1/$METH', ctx), '1001/https');
  t.equal(expandMacros('$METH', context({}, { METH: 'tftp', SCHEME: 'http' })), 'tftp');
  t.equal(expandMacros('[$METH]', context()), '[]');
});

t.test('log messages expand with their default templates', async (t) => {
  // DOMAIN.md §1.9 defaults [SPA941-PASTE] [CISCO-CONF-PM].
  const vars = { PN: 'SPA2102', MAC: '00:0e:08:aa:bb:cc', SCHEME: 'http', SERVIP: '10.0.0.1', PORT: '80', PATH: '/a.xml', ERR: 'ok' };
  t.equal(expandMessage('$PN $MAC -- Requesting resync $SCHEME://$SERVIP:$PORT$PATH', context({}, vars)), 'SPA2102 00:0e:08:aa:bb:cc -- Requesting resync http://10.0.0.1:80/a.xml');
  t.equal(expandMessage('$PN $MAC -- Resync failed: $ERR', context({}, vars)), 'SPA2102 00:0e:08:aa:bb:cc -- Resync failed: ok');
  t.equal(expandMessage('no macros', context()), 'no macros');
  t.equal(expandMessage('$SA leaks?', device), '*** leaks?');
});

t.test('secret macros expand only in --key/--uid/--pwd and conditions; a message shows *** whole or sliced (SPEC §4)', async (t) => {
  const em = context({ GPP_SA: 'topsecret' }, { MPWD: 'alicepw', PPWD: 'phonepw', MUID: 'alice' });
  for (const template of ['$(MPWD:0:4)', '$(MPWD:4)', '$MPWD', '$(MPWD)', '$(PPWD:1:1)', '$PPWD', '$(SA:0:3)', '$GPP_SA', '$(GPP_SB:0:1)']) {
    t.equal(expandMessage(`login $MUID: ${template}.`, em), 'login alice: ***.', template);
  }
  t.equal(expandMacros('$MPWD/$(PPWD:0:2)', em), '$MPWD/$(PPWD:0:2)', 'elsewhere a secret stays as written');
  t.equal(expandMacros('$(MPWD:0:4)', em, { secrets: true }), 'alic');
  t.equal(expandMacros('$$MPWD', em, { secrets: 'mask' }), '$MPWD', '$$ still escapes');
  t.throws(() => expandMacros('x/$(MPWD:0:4)', em, { secrets: 'reject', at: 10 }), { code: 'rule_url_error', where: { column: 13 } });
  t.throws(() => expandMacros('$PPWD', em, { secrets: 'reject' }), { code: 'rule_url_error', where: { column: 1 } });
});
