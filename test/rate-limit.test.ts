import type { GraphQLResolveInfo } from 'graphql';
import { getGraphQLRateLimiter, InMemoryStore } from 'graphql-rate-limit';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { clientKey, createAuthFailureThrottle } from '../src/rate-limit/auth-failures.js';
import { createRateLimiter, type RateLimitDecision } from '../src/rate-limit/limiter.js';
import { createMemoryStore, type RateLimitStore } from '../src/rate-limit/store.js';
import fc from 'fast-check';

/** A hand-driven clock, deliberately far from Date.now() so that any use of the wall clock would show. */
function manualClock(start = 1_000_000) {
  let t = start;
  return { now: () => t, advance: (ms: number) => void (t += ms) };
}

const count = (decisions: readonly RateLimitDecision[]) => decisions.filter((d) => d.allowed).length;

describe('createRateLimiter', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('refuses the 101st call in a window and serves the caller again once the window has passed', async () => {
    const clock = manualClock();
    const limiter = createRateLimiter({ max: 100, windowSeconds: 60, now: clock.now });

    const first100: RateLimitDecision[] = [];
    for (let i = 0; i < 100; i++) first100.push(await limiter.consume('key:a'));
    expect(count(first100)).toBe(100);
    expect(first100.map((d) => d.remaining)).toEqual(Array.from({ length: 100 }, (_, i) => 99 - i));

    const refused = await limiter.consume('key:a');
    expect(refused).toEqual({ allowed: false, limit: 100, remaining: 0, resetSeconds: 60, retryAfterSeconds: 60 });

    clock.advance(59_999);
    expect((await limiter.consume('key:a')).allowed).toBe(false);
    clock.advance(1);
    const back = await limiter.consume('key:a');
    expect(back).toMatchObject({ allowed: true, remaining: 99, retryAfterSeconds: 0 });
  });

  it('keeps budgets apart per identity', async () => {
    const clock = manualClock();
    const limiter = createRateLimiter({ max: 3, windowSeconds: 60, now: clock.now });
    for (let i = 0; i < 4; i++) await limiter.consume('key:a');
    expect((await limiter.consume('key:a')).allowed).toBe(false);
    expect(await limiter.consume('user:b')).toMatchObject({ allowed: true, remaining: 2 });
  });

  it('counts 50 concurrent same-tick calls exactly: 10 allowed at max 10', async () => {
    const limiter = createRateLimiter({ max: 10, windowSeconds: 60 });
    const decisions = await Promise.all(Array.from({ length: 50 }, () => limiter.consume('key:a')));
    expect(count(decisions)).toBe(10);
    // Each allowed call saw the one before it: remaining runs 9…0 in call order.
    expect(decisions.filter((d) => d.allowed).map((d) => d.remaining)).toEqual([9, 8, 7, 6, 5, 4, 3, 2, 1, 0]);
  });

  it('decides exactly as graphql-rate-limit’s sliding log on random call sequences (the rule it replaced)', async () => {
    // The library is the reference: the same calls, in the same order, at the same instants, with the options the
    // gateway used it with (one pseudo field, cost as `arrayLengthField`, refused calls uncounted, peek = readOnly).
    vi.useFakeTimers({ now: new Date('2030-01-01T00:00:00Z') });
    const info = { fieldName: 'api' } as GraphQLResolveInfo;
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 6 }),
        fc.integer({ min: 1, max: 5 }),
        fc.array(fc.record({ wait: fc.integer({ min: 0, max: 700 }), who: fc.constantFrom('a', 'b'), cost: fc.integer({ min: 0, max: 6 }) }), { maxLength: 60 }),
        async (max, windowSeconds, calls) => {
          const ours = createRateLimiter({ max, windowSeconds });
          const library = getGraphQLRateLimiter({ store: new InMemoryStore(), identifyContext: (c: { id: string }) => c.id });
          for (const { wait, who, cost } of calls) {
            vi.advanceTimersByTime(wait);
            if (cost > max) continue;
            const ourDecision = cost === 0 ? await ours.peek(who) : await ours.consume(who, cost);
            const refusal = await library(
              { parent: undefined, args: { calls: new Array(Math.max(cost, 1)) }, context: { id: who }, info },
              { max, window: `${windowSeconds}s`, arrayLengthField: 'calls', uncountRejected: true, readOnly: cost === 0 },
            );
            expect(ourDecision.allowed).toBe(refusal === undefined);
          }
        },
      ),
      { numRuns: 200 },
    );
  });

  it('uses a store that answers asynchronously (as Redis does)', async () => {
    const inner = createMemoryStore();
    const slowStore: RateLimitStore = {
      async consume(identity, request) {
        const state = inner.consume(identity, request);
        await new Promise((resolve) => setTimeout(resolve, 1));
        return state;
      },
    };
    const limiter = createRateLimiter({ max: 10, windowSeconds: 60, store: slowStore });
    const decisions = await Promise.all(Array.from({ length: 30 }, (_, i) => limiter.consume(i % 2 === 0 ? 'key:a' : 'key:b')));
    expect(count(decisions)).toBe(20);
    expect(decisions.filter((d, i) => i % 2 === 0 && d.allowed).map((d) => d.remaining)).toEqual([9, 8, 7, 6, 5, 4, 3, 2, 1, 0]);
  });

  it('reports remaining, reset and retry-after from the counted timestamps of a sliding window', async () => {
    const clock = manualClock();
    const limiter = createRateLimiter({ max: 3, windowSeconds: 60, now: clock.now });

    expect(await limiter.consume('k')).toEqual({ allowed: true, limit: 3, remaining: 2, resetSeconds: 60, retryAfterSeconds: 0 });
    clock.advance(10_000);
    expect(await limiter.consume('k')).toMatchObject({ allowed: true, remaining: 1, resetSeconds: 50 });
    clock.advance(15_000); // t = 25 s
    expect(await limiter.consume('k')).toMatchObject({ allowed: true, remaining: 0, resetSeconds: 35 });

    clock.advance(5_000); // t = 30 s: the request at 0 s leaves at 60 s
    expect(await limiter.consume('k')).toEqual({ allowed: false, limit: 3, remaining: 0, resetSeconds: 30, retryAfterSeconds: 30 });
    clock.advance(29_500); // t = 59.5 s: half a second left rounds up to 1
    expect(await limiter.consume('k')).toMatchObject({ allowed: false, retryAfterSeconds: 1 });
    clock.advance(500); // t = 60 s: one slot is back; counted are 10 s, 25 s and now
    expect(await limiter.consume('k')).toEqual({ allowed: true, limit: 3, remaining: 0, resetSeconds: 10, retryAfterSeconds: 0 });
  });

  it('counts a multi-field cost all or nothing, with retry-after for the whole cost', async () => {
    const clock = manualClock();
    const limiter = createRateLimiter({ max: 5, windowSeconds: 60, now: clock.now });
    await limiter.consume('k', 2); // t = 0
    clock.advance(20_000);
    await limiter.consume('k', 2); // t = 20 s
    // 4 counted, 3 asked: the two at 0 s must leave first (60 s), and nothing is counted now.
    expect(await limiter.consume('k', 3)).toMatchObject({ allowed: false, remaining: 1, retryAfterSeconds: 40 });
    expect(await limiter.consume('k', 1)).toMatchObject({ allowed: true, remaining: 0 });
    await expect(limiter.consume('k', 6)).rejects.toThrow(RangeError);
    await expect(limiter.consume('k', 0)).rejects.toThrow(RangeError);
    await expect(limiter.consume('')).rejects.toThrow(TypeError);
  });

  it('peek reports the next decision without counting', async () => {
    const clock = manualClock();
    const limiter = createRateLimiter({ max: 2, windowSeconds: 60, now: clock.now });
    expect(await limiter.peek('k')).toEqual({ allowed: true, limit: 2, remaining: 2, resetSeconds: 0, retryAfterSeconds: 0 });
    await limiter.consume('k');
    expect(await limiter.peek('k')).toMatchObject({ allowed: true, remaining: 1 });
    await limiter.consume('k');
    clock.advance(45_000);
    expect(await limiter.peek('k')).toEqual({ allowed: false, limit: 2, remaining: 0, resetSeconds: 15, retryAfterSeconds: 15 });
    expect(await limiter.peek('k')).toMatchObject({ remaining: 0, retryAfterSeconds: 15 });
  });

  it('follows Date.now() by default, so vitest fake timers drive the library clock', async () => {
    vi.useFakeTimers({ now: new Date('2030-01-01T00:00:00Z') });
    const limiter = createRateLimiter({ max: 2, windowSeconds: 1 });
    await limiter.consume('k');
    await limiter.consume('k');
    expect(await limiter.consume('k')).toMatchObject({ allowed: false, retryAfterSeconds: 1 });
    vi.advanceTimersByTime(1_000);
    expect(await limiter.consume('k')).toMatchObject({ allowed: true, remaining: 1 });
  });

  it('never reports a reset beyond the window on the real clock (the call is stamped at its own instant)', async () => {
    const limiter = createRateLimiter({ max: 5, windowSeconds: 2 });
    const decisions = await Promise.all(Array.from({ length: 300 }, (_, i) => limiter.consume(`key:${i % 60}`)));
    expect(Math.max(...decisions.map((d) => d.resetSeconds))).toBe(2);
  });

  it('surfaces a store failure to its caller without blocking later calls for that identity', async () => {
    const inner = createMemoryStore();
    let calls = 0;
    const flaky: RateLimitStore = {
      consume(identity, request) {
        if (++calls === 1) throw new Error('store unavailable');
        return inner.consume(identity, request);
      },
    };
    const limiter = createRateLimiter({ max: 1, windowSeconds: 60, store: flaky });
    const failed = limiter.consume('k');
    const next = limiter.consume('k');
    await expect(failed).rejects.toThrow('store unavailable');
    expect((await next).allowed).toBe(true);
  });
});

