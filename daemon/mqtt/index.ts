/** MQTT reporting (SPEC §8): the reporter, its cursor in the event journal (the outbox), topics, commands and settings. */
export { MqttReporter, type MqttReporterOptions, type MqttStatus } from './reporter.js';
export { respond, responseTopicAllowed, tableHandler, type CommandHandler, type CommandRequest, type CommandResponse } from './responder.js';
export { Outbox, CURSOR_FILE, LEGACY_OUTBOX_FILE, DEFAULT_OUTBOX_MAX, type OutboxOptions, type OutboxLoad } from './outbox.js';
export { topicsFor, isPublishableTopic, type Topics } from './topics.js';
export { COMMANDS, MAX_COMMAND_BYTES, parseCommand, commandReply, tableArgs, type CommandName, type ParsedCommand, type Transaction } from './commands.js';
export { reconnectDelay, DEFAULT_BACKOFF, type BackoffSettings } from './backoff.js';
export { checkUrl, clientOptions, loadFiles, type MqttSettings, type LoadedFiles } from './settings.js';
