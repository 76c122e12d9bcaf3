/**
 * Google Cloud DNS (dns/v1, JSON) adapter. Facts and sources: ../shared/reference/providers-cloud.md §2 (auth,
 * endpoints, TXT, errors, traps), §8 (minimal calls), §9 (TXT normalisation), §10 (wire example), §11 (credential check).
 *
 * Credentials (providers/credentials.ts): ApiKey = the project id, ApiSecret = the service-account key file (the whole
 * JSON). The key signs a JWT (RS256, `jose`) that is exchanged for an access token at the configured token URL
 * (GOOGLE_OAUTH_TOKEN_URL), never at the `token_uri` the key file names: a caller could otherwise make this server send
 * a signed assertion to any address. Tokens are kept in memory per key file (by its SHA-256), until shortly before
 * they expire.
 *
 * Calls of a dns.set, token grants aside: `GET …/managedZones?dnsName=<apex>.` (findZone), `GET …/rrsets` per page
 * (readZone), and ONE `POST …/changes` with exact `deletions` (each touched rrset as read) and `additions` (the merged
 * rrsets). A change is atomic, and Google refuses it with 412 conditionNotMet when a deletion no longer matches the
 * zone (§2 errors): that refusal is the compare-and-swap that makes this provider `guardedWrite`.
 */
import { createHash } from 'node:crypto';
import { importPKCS8, SignJWT } from 'jose';
import { REQUIRED_CREDENTIALS } from './credentials.js';
import {
  commandBounds,
  parseJson,
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
import { redactCredentials } from './redact.js';
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
import { normaliseDomain } from '../src/domain.js';
import { joinTxt, quoteTxt } from '../src/records/txt.js';
import { restoredTxt } from './restore.js';

const PROVIDER = 'googlecloud' as const;

/** The scope lego asks for (`gdns.NdevClouddnsReadwriteScope`, §2 auth). */
export const GOOGLE_DNS_SCOPE = 'https://www.googleapis.com/auth/ndev.clouddns.readwrite';
const JWT_BEARER = 'urn:ietf:params:oauth:grant-type:jwt-bearer';
/** exp may be at most iat + 3600 ("must be a short-lived token (60 minutes)", §2 auth). */
const ASSERTION_LIFETIME_S = 3600;

/** An rrset as dns/v1 `ResourceRecordSet` has it; only the fields the adapter reads are typed. */
export interface GoogleRrset {
  readonly kind?: string;
  /** FQDN with a trailing dot. */
  readonly name: string;
  readonly type: string;
  readonly ttl: number;
  readonly rrdatas?: readonly string[];
  /** Geo / weighted round-robin rrsets carry their values here instead of `rrdatas`: never rewritten by the gateway. */
  readonly routingPolicy?: unknown;
  readonly [field: string]: unknown;
}

/** `DnsRecord.raw` of a Google record: the rrset exactly as listed, and the one rrdata this record is. */
export interface GoogleRecordRaw {
  readonly rrset: GoogleRrset;
  readonly rrdata: string;
}

/** What readZone keeps for the write: every rrset as listed, so a deletion is always the rrset exactly as read. */
interface GoogleZoneState {
  readonly rrsets: readonly GoogleRrset[];
}

/** The body of `changes.create`. */
export interface GoogleChange {
  readonly additions: GoogleRrset[];
  readonly deletions: GoogleRrset[];
}

export const GOOGLE_MAX_TTL = 2_147_483_647;

export const GOOGLECLOUD_CAPABILITIES: ProviderCapabilities = {
  // The types the adapter writes; SOA and the apex NS are Google's own and are never written (read only).
  recordTypes: new Set(['A', 'AAAA', 'CAA', 'CNAME', 'MX', 'NS', 'SRV', 'TXT']),
  // `ttl` is an int32 number of seconds (googleapis dns/v1 ResourceRecordSet.ttl); no documented floor [infer].
  minTtl: 0,
  maxTtl: GOOGLE_MAX_TTL,
  // changes.create applies additions and deletions together or not at all (§2 endpoints, §8).
  atomicApply: true,
  // A deletion that no longer matches the rrset is refused with 412 conditionNotMet (§2 errors, trap 1).
  guardedWrite: true,
  // No per-rrdata limit is documented (100,000 bytes of rrdata per change, cloud.google.com/dns/quotas); 4000 bytes
  // holds a 4096-bit DKIM key [infer].
  maxTxtLength: 4000,
  // GET managedZones?dnsName=, GET rrsets (one page); one POST changes for the whole plan (§8).
  upstreamCalls: { read: 2, write: { perPlan: 1, perRrset: 0, perRecord: 0 } },
  writes: 'one atomic `changes.create`: each touched rrset deleted exactly as read, added back merged; TXT always quoted in 255-byte strings; targets as FQDNs',
};

export interface GoogleCloudOptions {
  /** GOOGLE_OAUTH_TOKEN_URL: where every assertion is sent, whatever `token_uri` the key file names. */
  readonly tokenUrl: string;
  /** `maxResults` asked of rrsets.list; unset = Google decides ("If unspecified, the server decides", §2). */
  readonly pageSize?: number;
  /** Access tokens kept (one per key file). @default 1000 */
  readonly tokenCacheSize?: number;
}

/** Reads are safe to repeat: 429 quota, 5xx, timeouts and resets (dnscontrol `retry.go` retries 429 and 5xx, §2). */
const READ_RETRIES: RetryPolicy = {
  attempts: 4,
  baseDelayMs: 500,
  maxDelayMs: 10_000,
  retryOn: (e) => e.kind === 'rate_limited' || e.kind === 'unavailable' || e.kind === 'timeout',
};

/**
 * changes.create is not idempotent (a second send of an applied change is refused 412/409), so only a 429, which is
 * refused before the change is taken [infer], is repeated blindly; anything else is settled by re-reading.
 */
const WRITE_RETRIES: RetryPolicy = { ...READ_RETRIES, retryOn: (e) => e.kind === 'rate_limited' };

/** changes.create sends in one command: the first, and one more only when a re-read proved the first changed nothing. */
const CHANGE_SENDS = 2;
const MAX_PAGES = 1000;

interface CachedToken {
  readonly token: string;
  /** Epoch ms after which it is not used any more (shortly before Google's expiry). */
  readonly refreshAt: number;
}

export function createGoogleCloudProvider(deps: AdapterDeps & GoogleCloudOptions): DnsProvider {
  const tokens = new TokenCache(deps.tokenCacheSize ?? 1000);
  return {
    id: PROVIDER,
    capabilities: GOOGLECLOUD_CAPABILITIES,
    requiredCredentials: REQUIRED_CREDENTIALS.googlecloud,
    connect: (credentials, options) => new GoogleCloudSession(deps, tokens, credentials, commandBounds(deps, options)),
  };
}

/** Access tokens by SHA-256 of the key file, in memory, at most `max` (the oldest entry goes first). */
class TokenCache {
  private readonly entries = new Map<string, CachedToken>();
  constructor(private readonly max: number) {}
  get(key: string): CachedToken | undefined {
    const entry = this.entries.get(key);
    if (entry && entry.refreshAt <= Date.now()) {
      this.entries.delete(key);
      return undefined;
    }
    return entry;
  }
  set(key: string, entry: CachedToken): void {
    this.entries.delete(key);
    while (this.entries.size >= this.max) {
      const oldest = this.entries.keys().next();
      if (oldest.done) break;
      this.entries.delete(oldest.value);
    }
    this.entries.set(key, entry);
  }
  drop(key: string, token: string): void {
    if (this.entries.get(key)?.token === token) this.entries.delete(key);
  }
}

// ------------------------------------------------------------------------------------------------ the key file

/** The fields of a service-account key file the adapter uses (the file Google's console downloads). */
export interface ServiceAccountKey {
  readonly clientEmail: string;
  readonly privateKeyPem: string;
  readonly privateKeyId: string | undefined;
  readonly signingKey: CryptoKey;
}

/**
 * Parses and checks the key file. Every refusal is `auth` with a reason that names the field, never its value: the
 * text is the customer's private key.
 */
export async function parseServiceAccountKey(text: string | undefined): Promise<ServiceAccountKey> {
  const refuse = (reason: string) => new ProviderError(PROVIDER, 'auth', reason);
  if (!text || text.trim() === '') throw refuse('the service-account key file (ApiSecret) is missing');
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    // Not the JSON.parse message: V8 quotes the text around the error.
    throw refuse('the service-account key file (ApiSecret) is not valid JSON');
  }
  if (!isObject(parsed)) throw refuse('the service-account key file (ApiSecret) is not a JSON object');
  if (parsed.type !== undefined && parsed.type !== 'service_account') {
    throw refuse('ApiSecret is not a service-account key file (its "type" is not "service_account")');
  }
  const email = parsed.client_email;
  if (typeof email !== 'string' || !/^[^@\s]+@[^@\s]+$/.test(email)) throw refuse('the service-account key file has no valid client_email');
  const pem = parsed.private_key;
  if (typeof pem !== 'string' || pem.trim() === '') throw refuse('the service-account key file has no private_key');
  if (!/-----BEGIN PRIVATE KEY-----/.test(pem)) throw refuse('the private_key of the key file is not a PKCS #8 RSA private key');
  let signingKey: CryptoKey;
  try {
    signingKey = await importPKCS8(pem, 'RS256');
  } catch {
    throw refuse('the private_key of the key file is not a PKCS #8 RSA private key');
  }
  const keyId = typeof parsed.private_key_id === 'string' && parsed.private_key_id !== '' ? parsed.private_key_id : undefined;
  return { clientEmail: email, privateKeyPem: pem, privateKeyId: keyId, signingKey };
}

