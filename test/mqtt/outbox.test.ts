import t from 'tap';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { TypedBus, type DaemonEvents, type RecordedEvent } from '../../daemon/bus/index.js';
import { EventLog, EVENTS_FILE } from '../../daemon/events/index.js';
import { Logger } from '../../daemon/log/index.js';
import { CURSOR_FILE, LEGACY_OUTBOX_FILE, Outbox } from '../../daemon/mqtt/index.js';
import { until } from '../fixtures/local.js';

const event = (seq: number): RecordedEvent => ({ v: 1, seq, ts: '2026-01-01T00:00:00.000Z', device: 'd', type: 'resync.unchanged' });
const seqs = (outbox: Outbox) => [...outbox.ready()].map((item) => item.seq);

async function open(stateDir: string, options: { max?: number; onWriteError?: (error: unknown) => void } = {}) {
  const events = new EventLog({ bus: new TypedBus<DaemonEvents>(), stateDir, device: 'd', log: new Logger({ sink: { out: () => undefined, err: () => undefined } }) });
  await events.start();
  let ready = 0;
  const outbox = new Outbox({ stateDir, events, cursorDelayMs: 1, onReady: () => ready++, ...options });
  const loaded = await outbox.load();
  return { events, outbox, loaded, ready: () => ready };
}

const cursorOf = async (stateDir: string) => JSON.parse(await readFile(path.join(stateDir, CURSOR_FILE), 'utf8')) as unknown;

t.test('the cursor moves over acknowledged events without a gap, is written once for many acks, and survives a restart', async (t) => {
  const stateDir = t.testdir();
  const first = await open(stateDir);
  t.same(first.loaded, { pending: 0, skipped: 0, imported: 0 });
  for (let i = 0; i < 5; i++) first.events.record({ type: 'resync.unchanged' });
  t.same(seqs(first.outbox), [], 'not offered before it is durable');
  await first.events.settled();
  t.equal(first.ready(), 1);
  t.same(seqs(first.outbox), [1, 2, 3, 4, 5]);
  first.outbox.ack(2);
  t.same(seqs(first.outbox), [1, 3, 4, 5], 'an out-of-order ack is not offered again');
  t.equal(first.events.takenThrough, 0, 'but the cursor cannot pass seq 1');
  first.outbox.ack(1);
  first.outbox.ack(1);
  t.equal(first.events.takenThrough, 2);
  t.equal(first.outbox.size, 3);
  // Written after cursorDelayMs, once for both acks.
  await until(() => existsSync(path.join(stateDir, CURSOR_FILE)));
  t.same(await cursorOf(stateDir), { acked: 2 });
  // A crash after seq 3 went out and before its ack reached the disk: the cursor on disk
  // lags (acked 2), the journal has everything.
  const second = await open(stateDir);
  t.same(seqs(second.outbox), [3, 4, 5], 'at least once: seq 3 is sent again, with the same seq');
  second.outbox.ack(5);
  second.outbox.ack(4);
  second.outbox.ack(3);
  await second.outbox.close();
  t.same(await cursorOf(stateDir), { acked: 5 });
  await first.outbox.close();
  await second.events.stop();
  await first.events.stop();
});

t.test('an old outbox is imported once: its unacknowledged events are kept, the file removed', async (t) => {
  const stateDir = t.testdir();
  // What an older version left: the journal's ring and the outbox with acks, a drop count and a torn tail.
  await writeFile(path.join(stateDir, EVENTS_FILE), [4, 5].map((seq) => JSON.stringify(event(seq)) + '\n').join(''));
  const lines = [{ event: event(3) }, { event: event(4) }, { ack: 3 }, { dropped: 2 }, { event: event(5) }, null, { event: { ...event(8), type: 'a/+' } }].map((line) => JSON.stringify(line));
  await writeFile(path.join(stateDir, LEGACY_OUTBOX_FILE), lines.join('\n') + '\n{"event":{"v":1,"seq":6,"ty');
  const { events, outbox, loaded } = await open(stateDir);
  t.same(loaded, { pending: 2, skipped: 1, imported: 2 });
  t.same(seqs(outbox), [4, 5]);
  t.same(await cursorOf(stateDir), { acked: 3 });
  t.notOk(existsSync(path.join(stateDir, LEGACY_OUTBOX_FILE)), 'removed once imported');
  t.equal(events.record({ type: 'resync.started' }).seq, 7, 'seq continues');
  t.match(events.recent(2), [{ seq: 6, type: 'events.dropped', count: 2 }, { seq: 7 }], 'the old outbox\'s unannounced drops are told');
  await outbox.close();
  await events.stop();
});

