/**
 * When the engine confirms a response's validators (SPEC §4): after the profile was applied,
 * never for a rejected one; a failed write of the conditional-GET state only costs one full
 * download next time and does not fail the resync.
 */
import t from 'tap';
import { harness, ok, profile } from '../fixtures/resync/harness.js';

const A = 'http://127.0.0.1:8080/a.cfg';
/** A profile that half-parses: well-formed up to an element the next tag does not close. */
const MALFORMED = '<flat-profile>\n  <X>1</X>\n  <Y>2</W>\n</flat-profile>\n';

t.test('validators are confirmed once the profile was applied, never for a rejected one', async (t) => {
  const confirmed: boolean[] = [];
  let valid = false;
  const h = harness({
    params: { Profile_Rule: A },
    handler: async (request) => ({ ...(valid ? profile({ X: '1' }, request.url) : ok(MALFORMED, request.url)), applied: async (reusable?: boolean) => void confirmed.push(reusable ?? true) }),
  });
  const rejected = await h.engine.resyncNow();
  t.equal(rejected.result, 'failed');
  t.equal(rejected.error?.code, 'profile_parse_error', 'the profile was rejected by the parser');
  t.same(confirmed, [], 'a rejected profile keeps no validators');
  valid = true;
  t.equal((await h.engine.resyncNow()).result, 'succeeded');
  t.same(confirmed, [true]);
});

t.test('a failed write of the validators is a warning, the applied resync still succeeds', async (t) => {
  const h = harness({
    params: { Profile_Rule: A },
    handler: async (request) => ({ ...profile({ X: '2' }, request.url), applied: async () => Promise.reject(new Error('ENOSPC: no space left on device')) }),
  });
  const outcome = await h.engine.resyncNow();
  t.equal(outcome.result, 'succeeded');
  t.same(outcome.changed, ['X']);
  t.ok(h.lines.some((line) => line.includes('conditional GET state not saved') && line.includes('ENOSPC')), 'logged');
});
