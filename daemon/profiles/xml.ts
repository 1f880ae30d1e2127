/**
 * The XML flat profile (DOMAIN.md §1.11; SPEC §3): each child of a `<flat-profile>` element
 * (itself anywhere in the document) is a parameter. Unknown elements and attributes are
 * ignored, the last value wins, values are trimmed with newlines turned into spaces, and
 * the five predefined entities and numeric character references are decoded.
 *
 * Deliberately not a general XML parser: no DTD, no entity declarations, nothing external,
 * so an entity bomb or an XXE is refused at its `<!`; nesting depth and element count are
 * capped so hostile input is refused quickly and in linear time.
 */
import type { ErrorCode } from '../errors/index.js';
import type { Access, ProfileUpdate } from './types.js';
import { UpdateList, lineAt, profileError } from './types.js';

export interface FlatProfileOptions {
  readonly maxDepth?: number;
  readonly maxElements?: number;
  /** `--alias` map: foreign element path (or path suffix) => parameter (DOMAIN.md §1.7). */
  readonly alias?: ReadonlyMap<string, string>;
}

export const DEFAULT_MAX_DEPTH = 64;
export const DEFAULT_MAX_ELEMENTS = 500_000;

const PREDEFINED: Readonly<Record<string, string>> = { amp: '&', lt: '<', gt: '>', apos: "'", quot: '"' };
const NAME = /[A-Za-z_][\w.:-]*/y;
const ATTRIBUTE = /\s+([A-Za-z_:][\w.:-]*)\s*=\s*(?:"([^"<]*)"|'([^'<]*)')/y;
const TAG_END = /\s*(\/?)>/y;
const ACCESS = new Set(['na', 'ro', 'rw']);

interface Open {
  readonly name: string;
  readonly path: string;
  readonly flat: boolean;
  /** The parameter this element sets, if any. */
  readonly param: string | undefined;
  readonly access: Access | undefined;
  readonly parts: string[];
}

class FlatProfileParser {
  private readonly text: string;
  private readonly maxDepth: number;
  private readonly maxElements: number;
  private readonly alias: ReadonlyMap<string, string>;
  private readonly stack: Open[] = [];
  private readonly updates = new UpdateList();
  private elements = 0;
  private rootClosed = false;
  private sawFlatProfile = false;

  constructor(text: string, options: FlatProfileOptions) {
    this.text = text;
    this.maxDepth = options.maxDepth ?? DEFAULT_MAX_DEPTH;
    this.maxElements = options.maxElements ?? DEFAULT_MAX_ELEMENTS;
    this.alias = options.alias ?? new Map();
  }

  fail(message: string, offset: number, code: ErrorCode = 'profile_parse_error'): never {
    throw profileError(code, message, lineAt(this.text, offset));
  }

  parse(): ProfileUpdate[] {
    const text = this.text;
    let pos = 0;
    while (pos < text.length) {
      const lt = text.indexOf('<', pos);
      const end = lt < 0 ? text.length : lt;
      if (end > pos) this.characters(text.slice(pos, end), pos, false);
      if (lt < 0) break;
      pos = this.markup(lt);
    }
    if (this.stack.length > 0) this.fail(`element <${(this.stack.at(-1) as Open).name}> is not closed`, text.length);
    if (!this.rootClosed) this.fail('no XML element found', 0);
    if (!this.sawFlatProfile && this.alias.size === 0) this.fail('no <flat-profile> element found', 0);
    return this.updates.list();
  }

  /** Handles the markup at `lt`; returns where scanning continues. */
  private markup(lt: number): number {
    const text = this.text;
    if (text.startsWith('<!--', lt)) return this.skipPast('-->', lt + 4, lt, 'comment');
    if (text.startsWith('<?', lt)) return this.skipPast('?>', lt + 2, lt, 'processing instruction');
    if (text.startsWith('<![CDATA[', lt)) {
      const end = this.skipPast(']]>', lt + 9, lt, 'CDATA section');
      this.characters(text.slice(lt + 9, end - 3), lt, true);
      return end;
    }
    if (text.startsWith('<!', lt)) this.fail('DTDs and entity declarations are not accepted', lt);
    if (text.startsWith('</', lt)) return this.endTag(lt);
    return this.startTag(lt);
  }

  private skipPast(terminator: string, from: number, at: number, what: string): number {
    const end = this.text.indexOf(terminator, from);
    if (end < 0) this.fail(`unterminated ${what}`, at);
    return end + terminator.length;
  }

  private characters(raw: string, at: number, cdata: boolean): void {
    const top = this.stack.at(-1);
    if (top === undefined) {
      const first = raw.search(/\S/);
      if (first >= 0) this.fail('text outside the root element', at + first);
      return;
    }
    if (top.param !== undefined) top.parts.push(cdata ? raw : this.decode(raw, at));
  }