// ------------------------------------------------------------------------------------------------ the session

class GoogleCloudSession implements ProviderSession {
  private readonly base: string;
  private key: Promise<ServiceAccountKey> | undefined;
  /** Values derived from the credentials that must never reach a message: the token(s), the assertion, key fields. */
  private readonly derived = new Set<string>();

  constructor(
    private readonly deps: AdapterDeps & GoogleCloudOptions,
    private readonly tokens: TokenCache,
    private readonly credentials: ProviderCredentials,
    private readonly bounds: CommandBounds,
  ) {
    this.base = deps.baseUrl.replace(/\/+$/, '');
  }

  async findZone(domain: string): Promise<Zone> {
    const parsed = normaliseDomain(domain);
    if (!parsed.ok) throw new ProviderError(PROVIDER, 'rejected', parsed.reason);
    let privateOnly = false;
    // `dnsName=` is an exact match, so walk up from the domain to the registrable domain (§2 endpoints).
    for (const candidate of candidateZoneNames(parsed.domain, parsed.registrable)) {
      const zones = await this.listZones(candidate);
      const named = zones.filter((z) => normaliseName(z.dnsName) === candidate);
      // Private and public zones can share a dnsName; only a public zone is what the world resolves (§2 trap 5).
      const isPublic = named.filter((z) => (z.visibility ?? 'public').toLowerCase() === 'public');
      if (isPublic.length > 1) {
        throw new ProviderError(PROVIDER, 'rejected', `the project has ${isPublic.length} public zones named ${candidate}; the gateway cannot tell which one is delegated`);
      }
      const zone = isPublic[0];
      if (zone) return { name: candidate, id: zone.name };
      privateOnly ||= named.length > 0;
    }
    throw new ProviderError(
      PROVIDER,
      'not_found',
      privateOnly ? 'the project has only a private zone for this domain; a public zone is needed' : 'no public zone for this domain in this project',
    );
  }

  /** The zone lookup, then one rrsets page of one record: proves the key may read THAT zone's records (§11). */
  async authorize(domain: string): Promise<Zone> {
    const zone = await this.findZone(domain);
    await this.api('GET', `${this.zonePath(zone)}/rrsets?maxResults=1`, undefined, READ_RETRIES);
    return zone;
  }

