/**
 * The per-caller request budget (product rule: 100 requests per 60 s per API key, or per user for sessions, counted
 * across REST and GraphQL together).
 *
 * Counting is graphql-rate-limit's `getGraphQLRateLimiter` (the stack decision), called with one constant pseudo
 * field so that a caller has ONE budget whatever it calls. Two things are added around it:
 * - Calls are serialised per identity. The library does `await store.get` → compare → `await store.set`, which is not
 *   atomic: same-tick calls all read the same old list and are all allowed (/work/shared/reference/stack.md §3).
 * - Refused calls are not counted (`uncountRejected`), so a client that waits `retryAfterSeconds` is served even if
 *   it retried meanwhile; otherwise every early retry would push its block further out.
 *
 * The per-identity chain only orders calls of this process. A store shared by several processes (Redis) must make
 * the check-and-count itself atomic: such a store implements `AtomicWindowStore`, and the limiter then asks it to
 * count instead of running the library's get → compare → set (same rules: sliding window, all-or-nothing `cost`,
 * refused calls not counted).
 */
import type { GraphQLResolveInfo } from 'graphql';
import { createMemoryStore, type RateLimitIdentity, type RateLimitStore } from './store.js';

/** The pseudo field every call is counted under; it is also the `fieldIdentity` a store sees. */
export const BUDGET_FIELD = 'api';

/** The library reads only `info.fieldName` (get-graphql-rate-limiter.ts), so this is all the "resolve info" it needs. */
const BUDGET_INFO = { fieldName: BUDGET_FIELD } as GraphQLResolveInfo;

const wallClock = (): number => Date.now();

let library: ReturnType<typeof importLibrary> | undefined;
const importLibrary = () => import('graphql-rate-limit');
/**
 * graphql-rate-limit (with the graphql-shield and yup it pulls in) is loaded on first use, not at start-up; the
 * server preloads it right after it listens.
 */
export function loadRateLimitLibrary() {
  return (library ??= importLibrary());
}

export interface RateLimiterOptions {
  /** Requests allowed per identity within any window. */
  readonly max: number;
  /** Length of the sliding window. */
  readonly windowSeconds: number;
  /** @default createMemoryStore() (bounded; see store.ts for why not the library's InMemoryStore) */
  readonly store?: RateLimitStore;
  /**
   * Clock, in ms since the epoch.
   * @default () => Date.now() (read at each call, so vitest fake timers apply)
   */
  readonly now?: () => number;
}

export interface RateLimitDecision {
  readonly allowed: boolean;
  readonly limit: number;
  /** Requests left in the current window after this one. */
  readonly remaining: number;
  /** Seconds until the oldest counted request leaves the window (0 when none is counted). */
  readonly resetSeconds: number;
  /** 0 when allowed; otherwise whole seconds (≥1) until the same request would be allowed. */
  readonly retryAfterSeconds: number;
}

/** One atomic check-and-count, as `AtomicWindowStore#consumeWindow` receives it. */
export interface WindowRequest {
  /** The caller's clock, ms since the epoch; calls stamped at or before `at - windowMs` no longer count. */
  readonly at: number;
  readonly windowMs: number;
  readonly max: number;
  readonly cost: number;
}

/** A store that can check and count in one atomic step, across every process sharing it. */
export interface AtomicWindowStore extends RateLimitStore {
  /**
   * Drops calls that left the window, then counts `cost` calls stamped `at` if they fit under `max` (else none).
   * Returns whether they were counted and the timestamps counted afterwards.
   */
  consumeWindow(identity: RateLimitIdentity, request: WindowRequest): Promise<{ allowed: boolean; timestamps: readonly number[] }>;
}

export function isAtomicWindowStore(store: RateLimitStore): store is AtomicWindowStore {
  return typeof (store as Partial<AtomicWindowStore>).consumeWindow === 'function';
}

export interface RateLimiter {
  readonly limit: number;
  readonly windowSeconds: number;
  /**
   * Counts `cost` requests for `identity` if they all fit in the budget, else none (a GraphQL operation passes the
   * number of its DNS fields).
   * @param cost @default 1; must be an integer from 1 to `max` (a larger cost could never be served)
   */
  consume(identity: string, cost?: number): Promise<RateLimitDecision>;
  /** The decision one more request would get, without counting anything. */
  peek(identity: string): Promise<RateLimitDecision>;
}

