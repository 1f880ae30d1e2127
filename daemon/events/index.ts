/** Events (SPEC §8): the event log, its allowlisted schema, URL scrubbing and the journal file. */
export { EventLog, EVENTS_FILE, DEFAULT_RING_SIZE, type EventLogOptions } from './log.js';
export { buildEvent, EVENT_FIELDS, MAX_STRING, type Stamp } from './schema.js';
export { scrubUrl, scrubUrlsInText } from './url.js';
export { Journal, type LoadedJournal } from './journal.js';
