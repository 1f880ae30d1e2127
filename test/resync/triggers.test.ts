/**
 * `Resync_Trigger_1/2` on the real engine, parameter store, rule language and HTTP fetcher
 * against a loopback server, with a manual clock (DOMAIN §1.1, §1.8; issue 13): the macros
 * the daemon knows are filled, the ones the rest of the phone knows come from parameters it
 * sets, and a trigger that cannot be evaluated never holds periodic resyncs back.
 */
import t, { type Test } from 'tap';
import { faultyServer, serve } from '../fixtures/resync/server.js';
import { flatProfile, realEngine } from '../fixtures/resync/real.js';

async function setup(t: Test, factory: Record<string, string>) {
  const server = await faultyServer();
  t.teardown(server.stop);
  server.script([serve(200, flatProfile({ GPP_A: 'x' }))]);
  const real = await realEngine({ stateDir: t.testdir(), factory: { Profile_Rule: server.url, Resync_Periodic: '3600', ...factory } });
  t.teardown(real.close);
  // Nothing here holds a resync: time moves on once each one has ended.
  real.clock.quiesce = () => real.engine.idle();
  real.engine.start();
  await real.clock.advance(0);
  t.equal(server.requests(), 1, 'the start-up resync is never gated');
  return { server, real, hours: (n: number) => real.clock.advance(n * 3_600_000) };
}

const cannotEvaluate = (lines: readonly string[], name: string): number => lines.filter((line) => line.includes(`${name} cannot be evaluated`)).length;

t.test("DOMAIN's example trigger runs on the daemon's own timers: $UPGTMR and $PRVTMR", async (t) => {
  const { server, real, hours } = await setup(t, { Resync_Trigger_1: '$UPGTMR gt 300 and $PRVTMR ge 600' });
  await hours(1);
  t.equal(server.requests(), 2, 'the periodic resync ran');
  t.equal(cannotEvaluate(real.lines, 'Resync_Trigger_1'), 0);
});

t.test('$PRVTMR counts from the last attempt: a held-back period is no attempt', async (t) => {
  const { server, real, hours } = await setup(t, { Resync_Trigger_1: '$PRVTMR ge 7200' });
  await hours(1);
  t.equal(server.requests(), 1, 'held back: only 3600 s since the last resync');
  await hours(1);
  t.equal(server.requests(), 2, '7200 s since the last resync');
  t.ok(real.lines.some((line) => line.includes('held back')));
});

t.test('$REGTMR1 comes from Registration_Lost_At_1_; unknown, the trigger is absent and logged once', async (t) => {
  const { server, real, hours } = await setup(t, { Resync_Trigger_1: '$REGTMR1 gt 300' });
  await hours(1);
  await hours(1);
  t.equal(server.requests(), 3, 'nothing tells the registration timer: the trigger does not block');
  t.equal(cannotEvaluate(real.lines, 'Resync_Trigger_1'), 1, 'logged once');
  await real.params.setLocal([{ name: 'Registration_Lost_At_1_', value: '' }]);
  await hours(1);
  t.equal(server.requests(), 3, 'registered ($REGTMR1 is 0): held back');
  await real.params.setLocal([{ name: 'Registration_Lost_At_1_', value: new Date(real.clock.now() - 600_000).toISOString() }]);
  await hours(1);
  t.equal(server.requests(), 4, 'registration lost for over 300 s: it runs');
  await real.params.setLocal([{ name: 'Resync_Trigger_1', value: '$REGTMR2 gt 300' }]);
  await hours(1);
  t.equal(cannotEvaluate(real.lines, 'Resync_Trigger_1'), 2, 'a new expression that cannot be evaluated is logged again');
});

t.test('$EXTIP comes from EXT_IP, empty when unset; $UID1 from User_ID_1_', async (t) => {
  const { server, real, hours } = await setup(t, { Resync_Trigger_1: '"$EXTIP" ne ""', Resync_Trigger_2: '"$UID1" eq "2001"' });
  await hours(1);
  t.equal(server.requests(), 1, 'no external address and no line 1 user: both triggers false');
  await real.params.setLocal([{ name: 'EXT_IP', value: '66.43.16.52' }]);
  await hours(1);
  t.equal(server.requests(), 2);
  await real.params.setLocal([
    { name: 'EXT_IP', value: '' },
    { name: 'User_ID_1_', value: '2001' },
  ]);
  await hours(1);
  t.equal(server.requests(), 3);
  t.equal(cannotEvaluate(real.lines, 'Resync_Trigger'), 0, 'quoted macros always evaluate');
});

t.test('$UIDn reaches the rule: the profile of line 1 user', async (t) => {
  const { real } = await setup(t, {});
  await real.params.setLocal([
    { name: 'User_ID_1_', value: '2001' },
    { name: 'Log_Resync_Request_Msg', value: 'requesting $PATH' },
    { name: 'Profile_Rule', value: `${real.params.get('Profile_Rule')?.replace(/phone\.xml$/, '')}$UID1.xml` },
  ]);
  await real.engine.resyncNow();
  t.ok(real.lines.includes('<6>resync: requesting /2001.xml'));
});
