/**
 * The administrator's settings (SPEC §2): read once at start from a JSON file the daemon never
 * writes, validated against `config/provisiond.schema.json`, with every problem reported at
 * once (JSON path, expected, found).
 */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { ProvisiondError } from '../errors/index.js';
import { packageRoot } from '../fsutil/index.js';
import { validate, type Problem, type SchemaNode } from './schema.js';
import type { DeviceOverrides } from '../device/index.js';
import type { LogLevel } from '../log/index.js';

export type { Problem } from './schema.js';

export const DEFAULT_CONFIG_FILE = '/etc/provisiond/provisiond.json';

export interface MqttSettings {
  readonly url?: string;
  readonly topicPrefix: string;
  readonly protocolVersion: 4 | 5;
  readonly username?: string;
  readonly passwordFile?: string;
  readonly caFile?: string;
  readonly certFile?: string;
  readonly keyFile?: string;
  readonly commands: boolean;
  readonly outboxMax: number;
}

export interface Settings {
  readonly stateDir: string;
  readonly runtimeDir: string;
  readonly device: DeviceOverrides;
  readonly trust: { readonly anchorsDir: string; readonly useSystemStore: boolean };
  readonly limits: { readonly profileBytes: number; readonly wsPayloadBytes: number };
  readonly prompts: { readonly timeoutSeconds: number };
  readonly mqtt: MqttSettings;
  readonly display: {
    /** Socket path, or false when the Unix socket is off. */
    readonly socket: string | false;
    readonly socketGroup?: string;
    /** TCP listener, or false when it is off. */
    readonly http: { readonly host: string; readonly port: number } | false;
  };
  /** Factory parameter values, as strings. */
  readonly parameters: Readonly<Record<string, string>>;
  readonly log: { readonly level: LogLevel };
}

/** Settings that failed validation: one problem per entry. */
export class SettingsError extends ProvisiondError {
  readonly problems: readonly Problem[];
  constructor(file: string, problems: readonly Problem[]) {
    super('settings_invalid', `${file}: ${problems.length} problem(s) in the settings`, { path: file });
    this.problems = problems;
  }

  /** One line per problem, as printed before the daemon exits with status 78. */
  lines(): string[] {
    return this.problems.map((p) => `${this.where?.path}: ${p.path}: expected ${p.expected}, found ${p.found}`);
  }
}

let cachedSchema: SchemaNode | undefined;
export function settingsSchema(): SchemaNode {
  cachedSchema ??= JSON.parse(readFileSync(path.join(packageRoot(), 'config', 'provisiond.schema.json'), 'utf8')) as SchemaNode;
  return cachedSchema;
}

/** Validates already-parsed settings; `file` only names the source in messages. */
export function parseSettings(raw: unknown, file = '<settings>'): Settings {
  const problems: Problem[] = [];
  const value = validate(settingsSchema(), raw, '$', problems) as Record<string, unknown>;
  if (problems.length > 0) throw new SettingsError(file, problems);
  return normalise(value);
}

const READ_ERRORS: Readonly<Record<string, string>> = { ENOENT: 'the file does not exist', EACCES: 'permission denied' };

/** Reads and validates a settings file. */
export function loadSettings(file: string): Settings {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'EIO';
    const why = READ_ERRORS[code] ?? `it cannot be read (${code})`;
    throw new SettingsError(file, [{ path: '$', expected: 'a readable JSON settings file', found: why }]);
  }
  return parseSettings(parseJson(text, file), file);
}

function parseJson(text: string, file: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    const message = (err as Error).message;
    const { line, column } = positionOf(text, message);
    const detail = message.replace(/^JSON\.parse: /, '').replace(/ in JSON at position \d+.*$/, '').replace(/ \(line \d+ column \d+\)$/, '');
    throw new SettingsError(file, [{ path: '$', expected: 'valid JSON', found: `a syntax error at line ${line}, column ${column}: ${detail}` }]);
  }
}

/** Line and column (1-based) of a JSON.parse error; Node 20 gives a position, 22+ may give both. */
export function positionOf(text: string, message: string): { line: number; column: number } {
  const direct = /line (\d+) column (\d+)/.exec(message);
  if (direct) return { line: Number(direct[1]), column: Number(direct[2]) };
  const position = /position (\d+)/.exec(message);
  const offset = position ? Number(position[1]) : text.length;
  const before = text.slice(0, offset);
  const line = before.split('\n').length;
  return { line, column: offset - before.lastIndexOf('\n') };
}

function normalise(value: Record<string, unknown>): Settings {
  const settings = value as unknown as Settings;
  const display = settings.display as unknown as { socket?: string | boolean; http: object | boolean };
  const socket = display.socket === undefined || display.socket === true ? path.join(settings.runtimeDir, 'display.sock') : display.socket;
  const http = display.http === true ? { host: '127.0.0.1', port: 8080 } : display.http;
  const parameters: Record<string, string> = {};
  for (const [name, raw] of Object.entries(settings.parameters)) parameters[name] = String(raw);
  return { ...settings, display: { ...display, socket, http } as Settings['display'], parameters };
}
