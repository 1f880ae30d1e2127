import t from 'tap';
import { promises as fsp, readdirSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { nodeFileSystem, packageRoot, readFileIfExists, removeStaleTemps, settleWrites, tempPathFor, writeError, writeFileDurable, type FileSystem } from '../../daemon/fsutil/index.js';
import { ProvisiondError } from '../../daemon/errors/index.js';

t.test('a durable write replaces the file whole, with the mode asked for, and leaves no temp file', async (t) => {
  const dir = t.testdir({ 'a.json': 'old' });
  const file = path.join(dir, 'a.json');
  await writeFileDurable(file, 'new', { mode: 0o600 });
  t.equal(await fsp.readFile(file, 'utf8'), 'new');
  t.equal(statSync(file).mode & 0o777, 0o600);
  await writeFileDurable(path.join(dir, 'b.bin'), new Uint8Array([1, 2]));
  t.equal(statSync(path.join(dir, 'b.bin')).mode & 0o777, 0o644 & ~process.umask());
  t.same(readdirSync(dir).sort(), ['a.json', 'b.bin']);
  await settleWrites();
});

t.test('a symbolic link at the target is refused and left alone', async (t) => {
  const dir = t.testdir({ 'real.txt': 'keep' });
  symlinkSync(path.join(dir, 'real.txt'), path.join(dir, 'link.txt'));
  const err = await writeFileDurable(path.join(dir, 'link.txt'), 'x').catch((e: unknown) => e);
  t.type(err, ProvisiondError);
  t.equal((err as ProvisiondError).code, 'state_write_failed');
  t.equal(await fsp.readFile(path.join(dir, 'real.txt'), 'utf8'), 'keep');
});

t.test('a write that fails (missing directory) says why and leaves nothing behind', async (t) => {
  const dir = t.testdir({});
  const err = (await writeFileDurable(path.join(dir, 'nope', 'f'), 'x').catch((e: unknown) => e)) as ProvisiondError;
  t.equal(err.code, 'state_write_failed');
  t.match(err.message, /ENOENT/);
});

t.test('ENOSPC during the write keeps the old file and removes the temp file', async (t) => {
  const dir = t.testdir({ 'f.json': 'old' });
  // The seam's handles fail as a full disk does: part of the bytes land, then ENOSPC.
  const full: FileSystem = {
    ...nodeFileSystem,
    open: async (file, flags, mode) => {
      const handle = await nodeFileSystem.open(file, flags, mode);
      return {
        ...handle,
        writeFile: async (data) => {
          await handle.writeFile(String(data).slice(0, 1));
          throw Object.assign(new Error('no space'), { code: 'ENOSPC' });
        },
        close: () => handle.close(),
      };
    },
  };
  const err = (await writeFileDurable(path.join(dir, 'f.json'), 'new', { files: full }).catch((e: unknown) => e)) as ProvisiondError;
  t.equal(err.code, 'state_write_failed');
  t.match(err.message, /ENOSPC/);
  t.equal(await fsp.readFile(path.join(dir, 'f.json'), 'utf8'), 'old');
  t.same(readdirSync(dir), ['f.json']);
  const bare: FileSystem = { ...nodeFileSystem, rename: async () => { throw new Error('no code'); } };
  const err2 = (await writeFileDurable(path.join(dir, 'f.json'), 'new', { files: bare }).catch((e: unknown) => e)) as ProvisiondError;
  t.match(err2.message, /EIO/);
  t.same(readdirSync(dir), ['f.json']);
});

t.test('a failed fsync of the directory is reported, though the new file is already in place, whole', async (t) => {
  const dir = t.testdir({ 'f.json': 'old' });
  const sick: FileSystem = {
    ...nodeFileSystem,
    open: async (file, flags, mode) => {
      const handle = await nodeFileSystem.open(file, flags, mode);
      if (file !== dir) return handle;
      return { ...handle, sync: async () => { throw Object.assign(new Error('i/o'), { code: 'EIO' }); }, close: () => handle.close() };
    },
  };
  const err = (await writeFileDurable(path.join(dir, 'f.json'), 'new', { files: sick }).catch((e: unknown) => e)) as ProvisiondError;
  t.match(err.message, /EIO/);
  t.equal(await fsp.readFile(path.join(dir, 'f.json'), 'utf8'), 'new');
  t.same(readdirSync(dir), ['f.json']);
});

t.test('stale temp files of an interrupted write are removed at start', async (t) => {
  const dir = t.testdir({ 'v.enc': 'x', other: 'y' });
  const target = path.join(dir, 'v.enc');
  writeFileSync(tempPathFor(target), 'torn');
  writeFileSync(tempPathFor(target), 'torn');
  t.equal(await removeStaleTemps(target), 2);
  t.same(readdirSync(dir).sort(), ['other', 'v.enc']);
  t.equal(await removeStaleTemps(path.join(dir, 'missing', 'x')), 0);
});

t.test('reading a missing file gives undefined; other errors are thrown', async (t) => {
  const dir = t.testdir({ f: 'data' });
  t.equal((await readFileIfExists(path.join(dir, 'f')))?.toString(), 'data');
  t.equal(await readFileIfExists(path.join(dir, 'none')), undefined);
  await t.rejects(readFileIfExists(dir), { code: 'EISDIR' });
});

t.test('the package root is found from any module inside it, and not outside it', async (t) => {
  const root = packageRoot();
  t.ok(statSync(path.join(root, 'package.json')).isFile());
  t.throws(() => packageRoot('file:///proc/self/module.js'), { code: 'internal_error' });
});

t.test('a write error without an errno code is reported as EIO; a typed one is kept', async (t) => {
  t.match(writeError('/x/f', new Error('odd')).message, /could not write \/x\/f: EIO/);
  const typed = new ProvisiondError('state_write_failed', 'kept');
  t.equal(writeError('/x/f', typed), typed);
});
