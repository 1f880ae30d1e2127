/**
 * The demo's "dashboard": an MQTT client subscribed to every device's events, printing each
 * one as a short line (`#seq type field=value …`), so the person watching sees the story the
 * daemon reports (SPEC §8 events carry no secrets, so printing them whole is safe).
 */
import mqtt from 'mqtt';

export interface Dashboard {
  stop(): Promise<void>;
}

/**
 * Left out of the line: the envelope every event has, and `message` (the `Log_Resync_*` text,
 * which the daemon's own log line above already shows).
 */
const LEFT_OUT = new Set(['v', 'seq', 'ts', 'device', 'type', 'message']);
/** A longer value is cut, so each event stays about one line. */
const MAX_VALUE = 72;

/** One console line for an event payload; a payload that is not an event is shown as text. */
export function formatEvent(payload: string): string {
  let event: Record<string, unknown>;
  try {
    event = JSON.parse(payload) as Record<string, unknown>;
  } catch {
    return `event    ${payload}`;
  }
  const fields = Object.entries(event)
    .filter(([key]) => !LEFT_OUT.has(key))
    .map(([key, value]) => `${key}=${cut(typeof value === 'string' && /^\S+$/.test(value) ? value : JSON.stringify(value))}`);
  return [`event    #${String(event.seq)} ${String(event.type)}`, ...fields].join(' ');
}

function cut(text: string): string {
  return text.length > MAX_VALUE ? `${text.slice(0, MAX_VALUE - 1)}…` : text;
}

export async function startDashboard(url: string, topicPrefix: string, say: (line: string) => void): Promise<Dashboard> {
  const client = await mqtt.connectAsync(url, { clientId: `provisiond-demo-dashboard-${process.pid}`, reconnectPeriod: 1000 });
  client.on('message', (_topic, payload) => say(formatEvent(payload.toString('utf8'))));
  await client.subscribeAsync(`${topicPrefix}/+/events/#`, { qos: 1 });
  return { stop: () => client.endAsync() };
}
