/**
 * The local display feed and page (SPEC §8). Wiring: load the token, build the feed over a
 * backend and the prompt broker, `start()` it, then `startDisplayServers`; at shutdown
 * `feed.stop()` first (closes the clients), then `servers.close()`.
 */
export { DisplayFeed, CLOSE_AUTH_TIMEOUT, CLOSE_TRY_AGAIN_LATER, CLOSE_UNAUTHORIZED } from './feed.js';
export type { DisplayFeedOptions, Transport } from './feed.js';
export { startDisplayServers, originAllowed, resolveGroup, servePageFile, refuse, pathOf, listen, closeServers, hostForUrl, FEED_PATH } from './server.js';
export { pageHtml, type PageFile } from './page.js';
export type { DisplayServers, DisplayServersOptions } from './server.js';
export { loadDisplayToken, tokenMatches, TOKEN_FILE } from './token.js';
export { computeScreen, shortTime } from './screen.js';
export type { Screen } from './screen.js';
export { COMMAND_NAMES, PROTOCOL, PROTOCOL_VERSION, parseClientMessage, parseServerMessage, isCommandName } from './protocol.js';
export type { ClientMessage, ClientRequest, CommandArgs, CommandName, CommandReply, FeedErrorCode, MessageId, Parsed, ResultMessage, ServerMessage } from './protocol.js';
export type { DaemonSoftkey, DisplayBackend, DisplayState, EmState, PromptDesk, ResyncSummary } from './state.js';
