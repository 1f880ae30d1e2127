/**
 * What each prompt kind looks like (SPEC §5). Pure data: the broker copies it into every
 * prompt it opens and the display renders it as given.
 *
 * `em-login-failed` keeps the user id and password fields: `Retry` submits them again (as an
 * answer) and `Abort` cancels, which restores the previous EM state (SPEC §5, DOMAIN.md §2).
 */
export const PROMPT_KINDS = ['profile-account', 'http-auth', 'http-auth-failure', 'em-login', 'em-login-failed'] as const;
export type PromptKind = (typeof PROMPT_KINDS)[number];

/** Every non-secret fact a prompt may show (never a password, SPEC §6). */
export interface PromptContext {
  /** Where the credentials go (backup/restore, DOMAIN.md §3.4). */
  readonly server?: string | undefined;
  readonly realm?: string | undefined;
  /** The user id to pre-fill. */
  readonly username?: string | undefined;
}

/**
 * The facts each kind shows: the feature that opens a prompt and the screen that renders it
 * share these, so a misspelt key fails to compile instead of silently showing nothing.
 */
export interface PromptContexts {
  readonly 'profile-account': Record<never, never>;
  readonly 'http-auth': Pick<PromptContext, 'server' | 'realm'>;
  readonly 'http-auth-failure': Pick<PromptContext, 'server' | 'realm'>;
  readonly 'em-login': Record<never, never>;
  /** The user id of the failed attempt, offered again with `Retry` (DOMAIN.md §2). */
  readonly 'em-login-failed': { readonly username: string };
}

export interface PromptField {
  /** `username` or `password`: the two values an answer carries. */
  readonly name: 'username' | 'password';
  readonly label: string;
  /** Rendered without echo (an `<input type=password>` on the page). */
  readonly secret: boolean;
}

export interface PromptLook {
  readonly title: string;
  readonly lines: readonly string[];
  readonly fields: readonly PromptField[];
  /** The first softkey submits the answer, the second cancels. */
  readonly softkeys: readonly [submit: string, cancel: string];
}

const USER: PromptField = { name: 'username', label: 'User ID', secret: false };
const PASSWORD: PromptField = { name: 'password', label: 'Password', secret: true };

const LOOKS: Record<PromptKind, PromptLook> = {
  // Cisco MPP "Profile account setup" screen (DOMAIN.md, Profile Account).
  'profile-account': { title: 'Profile account setup', lines: ['Enter the provisioning account'], fields: [USER, PASSWORD], softkeys: ['OK', 'Cancel'] },
  // Avaya 96x1 backup/restore prompts (DOMAIN.md §3.4): "Enter backup/restore credentials".
  'http-auth': { title: 'HTTP Authentication', lines: ['Enter backup/restore credentials'], fields: [USER, PASSWORD], softkeys: ['OK', 'Cancel'] },
  'http-auth-failure': { title: 'HTTP Authentication Failure', lines: ['Enter backup/restore credentials'], fields: [USER, PASSWORD], softkeys: ['OK', 'Cancel'] },
  // SPA942 Extension Mobility login (DOMAIN.md §2).
  'em-login': { title: 'Login', lines: ['Enter user ID and password'], fields: [USER, PASSWORD], softkeys: ['OK', 'Cancel'] },
  'em-login-failed': { title: 'Login failed', lines: ['Check user ID and password'], fields: [USER, PASSWORD], softkeys: ['Retry', 'Abort'] },
};

export function lookOf(kind: PromptKind): PromptLook {
  return LOOKS[kind];
}
