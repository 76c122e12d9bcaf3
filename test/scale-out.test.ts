/**
 * Several instances: two gateway PROCESSES (`node --import tsx src/cli.ts serve`) sharing one fresh PostgreSQL
 * database and one Redis key prefix, plus the Redis/PostgreSQL building blocks they rely on (the atomic rate-limit
 * script, the zone locks). Needs the machine's PostgreSQL (127.0.0.1:5432) and Redis (127.0.0.1:6379): skipped with
 * a warning where absent, never skipped when CI=true.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createServer, request as httpRequest } from 'node:http';
import net, { type AddressInfo } from 'node:net';
import { Redis } from 'ioredis';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiKey } from '../src/auth/api-keys.js';
import { createRateLimiter } from '../src/rate-limit/limiter.js';
import { createRedisRateLimitStore } from '../src/rate-limit/redis-store.js';
import { createPostgresZoneLock, createRedisZoneLock, LockLostError, LockTimeoutError, type ZoneLock } from '../src/services/zone-lock.js';
import { openStore } from '../src/storage/open.js';
import { startDnsServer, type FakeDnsServer } from './fakes/dns-server.js';
import { startNamecheapFake, type NamecheapFake } from './fakes/namecheap-fake.js';
import { createTestDatabase, postgresReachable, POSTGRES_LABEL, REDIS_LABEL, redisReachable, REDIS_TEST_URL, shouldSkip, type TestDatabase } from './helpers/backing-services.js';
import { bearer, getQuery, http, postJson } from './helpers/gateway.js';
import { DELEGATIONS, NAMECHEAP_WHITELISTED_IP, SECRETS } from './helpers/world.js';

const missing = [
  ...((await postgresReachable()) ? [] : [POSTGRES_LABEL]),
  ...((await redisReachable()) ? [] : [REDIS_LABEL]),
];
const skip = shouldSkip('scale-out', missing);

/** This run's Redis keys; removed afterwards (only these: the Redis may be shared). */
const PREFIX = `dnsgw-test-${randomBytes(5).toString('hex')}:`;

async function deletePrefix(redis: Redis, prefix: string): Promise<void> {
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 500);
    if (keys.length > 0) await redis.del(...keys);
    cursor = next;
  } while (cursor !== '0');
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
/**
 * How late a timer, a Redis reply or a child process's event may come on the shared 2-core machine the suite runs
 * on (8 other sessions): timing bounds below are the deadline the code enforces plus this margin, never a guess.
 */
const LATE_MS = 2000;

