/**
 * The per-caller request budget (product rule: 100 requests per 60 s per API key, or per user for sessions, counted
 * across REST and GraphQL together).
 *
 * The rule is a sliding log, as graphql-rate-limit's `getGraphQLRateLimiter` counts it: a call counts while
 * `stamp + window > now`; a call of cost n is counted all or nothing; refused calls are not counted (the library's
 * `uncountRejected`), so a client that waits `retryAfterSeconds` is served even if it retried meanwhile.
 *
 * Why not the library itself (it was, until the performance issue measured it): on every call it reads the caller's
 * whole log from the store, filters it calling `Date.now()` per entry, copies it twice and writes it all back, and
 * its get → compare → set is not atomic, so it needed a promise chain per caller on top. At 50 connections that was
 * 30–36 % of a cached `dns.provider`'s CPU profile, and the cost grows with the limit an operator configures
 * (RATE_LIMIT_MAX=10000 means 10,000 entries walked per request). The stores here do the same arithmetic in one
 * atomic step at O(1) amortised cost (store.ts). test/rate-limit.test.ts replays random call sequences through both
 * this limiter and the library and requires identical decisions, so the rule did not change with the engine.
 */
import { isPromise, type MaybePromise } from '../maybe-promise.js';
import { createMemoryStore, type RateLimitStore, type WindowState } from './store.js';

export type { RateLimitStore, WindowRequest, WindowState } from './store.js';

export interface RateLimiterOptions {
  /** Requests allowed per identity within any window. */
  readonly max: number;
  /** Length of the sliding window. */
  readonly windowSeconds: number;
  /** @default createMemoryStore() (one process; bounded) */
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

export interface RateLimiter {
  readonly limit: number;
  readonly windowSeconds: number;
  /**
   * Counts `cost` requests for `identity` if they all fit in the budget, else none (a GraphQL operation passes the
   * number of its DNS fields).
   * The decision itself when the store answers synchronously (the memory store), else a promise of it; a failure
   * (bad arguments, the store throwing or rejecting) is always a rejected promise, never a throw.
   * @param cost @default 1; must be an integer from 1 to `max` (a larger cost could never be served)
   */
  consume(identity: string, cost?: number): MaybePromise<RateLimitDecision>;
  /** The decision one more request would get, without counting anything (synchronous as `consume`). */
  peek(identity: string): MaybePromise<RateLimitDecision>;
}

export function createRateLimiter({ max, windowSeconds, store = createMemoryStore(), now = () => Date.now() }: RateLimiterOptions): RateLimiter {
  if (!Number.isInteger(max) || max < 1) throw new RangeError('max must be a positive integer');
  if (!Number.isFinite(windowSeconds) || windowSeconds < 0.001) throw new RangeError('windowSeconds must be at least 0.001');
  const windowMs = Math.round(windowSeconds * 1000);

  const secondsUntilLeaves = (stamp: number, at: number): number => Math.max(0, Math.ceil((stamp + windowMs - at) / 1000));
  const decision = ({ allowed, counted, oldest, blocking }: WindowState, at: number): RateLimitDecision => ({
    allowed,
    limit: max,
    remaining: Math.max(0, max - counted),
    resetSeconds: oldest === undefined ? 0 : secondsUntilLeaves(oldest, at),
    retryAfterSeconds: allowed ? 0 : Math.max(1, blocking === undefined ? 1 : secondsUntilLeaves(blocking, at)),
  });

  const step = (identity: string, cost: number): MaybePromise<RateLimitDecision> => {
    try {
      const at = now();
      const state = store.consume(identity, { at, windowMs, max, cost });
      return isPromise(state) ? state.then((s) => decision(s, at)) : decision(state, at);
    } catch (error) {
      return Promise.reject(error);
    }
  };

  return {
    limit: max,
    windowSeconds,
    // Bad arguments reject like every other failure instead of throwing synchronously.
    consume(identity, cost = 1) {
      const problem = identityProblem(identity) ?? (!Number.isInteger(cost) || cost < 1 || cost > max ? new RangeError(`cost must be an integer from 1 to ${max}`) : null);
      return problem ? Promise.reject(problem) : step(identity, cost);
    },
    peek(identity) {
      const problem = identityProblem(identity);
      return problem ? Promise.reject(problem) : step(identity, 0);
    },
  };
}

function identityProblem(identity: string): TypeError | null {
  // An empty identity means a wiring bug (no key, no IP); sharing one budget between such callers would hide it.
  return typeof identity !== 'string' || identity === '' ? new TypeError('rate limit identity must be a non-empty string') : null;
}
