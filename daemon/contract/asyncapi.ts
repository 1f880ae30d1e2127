/**
 * The AsyncAPI 3 document of the MQTT interface (SPEC §8), built from the daemon's own tables:
 * the event types (`bus/events.ts`), the allowlist of fields each one carries
 * (`events/schema.ts`), the command names (`mqtt/commands.ts`) and the prompt kinds. The
 * committed `docs/asyncapi.json` is this function's output (`npm run asyncapi` writes it, a test
 * fails when it differs), so the allowlist has one hand-kept copy: the daemon's.
 *
 * What the tables do not say — the JSON type of each field — is said here once per field name;
 * a field added to the allowlist without a type here makes the build of the document throw.
 */
import { writeFile } from 'node:fs/promises';
import { EVENT_TYPES, type EventType } from '../bus/index.js';
import { ProvisiondError } from '../errors/index.js';
import { EVENT_FIELDS, MAX_STRING } from '../events/index.js';
import { COMMANDS, MAX_COMMAND_BYTES } from '../mqtt/index.js';
import { PROMPT_KINDS } from '../prompts/index.js';

export type Schema = { readonly [key: string]: unknown };

const text = (description: string): Schema => ({ type: 'string', maxLength: MAX_STRING, description });
const count = (description: string): Schema => ({ type: ['integer', 'null'], minimum: 0, description });
const names = (description: string): Schema => ({ type: 'array', items: { type: 'string', maxLength: MAX_STRING }, description });
const oneOf = (values: readonly string[], description: string): Schema => ({ type: 'string', enum: [...values], description });

/** SPEC §8: what auth events say about the operation and the credentials used. */
export const AUTH_OPERATIONS = ['resync', 'backup', 'restore', 'em-login', 'trustcerts', 'report'] as const;
export const CREDENTIAL_SOURCES = ['rule', 'profile-account', 'stored', 'prompt', 'callserver', 'none'] as const;
export const AUTH_FAILURE_REASONS = ['rejected', 'no-credentials', 'cancelled', 'timeout', 'retries-exhausted'] as const;

/** The JSON type of every allowlisted field, by name. */
const FIELD_TYPES: Readonly<Record<string, Schema>> = {
  operation: text('the operation the event is about (resync, backup, restore, em-login, trustcerts)'),
  url: text('the URL, userinfo and query secrets removed'),
  realm: text('the HTTP authentication realm'),
  scheme: oneOf(['Basic', 'Digest'], 'the HTTP authentication scheme'),
  algorithm: text('the Digest algorithm (MD5, SHA-256, …)'),
  source: text('where the credentials or the change came from'),
  attempt: count('which answer to a challenge this is'),
  reason: text('why (a stable word or a message without secrets)'),
  status: count('the HTTP status, when there was one'),
  id: text('the prompt id'),
  kind: oneOf(PROMPT_KINDS, 'the prompt kind'),
  timeoutSeconds: count('seconds before the prompt times out'),
  outcome: text('how the prompt ended (answered, cancelled, timeout, …)'),
  subject: text("the rejected certificate's subject"),
  issuer: text("the rejected certificate's issuer"),
  code: text('a stable error code'),
  trigger: text('what started it (boot, periodic, manual, …)'),
  message: text('a message for the administrator, without secrets'),
  durationMs: count('how long it took'),
  changed: names('the names of the parameters that changed'),
  retryInSeconds: count('when the next attempt is due'),
  bytes: count('bytes transferred'),
  user: text('the Extension Mobility user'),
  extension: text('the extension'),
  path: text('the file concerned'),
  version: text('the phone software version'),
  pid: count('the process id'),
  node: text('the Node.js version'),
  name: text('the TRUSTCERTS name as the list gives it'),
  notAfter: { type: 'string', format: 'date-time', description: 'when the certificate expires' },
  fingerprint256: text('the SHA-256 fingerprint, upper-case hex pairs joined by colons'),
  kept: { type: 'boolean', description: 'the copy installed before stays trusted' },
  encrypted: { type: 'boolean', description: 'the report was encrypted with the --key of Report_Rule' },
  signal: text('the signal that stopped the daemon'),
  count: count('events lost to outbox overflow'),
  ignored: count('settings-script SET lines ignored for an invalid value'),
};

