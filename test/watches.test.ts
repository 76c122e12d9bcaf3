/**
 * Watches, webhooks and the live subscription, end to end on one gateway (SQLite) with its scheduler on and every
 * timing shortened to fractions of a second: authoritative DNS servers on 127.0.0.2–5 (test/helpers/
 * authoritative-world.ts), the sandbox provider (its zone is in the gateway's store: the test copies it onto the
 * name servers, late, as a real provider's servers would pick it up) and the Cloudflare fake (test/fakes), a loopback
 * webhook receiver that verifies every delivery with the `standardwebhooks` package, and GraphQL subscribers over
 * Server-Sent Events.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { print } from 'graphql';
import { Webhook } from 'standardwebhooks';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { decodeTxt } from '../providers/cloudflare.js';
import { startCloudflareFake, type FakeRecord as CloudflareRecord } from './fakes/cloudflare-fake.js';
import type { FakeRecord as DnsRecord } from './fakes/dns-server.js';
import { DnsStatusChangedDocument, DnsWatchesDocument, WatchDnsRecordsDocument } from './graphql/generated/graphql.js';
import { startAuthoritativeWorld, type AuthoritativeWorld } from './helpers/authoritative-world.js';
import { bearer, getQuery, graphql, postForm, postJson, startGateway, type Gateway } from './helpers/gateway.js';
import { subscribeSse } from './helpers/sse.js';
import { startWebhookReceiver, type ReceivedWebhook, type WebhookReceiver } from './helpers/webhook-receiver.js';

const SECRET = `whsec_${Buffer.from('a test signing secret, 32 bytes!').toString('base64')}`;
/** The provider credential the tests send: distinctive, so that it can be looked for everywhere. */
const PROVIDER_KEY = 'sandboxKEYsecret0123456789watch';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Settings that run a whole watch in about a second. */
const FAST = {
  WATCH_SCHEDULER: 'true',
  WATCH_POLL_SECONDS: '0.05',
  VERIFY_FIRST_CHECK_SECONDS: '0.15',
  VERIFY_MAX_INTERVAL_SECONDS: '0.3',
  VERIFY_WATCH_HOURS: '0.01',
  VERIFY_RECHECK_HOURS: '0.0001',
  WEBHOOK_FIRST_RETRY_SECONDS: '0.2',
  WEBHOOK_TIMEOUT_SECONDS: '1',
  RATE_LIMIT_MAX: '100000',
};

/** A delivery, checked with the receiver's copy of the secret; throws when the signature does not verify. */
function verified(hook: ReceivedWebhook): any {
  return new Webhook(SECRET).verify(hook.body, hook.headers as Record<string, string>);
}

/** Polls `read` until `done` says yes (or fails after `timeoutMs`). */
async function until<T>(read: () => Promise<T>, done: (value: T) => boolean, timeoutMs = 10_000): Promise<T> {
  const started = Date.now();
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() - started > timeoutMs) throw new Error(`condition not met within ${timeoutMs} ms: ${JSON.stringify(value).slice(0, 2000)}`);
    await sleep(25);
  }
}

let world: AuthoritativeWorld;
let receiver: WebhookReceiver;
beforeAll(async () => {
  world = await startAuthoritativeWorld();
  receiver = await startWebhookReceiver();
});
afterAll(async () => {
  await world?.close();
  await receiver?.close();
});

const gateways: Gateway[] = [];
async function gateway(env: Record<string, string> = {}, options: { existingDatabase?: boolean } = {}): Promise<Gateway> {
  const gw = await startGateway({ ...world.env, ...FAST, WEBHOOK_URL: receiver.url, WEBHOOK_SECRET: SECRET, ...env }, {}, options);
  gateways.push(gw);
  return gw;
}
afterEach(async () => {
  await Promise.all(gateways.splice(0).map((gw) => gw.close()));
  receiver.reset();
});

