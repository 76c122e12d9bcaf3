/**
 * The `AuthService` (src/auth/types.ts) over the store: API keys, password logins and sliding sessions, plus user
 * creation for the CLI. Bad input of any shape yields null, never an exception: callers turn null into 99998.
 */
import { randomUUID } from 'node:crypto';
import { StoreConflictError, type Store, type UserRow } from '../storage/store.js';
import { hashApiKey, verifyApiKey } from './api-keys.js';
import { MAX_PASSWORD_LENGTH, decoyPasswordHash, hashPassword, verifyPassword, type ScryptParams } from './passwords.js';
import { createSession, purgeIdleSessions, resolveSession } from './sessions.js';
import { DEFAULT_PERMISSION, type AuthService, type Permission, type Principal, type UserInfo } from './types.js';

export interface AuthServiceOptions {
  readonly store: Store;
  /** Sessions expire after this much inactivity (config SESSION_IDLE_MINUTES). */
  readonly sessionIdleMinutes: number;
  /** @default () => new Date() */
  readonly now?: () => Date;
  /**
   * How long an authenticated key is trusted without asking the store again. A revoked key stops working within
   * this time (on every instance). The server passes AUTH_KEY_CACHE_SECONDS.
   * @default 0 (no cache)
   */
  readonly keyCacheSeconds?: number;
}

/** Keys remembered at most; the oldest entry is dropped past this. */
const KEY_CACHE_MAX_ENTRIES = 10_000;

/** `last_used_at` is written at most this often per key, so authentication is not a write per request. */
const LAST_USED_RESOLUTION_MS = 60_000;

export function createAuthService(options: AuthServiceOptions): AuthService {
  const { store, sessionIdleMinutes } = options;
  const now = options.now ?? (() => new Date());

  const keyCacheMs = (options.keyCacheSeconds ?? 0) * 1000;
  // Keyed by the key's SHA-256, never the key itself; only successful authentications are remembered.
  const keyCache = new Map<string, { principal: Principal; expiresAt: number }>();

  return {
    // Not async: a cached key is answered as a value, without a promise (src/maybe-promise.ts).
    authenticateApiKey(key) {
      const cacheKey = keyCacheMs > 0 && typeof key === 'string' ? hashApiKey(key) : null;
      const cached = cacheKey ? keyCache.get(cacheKey) : undefined;
      if (cached && cached.expiresAt > now().getTime()) return cached.principal;
      if (cacheKey) keyCache.delete(cacheKey);
      return authenticateKeyFromStore(key).then((principal) => {
        if (principal && cacheKey) {
          if (keyCache.size >= KEY_CACHE_MAX_ENTRIES) keyCache.delete(keyCache.keys().next().value!);
          keyCache.set(cacheKey, { principal, expiresAt: now().getTime() + keyCacheMs });
        }
        return principal;
      });
    },

    authenticateSession: authenticateSessionFromStore,

    login,
  };

  async function authenticateKeyFromStore(key: string): Promise<Principal | null> {
    const row = await verifyApiKey(store, key);
    if (!row) return null;
    const at = now();
    if (row.lastUsedAt === null || at.getTime() - Date.parse(row.lastUsedAt) >= LAST_USED_RESOLUTION_MS) {
      await store.touchApiKey(row.id, at.toISOString());
    }
    return {
      userId: row.userId,
      username: row.username,
      keyId: row.id,
      sessionId: null,
      permissions: new Set(row.permissions),
      rateLimitIdentity: `key:${row.id}`,
    } satisfies Principal;
  }

  async function authenticateSessionFromStore(sessionId: string): Promise<Principal | null> {
    const session = await resolveSession(store, sessionId, { idleMinutes: sessionIdleMinutes, now: now() });
    if (!session) return null;
    const user = await store.findUserById(session.userId);
    if (!user) return null;
    return {
      userId: user.id,
      username: user.username,
      keyId: null,
      sessionId: sessionId as string,
      permissions: new Set(user.permissions),
      rateLimitIdentity: `user:${user.id}`,
    } satisfies Principal;
  }

  async function login(username: string, password: string): Promise<{ sessionId: string; user: UserInfo } | null> {
    if (typeof username !== 'string' || typeof password !== 'string') return null;
    if (password === '' || password.length > MAX_PASSWORD_LENGTH || validateUsername(username) !== null) return null;
    const user = await store.findUserByUsername(username);
    // Unknown users still cost one scrypt, so timing does not tell which usernames exist.
    const matches = await verifyPassword(password, user?.passwordHash ?? (await decoyPasswordHash()));
    if (!user || !matches) return null;
    const at = now();
    await purgeIdleSessions(store, { idleMinutes: sessionIdleMinutes, now: at });
    const sessionId = await createSession(store, user.id, at);
    return { sessionId, user: userInfo(user) };
  }
}

function userInfo(user: UserRow): UserInfo {
  return { UserID: user.id, Username: user.username, Permissions: [...user.permissions] };
}

export class UserInputError extends Error {
  override readonly name = 'UserInputError';
}

/** Usernames: 1–64 characters, no control characters, no leading or trailing space. Null when valid. */
export function validateUsername(username: string): string | null {
  const length = [...username].length;
  if (length < 1 || length > 64) return 'the username must be 1 to 64 characters';
  if (/\p{Cc}/u.test(username)) return 'the username must not contain control characters';
  if (username.trim() !== username) return 'the username must not start or end with spaces';
  return null;
}

export interface CreateUserInput {
  readonly username: string;
  readonly password: string;
  /** @default ['User.Update'] */
  readonly permissions?: readonly Permission[] | undefined;
  /** @default new Date() */
  readonly now?: Date | undefined;
  /** Tests lower the cost. @default DEFAULT_SCRYPT_PARAMS */
  readonly scrypt?: ScryptParams | undefined;
}

/** Creates a user with a scrypt password hash. Throws `UserInputError` for a bad or taken username or a bad password. */
export async function createUser(store: Store, input: CreateUserInput): Promise<UserRow> {
  const problem = validateUsername(input.username);
  if (problem) throw new UserInputError(problem);
  if (input.password === '') throw new UserInputError('the password must not be empty');
  if (input.password.length > MAX_PASSWORD_LENGTH) throw new UserInputError(`the password must be at most ${MAX_PASSWORD_LENGTH} characters`);
  const permissions = [...new Set((input.permissions ?? []).map((p) => p.trim()).filter((p) => p !== ''))];
  try {
    return await store.createUser({
      id: randomUUID(),
      username: input.username,
      passwordHash: await hashPassword(input.password, input.scrypt),
      permissions: permissions.length > 0 ? permissions : [DEFAULT_PERMISSION],
      createdAt: (input.now ?? new Date()).toISOString(),
    });
  } catch (error) {
    if (error instanceof StoreConflictError) throw new UserInputError(`the username "${input.username}" is already taken`);
    throw error;
  }
}
