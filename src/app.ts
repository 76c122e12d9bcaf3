/**
 * The composition root: builds every service once from the validated config. Procedures receive the result through
 * their call context; tests build it with overrides (a fake provider registry, an in-memory store).
 */
import type { Dispatcher } from 'undici';
import type { Redis } from 'ioredis';
import type { Config } from './config.js';
import { createLogger, type Logger } from './logger.js';
import { openStore } from './storage/open.js';
import type { Store } from './storage/store.js';
import { createAuthService } from './auth/auth-service.js';
import { ensureInitialAdminKey } from './auth/api-keys.js';
import type { AuthService } from './auth/types.js';
import { createRateLimiter, type RateLimiter } from './rate-limit/limiter.js';
import { createAuthFailureThrottle } from './rate-limit/auth-failures.js';
import { createResolver } from './detection/resolver.js';
import { createProviderDetector } from './detection/detect.js';
import { copiedTxt, countSpfLookups, sharedTxtLookupVia, spfLookupCounter } from './records/spf-lookups.js';
import { checkVariables, loadTemplates } from './records/template.js';
import { createDnsService, type DnsService } from './services/dns-service.js';
import { createVerifyService, type VerifyService } from './services/verify-service.js';
import { createAuthoritativeClient } from './detection/authoritative.js';
import pLimit from 'p-limit';
import { createInProcessZoneLock, createPostgresZoneLock, createRedisZoneLock, observeLockWaits, type ZoneLock } from './services/zone-lock.js';
import { createMetrics, metricsEnabled, NO_METRICS, type Metrics } from './services/metrics.js';
import { router } from './procedures/router.js';
import { createRedisRateLimitStore } from './rate-limit/redis-store.js';
import { createChangeJournal } from './services/journal.js';
import { createHttpAgent, type UpstreamObserver } from '../providers/http.js';
import { randomUUID } from 'node:crypto';
import type { Resolver } from './detection/resolver.js';
import type { LimitFunction } from 'p-limit';
import { createWatchService, type WatchService } from './services/watches.js';
import { createWatchEventBus } from './services/watch-events.js';
import { createWebhookSender } from './services/webhooks.js';
import { createLoop, type Loop } from './services/scheduler.js';
import { createProviderRegistry, type ProviderRegistry } from '../providers/registry.js';
import { createGuardedAgent } from './domain-connect/http.js';
import { createDomainConnectService, type DomainConnectService } from './domain-connect/service.js';


export interface Services {
  readonly config: Config;
  readonly logger: Logger;
  readonly store: Store;
  readonly auth: AuthService;
  readonly rateLimiter: RateLimiter;
  readonly authFailures: ReturnType<typeof createAuthFailureThrottle>;
  readonly detector: ReturnType<typeof createProviderDetector>;
  readonly dns: DnsService;
  readonly verify: VerifyService;
  readonly watches: WatchService;
  /** The Prometheus recorder; `NO_METRICS` (does nothing) unless METRICS_TOKEN or METRICS_PORT is set. */
  readonly metrics: Metrics;
  /** This process's id: the prefix of its watch and webhook leases. */
  readonly instanceId: string;
  /**
   * Starts the scheduler loops (due watch checks; webhook deliveries) when WATCH_SCHEDULER is on. `serve` starts
   * it once the server listens; tests that do not test watches leave it off.
   */
  startScheduler(): void;
  /**
   * The first step of a shutdown: stops the scheduler (waiting for the round in progress) and ends every live
   * subscription, so that their connections close and the server can drain. Idempotent; `close` calls it too.
   */
  stopBackground(): Promise<void>;
  readonly domainConnect: DomainConnectService;
  /** Tells the services where the server listens (the default PUBLIC_URL when PORT is 0). */
  setListeningUrl(url: string): void;
  /** The key created on the very first start (empty database), to be printed once; null otherwise. */
  readonly initialApiKey: string | null;
  /** Whether the database (and Redis, when configured) answer now, for /readyz. */
  ready(): Promise<Readiness>;
  /** Releases zone locks still held, then disconnects Redis, the upstream pool and the database. */
  close(): Promise<void>;
}

export interface Readiness {
  readonly ready: boolean;
  readonly database: 'ok' | 'unavailable';
  /** Absent without REDIS_URL. */
  readonly redis?: 'ok' | 'unavailable';
}

