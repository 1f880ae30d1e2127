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
  const now = () => new Date(Date.UTC(2026, 0, 1, 0, 0, tick++));
  const eventLog = new EventLog({ bus, stateDir, device: '0011aabbccdd', log, redactor, now, ...options });
  const recorded: RecordedEvent[] = [];
  bus.on('recorded', (event) => recorded.push(event));
  return { bus, eventLog, recorded, lines, redactor };
}

t.test('events emitted on the bus are stamped, numbered from 1 and emitted as recorded', async (t) => {
  const { bus, eventLog, recorded } = setup(t.testdir());
  await eventLog.start();
  bus.emit('event', { type: 'daemon.started', version: '0.1.0' });
  bus.emit('event', { type: 'resync.started', url: 'https://u:p@h/x', trigger: 'timer' });
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

t.test('a seq floor (from the outbox) wins over a journal that lost its tail', async (t) => {
  const { eventLog } = setup(t.testdir());
  await eventLog.start({ seqFloor: 41 });
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

t.test('dropped events are announced by an events.dropped event before the next event', async (t) => {
  const { eventLog, recorded } = setup(t.testdir());
  await eventLog.start();
  eventLog.noteDropped(3);
  eventLog.noteDropped(2);
  eventLog.record({ type: 'resync.started' });
  eventLog.record({ type: 'resync.unchanged' });
  t.same(
    recorded.map((event) => [event.seq, event.type, event.count]),
    [
      [1, 'events.dropped', 5],
      [2, 'resync.started', undefined],
      [3, 'resync.unchanged', undefined],
    ],
  );
  eventLog.noteDropped(1);
  eventLog.record({ type: 'events.dropped', count: 1 });
  t.equal(recorded.length, 4, 'an events.dropped event is not announced twice');
  await eventLog.stop();
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
  const journal = (eventLog as unknown as { journal: { append: () => Promise<never>; rewrite: () => Promise<never>; linesSinceRewrite: number } }).journal;
  journal.append = () => Promise.reject(new Error('ENOSPC'));
  journal.rewrite = () => Promise.reject(new Error('ENOSPC'));
  journal.linesSinceRewrite = 5;
  eventLog.record({ type: 'resync.started' });
  eventLog.record({ type: 'resync.started' });
  await eventLog.settled();
  t.equal(recorded.length, 2);
  t.equal(lines.filter((line) => line.includes('cannot write the event journal')).length, 1);
  await eventLog.stop();
});

t.test('the default clock and redactor are used when none is given', async (t) => {
  const bus: DaemonBus = new TypedBus<DaemonEvents>();
  const eventLog = new EventLog({ bus, stateDir: t.testdir(), device: 'd', log: new Logger({ sink: { out: () => {}, err: () => {} } }) });
  await eventLog.start();
  const event = eventLog.record({ type: 'daemon.started' });
  t.match(event.ts, /^\d{4}-\d\d-\d\dT/);
  await eventLog.stop();
});
