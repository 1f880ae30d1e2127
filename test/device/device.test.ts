import t from 'tap';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { avayaScriptVariables, deviceMacros, normaliseMac, probeHardware, probeKernel, probeSysteminformation, readDeviceFacts } from '../../daemon/device/index.js';

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

t.test('the real probe reads this machine once, from kernel files and through systeminformation', async (t) => {
  const hw = await probeHardware();
  t.type(hw, 'object');
  if (hw.mac !== undefined) t.match(hw.mac, /^[0-9a-f:]+$/i);
  const facts = await readDeviceFacts({});
  t.match(facts.mac, /^([0-9a-f]{2}:){5}[0-9a-f]{2}$/);
  const viaSi = await probeSysteminformation();
  t.type(viaSi, 'object');
});

const nic = (address: string, mac: string, internal = false): os.NetworkInterfaceInfo => ({ address, mac, internal, family: 'IPv4', netmask: '255.255.255.0', cidr: `${address}/24` });

t.test('the kernel probe takes the default route\'s interface and DMI, ignoring placeholders', async (t) => {
  const root = mkdtempSync(path.join(os.tmpdir(), 'device-'));
  const dmi = path.join(root, 'dmi');
  mkdirSync(dmi);
  writeFileSync(path.join(dmi, 'product_serial'), 'FCH1234\n');
  writeFileSync(path.join(dmi, 'product_name'), 'CP-8841-3PCC\n');
  writeFileSync(path.join(dmi, 'product_version'), 'To be filled by O.E.M.\n');
  const route = path.join(root, 'route');
  writeFileSync(route, 'Iface\tDestination\tGateway\neth1\t000200C0\t00000000\neth1\t00000000\t010200C0\n');
  const interfaces = () => ({ lo: [nic('127.0.0.1', '00:00:00:00:00:00', true)], eth0: [nic('10.0.0.9', '00:0e:08:00:00:09')], eth1: [nic('192.0.2.5', '00:0E:08:AA:BB:CC')] });
  t.same(await probeKernel({ route, dmi, interfaces }), { mac: '00:0E:08:AA:BB:CC', ip: '192.0.2.5', serial: 'FCH1234', model: 'CP-8841-3PCC', hwVersion: undefined });
  // No route file (or no default route): the first interface with a real MAC; no DMI files.
  const missing = path.join(root, 'none');
  t.same(await probeKernel({ route: missing, dmi: missing, interfaces }), { mac: '00:0e:08:00:00:09', ip: '10.0.0.9', serial: undefined, model: undefined, hwVersion: undefined });
  // Nothing but loopback: no MAC, so probeHardware asks the fallback.
  const loopback = { route: missing, dmi: missing, interfaces: () => ({ lo: [nic('127.0.0.1', '00:00:00:00:00:00', true)] }) };
  t.same(await probeKernel(loopback), { mac: undefined, ip: undefined, serial: undefined, model: undefined, hwVersion: undefined });
  t.same(await probeHardware(loopback, async () => ({ model: 'from fallback' })), { model: 'from fallback' });
  t.same(await probeHardware({ route, dmi, interfaces }, async () => ({ model: 'unused' })), { mac: '00:0E:08:AA:BB:CC', ip: '192.0.2.5', serial: 'FCH1234', model: 'CP-8841-3PCC', hwVersion: undefined });
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
  const { probeSysteminformation: probe } = await t.mockImport<typeof import('../../daemon/device/index.js')>('../../daemon/device/index.js', {
    systeminformation: {
      default: {
        ...si,
        networkInterfaces: async () => ({ mac: '', ip4: '' }),
        system: async () => ({ serial: '-', model: 'Default string', version: ' 2.1 ' }),
      },
    },
  });
  t.same(await probe(), { mac: undefined, ip: undefined, serial: undefined, model: undefined, hwVersion: '2.1' });
  const { probeSysteminformation: probe2 } = await t.mockImport<typeof import('../../daemon/device/index.js')>('../../daemon/device/index.js', {
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
