/**
 * Serialises work on one zone (read-merge-write of a provider zone must not interleave: Namecheap's setHosts
 * replaces the whole host list, so two overlapping writers lose one another's records).
 *
 * Three implementations behind one interface:
 * - in-process (the single-machine default): one promise chain per key;
 * - Redis (REDIS_URL set): `SET key token NX PX ttl`, renewed while the work runs, released only by its owner
 *   (redis.io "Distributed Locks with Redis", single instance);
 * - PostgreSQL advisory locks (DATABASE_URL postgres://…, no REDIS_URL): `pg_advisory_lock` on a dedicated
 *   connection; the server frees it if the connection (or instance) dies, so no TTL is needed.
 * The distributed ones also queue same-key work in-process first, so one instance has at most one waiter per zone
 * polling or blocking on the shared lock.
 *
 * There is no fencing token: no DNS provider API can be made to refuse a writer whose lock has expired (Kleppmann,
 * "How to do distributed locking"). What the lease gives instead is its `signal`, aborted as soon as the holder learns
 * the lock is lost (a renewal finds another owner, the connection drops, shutdown): the DNS service checks it before
 * its first provider write and every provider call checks it before it starts, so a holder that has lost the lock
 * sends no further write. A holder that does not learn it in time (a process paused for longer than the TTL) is not
 * fenced off; the TTL (LOCK_TTL_MS) is what bounds that window.
 */
import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { Pool } from 'pg';

export interface LockLease {
  /**
   * Aborted, with a `LockLostError`, when the lock is lost while held (a renewal found another owner, the connection
   * dropped, shutdown): stop before the next write.
   */
  readonly signal: AbortSignal;
}

export interface ZoneLock {
  /** Runs `work` when no other work (in any instance sharing the lock) holds `key`, and releases it when it settles. */
  run<T>(key: string, work: (lease: LockLease) => Promise<T>): Promise<T>;
  /** Stops renewals and releases every lock still held (graceful shutdown); later `run`s reject. */
  close(): Promise<void>;
}

/** The lock could not be taken within the configured wait (another holder kept it). */
export class LockTimeoutError extends Error {
  override readonly name = 'LockTimeoutError';
}

/** The lock expired or its connection dropped while the work was running. */
export class LockLostError extends Error {
  override readonly name = 'LockLostError';
}

export class LockClosedError extends Error {
  override readonly name = 'LockClosedError';
}

/** How a wait for a zone lock ended: the work started, or LockTimeoutError, or any other refusal. */
export type LockWaitOutcome = 'acquired' | 'timeout' | 'failed';

/**
 * `lock`, telling `onWait` how long each `run` waited before its work started, or before the lock was refused: for all
 * three kinds, the in-process queue in front of the shared lock included.
 */
export function observeLockWaits(lock: ZoneLock, onWait: (outcome: LockWaitOutcome, seconds: number) => void): ZoneLock {
  return {
    async run(key, work) {
      const started = performance.now();
      let acquired = false;
      try {
        return await lock.run(key, (lease) => {
          acquired = true;
          onWait('acquired', (performance.now() - started) / 1000);
          return work(lease);
        });
      } catch (error) {
        if (!acquired) onWait(error instanceof LockTimeoutError ? 'timeout' : 'failed', (performance.now() - started) / 1000);
        throw error;
      }
    },
    close: () => lock.close(),
  };
}

/** Runs tasks one after another per key, in parallel across keys; idle keys hold no memory. */
function createKeyedChain(): <T>(key: string, task: () => Promise<T>) => Promise<T> {
  const tails = new Map<string, Promise<unknown>>();
  return (key, task) => {
    const previous = tails.get(key) ?? Promise.resolve();
    const current = previous.then(task, task);
    const tail = current.then(
      () => undefined,
      () => undefined,
    );
    tails.set(key, tail);
    void tail.then(() => {
      if (tails.get(key) === tail) tails.delete(key);
    });
    return current;
  };
}


