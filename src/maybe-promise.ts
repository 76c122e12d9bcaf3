/**
 * A value that is there now, or a promise of it. Hot paths whose answers are usually in memory (a cached key, the
 * in-process rate-limit window, a cached NS answer) return the value itself, so a request whose every step is cached
 * runs without allocating a promise or waiting a microtask tick per step; only a step that really waits (the store, a
 * DNS query, Redis) returns a promise, and what follows chains on it.
 *
 * `await` on a plain value is still correct (it just costs a tick), so a caller that does not care may keep awaiting.
 */
export type MaybePromise<T> = T | Promise<T>;

/** True for a promise (any thenable: what `await` would wait for). */
export function isPromise<T>(value: MaybePromise<T>): value is Promise<T> {
  return typeof (value as { then?: unknown } | null)?.then === 'function';
}

/**
 * `next(value)` now when `value` is there, else once it resolves. A synchronous throw from `next` propagates as a
 * throw (the caller is itself synchronous at that point); after a promise it rejects the returned promise.
 */
export function whenReady<T, U>(value: MaybePromise<T>, next: (value: T) => MaybePromise<U>): MaybePromise<U> {
  return isPromise(value) ? value.then(next) : next(value);
}