  async readZone(zone: Zone): Promise<ZoneContents> {
    const rrsets = await this.listRrsets(zone);
    const records = rrsets.flatMap((rrset) => recordsFromRrset(rrset));
    const state: GoogleZoneState = { rrsets };
    return { records, adapterState: state };
  }

  /**
   * One changes.create. A refusal of the first send is Google's answer (412/409: the zone changed since it was read,
   * nothing applied; 400: invalid). A failure that may have reached Google (timeout, reset, 5xx, unreadable reply) is
   * settled by re-reading the touched rrsets: applied → done; unchanged → sent once more; otherwise reported.
   */
  async applyChanges(zone: Zone, contents: ZoneContents, changes: readonly RecordChange[]): Promise<ApplyResult> {
    if (changes.length === 0) return { applied: [] };
    const change = buildChange(zone.name, contents, changes);
    if (change.additions.length === 0 && change.deletions.length === 0) return { applied: [...changes] };
    const path = `${this.zonePath(zone)}/changes`;
    for (let sends = 1; ; sends++) {
      try {
        const reply = await this.api('POST', path, change, WRITE_RETRIES);
        if (!isObject(reply) || typeof reply.id !== 'string') throw new ProviderError(PROVIDER, 'protocol', 'the change reply has no change id');
        return { applied: [...changes] };
      } catch (error) {
        if (!(error instanceof ProviderError)) throw error;
        // Refused (412/409/400/403, or a 429 retried until the deadline): Google did not take the change.
        if (error.isCallerFault || error.kind === 'rate_limited') {
          if (sends === 1) throw error;
          throw withNote(error, 'the zone was re-read before the change was sent again: nothing was changed');
        }
        const outcome = await this.changeOutcome(zone, change);
        if (outcome === 'applied') return { applied: [...changes] };
        if (outcome === 'unchanged' && sends < CHANGE_SENDS) {
          const wait = error.retryAfterSeconds === undefined ? 0 : error.retryAfterSeconds * 1000;
          if (wait > 0 && wait <= READ_RETRIES.maxDelayMs && Date.now() + wait < this.bounds.deadline) await (this.deps.sleep ?? defaultSleep)(wait);
          continue;
        }
        throw withNote(
          error,
          outcome === 'unchanged'
            ? 'the zone was re-read: nothing was changed'
            : outcome === 'diverged'
              ? 'the zone was re-read and the record sets hold neither the old nor the new values (changed elsewhere?)'
              : 'whether the change was applied could not be checked',
        );
      }
    }
  }

  /** After an uncertain send: the touched rrsets now equal the additions (applied), the deletions (unchanged), or neither. */
  private async changeOutcome(zone: Zone, change: GoogleChange): Promise<'applied' | 'unchanged' | 'diverged' | 'unknown'> {
    let now: readonly GoogleRrset[];
    try {
      now = await this.listRrsets(zone);
    } catch {
      return 'unknown';
    }
    return judgeChange(change, now);
  }

  private zonePath(zone: Zone): string {
    return `/projects/${encodeURIComponent(this.project())}/managedZones/${encodeURIComponent(zone.id)}`;
  }

  private project(): string {
    const project = this.credentials.apiKey.trim();
    // Project ids: lower-case letters, digits, hyphens (and the legacy `domain:project` form); never a path.
    if (!/^[a-z0-9][a-z0-9.:-]{0,99}$/i.test(project)) throw new ProviderError(PROVIDER, 'auth', 'the project id (ApiKey) is not a valid Google Cloud project id');
    return project;
  }

  private async listZones(dnsName: string): Promise<{ name: string; dnsName: string; visibility?: string }[]> {
    const zones: { name: string; dnsName: string; visibility?: string }[] = [];
    let pageToken: string | undefined;
    for (let page = 0; page < MAX_PAGES; page++) {
      const query = `dnsName=${encodeURIComponent(`${dnsName}.`)}${pageToken ? `&pageToken=${encodeURIComponent(pageToken)}` : ''}`;
      const reply = await this.api('GET', `/projects/${encodeURIComponent(this.project())}/managedZones?${query}`, undefined, READ_RETRIES);
      if (!isObject(reply)) throw new ProviderError(PROVIDER, 'protocol', 'the zone list reply is not an object');
      const list = reply.managedZones ?? [];
      if (!Array.isArray(list)) throw new ProviderError(PROVIDER, 'protocol', 'the zone list reply has no zone list');
      for (const z of list) {
        if (!isObject(z) || typeof z.name !== 'string' || typeof z.dnsName !== 'string') throw new ProviderError(PROVIDER, 'protocol', 'a zone in the reply is malformed');
        zones.push({ name: z.name, dnsName: z.dnsName, ...(typeof z.visibility === 'string' ? { visibility: z.visibility } : {}) });
      }
      const next = nextToken(reply, pageToken);
      if (next === undefined) return zones;
      pageToken = next;
    }
    throw new ProviderError(PROVIDER, 'protocol', `the zone list did not end after ${MAX_PAGES} pages`);
  }

  /** rrsets.list, every page (`pageToken`/`nextPageToken`, §2 endpoints). */
  private async listRrsets(zone: Zone): Promise<GoogleRrset[]> {
    const rrsets: GoogleRrset[] = [];
    let pageToken: string | undefined;
    for (let page = 0; page < MAX_PAGES; page++) {
      const params = [
        ...(this.deps.pageSize === undefined ? [] : [`maxResults=${this.deps.pageSize}`]),
        ...(pageToken === undefined ? [] : [`pageToken=${encodeURIComponent(pageToken)}`]),
      ];
      const reply = await this.api('GET', `${this.zonePath(zone)}/rrsets${params.length ? `?${params.join('&')}` : ''}`, undefined, READ_RETRIES);
      if (!isObject(reply)) throw new ProviderError(PROVIDER, 'protocol', 'the record list reply is not an object');
      const list = reply.rrsets ?? [];
      if (!Array.isArray(list)) throw new ProviderError(PROVIDER, 'protocol', 'the record list reply has no rrsets list');
      for (const item of list) rrsets.push(checkRrset(item));
      const next = nextToken(reply, pageToken);
      if (next === undefined) return rrsets;
      pageToken = next;
    }
    throw new ProviderError(PROVIDER, 'protocol', `the record list did not end after ${MAX_PAGES} pages`);
  }

