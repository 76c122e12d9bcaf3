/**
 * Throttles failed authentication per client address: after `limitPerMinute` failures within a minute the client is
 * refused (HTTP 429, AUTH_THROTTLED) until the oldest of them is a minute old.
 *
 * It is the request limiter with the failures as the counted calls: `recordFailure` consumes, `retryAfter` peeks.
 * Callers check `retryAfter` before verifying credentials, so a blocked client's attempts are neither checked nor
 * counted.
 *
 * Memory: idle addresses do not accumulate. The default store is bounded (`maxTrackedClients`, least recently failed
 * forgotten first) and drops an address once its newest failure is older than a minute (store.ts).
 */
import { isIP } from 'node:net';
import { boundedMemo } from '../bounded-memo.js';
import { isPromise, type MaybePromise } from '../maybe-promise.js';
import { createRateLimiter, type RateLimitDecision } from './limiter.js';
import { createMemoryStore, type RateLimitStore } from './store.js';

const WINDOW_SECONDS = 60;

export interface AuthFailureThrottleOptions {
  /** Failed authentications allowed per client within a minute; the next attempt is refused. */
  readonly limitPerMinute: number;
  /** @default () => Date.now() */
  readonly now?: () => number;
  /**
   * Most client addresses remembered at once (only used for the default store).
   * @default 100_000
   */
  readonly maxTrackedClients?: number;
  /** @default createMemoryStore({ maxIdentities: maxTrackedClients }) */
  readonly store?: RateLimitStore;
}

/** Both answer synchronously with the in-process store (every request asks `retryAfter`), else with a promise. */
export interface AuthFailureThrottle {
  /** 0 when the client may try to authenticate; otherwise the seconds (≥1) it must wait. */
  retryAfter(ip: string): MaybePromise<number>;
  recordFailure(ip: string): MaybePromise<void>;
}

const retryAfterOf = (decision: RateLimitDecision): number => decision.retryAfterSeconds;
const nothing = (): void => undefined;

export function createAuthFailureThrottle({
  limitPerMinute,
  now,
  maxTrackedClients = 100_000,
  store = createMemoryStore({ maxIdentities: maxTrackedClients }),
}: AuthFailureThrottleOptions): AuthFailureThrottle {
  const limiter = createRateLimiter({ max: limitPerMinute, windowSeconds: WINDOW_SECONDS, store, ...(now ? { now } : {}) });
  return {
    retryAfter(ip) {
      const decision = limiter.peek(clientKey(ip));
      return isPromise(decision) ? decision.then(retryAfterOf) : retryAfterOf(decision);
    },
    recordFailure(ip) {
      const decision = limiter.consume(clientKey(ip));
      return isPromise(decision) ? decision.then(nothing) : undefined;
    },
  };
}

/**
 * The budget key of a client address. IPv4 addresses (also IPv4-mapped IPv6, as node reports them on dual-stack
 * sockets) count alone; IPv6 addresses count per /64, because one subscriber usually holds a whole /64 (RFC 6177)
 * and could otherwise get a fresh budget per address. Anything else (a Unix socket, a missing address) is used as
 * given, so such callers share one budget rather than escape the throttle.
 */
export function clientKey(ip: string): string {
  return rememberedClientKey(ip);
}

/**
 * Every request checks its address against the throttle before authenticating, and the IP-literal checks are regular
 * expressions (IPv6's is long): recent addresses' keys are remembered.
 */
const rememberedClientKey = boundedMemo(10_000, (ip: string) => clientKeyUncached(ip));

function clientKeyUncached(ip: string): string {
  const address = ip.trim().toLowerCase().replace(/%.*$/, ''); // a zone id names our interface, not the client
  if (isIP(address) === 4) return address;
  const groups = isIP(address) === 6 ? ipv6Groups(address) : undefined;
  if (!groups) return address === '' ? 'unknown' : address;
  const isMappedV4 = groups.slice(0, 5).every((g) => g === 0) && groups[5] === 0xffff;
  if (isMappedV4) return [groups[6]! >> 8, groups[6]! & 0xff, groups[7]! >> 8, groups[7]! & 0xff].join('.');
  return `${groups.slice(0, 4).map((g) => g.toString(16)).join(':')}::/64`;
}

/** The eight 16-bit groups of a valid IPv6 address (`isIP` has already checked the syntax). */
function ipv6Groups(address: string): number[] | undefined {
  const dotted = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(address);
  const text = dotted
    ? `${address.slice(0, dotted.index)}${((Number(dotted[1]) << 8) | Number(dotted[2])).toString(16)}:${((Number(dotted[3]) << 8) | Number(dotted[4])).toString(16)}`
    : address;
  const [head = '', tail] = text.split('::');
  const parse = (part: string): number[] => (part === '' ? [] : part.split(':').map((g) => parseInt(g, 16)));
  const front = parse(head);
  const back = tail === undefined ? [] : parse(tail);
  const groups = [...front, ...new Array<number>(8 - front.length - back.length).fill(0), ...back];
  return groups.length === 8 ? groups : undefined;
}
