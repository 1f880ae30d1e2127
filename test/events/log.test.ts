import t from 'tap';
import { readFile, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { TypedBus, type DaemonBus, type DaemonEvents, type RecordedEvent } from '../../daemon/bus/index.js';
import { EventLog, EVENTS_FILE } from '../../daemon/events/index.js';
import { Logger, Redactor } from '../../daemon/log/index.js';

function setup(stateDir: string, options: { ringSize?: number } = {}) {
  const bus: DaemonBus = new TypedBus<DaemonEvents>();
  const lines: string[] = [];
  const log = new Logger({ sink: { out: (line) => lines.push(line), err: (line) => lines.push(line) } });
  const redactor = new Redactor();
  let tick = 0;
  const clock = { now: () => Date.UTC(2026, 0, 1, 0, 0, tick++) };
  const eventLog = new EventLog({ bus, stateDir, device: '0011aabbccdd', log, redactor, clock, ...options });
  const recorded: RecordedEvent[] = [];
  bus.on('recorded', (event) => recorded.push(event));
  return { bus, eventLog, recorded, lines, redactor };
}

t.test('events emitted on the bus are stamped, numbered from 1 and emitted as recorded', async (t) => {
  const { bus, eventLog, recorded } = setup(t.testdir());
  await eventLog.start();
  bus.emit('event', { type: 'daemon.started', version: '0.1.0' });
  bus.emit('event', { type: 'resync.started', url: 'https://u:p@h/x', trigger: 'timer' });
  t.same(recorded, [], 'reported only once journaled');
  await eventLog.settled();
  t.same(
    recorded.map((event) => [event.seq, event.type, event.ts, event.device]),
    [
      [1, 'daemon.started', '2026-01-01T00:00:00.000Z', '0011aabbccdd'],
      [2, 'resync.started', '2026-01-01T00:00:01.000Z', '0011aabbccdd'],
    ],
  );
  t.equal(recorded[1]?.url, 'https://h/x');
  t.equal(eventLog.lastSeq, 2);
  await eventLog.stop();
  bus.emit('event', { type: 'daemon.stopping' });
  t.equal(recorded.length, 2, 'no longer listening after stop');
});

t.test('seq continues after a restart, and recent events are still there', async (t) => {
  const dir = t.testdir();
  const first = setup(dir);
  await first.eventLog.start();
  for (let i = 0; i < 3; i++) first.eventLog.record({ type: 'resync.unchanged' });
  await first.eventLog.stop();
  const second = setup(dir);
  await second.eventLog.start();
  t.same(second.eventLog.recent().map((event) => event.seq), [1, 2, 3]);
  t.equal(second.eventLog.record({ type: 'daemon.started' }).seq, 4);
  await second.eventLog.stop();
});

t.test('a consumer cursor wins over a journal that lost its tail', async (t) => {
  const { eventLog } = setup(t.testdir());
  await eventLog.start();
  eventLog.attach({ cursor: 41, max: 10, onDurable: () => undefined });
  t.equal(eventLog.record({ type: 'daemon.started' }).seq, 42);
  await eventLog.stop();
});

t.test('a torn journal line is skipped with one warning and numbering continues', async (t) => {
  const dir = t.testdir();
  await writeFile(
    path.join(dir, EVENTS_FILE),
    JSON.stringify({ v: 1, seq: 9, ts: 'x', device: 'd', type: 'daemon.started' }) + '\n' + '"a string"\n{"v":1,"seq":10,"ty',
  );
  const { eventLog, lines } = setup(dir);
  await eventLog.start();
  t.match(lines.join('\n'), /skipped unreadable lines in the event journal skipped=1/);
  t.equal(eventLog.record({ type: 'daemon.started' }).seq, 10);
  await eventLog.stop();
});

t.test('with a consumer attached, the journal is its outbox: durable events after the cursor, oldest first', async (t) => {
  const dir = t.testdir();
  const { eventLog } = setup(dir, { ringSize: 2 });
  await eventLog.start();
  let notified = 0;
  eventLog.attach({ cursor: 0, max: 100, onDurable: () => notified++ });
  for (let i = 0; i < 5; i++) eventLog.record({ type: 'resync.unchanged' });
  t.same([...eventLog.pending()], [], 'nothing is offered before it is on disk');
  t.equal(eventLog.pendingCount, 5);
  await eventLog.settled();
  t.equal(notified, 1, 'one notification for the batch');
  t.same([...eventLog.pending()].map((event) => event.seq), [1, 2, 3, 4, 5]);
  eventLog.acknowledge(3);
  eventLog.acknowledge(2);
  t.equal(eventLog.takenThrough, 3);
  t.same([...eventLog.pending()].map((event) => event.seq), [4, 5]);
  t.same(eventLog.recent().map((event) => event.seq), [4, 5], 'the ring is the last events');
  eventLog.detach();
  eventLog.record({ type: 'resync.started' });
  await eventLog.settled();
  t.equal(notified, 1, 'a detached consumer is not called');
  t.equal(eventLog.pendingCount, 3, 'but its events are still kept');
  await eventLog.stop();
  // A restart keeps what the consumer had not taken, whatever the ring size.
  const again = setup(dir, { ringSize: 1 });
  await again.eventLog.start();
  again.eventLog.attach({ cursor: 3, max: 100, onDurable: () => undefined });
  t.same([...again.eventLog.pending()].map((event) => event.seq), [4, 5, 6]);
  await again.eventLog.stop();
});

t.test('overflow drops the oldest untaken events here, and one events.dropped tells how many once there is room', async (t) => {
  const dir = t.testdir();
  const { eventLog, recorded, lines } = setup(dir);
  await eventLog.start();
  eventLog.attach({ cursor: 0, max: 3, onDurable: () => undefined });
  for (let i = 0; i < 6; i++) eventLog.record({ type: 'resync.unchanged' });
  t.equal(eventLog.pendingCount, 3);
  t.equal(eventLog.takenThrough, 3, 'the dropped ones count as taken');
  t.equal(lines.filter((line) => line.includes('MQTT outbox full: dropping the oldest events max=3')).length, 1, 'logged once per spell');
  // Still full: announcing now would only drop more.
  eventLog.record({ type: 'resync.unchanged' });
  t.notOk(recorded.some((event) => event.type === 'events.dropped'));
  await eventLog.stop();
  // The count and how far the drops reached survive a restart.
  const again = setup(dir);
  await again.eventLog.start();
  again.eventLog.attach({ cursor: 0, max: 3, onDurable: () => undefined });
  t.same([...again.eventLog.pending()].map((event) => event.seq), [5, 6, 7]);
  again.eventLog.acknowledge(7);
  again.eventLog.record({ type: 'resync.started' });
  again.eventLog.record({ type: 'events.dropped', count: 1 });
  await again.eventLog.settled();
  t.same(
    again.recorded.map((event) => [event.seq, event.type, event.count]),
    [
      [8, 'events.dropped', 4],
      [9, 'resync.started', undefined],
      [10, 'events.dropped', 1],
    ],
  );
  t.match(again.lines.join('\n'), /events were lost to MQTT outbox overflow count=4/);
  await again.eventLog.stop();
  // Once announced, a restart does not announce it again.
  const third = setup(dir);
  await third.eventLog.start();
  third.eventLog.attach({ cursor: 10, max: 3, onDurable: () => undefined });
  third.eventLog.record({ type: 'resync.started' });
  await third.eventLog.settled();
  t.same(third.recorded.map((event) => event.type), ['resync.started']);
  await third.eventLog.stop();
});

t.test('a smaller bound after a restart drops at attach, and an import merges what the journal lacks', async (t) => {
  const dir = t.testdir();
  const { eventLog } = setup(dir);
  await eventLog.start();
  const event = (seq: number): RecordedEvent => ({ v: 1, seq, ts: '2026-01-01T00:00:00.000Z', device: 'd', type: 'resync.unchanged' });
  eventLog.record({ type: 'daemon.started' });
  await eventLog.merge([event(1), event(3), event(2), event(7)], 2);
  t.same(eventLog.recent().map((item) => [item.seq, item.type]), [
    [1, 'daemon.started'],
    [2, 'resync.unchanged'],
    [3, 'resync.unchanged'],
    [7, 'resync.unchanged'],
  ], 'the journal\'s own event wins over an imported one with its seq');
  t.equal(eventLog.lastSeq, 7);
  await eventLog.stop();
  const again = setup(dir);
  await again.eventLog.start();
  again.eventLog.attach({ cursor: 0, max: 2, onDurable: () => undefined });
  t.same([...again.eventLog.pending()].map((item) => item.seq), [3, 7]);
  again.eventLog.record({ type: 'resync.started' });
  await again.eventLog.settled();
  t.same(again.recorded.map((item) => [item.seq, item.type]), [[8, 'resync.started']]);
  again.eventLog.acknowledge(8);
  again.eventLog.record({ type: 'resync.started' });
  await again.eventLog.settled();
  t.match(again.recorded.at(-2), { seq: 9, type: 'events.dropped', count: 5 }, 'two imported, two at attach, one more at the full outbox');
  await again.eventLog.stop();
});

t.test('without a consumer an events.dropped is never announced and only the ring is kept', async (t) => {
  const dir = t.testdir();
  const { eventLog, recorded } = setup(dir, { ringSize: 3 });
  await eventLog.start();
  for (let i = 0; i < 10; i++) eventLog.record({ type: 'resync.unchanged' });
  t.same(eventLog.recent().map((event) => event.seq), [8, 9, 10]);
  await eventLog.settled();
  t.equal(recorded.length, 10);
  t.same([...eventLog.pending()], [], 'nothing is pending without a consumer');
  t.equal(eventLog.pendingCount, 0);
  await eventLog.stop();
});

t.test('a long outbox is kept in memory in order and trimmed without copying on every event', async (t) => {
  const dir = t.testdir();
  const { eventLog } = setup(dir, { ringSize: 10 });
  await eventLog.start();
  eventLog.attach({ cursor: 0, max: 5000, onDurable: () => undefined });
  for (let i = 0; i < 3000; i++) eventLog.record({ type: 'resync.unchanged' });
  for (let seq = 1; seq <= 3000; seq += 100) eventLog.acknowledge(seq);
  eventLog.acknowledge(2990);
  await eventLog.settled();
  t.same([...eventLog.pending()].map((event) => event.seq), Array.from({ length: 10 }, (_, i) => 2991 + i));
  t.same(eventLog.recent(3).map((event) => event.seq), [2998, 2999, 3000]);
  await eventLog.stop();
  const text = await readFile(path.join(dir, EVENTS_FILE), 'utf8');
  t.ok(text.split('\n').length < 3000, 'compacted on the way');
});

t.test('the ring keeps the most recent events and the journal is compacted to it', async (t) => {
  const dir = t.testdir();
  const { eventLog } = setup(dir, { ringSize: 5 });
  await eventLog.start();
  for (let i = 0; i < 40; i++) {
    eventLog.record({ type: 'resync.unchanged' });
    await eventLog.settled();
  }
  t.same(eventLog.recent(2).map((event) => event.seq), [39, 40]);
  t.same(eventLog.recent(0), []);
  t.equal(eventLog.recent().length, 5);
  await eventLog.stop();
  const lines = (await readFile(path.join(dir, EVENTS_FILE), 'utf8')).trim().split('\n');
  t.ok(lines.length <= 12, `journal holds ${lines.length} lines`);
  t.equal(JSON.parse(lines.at(-1) ?? '{}').seq, 40);
});

t.test('a journal that cannot be written is reported once and events still flow', async (t) => {
  const dir = t.testdir();
  const { eventLog, recorded, lines } = setup(dir, { ringSize: 1 });
  await eventLog.start();
  // Fault injection: the disk refuses every write.
  const journal = (eventLog as unknown as { journal: { append: () => Promise<never>; rewrite: () => Promise<never>; lineCount: number } }).journal;
  journal.append = () => Promise.reject(new Error('ENOSPC'));
  journal.rewrite = () => Promise.reject(new Error('ENOSPC'));
  journal.lineCount = 500;
  eventLog.record({ type: 'resync.started' });
  eventLog.record({ type: 'resync.started' });
  await eventLog.settled();
  t.equal(recorded.length, 2);
  t.equal(lines.filter((line) => line.includes('cannot write the event journal')).length, 1);
  await eventLog.stop();
});

t.test('once the journal can be written again, events kept in memory during the failure are written back: no seq gap', async (t) => {
  const dir = t.testdir();
  const { eventLog } = setup(dir);
  await eventLog.start();
  const journal = (eventLog as unknown as { journal: { append: (record: unknown) => Promise<void> } }).journal;
  const append = journal.append.bind(journal);
  eventLog.record({ type: 'resync.started' });
  await eventLog.settled();
  // Fault injection: a full disk for two events, then space again.
  journal.append = () => Promise.reject(new Error('ENOSPC'));
  eventLog.record({ type: 'resync.started' });
  eventLog.record({ type: 'resync.started' });
  await eventLog.settled();
  journal.append = append;
  eventLog.record({ type: 'resync.started' });
  await eventLog.settled();
  await eventLog.stop();
  const seqs = (await readFile(path.join(dir, EVENTS_FILE), 'utf8'))
    .trim()
    .split('\n')
    .map((line) => (JSON.parse(line) as { seq?: number }).seq)
    .filter((seq) => seq !== undefined);
  t.same(seqs, [1, 2, 3, 4]);
});

t.test('the default clock and redactor are used when none is given', async (t) => {
  const bus: DaemonBus = new TypedBus<DaemonEvents>();
  const eventLog = new EventLog({ bus, stateDir: t.testdir(), device: 'd', log: new Logger({ sink: { out: () => {}, err: () => {} } }) });
  await eventLog.start();
  const event = eventLog.record({ type: 'daemon.started' });
  t.match(event.ts, /^\d{4}-\d\d-\d\dT/);
  await eventLog.stop();
});
