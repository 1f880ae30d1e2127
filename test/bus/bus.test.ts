import t from 'tap';
import { TypedBus } from '../../daemon/bus/index.js';

interface Map1 {
  ping: [number];
  pong: [string, boolean];
}

t.test('listeners receive events in registration order and can unsubscribe', async (t) => {
  const bus = new TypedBus<Map1>();
  const seen: string[] = [];
  const off = bus.on('ping', (n) => seen.push(`a${n}`));
  bus.on('ping', (n) => seen.push(`b${n}`));
  bus.emit('ping', 1);
  off();
  bus.emit('ping', 2);
  bus.emit('pong', 'x', true);
  t.same(seen, ['a1', 'b1', 'b2']);
});

t.test('a listener that throws is reported and does not stop the others', async (t) => {
  const errors: unknown[] = [];
  const bus = new TypedBus<Map1>((error, name) => errors.push([name, (error as Error).message]));
  const seen: number[] = [];
  bus.on('ping', () => {
    throw new Error('bad listener');
  });
  bus.on('ping', (n) => seen.push(n));
  bus.emit('ping', 3);
  t.same(seen, [3]);
  t.same(errors, [['ping', 'bad listener']]);
  const quiet = new TypedBus<Map1>();
  quiet.on('ping', () => {
    throw new Error('ignored');
  });
  t.doesNotThrow(() => quiet.emit('ping', 1));
});
