/**
 * The pure parts of watches and webhooks: the state machine and backoff of a watch (src/services/watches.ts
 * `transition`), the retry schedule of a webhook (src/services/webhooks.ts `nextAttemptAt`), and the configuration
 * that drives them (fractions accepted, the webhook secret checked without ever being repeated).
 */
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../src/config.js';
import { backoffMs, checkOutcome, transition, type CheckOutcome, type WatchState } from '../src/services/watches.js';
import { nextAttemptAt } from '../src/services/webhooks.js';

const S = 1000;
const H = 3_600_000;
const DEFAULTS = { firstCheckMs: 15 * S, maxIntervalMs: 1800 * S, watchMs: 72 * H, recheckMs: 24 * H };

/** Runs a PENDING watch started at 0 through checks that all end `outcome`, until it stops being checked or `max` checks. */
function run(outcome: CheckOutcome, timings = DEFAULTS, max = 1000) {
  let watch: { state: WatchState; checks: number; expiresAt: number | null } = { state: 'PENDING', checks: 0, expiresAt: timings.watchMs };
  let at = timings.firstCheckMs;
  const checkTimes: number[] = [];
  for (let i = 0; i < max; i++) {
    checkTimes.push(at);
    const next = transition(watch, outcome, at, timings);
    watch = { state: next.state, checks: next.checks, expiresAt: next.expiresAt };
    if (next.nextCheckAt === null || next.state !== 'PENDING') return { watch, checkTimes, next };
    at = next.nextCheckAt;
  }
  return { watch, checkTimes, next: null };
}

describe('a watch', () => {
  it('is checked 15 s after dns.set, then 30 s, 1 min, 2 min … apart, at most 30 min apart', () => {
    const { checkTimes } = run('not-ready');
    const gaps = checkTimes.slice(1, 10).map((t, i) => (t - checkTimes[i]!) / S);
    expect(checkTimes[0]).toBe(15 * S);
    expect(gaps).toEqual([30, 60, 120, 240, 480, 960, 1800, 1800, 1800]);
    expect([1, 2, 3, 10, 100].map((k) => backoffMs(k, DEFAULTS) / S)).toEqual([30, 60, 120, 1800, 1800]);
  });

  it('never ready: checked until its deadline (the last check falls on it), then EXPIRED and never checked again', () => {
    const { watch, checkTimes, next } = run('not-ready');
    expect(watch.state).toBe('EXPIRED');
    expect(next).toMatchObject({ state: 'EXPIRED', nextCheckAt: null, expiresAt: null, stateChanged: true });
    expect(checkTimes.at(-1)).toBe(72 * H);
    // 72 h at ≤ 30 min apart after the first few minutes.
    expect(checkTimes.length).toBeGreaterThan(140);
    expect(checkTimes.length).toBeLessThan(160);
    expect(transition({ state: 'EXPIRED', checks: 3, expiresAt: null }, 'ready', 80 * H, DEFAULTS)).toMatchObject({ state: 'EXPIRED', nextCheckAt: null, stateChanged: false });
  });

  it('ready: READY, checked again every VERIFY_RECHECK_HOURS (never with 0)', () => {
    expect(transition({ state: 'PENDING', checks: 2, expiresAt: 72 * H }, 'ready', 100 * S, DEFAULTS)).toEqual({
      state: 'READY',
      checks: 0,
      expiresAt: null,
      nextCheckAt: 100 * S + 24 * H,
      stateChanged: true,
    });
    expect(transition({ state: 'READY', checks: 0, expiresAt: null }, 'ready', 25 * H, DEFAULTS)).toMatchObject({ state: 'READY', nextCheckAt: 49 * H, stateChanged: false });
    expect(transition({ state: 'PENDING', checks: 0, expiresAt: 72 * H }, 'ready', 15 * S, { ...DEFAULTS, recheckMs: 0 })).toMatchObject({ state: 'READY', nextCheckAt: null });
  });

  it('READY and a record broke: BROKEN, watched again from 15 s for VERIFY_WATCH_HOURS; fixed: READY again', () => {
    const broken = transition({ state: 'READY', checks: 0, expiresAt: null }, 'not-ready', 30 * H, DEFAULTS);
    expect(broken).toEqual({ state: 'BROKEN', checks: 0, expiresAt: 102 * H, nextCheckAt: 30 * H + 15 * S, stateChanged: true });
    const still = transition({ state: 'BROKEN', checks: 0, expiresAt: 102 * H }, 'not-ready', 30 * H + 15 * S, DEFAULTS);
    expect(still).toMatchObject({ state: 'BROKEN', checks: 1, nextCheckAt: 30 * H + 45 * S, stateChanged: false });
    expect(transition({ state: 'BROKEN', checks: 1, expiresAt: 102 * H }, 'ready', 31 * H, DEFAULTS)).toMatchObject({ state: 'READY', stateChanged: true });
    expect(transition({ state: 'BROKEN', checks: 9, expiresAt: 102 * H }, 'not-ready', 102 * H, DEFAULTS)).toMatchObject({ state: 'EXPIRED', stateChanged: true });
  });

  it('a check that could not be made is no verdict on a READY watch: it stays READY and tries again with backoff', () => {
    expect(transition({ state: 'READY', checks: 0, expiresAt: null }, 'no-verdict', 0, DEFAULTS)).toEqual({ state: 'READY', checks: 1, expiresAt: null, nextCheckAt: 30 * S, stateChanged: false });
    expect(transition({ state: 'READY', checks: 1, expiresAt: null }, 'no-verdict', 0, DEFAULTS)).toMatchObject({ nextCheckAt: 60 * S });
    // For a PENDING watch it is simply not ready yet.
    expect(transition({ state: 'PENDING', checks: 0, expiresAt: 72 * H }, 'no-verdict', 15 * S, DEFAULTS)).toMatchObject({ state: 'PENDING', checks: 1 });
  });

  it('a name server that did not answer, with every record LIVE on the others, is no verdict; a record not LIVE or a failed check is not ready', () => {
    const server = (ok: boolean) => ({ host: 'ns', address: '127.0.0.2', ok, error: ok ? null : 'timeout: no answer' });
    const verification = (over: { serversOk?: boolean; status?: string; spfOk?: boolean; dmarcOk?: boolean; dkimOk?: boolean; ready?: boolean } = {}) => ({
      ready: over.ready ?? false,
      records: [{ status: 'LIVE' }, { status: over.status ?? 'LIVE' }],
      checks: {
        nameservers: { ok: over.serversOk ?? false, servers: [server(true), server(over.serversOk ?? false)] },
        spf: { ok: over.spfOk ?? true },
        dmarc: { ok: over.dmarcOk ?? true },
        dkim: [{ ok: over.dkimOk ?? true }],
      },
    }) as unknown as Parameters<typeof checkOutcome>[0];
    expect(checkOutcome(verification({ ready: true, serversOk: true }))).toBe('ready');
    expect(checkOutcome(verification())).toBe('no-verdict');
    expect(checkOutcome(verification({ status: 'PROPAGATING' }))).toBe('not-ready');
    expect(checkOutcome(verification({ status: 'MISSING', serversOk: true }))).toBe('not-ready');
    expect(checkOutcome(verification({ spfOk: false }))).toBe('not-ready');
    expect(checkOutcome(verification({ dmarcOk: false }))).toBe('not-ready');
    expect(checkOutcome(verification({ dkimOk: false }))).toBe('not-ready');
    expect(checkOutcome(verification({ serversOk: true, spfOk: false }))).toBe('not-ready');
  });
});

