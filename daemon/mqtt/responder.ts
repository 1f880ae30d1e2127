/**
 * Answers one `cmd/<name>` request (SPEC §8): parses it, runs the injected handler, and says
 * where the reply goes — the MQTT 5 Response Topic with its Correlation Data when the requester
 * gave one that is safe to publish to, `cmd/<name>/result` otherwise (ECOSYSTEM.md §1.7). No
 * I/O: the reporter publishes.
 */
import type { JsonValue } from '../bus/index.js';
import type { CommandRunner } from '../commands/index.js';
import { ProvisiondError } from '../errors/index.js';
import { commandReply, parseCommand, tableArgs, type CommandName, type Transaction } from './commands.js';
import { isPublishableTopic, type Topics } from './topics.js';

export type CommandHandler = (name: CommandName, args: Record<string, JsonValue>) => Promise<unknown>;

export interface CommandRequest {
  readonly topic: string;
  readonly payload: Uint8Array;
  readonly responseTopic?: string;
  readonly correlationData?: Buffer;
}

export interface CommandResponse {
  readonly topic: string;
  readonly payload: string;
  readonly correlationData: Buffer | undefined;
}

/**
 * The handler over the command table: the table's arguments read from the payload, and a
 * failed outcome thrown as its typed error. The result data stays on the phone (STYLE §12).
 */
export function tableHandler(runner: CommandRunner): CommandHandler {
  return async (name, args) => {
    const outcome = await runner.run(name, tableArgs(args), 'mqtt');
    if (!outcome.ok) throw new ProvisiondError(outcome.error.code, outcome.error.message);
  };
}

const UNAVAILABLE = { code: 'command_unavailable', message: 'this daemon does not take commands over MQTT' };

export async function respond(
  request: CommandRequest,
  topics: Topics,
  handler: CommandHandler | undefined,
  redact: (text: string) => string,
  onAccepted: (name: CommandName, transaction: Transaction | undefined) => void,
): Promise<CommandResponse> {
  const name = request.topic.slice(topics.command('').length);
  const parsed = parseCommand(name, request.payload);
  let outcome: { ok: true } | { ok: false; error: unknown };
  if (!parsed.ok) outcome = parsed;
  else if (!handler) outcome = { ok: false, error: UNAVAILABLE };
  else {
    onAccepted(parsed.name, parsed.transaction);
    try {
      // The handler's result is not published: only the allowlisted reply fields leave (STYLE §12).
      await handler(parsed.name, parsed.args);
      outcome = { ok: true };
    } catch (error) {
      outcome = { ok: false, error };
    }
  }
  return {
    topic: responseTopicAllowed(request.responseTopic, topics) ? request.responseTopic : topics.result(name),
    payload: commandReply(parsed.transaction, outcome, redact),
    correlationData: request.correlationData,
  };
}

/**
 * A requester's Response Topic is used only when it is a plain topic name outside every
 * device's `cmd/` tree (SPEC §8): a reply published to `<prefix>/<other>/cmd/restore` would be
 * another phone's command, sent with this phone's broker rights.
 */
export function responseTopicAllowed(topic: string | undefined, topics: Topics): topic is string {
  if (!isPublishableTopic(topic)) return false;
  const prefix = topics.base.slice(0, topics.base.lastIndexOf('/') + 1);
  if (!topic.startsWith(prefix)) return true;
  return topic.slice(prefix.length).split('/')[1] !== 'cmd';
}
