/**
 * Soak: a bounded stream of mixed requests — REST and GraphQL; dns.provider, dns.authorize, dns.set dry runs against
 * the three provider fakes, real sandbox writes; bad input, wrong keys, no key — from several API keys at a fixed
 * concurrency, against one in-process gateway. It must end with no 5xx, no unhandled rejection, and the heap back
 * near where it started once garbage is collected.
 *
 * Bounded for `npm test` (SOAK_REQUESTS, default 2,000); the full soak is `SOAK_REQUESTS=10000 npx vitest run
 * test/soak.test.ts` (≈ 1–2 minutes on 2 cores).
 */
import v8 from 'node:v8';
import vm from 'node:vm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, getQuery, graphql, postForm, postJson, postMultipart, type HttpResult } from './helpers/gateway.js';
import { SECRETS, startWorld, type World } from './helpers/world.js';

/** @default 2000 (10,000 for the full soak) */
const TOTAL = Number(process.env.SOAK_REQUESTS ?? 2000);
/** Requests in flight at once. @default 20 */
const CONCURRENCY = Number(process.env.SOAK_CONCURRENCY ?? 20);
const KEYS = 5;
/** Heap growth allowed after GC: the service keeps per-key rate-limit state and a few caches, nothing per request. */
const HEAP_GROWTH_LIMIT_BYTES = 24 * 1024 * 1024;

/** `global.gc` without restarting the worker with --expose-gc: the flag is set at run time, `gc` taken from a context. */
function collectGarbage(): () => void {
  v8.setFlagsFromString('--expose-gc');
  return vm.runInNewContext('gc') as () => void;
}

let world: World;
const unhandled: unknown[] = [];
const onUnhandled = (reason: unknown) => unhandled.push(reason);

beforeAll(async () => {
  process.on('unhandledRejection', onUnhandled);
  world = await startWorld({ RATE_LIMIT_MAX: '1000000', AUTH_FAILURE_LIMIT: '1000000', LOG_LEVEL: 'warn' });
});
afterAll(async () => {
  process.off('unhandledRejection', onUnhandled);
  await world?.close();
});

type Request = (key: string, i: number) => Promise<HttpResult>;

const SET_DOC = 'mutation($i: SetDnsRecordsInput!) { setDnsRecords(input: $i) { __typename ... on SetDnsRecordsSuccess { applied } ... on DnsError { code } } }';
const PROVIDER_DOC = 'query($d: String!) { dnsProvider(domain: $d) { __typename ... on DnsProviderDetection { provider } ... on DnsError { code } } }';

