/**
 * The parameters provisiond owns (SPEC §3), with the vendors' names, defaults (DOMAIN.md §1.1,
 * §1.9, §2, §3.2) and validation. Every other parameter a profile delivers is kept verbatim.
 */
import { ProvisiondError } from '../errors/index.js';
import { credentialArguments } from '../rules/display.js';

export type ParamKind =
  | { readonly type: 'text' }
  | { readonly type: 'bool' }
  | { readonly type: 'int'; readonly min: number; readonly max: number }
  | { readonly type: 'enum'; readonly values: readonly string[] }
  | { readonly type: 'schedule' };

export interface OwnedParam {
  readonly name: string;
  readonly kind: ParamKind;
  readonly default: string;
  /** Held in the vault, never written to parameters.json. */
  readonly secret?: boolean;
  /** Text that may carry literal --uid/--pwd/--key arguments (SPEC §3). */
  readonly rule?: boolean;
}

const text = { type: 'text' } as const;
const bool = { type: 'bool' } as const;
const int = (min: number, max: number) => ({ type: 'int', min, max }) as const;
const oneOf = (...values: string[]) => ({ type: 'enum', values }) as const;
const schedule = { type: 'schedule' } as const;

const LETTERS = 'ABCDEFGHIJKLMNOP'.split('');

const OWNED = [
  // Cisco SPA / MPP (DOMAIN §1.1)
  { name: 'Provision_Enable', kind: bool, default: 'Yes' },
  { name: 'Resync_On_Reset', kind: bool, default: 'Yes' },
  { name: 'Resync_Random_Delay', kind: int(0, 65535), default: '2' },
  { name: 'Resync_Periodic', kind: schedule, default: '3600' },
  // MPP's progressive list rather than the SPA's flat 3600: a phone that cannot reach its
  // server retries soon, then backs off (README, "Decisions").
  { name: 'Resync_Error_Retry_Delay', kind: schedule, default: '60,120,240,480,960,1920,3840,7680,15360,30720,61440,86400' },
  // Invalid values are ignored by the phones rather than refused (DOMAIN §1.1), so any text is kept.
  { name: 'Resync_At', kind: text, default: '' },
  { name: 'Resync_At_Random_Delay', kind: int(0, 86400), default: '600' },
  { name: 'Resync_Fails_On_FNF', kind: bool, default: 'Yes' },
  { name: 'Resync_Trigger_1', kind: text, default: '' },
  { name: 'Resync_Trigger_2', kind: text, default: '' },
  { name: 'Profile_Rule', kind: text, default: '', rule: true },
  { name: 'Profile_Rule_B', kind: text, default: '', rule: true },
  { name: 'Profile_Rule_C', kind: text, default: '', rule: true },
  { name: 'Profile_Rule_D', kind: text, default: '', rule: true },
  // Configuration report (DOMAIN §1.10)
  { name: 'Report_Rule', kind: text, default: '', rule: true },
  { name: 'Report_to_Server', kind: oneOf('On Request', 'On Local Change', 'Periodically'), default: 'On Request' },
  { name: 'Periodic_Upload_to_Server', kind: int(600, 2592000), default: '3600' },
  { name: 'Profile_Authentication_Type', kind: oneOf('Disabled', 'Basic Http Authentication'), default: 'Basic Http Authentication' },
  // DOMAIN §1.9 defaults
  { name: 'Log_Resync_Request_Msg', kind: text, default: '$PN $MAC -- Requesting resync $SCHEME://$SERVIP:$PORT$PATH' },
  { name: 'Log_Resync_Success_Msg', kind: text, default: '$PN $MAC -- Successful resync $SCHEME://$SERVIP:$PORT$PATH -- $ERR' },
  { name: 'Log_Resync_Failure_Msg', kind: text, default: '$PN $MAC -- Resync failed: $ERR' },
  ...LETTERS.map((l): OwnedParam => ({ name: `GPP_${l}`, kind: text, default: '' })),
  ...['A', 'B', 'C', 'D'].map((l): OwnedParam => ({ name: `GPP_S${l}`, kind: text, default: '', secret: true })),
  // Extension Mobility (DOMAIN §2, SPEC §5)
  { name: 'EM_Enable', kind: bool, default: 'No' },
  { name: 'EM_User_Domain', kind: text, default: '' },
  { name: 'EM_Login_State', kind: oneOf('', 'host', 'mobile'), default: '' },
  { name: 'EM_Phone_User_ID', kind: text, default: '' },
  { name: 'EM_Phone_Password', kind: text, default: '', secret: true },
  { name: 'EM_Mobile_User_ID', kind: text, default: '' },
  { name: 'EM_Mobile_Password', kind: text, default: '', secret: true },
  // Avaya 96x1 H.323 (DOMAIN §3.2; BRAUTH and TLSSRVRID defaults decided in SPEC §3)
  { name: 'BRURI', kind: text, default: '' },
  { name: 'BRAUTH', kind: oneOf('0', '1'), default: '0' },
  { name: 'TRUSTCERTS', kind: text, default: '' },
  { name: 'TLSSRVRID', kind: oneOf('0', '1'), default: '1' },
  { name: 'HTTPSRVR', kind: text, default: '' },
  { name: 'HTTPDIR', kind: text, default: '' },
  { name: 'TLSSRVR', kind: text, default: '' },
  { name: 'NVPHONEXT', kind: text, default: '' },
  { name: 'MCIPADD', kind: text, default: '' },
] as const satisfies readonly OwnedParam[];

