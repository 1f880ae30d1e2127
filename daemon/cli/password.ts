/**
 * Reading a password for provisionctl (SPEC §8): from the terminal without echo, or from
 * standard input with `--password-stdin` (one trailing newline removed, as `docker login
 * --password-stdin` does). Never from the command line, where `ps` would show it.
 */
import type { Readable, Writable } from 'node:stream';

export interface Terminal {
  readonly stdin: Readable & { readonly isTTY?: boolean; setRawMode?(raw: boolean): unknown };
  readonly stderr: Writable;
}

export class PasswordError extends Error {
  override readonly name = 'PasswordError';
  /** `usage` when the user must change the command line, `cancelled` on Ctrl-C. */
  readonly kind: 'usage' | 'cancelled';
  constructor(kind: 'usage' | 'cancelled', message: string) {
    super(message);
    this.kind = kind;
  }
}

const MAX_PASSWORD_BYTES = 4096;

export async function readPassword(terminal: Terminal, fromStdin: boolean, prompt = 'Password: '): Promise<string> {
  if (fromStdin) return readAll(terminal.stdin);
  if (!terminal.stdin.isTTY) throw new PasswordError('usage', 'no terminal to read the password from: use --password-stdin');
  return readWithoutEcho(terminal, prompt);
}

async function readAll(stdin: Readable): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stdin) {
    size += (chunk as Buffer).length;
    if (size > MAX_PASSWORD_BYTES) throw new PasswordError('usage', `the password on standard input is longer than ${MAX_PASSWORD_BYTES} bytes`);
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, '');
}

function readWithoutEcho(terminal: Terminal, prompt: string): Promise<string> {
  const { stdin, stderr } = terminal;
  // A TTY stream always has setRawMode (node:tty ReadStream).
  const raw = (on: boolean): unknown => (stdin as unknown as { setRawMode(raw: boolean): unknown }).setRawMode(on);
  // Echo goes off before the prompt shows: a quick typist must not see the password either.
  raw(true);
  stderr.write(prompt);
  return new Promise((resolve, reject) => {
    let typed = '';
    const finish = (error?: PasswordError): void => {
      stdin.off('data', onData);
      raw(false);
      stdin.pause();
      stderr.write('\n');
      if (error) reject(error);
      else resolve(typed);
    };
    const onData = (data: Buffer): void => {
      for (const char of data.toString('utf8')) {
        if (char === '\r' || char === '\n' || char === '\u0004') return finish();
        if (char === '\u0003') return finish(new PasswordError('cancelled', 'cancelled'));
        if (char === '\u007f' || char === '\b') typed = typed.slice(0, -1);
        else typed += char;
      }
    };
    stdin.on('data', onData);
    stdin.resume();
  });
}
