import t from 'tap';
import { Logger, Redactor } from '../../daemon/log/index.js';

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
  t.same(c.err, ['<4>resync.timer: shown']);
  t.same(c.out, []);
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

t.test('the default logger writes to the process streams, through a redactor of its own', async (t) => {
  const written: string[] = [];
  const origOut = process.stdout.write.bind(process.stdout);
  const origErr = process.stderr.write.bind(process.stderr);
  process.stdout.write = ((chunk: string) => (written.push(`out:${chunk}`), true));
  process.stderr.write = ((chunk: string) => (written.push(`err:${chunk}`), true));
  try {
    const log = new Logger();
    const release = log.redactor.add('zz-own-secret');
    log.child('scope').info('hello zz-own-secret');
    release();
    log.error('bad zz-own-secret');
  } finally {
    process.stdout.write = origOut;
    process.stderr.write = origErr;
  }
  t.same(written, ['out:<6>scope: hello ***\n', 'err:<3>bad zz-own-secret\n'], 'a child shares the redactor; a released secret is plain text again');
  t.not(new Logger().redactor, new Logger().redactor, 'no process-wide registry');
});