/**
 * Other spellings of owned parameters: MPP XML tags and web labels (DOMAIN §1.1, §1.9). A Map,
 * not an object: every name of every profile is looked up here, and a name such as
 * `constructor` must not find something on an object's prototype.
 */
const ALIASES: ReadonlyMap<string, string> = new Map([
  ['Resync_At__HHmm_', 'Resync_At'],
  ['Log_Request_Msg', 'Log_Resync_Request_Msg'],
  ['Log_Success_Msg', 'Log_Resync_Success_Msg'],
  ['Log_Failure_Msg', 'Log_Resync_Failure_Msg'],
]);

export const OWNED_PARAMS: ReadonlyMap<string, OwnedParam> = new Map(OWNED.map((p) => [p.name, p]));

type Owned = (typeof OWNED)[number];
/** The name of an owned parameter. */
export type OwnedName = Owned['name'];
type NamesOf<T extends ParamKind['type']> = Extract<Owned, { readonly kind: { readonly type: T } }>['name'];
/** The boolean owned parameters, so a boolean read names one (`Provision_Enable`, `EM_Enable`…). */
export type BoolParam = NamesOf<'bool'>;
/** The whole-number owned parameters (`Resync_Random_Delay`, `Resync_At_Random_Delay`). */
export type IntParam = NamesOf<'int'>;
/** The schedule-list owned parameters (`Resync_Periodic`, `Resync_Error_Retry_Delay`, DOMAIN §1.2). */
export type ScheduleParam = NamesOf<'schedule'>;
/** The free-text owned parameters (rules, triggers, messages, GPP_*…). */
export type TextParam = NamesOf<'text'>;
/** The owned parameters with a fixed set of values (`Profile_Authentication_Type`, `BRAUTH`…). */
export type EnumParam = NamesOf<'enum'>;

/** How features read parameters: `ParamStore.get`, which resolves aliases and holds normalised values. */
export type ParamReader = (name: string) => string | undefined;

/**
 * The value of an owned parameter as the registry normalises it, or its registry default when
 * the reader has none or holds a value the registry refuses (the store never does; another
 * reader might). The one place a feature's read meets the defaults.
 */
function valueOf(get: ParamReader, name: OwnedName): string {
  const value = get(name);
  if (value === undefined) return defaultOf(name);
  try {
    return normaliseValue(name, value);
  } catch {
    return defaultOf(name);
  }
}

/** A boolean parameter (`Yes`/`No`, DOMAIN §1.1). */
export function readBool(get: ParamReader, name: BoolParam): boolean {
  return valueOf(get, name) === 'Yes';
}

/** A whole-number parameter, within the registry's range. */
export function readInt(get: ParamReader, name: IntParam): number {
  return Number(valueOf(get, name));
}

/** A schedule list (`60,120+30,240`, DOMAIN §1.2), whitespace removed; `daemon/schedule` reads it. */
export function readSchedule(get: ParamReader, name: ScheduleParam): string {
  return valueOf(get, name);
}

