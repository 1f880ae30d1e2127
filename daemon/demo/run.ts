/**
 * `provisiond --demo`: start the demo, run until SIGINT/SIGTERM, stop everything. Exit 0
 * after a clean stop, 1 when the demo could not start (the reason is printed).
 */
import { isProvisiondError } from '../errors/index.js';
import { Demo, type DemoOptions } from './demo.js';

export interface RunDemoOptions extends Omit<DemoOptions, 'say'> {
  readonly signals: NodeJS.EventEmitter;
  /** Default: standard output, written directly (the Logger would redact the token). */
  readonly say?: (line: string) => void;
}

export async function runDemo(options: RunDemoOptions): Promise<number> {
  const say = options.say ?? ((line: string) => void process.stdout.write(line + '\n'));
  const { signals } = options;
  let resolveSignal!: (name: string) => void;
  const signalled = new Promise<string>((resolve) => (resolveSignal = resolve));
  const handlers = (['SIGTERM', 'SIGINT'] as const).map((name) => [name, () => resolveSignal(name)] as const);
  for (const [name, handler] of handlers) signals.on(name, handler);
  // No keep-alive timer: the listening server, broker and display page hold the event loop.
  let code = 0;
  try {
    // A signal during start-up is acted on once the start finished.
    const demo = await Demo.start({ ...options, say });
    const name = await signalled;
    say(`demo     received ${name}, stopping`);
    await demo.stop();
    say('demo     stopped');
  } catch (err) {
    say(`demo     could not start: ${isProvisiondError(err) ? `${err.message} (${err.code})` : String(err)}`);
    code = 1;
  }
  for (const [name, handler] of handlers) signals.off(name, handler);
  return code;
}