  private decode(raw: string, at: number): string {
    if (!raw.includes('&')) return raw;
    return raw.replace(/&(#x[0-9a-fA-F]{1,6}|#[0-9]{1,7}|[A-Za-z_][\w.-]{0,31})?;?/g, (whole, ref: string | undefined) => {
      if (ref === undefined || !whole.endsWith(';')) this.fail('a bare "&" must be written &amp;', at);
      if (ref.startsWith('#')) {
        const code = ref.startsWith('#x') ? parseInt(ref.slice(2), 16) : Number(ref.slice(1));
        // XML 1.0 §2.2 Char: no NUL, no surrogates, nothing beyond U+10FFFF.
        if (code === 0 || (code >= 0xd800 && code <= 0xdfff) || code > 0x10ffff) this.fail('a character reference names no valid character', at);
        return String.fromCodePoint(code);
      }
      const value = PREDEFINED[ref];
      if (value === undefined) this.fail(`unknown entity &${ref}; (only &amp; &lt; &gt; &apos; &quot; and &#…; are accepted)`, at);
      return value;
    });
  }

  private readName(at: number): { name: string; end: number } {
    NAME.lastIndex = at;
    const match = NAME.exec(this.text);
    if (!match) this.fail('expected an element name after "<"', at);
    return { name: match[0], end: NAME.lastIndex };
  }

  private startTag(lt: number): number {
    if (this.rootClosed) this.fail('more than one root element', lt);
    const { name, end } = this.readName(lt + 1);
    let pos = end;
    let ua: string | undefined;
    for (;;) {
      ATTRIBUTE.lastIndex = pos;
      const attribute = ATTRIBUTE.exec(this.text);
      if (!attribute) break;
      if (attribute[1] === 'ua') ua = attribute[2] ?? attribute[3];
      pos = ATTRIBUTE.lastIndex;
    }
    TAG_END.lastIndex = pos;
    const close = TAG_END.exec(this.text);
    if (!close) this.fail(`malformed start tag <${name}>`, lt);
    if (ua !== undefined && !ACCESS.has(ua)) this.fail(`ua must be "na", "ro" or "rw"`, lt);
    if (++this.elements > this.maxElements) this.fail(`more than ${this.maxElements} elements`, lt, 'profile_too_large');
    if (this.stack.length >= this.maxDepth) this.fail(`elements nested deeper than ${this.maxDepth}`, lt, 'profile_too_deep');
    const parent = this.stack.at(-1);
    // The element path only matters to `--alias`: without one it is not built for every element.
    const path = this.alias.size === 0 ? '' : `${parent?.path ?? ''}/${name}`;
    const param = parent?.flat ? name : this.aliasFor(path);
    const access = ua as Access | undefined;
    if (close[1] === '/') {
      // SPEC §3: a self-closing element with `ua` changes only the access; any other empty
      // element sets the empty value.
      if (param !== undefined) this.updates.set(param, access === undefined ? '' : undefined, access);
      this.sawFlatProfile ||= name === 'flat-profile';
      if (parent === undefined) this.rootClosed = true;
    } else {
      this.stack.push({ name, path, flat: name === 'flat-profile', param, access, parts: [] });
    }
    return TAG_END.lastIndex;
  }

  private aliasFor(path: string): string | undefined {
    for (const [foreign, param] of this.alias) {
      if (path === foreign || path.endsWith(foreign.startsWith('/') ? foreign : `/${foreign}`)) return param;
    }
    return undefined;
  }

  private endTag(lt: number): number {
    const { name, end } = this.readName(lt + 2);
    TAG_END.lastIndex = end;
    const close = TAG_END.exec(this.text);
    if (!close || close[1] === '/') this.fail(`malformed end tag </${name}>`, lt);
    const open = this.stack.pop();
    if (open?.name !== name) this.fail(open ? `</${name}> closes <${open.name}>` : `</${name}> closes nothing`, lt);
    if (open.flat) this.sawFlatProfile = true;
    if (open.param !== undefined) {
      // DOMAIN.md §1.11: trimmed, newlines inside a value become spaces.
      const text = open.parts.length === 1 ? open.parts[0]! : open.parts.join('');
      const value = (text.includes('\n') || text.includes('\r') ? text.replace(/\r\n|[\r\n]/g, ' ') : text).trim();
      this.updates.set(open.param, value, open.access);
    }
    if (this.stack.length === 0) this.rootClosed = true;
    return TAG_END.lastIndex;
  }
}

/** Parses a flat profile; throws `profile_*` errors with `where.line`. */
export function parseFlatProfile(text: string, options: FlatProfileOptions = {}): ProfileUpdate[] {
  return new FlatProfileParser(text, options).parse();
}
