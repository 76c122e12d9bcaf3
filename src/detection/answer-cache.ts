/**
 * DNS answers kept for their TTL, as a caching resolver keeps them (RFC 2308 §5 for negative answers): the
 * provider detection's NS lookups and the SPF counter's TXT lookups both go through one.
 *
 * - An answer without a TTL, or with TTL 0, is not kept; a failed lookup is never kept.
 * - `maxTtlSeconds` caps how long anything is kept, whatever its TTL says.
 * - Concurrent lookups of one name share one query.
 * - Past `maxEntries` the least recently used name is forgotten (a hit moves its entry to the end of the Map).
 * - A hit returns the very object the lookup produced, so callers may key their own derived data on it.
 * - A hit is returned as the value itself, not a promise: a request whose answers are all cached runs synchronously
 *   (src/maybe-promise.ts). A miss returns a promise.
 */
import type { MaybePromise } from '../maybe-promise.js';

export interface AnswerCacheOptions {
  /** @default Date.now */
  readonly now?: (() => number) | undefined;
  /** @default 1000 */
  readonly maxEntries?: number | undefined;
  /** @default 3600 */
  readonly maxTtlSeconds?: number | undefined;
}

/** What one lookup found, and for how long it may be kept (undefined or ≤ 0: not at all). */
export interface TimedAnswer<V> {
  readonly value: V;
  readonly ttlSeconds: number | undefined;
}

export function createAnswerCache<V>(lookup: (name: string) => Promise<TimedAnswer<V>>, options: AnswerCacheOptions = {}): (name: string) => MaybePromise<V> {
  const now = options.now ?? Date.now;
  const maxEntries = Math.max(1, options.maxEntries ?? 1000);
  const maxTtlMs = (options.maxTtlSeconds ?? 3600) * 1000;
  const cache = new Map<string, { value: V; expiresAt: number }>();
  const inFlight = new Map<string, Promise<V>>();

  const remember = (name: string, { value, ttlSeconds }: TimedAnswer<V>): V => {
    if (ttlSeconds !== undefined && ttlSeconds > 0) {
      cache.delete(name);
      cache.set(name, { value, expiresAt: now() + Math.min(ttlSeconds * 1000, maxTtlMs) });
      while (cache.size > maxEntries) cache.delete(cache.keys().next().value!);
    }
    return value;
  };

  return (name) => {
    const hit = cache.get(name);
    if (hit) {
      cache.delete(name);
      if (hit.expiresAt > now()) {
        cache.set(name, hit);
        return hit.value;
      }
    }
    const pending = inFlight.get(name);
    if (pending) return pending;
    const started = lookup(name)
      .then((answer) => remember(name, answer))
      .finally(() => inFlight.delete(name));
    inFlight.set(name, started);
    return started;
  };
}
