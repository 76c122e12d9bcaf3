/**
 * Serialises work on one zone. In-process now (one promise chain per key); a distributed implementation (Redis or
 * PostgreSQL advisory locks) can replace it behind the same interface when several instances share zones.
 */
export interface ZoneLock {
  /** Runs `work` when no other work holds `key`, and releases the key when it settles. */
  run<T>(key: string, work: () => Promise<T>): Promise<T>;
}

export function createInProcessZoneLock(): ZoneLock {
  const tails = new Map<string, Promise<unknown>>();
  return {
    run<T>(key: string, work: () => Promise<T>): Promise<T> {
      const previous = tails.get(key) ?? Promise.resolve();
      const current = previous.then(work, work);
      const tail = current.then(
        () => undefined,
        () => undefined,
      );
      tails.set(key, tail);
      // Drop the entry once nothing is queued behind this run, so idle zones hold no memory.
      void tail.then(() => {
        if (tails.get(key) === tail) tails.delete(key);
      });
      return current;
    },
  };
}
