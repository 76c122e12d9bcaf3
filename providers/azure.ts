/**
 * Azure DNS adapter: Azure Resource Manager `Microsoft.Network/dnsZones`, api-version 2018-05-01. Facts and their
 * sources: ../shared/reference/providers-cloud.md §3 (endpoints, traps), §8 (minimal calls), §9 (TXT), §10 (wire
 * examples), §11 (credential check); the REST spec is `Azure/azure-rest-api-specs` path
 * `specification/dns/resource-manager/Microsoft.Network/stable/2018-05-01/dns.json` ("dns.json" below).
 *
 * Credentials (providers/credentials.ts): apiKey = client (application) id, apiSecret = client secret, apiUser =
 * tenant id, username = subscription id. A token comes from the Microsoft identity platform's client-credentials
 * grant and is kept in memory per (tenant, client id, hash of the secret) until shortly before it expires.
 *
 * Calls of a dns.set, token grants aside: `GET …/providers/Microsoft.Network/dnszones` (the zone and its resource
 * group), `GET …/dnsZones/{zone}/recordsets` (one page of up to 100 record sets), then one conditional
 * `PUT …/{TYPE}/{name}` (or `DELETE` when the set ends empty) per changed record set. A PUT replaces the whole record
 * set (§3 trap 1), so it always carries every value read plus the plan's, minus what the plan deletes, with
 * `If-Match: <etag as read>` (an existing set) or `If-None-Match: *` (a new one): a set someone else changed since
 * the read is refused with 412 and never overwritten. There is no multi-set transaction (§3 trap 6).
 */
import { createHash } from 'node:crypto';
import { isIPv4, isIPv6 } from 'node:net';
import { partialApplyError } from './apply-progress.js';
import { REQUIRED_CREDENTIALS } from './credentials.js';
import { redactCredentials } from './redact.js';
import { normaliseDomain } from '../src/domain.js';
import { chunkTxt } from '../src/records/txt.js';
import {
  commandBounds,
  retryAfterSeconds,
  send,
  withAttemptSignal,
  withRetries,
  writeReserveMs,
  type AdapterDeps,
  type CommandBounds,
  type HttpReply,
  type RetryPolicy,
} from './http.js';
import {
  ProviderError,
  type ApplyResult,
  type DesiredRecord,
  type DnsProvider,
  type DnsRecord,
  type ProviderCapabilities,
  type ProviderCredentials,
  type ProviderErrorKind,
  type ProviderSession,
  type RecordChange,
  type Zone,
  type ZoneContents,
} from './types.js';
import { restoredTxtStrings } from './restore.js';

const PROVIDER = 'azure' as const;
export const AZURE_API_VERSION = '2018-05-01';
/**
 * The ARM audience with the v2.0 endpoint's `/.default` suffix (§3 "Auth"; octodns-az asks for
 * `base_url + "/.default"`). Fixed, not derived from AZURE_API_URL: that one may point at a test double.
 */
export const AZURE_ARM_SCOPE = 'https://management.azure.com/.default';

/** `properties.TTL` is an int64 in dns.json; RFC 2181 §8 caps a TTL at 2^31 - 1 [infer: no documented Azure range]. */
export const AZURE_MIN_TTL = 1;
export const AZURE_MAX_TTL = 2_147_483_647;
/** Az.Dns `DnsRecordBase.TxtRecordMaxLength = 1024` [doc]; the terraform provider allows 4096 (§3) but 1024 is safe. */
export const AZURE_MAX_TXT = 1024;

export const AZURE_CAPABILITIES: ProviderCapabilities = {
  // dns.json `RecordType` enum minus SOA (updatable, never created or deleted).
  recordTypes: new Set(['A', 'AAAA', 'CAA', 'CNAME', 'MX', 'NS', 'PTR', 'SRV', 'TXT']),
  minTtl: AZURE_MIN_TTL,
  maxTtl: AZURE_MAX_TTL,
  atomicApply: false,
  // If-Match / If-None-Match: a stale read is refused with 412 (§0, §3 "Errors and throttling").
  guardedWrite: true,
  maxTxtLength: AZURE_MAX_TXT,
  // zones list + one recordsets page; one PUT or DELETE per changed record set (§8, Azure row).
  upstreamCalls: { read: 2, write: { perPlan: 0, perRrset: 1, perRecord: 0 } },
  writes:
    'one conditional `PUT` per changed record set (`If-Match` its etag as read, `If-None-Match: *` when new) carrying every value read and the set\'s metadata; `DELETE` with `If-Match` when it ends empty; TXT as raw 255-byte chunks',
};

export interface AzureAdapterDeps extends AdapterDeps {
  /** AZURE_AUTHORITY_URL: the Microsoft identity platform (`https://login.microsoftonline.com`). */
  readonly authorityUrl: string;
  /** `$top` asked of every list (zones, record sets). dns.json: "If not specified, returns up to 100". @default 100 */
  readonly pageSize?: number;
  /** Tokens kept at most (one per tenant + client + secret). @default 1000 */
  readonly tokenCacheSize?: number;
  /** Clock for token expiry; tests move it. @default Date.now */
  readonly now?: () => number;
}

// ------------------------------------------------------------------------------------------------ wire types

/** A record set as dns.json `RecordSet` has it; `properties` keeps every field as read (metadata, targetResource, …). */
export interface AzureRecordSet {
  readonly id?: string;
  readonly name: string;
  readonly type: string;
  readonly etag?: string;
  readonly properties: Readonly<Record<string, unknown>>;
}

/** `DnsRecord.raw` of an Azure record: its record set exactly as read (etag included) and its place in it. */
export interface AzureRecordRaw {
  readonly recordSet: AzureRecordSet;
  readonly index: number;
}

/** `ZoneContents.adapterState`: every record set as read, empty ones (an alias, a bare set) included. */
export interface AzureZoneState {
  readonly sets: ReadonlyMap<string, AzureRecordSet>;
}

interface RecordKind {
  /** The `properties` field holding the records (dns.json `RecordSetProperties`). */
  readonly prop: string;
  /** One record object rather than an array (CNAMERecord, SOARecord). */
  readonly single?: boolean;
  read(value: Record<string, unknown>): { content: string; priority?: number } | undefined;
  write?(record: DesiredRecord): Record<string, unknown>;
}

const str = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);
const num = (value: unknown): number | undefined => (typeof value === 'number' && Number.isFinite(value) ? value : undefined);
const stripDot = (host: string) => host.replace(/\.$/, '');