export function createInProcessZoneLock(): ZoneLock {
  const chain = createKeyedChain();
  let closed = false;
  return {
    run(key, work) {
      if (closed) return Promise.reject(new LockClosedError('zone lock closed (shutting down)'));
      // A signal per run (never aborted): listeners that provider calls add to it go away with the run.
      return chain(key, () => work({ signal: new AbortController().signal }));
    },
    async close() {
      closed = true;
    },
  };
}

type Sleep = (ms: number) => Promise<void>;
const realSleep: Sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

export interface RedisZoneLockOptions {
  /** A connected ioredis client; the lock does not close it. */
  readonly redis: Redis;
  /** e.g. `dnsgw:lock:`; instances sharing zones need the same prefix. */
  readonly keyPrefix: string;
  /** Lock lifetime between renewals (renewed every third of it). @default 15000 */
  readonly ttlMs?: number;
  /** Longest wait for a held lock before `LockTimeoutError`. @default 60000 */
  readonly waitMs?: number;
  /** Told when a held lock is lost or cannot be released (never given the token). @default ignored */
  readonly onProblem?: (message: string, error?: unknown) => void;
  /** @default setTimeout-based */
  readonly sleep?: Sleep;
}

/** KEYS[1] lock; ARGV token, ttl. Returns {1, 0} when taken, {0, ms left} when held. */
const ACQUIRE = `
if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then
  return {1, 0}
end
return {0, redis.call('PTTL', KEYS[1])}
`;
/** Only the owner may extend or delete: a holder whose lock expired must not free the next holder's lock. */
const RENEW = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end return 0`;
const RELEASE = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0`;

interface LockCommands {
  dnsgwLockAcquire(lock: string, token: string, ttlMs: number): Promise<[number, number]>;
  dnsgwLockRenew(lock: string, token: string, ttlMs: number): Promise<number>;
  dnsgwLockRelease(lock: string, token: string): Promise<number>;
}

export function createRedisZoneLock({ redis, keyPrefix, ttlMs = 15_000, waitMs = 60_000, onProblem = () => undefined, sleep = realSleep }: RedisZoneLockOptions): ZoneLock {
  if (!('dnsgwLockAcquire' in redis)) {
    redis.defineCommand('dnsgwLockAcquire', { numberOfKeys: 1, lua: ACQUIRE });
    redis.defineCommand('dnsgwLockRenew', { numberOfKeys: 1, lua: RENEW });
    redis.defineCommand('dnsgwLockRelease', { numberOfKeys: 1, lua: RELEASE });
  }
  const commands = redis as unknown as LockCommands;
  const chain = createKeyedChain();
  /** Release functions of the locks held now, for close(). */
  const held = new Set<(reason?: Error) => Promise<void>>();
  let closed = false;

  const acquire = async (lockKey: string, token: string): Promise<void> => {
    const deadline = Date.now() + waitMs;
    let backoff = 10;
    for (;;) {
      const [taken, value] = await commands.dnsgwLockAcquire(lockKey, token, ttlMs);
      if (taken === 1) return;
      const left = deadline - Date.now();
      if (left <= 0) throw new LockTimeoutError(`zone is locked by another request; gave up after ${waitMs} ms`);
      // Poll with growing, jittered pauses, never past the holder's expiry or our deadline.
      const pause = Math.min(backoff, value > 0 ? value : backoff, left) * (0.5 + Math.random() / 2);
      await sleep(Math.max(1, Math.round(pause)));
      backoff = Math.min(backoff * 2, 250);
    }
  };

  const runLocked = async <T>(key: string, work: (lease: LockLease) => Promise<T>): Promise<T> => {
    if (closed) throw new LockClosedError('zone lock closed (shutting down)');
    const lockKey = `${keyPrefix}${key}`;
    const token = randomUUID();
    await acquire(lockKey, token);
    const lost = new AbortController();
    const renewal = setInterval(() => {
      commands.dnsgwLockRenew(lockKey, token, ttlMs).then(
        (ok) => {
          if (ok !== 1 && !lost.signal.aborted) {
            onProblem('zone lock expired while held');
            lost.abort(new LockLostError('zone lock expired while held'));
          }
        },
        // A failed renewal is retried at the next tick; the lock is only lost once its TTL runs out.
        (error: unknown) => onProblem('zone lock renewal failed', error),
      );
    }, Math.max(1, Math.floor(ttlMs / 3)));
    renewal.unref();
    let released: Promise<void> | undefined;
    const release = (reason?: Error): Promise<void> =>
      (released ??= (async () => {
        clearInterval(renewal);
        // Released under running work (shutdown past its grace period): tell the work it no longer holds the lock.
        if (reason && !lost.signal.aborted) lost.abort(reason);
        held.delete(release);
        // A release that fails leaves the lock to expire by itself after at most ttlMs.
        await commands.dnsgwLockRelease(lockKey, token).catch((error: unknown) => onProblem('zone lock release failed', error));
      })());
    held.add(release);
    try {
      return await work({ signal: lost.signal });
    } finally {
      await release();
    }
  };

  return {
    run: (key, work) => chain(key, () => runLocked(key, work)),
    async close() {
      closed = true;
      await Promise.all([...held].map((release) => release(new LockLostError('zone lock released: shutting down'))));
    },
  };
}