t.test('an old outbox with everything acknowledged leaves the cursor at its last seq', async (t) => {
  const stateDir = t.testdir();
  await writeFile(path.join(stateDir, LEGACY_OUTBOX_FILE), [{ event: event(9) }, { ack: 9 }].map((line) => JSON.stringify(line) + '\n').join(''));
  const { events, outbox } = await open(stateDir);
  t.same(seqs(outbox), []);
  t.same(await cursorOf(stateDir), { acked: 9 });
  t.equal(events.record({ type: 'resync.started' }).seq, 10);
  await outbox.close();
  await events.stop();
});

t.test('an old outbox of 200,000 pending events is imported (no spread of its seqs on the stack)', async (t) => {
  const stateDir = t.testdir();
  const count = 200_000;
  const text = Array.from({ length: count }, (_, i) => JSON.stringify({ event: event(i + 1) }) + '\n').join('');
  await writeFile(path.join(stateDir, LEGACY_OUTBOX_FILE), text);
  const { events, outbox, loaded } = await open(stateDir, { max: 1_000_000 });
  t.same(loaded, { pending: count, skipped: 0, imported: count });
  t.equal(events.lastSeq, count);
  await events.settled();
  t.equal(outbox.size, count);
  await outbox.close();
  await events.stop();
});

t.test('a cursor that is damaged counts as none (resending is safe, skipping is not)', async (t) => {
  const stateDir = t.testdir();
  await writeFile(path.join(stateDir, EVENTS_FILE), JSON.stringify(event(1)) + '\n');
  for (const damaged of ['{"acked":', '{"acked":-1}', 'null']) {
    await writeFile(path.join(stateDir, CURSOR_FILE), damaged);
    const { events, outbox } = await open(stateDir);
    t.same(seqs(outbox), [1], damaged);
    await outbox.close();
    await events.stop();
  }
});

t.test('a cursor that cannot be written is reported and the events stay taken in memory', async (t) => {
  const stateDir = t.testdir();
  const errors: unknown[] = [];
  const { events, outbox } = await open(path.join(stateDir), { onWriteError: (error) => errors.push(error) });
  events.record({ type: 'resync.started' });
  await events.settled();
  // Fault injection: a directory where the cursor file should be makes the rename fail.
  await mkdir(path.join(stateDir, CURSOR_FILE));
  outbox.ack(1);
  await outbox.close();
  t.equal(errors.length, 1);
  t.match(String(errors[0]), /could not write/);
  t.same(seqs(outbox), []);
  await events.stop();
});

t.test('the defaults need no callbacks', async (t) => {
  const stateDir = t.testdir();
  const events = new EventLog({ bus: new TypedBus<DaemonEvents>(), stateDir, device: 'd', log: new Logger({ sink: { out: () => undefined, err: () => undefined } }) });
  await events.start();
  const outbox = new Outbox({ stateDir, events });
  await outbox.load();
  events.record({ type: 'resync.started' });
  events.record({ type: 'resync.started' });
  await events.settled();
  outbox.ack(1);
  await outbox.close();
  t.same(await cursorOf(stateDir), { acked: 1 });
  // A cursor write that fails without an onWriteError is not fatal either.
  await rm(path.join(stateDir, CURSOR_FILE));
  await mkdir(path.join(stateDir, CURSOR_FILE));
  outbox.ack(2);
  await outbox.close();
  t.equal(events.takenThrough, 2);
  await events.stop();
});

t.test('a temp file left by a cursor write that a power cut interrupted is removed at load; the cursor stays', async (t) => {
  const stale = `.${CURSOR_FILE}.tmp-4242-0badc0de`;
  const stateDir = t.testdir({ [CURSOR_FILE]: '{"acked":0}\n', [stale]: '{"acked":9' });
  const { outbox, events } = await open(stateDir);
  t.notOk(existsSync(path.join(stateDir, stale)));
  t.same(await cursorOf(stateDir), { acked: 0 });
  await outbox.close();
  await events.stop();
});