  // ---------------------------------------------------------------------------------------------- calls

  /**
   * One API call with its retries, under the command's deadline. A 401 with a token from the cache (revoked, or
   * expired early) drops it and grants a new one, once; a 401 with a fresh token is the caller's `auth` failure.
   */
  private async api(method: 'GET' | 'POST', path: string, body: unknown, policy: RetryPolicy): Promise<unknown> {
    const reserve = method === 'POST' ? writeReserveMs(this.bounds) : 0;
    for (let round = 1; ; round++) {
      const { token, cacheKey, fromCache } = await this.accessToken(reserve);
      try {
        return await withRetries(
          policy,
          async () => {
            const reply = await withAttemptSignal(PROVIDER, this.bounds, reserve, (signal) =>
              send(PROVIDER, this.deps, `${this.base}${path}`, {
                method,
                headers: {
                  authorization: `Bearer ${token}`,
                  accept: 'application/json',
                  ...(body === undefined ? {} : { 'content-type': 'application/json' }),
                },
                body: body === undefined ? undefined : JSON.stringify(body),
                signal,
              }),
            );
            if (reply.status >= 200 && reply.status < 300) return parseJson<unknown>(PROVIDER, reply);
            throw googleApiError(reply, (text) => this.redact(text));
          },
          { deadline: this.bounds.deadline - reserve, sleep: this.deps.sleep, signal: this.bounds.signal },
        );
      } catch (error) {
        if (error instanceof ProviderError && TOKEN_REFUSED.has(error)) {
          // A refused token is never used again; one from the cache may just have been revoked early: grant once more.
          this.tokens.drop(cacheKey, token);
          if (fromCache && round === 1) continue;
        }
        throw error;
      }
    }
  }

  /** The cached token for this key file, or a new one from the token endpoint. */
  private async accessToken(reserve: number): Promise<{ token: string; cacheKey: string; fromCache: boolean }> {
    const key = await this.serviceAccountKey();
    const cacheKey = createHash('sha256').update(this.credentials.apiSecret ?? '').digest('hex');
    const cached = this.tokens.get(cacheKey);
    if (cached) {
      this.derived.add(cached.token);
      return { token: cached.token, cacheKey, fromCache: true };
    }
    const granted = await this.grant(key, reserve);
    this.tokens.set(cacheKey, granted);
    return { token: granted.token, cacheKey, fromCache: false };
  }

  private serviceAccountKey(): Promise<ServiceAccountKey> {
    this.key ??= parseServiceAccountKey(this.credentials.apiSecret).then((key) => {
      for (const value of [key.privateKeyPem, key.clientEmail, key.privateKeyId]) if (value) this.derived.add(value);
      return key;
    });
    return this.key;
  }

  /**
   * The JWT-bearer grant (RFC 7523; §2 auth): iss = client_email, scope = Cloud DNS read-write, aud = the configured
   * token URL, iat/exp one hour apart, kid = private_key_id. POSTed to GOOGLE_OAUTH_TOKEN_URL only.
   */
  private async grant(key: ServiceAccountKey, reserve: number): Promise<CachedToken> {
    const tokenUrl = this.deps.tokenUrl;
    return withRetries(
      READ_RETRIES,
      async () => {
        const now = Math.floor(Date.now() / 1000);
        const assertion = await new SignJWT({ scope: GOOGLE_DNS_SCOPE })
          .setProtectedHeader({ alg: 'RS256', typ: 'JWT', ...(key.privateKeyId ? { kid: key.privateKeyId } : {}) })
          .setIssuer(key.clientEmail)
          .setAudience(tokenUrl)
          .setIssuedAt(now)
          .setExpirationTime(now + ASSERTION_LIFETIME_S)
          .sign(key.signingKey);
        this.derived.add(assertion);
        const form = new URLSearchParams({ grant_type: JWT_BEARER, assertion }).toString();
        const reply = await withAttemptSignal(PROVIDER, this.bounds, reserve, (signal) =>
          send(PROVIDER, this.deps, tokenUrl, {
            method: 'POST',
            operation: 'auth',
            headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
            body: form,
            signal,
          }),
        );
        if (reply.status !== 200) throw tokenError(reply, (text) => this.redact(text));
        const body = parseJson<unknown>(PROVIDER, reply);
        if (!isObject(body) || typeof body.access_token !== 'string' || body.access_token === '') {
          throw new ProviderError(PROVIDER, 'protocol', 'the token endpoint answered without an access token');
        }
        this.derived.add(body.access_token);
        const lifetime = typeof body.expires_in === 'number' && body.expires_in > 0 ? body.expires_in : 3600;
        // Renewed five minutes before Google's expiry (half the lifetime for a short-lived token).
        const margin = Math.min(300, lifetime / 2);
        return { token: body.access_token, refreshAt: Date.now() + (lifetime - margin) * 1000 };
      },
      { deadline: this.bounds.deadline - reserve, sleep: this.deps.sleep, signal: this.bounds.signal },
    );
  }

  /** Provider text with every credential field, the token, the assertion and the key's own fields scrubbed. */
  private redact(text: string): string {
    return redactCredentials(text, this.credentials, [...this.derived]);
  }
}

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** The token the API refused (401): the session may drop a cached token and grant once more. */
const TOKEN_REFUSED = new WeakSet<ProviderError>();

function withNote(error: ProviderError, note: string): ProviderError {
  return new ProviderError(PROVIDER, error.kind, `${error.reason}; ${note}`, {
    cause: error,
    ...(error.retryAfterSeconds === undefined ? {} : { retryAfterSeconds: error.retryAfterSeconds }),
    staleRead: error.staleRead,
  });
}

