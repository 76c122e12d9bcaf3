/**
 * Login sessions: `dgs_<base64url of 32 random bytes>`, stored only as a SHA-256 hash. A session expires after
 * `idleMinutes` without use; each successful use slides the window forward.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { SessionRow, Store } from '../storage/store.js';

const PREFIX = 'dgs_';
const SESSION_PATTERN = /^dgs_[A-Za-z0-9_-]{43}$/;

export function hashSessionId(sessionId: string): string {
  return createHash('sha256').update(sessionId, 'utf8').digest('hex');
}

/** Opens a session for `userId` and returns its id (the only time the id exists outside the caller). */
export async function createSession(store: Store, userId: string, now: Date): Promise<string> {
  const sessionId = `${PREFIX}${randomBytes(32).toString('base64url')}`;
  const at = now.toISOString();
  await store.insertSession({ idHash: hashSessionId(sessionId), userId, createdAt: at, lastSeenAt: at });
  return sessionId;
}

export interface ResolveSessionOptions {
  readonly idleMinutes: number;
  readonly now: Date;
}

function isSessionExpired(session: SessionRow, options: ResolveSessionOptions): boolean {
  return options.now.getTime() - Date.parse(session.lastSeenAt) >= options.idleMinutes * 60_000;
}

/**
 * The live session for `sessionId`, refreshed to `now`; null when malformed, unknown or idle too long (an expired
 * session is deleted on sight).
 */
export async function resolveSession(store: Store, sessionId: unknown, options: ResolveSessionOptions): Promise<SessionRow | null> {
  if (typeof sessionId !== 'string' || !SESSION_PATTERN.test(sessionId)) return null;
  const idHash = hashSessionId(sessionId);
  const session = await store.findSession(idHash);
  if (!session) return null;
  if (isSessionExpired(session, options)) {
    await store.deleteSession(idHash);
    return null;
  }
  const at = options.now.toISOString();
  await store.touchSession(idHash, at);
  return { ...session, lastSeenAt: at };
}

/** Drops every session idle for longer than `idleMinutes` (called on login, so the table cannot grow unbounded). */
export function purgeIdleSessions(store: Store, options: ResolveSessionOptions): Promise<number> {
  return store.deleteSessionsIdleSince(new Date(options.now.getTime() - options.idleMinutes * 60_000).toISOString());
}
