/**
 * Watches at scale and across instances:
 * - 1,000 due watches (SQLite) are all checked, each exactly once, with never more than VERIFY_CONCURRENCY DNS
 *   sockets open at a time (counted where the gateway opens them: every UDP socket of this process made after the
 *   fake DNS servers started is one of the gateway's questions);
 * - two instances on one PostgreSQL database and one Redis check each due watch exactly once between them (counted as
 *   DNS questions at the name servers), and a subscriber on a third instance sees the change another one made.
 * The PostgreSQL + Redis part needs the machine's servers: skipped with a warning where absent, never when CI=true.
 */
import dgram from 'node:dgram';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { print } from 'graphql';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Store } from '../src/storage/store.js';
import { DnsStatusChangedDocument } from './graphql/generated/graphql.js';
import { startAuthoritativeWorld, type AuthoritativeWorld } from './helpers/authoritative-world.js';
import { createTestDatabase, postgresReachable, POSTGRES_LABEL, REDIS_LABEL, redisReachable, REDIS_TEST_URL, shouldSkip, type TestDatabase } from './helpers/backing-services.js';
import { bearer, postJson, startGateway, type Gateway } from './helpers/gateway.js';
import { subscribeSse } from './helpers/sse.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const SCHEDULER = { WATCH_SCHEDULER: 'true', WATCH_POLL_SECONDS: '0.05', VERIFY_RECHECK_HOURS: '0', RATE_LIMIT_MAX: '100000' };

/** Starts `count` due watches of `domain` straight in the store, one per made-up account. */
async function dueWatches(store: Store, domain: string, count: number, tag: string): Promise<void> {
  const at = new Date().toISOString();
  for (let i = 0; i < count; i++) {
    await store.startWatch({ id: `${tag}-${i}`, principal: `key:${tag}-${i}`, domain, recordType: 'campaign', at, expiresAt: new Date(Date.now() + 3_600_000).toISOString(), nextCheckAt: at });
  }
}

/** Authoritative questions one verification of a ready domain asks (measured, not assumed). */
async function questionsPerCheck(world: AuthoritativeWorld, gw: Gateway, domain: string): Promise<number> {
  world.resetQuestions();
  const res = await postJson(gw, '/api/v1/dns.verify', { Domain: domain, RecordType: 'campaign' }, bearer(gw.adminKey));
  expect(res.json.ready, res.text).toBe(true);
  const n = world.questions();
  world.resetQuestions();
  return n;
}

async function makeReady(world: AuthoritativeWorld, gw: Gateway, domain: string, key = gw.adminKey): Promise<void> {
  world.delegate(domain);
  const set = await postJson(gw, '/api/v1/dns.set', { Domain: domain, Provider: 'sandbox', ApiKey: 'any', RecordType: 'campaign' }, bearer(key));
  expect(set.text).toBe('{"success":true}');
  world.publish(domain, await world.sandboxRecords(gw.running.services.store, domain));
}