/** dns.json definitions `ARecord` … `CaaRecord`, neutral form as types.ts describes it. */
const KINDS: Readonly<Record<string, RecordKind>> = {
  A: { prop: 'ARecords', read: (v) => opt(str(v.ipv4Address)), write: (r) => ({ ipv4Address: r.content }) },
  AAAA: { prop: 'AAAARecords', read: (v) => opt(str(v.ipv6Address)), write: (r) => ({ ipv6Address: r.content }) },
  CNAME: {
    prop: 'CNAMERecord',
    single: true,
    // "CNAME targets can come back without a trailing dot" (§3); written without one, as dns.json's example does.
    read: (v) => opt(mapStr(v.cname, stripDot)),
    write: (r) => ({ cname: stripDot(r.content) }),
  },
  MX: {
    prop: 'MXRecords',
    read: (v) => {
      const exchange = str(v.exchange);
      return exchange === undefined ? undefined : { content: stripDot(exchange), priority: num(v.preference) ?? 0 };
    },
    write: (r) => ({ preference: r.priority ?? 0, exchange: stripDot(r.content) }),
  },
  NS: { prop: 'NSRecords', read: (v) => opt(mapStr(v.nsdname, stripDot)), write: (r) => ({ nsdname: stripDot(r.content) }) },
  PTR: { prop: 'PTRRecords', read: (v) => opt(mapStr(v.ptrdname, stripDot)), write: (r) => ({ ptrdname: stripDot(r.content) }) },
  SRV: {
    prop: 'SRVRecords',
    read: (v) => {
      const target = str(v.target);
      if (target === undefined) return undefined;
      return { content: `${num(v.weight) ?? 0} ${num(v.port) ?? 0} ${stripDot(target)}`, priority: num(v.priority) ?? 0 };
    },
    write: (r) => {
      const [weight, port, target] = r.content.trim().split(/\s+/);
      return { priority: r.priority ?? 0, weight: Number(weight), port: Number(port), target: stripDot(target ?? '') };
    },
  },
  TXT: {
    prop: 'TXTRecords',
    // "an array of raw, unquoted strings, one per ≤255-character chunk" (§3, §9): read = the chunks joined.
    read: (v) => (Array.isArray(v.value) && v.value.every((s) => typeof s === 'string') ? { content: (v.value as string[]).join('') } : undefined),
    // 255-byte chunks, never inside a character (§9: bytes, not characters); no quotes, no escapes.
    write: (r) => ({ value: restoredTxtStrings(r) ?? chunkTxt(r.content) }),
  },
  CAA: {
    // Lower-case `caaRecords`, unlike every other field (dns.json).
    prop: 'caaRecords',
    read: (v) => {
      const tag = str(v.tag);
      const value = str(v.value);
      if (tag === undefined || value === undefined) return undefined;
      return { content: `${num(v.flags) ?? 0} ${tag} "${value.replace(/["\\]/g, (m) => `\\${m}`)}"` };
    },
    write: (r) => parseCaa(r.content),
  },
  SOA: {
    prop: 'SOARecord',
    single: true,
    // Read-only here: "Record sets of type SOA can be updated but not created" (dns.json); the gateway never writes it.
    read: (v) => {
      const host = str(v.host);
      if (host === undefined) return undefined;
      const fields = [v.email, v.serialNumber, v.refreshTime, v.retryTime, v.expireTime, v.minimumTTL].map((f) => String(f ?? ''));
      return { content: [stripDot(host), ...fields].join(' ') };
    },
  },
};

function opt(content: string | undefined): { content: string } | undefined {
  return content === undefined ? undefined : { content };
}
function mapStr(value: unknown, f: (s: string) => string): string | undefined {
  return typeof value === 'string' ? f(value) : undefined;
}

/** `0 issue "letsencrypt.org"` (seed-zone.ts, Cloudflare's form) → dns.json `CaaRecord`. */
function parseCaa(content: string): Record<string, unknown> {
  const match = /^\s*(\d{1,3})\s+([A-Za-z0-9]+)\s+(?:"((?:[^"\\]|\\.)*)"|(\S+))\s*$/.exec(content);
  if (!match || Number(match[1]) > 255) throw rejected(`the CAA value "${content}" is not "flags tag value"`);
  const value = match[3] !== undefined ? match[3].replace(/\\(.)/g, '$1') : (match[4] ?? '');
  return { flags: Number(match[1]), tag: match[2], value };
}

// ------------------------------------------------------------------------------------------------ provider

/** Reads and conditional writes (a repeated PUT with If-Match cannot overwrite anything: it gets 412). */
const RETRIES: RetryPolicy = {
  attempts: 4,
  baseDelayMs: 500,
  maxDelayMs: 20_000,
  retryOn: (e) => e.kind === 'rate_limited' || e.kind === 'unavailable' || e.kind === 'timeout',
};
/** A token grant has no effect besides the token: safe to repeat. */
const TOKEN_RETRIES: RetryPolicy = { ...RETRIES, attempts: 3 };
/** A runaway `nextLink` chain must end: 1000 pages of 100 is ten times a zone's 10,000-set limit (§3). */
const MAX_PAGES = 1000;

export function createAzureProvider(deps: AzureAdapterDeps): DnsProvider {
  const tokens = new TokenCache(deps.tokenCacheSize ?? 1000, deps.now ?? Date.now);
  return {
    id: PROVIDER,
    capabilities: AZURE_CAPABILITIES,
    requiredCredentials: REQUIRED_CREDENTIALS.azure,
    connect: (credentials, options) => new AzureSession(deps, tokens, credentials, commandBounds(deps, options)),
  };
}

/**
 * Access tokens by (tenant, client id, SHA-256 of the secret), in memory, at most `max` (the oldest go first), each
 * until shortly before its `expires_in`. The secret itself is never a key: a caller with a wrong secret must not be
 * served the token of the right one.
 */
export class TokenCache {
  private readonly entries = new Map<string, { token: string; refreshAt: number }>();
  constructor(
    private readonly max: number,
    private readonly now: () => number,
  ) {}

  static key(tenant: string, clientId: string, secret: string): string {
    return `${tenant.toLowerCase()}\n${clientId.toLowerCase()}\n${createHash('sha256').update(secret).digest('hex')}`;
  }

  get(key: string): string | undefined {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    if (this.now() >= entry.refreshAt) {
      this.entries.delete(key);
      return undefined;
    }
    return entry.token;
  }

