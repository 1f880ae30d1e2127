/**
 * provisionctl (SPEC §8): one run of the command line against the daemon's Unix socket.
 * Exit codes: 0 done, 1 failed, 2 usage, 3 daemon unreachable. Data goes to stdout, messages
 * to stderr; `--json` prints the daemon's JSON as it came.
 */
import type { Writable } from 'node:stream';
import type { RecordedEvent } from '../bus/index.js';
import { runDashboardCli } from '../dashboard/index.js';
import type { HardwareProbe } from '../device/index.js';
import { ruleEval } from './rule-eval.js';
import { parseCommandLine, USAGE, type Command, type Invocation } from './args.js';
import { FeedConnection, type Reply } from './client.js';
import { formatData, formatEvent, formatStatus, formatTrust } from './format.js';
import { readPassword, type PasswordError, type Terminal } from './password.js';

export const EXIT = { done: 0, failed: 1, usage: 2, unreachable: 3 } as const;

export interface CliIo extends Terminal {
  readonly stdout: Writable;
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Aborted on SIGINT: ends `events --follow` cleanly. */
  readonly signal?: AbortSignal;
  /** What `rule eval` reads of the hardware (tests inject one; the real one asks the system). */
  readonly probe?: HardwareProbe;
}

const RECENT_EVENTS = 20;

export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  // The fleet view talks to the broker, not to a daemon: its own options and exit codes.
  if (argv[0] === 'dashboard') return runDashboardCli(argv.slice(1), io);
  const parsed = parseCommandLine(argv, io.env);
  if (!parsed.ok) {
    io.stderr.write(`provisionctl: ${parsed.message}\nTry 'provisionctl --help'.\n`);
    return EXIT.usage;
  }
  const { invocation } = parsed;
  const { command } = invocation;
  if (command.name === 'help') {
    io.stdout.write(USAGE + '\n');
    return EXIT.done;
  }
  if (command.name === 'rule-eval') {
    // Offline: the same evaluator the daemon uses, about this phone, secrets masked (SPEC §8).
    return (await ruleEval({ rule: command.rule, params: command.params, json: invocation.json, socket: invocation.socket }, io)) ? EXIT.done : EXIT.failed;
  }
  let connection: FeedConnection;
  try {
    connection = await FeedConnection.open(invocation.socket);
  } catch (error) {
    io.stderr.write(`provisionctl: ${(error as Error).message}\n`);
    return EXIT.unreachable;
  }
  const code = await new Session(invocation, connection, io).run(command).catch((error: unknown) => {
    // Only reading a password throws here; anything else would be a bug, reported as a failure.
    io.stderr.write(`provisionctl: ${(error as Error).message}\n`);
    return (error as PasswordError).kind === 'usage' ? EXIT.usage : EXIT.failed;
  });
  connection.close();
  return code;
}

class Session {
  private readonly invocation: Invocation;
  private readonly connection: FeedConnection;
  private readonly io: CliIo;

  constructor(invocation: Invocation, connection: FeedConnection, io: CliIo) {
    this.invocation = invocation;
    this.connection = connection;
    this.io = io;
  }