describe.skipIf(skip)('redis rate-limit store', () => {
  const redises: Redis[] = [];
  const client = () => {
    const redis = new Redis(REDIS_TEST_URL, { protocol: 2 });
    redises.push(redis);
    return redis;
  };
  afterAll(async () => {
    if (redises[0]) await deletePrefix(redises[0], PREFIX);
    await Promise.all(redises.map((r) => r.quit()));
  });

  it('admits exactly `max` of many concurrent calls made through two separate clients (two "processes")', async () => {
    const keyPrefix = `${PREFIX}unit-rl:`;
    const stores = [createRedisRateLimitStore({ redis: client(), keyPrefix }), createRedisRateLimitStore({ redis: client(), keyPrefix })];
    const at = Date.now();
    const results = await Promise.all(
      Array.from({ length: 30 }, (_, i) => stores[i % 2]!.consume('key:k1', { at: at + i, windowMs: 60_000, max: 10, cost: 1 })),
    );
    expect(results.filter((r) => r.allowed)).toHaveLength(10);
    // Each admitted call saw a different count: the check and the count happened as one step.
    expect(new Set(results.filter((r) => r.allowed).map((r) => r.counted))).toEqual(new Set(Array.from({ length: 10 }, (_, i) => i + 1)));
    expect(await client().zcard(stores[1]!.keyOf('key:k1'))).toBe(10);
  });

  it('slides the window, counts a cost all or nothing, reports what blocks, and expires idle identities', async () => {
    const redis = client();
    const store = createRedisRateLimitStore({ redis, keyPrefix: `${PREFIX}unit-slide:` });
    const identity = 'ip:192.0.2.1';
    const t0 = 1_700_000_000_000;
    expect(await store.consume(identity, { at: t0, windowMs: 1000, max: 3, cost: 2 })).toEqual({ allowed: true, counted: 2, oldest: t0, blocking: undefined });
    expect(await store.consume(identity, { at: t0 + 10, windowMs: 1000, max: 3, cost: 2 })).toEqual({ allowed: false, counted: 2, oldest: t0, blocking: t0 });
    expect(await store.consume(identity, { at: t0 + 20, windowMs: 1000, max: 3, cost: 1 })).toEqual({ allowed: true, counted: 3, oldest: t0, blocking: undefined });
    // A peek counts nothing; t0's two calls leave the window at t0 + 1000 exactly (a call counts while t + window > now).
    expect(await store.consume(identity, { at: t0 + 999, windowMs: 1000, max: 3, cost: 0 })).toEqual({ allowed: false, counted: 3, oldest: t0, blocking: t0 });
    const lastCall = Date.now();
    expect(await store.consume(identity, { at: t0 + 1000, windowMs: 1000, max: 3, cost: 2 })).toEqual({ allowed: true, counted: 3, oldest: t0 + 20, blocking: undefined });
    const ttl = await redis.pttl(store.keyOf(identity));
    // The key expires one window after the last call: what is left is the window less the time since that call
    // (however long a loaded machine took), never more than the window.
    expect(ttl).toBeGreaterThanOrEqual(1000 - (Date.now() - lastCall) - 1);
    expect(ttl).toBeLessThanOrEqual(1000);
  });

  it('drives the limiter: decisions, Retry-After and peek come from the shared window', async () => {
    let now = 1_700_000_000_000;
    const store = createRedisRateLimitStore({ redis: client(), keyPrefix: `${PREFIX}unit-limiter:` });
    const a = createRateLimiter({ max: 2, windowSeconds: 60, store, now: () => now });
    const b = createRateLimiter({ max: 2, windowSeconds: 60, store, now: () => now });
    expect(await a.consume('key:x')).toMatchObject({ allowed: true, remaining: 1 });
    now += 10_000;
    expect(await b.consume('key:x')).toMatchObject({ allowed: true, remaining: 0 });
    expect(await a.consume('key:x')).toMatchObject({ allowed: false, retryAfterSeconds: 50 });
    expect(await b.peek('key:x')).toMatchObject({ allowed: false, retryAfterSeconds: 50 });
    now += 50_000;
    expect(await b.consume('key:x')).toMatchObject({ allowed: true, remaining: 0 });
  });
});

