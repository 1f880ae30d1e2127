/**
 * When the engine confirms a response's validators (SPEC §4): after the profile was applied,
 * never for a rejected one; a failed write of the conditional-GET state only costs one full
 * download next time and does not fail the resync.
 */
import t from 'tap';
import { fetchPlan } from '../fixtures/resync/fakes.js';
import { harness, ok } from '../fixtures/resync/harness.js';

const A = fetchPlan('http://127.0.0.1:8080/a.cfg');

t.test('validators are confirmed once the profile was applied, never for a rejected one', async (t) => {
  const confirmed: boolean[] = [];
  let body = 'X=1\nBAD';
  const h = harness({
    params: { Profile_Rule: 'A' },
    plans: { A },
    handler: async (request) => ({ ...ok(body, request.url), applied: async (reusable?: boolean) => void confirmed.push(reusable ?? true) }),
  });
  t.equal((await h.engine.resyncNow()).result, 'failed');
  t.same(confirmed, [], 'a rejected profile keeps no validators');
  body = 'X=1';
  t.equal((await h.engine.resyncNow()).result, 'succeeded');
  t.same(confirmed, [true]);
});

t.test('a failed write of the validators is a warning, the applied resync still succeeds', async (t) => {
  const h = harness({
    params: { Profile_Rule: 'A' },
    plans: { A },
    handler: async (request) => ({ ...ok('X=2', request.url), applied: async () => Promise.reject(new Error('ENOSPC: no space left on device')) }),
  });
  const outcome = await h.engine.resyncNow();
  t.equal(outcome.result, 'succeeded');
  t.same(outcome.changed, ['X']);
  t.ok(h.lines.some((line) => line.includes('conditional GET state not saved') && line.includes('ENOSPC')), 'logged');
});
