/**
 * The configuration report's body (DOMAIN §1.10): every parameter and its value as an MPP flat
 * profile, so the server can read it back with the same parser as a profile. The caller passes
 * the published view (`ParamStore.published()`): secrets, and so `GPP_SA`…`GPP_SD`, are not in
 * it, and literal `--uid`/`--pwd`/`--key` arguments of rules are already masked. Pure.
 */

/** XML 1.0 names; the parameter names of this phone are all of this form in practice. */
const XML_NAME = /^[A-Za-z_][A-Za-z0-9_.-]*$/;

function escapeText(value: string): string {
  return value.replace(/[&<>"]/g, (c) => ENTITIES[c] as string).replace(/[\u0000-\u0008\u000B\u000C\u000E-\u001F]/g, '');
}

const ENTITIES: Readonly<Record<string, string>> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' };

/**
 * `<flat-profile>` with one element per parameter, sorted by name. A name that is no XML name
 * (a verbatim foreign parameter) is written as `<param name="…">` so it is kept, not dropped.
 */
export function buildReport(params: Readonly<Record<string, string>>): string {
  const lines = ['<?xml version="1.0" encoding="UTF-8"?>', '<flat-profile>'];
  for (const name of Object.keys(params).sort()) {
    const value = escapeText(params[name] as string);
    lines.push(XML_NAME.test(name) && !/^xml/i.test(name) ? `  <${name}>${value}</${name}>` : `  <param name="${escapeText(name)}">${value}</param>`);
  }
  lines.push('</flat-profile>', '');
  return lines.join('\n');
}