/** A text parameter (an empty value is a value: it is not replaced by the default). */
export function readText(get: ParamReader, name: TextParam): string {
  return valueOf(get, name);
}

/** An enumerated parameter, spelled as the registry lists its values. */
export function readEnum(get: ParamReader, name: EnumParam): string {
  return valueOf(get, name);
}

/** The registry default of an owned parameter (DOMAIN §1.1). */
export function defaultOf(name: OwnedName): string {
  return (OWNED_PARAMS.get(name) as OwnedParam).default;
}

/** The canonical name of a parameter (aliases resolved; others unchanged). */
export function canonicalName(name: string): string {
  return ALIASES.get(name) ?? name;
}

export function isSecretParam(name: string): boolean {
  return OWNED_PARAMS.get(name)?.secret === true;
}

/**
 * Rule parameters are read with the rule parser's own tokens (SPEC §4: whatever it accepts as
 * an option argument is masked). A value it refuses cannot be taken apart safely, so when it
 * mentions `--uid`/`--pwd`/`--key` at all it is masked and registered whole.
 */
const CREDENTIAL_OPTION = /--(?:uid|pwd|key)/;

/** Whether a rule-like value carries literal credentials or a key (SPEC §3). */
export function hasLiteralSecrets(name: string, value: string): boolean {
  if (OWNED_PARAMS.get(name)?.rule !== true) return false;
  const found = credentialArguments(value);
  return found === undefined ? CREDENTIAL_OPTION.test(value) : found.length > 0;
}

/** The value as shown in parameters.json: `--uid/--pwd/--key` arguments masked as `***`. */
export function maskRule(value: string): string {
  const found = credentialArguments(value);
  if (found === undefined) return CREDENTIAL_OPTION.test(value) ? '***' : value;
  let out = '';
  let at = 0;
  for (const argument of found) {
    out += value.slice(at, argument.start) + '***';
    at = argument.end;
  }
  return out + value.slice(at);
}

/** The literal `--pwd`/`--key` arguments of a rule, for the redaction registry (macros skipped). */
export function ruleSecrets(value: string): string[] {
  const found = credentialArguments(value);
  if (found === undefined) return CREDENTIAL_OPTION.test(value) ? [value] : [];
  return found.filter((a) => a.option !== 'uid' && a.text !== '' && !a.text.startsWith('$')).map((a) => a.text);
}

const YES = new Set(['yes', 'true', '1', 'on']);
const NO = new Set(['no', 'false', '0', 'off']);
const SCHEDULE = /^\s*\d+(\s*\+\s*\d+)?(\s*,\s*\d+(\s*\+\s*\d+)?)*\s*$/;

/**
 * Validates and normalises a value of an owned parameter; other parameters pass unchanged.
 * Throws `param_invalid` naming the parameter and what it expects (never the value of a secret).
 */
export function normaliseValue(name: string, value: string): string {
  const owned = OWNED_PARAMS.get(name);
  if (!owned) return value;
  const kind = owned.kind;
  // Only text parameters are secret, and text is never refused, so the value may be shown.
  const fail = (expected: string): never => {
    throw new ProvisiondError('param_invalid', `${name} expects ${expected}, found ${JSON.stringify(value)}`, { path: name });
  };
  switch (kind.type) {
    case 'bool': {
      const lower = value.trim().toLowerCase();
      if (YES.has(lower)) return 'Yes';
      if (NO.has(lower)) return 'No';
      return fail('Yes or No');
    }
    case 'int': {
      const trimmed = value.trim();
      const n = Number(trimmed);
      if (!/^\d+$/.test(trimmed) || n < kind.min || n > kind.max) fail(`a whole number from ${kind.min} to ${kind.max}`);
      return String(n);
    }
    case 'enum': {
      const match = kind.values.find((v) => v.toLowerCase() === value.trim().toLowerCase());
      return match ?? fail(`one of ${kind.values.map((v) => JSON.stringify(v)).join(', ')}`);
    }
    case 'schedule':
      if (!SCHEDULE.test(value)) fail('seconds, or a list like 60,120+30,240');
      return value.replace(/\s+/g, '');
    default:
      return value;
  }
}
