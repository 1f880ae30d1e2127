/**
 * Device identity (SPEC §2 `device`): read once at start, each value overridable in the
 * settings, then cached for the life of the process. On Linux the facts are read straight from
 * the kernel (the default route in /proc/net/route, the interface from os.networkInterfaces(),
 * DMI from /sys): systeminformation gets the same values by spawning some 70 shell commands
 * (ECOSYSTEM.md §9), which cost about a third of a second of start-up and 11 MiB of RSS for
 * loading it. It is imported only where the kernel files give no MAC (another OS).
 */
import type * as Si from 'systeminformation';
import { promises as fsp, readFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { packageRoot } from '../fsutil/index.js';

export interface DeviceFacts {
  /** Device id used in topics and events. */
  readonly id: string;
  /** MAC, lower-case hex with colons (`00:0e:08:aa:bb:cc`). */
  readonly mac: string;
  readonly serial: string;
  readonly model: string;
  readonly productSeries: string;
  readonly swVersion: string;
  readonly hwVersion: string;
  readonly ip: string;
}

/** What the settings' `device` section sets (SPEC §2): any fact, the id included. */
export type DeviceOverrides = Partial<DeviceFacts>;

/** What the hardware says; every field may be missing. */
export type HardwareFacts = Partial<Omit<DeviceFacts, 'id'>>;

export type HardwareProbe = () => Promise<HardwareFacts>;

/** Where the kernel's files are (tests point these at a fixture tree). */
export interface KernelFiles {
  readonly route: string;
  readonly dmi: string;
  readonly interfaces: () => NodeJS.Dict<os.NetworkInterfaceInfo[]>;
}

const LINUX: KernelFiles = { route: '/proc/net/route', dmi: '/sys/devices/virtual/dmi/id', interfaces: () => os.networkInterfaces() };

async function readText(file: string): Promise<string | undefined> {
  return fsp.readFile(file, 'utf8').catch(() => undefined);
}

/** The interface of the default route (destination 00000000), else the first one that is up and not loopback. */
function defaultInterface(routeTable: string | undefined, interfaces: NodeJS.Dict<os.NetworkInterfaceInfo[]>): os.NetworkInterfaceInfo[] | undefined {
  const viaRoute = (routeTable ?? '')
    .split('\n')
    .slice(1)
    .map((line) => line.trim().split(/\s+/))
    .find((fields) => fields[1] === '00000000')?.[0];
  if (viaRoute !== undefined && interfaces[viaRoute] !== undefined) return interfaces[viaRoute];
  return Object.values(interfaces).find((addresses) => addresses?.some((a) => !a.internal && a.mac !== '00:00:00:00:00:00'));
}

/** Reads the default interface's MAC and IP, and DMI's serial, model and version, from kernel files. */
export async function probeKernel(files: KernelFiles = LINUX): Promise<HardwareFacts> {
  const [route, serial, model, version] = await Promise.all([
    readText(files.route),
    readText(path.join(files.dmi, 'product_serial')),
    readText(path.join(files.dmi, 'product_name')),
    readText(path.join(files.dmi, 'product_version')),
  ]);
  const addresses = defaultInterface(route, files.interfaces());
  const ip4 = addresses?.find((a) => a.family === 'IPv4');
  const mac = addresses?.find((a) => a.mac !== '00:00:00:00:00:00')?.mac;
  return {
    mac: mac || undefined,
    ip: ip4?.address || undefined,
    serial: usable(serial ?? ''),
    model: usable(model ?? ''),
    hwVersion: usable(version ?? ''),
  };
}

/** The same facts through systeminformation, imported only when called. */
export async function probeSysteminformation(): Promise<HardwareFacts> {
  const si = (await import('systeminformation')).default;
  const defaultIface: Promise<Si.Systeminformation.NetworkInterfacesData | Si.Systeminformation.NetworkInterfacesData[]> = si.networkInterfaces('default');
  const [iface, system] = await Promise.all([defaultIface, si.system()]);
  const nic = Array.isArray(iface) ? iface[0] : iface;
  return {
    mac: nic?.mac || undefined,
    ip: nic?.ip4 || undefined,
    serial: usable(system.serial),
    model: usable(system.model),
    hwVersion: usable(system.version),
  };
}

/** Kernel files first; systeminformation only when they name no MAC. */
export async function probeHardware(files: KernelFiles = LINUX, fallback: HardwareProbe = probeSysteminformation): Promise<HardwareFacts> {
  const facts = await probeKernel(files);
  return facts.mac !== undefined ? facts : fallback();
}

/** DMI and systeminformation report placeholders such as "-" or "Default string" when it has nothing. */
function usable(value: string): string | undefined {
  const trimmed = value.trim();
  return trimmed === '' || trimmed === '-' || /^(default string|to be filled|not specified|none)/i.test(trimmed) ? undefined : trimmed;
}

/** Normalises any common MAC spelling to `aa:bb:cc:dd:ee:ff`, or undefined. */
export function normaliseMac(mac: string | undefined): string | undefined {
  const hex = mac?.replace(/[^0-9a-fA-F]/g, '').toLowerCase();
  if (hex?.length !== 12) return undefined;
  return hex.match(/../g)!.join(':');
}

function packageVersion(): string {
  const pkg = JSON.parse(readFileSync(path.join(packageRoot(), 'package.json'), 'utf8')) as { version: string };
  return pkg.version;
}

/** Builds the device facts: settings first, then hardware, then safe fallbacks. */
export async function readDeviceFacts(overrides: DeviceOverrides, probe: HardwareProbe = () => probeHardware()): Promise<DeviceFacts> {
  const hardware = await probe().catch((): HardwareFacts => ({}));
  const mac = normaliseMac(overrides.mac) ?? normaliseMac(hardware.mac) ?? '00:00:00:00:00:00';
  const model = overrides.model ?? hardware.model ?? 'provisiond';
  return {
    id: overrides.id ?? mac.replace(/:/g, ''),
    mac,
    serial: overrides.serial ?? hardware.serial ?? '',
    model,
    productSeries: overrides.productSeries ?? /\d+/.exec(model)?.[0] ?? '',
    swVersion: overrides.swVersion ?? hardware.swVersion ?? packageVersion(),
    hwVersion: overrides.hwVersion ?? hardware.hwVersion ?? '',
    ip: overrides.ip ?? hardware.ip ?? '',
  };
}

/** The device macros of DOMAIN.md §1.8 (`$MA`, `$MAU`, `$MAC`, `$PN`, `$PSN`, `$SN`, …). */
export function deviceMacros(device: DeviceFacts): Record<string, string> {
  // Facts from readDeviceFacts are normalised already; others (tests, callers) may not be.
  const mac = normaliseMac(device.mac) ?? device.mac.toLowerCase();
  const bare = mac.replace(/:/g, '');
  return {
    MA: bare,
    MAU: bare.toUpperCase(),
    MAC: mac,
    PN: device.model,
    PSN: device.productSeries,
    SN: device.serial,
    IP: device.ip,
    SWVER: device.swVersion,
    HWVER: device.hwVersion,
    CCERT: 'Not Installed',
  };
}

/**
 * What an Avaya settings script may test with `IF $NAME SEQ …` (DOMAIN §3.1, 96x1 H.323 6.x):
 * MODEL4 is the first four characters of the model (`9611G` → `9611`), MACADDR lower case
 * without colons. GROUP defaults to 0, as on the phones; a `GROUP` parameter overrides it.
 */
export function avayaScriptVariables(device: DeviceFacts): Record<string, string> {
  return {
    GROUP: '0',
    MACADDR: deviceMacros(device).MA!,
    MODEL: device.model,
    MODEL4: device.model.slice(0, 4),
    SERIALNO: device.serial,
    SIG_IN_USE: 'H323',
    VPNACTIVE: '0',
  };
}
