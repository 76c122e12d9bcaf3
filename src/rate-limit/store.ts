/**
 * Where the rate limiter keeps each caller's recent request timestamps.
 *
 * `RateLimitStore` is graphql-rate-limit's `Store` shape, so the package's own `InMemoryStore` and `RedisStore` fit it
 * unchanged and a later Redis store only has to implement these two methods.
 *
 * The default is `createMemoryStore`, not graphql-rate-limit's `InMemoryStore`, for two reasons read from its source
 * (node_modules/graphql-rate-limit/dist/index.js, `InMemoryStore`):
 * - it never forgets an identity, which matters for the failed-authentication throttle keyed by client IP (an
 *   attacker controls how many IPs it shows us);
 * - every write copies the whole state object (`this.state = { ...this.state, … }`), so one request costs
 *   O(identities) time.
 */
import type { Identity } from 'graphql-rate-limit';

export type RateLimitIdentity = Identity;

/** graphql-rate-limit's `Store`: timestamps (ms) of the counted calls of one identity. */
export interface RateLimitStore {
  getForIdentity(identity: RateLimitIdentity): readonly number[] | Promise<readonly number[]>;
  /** `windowMs` lets a store expire the entry once its newest timestamp has left the window. */
  setForIdentity(identity: RateLimitIdentity, timestamps: readonly number[], windowMs?: number): void | Promise<void>;
}

export interface MemoryStoreOptions {
  /**
   * Most identities held at once. Past it the least recently written identity is forgotten (its budget starts
   * afresh), so memory stays bounded however many distinct callers or IPs show up.
   * @default 100_000
   */
  readonly maxIdentities?: number;
}

export interface MemoryStore extends RateLimitStore {
  /** Identities currently held (for tests and metrics). */
  readonly size: number;
}

interface Entry {
  readonly timestamps: readonly number[];
  /** When the newest timestamp leaves its window; the entry is useless from then on. */
  readonly expiresAt: number;
}

/**
 * A bounded in-memory store. It needs no clock of its own: the newest timestamp it has been given is a lower bound
 * on the current time (in whatever clock the limiter uses), which is enough to drop entries that are surely expired.
 *
 * Entries are kept in write order (a write moves its entry to the end), so the oldest writes sit at the front and
 * pruning only ever looks there: each write drops expired entries from the front, then the front ones beyond
 * `maxIdentities`. That keeps every operation amortised O(1).
 */
export function createMemoryStore({ maxIdentities = 100_000 }: MemoryStoreOptions = {}): MemoryStore {
  if (!Number.isInteger(maxIdentities) || maxIdentities < 1) {
    throw new RangeError('maxIdentities must be a positive integer');
  }
  const entries = new Map<string, Entry>();
  let latestSeen = -Infinity;

  const keyOf = (identity: RateLimitIdentity): string => JSON.stringify([identity.contextIdentity, identity.fieldIdentity]);

  const prune = (): void => {
    for (const [key, entry] of entries) {
      if (entry.expiresAt > latestSeen && entries.size <= maxIdentities) break;
      entries.delete(key);
    }
  };

  return {
    get size() {
      return entries.size;
    },
    getForIdentity(identity) {
      const entry = entries.get(keyOf(identity));
      return entry && entry.expiresAt > latestSeen ? entry.timestamps : [];
    },
    setForIdentity(identity, timestamps, windowMs) {
      const key = keyOf(identity);
      entries.delete(key);
      if (timestamps.length > 0) {
        const newest = timestamps.reduce((a, b) => Math.max(a, b), -Infinity);
        latestSeen = Math.max(latestSeen, newest);
        // Without a window (graphql-rate-limit's own calls always pass one) only the size bound can drop the entry.
        entries.set(key, { timestamps: [...timestamps], expiresAt: windowMs === undefined ? Infinity : newest + windowMs });
      }
      prune();
    },
  };
}