/** How long /readyz waits for each dependency before calling it unavailable. */
const READY_CHECK_TIMEOUT_MS = 2000;

export interface ServiceOverrides {
  readonly logger?: Logger;
  readonly providers?: (deps: { dispatcher: Dispatcher; store: Store; onCall?: UpstreamObserver }) => ProviderRegistry;
  /** Wraps the watch service (a test that records or fails the watches a command starts). */
  readonly watches?: (service: WatchService) => WatchService;
}

export async function createServices(config: Config, overrides: ServiceOverrides = {}): Promise<Services> {
  const logger = overrides.logger ?? createLogger({ level: config.LOG_LEVEL });
  // Templates first: a broken template or a missing variable must stop start-up before anything is opened.
  const templates = await loadTemplates({ dir: config.RECORD_TEMPLATES_DIR });
  checkVariables(templates, config.templateVariables);
  if (config.domainConnect.notice) logger.warn(config.domainConnect.notice);
  for (const name of config.demoDefaults) {
    logger.warn({ variable: name }, `${name} is not set: using a placeholder (set it before real use; required in production)`);
  }

  const store = await openStore(config.DATABASE_URL);
  // Several instances share state only through these: PostgreSQL (the store) and Redis (budgets and zone locks).
  const redis = config.REDIS_URL ? await connectRedis(config.REDIS_URL, logger).catch(async (error: unknown) => {
    await store.close();
    throw error;
  }) : null;
  const metrics = metricsEnabled(config)
    ? createMetrics({ commands: Object.keys(router), watchesByState: () => store.countWatchesByState() })
    : NO_METRICS;
  const lock = await createZoneLock(config, redis, logger);
  const zoneLock = metrics.enabled ? observeLockWaits(lock, metrics.zoneLockWait) : lock;
  const dispatcher = createHttpAgent({
    connectTimeoutMs: config.PROVIDER_CONNECT_TIMEOUT_MS,
    headersTimeoutMs: config.PROVIDER_HEADERS_TIMEOUT_MS,
    bodyTimeoutMs: config.PROVIDER_BODY_TIMEOUT_MS,
  });
  const resolver = createResolver({ servers: config.DNS_RESOLVERS, timeoutMs: config.DNS_TIMEOUT_MS });
  const providers = (overrides.providers ?? ((deps) => createProviderRegistry(config, deps)))({ dispatcher, store, ...(metrics.enabled ? { onCall: metrics.upstreamCall } : {}) });
  const initialApiKey = await ensureInitialAdminKey(store);
  const txtLookup = sharedTxtLookupVia(resolver);
  const resolveTxt = copiedTxt(txtLookup);
  // One bound on every DNS question verification asks (authoritative and recursive), shared by dns.verify and every
  // watch check, so that a thousand due watches never open a thousand sockets.
  const verifyLimit = pLimit(config.VERIFY_CONCURRENCY);
  const verify = createVerifyService({
    templates,
    templateVariables: config.templateVariables,
    recursive: limitedResolver(resolver, verifyLimit),
    authoritative: createAuthoritativeClient({
      recursive: resolver,
      port: config.DNS_AUTHORITATIVE_PORT,
      timeoutMs: config.DNS_AUTHORITATIVE_TIMEOUT_MS,
      limit: verifyLimit,
      allowPrivate: config.DNS_AUTHORITATIVE_ALLOW_PRIVATE,
    }),
    countSpfLookups: (record) => countSpfLookups(record, (name) => verifyLimit(() => resolveTxt(name))),
    logger,
  });

  const instanceId = randomUUID();
  const leaseMs = config.WATCH_LEASE_SECONDS * 1000;
  const events = createWatchEventBus({ redis, keyPrefix: config.REDIS_KEY_PREFIX, logger });
  // Late-bound: the loops are made below, and the watch service wakes them.
  const loops: { watches?: Loop; webhooks?: Loop } = {};
  const webhooks =
    config.WEBHOOK_URL && config.WEBHOOK_SECRET
      ? createWebhookSender({
          store,
          url: config.WEBHOOK_URL,
          secret: config.WEBHOOK_SECRET,
          firstRetryMs: config.WEBHOOK_FIRST_RETRY_SECONDS * 1000,
          retryWindowMs: config.WEBHOOK_RETRY_HOURS * 3_600_000,
          timeoutMs: config.WEBHOOK_TIMEOUT_SECONDS * 1000,
          // A lease outlives any attempt, so a slow receiver never gets the same event from two instances at once.
          leaseMs: Math.max(leaseMs, config.WEBHOOK_TIMEOUT_SECONDS * 3000),
          instanceId,
          logger,
          onOutcome: metrics.enabled ? metrics.webhookDelivery : undefined,
        })
      : null;
  const watches = (overrides.watches ?? ((service: WatchService) => service))(createWatchService({
    store,
    verify,
    events,
    logger,
    timings: {
      firstCheckMs: config.VERIFY_FIRST_CHECK_SECONDS * 1000,
      maxIntervalMs: config.VERIFY_MAX_INTERVAL_SECONDS * 1000,
      watchMs: config.VERIFY_WATCH_HOURS * 3_600_000,
      recheckMs: config.VERIFY_RECHECK_HOURS * 3_600_000,
    },
    webhooks: webhooks !== null,
    instanceId,
    leaseMs,
    onScheduled: (at) => loops.watches?.wake(at),
    onEventQueued: () => loops.webhooks?.wake(),
  }));
  const batch = config.WATCH_BATCH_SIZE;
  const pollMs = config.WATCH_POLL_SECONDS * 1000;
  let stopping: Promise<void> | undefined;
  const stopBackground = (): Promise<void> =>
    (stopping ??= (async () => {
      watches.endFeeds();
      await Promise.all([loops.watches?.stop(), loops.webhooks?.stop()]);
      // What this instance had claimed and not finished goes back to the pool at once, not after the lease.
      await store.releaseClaims(`${instanceId}/`).catch((error: unknown) => logger.warn({ err: error }, 'could not release watch and webhook leases'));
    })());
  // Domain Connect follows hosts that DNS data names: its own agent, resolving through DNS_RESOLVERS and refusing
  // non-public addresses at connect time (src/domain-connect/http.ts).
  const domainConnectAgent = createGuardedAgent({
    resolver,
    allowPrivate: config.domainConnect.allowPrivate,
    connectTimeoutMs: config.PROVIDER_CONNECT_TIMEOUT_MS,
    headersTimeoutMs: config.PROVIDER_HEADERS_TIMEOUT_MS,
    bodyTimeoutMs: config.PROVIDER_BODY_TIMEOUT_MS,
  });
  const journal = createChangeJournal({ store });
  // The OAuth callback's address: PUBLIC_URL, else where the server listens (known once it does: setListeningUrl).
  let listeningUrl = `http://${config.HOST.includes(':') ? `[${config.HOST}]` : config.HOST}:${config.PORT}`;
  let domainConnect: DomainConnectService;
  try {
    domainConnect = createDomainConnectService({
      settings: config.domainConnect,
      templates,
      templateVariables: config.templateVariables,
      resolver,
      dispatcher: domainConnectAgent,
      logger,
      store,
      journal,
      publicUrl: () => config.PUBLIC_URL ?? listeningUrl,
      applyTimeoutMs: config.PROVIDER_DEADLINE_MS,
    });
  } catch (error) {
    await Promise.all([store.close(), dispatcher.close(), domainConnectAgent.close(), zoneLock.close()]);
    await redis?.quit().catch(() => redis.disconnect());
    throw error;
  }

  return {
    config,
    logger,
    store,
    initialApiKey,
    domainConnect,
    setListeningUrl(url: string) {
      listeningUrl = url;
    },
    auth: createAuthService({ store, sessionIdleMinutes: config.SESSION_IDLE_MINUTES, keyCacheSeconds: config.AUTH_KEY_CACHE_SECONDS }),
    rateLimiter: createRateLimiter({
      max: config.RATE_LIMIT_MAX,
      windowSeconds: config.RATE_LIMIT_WINDOW_SECONDS,
      ...(redis ? { store: createRedisRateLimitStore({ redis, keyPrefix: `${config.REDIS_KEY_PREFIX}rl:requests:` }) } : {}),
    }),
    authFailures: createAuthFailureThrottle({
      limitPerMinute: config.AUTH_FAILURE_LIMIT,
      ...(redis ? { store: createRedisRateLimitStore({ redis, keyPrefix: `${config.REDIS_KEY_PREFIX}rl:auth-failures:` }) } : {}),
    }),
    detector: createProviderDetector({ resolver }),
    dns: createDnsService({
      providers,
      templates,
      templateVariables: config.templateVariables,
      countSpfLookups: spfLookupCounter(txtLookup),
      zoneLock,
      journal,
      logger,
    }),
    verify,
    watches,
    metrics,
    instanceId,
    startScheduler() {
      if (!config.WATCH_SCHEDULER || stopping || loops.watches) return;
      loops.watches = createLoop({ name: 'watches', pollMs, logger, run: async () => (await watches.runDue(batch)) >= batch });
      if (webhooks) loops.webhooks = createLoop({ name: 'webhooks', pollMs, logger, run: async () => (await webhooks.deliverDue(batch)) >= batch });
      loops.watches.start();
      loops.webhooks?.start();
    },
    stopBackground,
    async ready() {
      const database = await withinTimeout(store.ping());
      const redisUp = redis ? await withinTimeout(redis.ping()) : undefined;
      return {
        ready: database && redisUp !== false,
        database: database ? 'ok' : 'unavailable',
        ...(redisUp === undefined ? {} : { redis: redisUp ? 'ok' : 'unavailable' }),
      };
    },
    async close() {
      await stopBackground();
      await events.close();
      await webhooks?.close();
      await zoneLock.close();
      await redis?.quit().catch(() => redis.disconnect());
      await dispatcher.close();
      await domainConnectAgent.close();
      await store.close();
    },
  };
}

