/**
 * Version comparison for rule conditions (DOMAIN.md §1.4). Two forms exist and a comparison
 * must use one form on both sides, or it is an error:
 * - MPP `sipYYYY.MAJ-MIN-MICRO-BUILD`, e.g. `sip7832.11-3-2MPP0001-609` (the `sipYYYY.` prefix
 *   is optional because `$SWVER` reads `11-1-0MPP-19`); compared major, minor, micro, the
 *   number after the micro's letters (`MPP0002` > `MPP0001`), then build.
 * - SPA dotted `2.0.6(b)`, `5.1.8`: numbers left to right (missing ones are 0), then the
 *   bracketed build letter (none sorts first).
 */
export type Version =
  | { readonly form: 'mpp'; readonly parts: readonly number[] }
  | { readonly form: 'spa'; readonly parts: readonly number[]; readonly build: string };

const MPP = /^(?:sip[0-9a-z]+\.)?(\d+)-(\d+)-(\d+)[a-z]*(\d*)-(\d+)$/i;
const SPA = /^\d+(?:\.\d+)*(?:\(([0-9a-z]+)\))?$/i;

/** Parses a version string; undefined when it is neither form. */
export function parseVersion(text: string): Version | undefined {
  const mpp = MPP.exec(text);
  if (mpp) return { form: 'mpp', parts: mpp.slice(1).map((p) => Number(p || '0')) };
  const spa = SPA.exec(text);
  if (!spa) return undefined;
  const numbers = text.replace(/\(.*$/, '').split('.').map(Number);
  return { form: 'spa', parts: numbers, build: (spa[1] ?? '').toLowerCase() };
}

function compareNumbers(a: readonly number[], b: readonly number[]): number {
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const d = (a[i] ?? 0) - (b[i] ?? 0);
    if (d !== 0) return Math.sign(d);
  }
  return 0;
}

/** -1, 0 or 1; undefined when the two versions are of different forms. */
export function compareVersions(a: Version, b: Version): number | undefined {
  if (a.form === 'mpp' && b.form === 'mpp') return compareNumbers(a.parts, b.parts);
  if (a.form === 'spa' && b.form === 'spa') {
    const byNumbers = compareNumbers(a.parts, b.parts);
    if (byNumbers !== 0) return byNumbers;
    if (a.build.length !== b.build.length) return Math.sign(a.build.length - b.build.length);
    return a.build === b.build ? 0 : a.build < b.build ? -1 : 1;
  }
  return undefined;
}