/** `nextPageToken`, refusing a token that repeats the one just used (a reply that would page forever). */
function nextToken(reply: Record<string, unknown>, current: string | undefined): string | undefined {
  const next = reply.nextPageToken;
  if (next === undefined || next === null || next === '') return undefined;
  if (typeof next !== 'string' || next === current) throw new ProviderError(PROVIDER, 'protocol', 'the list reply has an unusable nextPageToken');
  return next;
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

function checkRrset(item: unknown): GoogleRrset {
  if (!isObject(item) || typeof item.name !== 'string' || typeof item.type !== 'string' || typeof item.ttl !== 'number') {
    throw new ProviderError(PROVIDER, 'protocol', 'a record set in the reply is malformed');
  }
  if (item.rrdatas !== undefined && !(Array.isArray(item.rrdatas) && item.rrdatas.every((d) => typeof d === 'string'))) {
    throw new ProviderError(PROVIDER, 'protocol', 'a record set in the reply has malformed rrdatas');
  }
  return item as GoogleRrset;
}

/**
 * One neutral record per rrdata. TXT: quoted strings unquoted and joined (§9); CNAME/NS/PTR targets and MX/SRV
 * targets without the trailing dot; MX and SRV priority apart; SRV content `weight port target`. A routing-policy
 * rrset (no `rrdatas`) yields none: it is kept as read and never rewritten.
 */
export function recordsFromRrset(rrset: GoogleRrset): DnsRecord[] {
  const type = rrset.type.toUpperCase();
  const name = normaliseName(rrset.name);
  return (rrset.rrdatas ?? []).map((rrdata) => {
    const raw: GoogleRecordRaw = { rrset, rrdata };
    const base = { type, name, ttl: rrset.ttl, raw };
    // Google keeps a quoted rrdata as entered, in the customer's character-strings (§2 TXT): a revert writes it back.
    if (type === 'TXT' || type === 'SPF') return { ...base, content: joinTxt(rrdata), wireValue: rrdata };
    if (type === 'CNAME' || type === 'NS' || type === 'PTR') return { ...base, content: stripDot(rrdata.trim()) };
    if (type === 'MX') {
      const match = /^\s*(\d+)\s+(\S+)\s*$/.exec(rrdata);
      if (match) return { ...base, content: stripDot(match[2]!), priority: Number(match[1]) };
    }
    if (type === 'SRV') {
      const match = /^\s*(\d+)\s+(\d+)\s+(\d+)\s+(\S+)\s*$/.exec(rrdata);
      if (match) return { ...base, content: `${match[2]} ${match[3]} ${stripDot(match[4]!)}`, priority: Number(match[1]) };
    }
    return { ...base, content: rrdata };
  });
}

// ------------------------------------------------------------------------------------------------ writing

/** A neutral record → one rrdata in Google's form (§2 "rrset JSON", TXT; §10). */
export function toRrdata(record: DesiredRecord): string {
  const type = record.type.toUpperCase();
  const content = record.content.trim();
  switch (type) {
    case 'TXT':
      // Always quoted: Google splits unquoted text at its spaces, one string per word (§2 TXT, terraform#13463). A
      // value to restore is read as Google would store it, so an unquoted one (never read from Google) with a space
      // is not the value to write, and is encoded afresh.
      return restoredTxt(record, (wire) => (/^\s*"/.test(wire) ? joinTxt(wire) : wire.replace(/\s+/g, ''))) ?? quoteTxt(record.content);
    case 'CNAME':
    case 'NS':
      return fqdn(content);
    case 'MX':
      return `${record.priority ?? 0} ${fqdn(content)}`;
    case 'SRV': {
      const [weight, port, target] = content.split(/\s+/);
      return `${record.priority ?? 0} ${weight ?? 0} ${port ?? 0} ${fqdn(target ?? '')}`;
    }
    default:
      return content;
  }
}

interface RrsetEdit {
  readonly key: string;
  readonly name: string;
  readonly type: string;
  readonly read: GoogleRrset | undefined;
  /** The rrdatas as read, then edited in place: null = removed. */
  readonly values: (string | null)[];
  /** Indexes of `values` the plan wrote (not carried over from the read). */
  readonly written: Set<number>;
  /** TTLs of the written values, in plan order. */
  readonly ttls: number[];
}

/**
 * Pure: the one `changes.create` body for a plan. Each touched rrset is deleted exactly as read (name, type, ttl,
 * rrdatas as Google listed them, §2 trap 2) and added back merged: every value read, byte for byte and in its place,
 * minus what the plan deletes, plus what it writes. The rrset keeps the TTL it was read with while any value read
 * stays in it (one TTL per rrset; changing it would alter the customer's other values) [infer]. Everything Google would
 * refuse for a reason known in advance is refused here, before any call.
 */
export function buildChange(apex: string, contents: ZoneContents, changes: readonly RecordChange[]): GoogleChange {
  const readSets = rrsetsAsRead(contents);
  const edits = new Map<string, RrsetEdit>();
  const edit = (type: string, fullName: string): RrsetEdit => {
    const t = type.toUpperCase();
    const name = normaliseName(fullName);
    if (!GOOGLECLOUD_CAPABILITIES.recordTypes.has(t)) throw rejected(`the gateway does not write ${t} records at Google Cloud DNS`);
    if (name !== apex && !name.endsWith(`.${apex}`)) throw rejected(`${name} is not in the zone ${apex}`);
    if (t === 'NS' && name === apex) throw rejected('the zone apex NS record set is managed by Google Cloud DNS');
    const key = `${name}|${t}`;
    let found = edits.get(key);
    if (!found) {
      const read = readSets.get(key);
      if (read && read.rrdatas === undefined) throw rejected(`the ${t} record set at ${name} uses a routing policy, which the gateway does not rewrite`);
      found = { key, name, type: t, read, values: [...(read?.rrdatas ?? [])], written: new Set(), ttls: [] };
      edits.set(key, found);
    }
    return found;
  };
  const take = (target: RrsetEdit, before: DnsRecord): number => {
    const raw = isGoogleRaw(before.raw) && sameRrset(before.raw.rrset, target) ? before.raw.rrdata : undefined;
    const index = target.values.findIndex(
      (value, i) => value !== null && !target.written.has(i) && (raw !== undefined ? value === raw : sameNeutral(recordsFromRrset({ name: target.name, type: target.type, ttl: 0, rrdatas: [value] })[0]!, before)),
    );
    if (index < 0) throw new ProviderError(PROVIDER, 'conflict', `the ${before.type.toUpperCase()} record at ${normaliseName(before.name)} is no longer in the zone as read`);
    return index;
  };
  const write = (target: RrsetEdit, record: DesiredRecord, at?: number) => {
    checkWritable(record);
    const value = toRrdata(record);
    if (at === undefined) {
      target.values.push(value);
      target.written.add(target.values.length - 1);
    } else {
      target.values[at] = value;
      target.written.add(at);
    }
    target.ttls.push(record.ttl);
  };
  for (const change of changes) {
    if (change.action === 'DELETE') {
      const source = edit(change.before.type, change.before.name);
      source.values[take(source, change.before)] = null;
    } else if (change.action === 'UPDATE') {
      const source = edit(change.before.type, change.before.name);
      const index = take(source, change.before);
      const target = edit(change.record.type, change.record.name);
      if (source === target) write(target, change.record, index);
      else {
        source.values[index] = null;
        write(target, change.record);
      }
    } else {
      write(edit(change.record.type, change.record.name), change.record);
    }
  }

  const result: GoogleChange = { additions: [], deletions: [] };
  const finalTypes = new Map<string, Set<string>>();
  for (const [key, rrset] of readSets) if (!edits.has(key)) addType(finalTypes, normaliseName(rrset.name), rrset.type.toUpperCase());
  for (const e of edits.values()) {
    const values: string[] = [];
    let keptFromRead = false;
    e.values.forEach((value, i) => {
      if (value === null) return;
      // An rrset is a set: a value equal to one already kept is not added twice (Google refuses duplicates [infer]).
      if (values.some((v) => sameRrdata(e.type, v, value))) return;
      values.push(value);
      if (!e.written.has(i)) keptFromRead = true;
    });
    if (values.length > 0) addType(finalTypes, e.name, e.type);
    if (e.type === 'CNAME' && values.length > 1) throw rejected(`a CNAME record set holds one value; ${e.name} would hold ${values.length}`);
    if (values.length > 100) throw rejected(`the ${e.type} record set at ${e.name} would hold more than 100 values (Google's limit)`);
    const ttl = keptFromRead && e.read ? e.read.ttl : (e.ttls[0] ?? e.read?.ttl ?? 3600);
    const unchanged = e.read && values.length === e.read.rrdatas!.length && values.every((v, i) => v === e.read!.rrdatas![i]) && ttl === e.read.ttl;
    if (unchanged) continue;
    if (e.read) result.deletions.push(exactRrset(e.read));
    if (values.length > 0) result.additions.push({ name: e.read?.name ?? `${e.name}.`, type: e.type, ttl, rrdatas: values });
  }
  // RFC 1034 §3.6.2: a CNAME shares its name with nothing; Google refuses such an addition.
  for (const addition of result.additions) {
    const types = finalTypes.get(normaliseName(addition.name));
    if (types && types.size > 1 && types.has('CNAME')) throw rejected(`a CNAME cannot share its name (${normaliseName(addition.name)}) with other records`);
  }
  if (result.additions.length > 1000 || result.deletions.length > 1000) throw rejected('the change touches more than 1000 record sets (Google\'s limit per change)');
  return result;
}

function addType(map: Map<string, Set<string>>, name: string, type: string): void {
  const types = map.get(name) ?? new Set<string>();
  types.add(type);
  map.set(name, types);
}

/** What Google would refuse in a written record, refused before any call. */
function checkWritable(record: DesiredRecord): void {
  const type = record.type.toUpperCase();
  const name = normaliseName(record.name);
  if (!Number.isInteger(record.ttl) || record.ttl < GOOGLECLOUD_CAPABILITIES.minTtl || record.ttl > GOOGLE_MAX_TTL) {
    throw rejected(`TTL ${record.ttl} of the ${type} record at ${name} is outside 0–${GOOGLE_MAX_TTL} seconds`);
  }
  if (type === 'TXT' && Buffer.byteLength(record.content, 'utf8') > GOOGLECLOUD_CAPABILITIES.maxTxtLength) {
    throw rejected(`the TXT value at ${name} is longer than ${GOOGLECLOUD_CAPABILITIES.maxTxtLength} bytes`);
  }
  if ((type === 'MX' || type === 'SRV') && record.priority !== undefined && !(Number.isInteger(record.priority) && record.priority >= 0 && record.priority <= 65_535)) {
    throw rejected(`priority ${record.priority} of the ${type} record at ${name} is not 0–65535`);
  }
  if ((type === 'CNAME' || type === 'NS' || type === 'MX') && record.content.trim() === '') throw rejected(`the ${type} record at ${name} has no target`);
  if (type !== 'TXT' && type !== 'CAA' && /"/.test(record.content)) throw rejected(`the ${type} value at ${name} must not be quoted`);
}

/** The rrsets as read: from readZone's state, else rebuilt from the records' `raw` (or, last, from neutral records). */
function rrsetsAsRead(contents: ZoneContents): Map<string, GoogleRrset> {
  const out = new Map<string, GoogleRrset>();
  const state = contents.adapterState as Partial<GoogleZoneState> | undefined;
  if (state && Array.isArray(state.rrsets)) {
    for (const rrset of state.rrsets) out.set(`${normaliseName(rrset.name)}|${rrset.type.toUpperCase()}`, rrset);
    return out;
  }
  const rebuilt = new Map<string, { name: string; type: string; ttl: number; rrdatas: string[] }>();
  for (const record of contents.records) {
    const key = `${normaliseName(record.name)}|${record.type.toUpperCase()}`;
    if (isGoogleRaw(record.raw)) {
      out.set(key, record.raw.rrset);
      continue;
    }
    const entry = rebuilt.get(key) ?? { name: `${normaliseName(record.name)}.`, type: record.type.toUpperCase(), ttl: record.ttl, rrdatas: [] };
    entry.rrdatas.push(toRrdata(record));
    rebuilt.set(key, entry);
  }
  for (const [key, rrset] of rebuilt) if (!out.has(key)) out.set(key, rrset);
  return out;
}

/** A deletion: the rrset exactly as read, name, type, ttl and rrdatas (order included), nothing else. */
function exactRrset(rrset: GoogleRrset): GoogleRrset {
  return { name: rrset.name, type: rrset.type, ttl: rrset.ttl, rrdatas: [...(rrset.rrdatas ?? [])] };
}

/**
 * Pure: after a send whose reply was lost, the rrsets now listed equal every addition (and the deleted-only rrsets
 * are gone): applied; or they equal every deletion (and the added-only rrsets are absent): unchanged.
 */
export function judgeChange(change: GoogleChange, now: readonly GoogleRrset[]): 'applied' | 'unchanged' | 'diverged' {
  const current = new Map(now.map((r) => [`${normaliseName(r.name)}|${r.type.toUpperCase()}`, r]));
  const keys = new Set([...change.additions, ...change.deletions].map((r) => `${normaliseName(r.name)}|${r.type.toUpperCase()}`));
  const find = (list: readonly GoogleRrset[], key: string) => list.find((r) => `${normaliseName(r.name)}|${r.type.toUpperCase()}` === key);
  let applied = true;
  let unchanged = true;
  for (const key of keys) {
    const is = current.get(key);
    applied &&= sameContent(is, find(change.additions, key));
    unchanged &&= sameContent(is, find(change.deletions, key));
  }
  return applied ? 'applied' : unchanged ? 'unchanged' : 'diverged';
}

function sameContent(a: GoogleRrset | undefined, b: GoogleRrset | undefined): boolean {
  if (!a || !b) return a === b;
  const type = a.type.toUpperCase();
  const left = (a.rrdatas ?? []).map((d) => canonicalRrdata(type, d)).sort();
  const right = (b.rrdatas ?? []).map((d) => canonicalRrdata(type, d)).sort();
  return a.ttl === b.ttl && left.length === right.length && left.every((v, i) => v === right[i]);
}

function sameRrdata(type: string, a: string, b: string): boolean {
  return canonicalRrdata(type, a) === canonicalRrdata(type, b);
}

/** An rrdata compared as DNS compares it: TXT by its joined value, others case- and space-insensitively. */
function canonicalRrdata(type: string, rrdata: string): string {
  return type === 'TXT' || type === 'SPF' ? joinTxt(rrdata) : rrdata.trim().replace(/\s+/g, ' ').toLowerCase();
}

function sameRrset(rrset: GoogleRrset, target: { name: string; type: string }): boolean {
  return normaliseName(rrset.name) === target.name && rrset.type.toUpperCase() === target.type;
}

function sameNeutral(a: DnsRecord, b: DnsRecord): boolean {
  const type = a.type.toUpperCase();
  const fold = (s: string) => (type === 'TXT' || type === 'SPF' ? s : stripDot(s).toLowerCase());
  return type === b.type.toUpperCase() && a.name === normaliseName(b.name) && fold(a.content) === fold(b.content) && (a.priority ?? undefined) === (b.priority ?? undefined);
}

function isGoogleRaw(raw: unknown): raw is GoogleRecordRaw {
  return isObject(raw) && typeof raw.rrdata === 'string' && isObject(raw.rrset) && typeof raw.rrset.name === 'string' && typeof raw.rrset.type === 'string';
}

// ------------------------------------------------------------------------------------------------ errors

interface GoogleErrorBody {
  readonly code?: unknown;
  readonly message?: unknown;
  readonly status?: unknown;
  readonly errors?: unknown;
  readonly details?: unknown;
}

/**
 * A non-2xx dns/v1 reply → ProviderError. Google's envelope `{"error":{"code","message","errors":[{"reason"}],
 * "status"}}` (§2 errors; 401 body: dacastro4/laravel-gmail#273; 403: terraform-provider-google#9468; 404 project:
 * mantl/mantl#1920; 400 project: rmbolger/Posh-ACME#688; 404 zone: stacklok/sigstore-the-hard-way#10; 429:
 * kubernetes-sigs/external-dns#1710; 403 quotaExceeded: external-dns#1028). Every text repeated goes through `redact`.
 */
export function googleApiError(reply: HttpReply, redact: (text: string) => string): ProviderError {
  let error: GoogleErrorBody = {};
  let malformed = false;
  try {
    const parsed: unknown = JSON.parse(reply.text);
    if (isObject(parsed) && isObject(parsed.error)) error = parsed.error;
    else malformed = true;
  } catch {
    malformed = true;
  }
  const status = reply.status;
  const message = typeof error.message === 'string' ? error.message : '';
  const reasons = [
    ...(Array.isArray(error.errors) ? error.errors.filter(isObject).map((e) => e.reason) : []),
    ...(Array.isArray(error.details) ? error.details.filter(isObject).map((d) => d.reason) : []),
  ].filter((r): r is string => typeof r === 'string');
  const has = (...names: string[]) => reasons.some((r) => names.includes(r));
  // A reason is provider text too: matched as sent, repeated only scrubbed.
  const shownReason = reasons[0] === undefined ? '' : redact(reasons[0].replace(/[\u0000-\u001f\u007f]/g, ' ')).slice(0, 100);
  const retryAfter = retryAfterSeconds(reply.headers);
  const fail = (kind: ProviderErrorKind, reason: string, options: { staleRead?: boolean } = {}) =>
    new ProviderError(PROVIDER, kind, reason, { ...options, ...(retryAfter === undefined ? {} : { retryAfterSeconds: retryAfter }) });
  const quoted = () => {
    const text = redact(message.replace(/[\u0000-\u001f\u007f]/g, ' ')).trim();
    return text.length > 300 ? `${text.slice(0, 300)}…` : text;
  };

  if (status === 429 || has('rateLimitExceeded', 'userRateLimitExceeded', 'RATE_LIMIT_EXCEEDED')) {
    return fail('rate_limited', 'API quota exceeded (requests per minute per project)');
  }
  if (status >= 500) return fail('unavailable', malformed ? `HTTP ${status} with ${describeBody(reply.text)}` : `HTTP ${status}${shownReason ? ` (${shownReason})` : ''}`);
  if (status === 401) {
    const refused = fail('auth', 'the access token was refused (Invalid Credentials)');
    TOKEN_REFUSED.add(refused);
    return refused;
  }
  if (status === 412 || has('conditionNotMet')) return fail('conflict', 'the zone changed while it was being written; nothing was applied', { staleRead: true });
  if (status === 409 || has('alreadyExists')) return fail('conflict', 'the zone changed while it was being written; nothing was applied', { staleRead: true });
  if (status === 403) {
    if (has('quotaExceeded')) return fail('rejected', `the change exceeds a Cloud DNS quota: ${quoted()}`);
    if (has('accessNotConfigured', 'SERVICE_DISABLED') || /has not been used|is disabled/i.test(message)) {
      return fail('forbidden', 'the Cloud DNS API is not enabled in this project');
    }
    if (has('insufficientPermissions', 'ACCESS_TOKEN_SCOPE_INSUFFICIENT')) return fail('forbidden', 'the access token lacks the Cloud DNS scope');
    return fail('forbidden', 'the service account has no Cloud DNS access in this project (roles/dns.admin or a zone-level role is needed)');
  }
  if (status === 404) {
    // A deletion of an rrset that is no longer there: "The 'entity.change.deletions[0]' resource named '… (TXT)' does
    // not exist." (certbot/certbot#6036, §2 errors). The zone is there; the rrset changed since it was read.
    if (/'entity\.change\.deletions\[\d+\]'/.test(message)) {
      return fail('conflict', 'the zone changed while it was being written; nothing was applied', { staleRead: true });
    }
    if (/project/i.test(message)) return fail('auth', 'project not found: check the project id (ApiKey)');
    return fail('not_found', 'zone not found in this project');
  }
  if (malformed) return fail('protocol', `HTTP ${status} with ${describeBody(reply.text)}`);
  if (status === 400) {
    if (has('RESOURCE_PROJECT_INVALID') || /parameters\.project/.test(message)) return fail('auth', 'invalid project id (ApiKey)');
    return fail('rejected', `the change was refused: ${quoted() || 'invalid request'}`);
  }
  return fail('protocol', `unexpected HTTP ${status}${shownReason ? ` (${shownReason})` : ''}`);
}

/**
 * A token-endpoint refusal → ProviderError. `{"error":"invalid_grant","error_description":…}` (§2 auth: "Invalid JWT
 * Signature." for a deleted or rotated key, googleapis/google-cloud-python#10004; "Invalid grant: account not found",
 * googleapis/google-cloud-php#3622; "Token must be a short-lived token", googleapis/google-api-php-client#1429).
 */
export function tokenError(reply: HttpReply, redact: (text: string) => string): ProviderError {
  const status = reply.status;
  const retryAfter = retryAfterSeconds(reply.headers);
  if (status === 429) return new ProviderError(PROVIDER, 'rate_limited', 'the token endpoint is rate limiting', retryAfter === undefined ? {} : { retryAfterSeconds: retryAfter });
  if (status >= 500) return new ProviderError(PROVIDER, 'unavailable', `the token endpoint answered HTTP ${status}`, retryAfter === undefined ? {} : { retryAfterSeconds: retryAfter });
  let code = '';
  let description = '';
  try {
    const parsed: unknown = JSON.parse(reply.text);
    if (isObject(parsed)) {
      code = typeof parsed.error === 'string' ? parsed.error : '';
      description = typeof parsed.error_description === 'string' ? parsed.error_description : '';
    }
  } catch {
    return new ProviderError(PROVIDER, 'protocol', `the token endpoint answered HTTP ${status} with ${describeBody(reply.text)}`);
  }
  if (/Invalid JWT Signature/i.test(description)) {
    return new ProviderError(PROVIDER, 'auth', 'the service-account key was refused (Invalid JWT Signature): it was deleted or rotated, or client_email does not match it');
  }
  if (/account not found/i.test(description)) return new ProviderError(PROVIDER, 'auth', 'the service account does not exist or is disabled');
  if (/short-lived|reasonable timeframe/i.test(description)) {
    return new ProviderError(PROVIDER, 'auth', "the token grant was refused: this server's clock and Google's disagree (JWT iat/exp)");
  }
  const text = redact(`${code}${description ? `: ${description}` : ''}`.replace(/[\u0000-\u001f\u007f]/g, ' ')).slice(0, 300);
  if (status === 400 || status === 401 || status === 403) return new ProviderError(PROVIDER, 'auth', `the token grant was refused${text ? ` (${text})` : ''}`);
  return new ProviderError(PROVIDER, 'protocol', `the token endpoint answered HTTP ${status}`);
}

// ------------------------------------------------------------------------------------------------ helpers

const normaliseName = (name: string) => stripDot(name.trim().toLowerCase());
const stripDot = (host: string) => host.replace(/\.$/, '');
const fqdn = (host: string) => (host.endsWith('.') ? host : `${host}.`);

function describeBody(text: string): string {
  return /^\s*</.test(text) ? 'an HTML page' : 'a malformed body';
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function rejected(reason: string): ProviderError {
  return new ProviderError(PROVIDER, 'rejected', reason);
}
