/**
 * The owned resync parameters (SPEC §3) as one typed snapshot, read through the parameter
 * registry by name: the values, defaults and aliases (`Resync_At__HHmm_`, `Log_Request_Msg`)
 * are the registry's and the store's, never this file's. Pure.
 */
import { readBool, readEnum, readInt, readSchedule, readText, type OwnedName, type ParamReader } from '../params/index.js';

export const RULE_PARAMETERS = ['Profile_Rule', 'Profile_Rule_B', 'Profile_Rule_C', 'Profile_Rule_D'] as const satisfies readonly OwnedName[];

export const TRIGGER_PARAMETERS = ['Resync_Trigger_1', 'Resync_Trigger_2'] as const satisfies readonly OwnedName[];

/** Parameters whose change re-plans the timers at once (SPEC §3); the store reports canonical names. */
export const SCHEDULE_PARAMETERS: ReadonlySet<string> = new Set<OwnedName>([
  'Provision_Enable',
  'Resync_Periodic',
  'Resync_Error_Retry_Delay',
  'Resync_At',
  'Resync_At_Random_Delay',
  ...TRIGGER_PARAMETERS,
]);

export interface ResyncSettings {
  readonly provisionEnable: boolean;
  readonly onReset: boolean;
  /** `Resync_Random_Delay`, in units of 20 s. */
  readonly randomDelay: number;
  readonly periodic: string;
  readonly errorRetryDelay: string;
  readonly at: string;
  /** `Resync_At_Random_Delay`, in seconds. */
  readonly atRandomDelay: number;
  /** `Resync_Trigger_1/2` that are set (a leading `#` comments one out, DOMAIN §1.3). */
  readonly triggers: readonly { readonly name: (typeof TRIGGER_PARAMETERS)[number]; readonly expression: string }[];
  readonly accountEnabled: boolean;
  /** `Log_Resync_*_Msg` (DOMAIN §1.9); an empty message suppresses the line. */
  readonly messages: { readonly request: string; readonly success: string; readonly failure: string };
}

export function readSettings(get: ParamReader): ResyncSettings {
  return {
    provisionEnable: readBool(get, 'Provision_Enable'),
    onReset: readBool(get, 'Resync_On_Reset'),
    randomDelay: readInt(get, 'Resync_Random_Delay'),
    periodic: readSchedule(get, 'Resync_Periodic'),
    errorRetryDelay: readSchedule(get, 'Resync_Error_Retry_Delay'),
    at: readText(get, 'Resync_At').trim(),
    atRandomDelay: readInt(get, 'Resync_At_Random_Delay'),
    triggers: TRIGGER_PARAMETERS.map((name) => ({ name, expression: uncomment(readText(get, name)) })).filter((trigger) => trigger.expression !== ''),
    accountEnabled: readEnum(get, 'Profile_Authentication_Type') !== 'Disabled',
    messages: {
      request: readText(get, 'Log_Resync_Request_Msg'),
      success: readText(get, 'Log_Resync_Success_Msg'),
      failure: readText(get, 'Log_Resync_Failure_Msg'),
    },
  };
}

/** A value whose first character is `#` is empty (DOMAIN §1.3). */
export function uncomment(value: string): string {
  const text = value.trim();
  return text.startsWith('#') ? '' : text;
}
