import t from 'tap';
import { until } from '../fixtures/local.js';
import { randomBytes } from 'node:crypto';
import { tftpGet } from '../../daemon/tftp/index.js';
import { decode, OP } from '../../daemon/tftp/packets.js';
import { startFakeTftp, startTftpd } from '../fixtures/tftp/tftpd.js';

const big = randomBytes(100_000);
const exact = randomBytes(1428 * 3);
const tftpd = await startTftpd({ 'spa942.cfg': '<flat-profile/>\n', 'big.bin': big, 'exact.bin': exact, 'empty.cfg': '' });
t.teardown(tftpd.stop);
const url = (name: string) => `tftp://127.0.0.1:${tftpd.port}/${name}`;

t.test('reads a small profile from tftpd-hpa with blksize and tsize negotiated', async (t) => {
  const result = await tftpGet(url('spa942.cfg'));
  t.equal(result.body.toString(), '<flat-profile/>\n');
  t.equal(result.blksize, 1428);
  t.equal(result.tsize, 16);
});

t.test('reads multi-block files exactly, including a multiple of the block size and an empty file', async (t) => {
  t.same((await tftpGet(url('big.bin'))).body, big);
  t.same((await tftpGet(url('exact.bin'))).body, exact);
  t.same((await tftpGet(url('big.bin'), { blksize: 512 })).body, big);
  t.equal((await tftpGet(url('empty.cfg'))).body.length, 0);
  t.same((await tftpGet(`tftp://localhost:${tftpd.port}/spa942.cfg`)).body.toString(), '<flat-profile/>\n');
});

t.test('a missing file is not_found; a file larger than the cap is refused from its tsize', async (t) => {
  await t.rejects(tftpGet(url('missing.cfg')), { code: 'not_found' });
  await t.rejects(tftpGet(url('big.bin'), { maxBytes: 1000 }), { code: 'body_too_large' });
});

t.test('bad URLs and unresolvable hosts are typed errors', async (t) => {
  await t.rejects(tftpGet('http://127.0.0.1/x'), { code: 'url_invalid' });
  await t.rejects(tftpGet('tftp://127.0.0.1/'), { code: 'url_invalid' });
  await t.rejects(tftpGet('tftp://no-such-host.invalid/x'), { code: 'network_error' });
});


const data = (block: number, payload: Buffer) => Buffer.concat([Buffer.from([0, 3, block >> 8, block & 255]), payload]);
const oack = (fields: string[]) => Buffer.concat([Buffer.from([0, 6]), Buffer.from(fields.map((f) => `${f}\0`).join(''), 'latin1')]);

t.test('a server that ignores options sends 512-byte blocks; lost ACKs and stray TIDs are handled', async (t) => {
  const payload = randomBytes(700);
  let sentSecond = false;
  const fake = await startFakeTftp((packet, reply) => {
    const p = decode(packet);
    if (packet.readUInt16BE(0) === OP.RRQ) {
      reply(data(1, payload.subarray(0, 512)));
      reply(data(1, payload.subarray(0, 512)), 'other'); // from another port: unknown TID
      reply(data(1, payload.subarray(0, 512)), 'foreign'); // from another address: ignored
    } else if (p?.op === OP.ACK && p.block === 1 && !sentSecond) {
      sentSecond = true;
      reply(Buffer.from([0, 9, 9])); // garbage
      reply(Buffer.from([0, 99, 0, 0])); // unknown opcode
      reply(data(1, payload.subarray(0, 512))); // duplicate: our ACK "was lost"
      reply(data(2, payload.subarray(512)));
    }
  });
  t.teardown(fake.stop);
  const result = await tftpGet(`tftp://127.0.0.1:${fake.port}/f`, { blksize: 1024 });
  t.same(result.body, payload);
  t.equal(result.blksize, 512);
  t.equal(result.tsize, undefined);
});

t.test('without a port the request goes to port 69', async (t) => {
  // Nothing (or a real tftpd) listens on 127.0.0.1:69 here; either way a typed error.
  const err = await tftpGet('tftp://127.0.0.1/provisiond-absent.cfg', { timeoutMs: 10, retries: 0 }).catch((e: { code: string }) => e);
  t.match((err as { code: string }).code, /^(timeout|not_found)$/);
});

t.test('an unanswered request is retransmitted, then times out', async (t) => {
  const fake = await startFakeTftp(() => undefined);
  t.teardown(fake.stop);
  await t.rejects(tftpGet(`tftp://127.0.0.1:${fake.port}/f`, { timeoutMs: 20, retries: 2 }), { code: 'timeout' });
  t.equal(fake.received.length, 3);
});

