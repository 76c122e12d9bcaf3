/**
 * The rate-limit store in Redis, shared by every gateway instance pointing at the same Redis and key prefix, so a
 * caller has one budget however many instances serve it.
 *
 * Each identity is one sorted set: score = the call's timestamp (ms), member = a unique id per counted call. The
 * check-and-count is one Lua script (Redis runs a script atomically: no other command interleaves, redis.io
 * "Scripting with Lua"), so two instances cannot both read "99 counted" and both admit the 100th call; that is the
 * race the library's get → compare → set would have across processes. The set expires once its newest call has
 * left the window, so idle callers cost no memory.
 *
 * Timestamps come from the calling instance's clock: instances need synchronised clocks (NTP); a skew of a second
 * moves a 60 s window's edge by that second, nothing more.
 */
import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { AtomicWindowStore, WindowRequest } from './limiter.js';
import type { RateLimitIdentity } from './store.js';

/** KEYS[1] = the identity's set; ARGV = at, windowMs, max, cost, unique call id. Returns {allowed 0/1, {member, score, …}}. */
const CONSUME_WINDOW = `
local key = KEYS[1]
local at = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
local max = tonumber(ARGV[3])
local cost = tonumber(ARGV[4])
redis.call('ZREMRANGEBYSCORE', key, '-inf', at - window)
local allowed = 0
if redis.call('ZCARD', key) + cost <= max then
  for i = 1, cost do redis.call('ZADD', key, at, ARGV[5] .. ':' .. i) end
  allowed = 1
end
local newest = redis.call('ZRANGE', key, -1, -1, 'WITHSCORES')
if newest[2] then
  redis.call('PEXPIRE', key, math.max(1, tonumber(newest[2]) + window - at))
end
return {allowed, redis.call('ZRANGE', key, 0, -1, 'WITHSCORES')}
`;

const COMMAND = 'dnsgwConsumeWindow';

type ConsumeCommand = (key: string, at: number, windowMs: number, max: number, cost: number, callId: string) => Promise<[number, unknown[]]>;

export interface RedisRateLimitStoreOptions {
  /** A connected ioredis client; the store does not close it. */
  readonly redis: Redis;
  /** Prefix of this store's keys, e.g. `dnsgw:rl:requests:`; distinct budgets need distinct prefixes. */
  readonly keyPrefix: string;
}

export function createRedisRateLimitStore({ redis, keyPrefix }: RedisRateLimitStoreOptions): AtomicWindowStore {
  // defineCommand sends EVALSHA and falls back to EVAL when the server lacks the script (after a restart).
  if (!(COMMAND in redis)) redis.defineCommand(COMMAND, { numberOfKeys: 1, lua: CONSUME_WINDOW });
  const consume = (redis as unknown as Record<string, ConsumeCommand>)[COMMAND]!.bind(redis);
  // Identities are API key ids, user ids or IP addresses: JSON keeps any character from splitting the key.
  const keyOf = (identity: RateLimitIdentity): string => `${keyPrefix}${JSON.stringify([identity.contextIdentity, identity.fieldIdentity])}`;
  // WITHSCORES replies are flat [member, score, …] under RESP2 and [[member, score], …] under RESP3: read both.
  const scores = (reply: readonly unknown[]): number[] =>
    reply.flat().filter((_, i) => i % 2 === 1).map((score) => Number(score));

  return {
    async consumeWindow(identity: RateLimitIdentity, { at, windowMs, max, cost }: WindowRequest) {
      const [allowed, flat] = await consume(keyOf(identity), at, windowMs, max, cost, randomUUID());
      return { allowed: allowed === 1, timestamps: scores(flat) };
    },
    async getForIdentity(identity) {
      return scores((await redis.call('ZRANGE', keyOf(identity), 0, -1, 'WITHSCORES')) as unknown[]);
    },
    async setForIdentity(identity, timestamps, windowMs) {
      const key = keyOf(identity);
      const batch = redis.multi().del(key);
      if (timestamps.length > 0) {
        const call = randomUUID();
        batch.call('ZADD', key, ...timestamps.flatMap((t, i) => [t, `${call}:${i}`]));
        // Relative: the timestamps may come from an injected clock, not Redis's.
        if (windowMs !== undefined) batch.pexpire(key, windowMs);
      }
      await batch.exec();
    },
  };
}
