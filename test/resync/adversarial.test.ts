/**
 * Adversarial servers (issue 7 "Must show"): a profile that half-parses, a server that
 * stalls mid-body, a 5xx storm, a profile that changes between retries. Parameters are never
 * half-applied, the retry timer follows Resync_Error_Retry_Delay, status() stays answerable.
 */
import t from 'tap';
import { faultyServer, serve, stallMidBody } from '../fixtures/resync/server.js';
import { flatProfile, realEngine } from '../fixtures/resync/real.js';

const V1 = flatProfile({ GPP_A: 'v1', GPP_B: 'v1', GPP_C: 'v1' });
const V2 = flatProfile({ GPP_A: 'v2', GPP_B: 'v2' });

async function setup(t: { testdir(): string; teardown(fn: () => void | Promise<void>): void }) {
  const server = await faultyServer();
  t.teardown(server.stop);
  const real = await realEngine({
    stateDir: t.testdir(),
    factory: { Profile_Rule: server.url, Resync_Error_Retry_Delay: '60,120,240' },
    timeouts: { idleMs: 300, totalMs: 2000 },
  });
  t.teardown(real.close);
  return { server, real };
}

const values = (real: Awaited<ReturnType<typeof realEngine>>): (string | undefined)[] => ['GPP_A', 'GPP_B', 'GPP_C'].map((name) => real.params.get(name));

t.test('a profile that half-parses changes nothing and arms the retry', async (t) => {
  const { server, real } = await setup(t);
  server.script([serve(200, V1.slice(0, V1.length - 40))]);
  real.engine.start();
  const failed = new Promise<void>((resolve) => real.bus.on('event', (e) => e.type === 'resync.failed' && resolve()));
  await real.clock.advance(0);
  await failed;
  t.match(real.engine.status().last, { result: 'failed', error: { code: /^profile_/ } });
  t.same(values(real), ['', '', ''], 'not one value of the broken profile');
  t.equal(real.engine.status().next?.trigger, 'retry');
});

t.test('a server that stalls mid-body times out; status() answers meanwhile; nothing applied', async (t) => {
  const { server, real } = await setup(t);
  server.script([stallMidBody(V1)]);
  const outcome = real.engine.resyncNow();
  await new Promise((resolve) => setImmediate(resolve));
  t.match(real.engine.status(), { running: true }, 'status answers during the stalled resync');
  t.match(await outcome, { result: 'failed', error: { code: 'timeout' } });
  t.same(values(real), ['', '', '']);
});

t.test('a 5xx storm: each failure waits the next Resync_Error_Retry_Delay, the last repeating', async (t) => {
  const { server, real } = await setup(t);
  server.script([serve(503, 'busy')]);
  real.engine.start();
  const waits: number[] = [];
  for (let i = 0; i < 5; i++) {
    const failed = new Promise<void>((resolve) => real.bus.on('event', (e) => e.type === 'resync.failed' && resolve()));
    const next = real.engine.status().next;
    await real.clock.advance(Math.max(0, Date.parse(next?.at ?? '') - real.clock.now()));
    await failed;
    waits.push((Date.parse(real.engine.status().next?.at ?? '') - real.clock.now()) / 1000);
  }
  t.same(waits, [60, 120, 240, 240, 240]);
  t.equal(server.requests(), 5, 'one request per attempt, no hidden retries');
  t.match(real.engine.status().last, { result: 'failed', error: { code: 'http_status' } });
  t.same(values(real), ['', '', '']);
});

t.test('a profile changed between retries is applied whole: the new one, not a mix', async (t) => {
  const { server, real } = await setup(t);
  server.script([serve(200, V1.replace('</flat-profile>', '<GPP_D>')), serve(200, V2)]);
  const failed = new Promise<void>((resolve) => real.bus.on('event', (e) => e.type === 'resync.failed' && resolve()));
  real.engine.start();
  await real.clock.advance(0);
  await failed;
  t.same(values(real), ['', '', ''], 'the broken first version left nothing behind');
  t.equal(real.engine.status().next?.trigger, 'retry');
  const succeeded = new Promise<void>((resolve) => real.bus.on('event', (e) => e.type === 'resync.succeeded' && resolve()));
  await real.clock.advance(60_000);
  await succeeded;
  t.same(values(real), ['v2', 'v2', ''], 'exactly the second profile');
  t.match(real.events.filter((e) => e.type === 'config.applied'), [{ changed: ['GPP_A', 'GPP_B'] }]);
  t.equal(real.engine.status().next?.trigger, 'periodic');
});
