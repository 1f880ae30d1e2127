import t from 'tap';
import { Logger, MAX_SECRETS, MAX_SECRET_LENGTH, MIN_SECRET_LENGTH, Redactor } from '../../daemon/log/index.js';

t.test('the redactor counts references, so a shared secret stays redacted until the last holder releases it', async (t) => {
  const r = new Redactor();
  t.equal(r.redact('nothing registered'), 'nothing registered');
  const first = r.add('s3cret');
  const second = r.add('s3cret');
  first();
  first();
  t.ok(r.has('s3cret'), 'releasing one handle twice drops one registration only');
  t.equal(r.redact('x s3cret'), 'x ***');
  second();
  t.notOk(r.has('s3cret'));
  t.equal(r.redact('x s3cret'), 'x s3cret');
  r.add('kept-by-value');
  r.add('kept-by-value');
  r.remove('kept-by-value');
  t.ok(r.has('kept-by-value'));
  r.remove('kept-by-value');
  r.remove('kept-by-value');
  r.remove(undefined);
  t.notOk(r.has('kept-by-value'));
});

t.test(`secrets shorter than ${MIN_SECRET_LENGTH} characters are not patterns: they cannot be redacted meaningfully`, async (t) => {
  const r = new Redactor();
  for (const short of ['', 'e', 'pw', '123']) r.add(short)();
  r.add(undefined);
  t.equal(r.size, 0);
  t.equal(r.redact('e pw 123 stay readable'), 'e pw 123 stay readable');
  r.add('four');
  t.equal(r.redact('four'), '***');
});

t.test('longer secrets first where two overlap, and characters that mean something in a pattern are literal', async (t) => {
  const r = new Redactor();
  r.add('hunter');
  r.add('hunter2');
  r.add('a.b*c(d)[e]{f}|g\\h^$?+/');
  t.equal(r.redact('hunter2 hunter axb a.b*c(d)[e]{f}|g\\h^$?+/'), '*** *** axb ***');
  r.add('later-added');
  t.equal(r.redact('later-added hunter2'), '*** ***', 'the cached pattern follows registrations');
  r.remove('hunter2');
  t.equal(r.redact('hunter2'), '***2', 'and releases');
});

t.test('the registry is bounded: too long a value, or one past the limit, is refused', async (t) => {
  const r = new Redactor();
  t.equal(r.add('x'.repeat(MAX_SECRET_LENGTH + 1)), r.add('y'.repeat(MAX_SECRET_LENGTH + 1)), 'both get the handle that does nothing');
  t.equal(r.size, 0);
  const releases = Array.from({ length: MAX_SECRETS }, (_, i) => r.add(`secret-${i}`));
  t.equal(r.size, MAX_SECRETS);
  r.add('one-too-many')();
  t.notOk(r.has('one-too-many'));
  r.add('secret-7')();
  t.ok(r.has('secret-7'), 'a value already held still counts its holders when full');
  for (const release of releases) release();
  t.equal(r.size, 0);
  t.equal(r.redact('secret-7'), 'secret-7');
});

t.test('a logger line costs one pattern however many secrets are held', async (t) => {
  const lines: string[] = [];
  const r = new Redactor();
  for (let i = 0; i < 500; i++) r.add(`held-secret-${String(i).padStart(3, '0')}`);
  const log = new Logger({ redactor: r, sink: { out: (l) => lines.push(l), err: (l) => lines.push(l) } });
  log.info('held-secret-042 and held-secret-499 and held-secret-5');
  t.same(lines, ['<6>*** and *** and held-secret-5']);
});
