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
  t.equal(await loadDisplayToken(dir), 'k'.repeat(40));
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