export interface PostgresZoneLockOptions {
  /**
   * A pool used only for locks: each held lock keeps one connection for its whole run, so sharing the store's pool
   * could starve the work inside the lock of connections.
   */
  readonly pool: Pool;
  /** Longest wait for a held lock (PostgreSQL `lock_timeout`). @default 60000 */
  readonly waitMs?: number;
  readonly onProblem?: (message: string, error?: unknown) => void;
}

/** `lock_timeout` expired (SQLSTATE 55P03 lock_not_available). */
const LOCK_NOT_AVAILABLE = '55P03';

export function createPostgresZoneLock({ pool, waitMs = 60_000, onProblem = () => undefined }: PostgresZoneLockOptions): ZoneLock {
  const chain = createKeyedChain();
  let closed = false;

  const runLocked = async <T>(key: string, work: (lease: LockLease) => Promise<T>): Promise<T> => {
    if (closed) throw new LockClosedError('zone lock closed (shutting down)');
    const client = await pool.connect();
    const lost = new AbortController();
    const onError = (error: Error) => {
      onProblem('zone lock connection lost', error);
      lost.abort(new LockLostError('zone lock connection lost'));
    };
    client.on('error', onError);
    let broken = false;
    try {
      // Session-level: held until unlocked or the connection ends. The 64-bit hash of the key names the lock; a
      // collision only serialises two zones that need not be, it never lets two holders in.
      await client.query(`SET lock_timeout = ${Math.trunc(waitMs)}`);
      try {
        await client.query('SELECT pg_advisory_lock(hashtextextended($1, 0))', [key]);
      } catch (error) {
        if ((error as { code?: unknown }).code === LOCK_NOT_AVAILABLE) {
          throw new LockTimeoutError(`zone is locked by another request; gave up after ${waitMs} ms`, { cause: error });
        }
        throw error;
      }
      try {
        return await work({ signal: lost.signal });
      } finally {
        await client.query('SELECT pg_advisory_unlock(hashtextextended($1, 0))', [key]).catch((error: unknown) => {
          broken = true; // dropping the connection frees its locks
          onProblem('zone lock release failed', error);
        });
      }
    } catch (error) {
      if (lost.signal.aborted) broken = true;
      throw error;
    } finally {
      client.off('error', onError);
      client.release(broken);
    }
  };

  return {
    run: (key, work) => chain(key, () => runLocked(key, work)),
    async close() {
      closed = true;
      // Graceful shutdown calls this after in-flight requests finished, so normally nothing is held; pool.end waits
      // for any straggler to unlock and return its connection.
      await pool.end();
    },
  };
}
