/**
 * Device identity (SPEC §2 `device`): read once at start with systeminformation, each value
 * overridable in the settings, then cached for the life of the process. systeminformation
 * shells out synchronously for many calls (ECOSYSTEM.md §9), so it is never called again.
 */
import si from 'systeminformation';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { packageRoot } from '../fsutil/index.js';
import type { DeviceOverrides } from '../settings/index.js';

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

/** What the hardware says; every field may be missing. */
export type HardwareFacts = Partial<Omit<DeviceFacts, 'id'>>;

export type HardwareProbe = () => Promise<HardwareFacts>;

/** Reads the default interface's MAC and IP, and the system's serial and model. */
export const probeHardware: HardwareProbe = async () => {
  const defaultInterface: Promise<si.Systeminformation.NetworkInterfacesData | si.Systeminformation.NetworkInterfacesData[]> = si.networkInterfaces('default');
  const [iface, system] = await Promise.all([defaultInterface, si.system()]);
  const nic = Array.isArray(iface) ? iface[0] : iface;
  return {
    mac: nic?.mac || undefined,
    ip: nic?.ip4 || undefined,
    serial: usable(system.serial),
    model: usable(system.model),
    hwVersion: usable(system.version),
  };
};

/** systeminformation reports placeholders such as "-" or "Default string" when it has nothing. */
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
export async function readDeviceFacts(overrides: DeviceOverrides, probe: HardwareProbe = probeHardware): Promise<DeviceFacts> {
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