  async run(command: Exclude<Command, { name: 'help' | 'rule-eval' }>): Promise<number> {
    switch (command.name) {
      case 'status':
        return this.finish(await this.connection.command('status'), formatStatus);
      case 'resync':
      case 'backup':
      case 'restore':
      case 'report':
        return this.finish(await this.connection.command(command.name, { wait: command.wait }), (data) =>
          command.wait ? `${command.name} ${'outcome' in data ? data.outcome : 'done'}` : `${command.name} started`,
        );
      case 'register': {
        const password = await this.password('Registration password: ');
        return this.finish(await this.connection.command('register', { extension: command.extension, password }), () => `extension ${command.extension} registered`);
      }
      case 'login': {
        const password = await this.password(`Password for ${command.user}: `);
        return this.finish(await this.connection.command('login', { user: command.user, password }), () => `logged in as ${command.user}`);
      }
      case 'logout':
        return this.finish(await this.connection.command('logout'), () => 'logged out');
      case 'profile-account': {
        const password = await this.password(`Password for ${command.user}: `);
        return this.finish(await this.connection.command('profile-account', { user: command.user, password }), () => 'profile account stored');
      }
      case 'profile-account-clear':
        return this.finish(await this.connection.command('profile-account-clear'), (data) => (data.cleared ? 'profile account cleared' : 'no profile account was stored'));
      case 'answer':
        return this.answer(command.prompt, command.user);
      case 'cancel':
        return this.withPrompt(command.prompt, async (promptId) => this.finish(await this.connection.request({ type: 'cancel', promptId }), () => 'prompt cancelled'));
      case 'softkey':
        return this.finish(await this.connection.request({ type: 'softkey', key: command.key }), () => `${command.key} pressed`);
      case 'events':
        return this.events(command.follow);
      case 'params':
        return this.finish(await this.connection.command('params', command.param === undefined ? {} : { name: command.param }), formatData);
      case 'trust':
        return this.finish(await this.connection.command('trust'), formatTrust);
      case 'set': {
        const values = command.secret === undefined ? command.values : { [command.secret]: await this.password(`Value of ${command.secret}: `) };
        return this.finish(await this.connection.command('set', values), changedLine);
      }
      case 'unset':
        return this.finish(await this.connection.command('unset', Object.fromEntries(command.names.map((name) => [name, true]))), changedLine);
    }
  }

  private password(prompt: string): Promise<string> {
    return readPassword(this.io, this.invocation.passwordStdin, prompt);
  }

  private async answer(prompt: string | undefined, username: string): Promise<number> {
    return this.withPrompt(prompt, async (promptId, kind) => {
      const password = await this.password(`Password (${kind}): `);
      return this.finish(await this.connection.request({ type: 'answer', promptId, username, password }), () => 'prompt answered');
    });
  }

  /** Runs `action` on the prompt given with --prompt, or else on the one open now. */
  private async withPrompt(given: string | undefined, action: (id: string, kind: string) => Promise<number>): Promise<number> {
    if (given !== undefined) return action(given, 'prompt');
    const status = await this.connection.command('status');
    if (!status.ok) return this.finish(status, formatData);
    const open = status.data.prompt;
    if (!open) {
      this.io.stderr.write('provisionctl: no prompt is open\n');
      return EXIT.failed;
    }
    return action(open.id, open.kind);
  }

  private async events(follow: boolean): Promise<number> {
    const recent = await this.connection.command('events', { limit: RECENT_EVENTS });
    if (!recent.ok) return this.finish(recent, formatData);
    const print = (event: RecordedEvent): void => {
      this.io.stdout.write((this.invocation.json ? JSON.stringify(event) : formatEvent(event)) + '\n');
    };
    for (const event of recent.data) print(event);
    if (!follow) return EXIT.done;
    this.connection.onEvent(print);
    const stopped = new Promise<undefined>((resolve) => this.io.signal?.addEventListener('abort', () => resolve(undefined), { once: true }));
    const gone = await Promise.race([this.connection.closed, stopped]);
    if (!gone) return EXIT.done;
    this.io.stderr.write(`provisionctl: ${gone.message}\n`);
    return EXIT.unreachable;
  }

  private finish<T>(result: Reply<T>, human: (data: T) => string): number {
    const { stdout, stderr } = this.io;
    if (this.invocation.json) stdout.write(JSON.stringify(result.ok ? (result.data ?? { ok: true }) : { ok: false, error: result.error }) + '\n');
    // Only answers to answer, cancel and softkey come without data, and their lines do not read it.
    else if (result.ok) stdout.write(human(result.data as T) + '\n');
    else stderr.write(`provisionctl: ${result.error.message} (${result.error.code})\n`);
    if (result.ok) return EXIT.done;
    return result.error.code === 'daemon_unreachable' ? EXIT.unreachable : EXIT.failed;
  }
}

function changedLine(data: { readonly changed: readonly string[] }): string {
  return data.changed.length === 0 ? 'nothing changed' : `changed: ${data.changed.join(', ')}`;
}