const watches = async (gw: Gateway, key = gw.adminKey, domain?: string) => {
  const res = await getQuery(gw, '/api/v1/dns.watches', domain ? { Domain: domain } : {}, bearer(key));
  expect(res.status, res.text).toBe(200);
  return res.json.watches as any[];
};
const watchOf = async (gw: Gateway, domain: string) => (await watches(gw, gw.adminKey, domain))[0];
const set = (gw: Gateway, domain: string, extra: Record<string, unknown> = {}) =>
  postJson(gw, '/api/v1/dns.set', { Domain: domain, Provider: 'sandbox', ApiKey: PROVIDER_KEY, RecordType: 'campaign', ...extra }, bearer(gw.adminKey));
const watch = (gw: Gateway, domain: string, key = gw.adminKey) => postJson(gw, '/api/v1/dns.watch', { Domain: domain, RecordType: 'campaign' }, bearer(key));
/** Writes the record set through the sandbox and publishes it on the name servers at once. */
async function makeLive(gw: Gateway, domain: string): Promise<void> {
  world.delegate(domain);
  expect((await set(gw, domain)).text).toBe('{"success":true}');
  world.publish(domain, await world.sandboxRecords(gw.running.services.store, gw.adminAccount, domain));
}

describe('a watch from dns.set to READY, and BROKEN when a record goes', () => {
  it('PENDING → READY: one signed dns.records.ready webhook, and an SSE subscriber sees the change and completes; a deleted record → BROKEN and dns.records.broken', async () => {
    const domain = 'watched-sender.com';
    world.delegate(domain);
    const gw = await gateway();
    world.resetQuestions();

    expect((await set(gw, domain)).text).toBe('{"success":true}');
    const started = await watchOf(gw, domain);
    expect(started).toMatchObject({ domain, recordType: 'campaign', state: 'PENDING', checkCount: 0, lastResult: null, lastCheckedAt: null });
    expect(Date.parse(started.nextCheckAt) - Date.parse(started.createdAt)).toBe(150);
    expect(Date.parse(started.expiresAt) - Date.parse(started.createdAt)).toBe(36_000);

    const subscriber = await subscribeSse(gw.url, print(DnsStatusChangedDocument), { domain, recordType: 'CAMPAIGN' }, { key: gw.adminKey });
    expect(subscriber.status).toBe(200);
    expect(subscriber.headers['content-type']).toMatch(/^text\/event-stream/);
    const [first] = await subscriber.waitFor(1);
    expect(first.data.dnsStatusChanged).toMatchObject({ __typename: 'DnsWatch', domain, state: 'PENDING', id: started.id });

    // The provider's name servers pick the records up late: the watch checks (and finds them MISSING) meanwhile.
    const pending = await until(() => watchOf(gw, domain), (w) => w.checkCount >= 2);
    expect(pending.state).toBe('PENDING');
    expect(pending.lastResult).toMatchObject({ ready: false, error: null });
    expect(pending.lastResult.records.map((r: { status: string }) => r.status)).toContain('MISSING');
    expect(world.questions()).toBeGreaterThan(0);
    expect(receiver.received).toEqual([]);
    world.publish(domain, await world.sandboxRecords(gw.running.services.store, gw.adminAccount, domain));

    const [, changed] = await subscriber.waitFor(2);
    expect(changed.data.dnsStatusChanged).toMatchObject({ __typename: 'DnsWatch', domain, state: 'READY', lastResult: { ready: true, error: null, problems: [] } });
    await subscriber.ended;
    expect(subscriber.completedByServer).toBe(true);
    expect(subscriber.results).toHaveLength(2);

    const [hook] = await receiver.waitFor(1);
    const event = verified(hook!);
    expect(hook!.headers['webhook-id']).toMatch(/^msg_[0-9a-f-]{36}$/);
    expect(Number(hook!.headers['webhook-timestamp'])).toBeCloseTo(Date.now() / 1000, -1);
    expect(hook!.headers['content-type']).toBe('application/json');
    expect(event).toMatchObject({
      type: 'dns.records.ready',
      data: { watchId: started.id, account: expect.stringMatching(/^key:/), domain, recordType: 'campaign', status: 'READY', previousStatus: 'PENDING', ready: true },
    });
    expect(Date.parse(event.timestamp)).not.toBeNaN();
    expect(event.data.records.length).toBeGreaterThanOrEqual(5);
    expect(event.data.records.every((r: { status: string }) => r.status === 'LIVE')).toBe(true);
    expect(event.data.checks).toEqual({ nameservers: true, spf: true, dmarc: true, dkim: true });

    const ready = await watchOf(gw, domain);
    expect(ready).toMatchObject({ state: 'READY', expiresAt: null, lastResult: { ready: true } });
    expect(ready.nextCheckAt).not.toBeNull();

    // Someone deletes a record in the provider's panel: the next recheck finds it MISSING.
    const zone = await world.sandboxRecords(gw.running.services.store, gw.adminAccount, domain);
    world.publish(domain, zone.filter((r) => r.name !== `track-sl.${domain}`));
    const [, brokenHook] = await receiver.waitFor(2);
    const broken = verified(brokenHook!);
    expect(broken).toMatchObject({ type: 'dns.records.broken', data: { domain, status: 'BROKEN', previousStatus: 'READY', ready: false } });
    expect(broken.data.records.find((r: { name: string }) => r.name === `track-sl.${domain}`)).toMatchObject({ status: 'MISSING' });
    expect(brokenHook!.headers['webhook-id']).not.toBe(hook!.headers['webhook-id']);
    expect(await watchOf(gw, domain)).toMatchObject({ state: 'BROKEN' });
    // Exactly one delivery per state change: nothing was sent twice.
    await sleep(300);
    expect(receiver.received.map((r) => verified(r).type)).toEqual(['dns.records.ready', 'dns.records.broken']);

    // Put back, it is READY again.
    world.publish(domain, zone);
    await until(() => watchOf(gw, domain), (w) => w.state === 'READY');

    // No credential anywhere: webhooks, the stored outbox and watches, the log.
    const stored = JSON.stringify([await gw.running.services.store.listWebhooks(), await watches(gw)]);
    for (const text of [...receiver.received.map((r) => r.body), stored, gw.logLines.join('\n')]) {
      expect(text).not.toContain(PROVIDER_KEY);
      expect(text).not.toContain(gw.adminKey);
      expect(text).not.toContain(SECRET.slice(6));
      expect(text).not.toContain('receiver-side-token');
    }
  });
});

