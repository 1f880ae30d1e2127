/**
 * `Log_Resync_*` messages never carry a piece of a password (SPEC §4, issue 12 §5): a secret
 * macro shows as `***` whole or sliced, in the journal and in the resync events, end to end
 * against Apache.
 */
import t from 'tap';
import { startApache, type Apache } from '../fixtures/http/apache.js';
import { flatProfile, realEngine } from '../fixtures/resync/real.js';

let apache: Apache;
t.before(async () => {
  apache = await startApache({ files: { 'p.xml': flatProfile({ GPP_A: 'applied' }) } });
});
t.teardown(() => apache.stop());

t.test('slices of $PPWD and $SA in Log_Resync_* messages show as ***', async (t) => {
  const real = await realEngine({
    stateDir: t.testdir(),
    factory: {
      Profile_Rule: `[--pwd $PPWD]${apache.origin}/p.xml`,
      EM_Phone_Password: 'phone-pass-77',
      GPP_SA: 'zebra-secret-99',
      Log_Resync_Request_Msg: 'asking with $(PPWD:0:5) and $(SA:6:6)',
      Log_Resync_Success_Msg: 'done $PPWD $(GPP_SA) $GPP_A',
    },
  });
  t.teardown(real.close);
  const outcome = await real.engine.resyncNow();
  t.equal(outcome.result, 'succeeded');
  const text = JSON.stringify(real.events) + real.lines.join('\n');
  t.ok(real.lines.some((line) => line.includes('asking with *** and ***')), 'the request message');
  t.ok(real.lines.some((line) => line.includes('done *** *** applied')), 'the success message');
  for (const piece of ['phone', 'pass-77', 'zebra', 'secret']) t.notOk(text.includes(piece), `no "${piece}" in the journal or the events`);
});
