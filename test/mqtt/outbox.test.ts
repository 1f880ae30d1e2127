import t from 'tap';
import { readFile, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import type { RecordedEvent } from '../../daemon/bus/index.js';
import { Outbox, OUTBOX_FILE } from '../../daemon/mqtt/index.js';

const event = (seq: number): RecordedEvent => ({ v: 1, seq, ts: '2026-01-01T00:00:00.000Z', device: 'd', type: 'resync.unchanged' });
const seqs = (outbox: Outbox) => [...outbox.ready()].map((item) => item.seq);

t.test('events are durable when add resolves and come back after a restart, minus the acknowledged', async (t) => {
  const stateDir = t.testdir();
  const first = new Outbox({ stateDir });
  t.same(await first.load(), { pending: 0, skipped: 0 });
  await Promise.all([1, 2, 3, 4].map((seq) => first.add(event(seq))));
  first.ack(2);
  first.ack(99);
  t.same(seqs(first), [1, 3, 4]);
  // Appends are written in order: once event 5 is durable, so is the ack before it.
  await first.add(event(5));
  t.equal(first.size, 4);
  // A crash: the file is read by a new outbox without the first having closed.
  const second = new Outbox({ stateDir });
  t.same(await second.load(), { pending: 4, skipped: 0 });
  t.same(seqs(second), [1, 3, 4, 5]);
  t.equal(second.lastSeq, 5);
  await second.close();
  await first.close();
});

t.test('an event is not offered for publishing before it is on disk', async (t) => {
  const outbox = new Outbox({ stateDir: t.testdir() });
  await outbox.load();
  const written = outbox.add(event(1));
  t.same(seqs(outbox), []);
  await written;
  t.same(seqs(outbox), [1]);
  await outbox.close();
});

t.test('a torn last line (power cut mid-append) is skipped and the rest replayed in seq order', async (t) => {
  const stateDir = t.testdir();
  const lines = [{ event: event(5) }, { event: event(3) }, { ack: 3 }, { event: event(4) }, null, { other: 1 }, { event: { ...event(8), type: 'a/+' } }].map((line) => JSON.stringify(line));
  await writeFile(path.join(stateDir, OUTBOX_FILE), lines.join('\n') + '\n{"event":{"v":1,"seq":6,"ty');
  const outbox = new Outbox({ stateDir });
  t.same(await outbox.load(), { pending: 2, skipped: 1 });
  t.same(seqs(outbox), [4, 5]);
  t.equal(await readFile(path.join(stateDir, OUTBOX_FILE), 'utf8'), [event(4), event(5)].map((e) => JSON.stringify({ event: e }) + '\n').join(''), 'compacted at load');
  await outbox.close();
});

t.test('overflow drops the oldest; the count is kept, on disk too, until it is taken', async (t) => {
  const stateDir = t.testdir();
  let overflows = 0;
  const onOverflow = () => overflows++;
  const outbox = new Outbox({ stateDir, max: 3, onOverflow });
  await outbox.load();
  t.equal(outbox.takeDropped(), 0);
  for (let seq = 1; seq <= 5; seq++) await outbox.add(event(seq));
  t.same(seqs(outbox), [3, 4, 5]);
  t.equal(overflows, 1, 'told once per overflow spell');
  await outbox.close();
  const again = new Outbox({ stateDir, max: 3, onOverflow });
  await again.load();
  t.same(seqs(again), [3, 4, 5], 'dropped events do not come back');
  t.equal(again.takeDropped(), 2, 'the unannounced count survives a restart');
  t.equal(again.takeDropped(), 0);
  await again.close();
  const smaller = new Outbox({ stateDir, max: 1, onOverflow });
  await smaller.load();
  t.same(seqs(smaller), [5]);
  t.equal(overflows, 2);
  await smaller.close();
  const last = new Outbox({ stateDir, max: 1 });
  await last.load();
  t.equal(last.takeDropped(), 2, 'a smaller limit after restart drops at load');
  await last.close();
});

t.test('the journal is compacted once acknowledged lines dominate', async (t) => {
  const stateDir = t.testdir();
  const outbox = new Outbox({ stateDir });
  await outbox.load();
  for (let seq = 1; seq <= 300; seq++) {
    await outbox.add(event(seq));
    outbox.ack(seq);
  }
  await outbox.add(event(301));
  await outbox.close();
  const text = await readFile(path.join(stateDir, OUTBOX_FILE), 'utf8');
  t.equal(text, JSON.stringify({ event: event(301) }) + '\n');
});

t.test('a disk that refuses writes is reported and events are still released from memory', async (t) => {
  const stateDir = t.testdir();
  const errors: unknown[] = [];
  const outbox = new Outbox({ stateDir, max: 1, onWriteError: (error) => errors.push(error) });
  await outbox.load();
  // Fault injection: every write fails as on a full disk.
  const journal = (outbox as unknown as { journal: { append: () => Promise<never>; rewrite: () => Promise<never>; linesSinceRewrite: number } }).journal;
  journal.append = () => Promise.reject(new Error('ENOSPC'));
  journal.rewrite = () => Promise.reject(new Error('ENOSPC'));
  await outbox.add(event(1));
  t.same(seqs(outbox), [1]);
  journal.linesSinceRewrite = 1000;
  await outbox.add(event(2));
  outbox.ack(2);
  outbox.takeDropped();
  await outbox.close();
  t.ok(errors.length >= 4, `${errors.length} write errors reported`);
});

t.test('the defaults need no callbacks', async (t) => {
  const outbox = new Outbox({ stateDir: t.testdir(), max: 1 });
  await outbox.load();
  await outbox.add(event(1));
  await outbox.add(event(2));
  t.same(seqs(outbox), [2]);
  await outbox.close();
  const broken = new Outbox({ stateDir: path.join(t.testdir(), 'missing') });
  await broken.add(event(1));
  t.same(seqs(broken), [1]);
  await broken.close();
});
