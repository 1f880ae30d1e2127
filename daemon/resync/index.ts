/**
 * Resync (SPEC §4) and the Profile Account (SPEC §5): construct one `ResyncEngine` in the
 * controller with the adapters below over the real neighbours, `start()` it, `stop()` it at
 * shutdown.
 */
export { ResyncEngine, type EngineParams, type Operation, type RequestContext, type ResyncEngineOptions, type ResyncOutcome, type ResyncRequest, type ResyncResult, type ResyncStatus } from './engine.js';
export { parseUpdates, profileSource, type HttpFetch, type ProfileParseOptions, type ProfileReading, type ProfileSource, type TftpGet } from './adapters.js';
export { ProfileAccount, PROFILE_ACCOUNT } from './account.js';
export { emVars, emParamVars, EM_MOBILE, EM_PHONE } from './em-vars.js';
export { chooseCredentials, shouldOpenAccountPrompt, type Account } from './credentials.js';
export { planBoot, planNext, PRVST, type History, type PlannedTimer, type Trigger } from './plan.js';
export { readSettings, SCHEDULE_PARAMETERS, type ResyncSettings } from './settings.js';
