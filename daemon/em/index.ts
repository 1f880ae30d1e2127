/** Extension Mobility (SPEC §5, DOMAIN §2): construct one `ExtensionMobility` beside the resync engine. */
export { ExtensionMobility, type EmResult, type EmState, type ExtensionMobilityOptions } from './em.js';
