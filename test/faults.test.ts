/**
 * Upstream faults, end to end: REST dns.set through the gateway against each provider fake, with one fault injected
 * per case (HTTP 500, 429 + Retry-After, a hang, a reset connection, a malformed or truncated body, an error after the
 * write committed). For every case: a clear code (or success), an elapsed time bounded by the command deadline, the
 * whole zone either unchanged or fully changed (GoDaddy, which writes one rrset per call, may stop part-way and must
 * then say exactly what it applied), and then a retry of the same dns.set converges with no duplicate record.
 */
import { getEventListeners } from 'node:events';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Agent } from 'undici';
import { createCloudflareProvider } from '../providers/cloudflare.js';
import { commandBounds, createHttpAgent, withAttemptSignal } from '../providers/http.js';
import { ProviderError } from '../providers/types.js';
import { SEED_APEX } from './fakes/seed-zone.js';
import type { FakeFailure as CloudflareFailure } from './fakes/cloudflare-fake.js';
import type { GodaddyFault } from './fakes/godaddy-fake.js';
import type { FakeFailure as NamecheapFailure } from './fakes/namecheap-fake.js';
import { bearer, postJson, type HttpResult } from './helpers/gateway.js';
import { SECRETS, startWorld, type World } from './helpers/world.js';

/**
 * Short, so that a hang costs seconds, not the production 30 s; long enough that a loaded CI machine still fits a
 * timed-out attempt, a re-read and one more send in it.
 */
const DEADLINE_MS = 5000;
/**
 * The margin every timing bound here adds to the deadline the code enforces: gateway work around the provider calls
 * (auth, planning, the SQLite journal) and timers firing late, on the shared 2-core machine the suite runs on while
 * other suites load it.
 */
const SLACK_MS = 2000;

type ProviderName = 'cloudflare' | 'godaddy' | 'namecheap';

interface Harness {
  readonly body: Record<string, string>;
  /** The whole zone, normalised (ids and timestamps aside), sorted: equal lists = equal zones. */
  zone(): string[];
  /** Write calls the fake has received so far (batch POSTs, rrset PUT/DELETEs, setHosts). */
  writes(): number;
  restore(): void;
}

let world: World;
let key: string;

beforeAll(async () => {
  world = await startWorld({ PROVIDER_DEADLINE_MS: String(DEADLINE_MS) });
  key = await world.gateway.createKey({ permissions: ['User.Update'] });
});
afterAll(async () => {
  await world.close();
});

function harness(provider: ProviderName): Harness {
  if (provider === 'cloudflare') {
    const zone = [...world.cloudflare.state.zones.values()].find((z) => z.name === SEED_APEX)!;
    const seed = structuredClone(zone.records);
    return {
      body: { Domain: SEED_APEX, Provider: 'cloudflare', ApiKey: SECRETS.cloudflareToken, RecordType: 'campaign' },
      zone: () =>
        world.cloudflare
          .records(SEED_APEX)
          .map((r) => JSON.stringify([r.type, r.name, r.content, r.ttl, r.priority ?? null, r.proxied, r.comment, r.tags]))
          .sort(),
      restore: () => void (zone.records = structuredClone(seed)),
      writes: () => world.cloudflare.calls.filter((c) => c.path.endsWith('/batch')).length,
    };
  }
  if (provider === 'godaddy') {
    const seed = world.godaddy.snapshot();
    return {
      body: { Domain: SEED_APEX, Provider: 'godaddy', ApiKey: SECRETS.godaddyKey, ApiSecret: SECRETS.godaddySecret, RecordType: 'campaign' },
      zone: () => world.godaddy.snapshot().map((r) => JSON.stringify(r)).sort(),
      restore: () => void world.godaddy.state.zones.set(SEED_APEX, structuredClone(seed)),
      writes: () => world.godaddy.calls.filter((c) => c.method !== 'GET').length,
    };
  }
  const zone = world.namecheap.state.zones.get(SEED_APEX)!;
  const seed = structuredClone(zone.hosts);
  return {
    body: { Domain: SEED_APEX, Provider: 'namecheap', ApiKey: SECRETS.namecheapKey, ApiUser: SECRETS.namecheapUser, Username: SECRETS.namecheapUser, RecordType: 'campaign' },
    // HostIds are renumbered by every setHosts: not part of the zone's content.
    zone: () => zone.hosts.map(({ HostId: _id, ...host }) => JSON.stringify(host)).sort(),
    restore: () => void (zone.hosts = structuredClone(seed)),
    writes: () => world.namecheap.calls.filter((c) => c.command === 'namecheap.domains.dns.sethosts').length,
  };
}

