/** provisionctl (SPEC §8): the command line over the display feed's Unix socket. */
export { runCli, EXIT } from './run.js';
export type { CliIo } from './run.js';
export { parseCommandLine, DEFAULT_SOCKET, USAGE } from './args.js';
export type { Command, Invocation, ParsedArgs } from './args.js';
export { FeedConnection, Unreachable, connectError } from './client.js';
export { readPassword, PasswordError } from './password.js';
export { formatData, formatEvent, formatStatus } from './format.js';
