/**
 * The rate-limit store in Redis, shared by every gateway instance pointing at the same Redis and key prefix, so a
 * caller has one budget however many instances serve it.
 *
 * Each identity is one sorted set: score = the call's timestamp (ms), member = a unique id per counted call. The
 * check-and-count is one Lua script (Redis runs a script atomically: no other command interleaves, redis.io
 * "Scripting with Lua"), so two instances cannot both read "99 counted" and both admit the 100th call; that is the
 * race any read-then-write would have across processes. The set expires once its newest call has
 * left the window, so idle callers cost no memory.
 *
 * Timestamps come from the calling instance's clock: instances need synchronised clocks (NTP); a skew of a second
 * moves a 60 s window's edge by that second, nothing more.
 */
import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { RateLimitStore, WindowRequest, WindowState } from './store.js';

/**
 * KEYS[1] = the identity's set; ARGV = at, windowMs, max, cost (0: peek), unique call id.
 * Returns {allowed 0/1, counted, oldest score or nil, blocking score or nil} (store.ts `WindowState`).
 */
const CONSUME_WINDOW = `
local key = KEYS[1]
local at = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
local max = tonumber(ARGV[3])
local cost = tonumber(ARGV[4])
redis.call('ZREMRANGEBYSCORE', key, '-inf', at - window)
local counted = redis.call('ZCARD', key)
local needed = cost
if needed < 1 then needed = 1 end
local allowed = 0
local blocking = false
if counted + needed <= max then
  allowed = 1
  if cost > 0 then
    for i = 1, cost do redis.call('ZADD', key, at, ARGV[5] .. ':' .. i) end
    counted = counted + cost
    local newest = redis.call('ZRANGE', key, -1, -1, 'WITHSCORES')
    redis.call('PEXPIRE', key, math.max(1, tonumber(newest[2]) + window - at))
  end
else
  local index = counted + needed - max - 1
  blocking = redis.call('ZRANGE', key, index, index, 'WITHSCORES')[2] or false
end
local oldest = redis.call('ZRANGE', key, 0, 0, 'WITHSCORES')[2] or false
return {allowed, counted, oldest, blocking}
`;

const COMMAND = 'dnsgwConsumeWindow';

type ConsumeCommand = (key: string, at: number, windowMs: number, max: number, cost: number, callId: string) => Promise<[number, number, string | null, string | null]>;

export interface RedisRateLimitStoreOptions {
  /** A connected ioredis client; the store does not close it. */
  readonly redis: Redis;
  /** Prefix of this store's keys, e.g. `dnsgw:rl:requests:`; distinct budgets need distinct prefixes. */
  readonly keyPrefix: string;
}

export interface RedisRateLimitStore extends RateLimitStore {
  consume(identity: string, request: WindowRequest): Promise<WindowState>;
  /** The Redis key holding an identity's window (for tests and operators). */
  keyOf(identity: string): string;
}

export function createRedisRateLimitStore({ redis, keyPrefix }: RedisRateLimitStoreOptions): RedisRateLimitStore {
  // defineCommand sends EVALSHA and falls back to EVAL when the server lacks the script (after a restart).
  if (!(COMMAND in redis)) redis.defineCommand(COMMAND, { numberOfKeys: 1, lua: CONSUME_WINDOW });
  const run = (redis as unknown as Record<string, ConsumeCommand>)[COMMAND]!.bind(redis);
  // Identities are API key ids, user ids or IP addresses: JSON keeps any character from splitting the key.
  const keyOf = (identity: string): string => `${keyPrefix}${JSON.stringify(identity)}`;
  const score = (value: string | null): number | undefined => (value === null ? undefined : Number(value));

  return {
    keyOf,
    async consume(identity, { at, windowMs, max, cost }) {
      const [allowed, counted, oldest, blocking] = await run(keyOf(identity), at, windowMs, max, cost, randomUUID());
      return { allowed: allowed === 1, counted, oldest: score(oldest), blocking: score(blocking) };
    },
  };
}