async function dnsSet(h: Harness): Promise<{ res: HttpResult; ms: number }> {
  const started = Date.now();
  const res = await postJson(world.gateway, '/api/v1/dns.set', h.body, bearer(key));
  return { res, ms: Date.now() - started };
}

/** No record twice: a repeated create must never leave a duplicate. */
function expectNoDuplicates(zone: readonly string[]): void {
  expect(zone.filter((r, i) => zone.indexOf(r) !== i)).toEqual([]);
}

/**
 * What one fault case expects. `applied`: the command succeeds and the zone is fully changed. `error`: the code and a
 * reason pattern, and the zone unchanged (`partial` for GoDaddy: exactly the named rrsets were written).
 */
type Expectation =
  | { readonly outcome: 'applied' }
  | { readonly outcome: 'error'; readonly code: 9 | 10; readonly reason: RegExp; readonly zone: 'unchanged' | 'applied' | { partial: number } };

interface FaultCase<F> {
  readonly name: string;
  readonly inject: (fault: (f: F) => void) => void;
  /** Undo a lasting fault before the retry. */
  readonly heal?: () => void;
  readonly expect: Expectation;
  /** Least time the case must take (a honoured Retry-After). */
  readonly atLeastMs?: number;
  /** Write calls the faulted command makes: shows a lost write re-read rather than repeated, or repeated when safe. */
  readonly writes?: number;
}

function runCases<F>(provider: ProviderName, cases: readonly FaultCase<F>[], inject: (f: F) => void): void {
  describe(`${provider}: faults during dns.set`, () => {
    let h: Harness;
    let seed: string[];
    let applied: string[];

    beforeAll(async () => {
      h = harness(provider);
      seed = h.zone();
      // The fully applied zone, from a clean run on the same seed.
      const clean = await dnsSet(h);
      expect(clean.res.json).toEqual({ success: true });
      applied = h.zone();
      expect(applied).not.toEqual(seed);
      expectNoDuplicates(applied);
    });
    beforeEach(() => h.restore());

    it.each(cases.map((c) => [c.name, c] as const))('%s', async (_name, c) => {
      expect(h.zone()).toEqual(seed);
      c.inject(inject);
      const writesBefore = h.writes();
      const { res, ms } = await dnsSet(h);
      if (c.writes !== undefined) expect(h.writes() - writesBefore).toBe(c.writes);
      expect(ms).toBeLessThan(DEADLINE_MS + SLACK_MS);
      if (c.atLeastMs !== undefined) expect(ms).toBeGreaterThanOrEqual(c.atLeastMs);
      const after = h.zone();
      if (c.expect.outcome === 'applied') {
        expect(res.json).toEqual({ success: true });
        expect(after).toEqual(applied);
      } else {
        expect(res.json?.Errors?.[0]?.Code).toBe(c.expect.code);
        expect(res.json.Errors[0].Message).toMatch(c.expect.reason);
        const zone = c.expect.zone;
        if (zone === 'unchanged') expect(after).toEqual(seed);
        else if (zone === 'applied') expect(after).toEqual(applied);
        else {
          // Exactly `partial` of the new records are in, every seed record is untouched, nothing foreign.
          expect(after.filter((r) => !seed.includes(r))).toHaveLength(zone.partial);
          expect(after.filter((r) => !applied.includes(r))).toEqual([]);
          expect(seed.filter((r) => !after.includes(r))).toEqual([]);
        }
      }
      expectNoDuplicates(after);
      c.heal?.();
      const retry = await dnsSet(h);
      expect(retry.res.json).toEqual({ success: true });
      expect(h.zone()).toEqual(applied);
      // And once more: a converged zone stays as it is.
      expect((await dnsSet(h)).res.json).toEqual({ success: true });
      expect(h.zone()).toEqual(applied);
    });
  });
}

