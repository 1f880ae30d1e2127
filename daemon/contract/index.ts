/** The machine-readable contract of the MQTT interface (SPEC §8): the AsyncAPI 3 document, built from the daemon's tables. */
export { asyncApiDocument, asyncApiText, eventSchema, writeAsyncApi, AUTH_FAILURE_REASONS, AUTH_OPERATIONS, CREDENTIAL_SOURCES, type Schema } from './asyncapi.js';
