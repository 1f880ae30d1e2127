/**
 * The event journal and event log on a failing disk (issue 15, found by
 * test/faults/storage-io.test.ts), with faults from the filesystem seam.
 */
import t from 'tap';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { TypedBus, type DaemonBus, type DaemonEvents } from '../../daemon/bus/index.js';
import { EventLog, EVENTS_FILE, Journal, JOURNAL_RETRY_MS } from '../../daemon/events/index.js';
import { Logger, Redactor } from '../../daemon/log/index.js';
import { faultyFileSystem } from '../fixtures/faults/filesystem.js';

/** faultyFileSystem picks the EIO point from `random()`; below 1/6 it is `write` (a torn write, and no truncate either). */
const EIO_WRITE = 0.5 / 6;
const text = (file: string): string => readFileSync(file, 'utf8');

t.test('a torn line that could not be cut off is cut before the next append, so no record is glued to it', async (t) => {
  const file = path.join(t.testdir({}), 'j.jsonl');
  const faulty = faultyFileSystem();
  const journal = new Journal(file, { files: faulty.files });
  await journal.load();
  await journal.append({ n: 1 });
  // Half of the next write lands, then EIO; the truncate that would cut it fails too.
  faulty.inject('EIO', path.dirname(file), () => EIO_WRITE);
  await t.rejects(journal.append({ n: 2, pad: 'x'.repeat(40) }), { code: 'EIO' });
  t.not(text(file), '{"n":1}\n', 'a torn tail is left on disk');
  // Still failing: the reopen cannot cut the torn tail, so it refuses to append after it.
  await t.rejects(journal.append({ n: 'x' }), { code: 'EIO' });
  faulty.heal();
  await journal.append({ n: 3 });
  t.equal(text(file), '{"n":1}\n{"n":3}\n', 'cut off before the next record');
  await journal.close();
});

t.test('a torn tail of a file since replaced by a rewrite is not cut from the new file', async (t) => {
  const file = path.join(t.testdir({}), 'j.jsonl');
  const faulty = faultyFileSystem();
  const journal = new Journal(file, { files: faulty.files });
  await journal.load();
  await journal.append({ n: 1, pad: 'y'.repeat(60) });
  faulty.inject('EIO', path.dirname(file), () => EIO_WRITE);
  await t.rejects(journal.append({ n: 2, pad: 'x'.repeat(40) }), { code: 'EIO' });
  faulty.heal();
  await journal.rewrite(() => [{ r: 1 }]);
  await journal.append({ n: 3 });
  t.equal(text(file), '{"r":1}\n{"n":3}\n');
  await journal.close();
});

t.test('events told from memory while the journal failed reach it by themselves once the disk is back, with no new event', async (t) => {
  const stateDir = t.testdir({});
  const faulty = faultyFileSystem();
  const bus: DaemonBus = new TypedBus<DaemonEvents>();
  const lines: string[] = [];
  const log = new Logger({ sink: { out: (line) => lines.push(line), err: (line) => lines.push(line) } });
  const events = new EventLog({ bus, stateDir, device: '0011aabbccdd', log, redactor: new Redactor(), files: faulty.files });
  await events.start();
  bus.emit('event', { type: 'daemon.started', version: '1' });
  await events.settled();
  faulty.inject('EROFS', stateDir, Math.random);
  bus.emit('event', { type: 'daemon.stopping' });
  bus.emit('event', { type: 'daemon.started', version: '2' });
  await events.settled();
  t.equal(events.recent().length, 3, 'told from memory');
  t.ok(lines.some((line) => line.includes('cannot write the event journal')), 'the failure is logged');
  // The first retry fails too (still read-only); the next one, later, finds the disk back.
  await new Promise((resolve) => setTimeout(resolve, JOURNAL_RETRY_MS.first + 100));
  faulty.heal();
  const seqs = (): number[] => text(path.join(stateDir, EVENTS_FILE)).trim().split('\n').map((line) => (JSON.parse(line) as { seq: number }).seq);
  while (seqs().length < 3) await new Promise((resolve) => setTimeout(resolve, 50));
  t.same(seqs(), [1, 2, 3], 'every event is journaled, without a new one to trigger it');
  t.ok(lines.some((line) => line.includes('the event journal is written again')), 'the recovery is logged');
  t.equal(lines.filter((line) => line.includes('cannot write the event journal')).length, 1, 'the failure spell was logged once');
  await events.stop();
});

t.test('a retry pending at stop is cancelled', async (t) => {
  const stateDir = t.testdir({});
  const faulty = faultyFileSystem();
  const bus: DaemonBus = new TypedBus<DaemonEvents>();
  const log = new Logger({ sink: { out: () => undefined, err: () => undefined } });
  const events = new EventLog({ bus, stateDir, device: '0011aabbccdd', log, files: faulty.files });
  await events.start();
  faulty.inject('EROFS', stateDir, Math.random);
  bus.emit('event', { type: 'daemon.started', version: '1' });
  await events.settled();
  await events.stop();
  faulty.heal();
  await new Promise((resolve) => setTimeout(resolve, JOURNAL_RETRY_MS.first + 100));
  t.throws(() => text(path.join(stateDir, EVENTS_FILE)), { code: 'ENOENT' }, 'nothing written after stop');
});
