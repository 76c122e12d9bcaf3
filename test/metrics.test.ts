/**
 * GET /metrics (issue 16): off unless METRICS_TOKEN or METRICS_PORT is set; the token guards it; METRICS_PORT moves
 * it to its own listener; after a mixed run every series holds what happened; no caller-controlled text ever becomes
 * a label, and junk does not add series.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { bearer, getQuery, graphql, http, postJson, startGateway, type Gateway } from './helpers/gateway.js';
import { SECRETS, startWorld, type World } from './helpers/world.js';
import { startWebhookReceiver, type WebhookReceiver } from './helpers/webhook-receiver.js';
import { SEED_APEX } from './fakes/seed-zone.js';
import { createInProcessZoneLock, LockTimeoutError, observeLockWaits, type ZoneLock } from '../src/services/zone-lock.js';

const TOKEN = 'metrics-token-0123456789abcdef';
const WEBHOOK_SECRET = `whsec_${Buffer.from('a test signing secret, 32 bytes!').toString('base64')}`;
const DETECT = 'query ($d: String!) { dnsProvider(domain: $d) { __typename } }';
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface Sample {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

/** The exposition text as samples (comments dropped; label values unescaped). */
function parse(text: string): Sample[] {
  return text
    .split('\n')
    .filter((line) => line !== '' && !line.startsWith('#'))
    .map((line) => {
      const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
      if (!match) throw new Error(`not a sample line: ${line}`);
      const labels: Record<string, string> = {};
      for (const [, name, value] of (match[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) labels[name!] = value!.replace(/\\(.)/g, '$1');
      return { name: match[1]!, labels, value: Number(match[3]) };
    });
}

/** The value of the one sample named `name` with (at least) these labels; 0 when there is none. */
function value(samples: readonly Sample[], name: string, labels: Record<string, string> = {}): number {
  const found = samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
  return found.reduce((sum, s) => sum + s.value, 0);
}

async function scrape(url: string, token: string | null = TOKEN): Promise<Sample[]> {
  const res = await http(url, { headers: token ? bearer(token) : {} });
  expect(res.status, res.text).toBe(200);
  expect(res.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
  return parse(res.text);
}

const gateways: Gateway[] = [];
async function gateway(env: Record<string, string>): Promise<Gateway> {
  const gw = await startGateway(env);
  gateways.push(gw);
  return gw;
}
afterEach(async () => {
  await Promise.all(gateways.splice(0).map((gw) => gw.close()));
});

describe('where /metrics is served', () => {
  it('is off by default: 404 as any unknown path, no metrics listener, a recorder that keeps nothing', async () => {
    const gw = await gateway({});
    const res = await http(`${gw.url}/metrics`, { headers: bearer(TOKEN) });
    expect(res.status).toBe(404);
    expect(res.json).toEqual({ Errors: [{ Code: 404, Message: 'Not found' }] });
    expect(gw.running.metricsUrl).toBeNull();
    expect(gw.running.services.metrics.enabled).toBe(false);
  });

  it('with METRICS_TOKEN needs exactly that bearer token: a missing or wrong one gets the same 401, naming nothing', async () => {
    const gw = await gateway({ METRICS_TOKEN: TOKEN });
    const missing = await http(`${gw.url}/metrics`);
    const wrong = await http(`${gw.url}/metrics`, { headers: bearer(`${TOKEN}x`) });
    const prefix = await http(`${gw.url}/metrics`, { headers: bearer(TOKEN.slice(0, -1)) });
    const basic = await http(`${gw.url}/metrics`, { headers: { authorization: `Basic ${TOKEN}` } });
    for (const res of [missing, wrong, prefix, basic]) {
      expect(res.status).toBe(401);
      expect(res.json).toEqual({ Errors: [{ Code: 401, Message: 'Unauthorized' }] });
    }
    const samples = await scrape(`${gw.url}/metrics`);
    expect(samples.some((s) => s.name === 'process_cpu_seconds_total')).toBe(true);
    expect(gw.logLines.join('\n')).not.toContain(TOKEN);
  });

  it('with METRICS_PORT serves it there only (the API port answers 404); with both set the token is needed there too', async () => {
    const open = await gateway({ METRICS_PORT: '0' });
    expect(open.running.metricsUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
    expect(open.running.metricsUrl).not.toBe(`${open.url}/metrics`);
    await scrape(open.running.metricsUrl!, null);
    expect((await http(`${open.url}/metrics`)).status).toBe(404);
    expect((await http(open.running.metricsUrl!.replace('/metrics', '/healthz'))).status).toBe(404);

    const both = await gateway({ METRICS_PORT: '0', METRICS_TOKEN: TOKEN });
    expect((await http(both.running.metricsUrl!)).status).toBe(401);
    await scrape(both.running.metricsUrl!);
    expect((await http(`${both.url}/metrics`, { headers: bearer(TOKEN) })).status).toBe(404);
  });

  it('a too short METRICS_TOKEN stops start-up, naming the variable', async () => {
    await expect(startGateway({ METRICS_TOKEN: 'short' })).rejects.toThrow(/METRICS_TOKEN/);
  });
});

describe('after a mixed run', () => {
  let world: World;
  let receiver: WebhookReceiver;
  beforeAll(async () => {
    receiver = await startWebhookReceiver();
    world = await startWorld({
      METRICS_TOKEN: TOKEN,
      RATE_LIMIT_MAX: '12',
      // The watch expires after about 0.4 s, and its webhook is refused once, then delivered.
      WATCH_SCHEDULER: 'true',
      WATCH_POLL_SECONDS: '0.05',
      VERIFY_FIRST_CHECK_SECONDS: '0.1',
      VERIFY_MAX_INTERVAL_SECONDS: '0.2',
      VERIFY_WATCH_HOURS: '0.0001',
      WEBHOOK_URL: receiver.url,
      WEBHOOK_SECRET,
      WEBHOOK_FIRST_RETRY_SECONDS: '0.1',
      WEBHOOK_TIMEOUT_SECONDS: '2',
    });
  });
  afterAll(async () => {
    await world?.close();
    await receiver?.close();
  });

  it('holds every series with what happened', async () => {
    const gw = world.gateway;
    receiver.answers = [500];
    const key = gw.adminKey;
    const PROVIDER_REQUESTS = 3;
    for (let i = 0; i < PROVIDER_REQUESTS; i++) expect((await getQuery(gw, '/api/v1/dns.provider', { Domain: 'example.com' }, bearer(key))).status).toBe(200);
    expect((await postJson(gw, '/api.php', { Command: 'dns.provider', Domain: 'example.com', APIKey: key })).status).toBe(200);
    expect((await graphql(gw, DETECT, { d: 'example.com' }, key)).status).toBe(200);
    const set = await postJson(gw, '/api/v1/dns.set', { Domain: SEED_APEX, Provider: 'cloudflare', ApiKey: SECRETS.cloudflareToken, RecordType: 'campaign' }, bearer(key));
    expect(set.text).toBe('{"success":true}');
    expect((await postJson(gw, '/api/v1/dns.watch', { Domain: 'example.com', RecordType: 'campaign' }, bearer(key))).status).toBe(200);
    // An authentication failure, and a key that spends its budget of 12.
    expect((await getQuery(gw, '/api/v1/dns.provider', { Domain: 'example.com' }, bearer('dgk_wrong.key'))).status).toBe(401);
    const spender = await gw.createKey();
    for (let i = 0; i < 12; i++) expect((await getQuery(gw, '/api/v1/dns.changes', { Domain: 'example.com' }, bearer(spender))).status).toBe(200);
    expect((await getQuery(gw, '/api/v1/dns.changes', { Domain: 'example.com' }, bearer(spender))).status).toBe(429);

    // The watch expires; its event is refused once (retry) and then delivered.
    let samples: Sample[] = [];
    for (const started = Date.now(); Date.now() - started < 15_000; await sleep(50)) {
      samples = await scrape(`${gw.url}/metrics`);
      if (value(samples, 'dns_gateway_webhook_deliveries_total', { outcome: 'delivered' }) >= 1) break;
    }

    const requests = (labels: Record<string, string>) => value(samples, 'dns_gateway_http_requests_total', labels);
    expect(requests({ transport: 'rest', command: 'dns.provider', status: '200' })).toBe(PROVIDER_REQUESTS);
    expect(requests({ transport: 'rest', command: 'dns.provider', status: '401' })).toBe(1);
    expect(requests({ transport: 'legacy', command: 'dns.provider', status: '200' })).toBe(1);
    expect(requests({ transport: 'graphql', command: 'unknown', status: '200' })).toBe(1);
    expect(requests({ transport: 'rest', command: 'dns.set', status: '200' })).toBe(1);
    expect(requests({ transport: 'rest', command: 'dns.changes', status: '429' })).toBe(1);
    expect(value(samples, 'dns_gateway_http_request_duration_seconds_count', { transport: 'rest', command: 'dns.provider' })).toBe(PROVIDER_REQUESTS + 1);
    expect(value(samples, 'dns_gateway_http_request_duration_seconds_bucket', { transport: 'rest', command: 'dns.provider', le: '+Inf' })).toBe(PROVIDER_REQUESTS + 1);
    expect(value(samples, 'dns_gateway_http_request_duration_seconds_sum', { transport: 'rest', command: 'dns.provider' })).toBeGreaterThan(0);

    const calls = (labels: Record<string, string>) => value(samples, 'dns_gateway_procedure_calls_total', labels);
    expect(calls({ transport: 'rest', command: 'dns.provider', outcome: 'ok' })).toBe(PROVIDER_REQUESTS);
    expect(calls({ transport: 'rest', command: 'dns.provider', outcome: 'AUTHENTICATION_FAILED' })).toBe(1);
    expect(calls({ transport: 'legacy', command: 'dns.provider', outcome: 'ok' })).toBe(1);
    expect(calls({ transport: 'graphql', command: 'dns.provider', outcome: 'ok' })).toBe(1);
    expect(calls({ transport: 'rest', command: 'dns.changes', outcome: 'RATE_LIMITED' })).toBe(1);

    expect(value(samples, 'dns_gateway_rate_limited_total', { limit: 'requests' })).toBe(1);
    expect(value(samples, 'dns_gateway_rate_limited_total', { limit: 'auth_failures' })).toBe(0);

    // dns.set on Cloudflare: the zone lookup and page reads, then one batch write, all answered 200.
    expect(value(samples, 'dns_gateway_upstream_calls_total', { provider: 'cloudflare', operation: 'read', outcome: '200' })).toBeGreaterThanOrEqual(2);
    expect(value(samples, 'dns_gateway_upstream_calls_total', { provider: 'cloudflare', operation: 'write', outcome: '200' })).toBe(1);
    expect(value(samples, 'dns_gateway_upstream_call_duration_seconds_count', { provider: 'cloudflare' })).toBe(value(samples, 'dns_gateway_upstream_calls_total', { provider: 'cloudflare' }));
    expect(value(samples, 'dns_gateway_zone_lock_wait_seconds_count', { outcome: 'acquired' })).toBe(1);
    expect(value(samples, 'dns_gateway_zone_lock_wait_seconds_count', { outcome: 'timeout' })).toBe(0);

    expect(value(samples, 'dns_gateway_watches', { state: 'EXPIRED' })).toBe(1);
    expect(value(samples, 'dns_gateway_watches')).toBe(1);
    expect(value(samples, 'dns_gateway_webhook_deliveries_total', { outcome: 'retry' })).toBe(1);
    expect(value(samples, 'dns_gateway_webhook_deliveries_total', { outcome: 'delivered' })).toBe(1);
    expect(value(samples, 'dns_gateway_webhook_deliveries_total', { outcome: 'failed' })).toBe(0);
  });
});

describe('cardinality', () => {
  let world: World;
  beforeAll(async () => {
    world = await startWorld({ METRICS_TOKEN: TOKEN, RATE_LIMIT_MAX: '100000' });
  });
  afterAll(() => world?.close());

  /** Request `i` of a run: distinct domains, commands, command spellings and paths, over every transport. */
  function junk(gw: Gateway, i: number) {
    const key = bearer(gw.adminKey);
    switch (i % 6) {
      case 0: return getQuery(gw, '/api/v1/dns.provider', { Domain: `junkdomain${i}.example.com` }, key);
      case 1: return getQuery(gw, `/api/v1/junkcommand${i}`, {}, key);
      case 2: return http(`${gw.url}/junkpath${i}/x?junkquery${i}=1`);
      case 3: return postJson(gw, '/api.php', { Command: `junklegacy${i}`, APIKey: gw.adminKey });
      case 4: return graphql(gw, `{ junkfield${i} }`, {}, gw.adminKey);
      // A known command spelt differently each time: still one series.
      default: return getQuery(gw, `/api/v1/${[...'dns.provider'].map((c, n) => ((i >> n) & 1 ? c.toUpperCase() : c)).join('')}`, { Domain: `junkcase${i}.example.com` }, key);
    }
  }

  const series = (samples: readonly Sample[]) => samples.filter((s) => s.name.startsWith('dns_gateway_')).length;

  it('1,000 requests with distinct domains, commands and paths add no series and show none of that text', async () => {
    const gw = world.gateway;
    for (let i = 0; i < 12; i++) await junk(gw, i);
    // The first scrape is itself a request (transport other, status 200), counted once its reply is sent.
    await scrape(`${gw.url}/metrics`);
    const afterFew = await scrape(`${gw.url}/metrics`);
    for (let batch = 12; batch < 1012; batch += 50) await Promise.all(Array.from({ length: 50 }, (_, n) => junk(gw, batch + n)));
    const res = await http(`${gw.url}/metrics`, { headers: bearer(TOKEN) });
    const afterMany = parse(res.text);
    expect(res.text).not.toMatch(/junk/i);
    expect(series(afterMany)).toBe(series(afterFew));
    expect(value(afterMany, 'dns_gateway_http_requests_total')).toBeGreaterThanOrEqual(1012);
    expect(new Set(afterMany.flatMap((s) => (s.labels.command ? [s.labels.command] : [])))).toEqual(new Set(['dns.provider', 'unknown']));
  });
});

describe('zone-lock waits', () => {
  it('are observed for every lock kind through one wrapper: acquired after the wait, or refused (timeout, failed)', async () => {
    const seen: [string, number][] = [];
    const refusing = (error: Error): ZoneLock => ({ run: () => Promise.reject(error), close: async () => undefined });
    const onWait = (outcome: string, seconds: number) => void seen.push([outcome, seconds]);
    const lock = observeLockWaits(createInProcessZoneLock(), onWait);
    let release!: () => void;
    const first = lock.run('example.com', () => new Promise<void>((resolve) => (release = resolve)));
    const second = lock.run('example.com', async () => 'done');
    await sleep(30);
    release();
    await first;
    expect(await second).toBe('done');
    await expect(observeLockWaits(refusing(new LockTimeoutError('held')), onWait).run('a.com', async () => 1)).rejects.toThrow(LockTimeoutError);
    await expect(observeLockWaits(refusing(new Error('redis down')), onWait).run('a.com', async () => 1)).rejects.toThrow('redis down');
    // A failure of the work itself, after the lock was taken, is not a refused wait.
    await expect(lock.run('b.com', async () => Promise.reject(new Error('provider failed')))).rejects.toThrow('provider failed');
    expect(seen.map(([outcome]) => outcome)).toEqual(['acquired', 'acquired', 'timeout', 'failed', 'acquired']);
    // The second waited for the first to be released (30 ms later, less timer slack).
    expect(seen[1]![1]).toBeGreaterThanOrEqual(0.025);
  });
});