  /** Kept until 5 minutes (at most half its life) before it expires, as MSAL refreshes ahead of expiry [infer]. */
  set(key: string, token: string, expiresInSeconds: number): void {
    const lifeMs = Math.max(0, expiresInSeconds * 1000);
    const margin = Math.min(300_000, lifeMs / 2);
    this.entries.delete(key);
    this.entries.set(key, { token, refreshAt: this.now() + lifeMs - margin });
    for (const oldest of this.entries.keys()) {
      if (this.entries.size <= this.max) break;
      this.entries.delete(oldest);
    }
  }

  /** Forgets `token` (refused by ARM), unless a newer one already replaced it. */
  drop(key: string, token: string): void {
    if (this.entries.get(key)?.token === token) this.entries.delete(key);
  }

  get size(): number {
    return this.entries.size;
  }
}

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** A verified tenant domain such as `contoso.onmicrosoft.com`: dotted labels only, so no path can be formed. */
const TENANT_DOMAIN = /^(?=.{1,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/i;
/** ARM resource group names: letters, digits, `_ - . ( )`, up to 90, not ending in a period [doc, ARM naming rules]. */
const RESOURCE_GROUP = /^[\p{L}\p{N}_().-]{1,90}$/u;

interface Principal {
  readonly tenant: string;
  readonly clientId: string;
  readonly secret: string;
  readonly subscription: string;
  readonly cacheKey: string;
}

/** The four credential fields, checked before any of them reaches a URL, a form or a cache key. */
function principalOf(credentials: ProviderCredentials): Principal {
  const clientId = credentials.apiKey?.trim() ?? '';
  const secret = credentials.apiSecret ?? '';
  const tenant = credentials.apiUser?.trim() ?? '';
  const subscription = credentials.username?.trim() ?? '';
  if (!clientId || !secret || !tenant || !subscription) {
    throw new ProviderError(PROVIDER, 'auth', 'client id, client secret, tenant id and subscription id are all required');
  }
  if (!GUID.test(clientId)) throw new ProviderError(PROVIDER, 'auth', 'the client (application) id must be a GUID');
  // Tenant and subscription go into URL paths: only a GUID (or, for the tenant, a domain name) may.
  if (!GUID.test(tenant) && !TENANT_DOMAIN.test(tenant)) {
    throw new ProviderError(PROVIDER, 'auth', 'the tenant id must be a GUID or the tenant\'s domain name (contoso.onmicrosoft.com)');
  }
  if (!GUID.test(subscription)) throw new ProviderError(PROVIDER, 'auth', 'the subscription id must be a GUID');
  return { tenant, clientId, secret, subscription, cacheKey: TokenCache.key(tenant, clientId, secret) };
}

/** A zone the session found: its resource group comes from the zone's ARM id (§3 trap 4). */
interface FoundZone {
  readonly name: string;
  readonly resourceGroup: string;
}

class AzureSession implements ProviderSession {
  private readonly base: string;
  private readonly origin: string;
  private principal: Principal | undefined;
  /** The last token this session used, so that an error text that echoes it can be scrubbed. */
  private lastToken: string | undefined;

  constructor(
    private readonly deps: AzureAdapterDeps,
    private readonly tokens: TokenCache,
    private readonly credentials: ProviderCredentials,
    private readonly bounds: CommandBounds,
  ) {
    this.base = deps.baseUrl.replace(/\/+$/, '');
    this.origin = new URL(this.base).origin;
  }

  private get who(): Principal {
    this.principal ??= principalOf(this.credentials);
    return this.principal;
  }

  private get pageSize(): number {
    return this.deps.pageSize ?? 100;
  }

  // -------------------------------------------------------------------------------------------- the session

  /**
   * Lists the zones of the subscription (every page) and takes the most specific one whose name is the domain or one
   * of its parents, up to the registrable domain. The same name in two resource groups is refused: the gateway could
   * not tell which one the world resolves (§3 trap 4).
   */
  async findZone(domain: string): Promise<Zone> {
    const parsed = normaliseDomain(domain);
    if (!parsed.ok) throw rejected(parsed.reason);
    const candidates = candidateZoneNames(parsed.domain, parsed.registrable);
    const { subscription } = this.who;
    const zones: { name: string; id: string }[] = [];
    let url: string | undefined = `${this.base}/subscriptions/${subscription}/providers/Microsoft.Network/dnszones?api-version=${AZURE_API_VERSION}&$top=${this.pageSize}`;
    for (let page = 0; url !== undefined; page++) {
      if (page >= MAX_PAGES) throw new ProviderError(PROVIDER, 'protocol', `the zone list did not end after ${MAX_PAGES} pages`);
      const list = parseList(await this.call('GET', url), 'zone list');
      for (const item of list.value) {
        if (!isObject(item) || typeof item.name !== 'string' || typeof item.id !== 'string') {
          throw new ProviderError(PROVIDER, 'protocol', 'a zone in the zone list lacks its name or id');
        }
        // Legacy private zones of this API are not served on the internet [infer from dns.json `zoneType`].
        if (isObject(item.properties) && item.properties.zoneType === 'Private') continue;
        zones.push({ name: stripDot(item.name.toLowerCase()), id: item.id });
      }
      url = this.nextPage(list.nextLink);
    }
    for (const candidate of candidates) {
      const matches = zones.filter((z) => z.name === candidate);
      if (matches.length === 0) continue;
      const groups = matches.map((z) => this.resourceGroupOf(z.id, candidate));
      if (groups.length > 1) {
        throw rejected(
          `the zone ${candidate} exists in ${groups.length} resource groups of this subscription (${groups.join(', ')}); ` +
            'the gateway cannot tell which one is delegated',
        );
      }
      return { name: candidate, id: `${groups[0]}/${candidate}` };
    }
    throw new ProviderError(PROVIDER, 'not_found', `no DNS zone for ${parsed.domain} in this subscription`);
  }

  /** The zones list, then one record set: proves the principal can read THAT zone, writes nothing (§11). */
  async authorize(domain: string): Promise<Zone> {
    const zone = await this.findZone(domain);
    const url = `${this.zoneUrl(zone)}/recordsets?api-version=${AZURE_API_VERSION}&$top=1`;
    parseList(await this.call('GET', url), 'record set list');
    return zone;
  }

  /** `GET …/recordsets` with `$top`, following `nextLink` to the last page. */
  async readZone(zone: Zone): Promise<ZoneContents> {
    const found = this.parseZone(zone);
    const records: DnsRecord[] = [];
    const sets = new Map<string, AzureRecordSet>();
    let url: string | undefined = `${this.zoneUrl(zone)}/recordsets?api-version=${AZURE_API_VERSION}&$top=${this.pageSize}`;
    for (let page = 0; url !== undefined; page++) {
      if (page >= MAX_PAGES) throw new ProviderError(PROVIDER, 'protocol', `the record set list did not end after ${MAX_PAGES} pages`);
      const list = parseList(await this.call('GET', url), 'record set list');
      for (const item of list.value) {
        const set = parseRecordSet(item);
        sets.set(setKey(typeOfSet(set), set.name), set);
        records.push(...recordsOf(set, found.name));
      }
      url = this.nextPage(list.nextLink);
    }
    const adapterState: AzureZoneState = { sets };
    return { records, adapterState };
  }

  /**
   * One conditional write per changed record set: first those that exist (If-Match), so that a set someone changed
   * since the read stops the plan before anything is written, then the new ones (If-None-Match: *). A refusal on the
   * first write is a stale read (the service reads and plans again); later, the error names what landed. A write whose
   * reply is lost is settled by reading its record set back.
   */
  async applyChanges(zone: Zone, contents: ZoneContents, changes: readonly RecordChange[]): Promise<ApplyResult> {
    if (changes.length === 0) return { applied: [] };
    const found = this.parseZone(zone);
    const plan = planSetWrites(found.name, contents, changes);
    const pending = new Map<RecordChange, number>();
    for (const write of plan) for (const change of write.changes) pending.set(change, (pending.get(change) ?? 0) + 1);
    const applied: RecordChange[] = [];
    for (const write of plan) {
      const outcome = await this.writeSet(zone, write);
      if (outcome !== 'landed') {
        if (outcome.stale && applied.length === 0) {
          throw new ProviderError(PROVIDER, 'conflict', 'the zone changed while it was being written; nothing was applied', { staleRead: true, cause: outcome.error });
        }
        const error = outcome.stale
          ? new ProviderError(PROVIDER, 'conflict', `the ${write.type} record set at ${write.fullName} changed while the plan was being written`, { cause: outcome.error })
          : outcome.error;
        throw partialApplyError(error, applied, changes, outcome.unknown ? write.changes : []);
      }
      for (const change of write.changes) {
        const left = (pending.get(change) ?? 1) - 1;
        pending.set(change, left);
        if (left === 0) applied.push(change);
      }
    }
    return { applied };
  }

  // -------------------------------------------------------------------------------------------- writes

  private async writeSet(zone: Zone, write: SetWrite): Promise<'landed' | { stale: boolean; unknown: boolean; error: ProviderError }> {
    const url = `${this.zoneUrl(zone)}/${write.type}/${encodeRelative(write.name)}?api-version=${AZURE_API_VERSION}`;
    const headers: Record<string, string> = {};
    if (write.etag !== undefined) headers['if-match'] = write.etag;
    else headers['if-none-match'] = '*';
    /**
     * An attempt failed in a way that may have reached Azure: a timeout, a reset, a 5xx, a reply cut off. A refusal
     * (4xx) or a 429 is an answer given before anything ran.
     */
    let maybeReached = false;
    try {
      await this.call(write.body === undefined ? 'DELETE' : 'PUT', url, {
        body: write.body === undefined ? undefined : JSON.stringify(write.body),
        headers,
        onFailure: (e) => void (maybeReached ||= !e.isCallerFault && e.kind !== 'rate_limited'),
      });
      return 'landed';
    } catch (caught) {
      if (!(caught instanceof ProviderError)) throw caught;
      const precondition = caught.kind === 'conflict' && caught.reason === PRECONDITION_REASON;
      // Every attempt was refused before it ran: nothing was written (a 412 here is someone else's change).
      if (!maybeReached) return { stale: precondition, unknown: false, error: caught };
      // An attempt may have landed (a 412 after it is then our own write's new etag): read the set back.
      const holds = await this.setHolds(url, write);
      if (holds === true) return 'landed';
      return { stale: precondition, unknown: holds === undefined, error: caught };
    }
  }

  /** After a failed write: true = the set holds what was sent, false = it does not, undefined = cannot tell. */
  private async setHolds(url: string, write: SetWrite): Promise<boolean | undefined> {
    try {
      const reply = await this.call('GET', url, { verifying: true });
      if (reply.status === 404) return write.body === undefined;
      if (write.body === undefined) return false;
      const now = parseRecordSet(JSON.parse(reply.text) as unknown);
      return sameRecords(now, write);
    } catch {
      return undefined;
    }
  }

  // -------------------------------------------------------------------------------------------- calls

  /**
   * One ARM call, its retries included, within the command's deadline. A 401 with a token from the cache (revoked,
   * or expired early) is answered by one fresh grant and the same call again.
   */
  private async call(
    method: 'GET' | 'PUT' | 'DELETE',
    url: string,
    options: {
      body?: string | undefined;
      headers?: Record<string, string>;
      /** A read after a failed write: a 404 is an answer (the set is absent), not an error. */
      verifying?: boolean;
      onFailure?: (error: ProviderError) => void;
    } = {},
  ): Promise<HttpReply> {
    let token = await this.token();
    const reserve = method === 'GET' ? 0 : writeReserveMs(this.bounds);
    for (let regranted = false; ; regranted = true) {
      let refused = false;
      try {
        return await withRetries(
          RETRIES,
          async () => {
            try {
              const reply = await withAttemptSignal(PROVIDER, this.bounds, reserve, (signal) =>
                send(PROVIDER, this.deps, url, {
                  method,
                  headers: {
                    authorization: `Bearer ${token.value}`,
                    accept: 'application/json',
                    ...(options.body === undefined ? {} : { 'content-type': 'application/json' }),
                    ...options.headers,
                  },
                  body: options.body,
                  signal,
                }),
              );
              if (reply.status >= 200 && reply.status < 300) return reply;
              if (options.verifying && reply.status === 404) return reply;
              refused = reply.status === 401;
              throw armError(reply, this.scrubber());
            } catch (error) {
              if (error instanceof ProviderError) options.onFailure?.(error);
              throw error;
            }
          },
          { deadline: this.bounds.deadline - reserve, sleep: this.deps.sleep, signal: this.bounds.signal },
        );
      } catch (error) {
        if (!refused || regranted || !token.cached) throw error;
        this.tokens.drop(this.who.cacheKey, token.value);
        token = await this.token();
      }
    }
  }

  /** A cached token, or a new one from the client-credentials grant (§3 "Auth"). */
  private async token(): Promise<{ value: string; cached: boolean }> {
    const who = this.who;
    const cached = this.tokens.get(who.cacheKey);
    if (cached !== undefined) {
      this.lastToken = cached;
      return { value: cached, cached: true };
    }
    const url = `${this.deps.authorityUrl.replace(/\/+$/, '')}/${encodeURIComponent(who.tenant)}/oauth2/v2.0/token`;
    const body = new URLSearchParams({ grant_type: 'client_credentials', client_id: who.clientId, client_secret: who.secret, scope: AZURE_ARM_SCOPE }).toString();
    const reply = await withRetries(
      TOKEN_RETRIES,
      async () => {
        const answer = await withAttemptSignal(PROVIDER, this.bounds, 0, (signal) =>
          send(PROVIDER, this.deps, url, {
            method: 'POST',
            operation: 'auth',
            headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
            body,
            signal,
          }),
        );
        if (answer.status === 200) return answer;
        throw tokenError(answer, this.scrubber());
      },
      { deadline: this.bounds.deadline, sleep: this.deps.sleep, signal: this.bounds.signal },
    );
    let parsed: unknown;
    try {
      parsed = JSON.parse(reply.text);
    } catch {
      throw new ProviderError(PROVIDER, 'protocol', 'the token reply is not JSON');
    }
    if (!isObject(parsed) || typeof parsed.access_token !== 'string' || parsed.access_token === '') {
      throw new ProviderError(PROVIDER, 'protocol', 'the token reply has no access_token');
    }
    const expiresIn = Number(parsed.expires_in);
    const value = parsed.access_token;
    this.lastToken = value;
    this.tokens.set(who.cacheKey, value, Number.isFinite(expiresIn) && expiresIn > 0 ? expiresIn : 0);
    return { value, cached: false };
  }

  /** Every provider text passes through this before it can reach a reason: the four fields and the token. */
  private scrubber(): (text: string) => string {
    return (text) => redactCredentials(text, this.credentials, [this.lastToken]);
  }

  // -------------------------------------------------------------------------------------------- URLs

  /** `nextLink` is followed only on AZURE_API_URL's own origin: a reply never chooses where the gateway connects. */
  private nextPage(nextLink: unknown): string | undefined {
    if (nextLink === undefined || nextLink === null || nextLink === '') return undefined;
    if (typeof nextLink !== 'string') throw new ProviderError(PROVIDER, 'protocol', 'nextLink is not a string');
    let next: URL;
    try {
      next = new URL(nextLink);
    } catch {
      throw new ProviderError(PROVIDER, 'protocol', 'nextLink is not a URL');
    }
    if (next.origin !== this.origin) throw new ProviderError(PROVIDER, 'protocol', 'nextLink points to another host; not followed');
    return next.toString();
  }

  /** `/subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.Network/dnszones/{zone}` → `rg`, checked. */
  private resourceGroupOf(id: string, zoneName: string): string {
    const match = /^\/subscriptions\/([^/]+)\/resourceGroups\/([^/]+)\/providers\/Microsoft\.Network\/dnszones\/([^/]+)$/i.exec(id);
    if (!match || match[1]!.toLowerCase() !== this.who.subscription.toLowerCase() || stripDot(match[3]!.toLowerCase()) !== zoneName) {
      throw new ProviderError(PROVIDER, 'protocol', `the zone ${zoneName} has an unexpected resource id`);
    }
    const group = decodeSegment(match[2]!);
    if (!RESOURCE_GROUP.test(group) || group.endsWith('.')) {
      throw new ProviderError(PROVIDER, 'protocol', `the zone ${zoneName} has an unexpected resource group name`);
    }
    return group;
  }

  private parseZone(zone: Zone): FoundZone {
    const slash = zone.id.indexOf('/');
    const resourceGroup = zone.id.slice(0, slash);
    const name = zone.id.slice(slash + 1);
    if (slash <= 0 || name !== zone.name || !RESOURCE_GROUP.test(resourceGroup) || resourceGroup.endsWith('.') || !/^[a-z0-9.-]+$/.test(name)) {
      throw rejected('the zone was not found by this adapter (expected "resourceGroup/zone")');
    }
    return { name, resourceGroup };
  }

  private zoneUrl(zone: Zone): string {
    const { name, resourceGroup } = this.parseZone(zone);
    return `${this.base}/subscriptions/${this.who.subscription}/resourceGroups/${encodeURIComponent(resourceGroup)}/providers/Microsoft.Network/dnsZones/${name}`;
  }
}

function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

/** `mail.example.co.uk` → `mail.example.co.uk`, `example.co.uk` (never above the registrable domain). */
export function candidateZoneNames(domain: string, registrable: string): string[] {
  const names: string[] = [];
  for (let name = domain; name.length >= registrable.length; name = name.slice(name.indexOf('.') + 1)) {
    names.push(name);
    if (name === registrable) break;
  }
  return names;
}

// ------------------------------------------------------------------------------------------------ reading

function parseList(reply: HttpReply, what: string): { value: unknown[]; nextLink: unknown } {
  let body: unknown;
  try {
    body = JSON.parse(reply.text);
  } catch {
    throw new ProviderError(PROVIDER, 'protocol', `the ${what} is not JSON`);
  }
  if (!isObject(body) || !Array.isArray(body.value)) throw new ProviderError(PROVIDER, 'protocol', `the ${what} has no value array`);
  return { value: body.value, nextLink: body.nextLink };
}

function parseRecordSet(item: unknown): AzureRecordSet {
  if (!isObject(item) || typeof item.name !== 'string' || typeof item.type !== 'string' || !isObject(item.properties)) {
    throw new ProviderError(PROVIDER, 'protocol', 'a record set lacks its name, type or properties');
  }
  return item as unknown as AzureRecordSet;
}

/** `Microsoft.Network/dnszones/TXT` → `TXT`. */
function typeOfSet(set: AzureRecordSet): string {
  return (set.type.split('/').pop() ?? '').toUpperCase();
}

const setKey = (type: string, relative: string) => `${type} ${relative.toLowerCase()}`;

function fullName(relative: string, apex: string): string {
  const name = stripDot(relative.toLowerCase());
  return name === '@' || name === '' ? apex : `${name}.${apex}`;
}

/** One record set as read → its records in neutral form, each keeping the set (and so its etag) in `raw`. */
export function recordsOf(set: AzureRecordSet, apex: string): DnsRecord[] {
  const type = typeOfSet(set);
  const kind = KINDS[type];
  if (!kind) return [];
  const value = set.properties[kind.prop];
  const items = kind.single ? (isObject(value) ? [value] : []) : Array.isArray(value) ? value : [];
  const ttl = num(set.properties.TTL) ?? 3600;
  const name = fullName(set.name, apex);
  return items.map((item, index) => {
    const read = isObject(item) ? kind.read(item) : undefined;
    if (!read) throw new ProviderError(PROVIDER, 'protocol', `a ${type} record at ${name} is malformed`);
    const raw: AzureRecordRaw = { recordSet: set, index };
    // A TXT record's chunks are kept as entered (§3: an array of raw strings): a revert writes them back so.
    const wireValue = type === 'TXT' ? (item as { value: string[] }).value : undefined;
    return { type, name, content: read.content, ttl, ...(read.priority === undefined ? {} : { priority: read.priority }), raw, ...(wireValue ? { wireValue } : {}) };
  });
}

// ------------------------------------------------------------------------------------------------ planning

/** One conditional write: the whole record set to PUT (or DELETE when `body` is undefined), and the changes it carries. */
export interface SetWrite {
  readonly type: string;
  /** Relative name, `@` for the apex. */
  readonly name: string;
  readonly fullName: string;
  /** The etag as read (If-Match); undefined for a new set (If-None-Match: *). */
  readonly etag: string | undefined;
  /** The PUT body; undefined = DELETE. */
  readonly body: { properties: Record<string, unknown> } | undefined;
  readonly changes: RecordChange[];
}

/** dns.json marks these read-only: they are not sent back. Everything else in `properties` is, as read. */
const READ_ONLY_PROPERTIES = new Set(['fqdn', 'provisioningState']);

/**
 * Pure: groups the changes by record set, rebuilds every touched set from the set as read (untouched values written
 * back exactly as read, plus the plan's, minus what it deletes) and refuses, before any call, what Azure would refuse.
 * Sets that exist come first (see applyChanges), each group in the order the plan first names its sets.
 */
export function planSetWrites(apex: string, contents: ZoneContents, changes: readonly RecordChange[]): SetWrite[] {
  const asRead = setsAsRead(contents);
  interface Draft {
    type: string;
    name: string;
    existing: AzureRecordSet | undefined;
    values: (unknown | null)[];
    /** Per value: the record it was read as (null once the plan took it), or undefined for one the plan adds. */
    entries: (DnsRecord | null | undefined)[];
    added: DesiredRecord[];
    changes: RecordChange[];
  }
  const drafts = new Map<string, Draft>();
  const draftFor = (typeIn: string, full: string): Draft => {
    const type = typeIn.toUpperCase();
    if (!AZURE_CAPABILITIES.recordTypes.has(type)) throw rejected(`Azure DNS record sets of type ${type} cannot be written`);
    const name = relativeName(full, apex);
    const key = setKey(type, name);
    let draft = drafts.get(key);
    if (!draft) {
      const existing = asRead.get(key);
      const kind = KINDS[type]!;
      const value = existing?.properties[kind.prop];
      const values = kind.single ? (isObject(value) ? [value] : []) : Array.isArray(value) ? [...(value as unknown[])] : [];
      const entries = existing ? recordsOf(existing, apex) : [];
      draft = { type, name, existing, values, entries: [...entries], added: [], changes: [] };
      drafts.set(key, draft);
    }
    return draft;
  };
  const take = (draft: Draft, before: DnsRecord): number => {
    const raw = before.raw as Partial<AzureRecordRaw> | undefined;
    let index =
      raw?.recordSet !== undefined && raw.recordSet === draft.existing && typeof raw.index === 'number' && draft.entries[raw.index] && sameRecord(draft.entries[raw.index]!, before)
        ? raw.index
        : -1;
    if (index < 0) index = draft.entries.findIndex((e) => e && sameRecord(e, before));
    if (index < 0) throw new ProviderError(PROVIDER, 'conflict', `the ${before.type} record at ${before.name} is no longer in the zone as read`);
    draft.entries[index] = null;
    draft.values[index] = null;
    return index;
  };
  const attach = (draft: Draft, change: RecordChange) => {
    if (!draft.changes.includes(change)) draft.changes.push(change);
  };
  for (const change of changes) {
    if (change.action === 'DELETE') {
      const draft = draftFor(change.before.type, change.before.name);
      take(draft, change.before);
      attach(draft, change);
      continue;
    }
    const target = draftFor(change.record.type, change.record.name);
    const value = newValue(change.record);
    if (change.action === 'UPDATE') {
      const source = draftFor(change.before.type, change.before.name);
      const index = take(source, change.before);
      if (source === target) {
        target.values[index] = value; // in place: the set keeps its order
      } else {
        target.values.push(value);
        target.entries.push(undefined);
        attach(source, change);
      }
    } else {
      target.values.push(value);
      target.entries.push(undefined);
    }
    target.added.push(change.record);
    attach(target, change);
  }

  const writes: SetWrite[] = [];
  for (const draft of drafts.values()) {
    const values = draft.values.filter((v) => v !== null);
    const full = fullName(draft.name, apex);
    const kind = KINDS[draft.type]!;
    if (values.length === 0) {
      // Ends empty: DELETE it (If-Match), or nothing at all if it never existed.
      if (draft.existing) writes.push({ type: draft.type, name: draft.name, fullName: full, etag: etagOf(draft.existing), body: undefined, changes: draft.changes });
      continue;
    }
    if (kind.single && values.length > 1) throw rejected(`a ${draft.type} record set holds one record; the plan puts ${values.length} at ${full}`);
    const kept = draft.existing ? Object.fromEntries(Object.entries(draft.existing.properties).filter(([k]) => !READ_ONLY_PROPERTIES.has(k))) : {};
    const target = kept.targetResource;
    if (isObject(target) && typeof target.id === 'string' && target.id !== '') {
      throw rejected(`the ${draft.type} record set at ${full} is an alias of an Azure resource; the gateway does not change alias record sets`);
    }
    // One TTL per record set. Values the plan did not write keep theirs: the set's TTL stays as read while any is
    // left; a set that holds only the plan's values takes the TTL the plan asks for [infer].
    const untouchedLeft = draft.entries.some((e) => e !== null && e !== undefined);
    const ttl = draft.existing && untouchedLeft ? (num(draft.existing.properties.TTL) ?? 3600) : (draft.added[0]?.ttl ?? num(draft.existing?.properties.TTL) ?? 3600);
    checkTtl(ttl, draft.type, full);
    const properties: Record<string, unknown> = { ...kept, TTL: ttl, [kind.prop]: kind.single ? values[0] : values };
    writes.push({ type: draft.type, name: draft.name, fullName: full, etag: draft.existing ? etagOf(draft.existing) : undefined, body: { properties }, changes: draft.changes });
  }
  checkCnameExclusive(apex, asRead, writes);
  // Sets that exist first (If-Match: a stale read stops the plan before anything is written), then new ones.
  return [...writes.filter((w) => w.etag !== undefined), ...writes.filter((w) => w.etag === undefined)];
}

function etagOf(set: AzureRecordSet): string {
  if (typeof set.etag !== 'string' || set.etag === '') {
    throw new ProviderError(PROVIDER, 'protocol', `the ${typeOfSet(set)} record set ${set.name} was read without an etag`);
  }
  return set.etag;
}

function setsAsRead(contents: ZoneContents): Map<string, AzureRecordSet> {
  const state = contents.adapterState as Partial<AzureZoneState> | undefined;
  if (state?.sets instanceof Map) return new Map(state.sets);
  // Not from readZone (a hand-made ZoneContents): the sets the records came from.
  const sets = new Map<string, AzureRecordSet>();
  for (const record of contents.records) {
    const raw = record.raw as Partial<AzureRecordRaw> | undefined;
    if (raw?.recordSet && typeof raw.recordSet.name === 'string') sets.set(setKey(typeOfSet(raw.recordSet), raw.recordSet.name), raw.recordSet);
  }
  return sets;
}

/** A CNAME shares its name with no other record set, and never sits at the apex (RFC 1034 §3.6.2; §3 Conflict). */
function checkCnameExclusive(apex: string, asRead: ReadonlyMap<string, AzureRecordSet>, writes: readonly SetWrite[]): void {
  const types = new Map<string, Set<string>>();
  for (const [key, set] of asRead) {
    const [type] = key.split(' ');
    if (!type) continue;
    const target = set.properties.targetResource;
    const alias = isObject(target) && typeof target.id === 'string' && target.id !== '';
    if (recordsOf(set, apex).length === 0 && !alias) continue;
    const name = set.name.toLowerCase();
    if (!types.has(name)) types.set(name, new Set());
    types.get(name)!.add(type);
  }
  for (const write of writes) {
    const set = types.get(write.name) ?? new Set<string>();
    if (write.body === undefined) set.delete(write.type);
    else set.add(write.type);
    types.set(write.name, set);
  }
  for (const write of writes) {
    const present = types.get(write.name)!;
    if (write.body === undefined || !present.has('CNAME')) continue;
    if (write.name === '@' && write.type === 'CNAME') throw rejected(`a CNAME record cannot be at the zone apex ${apex}`);
    if (present.size > 1) {
      throw rejected(`a CNAME record at ${write.fullName} cannot share its name with ${[...present].filter((t) => t !== 'CNAME').join(', ')} records`);
    }
  }
}

function checkTtl(ttl: number, type: string, full: string): void {
  if (!Number.isInteger(ttl) || ttl < AZURE_MIN_TTL || ttl > AZURE_MAX_TTL) {
    throw rejected(`the ${type} record set at ${full} would have TTL ${ttl}, outside ${AZURE_MIN_TTL}–${AZURE_MAX_TTL} seconds`);
  }
}

/** A new value in Azure's form, refused here when Azure would refuse it. */
function newValue(record: DesiredRecord): Record<string, unknown> {
  const type = record.type.toUpperCase();
  const kind = KINDS[type];
  if (!kind?.write) throw rejected(`Azure DNS record sets of type ${type} cannot be written`);
  const at = `${type} record at ${record.name}`;
  switch (type) {
    case 'A':
      if (!isIPv4(record.content)) throw rejected(`the ${at} is not an IPv4 address`);
      break;
    case 'AAAA':
      if (!isIPv6(record.content)) throw rejected(`the ${at} is not an IPv6 address`);
      break;
    case 'TXT': {
      const bytes = Buffer.byteLength(record.content, 'utf8');
      // An empty TXT must have no TxtRecords rather than "" (dnscontrol azureDnsProvider.go, §3).
      if (bytes === 0) throw rejected(`the ${at} is empty`);
      if (bytes > AZURE_MAX_TXT) throw rejected(`the ${at} is ${bytes} bytes long; Azure DNS takes at most ${AZURE_MAX_TXT}`);
      break;
    }
    case 'CNAME':
    case 'NS':
    case 'PTR':
    case 'MX':
      if (!isHostName(stripDot(record.content))) throw rejected(`the ${at} does not point to a host name`);
      break;
    case 'SRV': {
      const parts = record.content.trim().split(/\s+/);
      const [weight, port] = parts.map(Number);
      if (parts.length !== 3 || !isUint16(weight) || !isUint16(port) || !isHostName(stripDot(parts[2] ?? ''))) {
        throw rejected(`the ${at} is not "weight port target"`);
      }
      break;
    }
  }
  if ((type === 'MX' || type === 'SRV') && !isUint16(record.priority ?? 0)) throw rejected(`the ${at} has a priority outside 0–65535`);
  return kind.write(record);
}

const isUint16 = (n: number | undefined): boolean => n !== undefined && Number.isInteger(n) && n >= 0 && n <= 65_535;

function isHostName(name: string): boolean {
  return name.length > 0 && name.length <= 253 && name.split('.').every((l) => /^[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?$/.test(l));
}

function sameRecord(a: DnsRecord, b: DnsRecord): boolean {
  return a.type.toUpperCase() === b.type.toUpperCase() && a.name === b.name.toLowerCase() && a.content === b.content && (a.priority ?? undefined) === (b.priority ?? undefined);
}

/** The set read back holds what the write sent: the same values (order aside) and TTL. */
function sameRecords(now: AzureRecordSet, write: SetWrite): boolean {
  if (!write.body) return false;
  const kind = KINDS[write.type]!;
  const sent = write.body.properties[kind.prop];
  const got = now.properties[kind.prop];
  const list = (v: unknown) => (kind.single ? (isObject(v) ? [v] : []) : Array.isArray(v) ? v : []).map((x) => JSON.stringify(x)).sort();
  const a = list(sent);
  const b = list(got);
  return now.properties.TTL === write.body.properties.TTL && a.length === b.length && a.every((x, i) => x === b[i]);
}

/** Full name → Azure's relative name (`@` for the apex); only names a path segment can carry. */
function relativeName(full: string, apex: string): string {
  const name = stripDot(full.toLowerCase());
  const relative = name === apex ? '@' : name.endsWith(`.${apex}`) ? name.slice(0, -(apex.length + 1)) : undefined;
  if (relative === undefined) throw rejected(`${name} is not inside the zone ${apex}`);
  if (relative !== '@' && !/^(?:\*\.)?[a-z0-9_](?:[a-z0-9_.-]*[a-z0-9_])?$|^\*$/.test(relative)) throw rejected(`${name} is not a name Azure DNS can hold`);
  return relative;
}

/** dns.json marks `relativeRecordSetName` `x-ms-skip-url-encoding`: `@` and `*` go as they are. */
function encodeRelative(relative: string): string {
  return encodeURIComponent(relative).replace(/%40/g, '@').replace(/%2A/gi, '*');
}

// ------------------------------------------------------------------------------------------------ errors

const PRECONDITION_REASON = 'the record set changed since it was read (HTTP 412)';

/** `{"error":{"code","message"}}` (ARM) or `{"code","message"}` (the DNS resource provider's own errors, §3). */
function errorBody(text: string): { code: string; message: string } | undefined {
  try {
    const parsed: unknown = JSON.parse(text);
    const inner = isObject(parsed) && isObject(parsed.error) ? parsed.error : parsed;
    if (!isObject(inner)) return undefined;
    return { code: str(inner.code) ?? '', message: str(inner.message) ?? '' };
  } catch {
    return undefined;
  }
}

/**
 * A non-2xx ARM reply → ProviderError (§3 "Errors and throttling", §11). Messages are scrubbed: ARM repeats the
 * client id and subscription in AuthorizationFailed and throttling texts.
 */
export function armError(reply: HttpReply, scrub: (text: string) => string = (t) => t): ProviderError {
  const body = errorBody(reply.text);
  const code = body?.code ?? '';
  const message = scrub(body?.message ?? '').replace(/[\u0000-\u001f\u007f]/g, ' ').trim();
  // The code is provider text too: matched as sent, repeated only scrubbed.
  const shown = scrub(code).replace(/[\u0000-\u001f\u007f]/g, ' ').trim().slice(0, 100);
  const withCode = (text: string) => (shown ? `${text} (${shown})` : text);
  const fail = (kind: ProviderErrorKind, reason: string, retryAfter?: number) =>
    new ProviderError(PROVIDER, kind, reason, retryAfter === undefined ? {} : { retryAfterSeconds: retryAfter });
  const status = reply.status;
  if (status === 429) {
    // `Retry-After` (§3); SubscriptionRequestsThrottled also says "try again after 'N' seconds" (velero#9171).
    const said = /after '(\d+)' seconds/.exec(message);
    return fail('rate_limited', 'Azure Resource Manager throttled the requests', retryAfterSeconds(reply.headers) ?? (said ? Number(said[1]) : undefined));
  }
  if (status >= 500) return fail('unavailable', `HTTP ${status}${shown ? ` ${shown}` : ''}`);
  if (status === 412 || code === 'PreconditionFailed') return fail('conflict', PRECONDITION_REASON);
  if (status === 401) return fail('auth', withCode('the access token was refused'));
  if (status === 403) {
    if (code === 'AuthorizationFailed') {
      // "… does not have authorization to perform action 'Microsoft.Network/dnsZones/TXT/read' over scope …" (§3).
      const action = /perform action '([^']+)'/.exec(message)?.[1];
      return fail(
        'forbidden',
        `the service principal may not ${action ? `perform ${action}` : 'do this'} here (AuthorizationFailed); a role granted in the last few minutes may not apply yet`,
      );
    }
    return fail('forbidden', withCode('access denied'));
  }
  if (status === 404) {
    if (code === 'SubscriptionNotFound') return fail('not_found', 'the subscription was not found (SubscriptionNotFound)');
    return fail('not_found', withCode('the DNS zone or record set was not found'));
  }
  if (!body) return fail('protocol', `HTTP ${status} with ${/^\s*</.test(reply.text) ? 'an HTML page' : 'a malformed body'}`);
  if (status === 409) return fail('conflict', `Azure DNS refused the change: ${message || shown}`.slice(0, 400));
  if (status === 400 || status === 422) return fail('rejected', `Azure DNS refused the change: ${message ? `${message} ` : ''}(${shown || `HTTP ${status}`})`.slice(0, 400));
  return fail('protocol', `unexpected HTTP ${status}${shown ? ` ${shown}` : ''}`);
}

/** What the known AADSTS codes mean, said for the one who has to fix the credentials. */
const AADSTS_REASONS: Readonly<Record<number, string>> = {
  // OfficeDev/microsoft-365-agents-toolkit#8621 [obs]
  7000215: "invalid client secret: send the secret's value, not its id",
  // microsoft/o365-moodle#1752 [obs]
  7000222: 'the client secret has expired',
  // microsoft/AzureTRE#1475, Azure/azure-sdk-for-python#8314 [obs]
  700016: 'no application with this client id in the tenant',
  // Azure/azure-cli#22145, microsoftgraph/windowsupdates-webapplication-sample#6 [obs]
  90002: 'tenant not found',
  // microsoft/Analysis-Services#194 [obs]
  900023: 'the tenant id is neither a tenant GUID nor a tenant domain',
};

/** A refused token request (`{"error","error_description","error_codes":[…]}`) → ProviderError. */
export function tokenError(reply: HttpReply, scrub: (text: string) => string = (t) => t): ProviderError {
  if (reply.status === 429) return new ProviderError(PROVIDER, 'rate_limited', 'the token endpoint throttled the requests', { retryAfterSeconds: retryAfterSeconds(reply.headers) });
  if (reply.status >= 500) return new ProviderError(PROVIDER, 'unavailable', `token endpoint HTTP ${reply.status}`);
  let body: Record<string, unknown> | undefined;
  try {
    const parsed: unknown = JSON.parse(reply.text);
    if (isObject(parsed)) body = parsed;
  } catch {
    // handled below
  }
  if (!body) return new ProviderError(PROVIDER, 'protocol', `token endpoint HTTP ${reply.status} with a body that is not JSON`);
  const error = /^[a-z_]{1,40}$/.test(str(body.error) ?? '') ? (body.error as string) : 'error';
  const description = str(body.error_description) ?? '';
  const listed = Array.isArray(body.error_codes) ? num(body.error_codes[0]) : undefined;
  const code = listed ?? (/AADSTS(\d+)/.exec(description) ? Number(/AADSTS(\d+)/.exec(description)![1]) : undefined);
  const known = code === undefined ? undefined : AADSTS_REASONS[code];
  const tag = code === undefined ? error : `AADSTS${code}`;
  if (known) return new ProviderError(PROVIDER, 'auth', `${known} (${tag})`);
  // The first sentence of the description, scrubbed (it names the client id and tenant), says the rest.
  const first = scrub(description.replace(/^AADSTS\d+:\s*/, '').split(/\r?\n|(?<=\.)\s/)[0] ?? '').slice(0, 200);
  return new ProviderError(PROVIDER, 'auth', `the token request was refused: ${error}${first ? `: ${first}` : ''} (${tag})`);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function rejected(reason: string): ProviderError {
  return new ProviderError(PROVIDER, 'rejected', reason);
}
