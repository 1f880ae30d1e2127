/**
 * `provisiond --demo`: start the demo, run until SIGINT/SIGTERM, stop everything. Exit 0
 * after a clean stop, 1 when the demo could not start (the reason is printed).
 */
import { isProvisiondError } from '../errors/index.js';
import { Demo, type DemoOptions } from './demo.js';

export interface RunDemoOptions extends DemoOptions {
  readonly signals: NodeJS.EventEmitter;
}

export async function runDemo(options: RunDemoOptions): Promise<number> {
  const say = options.say ?? ((line: string) => void process.stdout.write(line + '\n'));
  const { signals } = options;
  let onSignal = (_name: string): void => undefined;
  const signalled = new Promise<string>((resolve) => (onSignal = resolve));
  const onTerm = (): void => onSignal('SIGTERM');
  const onInt = (): void => onSignal('SIGINT');
  signals.on('SIGTERM', onTerm);
  signals.on('SIGINT', onInt);
  // Runs until told to stop, even while nothing else is pending.
  const keepAlive = setInterval(() => undefined, 2 ** 30);
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
  clearInterval(keepAlive);
  signals.off('SIGTERM', onTerm);
  signals.off('SIGINT', onInt);
  return code;
}