describe('webhook retries', () => {
  it('30 s after a failure, then twice as long each time (at most an hour), for 24 h; the last attempt on the 24th hour, then given up', () => {
    const first = 30 * S;
    const window = 24 * H;
    const attempts = [0];
    for (let n = 1; ; n++) {
      const next = nextAttemptAt(0, n, attempts.at(-1)!, first, window);
      if (next === null) break;
      attempts.push(next);
    }
    const gaps = attempts.slice(1).map((t, i) => (t - attempts[i]!) / S);
    expect(gaps.slice(0, 9)).toEqual([30, 60, 120, 240, 480, 960, 1920, 3600, 3600]);
    expect(attempts.at(-1)).toBe(window);
    expect(attempts.length).toBeGreaterThan(24);
    // A failure at or past the window gives up.
    expect(nextAttemptAt(0, 40, window, first, window)).toBeNull();
  });
});

describe('configuration', () => {
  it('timings accept fractions; VERIFY_RECHECK_HOURS accepts 0', () => {
    const config = loadConfig({ VERIFY_FIRST_CHECK_SECONDS: '0.05', VERIFY_WATCH_HOURS: '0.001', VERIFY_RECHECK_HOURS: '0', WEBHOOK_FIRST_RETRY_SECONDS: '0.25', WATCH_POLL_SECONDS: '0.02' });
    expect(config).toMatchObject({ VERIFY_FIRST_CHECK_SECONDS: 0.05, VERIFY_WATCH_HOURS: 0.001, VERIFY_RECHECK_HOURS: 0, WEBHOOK_FIRST_RETRY_SECONDS: 0.25, WATCH_POLL_SECONDS: 0.02 });
    expect(loadConfig({})).toMatchObject({
      VERIFY_FIRST_CHECK_SECONDS: 15,
      VERIFY_MAX_INTERVAL_SECONDS: 1800,
      VERIFY_WATCH_HOURS: 72,
      VERIFY_RECHECK_HOURS: 24,
      WEBHOOK_FIRST_RETRY_SECONDS: 30,
      WEBHOOK_RETRY_HOURS: 24,
      WATCH_SCHEDULER: true,
    });
  });

  it('WEBHOOK_URL must be http(s) and comes with a Standard Webhooks secret; a bad secret is refused without being repeated', () => {
    const secret = `whsec_${Buffer.alloc(32, 9).toString('base64')}`;
    expect(loadConfig({ WEBHOOK_URL: 'https://hooks.example.net/dns', WEBHOOK_SECRET: secret })).toMatchObject({ WEBHOOK_URL: 'https://hooks.example.net/dns' });
    const refused = (env: Record<string, string>) => {
      try {
        loadConfig(env);
      } catch (error) {
        expect(error).toBeInstanceOf(ConfigError);
        return (error as Error).message;
      }
      throw new Error('accepted');
    };
    expect(refused({ WEBHOOK_URL: 'ftp://hooks.example.net', WEBHOOK_SECRET: secret })).toMatch(/WEBHOOK_URL: expected an http\(s\) URL/);
    expect(refused({ WEBHOOK_URL: 'https://hooks.example.net' })).toMatch(/WEBHOOK_SECRET: WEBHOOK_URL and WEBHOOK_SECRET are set together/);
    for (const bad of ['plain-password-not-whsec', 'whsec_dG9vIHNob3J0', `whsec_${Buffer.alloc(65, 1).toString('base64')}`, 'whsec_not base64!!']) {
      const message = refused({ WEBHOOK_URL: 'https://hooks.example.net', WEBHOOK_SECRET: bad });
      expect(message).toMatch(/WEBHOOK_SECRET: expected whsec_/);
      expect(message).not.toContain(bad);
    }
  });
});