const BATCH = { pathPart: '/batch' };
runCases<CloudflareFailure>(
  'cloudflare',
  [
    { name: 'HTML 500 on the batch (refused before it ran): re-read, unchanged, sent once more', inject: (f) => f({ kind: 'html', status: 500 }), writes: 2, expect: { outcome: 'applied' } },
    { name: '429 with Retry-After 1 on the batch: waited, then applied', inject: (f) => f({ kind: 'rate_limit', retryAfter: 1 }), writes: 2, expect: { outcome: 'applied' }, atLeastMs: 1000 },
    { name: 'batch hangs (no headers): attempt times out, re-read, sent once more', inject: (f) => f({ kind: 'hang' }), writes: 2, expect: { outcome: 'applied' } },
    { name: 'connection reset before the batch ran', inject: (f) => f({ kind: 'drop' }), writes: 2, expect: { outcome: 'applied' } },
    { name: 'malformed 200 body (batch not run)', inject: (f) => f({ kind: 'malformed' }), writes: 2, expect: { outcome: 'applied' } },
    { name: 'batch committed, reply truncated: re-read says applied, not repeated', inject: (f) => f({ kind: 'truncated_after_apply' }), writes: 1, expect: { outcome: 'applied' } },
    { name: 'batch committed, then HTML 500: re-read says applied, not repeated', inject: (f) => f({ kind: 'html_after_apply', status: 500 }), writes: 1, expect: { outcome: 'applied' } },
    { name: 'batch committed, then the connection drops', inject: (f) => f({ kind: 'drop_after_apply' }), writes: 1, expect: { outcome: 'applied' } },
    {
      name: 'the zone read hangs: the read attempt times out and is repeated (reads are safe to repeat)',
      inject: () => world.cloudflare.failNext({ kind: 'hang' }, { pathPart: '/dns_records' }),
      writes: 1,
      expect: { outcome: 'applied' },
    },
    {
      name: 'lasting 503 from the edge: code 10, unchanged',
      inject: () => world.cloudflare.setBehaviour({ always: { kind: 'html', status: 503 } }),
      heal: () => world.cloudflare.setBehaviour({ always: undefined }),
      writes: 0, expect: { outcome: 'error', code: 10, reason: /^An error occurred while setting DNS records: Cloudflare: HTTP 503 from Cloudflare/, zone: 'unchanged' },
    },
    {
      name: 'every batch hangs: code 10 within the deadline, re-read says unchanged',
      inject: (f) => {
        f({ kind: 'hang' });
        f({ kind: 'hang' });
      },
      writes: 2, expect: { outcome: 'error', code: 10, reason: /did not answer in time; the zone was re-read: nothing was changed/, zone: 'unchanged' },
    },
  ],
  (f) => world.cloudflare.failNext(f, BATCH),
);