export function createRateLimiter({ max, windowSeconds, store = createMemoryStore(), now = wallClock }: RateLimiterOptions): RateLimiter {
  if (!Number.isInteger(max) || max < 1) throw new RangeError('max must be a positive integer');
  if (!Number.isFinite(windowSeconds) || windowSeconds < 0.001) throw new RangeError('windowSeconds must be at least 0.001');
  const windowMs = Math.round(windowSeconds * 1000);
  const serialise = createKeyedQueue();

  const decision = (timestamps: readonly number[], at: number, cost: number, allowed: boolean): RateLimitDecision => {
    const counted = timestamps.filter((t) => t + windowMs > at);
    // Logs are appended in time order; only a store shared by several clocks can hand them back out of order.
    if (!isAscending(counted)) counted.sort((a, b) => a - b);
    const secondsUntilLeaves = (t: number | undefined): number =>
      t === undefined ? 0 : Math.max(0, Math.ceil((t + windowMs - at) / 1000));
    // Refused: enough of the oldest requests must leave for `cost` more to fit.
    const mustLeave = counted.length + cost - max;
    return {
      allowed,
      limit: max,
      remaining: Math.max(0, max - counted.length),
      resetSeconds: secondsUntilLeaves(counted[0]),
      retryAfterSeconds: allowed ? 0 : Math.max(1, secondsUntilLeaves(counted[Math.max(0, mustLeave - 1)])),
    };
  };

  const consumeAtomically = async (atomic: AtomicWindowStore, identity: string, cost: number): Promise<RateLimitDecision> => {
    const at = now();
    const { allowed, timestamps } = await atomic.consumeWindow({ contextIdentity: identity, fieldIdentity: BUDGET_FIELD }, { at, windowMs, max, cost });
    return decision(timestamps, at, cost, allowed);
  };

  const consumeNow = async (identity: string, cost: number): Promise<RateLimitDecision> => {
    if (isAtomicWindowStore(store)) return consumeAtomically(store, identity, cost);
    const at = now();
    let written: readonly number[] = [];
    let clockAdapter: RateLimitStore;
    if (now === wallClock) {
      // The library's clock is ours: pass reads through, only remember what it writes.
      clockAdapter = {
        getForIdentity: (id) => store.getForIdentity(id),
        async setForIdentity(id, timestamps, ms) {
          written = timestamps;
          await store.setForIdentity(id, timestamps, ms);
        },
      };
    } else {
      // The library stamps and filters with Date.now(); shifting what it reads and writes by this offset keeps the
      // store (and our arithmetic) in the injected clock's time.
      // Measured as late as possible (right before the library filters with its own Date.now()), so that no time
      // passes between the two readings of the clock that could make a request seem to leave the window early.
      let offset = 0;
      const read = new Set<number>();
      clockAdapter = {
        async getForIdentity(id) {
          const stored = await store.getForIdentity(id);
          offset = Date.now() - at;
          const shifted = stored.map((t) => t + offset);
          for (const t of shifted) read.add(t);
          return shifted;
        },
        async setForIdentity(id, timestamps, ms) {
          // A stamp it did not read is this call's, taken by Date.now() a moment after `offset`: record it as `at`
          // exactly, so a millisecond of drift cannot outlive the window.
          written = timestamps.map((t) => (read.has(t) ? t - offset : at));
          await store.setForIdentity(id, written, ms);
        },
      };
    }
    // Built per call so the adapter's offset and `written` belong to this call alone; it is only a closure.
    const { getGraphQLRateLimiter } = await loadRateLimitLibrary();
    const check = getGraphQLRateLimiter({ store: clockAdapter, identifyContext: (ctx: { identity: string }) => ctx.identity });
    const refusal = await check(
      // `arrayLengthField` makes the library count `cost` calls at once, all or nothing.
      { parent: undefined, args: { calls: new Array<undefined>(cost) }, context: { identity }, info: BUDGET_INFO },
      { max, window: `${windowMs}ms`, arrayLengthField: 'calls', uncountRejected: true },
    );
    // The library's own stamp may be a millisecond after `at`: measure from the later one, so that nothing counted
    // seems to outlive the window.
    const last = written[written.length - 1];
    return decision(written, last !== undefined && last > at ? last : at, cost, refusal === undefined);
  };

  const peekNow = async (identity: string): Promise<RateLimitDecision> => {
    const at = now();
    const timestamps = await store.getForIdentity({ contextIdentity: identity, fieldIdentity: BUDGET_FIELD });
    const counted = timestamps.filter((t) => t + windowMs > at).length;
    return decision(timestamps, at, 1, counted < max);
  };

  return {
    limit: max,
    windowSeconds,
    // async so that bad arguments reject like every other failure instead of throwing synchronously.
    async consume(identity, cost = 1) {
      assertIdentity(identity);
      if (!Number.isInteger(cost) || cost < 1 || cost > max) throw new RangeError(`cost must be an integer from 1 to ${max}`);
      return serialise(identity, () => consumeNow(identity, cost));
    },
    async peek(identity) {
      assertIdentity(identity);
      // Queued too, so a peek sees every consume started before it.
      return serialise(identity, () => peekNow(identity));
    },
  };
}

function isAscending(values: readonly number[]): boolean {
  for (let i = 1; i < values.length; i++) if (values[i]! < values[i - 1]!) return false;
  return true;
}

function assertIdentity(identity: string): void {
  // An empty identity means a wiring bug (no key, no IP); sharing one budget between such callers would hide it.
  if (typeof identity !== 'string' || identity === '') throw new TypeError('rate limit identity must be a non-empty string');
}

/**
 * Runs tasks one after another per key, and in parallel across keys. The map holds only keys with work in flight:
 * the last task of a key removes its entry.
 */
function createKeyedQueue(): <T>(key: string, task: () => Promise<T>) => Promise<T> {
  const tails = new Map<string, Promise<void>>();
  return (key, task) => {
    const run = (tails.get(key) ?? Promise.resolve()).then(task);
    const tail = run.then(
      () => undefined,
      () => undefined, // a failed task (store down) must not block the key's later calls; the caller sees the error
    );
    tails.set(key, tail);
    void tail.then(() => {
      if (tails.get(key) === tail) tails.delete(key);
    });
    return run;
  };
}
