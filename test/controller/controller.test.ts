import t from 'tap';
import { Controller, type Feature } from '../../daemon/controller/index.js';
import { Logger, Redactor } from '../../daemon/log/index.js';

function log(lines: string[] = []): Logger {
  return new Logger({ level: 'debug', redactor: new Redactor(), sink: { out: (l) => lines.push(l), err: (l) => lines.push(l) } });
}

function feature(name: string, calls: string[], opts: { failStart?: boolean; failStop?: boolean; essential?: boolean; gate?: Promise<void> } = {}): Feature {
  return {
    name,
    essential: opts.essential,
    async start() {
      calls.push(`start ${name}`);
      await opts.gate;
      if (opts.failStart) throw new Error(`${name} broke`);
    },
    async stop() {
      calls.push(`stop ${name}`);
      if (opts.failStop) throw new Error(`${name} stuck`);
    },
  };
}

t.test('features start in order and stop in reverse order, once', async (t) => {
  const calls: string[] = [];
  const c = new Controller([feature('a', calls), feature('b', calls), feature('c', calls)], log());
  t.equal(await c.start(), true);
  await Promise.all([c.stop(), c.stop()]);
  t.same(calls, ['start a', 'start b', 'start c', 'stop c', 'stop b', 'stop a']);
});

t.test('a feature that fails to start is reported and the others go on', async (t) => {
  const calls: string[] = [];
  const lines: string[] = [];
  const c = new Controller([feature('a', calls), feature('mqtt', calls, { failStart: true }), feature('c', calls, { failStop: true })], log(lines));
  t.equal(await c.start(), true);
  t.same(c.health().filter((f) => f.state === 'failed').map((f) => [f.name, f.error?.message]), [['mqtt', 'mqtt broke']]);
  await c.stop();
  t.same(calls, ['start a', 'start mqtt', 'start c', 'stop c', 'stop a']);
  t.ok(lines.some((l) => l.startsWith('<3>mqtt failed to start: mqtt broke')));
  t.ok(lines.some((l) => l.startsWith('<3>c failed to stop cleanly: c stuck')));
});

t.test('an essential feature that fails aborts start-up and unwinds what started', async (t) => {
  const calls: string[] = [];
  const c = new Controller([feature('a', calls), feature('vault', calls, { failStart: true, essential: true }), feature('c', calls)], log());
  await t.rejects(c.start(), { message: 'vault broke' });
  t.same(calls, ['start a', 'start vault', 'stop a']);
});

t.test('a stop during start-up waits for the feature being started, stops it, and starts nothing more', async (t) => {
  const calls: string[] = [];
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  const c = new Controller([feature('a', calls), feature('slow', calls, { gate }), feature('never', calls)], log());
  const starting = c.start();
  await new Promise((r) => setImmediate(r));
  const stopping = c.stop();
  release();
  t.equal(await starting, false);
  await stopping;
  t.same(calls, ['start a', 'start slow', 'stop slow', 'stop a']);
});
