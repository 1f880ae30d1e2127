import t from 'tap';
import { avayaScriptVariables, deviceMacros, normaliseMac, probeHardware, readDeviceFacts } from '../../daemon/device/index.js';

t.test('settings override every value the hardware reports', async (t) => {
  const facts = await readDeviceFacts(
    { id: 'desk-12', mac: '00-0E-08-AA-BB-CC', serial: 'S1', model: 'SPA942', productSeries: '9xx', swVersion: '6.1.5(a)', hwVersion: '1.0.1', ip: '192.0.2.10' },
    async () => ({ mac: '11:11:11:11:11:11', model: 'Other', ip: '198.51.100.1', serial: 'HW', hwVersion: '9' }),
  );
  t.same(facts, { id: 'desk-12', mac: '00:0e:08:aa:bb:cc', serial: 'S1', model: 'SPA942', productSeries: '9xx', swVersion: '6.1.5(a)', hwVersion: '1.0.1', ip: '192.0.2.10' });
});

t.test('hardware values fill what the settings leave out; the id is the bare MAC; the series comes from the model', async (t) => {
  const facts = await readDeviceFacts({}, async () => ({ mac: '00:0E:08:01:23:45', model: 'CP-8841-3PCC', serial: 'FCH1', ip: '10.0.0.5', hwVersion: '4', swVersion: '11-3-1MPP' }));
  t.equal(facts.id, '000e08012345');
  t.equal(facts.productSeries, '8841');
  t.equal(facts.swVersion, '11-3-1MPP');
});

t.test('a failing or empty probe gives safe fallbacks', async (t) => {
  const facts = await readDeviceFacts({ model: 'phone' }, async () => {
    throw new Error('no dmidecode');
  });
  t.equal(facts.mac, '00:00:00:00:00:00');
  t.equal(facts.productSeries, '');
  t.match(facts.swVersion, /^\d+\.\d+\.\d+/, 'the package version');
  t.equal(facts.model, 'phone');
  const bare = await readDeviceFacts({}, async () => ({}));
  t.equal(bare.model, 'provisiond');
  t.equal(bare.serial, '');
  t.equal(bare.ip, '');
});

t.test('the real probe reads this machine once through systeminformation', async (t) => {
  const hw = await probeHardware();
  t.type(hw, 'object');
  if (hw.mac !== undefined) t.match(hw.mac, /^[0-9a-f:]+$/i);
  const facts = await readDeviceFacts({});
  t.match(facts.mac, /^([0-9a-f]{2}:){5}[0-9a-f]{2}$/);
});

t.test('MAC spellings are normalised', async (t) => {
  t.equal(normaliseMac('000E08AABBCC'), '00:0e:08:aa:bb:cc');
  t.equal(normaliseMac('00:0e:08:aa:bb'), undefined);
  t.equal(normaliseMac(undefined), undefined);
});

t.test('device macros follow DOMAIN.md §1.8 formats', async (t) => {
  const device = { id: 'x', mac: '00:0e:08:aa:bb:cc', serial: '88012BA01234', model: 'SPA2102', productSeries: '2102', swVersion: '2.0.6(b)', hwVersion: '1.88.1', ip: '192.168.1.100' };
  t.same(deviceMacros(device), {
    MA: '000e08aabbcc',
    MAU: '000E08AABBCC',
    MAC: '00:0e:08:aa:bb:cc',
    PN: 'SPA2102',
    PSN: '2102',
    SN: '88012BA01234',
    IP: '192.168.1.100',
    SWVER: '2.0.6(b)',
    HWVER: '1.88.1',
    CCERT: 'Not Installed',
  });
});

t.test('placeholder values from the hardware are ignored', async (t) => {
  const si = (await import('systeminformation')).default;
  const { probeHardware: probe } = await t.mockImport<typeof import('../../daemon/device/index.js')>('../../daemon/device/index.js', {
    systeminformation: {
      default: {
        ...si,
        networkInterfaces: async () => ({ mac: '', ip4: '' }),
        system: async () => ({ serial: '-', model: 'Default string', version: ' 2.1 ' }),
      },
    },
  });
  t.same(await probe(), { mac: undefined, ip: undefined, serial: undefined, model: undefined, hwVersion: '2.1' });
  const { probeHardware: probe2 } = await t.mockImport<typeof import('../../daemon/device/index.js')>('../../daemon/device/index.js', {
    systeminformation: { default: { ...si, networkInterfaces: async () => [], system: async () => ({ serial: '', model: 'X1', version: '' }) } },
  });
  t.same(await probe2(), { mac: undefined, ip: undefined, serial: undefined, model: 'X1', hwVersion: undefined });
});

t.test('device macros accept any MAC spelling and keep an unparseable one as given, in lower case', async (t) => {
  const base = { id: 'x', serial: '', model: 'M', productSeries: '', swVersion: '1', hwVersion: '', ip: '' };
  t.equal(deviceMacros({ ...base, mac: '00-0E-08-AA-BB-CC' }).MAC, '00:0e:08:aa:bb:cc');
  t.equal(deviceMacros({ ...base, mac: 'NOT-A-MAC' }).MA, 'not-a-mac');
});

t.test('an Avaya settings script sees the phone as GROUP, MODEL, MODEL4, MACADDR, SIG_IN_USE (DOMAIN §3.1)', async (t) => {
  const device = { id: 'x', mac: '00:1B:4F:AA:BB:CC', serial: 'AV123', model: '9611G', productSeries: '9611', swVersion: '6.8', hwVersion: '', ip: '' };
  t.same(avayaScriptVariables(device), { GROUP: '0', MACADDR: '001b4faabbcc', MODEL: '9611G', MODEL4: '9611', SERIALNO: 'AV123', SIG_IN_USE: 'H323', VPNACTIVE: '0' });
});