function requestMix(gw: World['gateway']): Request[] {
  const cf = { Domain: 'example.com', Provider: 'cloudflare', ApiKey: SECRETS.cloudflareToken };
  const gd = { Domain: 'example.com', Provider: 'godaddy', ApiKey: SECRETS.godaddyKey, ApiSecret: SECRETS.godaddySecret };
  const nc = { Domain: 'example.com', Provider: 'namecheap', ApiKey: SECRETS.namecheapKey, ApiUser: SECRETS.namecheapUser, Username: SECRETS.namecheapUser };
  return [
    (key) => getQuery(gw, '/api/v1/dns.provider', { Domain: 'example.com', APIKey: key }),
    (key) => postJson(gw, '/api/v1/dns.provider', { Domain: 'www.example.co.uk' }, bearer(key)),
    (key) => postJson(gw, '/api/v1/dns.authorize', cf, bearer(key)),
    (key) => postForm(gw, '/api/v1/dns.set', { ...cf, RecordType: 'campaign', DryRun: 'true' }, bearer(key)),
    (key) => postMultipart(gw, '/api/v1/dns.set', { ...gd, RecordType: 'campaign', DryRun: '1' }, bearer(key)),
    (key) => postJson(gw, '/api.php', { Command: 'dns.set', ...nc, RecordType: 'email-gateway', DryRun: true, APIKey: key }),
    (key, i) => postJson(gw, '/api/v1/dns.set', { Domain: `soak-${i % 50}.com`, Provider: 'sandbox', ApiKey: 'x', RecordType: 'campaign' }, bearer(key)),
    (key, i) => graphql(gw, SET_DOC, { i: { domain: `soak-${i % 50}.com`, provider: 'SANDBOX', recordType: 'EMAIL_GATEWAY', credentials: { apiKey: 'x' }, dryRun: i % 2 === 0 } }, key),
    (key) => graphql(gw, PROVIDER_DOC, { d: 'namecheap-customer.com' }, key),
    // Bad input and bad callers.
    (key) => postJson(gw, '/api/v1/dns.set', { Domain: ['x'], Provider: 'route53', ApiKey: { a: 1 } }, bearer(key)),
    (key) => postForm(gw, '/api.php', { Command: 'dns.authorize', Domain: 'localhost', APIKey: key }),
    (key) => postJson(gw, '/api/v1/dns.set', { Domain: 'example.com' }, { ...bearer(key), 'content-type': 'text/xml' }),
    (key) => graphql(gw, '{ dnsProvider(domain: "x") { __typename } ', {}, key),
    () => postJson(gw, '/api/v1/dns.authorize', cf),
    () => getQuery(gw, '/api/v1/dns.provider', { Domain: 'example.com', APIKey: 'dgk_0123456789abcdef_notARealKeynotARealKeynotARealKeynotARealK' }),
    () => graphql(gw, PROVIDER_DOC, { d: 'example.com' }),
  ];
}

async function run(total: number, keys: string[], mix: Request[]): Promise<Map<number, number>> {
  const statuses = new Map<number, number>();
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < total; i = next++) {
      const res = await mix[i % mix.length]!(keys[i % keys.length]!, i);
      statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
      if (res.status >= 500) throw new Error(`request ${i} (mix ${i % mix.length}) answered ${res.status}: ${res.text.slice(0, 300)}`);
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  return statuses;
}

describe('soak', () => {
  it(`${TOTAL} mixed requests from ${KEYS} keys at concurrency ${CONCURRENCY}: no 5xx, no unhandled rejection, heap back near its start`, async () => {
    const gw = world.gateway;
    const keys = [gw.adminKey, ...(await Promise.all(Array.from({ length: KEYS - 1 }, () => gw.createKey())))];
    const mix = requestMix(gw);
    const gc = collectGarbage();

    // Warm-up: module caches, JIT, connection pools, the sandbox zones' first writes.
    await run(Math.min(400, TOTAL), keys, mix);
    gc();
    const heapBefore = process.memoryUsage().heapUsed;
    const started = Date.now();

    const statuses = await run(TOTAL, keys, mix);
    const seconds = (Date.now() - started) / 1000;
    gc();
    await new Promise((resolve) => setImmediate(resolve));
    gc();
    const heapAfter = process.memoryUsage().heapUsed;

    const summary = { requests: TOTAL, seconds, perSecond: Math.round(TOTAL / seconds), statuses: Object.fromEntries(statuses), heapGrowthMiB: (heapAfter - heapBefore) / 2 ** 20 };
    console.info('soak', JSON.stringify(summary));

    expect([...statuses.keys()].filter((s) => s >= 500)).toEqual([]);
    // The mix really exercised successes, input errors, auth failures and content-type refusals.
    for (const status of [200, 400, 401, 415]) expect(statuses.get(status) ?? 0, `status ${status}`).toBeGreaterThan(0);
    expect(unhandled).toEqual([]);
    expect(heapAfter - heapBefore).toBeLessThan(HEAP_GROWTH_LIMIT_BYTES);
    // Nothing unexpected was logged at warn level or above (provider retries aside).
    const errors = gw.logLines.filter((l) => JSON.parse(l).level >= 50);
    expect(errors).toEqual([]);
  }, 600_000);
});
