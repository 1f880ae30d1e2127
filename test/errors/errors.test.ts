import t from 'tap';
import { ProvisiondError, isProvisiondError, toProvisiondError } from '../../daemon/errors/index.js';

t.test('a typed error carries a stable code, a place and serialises without its stack', async (t) => {
  const err = new ProvisiondError('rule_parse_error', 'unbalanced bracket', { column: 7 });
  t.equal(err.code, 'rule_parse_error');
  t.same(err.where, { column: 7 });
  t.same(JSON.parse(JSON.stringify(err)), { code: 'rule_parse_error', message: 'unbalanced bracket' });
  t.ok(isProvisiondError(err));
  t.ok(isProvisiondError(err, 'rule_parse_error'));
  t.notOk(isProvisiondError(err, 'other'));
  t.notOk(isProvisiondError(new Error('x')));
});

t.test('anything thrown becomes a typed error; a typed one is kept as it is', async (t) => {
  const typed = new ProvisiondError('x', 'y');
  t.equal(toProvisiondError(typed), typed);
  const wrapped = toProvisiondError(new Error('boom'));
  t.equal(wrapped.code, 'internal_error');
  t.equal(wrapped.message, 'boom');
  t.equal(toProvisiondError('text', 'custom').code, 'custom');
  t.equal(toProvisiondError('text').message, 'text');
});