t.test('OACK edge cases: no blksize means 512, an invalid blksize or an oversize stream is refused', async (t) => {
  const plain = await startFakeTftp((packet, reply) => {
    if (packet.readUInt16BE(0) === OP.RRQ) reply(oack([]));
    else reply(data(1, Buffer.from('tiny')));
  });
  t.teardown(plain.stop);
  t.equal((await tftpGet(`tftp://127.0.0.1:${plain.port}/f`)).body.toString(), 'tiny');
  const bad = await startFakeTftp((packet, reply) => {
    if (packet.readUInt16BE(0) === OP.RRQ) reply(oack(['blksize', '99999']));
  });
  t.teardown(bad.stop);
  await t.rejects(tftpGet(`tftp://127.0.0.1:${bad.port}/f`), { code: 'tftp_error' });
  await until(() => decode(bad.received.at(-1)!)?.op === OP.ERROR);
  t.pass('the server is told why');
  const liar = await startFakeTftp((packet, reply) => {
    const p = decode(packet);
    if (packet.readUInt16BE(0) === OP.RRQ) reply(oack(['blksize', '8', 'tsize', '4']));
    else if (p?.op === OP.ACK) reply(data(p.block + 1, Buffer.alloc(8)));
  });
  t.teardown(liar.stop);
  await t.rejects(tftpGet(`tftp://127.0.0.1:${liar.port}/f`, { maxBytes: 20 }), { code: 'body_too_large' });
  const refuse = await startFakeTftp((_packet, reply) => reply(Buffer.from('\0\x05\0\x02denied\0', 'latin1')));
  t.teardown(refuse.stop);
  await t.rejects(tftpGet(`tftp://127.0.0.1:${refuse.port}/f`), { code: 'tftp_error' });
});

t.test('block numbers roll over after 65535', async (t) => {
  const blocks = 65_540;
  const fake = await startFakeTftp((packet, reply) => {
    const p = decode(packet);
    if (packet.readUInt16BE(0) === OP.RRQ) reply(oack(['blksize', '8']));
    else if (p?.op === OP.ACK) {
      const next = p.block + 1;
      reply(data(next % 65536, Buffer.alloc(counter++ < blocks ? 8 : 0)));
    }
  });
  let counter = 0;
  t.teardown(fake.stop);
  const result = await tftpGet(`tftp://127.0.0.1:${fake.port}/f`, { blksize: 8, maxBytes: 10_000_000 });
  t.equal(result.body.length, blocks * 8);
});

/** A server that drips 8-byte blocks, each well inside the per-packet timeout, forever. */
async function startDrip(t: { teardown(fn: () => unknown): void }) {
  const timers = new Set<NodeJS.Timeout>();
  let blocks = 0;
  const fake = await startFakeTftp((packet, reply) => {
    const p = decode(packet);
    const later = (fn: () => void) => {
      const timer = setTimeout(() => {
        timers.delete(timer);
        fn();
      }, 5);
      timers.add(timer);
    };
    if (packet.readUInt16BE(0) === OP.RRQ) later(() => reply(oack(['blksize', '8'])));
    else if (p?.op === OP.ACK) {
      later(() => {
        blocks++;
        reply(data((p.block + 1) % 65536, Buffer.alloc(8)));
      });
    }
  });
  t.teardown(async () => {
    for (const timer of timers) clearTimeout(timer);
    await fake.stop();
  });
  return { port: fake.port, blocks: () => blocks };
}

t.test('a server that drips 8-byte blocks meets the total deadline (the retry count resets per block)', async (t) => {
  const drip = await startDrip(t);
  const err = await tftpGet(`tftp://127.0.0.1:${drip.port}/f`, { blksize: 8, timeoutMs: 5000, retries: 5, totalMs: 200 }).catch((e: Error) => e);
  t.match(err, { code: 'timeout', message: /total timeout after 200 ms/ });
  t.ok(drip.blocks() > 1, 'the server was still sending when the deadline ended the transfer');
});

t.test('a transfer is abandoned on its signal', async (t) => {
  const drip = await startDrip(t);
  const controller = new AbortController();
  const pending = tftpGet(`tftp://127.0.0.1:${drip.port}/f`, { blksize: 8, signal: controller.signal });
  await until(() => drip.blocks() > 2);
  controller.abort();
  await t.rejects(pending, { code: 'aborted' });
  await t.rejects(tftpGet(`tftp://127.0.0.1:${drip.port}/f`, { signal: controller.signal }), { code: 'aborted' });
});
