/**
 * The engine's transport (the HTTP fetcher of `daemon/http` with TFTP beside it: the one part
 * a test replaces, to inject a server's answers and faults) and its reading of a fetched body
 * with the profile formats of `daemon/profiles` into parameter updates.
 */
import { ProvisiondError } from '../errors/index.js';
import type { FetchRequest, FetchResult } from '../http/index.js';
import { normaliseValue, type AccessUpdate, type ParamUpdate } from '../params/index.js';
import { parseProfile } from '../profiles/index.js';

export interface ProfileParseOptions {
  readonly key?: string | undefined;
  readonly alias?: ReadonlyMap<string, string> | undefined;
  /** Fetches a file a settings script names with `GET` (relative to the profile's URL). */
  readonly fetchRelated: (name: string) => Promise<Buffer>;
}

/** The whole profile as parameter updates, or a ProvisiondError. */
export interface ParsedUpdates {
  readonly format: string;
  readonly updates: readonly ParamUpdate[];
  /** Avaya `SET` lines left out for an invalid value (DOMAIN §3.1), with the reason. */
  readonly ignored: readonly { readonly name: string; readonly reason: string }[];
  /** The `ua` attributes of an XML profile (SPEC §3). */
  readonly access: readonly AccessUpdate[];
  /** User data the profile carried and that was left out (SPEC §3: it changes only locally). */
  readonly userData: readonly string[];
  /** For a name a `GET` file of a settings script set last: that file's name (relative to the profile). */
  readonly setIn?: ReadonlyMap<string, string>;
}

/**
 * How this phone reads profiles: `profileBytes` caps every profile after its layers;
 * `variables` answers a settings script's `IF $NAME` (GROUP, MODEL, MODEL4, MACADDR,
 * SIG_IN_USE…, DOMAIN §3.1); without it such lines are ignored, as for an unknown name.
 */
export interface ProfileReading {
  readonly profileBytes?: number;
  readonly variables?: (name: string) => string | undefined;
}

/** HTTP(S) and TFTP in one, the engine's transport. Failures are ProvisiondErrors (`not_found`, `auth_rejected`, …). */
export interface ProfileSource {
  fetch(request: FetchRequest): Promise<FetchResult>;
}

/** Sends a request with the fetcher (`daemon/http` `Fetcher.fetch`). */
export type HttpFetch = (request: FetchRequest) => Promise<FetchResult>;
/** Reads a `tftp://host:port/path` URL (`daemon/tftp`). */
export type TftpGet = (url: string) => Promise<Buffer>;

export function profileSource(http: HttpFetch, tftp?: TftpGet): ProfileSource {
  return {
    async fetch(request) {
      if (request.url.startsWith('tftp:')) {
        if (tftp === undefined) throw new ProvisiondError('scheme_unsupported', 'TFTP is not available', { path: request.url });
        return { status: 200, headers: {}, body: await tftp(request.url), url: request.url, notModified: false, requests: 1, redirects: 0 };
      }
      return http(request);
    },
  };
}

/** A fetched profile (any format of `daemon/profiles`) as parameter updates, or a ProvisiondError. */
export async function parseUpdates(body: Buffer, reading: ProfileReading, options: ProfileParseOptions): Promise<ParsedUpdates> {
  const { variables } = reading;
  const setIn = new Map<string, string>();
  const parsed = await parseProfile(body, {
    setIn: (name, file) => {
      if (file === undefined) setIn.delete(name);
      else setIn.set(name, file);
    },
    limits: reading,
    ...(variables !== undefined && { params: variables }),
    ...(options.key !== undefined && { key: options.key }),
    ...(options.alias !== undefined && { alias: options.alias }),
    // A script's `GET` of a missing file is `null` to the script language (DOMAIN §3.1).
    fetch: async (name) => options.fetchRelated(name).catch((error: unknown) => {
      if (error instanceof ProvisiondError && error.code === 'not_found') return null;
      throw error;
    }),
  });
  // An element carrying only `ua` changes only the access (SPEC §3), no value.
  const updates: ParamUpdate[] = [];
  const access: AccessUpdate[] = [];
  for (const update of parsed.updates) {
    if (update.value !== undefined) updates.push({ name: update.name, value: update.value });
    if (update.access !== undefined) access.push({ name: update.name, access: update.access });
  }
  if (parsed.format === 'xml') return { format: parsed.format, updates, ignored: [], access, setIn, userData: parsed.ignored };
  // A settings script is a list of independent SETs: the phone ignores the line with an
  // invalid value and keeps the rest (DOMAIN §3.1, SPEC §4); an XML profile stays whole.
  const ignored: { name: string; reason: string }[] = [];
  const valid = updates.filter((update) => {
    try {
      normaliseValue(update.name, update.value);
      return true;
    } catch (error) {
      ignored.push({ name: update.name, reason: (error as Error).message });
      return false;
    }
  });
  return { format: parsed.format, updates: valid, ignored, access: [], setIn, userData: parsed.ignored };
}