/** Connects before start-up goes on, so a wrong REDIS_URL stops the service instead of failing every request. */
async function connectRedis(url: string, logger: Logger): Promise<Redis> {
  // Loaded only when configured: a single instance does not pay for the client at start-up.
  const { Redis } = await import('ioredis');
  const redis = new Redis(url, {
    lazyConnect: true,
    // RESP2: the replies' shapes do not depend on the server's version.
    protocol: 2,
    connectTimeout: 5000,
    // A request fails fast while Redis is down (its rate-limit check cannot be made) instead of queueing forever.
    maxRetriesPerRequest: 1,
  });
  let lastReported = '';
  redis.on('error', (error: Error) => {
    // ioredis emits on every reconnect attempt; one line per distinct failure is enough. Never the URL (password).
    if (error.message !== lastReported) logger.warn({ err: { message: error.message } }, 'redis connection problem');
    lastReported = error.message;
  });
  redis.on('ready', () => {
    lastReported = '';
  });
  try {
    await redis.connect();
  } catch (error) {
    redis.disconnect();
    throw new Error(`REDIS_URL: cannot connect to Redis (${error instanceof Error ? error.message : 'unknown error'})`, { cause: error });
  }
  return redis;
}

/** Redis lock when Redis is configured; else PostgreSQL advisory locks on a PostgreSQL database; else in-process. */
async function createZoneLock(config: Config, redis: Redis | null, logger: Logger): Promise<ZoneLock> {
  const onProblem = (message: string, error?: unknown) =>
    logger.warn(error instanceof Error ? { err: { message: error.message } } : {}, message);
  if (redis) {
    return createRedisZoneLock({ redis, keyPrefix: `${config.REDIS_KEY_PREFIX}lock:`, ttlMs: config.LOCK_TTL_MS, waitMs: config.LOCK_WAIT_MS, onProblem });
  }
  if (config.DATABASE_URL.kind === 'postgres') {
    // A pool of its own: each held lock pins a connection for the whole command.
    const { default: pg } = await import('pg');
    const pool = new pg.Pool({ connectionString: config.DATABASE_URL.url, max: 20, application_name: 'dns-gateway-locks' });
    pool.on('error', () => undefined);
    return createPostgresZoneLock({ pool, waitMs: config.LOCK_WAIT_MS, onProblem });
  }
  return createInProcessZoneLock();
}

/** The resolver with each question under `limit` (verification's recursive view, DKIM keys). */
function limitedResolver(resolver: Resolver, limit: LimitFunction): Resolver {
  return {
    query: (name, type) => limit(() => resolver.query(name, type)),
    resolveTxt: (name) => limit(() => resolver.resolveTxt(name)),
    resolveNs: (name) => limit(() => resolver.resolveNs(name)),
  };
}

/** True when `check` settles fulfilled within READY_CHECK_TIMEOUT_MS. */
async function withinTimeout(check: Promise<unknown>): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(false), READY_CHECK_TIMEOUT_MS);
  });
  try {
    return await Promise.race([check.then(() => true, () => false), timeout]);
  } finally {
    clearTimeout(timer);
  }
}
