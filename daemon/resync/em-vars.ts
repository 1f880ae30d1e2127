/**
 * The Extension Mobility macros (DOMAIN §2.1): `$PDOM`, `$EMS`, `$PUID`, `$PPWD`, `$MUID`,
 * `$MPWD`: the resync expands them, Extension Mobility (`daemon/em`) sets them. The passwords
 * live only in the vault (SPEC §6); a value a profile delivered as a parameter is the fallback
 * for the phone's own password.
 */
import { readEnum, readText, type ParamReader } from '../params/index.js';
import type { Vault } from '../vault/index.js';

export const EM_PHONE = { purpose: 'em-phone' } as const;
export const EM_MOBILE = { purpose: 'em-mobile' } as const;

export async function emVars(get: ParamReader, vault: Vault): Promise<Record<string, string>> {
  const phone = await vault.get(EM_PHONE);
  const mobile = await vault.get(EM_MOBILE);
  return { ...emParamVars(get), PPWD: phone?.secret ?? readText(get, 'EM_Phone_Password'), MPWD: mobile?.secret ?? '' };
}

/**
 * The same macros from parameters alone, for `rule eval` away from the vault: the passwords
 * are the `EM_Phone_Password` / `EM_Mobile_Password` parameters given on its command line.
 */
export function emParamVars(get: ParamReader): Record<string, string> {
  return {
    PDOM: readText(get, 'EM_User_Domain'),
    EMS: readEnum(get, 'EM_Login_State'),
    PUID: readText(get, 'EM_Phone_User_ID'),
    PPWD: readText(get, 'EM_Phone_Password'),
    MUID: readText(get, 'EM_Mobile_User_ID'),
    MPWD: readText(get, 'EM_Mobile_Password'),
  };
}
