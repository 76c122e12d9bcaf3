/**
 * Where the rate limiter keeps each identity's sliding window: the timestamps of its counted calls.
 *
 * A store answers one question atomically, "drop what left the window, then count `cost` more calls if they fit",
 * and reports just the numbers the limiter needs for its decision and headers. It never hands the whole log back:
 * that made every request cost O(calls in the window) (see limiter.ts for the measurement).
 *
 * Two stores implement it: `createMemoryStore` below (one process; synchronous, so it is atomic by construction) and
 * the Redis store (redis-store.ts; one Lua script, atomic across every instance sharing the Redis).
 */

/** One check-and-count on one identity's window. */
export interface WindowRequest {
  /** The caller's clock, ms since the epoch. A call stamped `t` counts while `t + windowMs > at`. */
  readonly at: number;
  readonly windowMs: number;
  readonly max: number;
  /** Calls to count, all or nothing. 0 counts nothing and reports whether one more call would fit (a peek). */
  readonly cost: number;
}

/** What the window holds after the step. */
export interface WindowState {
  /** Whether `cost` (for a peek: one) more calls fit; when true and `cost > 0` they were counted. */
  readonly allowed: boolean;
  /** Calls counted in the window now. */
  readonly counted: number;
  /** Stamp of the oldest counted call; undefined when none is counted. */
  readonly oldest: number | undefined;
  /**
   * When not allowed: the stamp of the counted call whose leaving makes room (the (counted + cost − max)-th oldest).
   * Undefined when allowed.
   */
  readonly blocking: number | undefined;
}

export interface RateLimitStore {
  consume(identity: string, request: WindowRequest): WindowState | Promise<WindowState>;
}

export interface MemoryStoreOptions {
  /**
   * Most identities held at once. Past it the least recently counted identity is forgotten (its budget starts
   * afresh), so memory stays bounded however many distinct callers or client addresses show up.
   * @default 100_000
   */
  readonly maxIdentities?: number;
}

export interface MemoryStore extends RateLimitStore {
  /** Synchronous: nothing else runs between the check and the count, so it is atomic within the process. */
  consume(identity: string, request: WindowRequest): WindowState;
  /** Identities currently held (for tests and metrics). */
  readonly size: number;
}

/**
 * One identity's log. Stamps are in ascending order, so the calls that leave the window are always at the front:
 * they are skipped by moving `head`, and the array is compacted once most of it is behind `head`. Each stamp is
 * pushed once and passed once, so a step costs O(1) amortised however large `max` is.
 */
interface Log {
  stamps: number[];
  head: number;
  /** When the newest stamp leaves its window: the log is useless from then on. */
  expiresAt: number;
}

/** Compact once this many stamps (and at least half the array) are behind `head`. */
const COMPACT_AFTER = 64;

/**
 * A bounded in-memory store. It needs no clock of its own: the latest `at` it has been given is a lower bound on the
 * current time (in whatever clock the limiter uses), which is enough to drop logs that are surely expired.
 *
 * Logs are kept in the order they were last counted in (counting moves a log to the end), so the oldest sit at the
 * front and pruning only ever looks there: every counting step drops expired logs from the front, then the front
 * ones beyond `maxIdentities`.
 */
export function createMemoryStore({ maxIdentities = 100_000 }: MemoryStoreOptions = {}): MemoryStore {
  if (!Number.isInteger(maxIdentities) || maxIdentities < 1) {
    throw new RangeError('maxIdentities must be a positive integer');
  }
  const logs = new Map<string, Log>();
  let latestSeen = -Infinity;

  const prune = (): void => {
    for (const [identity, log] of logs) {
      if (log.expiresAt > latestSeen && logs.size <= maxIdentities) break;
      logs.delete(identity);
    }
  };

  return {
    get size() {
      return logs.size;
    },
    consume(identity, { at, windowMs, max, cost }) {
      let log = logs.get(identity);
      if (log) {
        const { stamps } = log;
        const leftBefore = at - windowMs;
        let head = log.head;
        while (head < stamps.length && stamps[head]! <= leftBefore) head++;
        if (head >= COMPACT_AFTER && head * 2 >= stamps.length) {
          log.stamps = stamps.slice(head);
          head = 0;
        }
        log.head = head;
      }
      const counted = log ? log.stamps.length - log.head : 0;
      const needed = cost > 0 ? cost : 1;
      const allowed = counted + needed <= max;
      if (allowed && cost > 0) {
        if (log) logs.delete(identity); // re-inserted below: the Map's order is counting order
        else log = { stamps: [], head: 0, expiresAt: 0 };
        // A clock that steps back (NTP) must not break the ascending order: such a call is stamped with the newest
        // stamp instead, which keeps it counted a little longer, never shorter.
        const newest = log.stamps.length > log.head ? log.stamps[log.stamps.length - 1]! : -Infinity;
        const stamp = Math.max(at, newest);
        for (let i = 0; i < cost; i++) log.stamps.push(stamp);
        log.expiresAt = stamp + windowMs;
        logs.set(identity, log);
        if (at > latestSeen) latestSeen = at;
        prune();
      }
      const total = log ? log.stamps.length - log.head : 0;
      return {
        allowed,
        counted: total,
        oldest: total > 0 ? log!.stamps[log!.head] : undefined,
        blocking: allowed ? undefined : log!.stamps[log!.head + counted + needed - max - 1],
      };
    },
  };
}