describe('a watch of records written through a provider fake', () => {
  /** A Cloudflare record as its name servers would answer it (the adapter writes TXT content as quoted strings: providers/cloudflare.ts encodeTxt). */
  const served = (r: CloudflareRecord): DnsRecord[] => {
    if (r.type === 'CNAME') return [{ name: r.name, type: 'CNAME', ttl: r.ttl, data: r.content }];
    if (r.type === 'TXT') return [{ name: r.name, type: 'TXT', ttl: r.ttl, data: decodeTxt(r.content) }];
    return [];
  };

  it('a dry run starts no watch; the applied dns.set does, and when the fake\'s records reach the name servers late it goes PENDING → READY with one dns.records.ready', async () => {
    const domain = 'cloudflare-sender.com';
    const token = 'cfWATCHtoken0123456789abcdefghijklmnopqr';
    const cloudflare = await startCloudflareFake({ tokens: { [token]: {} }, zones: [{ name: domain, records: [] }] });
    try {
      world.delegate(domain);
      const gw = await gateway({ CLOUDFLARE_API_URL: cloudflare.baseUrl });
      const setThrough = (extra: Record<string, unknown> = {}) =>
        postJson(gw, '/api/v1/dns.set', { Domain: domain, Provider: 'cloudflare', ApiKey: token, RecordType: 'campaign', ...extra }, bearer(gw.adminKey));

      const dry = await setThrough({ DryRun: true });
      expect(dry.status, dry.text).toBe(200);
      expect(dry.json.changes.length).toBeGreaterThan(0);
      expect(await watches(gw)).toEqual([]);
      expect(cloudflare.records(domain)).toEqual([]);

      expect((await setThrough()).text).toBe('{"success":true}');
      const written = cloudflare.records(domain);
      expect(written.map((r) => r.type).sort()).toEqual(['CNAME', 'CNAME', 'CNAME', 'CNAME', 'TXT', 'TXT']);
      expect(await watchOf(gw, domain)).toMatchObject({ state: 'PENDING', checkCount: 0 });
      const subscriber = await subscribeSse(gw.url, print(DnsStatusChangedDocument), { domain, recordType: 'CAMPAIGN' }, { key: gw.adminKey });

      // Cloudflare accepted the write; its name servers serve it only later: meanwhile the records are MISSING.
      const pending = await until(() => watchOf(gw, domain), (w) => w.checkCount >= 2);
      expect(pending).toMatchObject({ state: 'PENDING', lastResult: { ready: false, error: null } });
      expect(receiver.received).toEqual([]);
      world.publish(domain, written.flatMap(served));

      await subscriber.ended;
      expect(subscriber.completedByServer).toBe(true);
      expect(subscriber.results.map((r) => r.data.dnsStatusChanged.state)).toEqual(['PENDING', 'READY']);
      const [hook] = await receiver.waitFor(1);
      expect(verified(hook!)).toMatchObject({ type: 'dns.records.ready', data: { domain, recordType: 'campaign', status: 'READY', previousStatus: 'PENDING', ready: true } });
      await sleep(300);
      expect(receiver.received).toHaveLength(1);
      for (const text of [hook!.body, gw.logLines.join('\n'), JSON.stringify(await watches(gw))]) expect(text).not.toContain(token);
    } finally {
      await cloudflare.close();
    }
  });
});