describe('1,000 due watches', () => {
  let world: AuthoritativeWorld;
  let dir: string;
  beforeAll(async () => {
    world = await startAuthoritativeWorld(1);
    dir = mkdtempSync(path.join(tmpdir(), 'dg-watch-scale-'));
  });
  afterAll(async () => {
    await world?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('are each checked exactly once, with at most VERIFY_CONCURRENCY sockets open at a time', async () => {
    const CONCURRENCY = 16;
    const file = path.join(dir, 'scale.db');
    // The watch the dns.set below starts is checked an hour later: only the 1,000 are checked during the test.
    const gw = await startGateway({
      ...world.env,
      ...SCHEDULER,
      DATABASE_URL: `sqlite:${file}`,
      VERIFY_CONCURRENCY: String(CONCURRENCY),
      VERIFY_FIRST_CHECK_SECONDS: '3600',
      WATCH_BATCH_SIZE: '100',
      LOG_LEVEL: 'warn',
    });
    const original = dgram.createSocket;
    try {
      const domain = 'thousand-watches.com';
      await makeReady(world, gw, domain);
      const perCheck = await questionsPerCheck(world, gw, domain);
      expect(perCheck).toBeGreaterThan(3);
      // Answers come 2 ms late, so questions pile up as far as the limit lets them.
      world.servers[0]!.delayMs = 2;
      world.recursive.delayMs = 2;

      let open = 0;
      let maxOpen = 0;
      let opened = 0;
      (dgram as { createSocket: typeof dgram.createSocket }).createSocket = ((...args: Parameters<typeof dgram.createSocket>) => {
        const socket = original(...args);
        open++;
        opened++;
        maxOpen = Math.max(maxOpen, open);
        socket.once('close', () => open--);
        return socket;
      }) as typeof dgram.createSocket;

      const started = Date.now();
      await dueWatches(gw.running.services.store, domain, 1000, 'bulk');
      const reader = new Database(file, { readonly: true });
      const ready = () => (reader.prepare(`SELECT COUNT(*) AS n FROM dns_watches WHERE principal LIKE 'key:bulk-%' AND state = 'READY'`).get() as { n: number }).n;
      for (let waited = 0; ready() < 1000; waited += 100) {
        if (waited > 120_000) throw new Error(`only ${ready()} of 1000 watches READY after 2 minutes`);
        await sleep(100);
      }
      const seconds = (Date.now() - started) / 1000;
      reader.close();

      expect(maxOpen).toBeLessThanOrEqual(CONCURRENCY);
      // The limit was reached: the bound, not a lack of work, kept the count down.
      expect(maxOpen).toBe(CONCURRENCY);
      // Every watch checked exactly once: the name server got exactly one verification's questions per watch.
      expect(world.questions()).toBe(1000 * perCheck);
      console.log(`1000 due watches: ${seconds.toFixed(1)} s, ${opened} DNS sockets opened, at most ${maxOpen} open at once (limit ${CONCURRENCY}), ${perCheck} authoritative questions per check`);
    } finally {
      (dgram as { createSocket: typeof dgram.createSocket }).createSocket = original;
      world.servers[0]!.delayMs = 0;
      world.recursive.delayMs = 0;
      await gw.close();
    }
  }, 180_000);
});

const missing = [...((await postgresReachable()) ? [] : [POSTGRES_LABEL]), ...((await redisReachable()) ? [] : [REDIS_LABEL])];
const skip = shouldSkip('watches on PostgreSQL + Redis', missing);

describe.skipIf(skip)('several instances on PostgreSQL + Redis', () => {
  const prefix = `dnsgw-test-${randomBytes(5).toString('hex')}:`;
  let db: TestDatabase;
  let world: AuthoritativeWorld;
  let a: Gateway;
  let b: Gateway;
  /** The subscribers' instance: its scheduler is off, so every change it reports was made by another instance. */
  let c: Gateway;

  beforeAll(async () => {
    db = await createTestDatabase();
    world = await startAuthoritativeWorld();
    const env = { ...world.env, ...SCHEDULER, DATABASE_URL: db.url, REDIS_URL: REDIS_TEST_URL, REDIS_KEY_PREFIX: prefix, WATCH_BATCH_SIZE: '5', VERIFY_FIRST_CHECK_SECONDS: '0.1' };
    a = await startGateway(env);
    b = await startGateway(env, {}, { existingDatabase: true });
    c = await startGateway({ ...env, WATCH_SCHEDULER: 'false' }, {}, { existingDatabase: true });
  }, 60_000);

  afterAll(async () => {
    await Promise.all([a, b, c].map((gw) => gw?.close()));
    await world?.close();
    await db?.drop();
    const redis = new Redis(REDIS_TEST_URL);
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length > 0) await redis.del(...keys);
    await redis.quit();
  });

  /** The watches whose state change this instance made (from its log). */
  const changedBy = (gw: Gateway): string[] =>
    gw.logLines.flatMap((line) => {
      const entry = JSON.parse(line) as { msg?: string; watch?: string };
      return entry.msg === 'watch state changed' && entry.watch ? [entry.watch] : [];
    });

  it('check each due watch exactly once between them', async () => {
    const domain = 'shared-watches.com';
    await makeReady(world, a, domain);
    const perCheck = await questionsPerCheck(world, a, domain);
    // dns.set started the admin's own watch: let it become READY first, so only the watches below are counted.
    for (let waited = 0; (await a.running.services.watches.list(`key:${(await a.running.services.store.listApiKeys())[0]!.id}`, domain))[0]?.state !== 'READY'; waited += 50) {
      if (waited > 10_000) throw new Error("the admin's watch did not become READY");
      await sleep(50);
    }
    await sleep(100);
    world.resetQuestions();

    await dueWatches(a.running.services.store, domain, 60, 'shared');
    const store = a.running.services.store;
    const readyCount = async () => {
      let n = 0;
      for (let i = 0; i < 60; i++) if ((await store.findWatch(`key:shared-${i}`, domain, 'campaign'))?.state === 'READY') n++;
      return n;
    };
    for (let waited = 0; (await readyCount()) < 60; waited += 100) {
      if (waited > 30_000) throw new Error(`only ${await readyCount()} of 60 READY`);
      await sleep(100);
    }
    await sleep(300);
    // One verification's questions per watch: no watch was checked twice.
    expect(world.questions()).toBe(60 * perCheck);
    const byA = changedBy(a).filter((id) => id.startsWith('shared-'));
    const byB = changedBy(b).filter((id) => id.startsWith('shared-'));
    expect([...byA, ...byB].sort()).toEqual(Array.from({ length: 60 }, (_, i) => `shared-${i}`).sort());
    expect(changedBy(c)).toEqual([]);
    console.log(`60 due watches on two instances: ${byA.length} checked by A, ${byB.length} by B; ${world.questions()} authoritative questions (${perCheck} per check)`);
  });

  it('a subscriber on one instance sees the change another instance made, and completes', async () => {
    const domain = 'cross-instance.com';
    world.delegate(domain);
    const started = await postJson(c, '/api/v1/dns.watch', { Domain: domain, RecordType: 'campaign' }, bearer(a.adminKey));
    expect(started.status, started.text).toBe(200);
    const subscriber = await subscribeSse(c.url, print(DnsStatusChangedDocument), { domain, recordType: 'CAMPAIGN' }, { key: a.adminKey });
    const [first] = await subscriber.waitFor(1);
    expect(first.data.dnsStatusChanged).toMatchObject({ domain, state: 'PENDING' });
    // Let A and B find it not ready a few times, then publish the records.
    await sleep(400);
    await makeReady(world, c, domain, a.adminKey);
    await subscriber.ended;
    expect(subscriber.completedByServer).toBe(true);
    expect(subscriber.results.map((r) => r.data.dnsStatusChanged.state)).toEqual(['PENDING', 'READY']);
    // Made by A or B: C's scheduler is off, and it logged no state change.
    const id = first.data.dnsStatusChanged.id as string;
    expect(changedBy(c)).toEqual([]);
    expect([...changedBy(a), ...changedBy(b)].filter((w) => w === id)).toHaveLength(1);
  });
});
