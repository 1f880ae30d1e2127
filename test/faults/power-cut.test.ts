/**
 * Power cuts while events flow (SPEC §8: an event is published only once it is on disk; the
 * MQTT cursor never runs ahead of the journal). A SIGKILL keeps the page cache, so the kill
 * tests cannot see an event published before its write reached the disk; here the real App
 * runs in process on a filesystem that knows which bytes are durable (fixtures/faults/
 * durable.ts), and at a seeded moment the state directory is copied as a power cut would leave
 * it. The next generation starts on that copy against the same Mosquitto, under its own topic
 * prefix, so what the cut-off generation still sends afterwards (a world that never happened)
 * is told apart.
 *
 * After every cut: each event a dashboard had received is in the journal the next start finds,
 * the same event under the same seq; no seq a dashboard saw names a different event later;
 * and at the end every seq of the surviving history reached the dashboard.
 */
import t from 'tap';
import { readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { startApp, type TestApp } from '../fixtures/app.js';
import { durableFileSystem } from '../fixtures/faults/durable.js';
import { faultSeed, prng, sleep } from '../fixtures/faults/daemon.js';
import { POWER_KILLS, readJournal } from '../fixtures/faults/power.js';
import { shortTempDir } from '../fixtures/local.js';
import { startMosquitto } from '../fixtures/mqtt/mosquitto.js';
import { subscribe } from '../fixtures/mqtt/subscriber.js';

const SEED = faultSeed(20261520);
const CUTS = Math.max(1, Math.round(POWER_KILLS / 2));
const DEVICE = '000e08aabbcc';

/** What identifies an event: a dashboard's copy and the journal's must agree on all of it. */
interface Seen {
  readonly seq: number;
  readonly key: string;
}

/** The whole event, fields in one order: the journal's line and the MQTT payload must say the same. */
const keyOf = (record: Record<string, unknown>): string => JSON.stringify(Object.keys(record).sort().map((field) => [field, record[field]]));

/** seq → the event under it, as the journal holds it. */
function journal(stateDir: string): Map<number, string> {
  return new Map(readJournal(stateDir).map(({ seq, text }) => [seq, keyOf(JSON.parse(text) as Record<string, unknown>)]));
}

t.test(`power cuts: ${CUTS} cuts while events flow to MQTT`, async (t) => {
  t.setTimeout(Math.max(120_000, CUTS * 4_000));
  t.comment(`seed ${SEED}`);
  const random = prng(SEED);
  const broker = await startMosquitto({ users: { phone: 'phone-cut-pw', dash: 'dash-pass' } });
  t.teardown(() => broker.close());
  const dashboard = await subscribe(broker.url, `+/${DEVICE}/events/#`, { username: 'dash', password: 'dash-pass' });
  t.teardown(() => dashboard.close());
  /** What each generation's dashboard copy said, up to its cut (or its end). */
  const told = (prefix: string, upTo: number): Seen[] =>
    dashboard.messages.slice(0, upTo).flatMap((message) => {
      if (!message.topic.startsWith(`${prefix}/`)) return [];
      const event = JSON.parse(message.text) as Record<string, unknown> & { seq: number };
      return [{ seq: event.seq, key: keyOf(event) }];
    });

  const start = async (dir: string, generation: number): Promise<{ running: TestApp; cut: ReturnType<typeof durableFileSystem> }> => {
    const cut = durableFileSystem();
    const running = await startApp(t, {
      dir,
      files: cut.files,
      extra: { mqtt: { url: broker.url, username: 'phone', passwordFile: path.join(dir, 'mqtt.pw'), topicPrefix: `g${generation}` } },
    });
    return { running, cut };
  };

  let dir = shortTempDir(t, 'pvd-cut-');
  writeFileSync(path.join(dir, 'mqtt.pw'), 'phone-cut-pw\n');
  let generation = 0;
  let current = await start(dir, generation);
  /** seq → the event under it, as any dashboard was told before a cut: it may never change. */
  const history = new Map<number, string>();
  const problems: string[] = [];
  let emitted = 0;
  let received = 0;
  let cutOff = 0;
  for (let cut = 0; cut < CUTS && problems.length < 8; cut++) {
    // Bursts of events (one batch each) with pauses, until a seeded moment.
    const until = Date.now() + 5 + Math.floor(random() * 60);
    while (Date.now() < until) {
      const burst = 1 + Math.floor(random() * 20);
      for (let i = 0; i < burst; i++) current.running.app.bus.emit('event', { type: 'daemon.started', version: `g${generation}-${emitted++}` });
      await (random() < 0.5 ? sleep(Math.floor(random() * 4)) : new Promise((resolve) => setImmediate(resolve)));
    }
    // The cut: the disk as it is now, and what the dashboard has been told by now.
    const next = shortTempDir(t, 'pvd-cut-');
    current.cut.cutCopy(dir, next);
    const seen = told(`g${generation}`, dashboard.messages.length);
    received += seen.length;
    const stateDir = path.join(dir, 'state');
    const durable = current.cut.durableSize(path.join(stateDir, 'events.jsonl')) ?? 0;
    cutOff += readFileSync(path.join(stateDir, 'events.jsonl')).length - durable;
    for (const { seq, key } of seen) {
      const before = history.get(seq);
      if (before !== undefined && before !== key) problems.push(`cut ${cut}: seq ${seq} was told as one event, then as another`);
      history.set(seq, key);
    }
    await current.running.app.stop();

    generation++;
    dir = next;
    current = await start(dir, generation);
    const found = journal(path.join(dir, 'state'));
    const first = Math.min(...found.keys());
    for (const { seq, key } of seen) {
      if (seq < first) continue; // compacted away long ago, with the ring's older events
      if (found.get(seq) !== key) problems.push(`cut ${cut}: seq ${seq} reached the dashboard but the restart found ${found.has(seq) ? 'another event' : 'nothing'} under it`);
    }
    if (current.running.app.events.lastSeq < Math.max(0, ...seen.map((event) => event.seq))) problems.push(`cut ${cut}: seq went back below what the dashboard saw`);
  }
  t.same(problems, [], 'every event a dashboard received survived the cut, under its seq, and no seq was reused for another event');

  // The surviving history: every seq in it reached the dashboard, as that event.
  const { app } = current.running;
  const last = app.events.lastSeq;
  const prefix = `g${generation}`;
  await dashboard.waitFor(() => told(prefix, dashboard.messages.length).some((event) => event.seq === last));
  await app.events.settled();
  const final = journal(path.join(dir, 'state'));
  for (const { seq, key } of told(prefix, dashboard.messages.length)) {
    const before = history.get(seq);
    if (before !== undefined && before !== key) problems.push(`end: seq ${seq} was told as one event, then as another`);
    history.set(seq, key);
  }
  const missing = [...final].filter(([seq, key]) => history.get(seq) !== key).map(([seq]) => seq);
  t.same(missing, [], `the dashboard got every event of the journal (${final.size} kept)`);
  t.same(problems, [], 'nor was a seq reused at the end');
  t.comment(`power cuts: ${CUTS} cuts, ${emitted} events emitted, ${received} received before a cut and kept, ${cutOff} bytes of journal not yet durable at the cuts cut off; nothing a dashboard saw was lost or reused`);
});