/** Where SPEC §8 fixes a field's values for one event type. */
const OVERRIDES: Partial<Record<EventType, Readonly<Record<string, Schema>>>> = {
  'auth.challenge': { operation: oneOf(AUTH_OPERATIONS, 'the operation that met the challenge') },
  'auth.success': { operation: oneOf(AUTH_OPERATIONS, 'the operation that authenticated'), source: oneOf(CREDENTIAL_SOURCES, 'where the credentials came from') },
  'auth.failure': {
    operation: oneOf(AUTH_OPERATIONS, 'the operation that failed to authenticate'),
    source: oneOf(CREDENTIAL_SOURCES, 'where the credentials came from'),
    reason: oneOf(AUTH_FAILURE_REASONS, 'why authentication failed'),
  },
  'auth.prompt': { operation: oneOf(AUTH_OPERATIONS, 'the operation the prompt is for') },
  'trustcerts.installed': { subject: text("the installed CA certificate's subject (the first, for a bundle)") },
};

const DESCRIPTIONS: Readonly<Record<EventType, string>> = {
  'auth.challenge': 'A server asked for credentials (HTTP 401).',
  'auth.success': 'A request authenticated.',
  'auth.failure': 'Authentication failed; `reason` says why.',
  'auth.prompt': 'A credentials prompt opened on the phone.',
  'auth.prompt.closed': 'A prompt closed (answered, cancelled or timed out).',
  'credentials.stored': 'Credentials were stored in the vault.',
  'credentials.cleared': 'Stored credentials were removed.',
  'tls.rejected': "A server's certificate was refused.",
  'trustcerts.installed': 'A TRUSTCERTS file was downloaded, validated as CA certificates and added to the trust anchors.',
  'trustcerts.refused': 'A TRUSTCERTS file was not installed; `code` and `message` say why (`kept`: the copy installed before stays).',
  'trustcerts.removed': 'A certificate left the trust anchors: TRUSTCERTS no longer names it.',
  'resync.started': 'A resync began.',
  'resync.succeeded': 'A resync applied a changed profile.',
  'resync.failed': 'A resync failed (`code`; `provision_disabled` when Provision_Enable is No).',
  'resync.unchanged': 'A resync found nothing new.',
  'config.applied': 'Parameters changed (names only).',
  'report.succeeded': 'The configuration report (Report_Rule) was uploaded; `encrypted` when the rule gives --key.',
  'report.failed': 'The configuration report was not uploaded (`code`; `scheme_unsupported` for tftp, `report_rule_unset` without a Report_Rule). One attempt, no retry.',
  'backup.succeeded': 'User data was backed up.',
  'backup.failed': 'A backup failed.',
  'restore.succeeded': 'User data was restored.',
  'restore.failed': 'A restore failed.',
  'em.login': 'An Extension Mobility user logged in.',
  'em.logout': 'An Extension Mobility user logged out.',
  'vault.corrupted': 'The credential vault could not be read.',
  'daemon.started': 'The daemon started.',
  'daemon.stopping': 'The daemon is stopping.',
  'events.dropped': 'Events were lost to outbox overflow; `count` says how many.',
};

/** The JSON Schema of one event type's payload: the envelope plus exactly the allowlisted fields. */
export function eventSchema(type: EventType, fields: Readonly<Record<EventType, readonly string[]>> = EVENT_FIELDS): Schema {
  const properties: Record<string, Schema> = {
    v: { const: 1, description: 'event format version' },
    seq: { type: 'integer', minimum: 1, description: 'rises by one per event, survives restarts; deduplicate by device and seq' },
    ts: { type: 'string', format: 'date-time', description: 'when the event was recorded' },
    device: { type: 'string', minLength: 1, description: 'the device id (the topic level)' },
    type: { const: type },
  };
  for (const field of fields[type]) {
    const schema = OVERRIDES[type]?.[field] ?? FIELD_TYPES[field];
    if (!schema) throw new ProvisiondError('asyncapi_untyped_field', `event field ${type}.${field} has no JSON type in daemon/contract/asyncapi.ts`);
    properties[field] = schema;
  }
  return { type: 'object', description: DESCRIPTIONS[type], required: ['v', 'seq', 'ts', 'device', 'type'], properties, additionalProperties: false };
}

const TRANSACTION: Schema = {
  oneOf: [{ type: 'string', maxLength: 128 }, { type: 'number' }],
  description: 'chosen by the requester, echoed in the reply',
};

const COMMAND_REQUEST_SCHEMA: Schema = {
  type: 'object',
  description: `A command request (at most ${MAX_COMMAND_BYTES} bytes; an empty payload is a request without arguments). A retained command is never acted on.`,
  properties: { transaction: TRANSACTION, wait: { type: 'boolean', description: 'reply when the operation has finished, with its outcome' } },
};

