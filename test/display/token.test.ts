import t from 'tap';
import { chmod, readFile, stat, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { Redactor } from '../../daemon/log/index.js';
import { loadDisplayToken, tokenMatches, TOKEN_FILE } from '../../daemon/display/index.js';

t.test('the token is created once, random, mode 0600, and registered as a secret', async (t) => {
  const dir = t.testdir();
  const redactor = new Redactor();
  const token = await loadDisplayToken(dir, redactor);
  t.match(token, /^[A-Za-z0-9_-]{43}$/);
  const file = path.join(dir, TOKEN_FILE);
  t.equal((await stat(file)).mode & 0o777, 0o600);
  t.equal((await readFile(file, 'utf8')).trim(), token);
  t.ok(redactor.has(token));
  t.equal(await loadDisplayToken(dir, redactor), token, 'the same token after a restart');
});

t.test('a loosened token file is tightened back to 0600', async (t) => {
  const dir = t.testdir({ [TOKEN_FILE]: 'k'.repeat(40) + '\n' });
  const file = path.join(dir, TOKEN_FILE);
  await chmod(file, 0o644);
  t.equal(await loadDisplayToken(dir, new Redactor()), 'k'.repeat(40));
  t.equal((await stat(file)).mode & 0o777, 0o600);
});

t.test('a truncated token file is replaced by a new token', async (t) => {
  const dir = t.testdir();
  await writeFile(path.join(dir, TOKEN_FILE), 'short');
  const token = await loadDisplayToken(dir, new Redactor());
  t.not(token, 'short');
  t.equal(token.length, 43);
});

t.test('tokenMatches compares whole tokens', async (t) => {
  t.ok(tokenMatches('abc', 'abc'));
  t.notOk(tokenMatches('abc', 'abcd'));
  t.notOk(tokenMatches('abc', ''));
});

t.test('a link planted at display.token is neither read nor chmod-ed: it is replaced by a fresh token', async (t) => {
  const { lstat, mkdir, symlink } = await import('node:fs/promises');
  const dir = t.testdir({ elsewhere: 'e'.repeat(40) + '\n' });
  const target = path.join(dir, 'elsewhere');
  await chmod(target, 0o644);
  const file = path.join(dir, TOKEN_FILE);
  await symlink(target, file);
  const token = await loadDisplayToken(dir, new Redactor());
  t.not(token, 'e'.repeat(40), 'the linked file was not taken as the token');
  t.equal((await stat(target)).mode & 0o777, 0o644, 'the linked file kept its mode');
  t.equal(await readFile(target, 'utf8'), 'e'.repeat(40) + '\n');
  t.ok((await lstat(file)).isFile(), 'the link was replaced by a regular file');
  const other = t.testdir();
  await mkdir(path.join(other, TOKEN_FILE));
  await t.rejects(loadDisplayToken(other, new Redactor()), 'a directory in its place is not replaced');
  await t.rejects(loadDisplayToken(`${dir}\0`, new Redactor()), { code: 'ERR_INVALID_ARG_VALUE' }, 'other errors are not taken for a missing token');
});

t.test('a temp file left by a token write that a power cut interrupted is removed at load', async (t) => {
  const stale = `.${TOKEN_FILE}.tmp-4242-0badc0de`;
  const dir = t.testdir({ [TOKEN_FILE]: 'k'.repeat(40) + '\n', [stale]: 'half a tok' });
  t.equal(await loadDisplayToken(dir, new Redactor()), 'k'.repeat(40));
  await t.rejects(stat(path.join(dir, stale)), { code: 'ENOENT' });
});
