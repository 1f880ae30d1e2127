/**
 * The topic tree of SPEC §8: everything under `<prefix>/<device>/`. Topic names are checked
 * once here, because a `+` or `#` in a published topic is a protocol error and a `/` in the
 * device id would move the device's topics out from under the dashboards' filters
 * (ECOSYSTEM.md §1.2: never publish to a topic containing a wildcard).
 */
import { ProvisiondError } from '../errors/index.js';

export interface Topics {
  readonly base: string;
  readonly status: string;
  readonly state: string;
  /** Filter the daemon subscribes to when `mqtt.commands` is on. */
  readonly commands: string;
  event(type: string): string;
  command(name: string): string;
  result(name: string): string;
}

const FORBIDDEN = /[+#\u0000]/;

export function topicsFor(prefix: string, device: string): Topics {
  const cleanPrefix = prefix.replace(/\/+$/, '');
  if (cleanPrefix === '' || FORBIDDEN.test(cleanPrefix) || cleanPrefix.startsWith('$')) {
    throw new ProvisiondError('mqtt_bad_topic', 'mqtt.topicPrefix must be non-empty, must not start with $ and must not contain + or #', { path: '$.mqtt.topicPrefix' });
  }
  if (device === '' || FORBIDDEN.test(device) || device.includes('/')) {
    throw new ProvisiondError('mqtt_bad_topic', 'the device id cannot be used as a topic level (empty, or contains /, + or #)', { path: '$.device.id' });
  }
  const base = `${cleanPrefix}/${device}`;
  return {
    base,
    status: `${base}/status`,
    state: `${base}/state`,
    commands: `${base}/cmd/+`,
    event: (type) => `${base}/events/${type}`,
    command: (name) => `${base}/cmd/${name}`,
    result: (name) => `${base}/cmd/${name}/result`,
  };
}

/** True when `topic` may be published to (a response topic a requester chose, MQTT 5). */
export function isPublishableTopic(topic: unknown): topic is string {
  return typeof topic === 'string' && topic !== '' && !FORBIDDEN.test(topic) && Buffer.byteLength(topic) <= 65535;
}
