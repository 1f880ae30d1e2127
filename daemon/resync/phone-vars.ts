/**
 * The macros of DOMAIN §1.8 that other parts of the phone know and the daemon does not: the
 * external address and, per line, the SIP user id and the registration timer. They come from
 * parameters those parts `set` (SPEC §3 keeps every parameter it does not own as given). Pure.
 *
 * - `$EXTIP` ← `EXT_IP` (the Cisco NAT parameter); unset reads as empty: no external address
 *   is known, so `"$EXTIP" ne ""` is false.
 * - `$UIDn` ← `User_ID_n_` (DOMAIN §1.5), for every line that has one.
 * - `$REGTMRn` ← `Registration_Lost_At_n_`: when line n lost its SIP registration (Unix
 *   seconds or an ISO 8601 time); empty while registered (`$REGTMRn` is 0). Unset or
 *   unreadable, the timer is unknown and `$REGTMRn` stays undefined, so a trigger that names it
 *   cannot be evaluated (and is read as absent) instead of silently holding resyncs back.
 */
const USER_ID = /^User_ID_(\d+)_$/;
const REGISTRATION_LOST = /^Registration_Lost_At_(\d+)_$/;

/** The parameters `phoneVars` reads, out of all the applied ones (the store keeps this until they change). */
export function phoneParams(applied: ReadonlyMap<string, string>): readonly (readonly [string, string])[] {
  const out: [string, string][] = [];
  for (const [name, value] of applied) if (name === 'EXT_IP' || USER_ID.test(name) || REGISTRATION_LOST.test(name)) out.push([name, value]);
  return out;
}

export function phoneVars(params: Iterable<readonly [string, string]>, now: number): Record<string, string> {
  const vars: Record<string, string> = { EXTIP: '' };
  for (const [name, value] of params) {
    if (name === 'EXT_IP') vars.EXTIP = value;
    const line = USER_ID.exec(name)?.[1];
    if (line !== undefined) vars[`UID${line}`] = value;
    const lost = REGISTRATION_LOST.exec(name)?.[1];
    const seconds = lost === undefined ? undefined : secondsSince(value, now);
    if (seconds !== undefined) vars[`REGTMR${lost}`] = String(seconds);
  }
  return vars;
}

function secondsSince(value: string, now: number): number | undefined {
  const text = value.trim();
  if (text === '') return 0;
  const at = /^\d+$/.test(text) ? Number(text) * 1000 : Date.parse(text);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, Math.floor((now - at) / 1000));
}