describe.skipIf(skip)('zone locks shared between instances', () => {
  const redises: Redis[] = [];
  const locks: ZoneLock[] = [];
  const redisLock = (options: { ttlMs?: number; waitMs?: number; onProblem?: (m: string) => void } = {}) => {
    const redis = new Redis(REDIS_TEST_URL, { protocol: 2 });
    redises.push(redis);
    const lock = createRedisZoneLock({ redis, keyPrefix: `${PREFIX}lock:`, ...options });
    locks.push(lock);
    return lock;
  };
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(async () => {
    await Promise.all(locks.map((l) => l.close()));
    if (redises[0]) await deletePrefix(redises[0], PREFIX);
    await Promise.all(redises.map((r) => r.quit()));
    await db.drop();
  });

  /** Runs overlapping work on one key through each lock and records every entry/exit. */
  async function overlapRun(instances: ZoneLock[], key: string, perInstance: number, holdMs: number) {
    const events: string[] = [];
    let inside = 0;
    let maxInside = 0;
    await Promise.all(
      instances.flatMap((lock, n) =>
        Array.from({ length: perInstance }, (_, i) =>
          lock.run(key, async (lease) => {
            inside += 1;
            maxInside = Math.max(maxInside, inside);
            expect(lease.signal.aborted).toBe(false);
            events.push(`in ${n}.${i}`);
            await sleep(holdMs);
            events.push(`out ${n}.${i}`);
            inside -= 1;
          }),
        ),
      ),
    );
    return { maxInside, events };
  }

  it('Redis: work on one zone never overlaps across instances', async () => {
    const { maxInside, events } = await overlapRun([redisLock(), redisLock()], 'namecheap:example.com', 4, 15);
    expect(events).toHaveLength(16);
    expect(maxInside).toBe(1);
  });

  it('Redis: a holder whose lock was taken over learns it at its next renewal: the lease signal aborts with LockLostError', async () => {
    const ttlMs = 300;
    const problems: string[] = [];
    const lock = redisLock({ ttlMs, onProblem: (m) => problems.push(m) });
    const reason = await lock.run('z:taken', async (lease) => {
      // The lock expired while this holder was paused, and another instance took it: the key holds its token now.
      await redises[0]!.set(`${PREFIX}lock:z:taken`, 'another-instance-token', 'PX', 10_000);
      // Renewals run every ttl / 3, so the first one after the takeover comes within ttl / 3 and finds another owner.
      // Bound: that period plus five times LATE_MS: a renewal timer and its Redis reply run on the event loop, which a
      // machine running several test processes at once was seen to hold up for over 2 s. The bound only keeps a
      // missing abort from hanging the test; that the abort comes from a renewal is what `problems` shows below.
      const aborted = new Promise((resolve) => lease.signal.addEventListener('abort', resolve, { once: true }));
      const late = sleep(ttlMs / 3 + 5 * LATE_MS).then(() => 'not aborted in time');
      expect(await Promise.race([aborted.then(() => 'aborted'), late])).toBe('aborted');
      return lease.signal.reason as unknown;
    });
    expect(reason).toBeInstanceOf(LockLostError);
    expect(problems).toContain('zone lock expired while held');
    // The holder that lost it did not free the new owner's lock.
    expect(await redises[0]!.get(`${PREFIX}lock:z:taken`)).toBe('another-instance-token');
  });

  it('Redis: other zones are not held up', async () => {
    const [a, b] = [redisLock(), redisLock()];
    // a holds zone one until told; b's work on zone two must run and finish meanwhile (no clock involved).
    let releaseA!: () => void;
    let aHolds = false;
    const holding = a.run('z:one', async () => {
      aHolds = true;
      await new Promise<void>((resolve) => (releaseA = resolve));
    });
    while (!aHolds) await sleep(5);
    const ranWhileAHeld = await b.run('z:two', async () => aHolds);
    expect(ranWhileAHeld).toBe(true);
    aHolds = false;
    releaseA();
    await holding;
  });

  it('Redis: a holder is renewed past its TTL; a crashed holder frees the zone after the TTL', async () => {
    const [a, b] = [redisLock({ ttlMs: 150 }), redisLock({ ttlMs: 150 })];
    const { maxInside } = await overlapRun([a, b], 'z:renewed', 1, 500);
    expect(maxInside).toBe(1);

    // A crashed instance: its lock key is there with a TTL and nobody renews it. b gets in only once it expired:
    // no earlier than 200 ms after the SET was sent (clocks read in whole milliseconds), whatever the machine's load.
    const raw = redises[0]!;
    const crashTtlMs = 200;
    const setAt = Date.now();
    await raw.set(`${PREFIX}lock:z:crashed`, 'dead-instance-token', 'PX', crashTtlMs);
    const enteredAt = await b.run('z:crashed', async () => Date.now());
    expect(enteredAt - setAt).toBeGreaterThanOrEqual(crashTtlMs - 2);
  });

  it('Redis: gives up after waitMs with LockTimeoutError, and only the owner can release', async () => {
    const holder = redisLock();
    const waiter = redisLock({ waitMs: 120 });
    let release: (() => void) | undefined;
    const held = holder.run('z:busy', () => new Promise<void>((resolve) => (release = resolve)));
    // Once the holder's work runs, it holds the lock (not after a guessed pause).
    while (!release) await sleep(5);
    await expect(waiter.run('z:busy', async () => 'never')).rejects.toBeInstanceOf(LockTimeoutError);
    expect(await redises[0]!.exists(`${PREFIX}lock:z:busy`)).toBe(1);
    release();
    await held;
    expect(await redises[0]!.exists(`${PREFIX}lock:z:busy`)).toBe(0);
  });

  it('Redis: close() releases held locks and tells the work it lost them', async () => {
    const problems: string[] = [];
    const lock = redisLock({ onProblem: (m) => problems.push(m) });
    let signal: AbortSignal | undefined;
    let finish!: () => void;
    const running = lock.run('z:shutdown', (lease) => {
      signal = lease.signal;
      return new Promise<void>((resolve) => (finish = resolve));
    });
    while (!signal) await sleep(5);
    expect(await redises[0]!.exists(`${PREFIX}lock:z:shutdown`)).toBe(1);
    await lock.close();
    expect(await redises[0]!.exists(`${PREFIX}lock:z:shutdown`)).toBe(0);
    expect(signal?.aborted).toBe(true);
    expect(signal?.reason).toBeInstanceOf(LockLostError);
    finish();
    await running;
    await expect(lock.run('z:shutdown', async () => 1)).rejects.toThrow(/closed/);
  });

  it('PostgreSQL advisory locks: no overlap across pools, LockTimeoutError after waitMs', async () => {
    const pools = [new pg.Pool({ connectionString: db.url }), new pg.Pool({ connectionString: db.url })];
    const [a, b] = pools.map((pool) => createPostgresZoneLock({ pool, waitMs: 150 }));
    try {
      const { maxInside, events } = await overlapRun([a!, b!], 'namecheap:example.com', 2, 30);
      expect(events).toHaveLength(8);
      expect(maxInside).toBe(1);

      let release: (() => void) | undefined;
      const held = a!.run('z:busy', () => new Promise<void>((resolve) => (release = resolve)));
      while (!release) await sleep(5);
      await expect(b!.run('z:busy', async () => 'never')).rejects.toBeInstanceOf(LockTimeoutError);
      release();
      await held;
      await expect(b!.run('z:busy', async () => 'now')).resolves.toBe('now');
    } finally {
      await Promise.all([a!.close(), b!.close()]);
    }
  });
});

