/**
 * The owned resync parameters (SPEC §3) read from the parameter store, with the vendor
 * defaults of DOMAIN §1.1 for any the store does not hold. Pure.
 */
export const RULE_PARAMETERS = ['Profile_Rule', 'Profile_Rule_B', 'Profile_Rule_C', 'Profile_Rule_D'] as const;

/** Parameters whose change re-plans the timers at once (SPEC §3). */
export const SCHEDULE_PARAMETERS: ReadonlySet<string> = new Set([
  'Provision_Enable',
  'Resync_Periodic',
  'Resync_Error_Retry_Delay',
  'Resync_At',
  'Resync_At__HHmm_',
  'Resync_At_Random_Delay',
  'Resync_Trigger_1',
  'Resync_Trigger_2',
]);

export interface ResyncSettings {
  readonly provisionEnable: boolean;
  readonly onReset: boolean;
  readonly randomDelay: string;
  readonly periodic: string;
  readonly errorRetryDelay: string;
  readonly at: string;
  readonly atRandomDelay: string;
  readonly failsOnFnf: boolean;
  /** `Resync_Trigger_1/2` that are set (a leading `#` comments one out, DOMAIN §1.3). */
  readonly triggers: readonly string[];
  /** `Profile_Rule`…`_D` in order, comments read as empty. */
  readonly rules: readonly { readonly name: string; readonly rule: string }[];
  readonly accountEnabled: boolean;
  readonly messages: { readonly request: string; readonly success: string; readonly failure: string };
}

/** DOMAIN §1.9 defaults. */
export const DEFAULT_MESSAGES = {
  request: '$PN $MAC -- Requesting resync $SCHEME://$SERVIP:$PORT$PATH',
  success: '$PN $MAC -- Successful resync $SCHEME://$SERVIP:$PORT$PATH -- $ERR',
  failure: '$PN $MAC -- Resync failed: $ERR',
} as const;

type Get = (name: string) => string | undefined;

export function readSettings(get: Get): ResyncSettings {
  return {
    provisionEnable: yes(get('Provision_Enable'), true),
    onReset: yes(get('Resync_On_Reset'), true),
    randomDelay: get('Resync_Random_Delay') ?? '2',
    periodic: get('Resync_Periodic') ?? '3600',
    errorRetryDelay: get('Resync_Error_Retry_Delay') ?? '3600',
    // MPP spells the XML element `Resync_At__HHmm_` (DOMAIN §1.1); a set one wins.
    at: nonEmpty(get('Resync_At__HHmm_')) ?? get('Resync_At') ?? '',
    atRandomDelay: get('Resync_At_Random_Delay') ?? '600',
    failsOnFnf: yes(get('Resync_Fails_On_FNF'), true),
    triggers: ['Resync_Trigger_1', 'Resync_Trigger_2'].map((name) => uncomment(get(name))).filter((text) => text !== ''),
    rules: RULE_PARAMETERS.map((name) => ({ name, rule: uncomment(get(name)) })),
    accountEnabled: (get('Profile_Authentication_Type') ?? '').trim().toLowerCase() !== 'disabled',
    messages: {
      request: message(get, 'Request', DEFAULT_MESSAGES.request),
      success: message(get, 'Success', DEFAULT_MESSAGES.success),
      failure: message(get, 'Failure', DEFAULT_MESSAGES.failure),
    },
  };
}

/** Cisco booleans: `Yes`/`No` (also `1`/`0`, `true`/`false`); anything else keeps the default. */
export function yes(value: string | undefined, fallback: boolean): boolean {
  const text = value?.trim().toLowerCase();
  if (text === 'yes' || text === '1' || text === 'true') return true;
  if (text === 'no' || text === '0' || text === 'false') return false;
  return fallback;
}

/** A value whose first character is `#` is empty (DOMAIN §1.3). */
export function uncomment(value: string | undefined): string {
  const text = (value ?? '').trim();
  return text.startsWith('#') ? '' : text;
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === '' ? undefined : value;
}

/**
 * SPA spells `Log_Resync_Request_Msg`, MPP `Log_Request_Msg` (DOMAIN §1.9, §7 item 5): the SPA
 * name wins when both are set; an empty message suppresses the line.
 */
function message(get: Get, kind: string, fallback: string): string {
  return get(`Log_Resync_${kind}_Msg`) ?? get(`Log_${kind}_Msg`) ?? fallback;
}