runCases<GodaddyFault>(
  'godaddy',
  [
    { name: 'HTTP 500 on an rrset PUT: retried (idempotent)', inject: (f) => f({ status: 500, method: 'PUT' }), writes: 5, expect: { outcome: 'applied' } },
    { name: '429 with retryAfterSec 1 on an rrset PUT: waited, then applied', inject: (f) => f({ status: 429, retryAfterSec: 1, method: 'PUT' }), writes: 5, expect: { outcome: 'applied' }, atLeastMs: 1000 },
    { name: 'short-lived 409 after an edit: retried', inject: (f) => f({ status: 409, times: 2, method: 'PUT' }), writes: 6, expect: { outcome: 'applied' } },
    { name: 'an rrset PUT hangs: attempt times out, PUT repeated', inject: (f) => f({ kind: 'hang', method: 'PUT' }), writes: 5, expect: { outcome: 'applied' } },
    { name: 'connection reset on an rrset PUT', inject: (f) => f({ kind: 'reset', method: 'PUT' }), writes: 5, expect: { outcome: 'applied' } },
    { name: 'malformed 200 body on the zone read: code 10, nothing written', inject: (f) => f({ kind: 'malformed', method: 'GET' }), writes: 0, expect: { outcome: 'error', code: 10, reason: /GoDaddy: HTTP 200 with a malformed body instead of JSON/, zone: 'unchanged' } },
    { name: 'PUT committed, reply truncated: repeated PUT is a no-op', inject: (f) => f({ kind: 'truncated', method: 'PUT' }), writes: 5, expect: { outcome: 'applied' } },
    { name: 'PUT committed, then HTTP 500: repeated PUT is a no-op', inject: (f) => f({ kind: 'error_after_commit', method: 'PUT' }), writes: 5, expect: { outcome: 'applied' } },
    { name: 'the zone read hangs: the read attempt times out and is repeated', inject: (f) => f({ kind: 'hang', method: 'GET' }), writes: 4, expect: { outcome: 'applied' } },
    {
      name: 'lasting 500 on the 4th rrset: code 10 naming the 3 applied changes',
      inject: (f) => f({ status: 500, method: 'PUT', pathIncludes: 'track-sl', times: 1000 }),
      heal: () => world.godaddy.clearFaults(),
      expect: {
        outcome: 'error',
        code: 10,
        reason: /GoDaddy: HTTP 500 INTERNAL_SERVER_ERROR; 3 of 4 changes were applied \(CREATE CNAME sl\.example\.com, .*\); not applied: CREATE CNAME track-sl\.example\.com; run dns.set again to finish/,
        zone: { partial: 3 },
      },
    },
  ],
  (f) => world.godaddy.failNext(f),
);

const SET_HOSTS = { command: 'namecheap.domains.dns.setHosts' };
runCases<NamecheapFailure>(
  'namecheap',
  [
    { name: 'IIS 500 page on setHosts: repeated (the full list is idempotent)', inject: (f) => f({ kind: 'http', status: 500, body: '<html><body>500 - Internal server error.</body></html>' }), writes: 2, expect: { outcome: 'applied' } },
    {
      // Namecheap's rate limit is HTTP 405 without Retry-After; dnscontrol waits 5 s, more than this deadline leaves.
      name: 'HTTP 405 rate limit on setHosts: the 5 s wait does not fit the deadline, code 10 at once, unchanged',
      inject: (f) => f({ kind: 'rate_limit' }),
      writes: 1, expect: { outcome: 'error', code: 10, reason: /Namecheap: too many requests/, zone: 'unchanged' },
    },
    { name: 'setHosts hangs: attempt times out, re-read, sent again', inject: (f) => f({ kind: 'hang' }), writes: 2, expect: { outcome: 'applied' } },
    { name: 'connection reset on setHosts', inject: (f) => f({ kind: 'reset' }), writes: 2, expect: { outcome: 'applied' } },
    { name: 'malformed 200 body on setHosts (not run): re-read, unchanged, sent again', inject: (f) => f({ kind: 'malformed' }), writes: 2, expect: { outcome: 'applied' } },
    { name: 'setHosts committed, reply truncated', inject: (f) => f({ kind: 'truncated' }), writes: 2, expect: { outcome: 'applied' } },
    { name: 'setHosts committed, then IIS 500', inject: (f) => f({ kind: 'error_after_commit' }), writes: 2, expect: { outcome: 'applied' } },
    {
      name: 'getHosts reply truncated: the read is repeated',
      inject: () => world.namecheap.failNext({ kind: 'truncated' }, 1, { command: 'namecheap.domains.dns.getHosts' }),
      writes: 1,
      expect: { outcome: 'applied' },
    },
    {
      name: 'every setHosts hangs: code 10 within the deadline, re-read says unchanged',
      inject: (f) => {
        f({ kind: 'hang' });
        f({ kind: 'hang' });
      },
      writes: 2, expect: { outcome: 'error', code: 10, reason: /Namecheap: the provider did not answer in time; the zone was re-read: nothing was changed/, zone: 'unchanged' },
    },
  ],
  (f) => world.namecheap.failNext(f, 1, SET_HOSTS),
);

