import t from 'tap';
import { mkdir, readFile, symlink, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { Journal } from '../../daemon/events/index.js';

t.test('records appended concurrently are all on disk, in order, after their promises resolve', async (t) => {
  const file = path.join(t.testdir(), 'j.jsonl');
  const journal = new Journal(file);
  t.same(await journal.load(), { records: [], skipped: 0 });
  await Promise.all(Array.from({ length: 50 }, (_, i) => journal.append({ n: i })));
  t.equal(journal.lineCount, 50);
  const lines = (await readFile(file, 'utf8')).trim().split('\n');
  t.same(lines.map((line) => JSON.parse(line).n), Array.from({ length: 50 }, (_, i) => i));
  await journal.close();
  t.same((await new Journal(file).load()).records.length, 50);
});

t.test('a torn last line is cut off, damaged lines are skipped, and the next append starts a line of its own', async (t) => {
  const file = path.join(t.testdir(), 'j.jsonl');
  await writeFile(file, '{"n":1}\nnot json\n\n{"n":2}\n{"n":3,"tr');
  const journal = new Journal(file);
  const loaded = await journal.load();
  t.same(loaded, { records: [{ n: 1 }, { n: 2 }], skipped: 2 });
  t.equal(journal.lineCount, 4, 'the damaged line still counts as garbage to compact');
  await journal.append({ n: 4 });
  await journal.close();
  t.equal(await readFile(file, 'utf8'), '{"n":1}\nnot json\n\n{"n":2}\n{"n":4}\n');
  t.same((await new Journal(file).load()).records, [{ n: 1 }, { n: 2 }, { n: 4 }]);
});

t.test('records appended in one turn of the event loop share one durable write, and those arriving during it share the next', async (t) => {
  const file = path.join(t.testdir(), 'j.jsonl');
  const journal = new Journal(file);
  await journal.load();
  await journal.append({ n: 0 });
  // Count the writes of the open handle (opened O_DSYNC: each write is one trip to the disk).
  const handle = (journal as unknown as { handle: { writeFile: (data: Uint8Array) => Promise<void> } }).handle;
  const writeFile = handle.writeFile.bind(handle);
  const writes: string[] = [];
  let arrive: (() => void) | undefined;
  handle.writeFile = async (data) => {
    writes.push(Buffer.from(data).toString());
    // Records appended while this write is on its way to the disk.
    arrive?.();
    arrive = undefined;
    return writeFile(data);
  };
  const first = Array.from({ length: 20 }, (_, i) => journal.append({ n: i + 1 }));
  await Promise.resolve();
  const later = journal.append({ n: 21 });
  t.equal(later, first[0], 'one promise for the whole group commit');
  const during: Promise<void>[] = [];
  arrive = () => {
    for (let n = 22; n < 25; n++) during.push(journal.append({ n }));
  };
  await Promise.all([...first, later]);
  await Promise.all(during);
  t.equal(writes.length, 2, 'one write for the batch (microtasks of the same turn included), one for what arrived during it');
  t.same(writes[0]!.trim().split('\n').map((line) => JSON.parse(line).n), Array.from({ length: 21 }, (_, i) => i + 1));
  t.same(writes[1]!.trim().split('\n').map((line) => JSON.parse(line).n), [22, 23, 24]);
  await journal.close();
});

t.test('a rewrite replaces the file with the live records and appends continue after it', async (t) => {
  const dir = t.testdir();
  const file = path.join(dir, 'j.jsonl');
  await writeFile(path.join(dir, '.j.jsonl.tmp-1-abcd'), 'stale');
  const journal = new Journal(file);
  await journal.load();
  await journal.append({ n: 1 });
  await journal.append({ n: 2 });
  await journal.rewrite(() => [{ n: 2 }]);
  t.equal(journal.lineCount, 1);
  await journal.append({ n: 3 });
  await journal.close();
  t.equal(await readFile(file, 'utf8'), '{"n":2}\n{"n":3}\n');
});

t.test('a failed append rejects its promise and the next one reopens the file', async (t) => {
  const dir = t.testdir();
  const file = path.join(dir, 'sub', 'j.jsonl');
  const journal = new Journal(file);
  await t.rejects(journal.append({ n: 1 }), { code: 'ENOENT' });
  await mkdir(path.dirname(file));
  await journal.append({ n: 2 });
  await journal.close();
  t.equal(await readFile(file, 'utf8'), '{"n":2}\n');
});

t.test('an append whose write fails on an open file cuts off the torn bytes, closes it and rejects', async (t) => {
  const file = path.join(t.testdir(), 'j.jsonl');
  const journal = new Journal(file);
  await journal.append({ n: 1 });
  // Fault injection: the open handle's write is short and then fails, as on a full disk.
  const handle = (journal as unknown as { handle: { write: (data: string) => Promise<unknown>; writeFile: (data: string) => Promise<never> } }).handle;
  handle.writeFile = async (data) => {
    await handle.write(data.slice(0, 4));
    throw Object.assign(new Error('no space'), { code: 'ENOSPC' });
  };
  await t.rejects(journal.append({ n: 2 }), { code: 'ENOSPC' });
  await journal.append({ n: 3 });
  await journal.close();
  t.equal(await readFile(file, 'utf8'), '{"n":1}\n{"n":3}\n');
});

t.test('a journal planted as a symbolic link is refused, by rewrites and appends alike', async (t) => {
  const dir = t.testdir();
  const file = path.join(dir, 'j.jsonl');
  await symlink(path.join(dir, 'elsewhere'), file);
  const journal = new Journal(file);
  await t.rejects(journal.rewrite(() => [{ n: 1 }]), { code: 'state_write_failed' });
  await t.rejects(journal.append({ n: 2 }), { code: 'ELOOP' });
  await journal.close();
});