const COMMAND_REPLY_SCHEMA: Schema = {
  type: 'object',
  required: ['status'],
  properties: {
    transaction: TRANSACTION,
    status: { type: 'string', enum: ['ok', 'error'] },
    error: {
      type: 'object',
      required: ['code', 'message'],
      properties: { code: { type: 'string', description: 'stable error code' }, message: { type: 'string', description: 'without secrets' } },
      additionalProperties: false,
    },
  },
  additionalProperties: false,
};

const STATUS_SCHEMA: Schema = { type: 'string', enum: ['online', 'offline'] };

const nullable = (schema: Schema): Schema => ({ oneOf: [{ type: 'null' }, schema] });

const STATE_SCHEMA: Schema = {
  type: 'object',
  description: 'Retained snapshot (last and next resync, EM state, trust summary, MQTT protocol, feature health); `{"starting": true}` until the features it describes run.',
  properties: {
    starting: { const: true },
    resync: {
      type: 'object',
      properties: {
        running: { type: 'boolean' },
        last: nullable({
          type: 'object',
          required: ['at', 'outcome', 'trigger'],
          properties: {
            at: { type: 'string', format: 'date-time' },
            outcome: { type: 'string', enum: ['succeeded', 'unchanged', 'failed'] },
            trigger: { type: 'string' },
            error: { type: 'string', description: 'the stable error code of a failed resync' },
          },
          additionalProperties: false,
        }),
        next: nullable({ type: 'string', format: 'date-time' }),
      },
    },
    em: { type: 'object', properties: { state: { type: 'string', enum: ['', 'host', 'mobile'], description: "Extension Mobility: '' when off" } } },
    trust: { type: 'object', description: 'trust summary (anchor counts, no key material)' },
    mqtt: { type: 'object', properties: { protocol: { type: 'string', enum: ['5', '3.1.1'], description: 'the MQTT version spoken (3.1.1 after a broker refused 5)' } } },
    features: {
      type: 'array',
      description: 'each feature of the daemon and how it is doing: one that failed to start or stopped working is `failed` with its error code',
      items: {
        type: 'object',
        required: ['name', 'state'],
        properties: {
          name: { type: 'string' },
          state: { type: 'string', enum: ['starting', 'running', 'failed', 'stopped'] },
          error: { type: 'object', required: ['code', 'message'], properties: { code: { type: 'string' }, message: { type: 'string' } }, additionalProperties: false },
        },
        additionalProperties: false,
      },
    },
  },
};

const JSON_MESSAGE = (name: string, title: string, payload: Schema, extra: Schema = {}): Schema => ({
  name,
  title,
  contentType: 'application/json',
  payload,
  bindings: { mqtt: { contentType: 'application/json', payloadFormatIndicator: 1, bindingVersion: '0.2.0' } },
  ...extra,
});

const PARAMETERS = {
  prefix: { description: 'mqtt.topicPrefix (default provisiond)', default: 'provisiond' },
  device: { description: 'the device id (lower-case MAC unless device.id is set)' },
};

/** `{"qos": 1, "retain": …}` as an MQTT operation binding. */
const delivery = (retain: boolean): Schema => ({ mqtt: { qos: 1, retain, bindingVersion: '0.2.0' } });

const ref = (path: string): Schema => ({ $ref: path });

/** A channel of one device: its topic under `{prefix}/{device}/`, and the messages it carries. */
const channel = (topic: string, title: string, description: string, messages: Schema): Schema => ({
  address: `{prefix}/{device}/${topic}`,
  title,
  description,
  parameters: PARAMETERS,
  messages,
});

/** The daemon publishing channel `key`'s `message`. */
const send = (key: string, message: string, retain: boolean): Schema => ({
  action: 'send',
  channel: ref(`#/channels/${key}`),
  messages: [ref(`#/channels/${key}/messages/${message}`)],
  bindings: delivery(retain),
});

