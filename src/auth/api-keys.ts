/**
 * API keys: `dgk_<keyId>_<secret>`, where keyId is 16 hex characters (so it never contains the `_` separator) and
 * the secret is 32 random bytes in base64url. Only the SHA-256 of the whole key is stored: the key is shown once at
 * creation. A lookup finds the row by keyId, then compares hashes in constant time.
 */
import { hash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { ApiKeyInfo, ApiKeyRow, Store } from '../storage/store.js';
import { ADMIN_PERMISSION, DEFAULT_PERMISSION, type Permission } from './types.js';

const PREFIX = 'dgk_';
const KEY_ID_BYTES = 8;
const SECRET_BYTES = 32;
/** Exactly what `formatKey` produces: anything else is refused before touching the database. */
const KEY_PATTERN = /^dgk_([0-9a-f]{16})_([A-Za-z0-9_-]{43})$/;

/** @default name of the first-start key */
export const INITIAL_ADMIN_KEY_NAME = 'admin';

/** What the first-start key holds (migration 7 gives `Admin` to a first-start key made before it existed). */
export const INITIAL_ADMIN_PERMISSIONS: readonly Permission[] = [DEFAULT_PERMISSION, ADMIN_PERMISSION];

export interface ParsedApiKey {
  readonly keyId: string;
  readonly key: string;
}

/** The key's id and the key itself, or null when the text is not shaped like one of our keys. */
export function parseApiKey(key: unknown): ParsedApiKey | null {
  if (typeof key !== 'string') return null;
  const match = KEY_PATTERN.exec(key);
  return match ? { keyId: match[1]!, key } : null;
}

export function hashApiKey(key: string): string {
  // One-shot `crypto.hash` (node ≥ 20.12): no Hash object per call, and this runs on every authenticated request.
  return hash('sha256', key, 'hex');
}

function generateKey(): { id: string; key: string } {
  const id = randomBytes(KEY_ID_BYTES).toString('hex');
  return { id, key: `${PREFIX}${id}_${randomBytes(SECRET_BYTES).toString('base64url')}` };
}

export class ApiKeyInputError extends Error {
  override readonly name = 'ApiKeyInputError';
}

export interface CreateApiKeyInput {
  readonly name: string;
  readonly userId?: string | null | undefined;
  /** @default ['User.Update'] */
  readonly permissions?: readonly Permission[] | undefined;
  /** @default new Date() */
  readonly now?: Date | undefined;
}

export interface CreatedApiKey {
  readonly id: string;
  /** The printable key: shown once, never stored. */
  readonly key: string;
  readonly name: string;
  readonly userId: string | null;
  readonly permissions: readonly Permission[];
}

/** Key names are labels for people: 1–100 characters, no control characters. */
function validateKeyName(name: string): string | null {
  const length = [...name].length;
  if (length < 1 || length > 100) return 'the key name must be 1 to 100 characters';
  if (/\p{Cc}/u.test(name)) return 'the key name must not contain control characters';
  return null;
}

function normalisePermissions(permissions: readonly Permission[] | undefined): Permission[] {
  const list = [...new Set((permissions ?? []).map((p) => p.trim()).filter((p) => p !== ''))];
  return list.length > 0 ? list : [DEFAULT_PERMISSION];
}

export async function createApiKey(store: Store, input: CreateApiKeyInput): Promise<CreatedApiKey> {
  const problem = validateKeyName(input.name);
  if (problem) throw new ApiKeyInputError(problem);
  const userId = input.userId ?? null;
  if (userId !== null && !(await store.findUserById(userId))) throw new ApiKeyInputError('no such user');
  const permissions = normalisePermissions(input.permissions);
  const { id, key } = generateKey();
  await store.insertApiKey({ id, name: input.name, userId, keyHash: hashApiKey(key), permissions, createdAt: (input.now ?? new Date()).toISOString() });
  return { id, key, name: input.name, userId, permissions };
}

export function listApiKeys(store: Store): Promise<ApiKeyInfo[]> {
  return store.listApiKeys();
}

/** Revokes at once (the next authentication fails). Returns false for an unknown id. */
export function revokeApiKey(store: Store, id: string, now: Date = new Date()): Promise<boolean> {
  return store.revokeApiKey(id, now.toISOString());
}

/**
 * On a database with no key and no user, creates the key "admin" with `User.Update` and `Admin` (it sees every
 * account's journal entries) and returns it (to print once); otherwise null. Safe when several servers start at once:
 * only one of them gets a key.
 */
export async function ensureInitialAdminKey(store: Store, now: Date = new Date()): Promise<string | null> {
  const { id, key } = generateKey();
  const inserted = await store.insertApiKeyIfNoneExist({
    id,
    name: INITIAL_ADMIN_KEY_NAME,
    userId: null,
    keyHash: hashApiKey(key),
    permissions: INITIAL_ADMIN_PERMISSIONS,
    createdAt: now.toISOString(),
  });
  return inserted ? key : null;
}

/** Compared against when the keyId is unknown, so that a miss costs the same hash and compare as a wrong secret. */
const DECOY_HASH = Buffer.from(hashApiKey(`${PREFIX}0000000000000000_${'A'.repeat(43)}`), 'hex');

/**
 * The stored key row for `key`, or null when it is malformed, unknown, wrong or revoked. Never throws for bad input.
 */
export async function verifyApiKey(store: Store, key: unknown): Promise<ApiKeyRow | null> {
  const parsed = parseApiKey(key);
  if (!parsed) return null;
  const row = await store.findApiKey(parsed.keyId);
  const expected = row ? Buffer.from(row.keyHash, 'hex') : DECOY_HASH;
  const actual = Buffer.from(hashApiKey(parsed.key), 'hex');
  const matches = expected.length === actual.length && timingSafeEqual(expected, actual);
  if (!row || !matches || row.revokedAt !== null) return null;
  return row;
}
