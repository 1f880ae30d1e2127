/**
 * What the phone's screen shows (SPEC §5, §8), computed from the state and the open prompts.
 * Pure: the feed sends the result as `screen` and the page renders it as given.
 *
 * Softkeys follow the SPA942 model (DOMAIN.md §2): `Login` with EM_Enable=Yes while not
 * logged in, `Logout` only in state `mobile`; `Setup` opens the Profile Account prompt
 * (Cisco MPP); `Backup` and `Restore` once BRURI and the extension are set (Avaya Advanced
 * Options > Backup/Restore, DOMAIN.md §3.3), with the outcome in the words of the phone.
 * While a prompt is open the screen is the prompt and its own softkeys.
 */
import type { PromptFacts, PromptField, PromptView } from '../prompts/index.js';
import type { DisplayState } from './state.js';

export interface Screen {
  readonly title: string;
  readonly lines: readonly string[];
  readonly softkeys: readonly string[];
  readonly prompt: {
    readonly id: string;
    readonly kind: string;
    readonly fields: readonly (PromptField & { readonly value?: string })[];
    readonly expiresAt: string;
  } | null;
}

/** Context keys shown under a prompt, with their labels, in this order. */
const CONTEXT_LINES: readonly (readonly [keyof PromptFacts, string])[] = [
  ['server', 'Server'],
  ['realm', 'Realm'],
];

export function computeScreen(state: DisplayState, prompts: readonly PromptView[]): Screen {
  // The oldest prompt first: it has waited longest and will time out first.
  const prompt = prompts[0];
  if (prompt) return promptScreen(prompt, prompts.length - 1);
  return idleScreen(state);
}

function promptScreen(prompt: PromptView, waiting: number): Screen {
  const lines = [...prompt.lines];
  for (const [key, label] of CONTEXT_LINES) {
    const value = prompt.context[key];
    if (value) lines.push(`${label}: ${value}`);
  }
  if (waiting > 0) lines.push(`${waiting} more prompt${waiting === 1 ? '' : 's'} waiting`);
  // The user id the request already knows (EM retry) is offered, never a password.
  const username = prompt.context.username;
  const fields = prompt.fields.map((field) => (field.name === 'username' && username ? { ...field, value: username } : field));
  return {
    title: prompt.title,
    lines,
    softkeys: [...prompt.softkeys],
    prompt: { id: prompt.id, kind: prompt.kind, fields, expiresAt: prompt.expiresAt },
  };
}

function idleScreen(state: DisplayState): Screen {
  const extension = state.device.extension;
  const title = typeof extension === 'string' && extension ? `Ext ${extension}` : state.device.id;
  const lines = [resyncLine(state)];
  if (state.resync.next) lines.push(`Next resync ${shortTime(state.resync.next)}`);
  if (state.em.state === 'mobile') lines.push(`Logged in: ${state.em.user ?? '?'}`);
  const backup = state.backup;
  const backupLine = backup === undefined ? undefined : backupText(backup);
  if (backupLine !== undefined) lines.push(backupLine);
  lines.push(state.mqtt.connected ? 'Dashboard connected' : 'Dashboard offline');
  // DOMAIN §1.14: with Profile_Authentication_Type Disabled the setup menu is hidden.
  const softkeys = state.account?.enabled === false ? [] : ['Setup'];
  if (state.em.state === 'mobile') softkeys.push('Logout');
  else if (state.em.enabled) softkeys.push('Login');
  if (backup?.configured) softkeys.push('Backup', 'Restore');
  return { title, lines, softkeys, prompt: null };
}

/** The phone's own words (DOMAIN.md §3.3): "Restore successful", "Retrieval failed". */
const OUTCOME_TEXT = {
  backup: { succeeded: 'Backup successful', failed: 'Backup failed' },
  restore: { succeeded: 'Restore successful', failed: 'Retrieval failed' },
} as const;

function backupText(backup: NonNullable<DisplayState['backup']>): string | undefined {
  if (backup.running === 'backup') return 'Backup in progress';
  if (backup.running === 'restore') return 'Restore in progress';
  return backup.last === null ? undefined : OUTCOME_TEXT[backup.last.operation][backup.last.outcome];
}

function resyncLine(state: DisplayState): string {
  if (state.resync.running) return 'Resync in progress';
  const last = state.resync.last;
  if (!last) return 'Not provisioned yet';
  return `Resync ${last.outcome} ${shortTime(last.at)}`;
}

/** `2026-01-01T12:34:56.000Z` → `2026-01-01 12:34` (UTC, as the journal shows it). */
export function shortTime(iso: string): string {
  return iso.length >= 16 ? iso.slice(0, 16).replace('T', ' ') : iso;
}