describe('webhook delivery', () => {
  it('a receiver that answers 500 twice then 200 gets the event three times with one webhook-id, each attempt signed afresh', async () => {
    receiver.answers = [500, 500];
    const gw = await gateway();
    await makeLive(gw, 'retried-sender.com');
    // dns.watch checks at once: the records are live, so it is READY straight away.
    const res = await watch(gw, 'retried-sender.com');
    expect(res.status, res.text).toBe(200);
    expect(res.json.watch).toMatchObject({ domain: 'retried-sender.com', state: 'PENDING' });
    const hooks = await receiver.waitFor(3);
    expect(hooks.map((h) => h.status)).toEqual([500, 500, 200]);
    expect(new Set(hooks.map((h) => h.headers['webhook-id'])).size).toBe(1);
    for (const hook of hooks) expect(verified(hook)).toMatchObject({ type: 'dns.records.ready', data: { domain: 'retried-sender.com' } });
    expect(new Set(hooks.map((h) => h.body)).size).toBe(1);
    // WEBHOOK_FIRST_RETRY_SECONDS (0.2 s), then twice that.
    expect(hooks[1]!.at - hooks[0]!.at).toBeGreaterThanOrEqual(190);
    expect(hooks[2]!.at - hooks[1]!.at).toBeGreaterThanOrEqual(390);
    const [row] = await until(() => gw.running.services.store.listWebhooks(), (rows) => rows[0]?.deliveredAt !== null);
    expect(row).toMatchObject({ id: hooks[0]!.headers['webhook-id'], eventType: 'dns.records.ready', attempts: 3, nextAttemptAt: null, failedAt: null, lastStatus: 200, lastError: null });
    await sleep(500);
    expect(receiver.received).toHaveLength(3);
  });

  it('a timeout counts as a failure and is retried', async () => {
    receiver.delayMs = 600;
    const gw = await gateway({ WEBHOOK_TIMEOUT_SECONDS: '0.3', WEBHOOK_FIRST_RETRY_SECONDS: '0.1' });
    await makeLive(gw, 'slow-receiver.com');
    await watch(gw, 'slow-receiver.com');
    const [row] = await until(() => gw.running.services.store.listWebhooks(), (rows) => (rows[0]?.attempts ?? 0) >= 1);
    expect(row).toMatchObject({ lastStatus: null, lastError: 'timeout', deliveredAt: null });
    receiver.delayMs = 0;
    await until(() => gw.running.services.store.listWebhooks(), (rows) => rows[0]?.deliveredAt !== null);
  });

  it('a gateway restarted between attempts still delivers, with the same webhook-id', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'dg-watch-restart-'));
    try {
      const env = { DATABASE_URL: `sqlite:${path.join(dir, 'gw.db')}`, WEBHOOK_FIRST_RETRY_SECONDS: '1.5' };
      receiver.answers = [503];
      const first = await gateway(env);
      await makeLive(first, 'restarted-sender.com');
      await watch(first, 'restarted-sender.com');
      const [failed] = await receiver.waitFor(1);
      expect(failed!.status).toBe(503);
      await until(() => first.running.services.store.listWebhooks(), (rows) => rows[0]?.attempts === 1);
      await first.close();

      const second = await gateway(env, { existingDatabase: true });
      const [, delivered] = await receiver.waitFor(2, 10_000);
      expect(delivered!.status).toBe(200);
      expect(delivered!.headers['webhook-id']).toBe(failed!.headers['webhook-id']);
      expect(verified(delivered!)).toEqual(verified(failed!));
      // The second attempt waited for its retry time: the restart did not make it early or skip it.
      expect(delivered!.at - failed!.at).toBeGreaterThanOrEqual(1400);
      const [row] = await until(() => second.running.services.store.listWebhooks(), (rows) => rows[0]?.deliveredAt !== null);
      expect(row).toMatchObject({ attempts: 2, lastStatus: 200 });
      // The watch itself survived the restart too, and the second start keeps checking it.
      const kept = (await watches(second, first.adminKey, 'restarted-sender.com'))[0];
      expect(kept).toMatchObject({ state: 'READY', version: 3 });
      await until(() => watches(second, first.adminKey, 'restarted-sender.com'), ([w]) => w.lastCheckedAt > kept.lastCheckedAt);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('expiry and giving up', () => {
  it('a watch never ready is EXPIRED after VERIFY_WATCH_HOURS (dns.records.expired, subscription completes); a receiver that never accepts is given up after WEBHOOK_RETRY_HOURS, and that is recorded', async () => {
    receiver.answers = Array.from({ length: 100 }, () => 500);
    // 0.0003 h ≈ 1.1 s of watching; 0.0002 h = 0.72 s of retrying.
    const gw = await gateway({ VERIFY_WATCH_HOURS: '0.0003', WEBHOOK_RETRY_HOURS: '0.0002', WEBHOOK_FIRST_RETRY_SECONDS: '0.1' });
    const domain = 'never-ready.com';
    world.delegate(domain);
    expect((await set(gw, domain)).text).toBe('{"success":true}');
    const subscriber = await subscribeSse(gw.url, print(DnsStatusChangedDocument), { domain, recordType: 'CAMPAIGN' }, { key: gw.adminKey });
    await subscriber.ended;
    expect(subscriber.completedByServer).toBe(true);
    expect(subscriber.results.map((r) => r.data.dnsStatusChanged.state)).toEqual(['PENDING', 'EXPIRED']);
    const expired = await watchOf(gw, domain);
    expect(expired).toMatchObject({ state: 'EXPIRED', nextCheckAt: null, expiresAt: null, lastResult: { ready: false } });
    // Checked with backoff for its whole time: 0.15 s, then 0.3 s apart (the cap), the last one on the deadline.
    expect(expired.checkCount).toBeGreaterThanOrEqual(4);
    expect(Date.parse(expired.stateChangedAt) - Date.parse(expired.createdAt)).toBeGreaterThanOrEqual(1080);

    const [row] = await until(() => gw.running.services.store.listWebhooks(), (rows) => rows[0]?.failedAt !== null, 15_000);
    expect(row).toMatchObject({ eventType: 'dns.records.expired', deliveredAt: null, nextAttemptAt: null, lastStatus: 500, lastError: 'HTTP 500' });
    expect(Date.parse(row!.failedAt!) - Date.parse(row!.createdAt)).toBeGreaterThanOrEqual(720);
    expect(row!.attempts).toBe(receiver.received.length);
    expect(row!.attempts).toBeGreaterThanOrEqual(3);
    expect(verified(receiver.received[0]!)).toMatchObject({ type: 'dns.records.expired', data: { domain, status: 'EXPIRED', previousStatus: 'PENDING' } });
    expect(gw.logLines.some((line) => line.includes('webhook given up'))).toBe(true);
    // Expired means no more checks and no more deliveries.
    const attempts = receiver.received.length;
    const before = world.questions();
    await sleep(500);
    expect(receiver.received.length).toBe(attempts);
    expect(world.questions()).toBe(before);
    // A restart (dns.watch) makes it PENDING again.
    expect((await watch(gw, domain)).json.watch).toMatchObject({ state: 'PENDING', checkCount: 0 });
  });
});

describe('the GraphQL and REST operations', () => {
  it('watchDnsRecords starts a watch, dnsWatches lists the caller\'s own, and the subscription runs as GraphiQL sends it (GET, text/event-stream)', async () => {
    const gw = await gateway();
    const domain = 'graphql-watched.com';
    await makeLive(gw, domain);
    const started = await graphql(gw, print(WatchDnsRecordsDocument), { domain, recordType: 'CAMPAIGN' }, gw.adminKey);
    expect(started.json.errors, started.text).toBeUndefined();
    expect(started.json.data.watchDnsRecords).toMatchObject({ __typename: 'DnsWatch', domain, recordType: 'CAMPAIGN', state: 'PENDING', checkCount: 0 });
    // What GraphiQL sends for a subscription: GET, the operation in the query string, Accept: text/event-stream.
    const subscriber = await subscribeSse(gw.url, print(DnsStatusChangedDocument), { domain, recordType: 'CAMPAIGN' }, { key: gw.adminKey, method: 'GET' });
    expect(subscriber.status).toBe(200);
    await subscriber.ended;
    expect(subscriber.completedByServer).toBe(true);
    const states = subscriber.results.map((r) => r.data.dnsStatusChanged.state);
    expect(states.at(-1)).toBe('READY');

    const listed = await graphql(gw, print(DnsWatchesDocument), {}, gw.adminKey);
    expect(listed.json.data.dnsWatches).toEqual([expect.objectContaining({ domain, state: 'READY', lastResult: expect.objectContaining({ ready: true }) })]);
    // Another account sees none of it, and cannot follow it.
    const other = await gw.createKey();
    expect((await graphql(gw, print(DnsWatchesDocument), { domain }, other)).json.data.dnsWatches).toEqual([]);
    expect(await watches(gw, other)).toEqual([]);
    const stranger = await subscribeSse(gw.url, print(DnsStatusChangedDocument), { domain, recordType: 'CAMPAIGN' }, { key: other });
    await stranger.ended;
    expect(stranger.results).toEqual([{ data: { dnsStatusChanged: { __typename: 'DnsError', code: 13, message: expect.stringMatching(/^No watch of this record set on this domain/) } } }]);
    // Its own watch of the same domain is its own.
    expect((await watch(gw, domain, other)).json.watch.id).not.toBe(started.json.data.watchDnsRecords.id);
  });

  it('answers bad input with the REST codes, and refuses callers without a key or permission', async () => {
    const gw = await gateway();
    expect((await postJson(gw, '/api/v1/dns.watch', { RecordType: 'campaign' }, bearer(gw.adminKey))).json.Errors[0].Code).toBe(1);
    expect((await postJson(gw, '/api/v1/dns.watch', { Domain: 'localhost', RecordType: 'campaign' }, bearer(gw.adminKey))).json.Errors[0].Code).toBe(1);
    expect((await postJson(gw, '/api/v1/dns.watch', { Domain: 'fine.com' }, bearer(gw.adminKey))).json.Errors[0].Code).toBe(4);
    expect((await getQuery(gw, '/api/v1/dns.watches', { Domain: '192.0.2.1' }, bearer(gw.adminKey))).json.Errors[0].Code).toBe(1);
    expect((await postJson(gw, '/api/v1/dns.watch', { Domain: 'fine.com', RecordType: 'campaign' })).status).toBe(401);
    const readOnly = await gw.createKey({ permissions: ['Dns.Read'] });
    expect((await postJson(gw, '/api/v1/dns.watch', { Domain: 'fine.com', RecordType: 'campaign' }, bearer(readOnly))).status).toBe(403);
    // The legacy path, with the platform's envelope.
    const legacy = await postForm(gw, '/api.php', { Command: 'dns.watch', APIKey: gw.adminKey, Domain: 'fine.com', RecordType: 'email-gateway' });
    expect(legacy.json).toMatchObject({ Success: true, ErrorCode: 0, watch: { domain: 'fine.com', recordType: 'email-gateway' } });
    const xml = await getQuery(gw, '/api.php', { Command: 'dns.watches', APIKey: gw.adminKey, ResponseFormat: 'XML' });
    expect(xml.status).toBe(200);
    expect(xml.text).toMatch(/<watches><node_0>.*<domain>fine\.com<\/domain>.*<state>(PENDING|READY|EXPIRED)<\/state>/s);

    const bad = await graphql(gw, print(WatchDnsRecordsDocument), { domain: 'localhost', recordType: 'CAMPAIGN' }, gw.adminKey);
    expect(bad.json.data.watchDnsRecords).toMatchObject({ __typename: 'DnsError', code: 1 });
    const none = await subscribeSse(gw.url, print(DnsStatusChangedDocument), { domain: 'unwatched.com', recordType: 'CAMPAIGN' }, { key: gw.adminKey });
    await none.ended;
    expect(none.results[0].data.dnsStatusChanged).toMatchObject({ __typename: 'DnsError', code: 13 });
    const anonymous = await subscribeSse(gw.url, print(DnsStatusChangedDocument), { domain: 'fine.com', recordType: 'CAMPAIGN' });
    await anonymous.ended;
    expect(anonymous.results[0].errors[0].extensions.code).toBe('UNAUTHENTICATED');
    const refused = await subscribeSse(gw.url, print(DnsStatusChangedDocument), { domain: 'fine.com', recordType: 'CAMPAIGN' }, { key: readOnly });
    await refused.ended;
    expect(refused.results[0].errors[0].extensions.code).toBe('FORBIDDEN');
  });

  it('a subscription POSTed without asking for event streams (the fast path hands it to yoga) streams too, and ends when the client goes', async () => {
    const gw = await gateway();
    const domain = 'fast-path-stream.com';
    world.delegate(domain);
    await watch(gw, domain);
    const subscriber = await subscribeSse(gw.url, print(DnsStatusChangedDocument), { domain, recordType: 'CAMPAIGN' }, { key: gw.adminKey, accept: null });
    expect(subscriber.status).toBe(200);
    expect(subscriber.headers['content-type']).toMatch(/^text\/event-stream/);
    // The first event arrives while the watch is still PENDING: nothing waits for the stream to end.
    const [first] = await subscriber.waitFor(1);
    expect(first.data.dnsStatusChanged).toMatchObject({ domain, state: 'PENDING' });
    subscriber.close();
    await subscriber.ended;
    expect(subscriber.completedByServer).toBe(false);
  });

  it('live subscriptions end when the gateway stops, so it stops at once', async () => {
    const gw = await gateway({ SHUTDOWN_GRACE_MS: '20000' });
    const domain = 'stopping-sender.com';
    world.delegate(domain);
    await watch(gw, domain);
    const subscriber = await subscribeSse(gw.url, print(DnsStatusChangedDocument), { domain, recordType: 'CAMPAIGN' }, { key: gw.adminKey });
    await subscriber.waitFor(1);
    const started = Date.now();
    await gw.close();
    await subscriber.ended;
    expect(Date.now() - started).toBeLessThan(3000);
    expect(subscriber.completedByServer).toBe(true);
  });
});