describe('createMemoryStore', () => {
  const count1 = (at: number, windowMs = 60_000, max = 100) => ({ at, windowMs, max, cost: 1 });
  const peek = (at: number, windowMs = 60_000, max = 100) => ({ at, windowMs, max, cost: 0 });

  it('forgets the least recently counted identities beyond maxIdentities', () => {
    const store = createMemoryStore({ maxIdentities: 3 });
    for (const name of ['a', 'b', 'c']) store.consume(name, count1(1));
    store.consume('a', count1(2)); // a is now the most recently counted
    store.consume('d', count1(3));
    store.consume('e', count1(4));
    expect(store.size).toBe(3);
    expect(store.consume('b', peek(5)).counted).toBe(0);
    expect(store.consume('c', peek(5)).counted).toBe(0);
    expect(store.consume('a', peek(5))).toMatchObject({ counted: 2, oldest: 1 });
    expect(store.consume('e', peek(5))).toMatchObject({ counted: 1, oldest: 4 });
  });

  it('drops identities whose newest call has left its window; a peek adds nothing', () => {
    const store = createMemoryStore();
    store.consume('old', count1(0, 1_000));
    store.consume('old', count1(500, 1_000));
    store.consume('live', count1(900, 1_000));
    store.consume('never-counted', peek(950, 1_000));
    expect(store.size).toBe(2);
    store.consume('new', count1(1_600, 1_000)); // old expired at 1 500; live lasts until 1 900
    expect(store.size).toBe(2);
    expect(store.consume('old', peek(1_600, 1_000)).counted).toBe(0);
    expect(store.consume('live', peek(1_600, 1_000))).toMatchObject({ counted: 1, oldest: 900 });
  });

  it('stays exact over a long sliding run with a large max (the log is compacted as it slides)', () => {
    const store = createMemoryStore();
    // One call per ms with a 250 ms window: after the first 250 calls exactly 250 are counted, the oldest 249 ms ago.
    for (let at = 0; at < 5_000; at++) {
      const state = store.consume('k', { at, windowMs: 250, max: 1_000_000, cost: 1 });
      expect(state).toEqual({ allowed: true, counted: Math.min(at + 1, 250), oldest: Math.max(0, at - 249), blocking: undefined });
    }
  });

  it('reports the call whose leaving makes room for a refused cost', () => {
    const store = createMemoryStore();
    for (const at of [10, 20, 30, 40]) store.consume('k', { at, windowMs: 1_000, max: 4, cost: 1 });
    expect(store.consume('k', { at: 50, windowMs: 1_000, max: 4, cost: 3 })).toEqual({ allowed: false, counted: 4, oldest: 10, blocking: 30 });
    expect(store.consume('k', peek(50, 1_000, 4))).toEqual({ allowed: false, counted: 4, oldest: 10, blocking: 10 });
  });

  it('keeps stamps in order when the clock steps back, counting such a call at the newest stamp', () => {
    const store = createMemoryStore();
    store.consume('k', count1(5_000, 1_000));
    expect(store.consume('k', count1(4_000, 1_000))).toMatchObject({ counted: 2, oldest: 5_000 });
    expect(store.consume('k', peek(5_999, 1_000)).counted).toBe(2);
    expect(store.consume('k', peek(6_000, 1_000)).counted).toBe(0);
  });
});

