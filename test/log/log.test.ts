import t from 'tap';
import { Logger, Redactor, secrets } from '../../daemon/log/index.js';

function capture(): { out: string[]; err: string[]; sink: { out(l: string): void; err(l: string): void } } {
  const out: string[] = [];
  const err: string[] = [];
  return { out, err, sink: { out: (l) => out.push(l), err: (l) => err.push(l) } };
}

t.test('records carry journald priority prefixes and go to stdout or stderr by severity', async (t) => {
  const c = capture();
  const log = new Logger({ level: 'debug', sink: c.sink, redactor: new Redactor() });
  log.error('e');
  log.warning('w');
  log.notice('n');
  log.info('i', { url: 'http://x/y', count: 3, empty: '', skipped: undefined, quoted: 'a b' });
  log.debug('d', { gone: undefined });
  t.same(c.err, ['<3>e', '<4>w']);
  t.same(c.out, ['<5>n', '<6>i url=http://x/y count=3 empty="" quoted="a b"', '<7>d']);
});

t.test('the level filters records, and children share it and add a scope', async (t) => {
  const c = capture();
  const log = new Logger({ level: 'warning', sink: c.sink, redactor: new Redactor() });
  log.info('hidden');
  const child = log.child('resync').child('timer');
  child.warning('shown');
  child.info('hidden too');
  log.setLevel('info');
  log.info('now shown');
  t.same(c.err, ['<4>resync.timer: shown']);
  t.same(c.out, ['<6>now shown']);
});

t.test('one record is one line, and registered secrets never appear', async (t) => {
  const c = capture();
  const redactor = new Redactor();
  const log = new Logger({ sink: c.sink, redactor });
  redactor.add('hunter2');
  redactor.add('hunter');
  redactor.add('');
  redactor.add(undefined);
  log.info('line one\nline two with hunter2 and hunter', { pwd: 'hunter2' });
  t.same(c.out, ['<6>line one ⏎ line two with *** and *** pwd=***']);
  t.equal(redactor.size, 2);
});

t.test('the redactor counts references, so a shared secret stays redacted until the last owner goes', async (t) => {
  const r = new Redactor();
  t.equal(r.redact('nothing registered'), 'nothing registered');
  r.add('s3cret');
  r.add('s3cret');
  r.remove('s3cret');
  t.ok(r.has('s3cret'));
  t.equal(r.redact('x s3cret'), 'x ***');
  r.remove('s3cret');
  r.remove('s3cret');
  r.remove(undefined);
  t.notOk(r.has('s3cret'));
  t.equal(r.redact('x s3cret'), 'x s3cret');
});

t.test('the default logger writes to the process streams through the shared registry', async (t) => {
  const written: string[] = [];
  const origOut = process.stdout.write.bind(process.stdout);
  const origErr = process.stderr.write.bind(process.stderr);
  process.stdout.write = ((chunk: string) => (written.push(`out:${chunk}`), true));
  process.stderr.write = ((chunk: string) => (written.push(`err:${chunk}`), true));
  secrets.add('zz-shared-secret');
  try {
    const log = new Logger();
    log.info('hello zz-shared-secret');
    log.error('bad');
  } finally {
    process.stdout.write = origOut;
    process.stderr.write = origErr;
    secrets.remove('zz-shared-secret');
  }
  t.same(written, ['out:<6>hello ***\n', 'err:<3>bad\n']);
});
