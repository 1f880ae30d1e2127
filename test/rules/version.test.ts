import t from 'tap';
import { compareVersions, parseVersion } from '../../daemon/rules/index.js';
import type { Version } from '../../daemon/rules/index.js';

const v = (text: string): Version => parseVersion(text) as Version;

t.test('MPP versions compare major, minor, micro, then build', async (t) => {
  // DOMAIN.md §1.4 ordering examples [CISCO-7832-PF].
  t.equal(compareVersions(v('sipyyyy.11-3-1MPP-110'), v('sipyyyy.11-2-3MPP-256')), 1);
  t.equal(compareVersions(v('sipyyyy.11-3-2MPP0002-256'), v('sipyyyy.11-3-2MPP0001-609')), 1);
  t.equal(compareVersions(v('sip7832.11-0-1MPP-312'), v('sip7832.11-0-1MPP-312')), 0);
  t.equal(compareVersions(v('11-1-0MPP-19'), v('sip7832.11-3-2MPP0001-609')), -1, 'the sipYYYY. prefix is optional ($SWVER)');
});

t.test('SPA versions compare numbers, then the build letter', async (t) => {
  t.equal(compareVersions(v('2.0.6(b)'), v('2.0.6')), 1);
  t.equal(compareVersions(v('2.0.6(b)'), v('2.0.6(c)')), -1);
  t.equal(compareVersions(v('2.0.6(c)'), v('2.0.6(b)')), 1);
  t.equal(compareVersions(v('2.0.6(b)'), v('2.0.6(B)')), 0);
  t.equal(compareVersions(v('5.1.8'), v('5.1')), 1);
  t.equal(compareVersions(v('5.1'), v('5.1.8')), -1, 'a missing number counts as 0');
  t.equal(compareVersions(v('1.0.33'), v('7.6.2')), -1);
});

t.test('versions of different forms do not compare', async (t) => {
  t.equal(compareVersions(v('2.0.6'), v('sip7832.11-0-1MPP-312')), undefined);
  t.equal(compareVersions(v('sip7832.11-0-1MPP-312'), v('2.0.6')), undefined);
});

t.test('other text is not a version', async (t) => {
  for (const bad of ['', 'abc', '2.0.6(b', '1..2', '11-0MPP-3', 'sip.11-0-1-2x']) t.equal(parseVersion(bad), undefined, bad);
});
