import type { MaybePromise } from '../maybe-promise.js';

/** Who is calling, once authenticated. Built by the auth service, read by middleware and handlers. */
export type Permission = 'User.Update' | 'Admin' | (string & {});

/** What `keys create` and `users create` grant without `--permission`: every command, on the caller's own account. */
export const DEFAULT_PERMISSION: Permission = 'User.Update';

/**
 * Sees and acts on every account's journal entries (and whatever else belongs to an account, see src/auth/account.ts).
 * Held by the key the first start prints; granted only by name (`--permission Admin`), never implied by another.
 */
export const ADMIN_PERMISSION: Permission = 'Admin';

export interface Principal {
  /** The user behind a session, or the user a key belongs to; null for a key made without `--user`. */
  readonly userId: string | null;
  readonly username: string | null;
  /** The API key's id (never the key itself), or null for a session. */
  readonly keyId: string | null;
  /** The session's id, or null for an API key. Never logged. */
  readonly sessionId: string | null;
  readonly permissions: ReadonlySet<Permission>;
  /** The rate-limit budget this caller draws on: `key:<id>` for keys, `user:<id>` for sessions. */
  readonly rateLimitIdentity: string;
}

/** What `user.login` answers besides the session id (Octeth's `UserInfo`). */
export interface UserInfo {
  readonly UserID: string;
  readonly Username: string;
  readonly Permissions: readonly Permission[];
}

export interface AuthService {
  /**
   * Resolves an API key (as sent by the caller) to its principal; null when unknown or revoked. Constant-time compare.
   * Answers synchronously when the key is in the key cache (every request asks), else with a promise.
   */
  authenticateApiKey(key: string): MaybePromise<Principal | null>;
  /** Resolves a session id; null when unknown or expired after inactivity. Refreshes the inactivity timer. */
  authenticateSession(sessionId: string): MaybePromise<Principal | null>;
  /** Checks a username and password; on success opens a session. */
  login(username: string, password: string): Promise<{ sessionId: string; user: UserInfo } | null>;
}
