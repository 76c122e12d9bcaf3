/**
 * The config schema: every environment variable the service reads, its default and its validation, in one place.
 * `loadConfig(process.env)` runs at start-up and fails with one clear message naming every bad variable.
 */
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import path from 'node:path';
import type { KeyObject } from 'node:crypto';
import { z } from 'zod';
import { parseSigningKey, SigningKeyError } from './domain-connect/keys.js';

const flag = (defaultValue: boolean) =>
  z
    .enum(['true', 'false', '1', '0', 'yes', 'no'], { error: 'expected true or false' })
    .optional()
    .transform((v) => (v === undefined ? defaultValue : v === 'true' || v === '1' || v === 'yes'));

const positiveInt = (defaultValue: number, max = 1_000_000_000) =>
  z.coerce.number({ error: 'expected a number' }).int('expected a whole number').min(1).max(max).default(defaultValue);

/**
 * A duration in the unit its name says (seconds or hours), fractions allowed, so that a test can run a whole watch or
 * a whole retry schedule in seconds. `min` is inclusive.
 */
const duration = (defaultValue: number, { min, max }: { min: number; max: number }) =>
  z.coerce.number({ error: 'expected a number' }).min(min, `expected at least ${min}`).max(max, `expected at most ${max}`).default(defaultValue);

/**
 * A Standard Webhooks signing secret: `whsec_` and the base64 of 24 to 64 random bytes (the specification's range).
 * Messages name the rule, never the value.
 */
const webhookSecret = z
  .string()
  .optional()
  .transform((value, ctx) => {
    if (value === undefined || value.trim() === '') return undefined;
    const body = value.startsWith('whsec_') ? value.slice('whsec_'.length) : null;
    const bytes = body !== null && /^[A-Za-z0-9+/]+={0,2}$/.test(body) && body.length % 4 === 0 ? Buffer.from(body, 'base64').length : 0;
    if (body === null || bytes < 24 || bytes > 64) {
      ctx.addIssue({ code: 'custom', message: 'expected whsec_ followed by the base64 of 24 to 64 random bytes (e.g. whsec_$(openssl rand -base64 32))' });
      return z.NEVER;
    }
    return value;
  });

const httpUrl = (defaultValue: string) =>
  z
    .url({ protocol: /^https?$/, error: 'expected an http(s) URL' })
    .default(defaultValue)
    .transform((u) => u.replace(/\/+$/, ''));

/** `ip` or `ip:port` (`[v6]:port` for IPv6), the form `dns.Resolver#setServers` accepts. */
const resolverList = z
  .string()
  .optional()
  .transform((value, ctx) => {
    if (!value || value.trim() === '') return [] as string[];
    const servers = value.split(',').map((s) => s.trim()).filter(Boolean);
    for (const server of servers) {
      const m = /^\[([^\]]+)\](?::(\d+))?$/.exec(server) ?? /^([^:]+)(?::(\d+))?$/.exec(server);
      const host = m?.[1] ?? server;
      const port = m?.[2] ? Number(m[2]) : 53;
      if (!isIP(host) || port < 1 || port > 65535) {
        ctx.addIssue({ code: 'custom', message: `"${server}" is not ip[:port]` });
      }
    }
    return servers;
  });

