import t from 'tap';
import { formatData, formatEvent, formatStatus } from '../../daemon/cli/index.js';

t.test('formatData prints objects as NAME=value, lists one item per line, scalars as they are', async (t) => {
  t.equal(formatData({ Resync_Periodic: '3600', GPP_A: '' }), 'Resync_Periodic=3600\nGPP_A=-');
  t.equal(formatData([{ subject: 'CN=x', expired: false }, 7]), 'subject=CN=x expired=false\n7');
  t.equal(formatData('3600'), '3600');
  t.equal(formatData(undefined), '-');
  t.equal(formatData(null), '-');
});

t.test('formatEvent puts time, seq and type first and skips the envelope', async (t) => {
  t.equal(
    formatEvent({ v: 1, seq: 42, ts: '2026-01-01T12:00:05.000Z', device: 'SEP1', type: 'auth.challenge', realm: 'Avaya', scheme: 'Digest' }),
    '2026-01-01 12:00 #42 auth.challenge realm=Avaya scheme=Digest',
  );
  t.equal(formatEvent('odd'), '- #- -');
});

t.test('formatStatus copes with a sparse snapshot', async (t) => {
  t.equal(formatStatus({}), ['Device     -', 'Resync     never', 'Mobility   off', 'Dashboard  not connected', 'Prompt     none'].join('\n'));
  t.match(formatStatus({ resync: { last: { at: 'soon', outcome: 'failed' } } }), /Resync {5}failed soon/);
});

t.test('formatStatus shows device details, the next resync and the EM user', async (t) => {
  const status = {
    device: { id: 'SEP1', model: 'SPA942', extension: '', ip: '192.0.2.7' },
    resync: { running: false, last: { at: '2026-01-01T12:00:00Z', outcome: 'unchanged' }, next: '2026-01-01T13:00:00Z' },
    em: { enabled: true, state: 'mobile' },
    mqtt: { connected: true },
    prompt: null,
  };
  t.equal(
    formatStatus(status),
    ['Device     SEP1 (SPA942, 192.0.2.7)', 'Resync     unchanged 2026-01-01 12:00, next 2026-01-01 13:00', 'Mobility   logged in as -', 'Dashboard  connected', 'Prompt     none'].join('\n'),
  );
});