describe('the abort signal of one attempt', () => {
  const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

  it('aborts an attempt that outlives its share of the budget (40 %)', async () => {
    const bounds = commandBounds({ deadlineMs: 100 });
    let seen: AbortSignal | undefined;
    const error = await withAttemptSignal('cloudflare', bounds, 0, (signal) => {
      seen = signal;
      return new Promise((_resolve, reject) => signal.addEventListener('abort', () => reject(signal.reason)));
    }).catch((e: unknown) => e);
    expect((error as DOMException).name).toBe('TimeoutError');
    expect(seen?.aborted).toBe(true);
  });

  it('leaves nothing behind once the attempt is over: its timer never fires, the command signal keeps no listener', async () => {
    const command = new AbortController();
    const bounds = commandBounds({ deadlineMs: 100 }, { signal: command.signal });
    let seen: AbortSignal | undefined;
    const answer = await withAttemptSignal('cloudflare', bounds, 0, async (signal) => {
      seen = signal;
      expect(getEventListeners(command.signal, 'abort')).toHaveLength(1);
      return 'answered';
    });
    expect(answer).toBe('answered');
    expect(getEventListeners(command.signal, 'abort')).toHaveLength(0);
    // Past the attempt's 40 ms share and the whole budget: a timer left running would have aborted it by now.
    await pause(150);
    command.abort();
    expect(seen?.aborted).toBe(false);
  });
});

describe('one deadline and one cancel signal per command (adapter level)', () => {
  const session = (options: Parameters<ReturnType<typeof createCloudflareProvider>['connect']>[1]) =>
    createCloudflareProvider({ baseUrl: world.cloudflare.baseUrl, dispatcher: agent }).connect({ apiKey: SECRETS.cloudflareToken }, options);
  let agent: Agent;
  beforeAll(() => void (agent = createHttpAgent({ keepAliveTimeoutMs: 100 })));
  afterAll(async () => {
    await agent.close();
  });

  it('shares the deadline across calls: hung calls end it, whatever the per-call retries would allow', async () => {
    world.cloudflare.setBehaviour({ always: { kind: 'hang' } });
    try {
      const deadlineMs = 800;
      const started = Date.now();
      const error = await session({ deadline: started + deadlineMs }).findZone(SEED_APEX).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ProviderError);
      expect([(error as ProviderError).kind, (error as ProviderError).reason]).toEqual(['timeout', 'the provider did not answer in time']);
      // The retries' own allowance (4 attempts of 40 % of the budget, with backoff) would run past it.
      expect(Date.now() - started).toBeLessThan(deadlineMs + SLACK_MS);
    } finally {
      world.cloudflare.setBehaviour({ always: undefined });
    }
  });

  it('stops at once, without retrying, when the command is cancelled', async () => {
    world.cloudflare.setBehaviour({ always: { kind: 'hang' } });
    const calls = world.cloudflare.calls.length;
    try {
      const controller = new AbortController();
      const cancelAfterMs = 100;
      setTimeout(() => controller.abort(), cancelAfterMs);
      const started = Date.now();
      const error = await session({ signal: controller.signal }).findZone(SEED_APEX).catch((e: unknown) => e);
      expect((error as ProviderError).kind).toBe('timeout');
      // Uncancelled, the hung attempt would run to its share of the 30 s default deadline (12 s).
      expect(Date.now() - started).toBeLessThan(cancelAfterMs + SLACK_MS);
      expect(world.cloudflare.calls.length - calls).toBe(1);
    } finally {
      world.cloudflare.setBehaviour({ always: undefined });
    }
  });
});
