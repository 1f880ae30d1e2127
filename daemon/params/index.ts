export { ParamStore, PUBLISHED_FILE, STATE_FILE, type ParamUpdate, type ParamStoreOptions, type Layer } from './store.js';
export { OWNED_PARAMS, canonicalName, defaultOf, readBool, type BoolParam, type ParamReader, isSecretParam, hasLiteralSecrets, maskRule, normaliseValue, ruleSecrets, type OwnedParam } from './registry.js';
export { MemorySecretKeeper, type SecretKeeper } from './secrets.js';