/** The whole document, as a plain JSON value. */
export function asyncApiDocument(version: string): Schema {
  const channels: Record<string, Schema> = {
    status: channel('status', 'Status', 'Retained: `online` on every connect, `offline` on a clean stop and as the last will (QoS 1, retained).', {
      status: ref('#/components/messages/status'),
    }),
    state: channel('state', 'State', 'Retained JSON snapshot (last resync, next resync, EM state, trust summary), republished when it changes.', {
      state: ref('#/components/messages/state'),
    }),
  };
  const operations: Record<string, Schema> = { sendStatus: send('status', 'status', true), sendState: send('state', 'state', true) };
  const messages: Record<string, Schema> = {
    status: {
      name: 'status',
      title: 'online / offline',
      contentType: 'text/plain',
      payload: STATUS_SCHEMA,
      bindings: { mqtt: { contentType: 'text/plain', bindingVersion: '0.2.0' } },
    },
    state: JSON_MESSAGE('state', 'State snapshot', STATE_SCHEMA),
  };
  const schemas: Record<string, Schema> = {};
  for (const type of EVENT_TYPES) {
    const key = `event.${type}`;
    schemas[key] = eventSchema(type);
    messages[key] = JSON_MESSAGE(type, type, ref(`#/components/schemas/${key}`), { summary: DESCRIPTIONS[type] });
    channels[key] = channel(`events/${type}`, type, `${DESCRIPTIONS[type]} QoS 1, not retained, in seq order, at least once.`, { [type]: ref(`#/components/messages/${key}`) });
    operations[`send.${key}`] = send(key, type, false);
  }
  schemas.commandRequest = COMMAND_REQUEST_SCHEMA;
  schemas.commandReply = COMMAND_REPLY_SCHEMA;
  messages.commandRequest = JSON_MESSAGE('commandRequest', 'Command request', ref('#/components/schemas/commandRequest'), {
    description:
      'MQTT 5: a Response Topic and Correlation Data are honoured, unless the Response Topic holds a wildcard or lies under `<prefix>/+/cmd/`; then the reply goes to `cmd/<name>/result` only.',
    bindings: {
      mqtt: { contentType: 'application/json', payloadFormatIndicator: 1, correlationData: { type: 'string', format: 'binary' }, responseTopic: { type: 'string' }, bindingVersion: '0.2.0' },
    },
  });
  messages.commandReply = JSON_MESSAGE('commandReply', 'Command reply', ref('#/components/schemas/commandReply'), {
    description: 'Carries the Correlation Data of the request (MQTT 5).',
    bindings: { mqtt: { contentType: 'application/json', payloadFormatIndicator: 1, correlationData: { type: 'string', format: 'binary' }, bindingVersion: '0.2.0' } },
  });
  for (const name of COMMANDS) {
    const request = `cmd.${name}`;
    const result = `cmd.${name}.result`;
    channels[request] = channel(`cmd/${name}`, `cmd/${name}`, `Asks the daemon to ${name} (only with mqtt.commands; no credential travels over MQTT).`, {
      request: ref('#/components/messages/commandRequest'),
    });
    channels[result] = channel(`cmd/${name}/result`, `cmd/${name}/result`, `The reply to cmd/${name} (QoS 1, not retained).`, { reply: ref('#/components/messages/commandReply') });
    operations[`receive.${request}`] = {
      action: 'receive',
      channel: ref(`#/channels/${request}`),
      messages: [ref(`#/channels/${request}/messages/request`)],
      bindings: { mqtt: { qos: 1, bindingVersion: '0.2.0' } },
      reply: { channel: ref(`#/channels/${result}`), messages: [ref(`#/channels/${result}/messages/reply`)] },
    };
  }
  return {
    asyncapi: '3.1.0',
    id: 'urn:provisiond:mqtt',
    info: {
      title: 'provisiond MQTT interface',
      version,
      description:
        'What a provisiond phone daemon publishes and answers on an MQTT broker (MQTT 3.1.1 and 5, any broker). Generated from the daemon (daemon/contract/asyncapi.ts); do not edit by hand.',
      license: { name: 'MIT' },
    },
    defaultContentType: 'application/json',
    servers: {
      broker: {
        host: 'localhost:1883',
        protocol: 'mqtt',
        protocolVersion: '5',
        description: 'Any MQTT 3.1.1 or 5 broker (mqtt.url); with MQTT 5 every JSON message carries Content Type application/json.',
        bindings: {
          mqtt: {
            clientId: 'provisiond-<device>',
            cleanSession: true,
            keepAlive: 60,
            lastWill: { topic: '<prefix>/<device>/status', qos: 1, message: 'offline', retain: true },
            bindingVersion: '0.2.0',
          },
        },
      },
    },
    channels,
    operations,
    components: { schemas, messages },
  };
}

/** The document as committed: two-space JSON with a final newline. */
export function asyncApiText(version: string): string {
  return JSON.stringify(asyncApiDocument(version), null, 2) + '\n';
}

export async function writeAsyncApi(file: string, version: string): Promise<void> {
  await writeFile(file, asyncApiText(version));
}
