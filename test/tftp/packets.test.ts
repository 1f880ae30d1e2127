import t from 'tap';
import { ack, decode, error, OP, readRequest } from '../../daemon/tftp/packets.js';

t.test('RRQ carries the file, octet mode and the options (RFC 1350 §5, RFC 2347)', async (t) => {
  t.same(readRequest('a.cfg', { blksize: '1428', tsize: '0' }), Buffer.from('\0\x01a.cfg\0octet\0blksize\x001428\0tsize\x000\0', 'latin1'));
});

t.test('ACK, ERROR, DATA and OACK round trip; malformed packets decode to undefined', async (t) => {
  t.same(decode(ack(7)), { op: OP.ACK, block: 7 });
  t.same(decode(error(1, 'File not found')), { op: OP.ERROR, code: 1, message: 'File not found' });
  t.same(decode(Buffer.from([0, 5, 0, 2])), { op: OP.ERROR, code: 2, message: '' });
  t.same(decode(Buffer.from([0, 5, 0, 2, 65])), { op: OP.ERROR, code: 2, message: '' }, 'unterminated message');
  t.match(decode(Buffer.from([0, 3, 0, 1, 9])), { op: OP.DATA, block: 1, data: Buffer.from([9]) });
  t.same(decode(Buffer.from('\0\x06BLKSIZE\x00512\0', 'latin1')), { op: OP.OACK, options: new Map([['blksize', '512']]) });
  t.same(decode(Buffer.from([0, 6])), { op: OP.OACK, options: new Map() });
  t.equal(decode(Buffer.from('\0\x06blksize\0', 'latin1')), undefined, 'odd field count');
  t.equal(decode(Buffer.from('\0\x06blksize\x00512', 'latin1')), undefined, 'unterminated');
  t.equal(decode(Buffer.from([0, 3, 0])), undefined);
  t.equal(decode(Buffer.from([0, 1, 0, 0])), undefined);
});