const databaseUrl = z
  .string()
  .optional()
  .transform((value, ctx) => {
    const url = value && value.trim() !== '' ? value.trim() : `sqlite:${path.join('data', 'dns-gateway.db')}`;
    if (url.startsWith('sqlite:')) return { kind: 'sqlite' as const, path: url.slice('sqlite:'.length) || ':memory:', url };
    if (/^postgres(ql)?:\/\//.test(url)) return { kind: 'postgres' as const, url };
    ctx.addIssue({ code: 'custom', message: 'expected sqlite:<path> or postgres://…' });
    return z.NEVER;
  });

const HOST_NAME = /^(?=.{1,253}$)(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/;

/** A comma list of host names, without white space (dc-template-linter DCTL1026). */
const hostList = z
  .string()
  .optional()
  .transform((value, ctx) => {
    if (value === undefined || value.trim() === '') return [] as string[];
    const hosts = value.split(',').map((h) => h.trim().toLowerCase().replace(/\.$/, ''));
    for (const host of hosts) if (!HOST_NAME.test(host)) ctx.addIssue({ code: 'custom', message: `"${host.slice(0, 80)}" is not a host name` });
    return hosts;
  });

export interface OAuthClient {
  readonly clientId: string;
  readonly clientSecret: string;
  /** The DNS provider's urlAPI, without a trailing slash. */
  readonly apiUrl: string;
}

const oauthClientSchema = z.strictObject({
  clientId: z.string().min(1).max(512),
  clientSecret: z.string().min(1).max(4096),
  apiUrl: z.url({ protocol: /^https?$/ }).transform((u) => u.replace(/\/+$/, '')),
});

/** JSON; a parse error names the variable and the entry, never the text (it holds secrets). */
const oauthClients = z
  .string()
  .optional()
  .transform((value, ctx): Record<string, OAuthClient> => {
    if (value === undefined || value.trim() === '') return {};
    let json: unknown;
    try {
      json = JSON.parse(value);
    } catch {
      ctx.addIssue({ code: 'custom', message: 'not valid JSON' });
      return z.NEVER;
    }
    if (json === null || typeof json !== 'object' || Array.isArray(json)) {
      ctx.addIssue({ code: 'custom', message: 'expected a JSON object keyed by providerId' });
      return z.NEVER;
    }
    const out: Record<string, OAuthClient> = {};
    for (const [providerId, entry] of Object.entries(json)) {
      const parsed = oauthClientSchema.safeParse(entry);
      if (!parsed.success) {
        const fields = [...new Set(parsed.error.issues.map((i) => i.path.join('.') || 'entry'))];
        ctx.addIssue({ code: 'custom', message: `entry ${JSON.stringify(providerId.slice(0, 64))}: expected {clientId, clientSecret, apiUrl} (check ${fields.join(', ')})` });
        continue;
      }
      out[providerId] = parsed.data;
    }
    return out;
  });

/** The placeholder master sending domain used outside production when none is configured (RFC 2606 name). */
export const DEMO_MASTER_DOMAIN = 'sender.example.net';

const portNumber = z.coerce.number({ error: 'expected a port number' }).int().min(0).max(65535);

const nodeEnv = z.enum(['development', 'production', 'test']).default('development');

export const configSchema = z
  .object({
    NODE_ENV: nodeEnv,
    PORT: portNumber.default(4000),
    HOST: z.string().min(1).default('127.0.0.1'),
    /**
     * Turns `GET /metrics` (Prometheus text format) on, behind `Authorization: Bearer <METRICS_TOKEN>` (also on
     * METRICS_PORT when both are set). At least 16 characters; never logged. Neither this nor METRICS_PORT set: no
     * metrics are kept and /metrics is 404.
     */
    METRICS_TOKEN: z.string().min(16, 'expected at least 16 characters').optional(),
    /**
     * Serves `GET /metrics` on a listener of its own on this port (on HOST), and not on PORT: for a scraper on a
     * private network. `0` = any free port.
     */
    METRICS_PORT: portNumber.optional(),
    DATABASE_URL: databaseUrl,
    REDIS_URL: z.string().regex(/^rediss?:\/\//, 'expected redis://…').optional(),
    /**
     * Prefix of every Redis key this service writes (rate-limit windows, zone locks), so that several deployments
     * (or test runs) can share one Redis. Instances that must share budgets and locks need the same prefix.
     * @default 'dnsgw:'
     */
    REDIS_KEY_PREFIX: z.string().min(1).max(100).default('dnsgw:'),
    /**
     * Lifetime of a distributed zone lock (Redis) between renewals; the holder renews it every third of this. A
     * crashed instance's lock frees itself after at most this long.
     * @default 15000
     */
    LOCK_TTL_MS: positiveInt(15_000, 600_000),
    /**
     * How long a command waits for another instance's (or request's) lock on the same zone before failing.
     * @default 60000
     */
    LOCK_WAIT_MS: positiveInt(60_000, 3_600_000),
    /**
     * On SIGTERM/SIGINT, how long in-flight requests get to finish before their connections are cut.
     * @default 30000
     */
    SHUTDOWN_GRACE_MS: positiveInt(30_000, 600_000),
    DNS_RESOLVERS: resolverList,
    /** Per-query DNS timeout; the whole detection is bounded by twice this per server tried. */
    DNS_TIMEOUT_MS: positiveInt(2000, 60_000),
    /**
     * Port a zone's authoritative name servers are asked on by dns.verify (tests run several on loopback addresses).
     * @default 53
     */
    DNS_AUTHORITATIVE_PORT: positiveInt(53, 65_535),
    /** Per-question timeout when asking an authoritative server directly (TCP retry of a truncated answer included). */
    DNS_AUTHORITATIVE_TIMEOUT_MS: positiveInt(1500, 60_000),
    /**
     * Let dns.verify ask name servers whose addresses are not public (loopback, private ranges). NS records are the
     * customer's data: off, they cannot make the gateway send packets into the operator's network. Tests only.
     * @default false
     */
    DNS_AUTHORITATIVE_ALLOW_PRIVATE: flag(false),
    /** DNS questions verification keeps in flight at once, across every check (so many due watches never open as many sockets). */
    VERIFY_CONCURRENCY: positiveInt(32, 10_000),
    /**
     * A watch's first check comes this long after an applied dns.set (dns.watch checks at once); each later check of
     * a PENDING or BROKEN watch waits twice as long as the one before, up to VERIFY_MAX_INTERVAL_SECONDS.
     * @default 15
     */
    VERIFY_FIRST_CHECK_SECONDS: duration(15, { min: 0.01, max: 86_400 }),
    /** The longest wait between two checks of a PENDING or BROKEN watch. @default 1800 */
    VERIFY_MAX_INTERVAL_SECONDS: duration(1800, { min: 0.01, max: 7 * 86_400 }),
    /** How long a PENDING (or BROKEN) watch is checked before it is EXPIRED. @default 72 */
    VERIFY_WATCH_HOURS: duration(72, { min: 0.0001, max: 24 * 365 }),
    /** A READY watch is checked again this often, and becomes BROKEN when a record broke; 0 = never. @default 24 */
    VERIFY_RECHECK_HOURS: duration(24, { min: 0, max: 24 * 365 }),
    /**
     * Run this instance's scheduler: due watch checks and webhook deliveries. Every instance may run it (each due
     * watch and each delivery is claimed by one instance at a time); tests switch it off unless they test it.
     * @default true
     */
    WATCH_SCHEDULER: flag(true),
    /** How often the scheduler looks for due watches and deliveries (it also wakes for checks this instance scheduled). @default 5 */
    WATCH_POLL_SECONDS: duration(5, { min: 0.01, max: 3600 }),
    /** Most watches (and webhook deliveries) one instance claims per round; a full round is followed by another at once. @default 100 */
    WATCH_BATCH_SIZE: positiveInt(100, 10_000),
    /**
     * How long a claimed watch check or delivery belongs to the instance that claimed it. Released at once when it is
     * done (or on shutdown); a crashed instance's claims pass to another instance after this long.
     * @default 300
     */
    WATCH_LEASE_SECONDS: duration(300, { min: 1, max: 86_400 }),
    /**
     * Where watch state changes (dns.records.ready, dns.records.expired, dns.records.broken) are POSTed, signed per
     * Standard Webhooks with WEBHOOK_SECRET. Operator configuration: never caller input. Unset: no webhooks.
     */
    WEBHOOK_URL: z.url({ protocol: /^https?$/, error: 'expected an http(s) URL' }).optional(),
    /** `whsec_…`: the Standard Webhooks signing secret (base64, 24–64 bytes). Required with WEBHOOK_URL; never logged. */
    WEBHOOK_SECRET: webhookSecret,
    /** The first retry of a failed delivery comes this long after it; each next one twice as long after (at most an hour). @default 30 */
    WEBHOOK_FIRST_RETRY_SECONDS: duration(30, { min: 0.01, max: 86_400 }),
    /** A delivery is retried until this long after the event, then given up (and recorded as such). @default 24 */
    WEBHOOK_RETRY_HOURS: duration(24, { min: 0.0001, max: 24 * 30 }),
    /** One delivery attempt (connect, headers and body) must end within this; a timeout counts as a failure. @default 10 */
    WEBHOOK_TIMEOUT_SECONDS: duration(10, { min: 0.01, max: 300 }),
    CLOUDFLARE_API_URL: httpUrl('https://api.cloudflare.com/client/v4'),
    GODADDY_API_URL: httpUrl('https://api.godaddy.com'),
    NAMECHEAP_API_URL: httpUrl('https://api.namecheap.com/xml.response'),
    /** Base URLs of the other providers' APIs (tests point them at loopback fakes). */
    ROUTE53_API_URL: httpUrl('https://route53.amazonaws.com'),
    GOOGLE_DNS_API_URL: httpUrl('https://dns.googleapis.com/dns/v1'),
    /** Where Google access tokens are granted. Never taken from a customer's key file (its `token_uri`). */
    GOOGLE_OAUTH_TOKEN_URL: httpUrl('https://oauth2.googleapis.com/token'),
    AZURE_API_URL: httpUrl('https://management.azure.com'),
    AZURE_AUTHORITY_URL: httpUrl('https://login.microsoftonline.com'),
    DIGITALOCEAN_API_URL: httpUrl('https://api.digitalocean.com/v2'),
    LINODE_API_URL: httpUrl('https://api.linode.com/v4'),
    VULTR_API_URL: httpUrl('https://api.vultr.com/v2'),
    HETZNER_API_URL: httpUrl('https://api.hetzner.cloud/v1'),
    IONOS_API_URL: httpUrl('https://api.hosting.ionos.com/dns'),
    /** Overrides the region's endpoint (the `Username` credential chooses ovh-eu, ovh-ca or ovh-us) when set. */
    OVH_API_URL: z.url({ protocol: /^https?$/, error: 'expected an http(s) URL' }).optional().transform((u) => u?.replace(/\/+$/, '')),
    PORKBUN_API_URL: httpUrl('https://api.porkbun.com/api/json/v3'),
    GANDI_API_URL: httpUrl('https://api.gandi.net/v5/livedns'),
    DNSIMPLE_API_URL: httpUrl('https://api.dnsimple.com/v2'),
    NAMECOM_API_URL: httpUrl('https://api.name.com'),
    HOSTINGER_API_URL: httpUrl('https://developers.hostinger.com'),
    NAMECHEAP_CLIENT_IP: z
      .string()
      .refine((v) => isIP(v) === 4, 'expected the IPv4 address Namecheap has whitelisted')
      .optional(),
    /** Overall deadline of one provider command (all its calls and retries). */
    PROVIDER_DEADLINE_MS: positiveInt(30_000, 600_000),
    /**
     * Upstream socket timeouts of the provider HTTP agent (providers/http.ts `createHttpAgent`): TCP connect, time to
     * the response headers, and the longest pause between body chunks. Each attempt is also cut at a share of
     * PROVIDER_DEADLINE_MS, so these only matter when they are shorter.
     * @default 5000, 15000, 30000
     */
    PROVIDER_CONNECT_TIMEOUT_MS: positiveInt(5_000, 600_000),
    PROVIDER_HEADERS_TIMEOUT_MS: positiveInt(15_000, 600_000),
    PROVIDER_BODY_TIMEOUT_MS: positiveInt(30_000, 600_000),
    SANDBOX_PROVIDER: z.enum(['true', 'false', '1', '0']).optional(),
    RECORD_TEMPLATES_DIR: z.string().min(1).optional(),
    MAIL_MASTER_DOMAIN: z.string().min(1).optional(),
    MAIL_SUBDOMAIN: z.string().min(1).default('sl'),
    MAIL_DKIM_SELECTOR: z.string().min(1).default('key1'),
    MAIL_TRACK_PREFIX: z.string().min(1).default('track'),
    MAIL_SPF_INCLUDE: z.string().min(1).optional(),
    MAIL_DMARC_RUA: z.string().min(1).optional(),
    RATE_LIMIT_MAX: positiveInt(100),
    RATE_LIMIT_WINDOW_SECONDS: positiveInt(60, 86_400),
    AUTH_FAILURE_LIMIT: positiveInt(30),
    /** An authenticated API key is trusted this long without a database read; a revoked key stops within it. */
    AUTH_KEY_CACHE_SECONDS: z.coerce.number({ error: 'expected a number' }).int().min(0).max(300).default(5),
    /** Sessions expire after this much inactivity. */
    SESSION_IDLE_MINUTES: positiveInt(30, 7 * 24 * 60),
    /** Largest accepted request body. */
    MAX_BODY_BYTES: positiveInt(1024 * 1024, 64 * 1024 * 1024),
    /**
     * The GraphQL fast path compiles a document with graphql-jit on its Nth use (0: never), and from then on
     * runs the compiled function instead of the generic executor (src/graphql/fast-path.ts).
     */
    GRAPHQL_COMPILE_AFTER: z.coerce.number({ error: 'expected a number' }).int().min(0).max(1_000_000).default(10),
    /**
     * The address browsers reach this service at, for the Domain Connect OAuth callback
     * (`<PUBLIC_URL>/domain-connect/callback`).
     * @default http://<HOST>:<the listening port>
     */
    PUBLIC_URL: z.url({ protocol: /^https?$/, error: 'expected an http(s) URL' }).optional().transform((u) => u?.replace(/\/+$/, '')),
    /**
     * Our Domain Connect providerId (DC-spec "Template Definition": the service provider's domain, e.g. `mail-platform.example`): the
     * id DNS providers onboard our templates under. Domain Connect is off until this and a signing key are set.
     */
    DOMAIN_CONNECT_PROVIDER_ID: z
      .string()
      .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, 'expected an id of letters, digits, ".", "_" and "-" (at most 64), usually your domain')
      .optional(),
    /** The name DNS providers show on their consent screen. @default the templates' providerName */
    DOMAIN_CONNECT_PROVIDER_NAME: z.string().min(1).max(64).optional(),
    /** The RSA private key (PEM, at least 2048 bits) that signs synchronous apply URLs. Or DOMAIN_CONNECT_PRIVATE_KEY_FILE. */
    DOMAIN_CONNECT_PRIVATE_KEY: z.string().min(1).optional(),
    /** A file holding DOMAIN_CONNECT_PRIVATE_KEY (`dns-gateway domain-connect keygen` writes one). */
    DOMAIN_CONNECT_PRIVATE_KEY_FILE: z.string().min(1).optional(),
    /**
     * The TXT host of the public key under DOMAIN_CONNECT_SYNC_PUBKEY_DOMAIN (the `key=` of a signed URL; a new host
     * per key allows rotation).
     * @default '_dck1'
     */
    DOMAIN_CONNECT_KEY_HOST: z
      .string()
      .regex(/^[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?(?:\.[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?)*$/, 'expected a DNS label such as _dck1')
      .default('_dck1'),
    /**
     * The domain that holds the public key (the templates' `syncPubKeyDomain`).
     * @default DOMAIN_CONNECT_PROVIDER_ID
     */
    DOMAIN_CONNECT_SYNC_PUBKEY_DOMAIN: z.string().regex(HOST_NAME, 'expected a host name').optional(),
    /** Comma list of host names a synchronous RedirectURI may point at (the templates' `syncRedirectDomain`). */
    DOMAIN_CONNECT_SYNC_REDIRECT_DOMAIN: hostList,
    /**
     * Where a DNS provider's Domain Connect settings are read (DC-spec "DNS Provider Discovery"): `{host}` is the `_domainconnect` TXT
     * value, `{domain}` the registrable domain. Tests point it at a loopback fake.
     * @default 'https://{host}/v2/{domain}/settings'
     */
    DOMAIN_CONNECT_SETTINGS_URL: z
      .string()
      .default('https://{host}/v2/{domain}/settings')
      .refine((v) => v.includes('{host}') && v.includes('{domain}'), 'must contain {host} and {domain}')
      .refine((v) => {
        try {
          return /^https?:$/.test(new URL(v.replaceAll('{host}', 'provider.example').replaceAll('{domain}', 'example.com')).protocol);
        } catch {
          return false;
        }
      }, 'expected an http(s) URL pattern'),
    /**
     * Let Domain Connect connect to IP literals, localhost and names resolving to non-public addresses. The
     * `_domainconnect` TXT record is the domain owner's data: off, it cannot point the gateway into the operator's
     * network. Tests only.
     * @default false
     */
    DOMAIN_CONNECT_ALLOW_PRIVATE: flag(false),
    /** Discovery (the TXT lookup, the settings, the template probes) gives up after this long: "not available". */
    DOMAIN_CONNECT_TIMEOUT_MS: positiveInt(10_000, 120_000),
    /** How long a domain's discovery is remembered. @default 300 */
    DOMAIN_CONNECT_CACHE_SECONDS: z.coerce.number({ error: 'expected a number' }).int().min(0).max(86_400).default(300),
    /**
     * OAuth clients for the asynchronous flow, JSON keyed by the DNS provider's providerId:
     * `{"<providerId>":{"clientId":"…","clientSecret":"…","apiUrl":"https://…"}}`. `apiUrl` is the provider's urlAPI,
     * kept here rather than taken from discovery, as DC-spec "OAuth Flow: Requesting an Access Token" asks (a forged settings answer must not receive the
     * secret).
     */
    DOMAIN_CONNECT_OAUTH_CLIENTS: oauthClients,
    /** 32 bytes in base64: the AES-256-GCM key that encrypts stored OAuth tokens. Required with DOMAIN_CONNECT_OAUTH_CLIENTS. */
    DOMAIN_CONNECT_TOKEN_KEY: z
      .string()
      .optional()
      .refine((v) => v === undefined || /^[A-Za-z0-9+/]+={0,2}$/.test(v.trim()) && Buffer.from(v.trim(), 'base64').length === 32, 'expected 32 bytes in base64 (openssl rand -base64 32)'),
    LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    /** Print the first-start admin key (on by default; tests switch it off to keep output quiet). */
    PRINT_INITIAL_KEY: flag(true),
  })
  .superRefine((env, ctx) => {
    if ((env.WEBHOOK_URL === undefined) !== (env.WEBHOOK_SECRET === undefined)) {
      ctx.addIssue({ code: 'custom', path: [env.WEBHOOK_URL === undefined ? 'WEBHOOK_URL' : 'WEBHOOK_SECRET'], message: 'WEBHOOK_URL and WEBHOOK_SECRET are set together or not at all' });
    }
  })
  .transform((env, ctx) => ({
    ...env,
    domainConnect: domainConnectSettings(env, ctx),
    /** The sandbox provider is on by default and off in production, unless said otherwise. */
    sandboxEnabled:
      env.SANDBOX_PROVIDER === undefined ? env.NODE_ENV !== 'production' : env.SANDBOX_PROVIDER === 'true' || env.SANDBOX_PROVIDER === '1',
    /**
     * Outside production a missing MAIL_MASTER_DOMAIN falls back to a documentation domain so that `npm start`
     * works on a fresh machine (with the sandbox provider); start-up warns about it. Production must set it.
     */
    demoDefaults: env.MAIL_MASTER_DOMAIN === undefined && env.NODE_ENV !== 'production' ? ['MAIL_MASTER_DOMAIN'] : [],
    /** Template variables from the operator's config (only those a loaded template uses are required). */
    templateVariables: Object.fromEntries(
      Object.entries({
        MAIL_MASTER_DOMAIN: env.MAIL_MASTER_DOMAIN ?? (env.NODE_ENV !== 'production' ? DEMO_MASTER_DOMAIN : undefined),
        MAIL_SUBDOMAIN: env.MAIL_SUBDOMAIN,
        MAIL_DKIM_SELECTOR: env.MAIL_DKIM_SELECTOR,
        MAIL_TRACK_PREFIX: env.MAIL_TRACK_PREFIX,
        MAIL_SPF_INCLUDE: env.MAIL_SPF_INCLUDE,
        MAIL_DMARC_RUA: env.MAIL_DMARC_RUA,
      }).filter((e): e is [string, string] => e[1] !== undefined),
    ) as Record<string, string>,
  }));

export type Config = z.output<typeof configSchema>;

/** Domain Connect as configured; `enabled` only with a provider id and a valid signing key. */
export interface DomainConnectSettings {
  readonly enabled: boolean;
  /** Why it is off although some of it is configured (a start-up warning), else null. */
  readonly notice: string | null;
  readonly providerId: string | null;
  readonly providerName: string | undefined;
  readonly privateKey: KeyObject | null;
  readonly keyHost: string;
  readonly syncPubKeyDomain: string | null;
  readonly syncRedirectDomains: readonly string[];
  readonly settingsUrl: string;
  readonly allowPrivate: boolean;
  readonly timeoutMs: number;
  readonly cacheSeconds: number;
  readonly oauthClients: Readonly<Record<string, OAuthClient>>;
  /** The AES-256-GCM key for stored tokens, or null. */
  readonly tokenKey: Buffer | null;
}

type DomainConnectEnv = {
  DOMAIN_CONNECT_PROVIDER_ID?: string | undefined;
  DOMAIN_CONNECT_PROVIDER_NAME?: string | undefined;
  DOMAIN_CONNECT_PRIVATE_KEY?: string | undefined;
  DOMAIN_CONNECT_PRIVATE_KEY_FILE?: string | undefined;
  DOMAIN_CONNECT_KEY_HOST: string;
  DOMAIN_CONNECT_SYNC_PUBKEY_DOMAIN?: string | undefined;
  DOMAIN_CONNECT_SYNC_REDIRECT_DOMAIN: string[];
  DOMAIN_CONNECT_SETTINGS_URL: string;
  DOMAIN_CONNECT_ALLOW_PRIVATE: boolean;
  DOMAIN_CONNECT_TIMEOUT_MS: number;
  DOMAIN_CONNECT_CACHE_SECONDS: number;
  DOMAIN_CONNECT_OAUTH_CLIENTS: Record<string, OAuthClient>;
  DOMAIN_CONNECT_TOKEN_KEY?: string | undefined;
};

/**
 * Reads and checks the signing key (a key that is not a valid RSA private key stops start-up, naming the variable and
 * never showing the key), and decides whether Domain Connect is on.
 */
function domainConnectSettings(env: DomainConnectEnv, ctx: z.RefinementCtx): DomainConnectSettings {
  let privateKey: KeyObject | null = null;
  const keyVariable = env.DOMAIN_CONNECT_PRIVATE_KEY !== undefined ? 'DOMAIN_CONNECT_PRIVATE_KEY' : 'DOMAIN_CONNECT_PRIVATE_KEY_FILE';
  if (env.DOMAIN_CONNECT_PRIVATE_KEY !== undefined && env.DOMAIN_CONNECT_PRIVATE_KEY_FILE !== undefined) {
    ctx.addIssue({ code: 'custom', path: ['DOMAIN_CONNECT_PRIVATE_KEY'], message: 'set either DOMAIN_CONNECT_PRIVATE_KEY or DOMAIN_CONNECT_PRIVATE_KEY_FILE, not both' });
  } else if (env.DOMAIN_CONNECT_PRIVATE_KEY !== undefined || env.DOMAIN_CONNECT_PRIVATE_KEY_FILE !== undefined) {
    let pem: string | undefined = env.DOMAIN_CONNECT_PRIVATE_KEY;
    if (pem === undefined) {
      try {
        pem = readFileSync(env.DOMAIN_CONNECT_PRIVATE_KEY_FILE!, 'utf8');
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        ctx.addIssue({ code: 'custom', path: [keyVariable], message: `cannot read the file (${code === 'ENOENT' ? 'not found' : code ?? 'unknown error'})` });
      }
    }
    if (pem !== undefined) {
      try {
        privateKey = parseSigningKey(pem);
      } catch (error) {
        ctx.addIssue({ code: 'custom', path: [keyVariable], message: error instanceof SigningKeyError ? error.message : 'not a valid RSA private key' });
      }
    }
  }
  const clients = env.DOMAIN_CONNECT_OAUTH_CLIENTS;
  if (Object.keys(clients).length > 0 && env.DOMAIN_CONNECT_TOKEN_KEY === undefined) {
    ctx.addIssue({ code: 'custom', path: ['DOMAIN_CONNECT_TOKEN_KEY'], message: 'required with DOMAIN_CONNECT_OAUTH_CLIENTS (32 bytes in base64)' });
  }
  const providerId = env.DOMAIN_CONNECT_PROVIDER_ID ?? null;
  const syncPubKeyDomain = env.DOMAIN_CONNECT_SYNC_PUBKEY_DOMAIN?.toLowerCase() ?? (providerId && HOST_NAME.test(providerId) ? providerId.toLowerCase() : null);
  if (providerId !== null && syncPubKeyDomain === null) {
    ctx.addIssue({ code: 'custom', path: ['DOMAIN_CONNECT_SYNC_PUBKEY_DOMAIN'], message: 'required when DOMAIN_CONNECT_PROVIDER_ID is not a domain name' });
  }
  const enabled = providerId !== null && privateKey !== null && syncPubKeyDomain !== null;
  const notice = enabled
    ? null
    : providerId !== null
      ? 'Domain Connect is off: DOMAIN_CONNECT_PROVIDER_ID is set but no signing key (DOMAIN_CONNECT_PRIVATE_KEY or DOMAIN_CONNECT_PRIVATE_KEY_FILE)'
      : privateKey !== null
        ? 'Domain Connect is off: a signing key is set but no DOMAIN_CONNECT_PROVIDER_ID'
        : null;
  return {
    enabled,
    notice,
    providerId,
    providerName: env.DOMAIN_CONNECT_PROVIDER_NAME,
    privateKey,
    keyHost: env.DOMAIN_CONNECT_KEY_HOST,
    syncPubKeyDomain,
    syncRedirectDomains: env.DOMAIN_CONNECT_SYNC_REDIRECT_DOMAIN,
    settingsUrl: env.DOMAIN_CONNECT_SETTINGS_URL,
    allowPrivate: env.DOMAIN_CONNECT_ALLOW_PRIVATE,
    timeoutMs: env.DOMAIN_CONNECT_TIMEOUT_MS,
    cacheSeconds: env.DOMAIN_CONNECT_CACHE_SECONDS,
    oauthClients: clients,
    tokenKey: env.DOMAIN_CONNECT_TOKEN_KEY !== undefined ? Buffer.from(env.DOMAIN_CONNECT_TOKEN_KEY.trim(), 'base64') : null,
  };
}

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

/** Validates the environment; throws `ConfigError` listing every invalid variable (never its value: it may be a secret). */
export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const result = configSchema.safeParse(env);
  if (result.success) return result.data;
  const lines = result.error.issues.map((issue) => `  ${issue.path.join('.') || '(environment)'}: ${issue.message}`);
  throw new ConfigError(`Invalid configuration:\n${lines.join('\n')}`);
}