describe('createAuthFailureThrottle', () => {
  it('blocks an address after N failures in a minute, leaves others alone, and clears after the minute', async () => {
    const clock = manualClock();
    const throttle = createAuthFailureThrottle({ limitPerMinute: 5, now: clock.now });
    for (let i = 0; i < 4; i++) await throttle.recordFailure('192.0.2.7');
    expect(await throttle.retryAfter('192.0.2.7')).toBe(0);
    clock.advance(10_000);
    await throttle.recordFailure('192.0.2.7');
    expect(await throttle.retryAfter('192.0.2.7')).toBe(50); // the four failures at 0 s leave at 60 s
    expect(await throttle.retryAfter('192.0.2.8')).toBe(0);

    clock.advance(49_000);
    expect(await throttle.retryAfter('192.0.2.7')).toBe(1);
    clock.advance(1_000);
    expect(await throttle.retryAfter('192.0.2.7')).toBe(0);
  });

  it('counts IPv6 clients per /64 and IPv4-mapped addresses as IPv4', async () => {
    const clock = manualClock();
    const throttle = createAuthFailureThrottle({ limitPerMinute: 2, now: clock.now });
    await throttle.recordFailure('2001:db8:aa:1::1');
    await throttle.recordFailure('2001:DB8:AA:1:ffff:0:0:2');
    expect(await throttle.retryAfter('2001:db8:aa:1::99')).toBe(60);
    expect(await throttle.retryAfter('2001:db8:aa:2::1')).toBe(0);

    await throttle.recordFailure('::ffff:198.51.100.4');
    await throttle.recordFailure('198.51.100.4');
    expect(await throttle.retryAfter('198.51.100.4')).toBe(60);
  });

  it('does not keep idle addresses: a minute later only the latest one is held', async () => {
    const clock = manualClock();
    const store = createMemoryStore();
    const throttle = createAuthFailureThrottle({ limitPerMinute: 3, now: clock.now, store });
    for (let i = 0; i < 500; i++) await throttle.recordFailure(`10.0.${i >> 8}.${i & 0xff}`);
    expect(store.size).toBe(500);
    clock.advance(60_000);
    await throttle.recordFailure('10.9.9.9');
    expect(store.size).toBe(1);
  });

  it('caps the addresses it tracks at once, forgetting the least recently failed first', async () => {
    const throttle = createAuthFailureThrottle({ limitPerMinute: 3, maxTrackedClients: 10 });
    for (let i = 0; i < 3; i++) await throttle.recordFailure('192.0.2.1');
    expect(await throttle.retryAfter('192.0.2.1')).toBeGreaterThanOrEqual(1);
    for (let i = 0; i < 9; i++) await throttle.recordFailure(`10.1.0.${i}`);
    expect(await throttle.retryAfter('192.0.2.1')).toBeGreaterThanOrEqual(1); // 10 tracked: still remembered
    await throttle.recordFailure('10.1.0.99');
    expect(await throttle.retryAfter('192.0.2.1')).toBe(0); // the 11th address pushed it out
  });
});

describe('clientKey', () => {
  it.each([
    ['192.0.2.1', '192.0.2.1'],
    [' 192.0.2.1 ', '192.0.2.1'],
    ['::ffff:192.0.2.1', '192.0.2.1'],
    ['::FFFF:c000:0201', '192.0.2.1'],
    ['2001:db8::1', '2001:db8:0:0::/64'],
    ['2001:0db8:0000:0000:ffff:ffff:ffff:ffff', '2001:db8:0:0::/64'],
    ['fe80::1%eth0', 'fe80:0:0:0::/64'],
    ['::1', '0:0:0:0::/64'],
    ['64:ff9b::192.0.2.1', '64:ff9b:0:0::/64'],
    ['', 'unknown'],
    ['/run/app.sock', '/run/app.sock'],
  ])('%s → %s', (ip, key) => {
    expect(clientKey(ip)).toBe(key);
  });
});
