/** Events (SPEC §8): the event log (the one event journal, and the outbox part of it), its allowlisted schema, URL scrubbing and the journal file. */
export { EventLog, EVENTS_FILE, DEFAULT_RING_SIZE, JOURNAL_RETRY_MS, isRecordedEvent, type EventLogOptions, type JournalConsumer } from './log.js';
export { buildEvent, EVENT_FIELDS, MAX_STRING } from './schema.js';
export { scrubUrl, scrubUrlsInText } from './url.js';
export { Journal, type LoadedJournal } from './journal.js';
