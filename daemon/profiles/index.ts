/** Profile formats: flat XML, Avaya settings scripts, gzip/--key layers, backup files (SPEC §3–4, §7). */
export { parseProfile, detectFormat } from './parse.js';
export type { ParseProfileOptions, ParsedProfile, ProfileFormat } from './parse.js';
export { parseFlatProfile, DEFAULT_MAX_DEPTH, DEFAULT_MAX_ELEMENTS } from './xml.js';
export type { FlatProfileOptions } from './xml.js';
export { parseSettingsScript, DEFAULT_MAX_GET_DEPTH, DEFAULT_MAX_STEPS, DEFAULT_MAX_WORK, WORK_BASE, WORK_PER_CHAR } from './script.js';
export type { ScriptOptions } from './script.js';
export { decryptProfile, encryptProfile, gunzipProfile, decodeText, isEncrypted, isGzip, unwrapLayers } from './layers.js';
export type { LayerOptions } from './layers.js';
export { parseBackupFile, serializeBackupFile, isUserDataName, USER_DATA_PATTERNS, USER_OPTIONS, DEFAULT_BACKUP_BYTES } from './backup.js';
export type { Access, ProfileUpdate } from './types.js';
export { DEFAULT_PROFILE_BYTES } from './types.js';
