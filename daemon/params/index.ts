export { ParamStore, PUBLISHED_FILE, STATE_FILE, type ParamUpdate, type ParamStoreOptions, type Layer, type AccessUpdate, type UserAccess } from './store.js';
export { OWNED_PARAMS, canonicalName, defaultOf, readBool, readEnum, readInt, readSchedule, readText, type BoolParam, type EnumParam, type IntParam, type OwnedName, type ParamReader, type ScheduleParam, type TextParam, isSecretParam, hasLiteralSecrets, maskRule, normaliseValue, ruleSecrets, type OwnedParam } from './registry.js';
export { MemorySecretKeeper, type SecretKeeper } from './secrets.js';