/** A gateway process started with `serve`. */
interface Instance {
  readonly url: string;
  readonly child: ChildProcess;
  readonly stdout: string[];
  readonly stderr: string[];
  readonly exited: Promise<number | null>;
}

function startInstance(env: Record<string, string>): Promise<Instance> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli.ts', 'serve'], {
    cwd: process.cwd(),
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const stdout: string[] = [];
  const stderr: string[] = [];
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => stdout.push(chunk));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`gateway did not start:\n${stderr.join('')}`)), 30_000);
    child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
      stderr.push(chunk);
      const match = /listening on (http:\/\/\S+)/.exec(stderr.join(''));
      if (match) {
        clearTimeout(timer);
        resolve({ url: match[1]!, child, stdout, stderr, exited });
      }
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`gateway exited with ${code} before listening:\n${stderr.join('')}`));
    });
  });
}

const ZONE = 'namecheap-customer.com';

/**
 * Forwards to `target` and holds every reply for `delayMs`: real Namecheap calls take hundreds of milliseconds, and
 * without that latency a read-merge-write finishes too fast for two instances' writes to overlap, so an unlocked
 * gateway would pass by luck.
 */
async function startSlowProxy(target: string, delayMs: number): Promise<{ url: string; close(): Promise<void> }> {
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const base = new URL(target);
      const upstream = httpRequest(
        { host: base.hostname, port: base.port, path: req.url, method: req.method, headers: req.headers },
        (reply) => {
          const body: Buffer[] = [];
          reply.on('data', (c: Buffer) => body.push(c));
          reply.on('end', () =>
            setTimeout(() => {
              res.writeHead(reply.statusCode ?? 502, reply.headers).end(Buffer.concat(body));
            }, delayMs),
          );
        },
      );
      upstream.on('error', () => res.writeHead(502).end());
      upstream.end(Buffer.concat(chunks));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}${new URL(target).pathname}`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

describe.skipIf(skip)('two gateway processes sharing PostgreSQL and Redis', () => {
  let db: TestDatabase;
  let dns: FakeDnsServer;
  let namecheap: NamecheapFake;
  let slowNamecheap: Awaited<ReturnType<typeof startSlowProxy>>;
  let instances: Instance[] = [];
  let adminKey: string;

  beforeAll(async () => {
    db = await createTestDatabase();
    dns = await startDnsServer({ records: DELEGATIONS });
    namecheap = await startNamecheapFake({
      apiKey: SECRETS.namecheapKey,
      apiUser: SECRETS.namecheapUser,
      whitelistedIps: [NAMECHEAP_WHITELISTED_IP],
      zones: {
        [ZONE]: {
          emailType: 'MX',
          hosts: [
            { HostId: '1', Name: '@', Type: 'A', Address: '192.0.2.10', MXPref: '10', TTL: '1800', AssociatedAppTitle: '', FriendlyName: '', IsActive: 'true', IsDDNSEnabled: 'false' },
            { HostId: '2', Name: '@', Type: 'MX', Address: 'mx.namecheap-customer.com.', MXPref: '10', TTL: '1800', AssociatedAppTitle: '', FriendlyName: '', IsActive: 'true', IsDDNSEnabled: 'false' },
          ],
        },
      },
    });
    slowNamecheap = await startSlowProxy(namecheap.baseUrl, 60);
    const env = {
      NODE_ENV: 'test',
      PORT: '0',
      HOST: '127.0.0.1',
      LOG_LEVEL: 'warn',
      DATABASE_URL: db.url,
      REDIS_URL: REDIS_TEST_URL,
      REDIS_KEY_PREFIX: PREFIX,
      MAIL_MASTER_DOMAIN: 'mta.sender-platform.net',
      DNS_RESOLVERS: dns.address,
      DNS_TIMEOUT_MS: '500',
      CLOUDFLARE_API_URL: 'http://127.0.0.1:9/client/v4',
      GODADDY_API_URL: 'http://127.0.0.1:9',
      NAMECHEAP_API_URL: slowNamecheap.url,
      NAMECHEAP_CLIENT_IP: NAMECHEAP_WHITELISTED_IP,
    };
    // Started together on one empty database: migrations and the first admin key must happen once.
    instances = await Promise.all([startInstance(env), startInstance(env)]);
    // The key goes to stdout in the same tick as "listening" goes to stderr, but the two pipes are read in either
    // order: wait for a key to arrive, then a moment longer for a second one that must not.
    const keysPrinted = () => instances.flatMap((i) => i.stdout.join('').match(/dgk_\S+/g) ?? []);
    for (let waited = 0; keysPrinted().length === 0 && waited < 5_000; waited += 20) await new Promise((r) => setTimeout(r, 20));
    await new Promise((r) => setTimeout(r, 200));
    const printed = keysPrinted();
    expect(printed).toHaveLength(1);
    adminKey = printed[0]!;
  }, 60_000);

  afterAll(async () => {
    for (const instance of instances) {
      if (instance.child.exitCode === null) instance.child.kill('SIGTERM');
      await instance.exited;
    }
    const redis = new Redis(REDIS_TEST_URL);
    await deletePrefix(redis, PREFIX);
    await redis.quit();
    await Promise.all([dns?.close(), namecheap?.close(), slowNamecheap?.close()]);
    await db?.drop();
  }, 30_000);

  async function newKey(name: string): Promise<string> {
    const store = await openStore(db.url);
    try {
      return (await createApiKey(store, { name, permissions: ['User.Update'] })).key;
    } finally {
      await store.close();
    }
  }

  it('answers /healthz and /readyz (database and Redis) on both', async () => {
    for (const instance of instances) {
      expect((await http(`${instance.url}/healthz`)).json).toEqual({ status: 'ok' });
      const ready = await http(`${instance.url}/readyz`);
      expect(ready.status).toBe(200);
      expect(ready.json).toEqual({ status: 'ready', database: 'ok', redis: 'ok' });
    }
    const adminWorks = await getQuery(instances[1]!, '/api/v1/dns.provider', { Domain: 'example.com' }, bearer(adminKey));
    expect(adminWorks.status).toBe(200);
  });

  it('holds ONE 100-per-60 s budget per key across both: 110 concurrent requests → exactly 100 served, then 429 on either', async () => {
    const key = await newKey('budget');
    const replies = await Promise.all(
      Array.from({ length: 110 }, (_, i) => getQuery(instances[i % 2]!, '/api/v1/dns.provider', { Domain: 'example.com' }, bearer(key))),
    );
    const served = replies.filter((r) => r.status === 200);
    expect(served).toHaveLength(100);
    expect(replies.filter((r) => r.status === 429)).toHaveLength(10);
    // Every served request saw its own place in the one shared window.
    expect(new Set(served.map((r) => r.headers['ratelimit-remaining']))).toEqual(new Set(Array.from({ length: 100 }, (_, i) => String(i))));
    for (const instance of instances) {
      const over = await getQuery(instance, '/api/v1/dns.provider', { Domain: 'example.com' }, bearer(key));
      expect(over.status).toBe(429);
      expect(Number(over.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    }
    // Another key has its own budget.
    expect((await getQuery(instances[0]!, '/api/v1/dns.provider', { Domain: 'example.com' }, bearer(await newKey('other')))).status).toBe(200);
  });

  it('loses nothing when both write one Namecheap zone at once (getHosts + setHosts under the shared lock)', async () => {
    const key = await newKey('writer');
    const subdomains = ['a', 'b', 'c', 'd', 'e', 'f'];
    const set = (sub: string, instance: Instance, extra: Record<string, unknown> = {}) =>
      postJson(instance, '/api/v1/dns.set', {
        Domain: `${sub}.${ZONE}`,
        Provider: 'namecheap',
        ApiKey: SECRETS.namecheapKey,
        ApiUser: SECRETS.namecheapUser,
        Username: SECRETS.namecheapUser,
        RecordType: 'campaign',
        ...extra,
      }, bearer(key));
    const results = await Promise.all(subdomains.map((sub, i) => set(sub, instances[i % 2]!)));
    for (const r of results) expect(r.text).toBe('{"success":true}');

    // Every sub-domain's record set is in the zone: a dry run of each plans nothing but KEEP.
    for (const sub of subdomains) {
      const dry = await set(sub, instances[0]!, { DryRun: true });
      expect(dry.json.changes.length, sub).toBeGreaterThan(0);
      expect(dry.json.changes.filter((c: { action: string }) => c.action !== 'KEEP'), sub).toEqual([]);
    }
    const hosts = namecheap.state.zones.get(ZONE)!.hosts;
    for (const sub of subdomains) expect(hosts.some((h) => h.Name === `sl.${sub}`), sub).toBe(true);
    expect(hosts.filter((h) => h.Type === 'A' && h.Name === '@')).toHaveLength(1);
    // Each write read the zone after the previous one had written it: getHosts and setHosts strictly alternate.
    const writes = namecheap.calls.map((c) => c.command).filter((c) => c.startsWith('namecheap.domains.dns.'));
    const sequence = writes.slice(0, subdomains.length * 2);
    expect(sequence).toEqual(subdomains.flatMap(() => ['namecheap.domains.dns.gethosts', 'namecheap.domains.dns.sethosts']));
  });

  it('SIGTERM: finishes the request in flight, refuses new connections, exits 0, leaves no lock behind', async () => {
    const instance = instances[1]!;
    const { port } = new URL(instance.url);
    const body = JSON.stringify({ Domain: 'example.com' });
    // A request whose body is still arriving when the signal comes.
    const socket = net.connect(Number(port), '127.0.0.1');
    await new Promise((resolve) => socket.once('connect', resolve));
    const reply = new Promise<string>((resolve) => {
      let text = '';
      socket.setEncoding('utf8').on('data', (d: string) => (text += d));
      socket.once('close', () => resolve(text));
    });
    socket.write(
      `POST /api/v1/dns.provider HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${adminKey}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body.slice(0, 5)}`,
    );
    await sleep(100);
    instance.child.kill('SIGTERM');
    // It stops listening at once on SIGTERM: new connections are refused within LATE_MS, while the request in
    // flight keeps the process alive.
    const refusedBy = Date.now() + LATE_MS;
    let refused = false;
    while (!refused && Date.now() < refusedBy) {
      refused = await http(`${instance.url}/healthz`).then(
        () => false,
        () => true,
      );
      if (!refused) await sleep(20);
    }
    expect(refused).toBe(true);
    expect(instance.child.exitCode).toBeNull();
    socket.write(body.slice(5));
    const text = await reply;
    expect(text).toMatch(/^HTTP\/1\.1 200 /);
    expect(text.toLowerCase()).toContain('connection: close');
    expect(await instance.exited).toBe(0);

    const redis = new Redis(REDIS_TEST_URL);
    try {
      expect(await redis.keys(`${PREFIX}lock:namecheap*`)).toEqual([]);
    } finally {
      await redis.quit();
    }
    // The other instance still serves.
    expect((await http(`${instances[0]!.url}/readyz`)).status).toBe(200);
  }, 30_000);
});


