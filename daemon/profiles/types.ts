/** What every profile format produces: parameter updates, applied whole or not at all. */
import { ProvisiondError, type ErrorCode } from '../errors/index.js';

export type Access = 'na' | 'ro' | 'rw';

export interface ProfileUpdate {
  readonly name: string;
  /** Absent when only the user access changes (`<Name ua="ro"/>`, SPEC §3). */
  readonly value?: string;
  readonly access?: Access;
}

/** Largest profile accepted after decompression (SPEC §2 `limits.profileBytes`). */
export const DEFAULT_PROFILE_BYTES = 4 * 1024 * 1024;

/** 1-based line of `offset` in `text`. */
export function lineAt(text: string, offset: number): number {
  let line = 1;
  for (let i = text.indexOf('\n'); i >= 0 && i < offset; i = text.indexOf('\n', i + 1)) line++;
  return line;
}

export function profileError(code: ErrorCode, message: string, line?: number): ProvisiondError {
  return new ProvisiondError(code, line === undefined ? message : `${message} (line ${line})`, line === undefined ? undefined : { line });
}

/** Keeps the last value and the last access of each name, in order of first appearance. */
export class UpdateList {
  private readonly byName = new Map<string, { value: string | undefined; access: Access | undefined }>();

  set(name: string, value: string | undefined, access: Access | undefined): void {
    const entry = this.byName.get(name);
    if (entry === undefined) {
      this.byName.set(name, { value, access });
      return;
    }
    entry.value = value ?? entry.value;
    entry.access = access ?? entry.access;
  }

  get(name: string): string | undefined {
    return this.byName.get(name)?.value;
  }

  list(): ProfileUpdate[] {
    const out: ProfileUpdate[] = [];
    for (const [name, { value, access }] of this.byName) {
      out.push(value === undefined ? { name, access: access } : access === undefined ? { name, value } : { name, value, access });
    }
    return out;
  }
}
