/**
 * Cloudflare API v4 adapter. Facts and their sources: ../shared/reference/providers.md §1.
 *
 * Calls per command, at the minimum: findZone = one `GET /zones?name=` per candidate name (one for an apex domain);
 * readZone = one `GET /zones/{id}/dns_records` per page (one for a zone that fits in `pageSize`); applyChanges = one
 * `POST /zones/{id}/dns_records/batch` (one DB transaction at Cloudflare, so a plan is all-or-nothing).
 */
import { REQUIRED_CREDENTIALS } from './credentials.js';
import { redactCredentials } from './redact.js';
import { normaliseDomain } from '../src/domain.js';
import {
  withAttemptSignal,
  commandBounds,
  parseJson,
  send,
  withRetries,
  retryAfterSeconds,
  writeReserveMs,
  type AdapterDeps,
  type CommandBounds,
  type HttpReply,
  type RetryPolicy,
} from './http.js';
import {
  ProviderError,
  type DesiredRecord,
  type ApplyResult,
  type DnsProvider,
  type DnsRecord,
  type ProviderCredentials,
  type ProviderErrorKind,
  type ProviderFields,
  type ProviderSession,
  type RecordChange,
  type Zone,
  type ZoneContents,
} from './types.js';
import { restoredTxt } from './restore.js';

export interface CloudflareAdapterDeps extends AdapterDeps {
  /**
   * `per_page` asked of the record list. Large so that an ordinary zone is one call; Cloudflare's schema allows up
   * to 5,000,000 (providers.md §1 "Endpoints used"). Tests lower it to prove pagination.
   * @default 5000
   */
  readonly pageSize?: number;
}

/** A DNS record as Cloudflare returns it (cf-ts `RecordResponse`); only the fields the adapter reads are typed. */
export interface CloudflareRecord {
  readonly id: string;
  readonly type: string;
  readonly name: string;
  readonly content: string;
  readonly ttl: number;
  readonly priority?: number;
  readonly proxied?: boolean;
  readonly [field: string]: unknown;
}

interface Envelope<T> {
  readonly success?: boolean;
  readonly result?: T;
  readonly errors?: readonly CloudflareApiError[];
  readonly result_info?: { readonly page?: number; readonly total_pages?: number };
}

interface CloudflareApiError {
  readonly code?: number;
  readonly message?: string;
  readonly error_chain?: readonly CloudflareApiError[];
}

const PROVIDER = 'cloudflare';
const DEFAULT_PAGE_SIZE = 5000;
/** A runaway `total_pages` must not keep us paging forever: 1000 pages of 5000 is far past any real zone. */
const MAX_PAGES = 1000;

/** Reads are safe to repeat; Cloudflare's 429 carries Retry-After (providers.md §1 "Rate limits"). */
const READ_RETRIES: RetryPolicy = {
  attempts: 4,
  baseDelayMs: 500,
  maxDelayMs: 10_000,
  retryOn: (e) => e.kind === 'rate_limited' || e.kind === 'unavailable' || e.kind === 'timeout',
};

/**
 * The batch POST is not idempotent: a lost reply may mean it committed, and repeating it would give 81058 or
 * duplicates (providers.md §1 trap 4). Only a 429 is repeated blindly: Cloudflare refuses a rate-limited call before
 * it runs. Any other failure is settled by re-reading the zone (see `applyChanges`).
 */
const BATCH_RETRIES: RetryPolicy = { ...READ_RETRIES, retryOn: (e) => e.kind === 'rate_limited' };

/** Batch sends in one command: the first, and one more only when a re-read proved the first changed nothing. */
const BATCH_SENDS = 2;

export function createCloudflareProvider(deps: CloudflareAdapterDeps): DnsProvider {
  return {
    id: PROVIDER,
    // TTL 1 ("automatic") or 60–86400 outside Enterprise (providers.md §1 "Record semantics").
    capabilities: {
      recordTypes: new Set(['A', 'AAAA', 'CNAME', 'MX', 'TXT', 'NS', 'SRV', 'CAA']),
      minTtl: 60,
      maxTtl: 86_400,
      atomicApply: true,
      // The batch applies as read: Cloudflare checks no version of the zone, so the zone lock is the guard.
      guardedWrite: false,
      // cf-ts `TXTRecord.content`: up to 2048 characters, split into 255-byte strings by Cloudflare.
      maxTxtLength: 2048,
      // GET /zones?name=, GET /zones/{id}/dns_records (one page); one POST …/dns_records/batch for the whole plan.
      upstreamCalls: { read: 2, write: { perPlan: 1, perRrset: 0, perRecord: 0 } },
      writes: 'one batch transaction; TXT quoted in 255-byte strings; mail CNAMEs `proxied:false`; proxied flags, comments and tags kept',
    },
    requiredCredentials: REQUIRED_CREDENTIALS.cloudflare,
    connect: (credentials, options) => connectCloudflare(deps, credentials, commandBounds(deps, options)),
  };
}

function connectCloudflare(deps: CloudflareAdapterDeps, credentials: ProviderCredentials, bounds: CommandBounds): ProviderSession {
  const base = deps.baseUrl.replace(/\/+$/, '');
  const token = credentials.apiKey.trim();
  const pageSize = deps.pageSize ?? DEFAULT_PAGE_SIZE;
  const { deadline } = bounds;

  /** One logical call (its retries included) bounded by the command's deadline. */
  async function call<T>(method: 'GET' | 'POST', path: string, policy: RetryPolicy, body?: unknown): Promise<Envelope<T>> {
    checkToken(token);
    // A write leaves time to re-read the zone if its reply is lost.
    const reserve = method === 'POST' ? writeReserveMs(bounds) : 0;
    return withRetries(
      policy,
      async () => {
        const reply = await withAttemptSignal(PROVIDER, bounds, reserve, (signal) =>
          send(PROVIDER, deps, `${base}${path}`, {
            method,
            // The platform's "ApiKey" is an API token: Bearer, never X-Auth-Key (providers.md §1 trap 1).
            headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
            body: body === undefined ? undefined : JSON.stringify(body),
            signal,
          }),
        );
        return readEnvelope<T>(reply, credentials);
      },
      { deadline: deadline - reserve, sleep: deps.sleep, signal: bounds.signal },
    );
  }

  async function findZone(domain: string): Promise<Zone> {
    const parsed = normaliseDomain(domain);
    if (!parsed.ok) throw new ProviderError(PROVIDER, 'rejected', parsed.reason);
    // `name=` is an exact match and a sub-domain gives an empty list, so walk up, most specific first (§1 endpoints).
    for (const candidate of candidateZoneNames(parsed.domain, parsed.registrable)) {
      const envelope = await call<unknown>('GET', `/zones?name=${encodeURIComponent(candidate)}`, READ_RETRIES);
      const zones = expectArray(envelope.result, 'zone list');
      const zone = zones.find((z): z is { id: string; name: string } => isObject(z) && typeof z.id === 'string' && typeof z.name === 'string');
      if (zone) return { id: zone.id, name: normaliseName(zone.name) };
    }
    throw new ProviderError(PROVIDER, 'not_found', 'zone not found in this account');
  }

  async function authorize(domain: string): Promise<Zone> {
    const zone = await findZone(domain);
    // A successful record read is the proof; /user/tokens/verify fails for account-owned tokens (§1 "Auth").
    await call<unknown>('GET', `/zones/${encodeURIComponent(zone.id)}/dns_records?per_page=1`, READ_RETRIES);
    return zone;
  }

  async function readZone(zone: Zone): Promise<ZoneContents> {
    const records: DnsRecord[] = [];
    for (let page = 1; page <= MAX_PAGES; page++) {
      const path = `/zones/${encodeURIComponent(zone.id)}/dns_records?per_page=${pageSize}&page=${page}`;
      const envelope = await call<unknown>('GET', path, READ_RETRIES);
      for (const raw of expectArray(envelope.result, 'record list')) records.push(normaliseRecord(raw));
      const totalPages = envelope.result_info?.total_pages;
      if (typeof totalPages !== 'number' || page >= totalPages) return { records };
    }
    throw new ProviderError(PROVIDER, 'protocol', `the record list did not end after ${MAX_PAGES} pages`);
  }

  /**
   * One batch. When its reply is lost (reset, timeout, 5xx, unreadable body) the batch may or may not have run; it is
   * one transaction (providers.md §1 endpoints), so re-reading the zone tells which: applied → success; unchanged →
   * sent once more; anything else → reported, naming what is known.
   */
  async function applyChanges(zone: Zone, contents: ZoneContents, changes: readonly RecordChange[]): Promise<ApplyResult> {
    if (changes.length === 0) return { applied: [] };
    const { batch, applied } = buildBatch(zone, contents, changes);
    for (let attempt = 1; ; attempt++) {
      try {
        const envelope = await call<unknown>('POST', `/zones/${encodeURIComponent(zone.id)}/dns_records/batch`, BATCH_RETRIES, batch);
        if (!isObject(envelope.result)) throw new ProviderError(PROVIDER, 'protocol', 'the batch reply has no result');
        return { applied };
      } catch (error) {
        if (!(error instanceof ProviderError)) throw error;
        // A refusal of the first send is an answer (nothing ran). A 429 is refused before running, too. After a
        // lost reply, even a refusal (81058 "identical record") may only mean the earlier send did commit.
        if ((attempt === 1 && error.isCallerFault) || error.kind === 'rate_limited') throw error;
        const outcome = await batchOutcome(zone, contents, changes);
        if (outcome === 'applied') return { applied };
        if (outcome === 'unchanged' && attempt < BATCH_SENDS) continue;
        const known =
          outcome === 'unchanged'
            ? 'the zone was re-read: nothing was changed'
            : outcome === 'diverged'
              ? 'the zone was re-read and holds neither the old nor the new records (changed elsewhere?)'
              : 'whether the change was applied could not be checked';
        throw new ProviderError(PROVIDER, error.kind, `${error.reason}; ${known}`, { cause: error, retryAfterSeconds: error.retryAfterSeconds });
      }
    }
  }

  /** Re-reads the zone after a lost batch reply and says whether the batch ran, did not run, or cannot be told. */
  async function batchOutcome(zone: Zone, contents: ZoneContents, changes: readonly RecordChange[]): Promise<BatchOutcome> {
    let now: ZoneContents;
    try {
      now = await readZone(zone);
    } catch {
      return 'unknown';
    }
    return judgeBatch(contents.records, now.records, changes);
  }

  return { findZone, authorize, readZone, applyChanges };
}

/** A token Cloudflare would refuse as malformed (6003/6111) or that cannot even go into an HTTP header. */
function checkToken(token: string): void {
  if (token === '') throw new ProviderError(PROVIDER, 'auth', 'no API token given');
  if (!/^[\x21-\x7e]+$/.test(token)) throw new ProviderError(PROVIDER, 'auth', 'invalid API token (malformed)');
}

/** `mail.example.co.uk` → `mail.example.co.uk`, `example.co.uk` (never above the registrable domain). */
function candidateZoneNames(domain: string, registrable: string): string[] {
  const names: string[] = [];
  let name = domain;
  while (name.length >= registrable.length) {
    names.push(name);
    if (name === registrable) break;
    name = name.slice(name.indexOf('.') + 1);
  }
  return names;
}

export type BatchOutcome = 'applied' | 'unchanged' | 'diverged' | 'unknown';

/**
 * Pure: compares the zone as read before a batch (`before`) with the zone now, for the batch's changes. Cloudflare runs
 * a batch as one transaction, so the zone shows either every change or none of them.
 */
function judgeBatch(before: readonly DnsRecord[], now: readonly DnsRecord[], changes: readonly RecordChange[]): BatchOutcome {
  const oldIds = new Set(before.map((r) => r.id));
  const byId = new Map(now.map((r) => [r.id, r]));
  const created = now.filter((r) => !oldIds.has(r.id));
  let applied = true;
  let unchanged = true;
  for (const change of changes) {
    if (change.action === 'CREATE') {
      const present = created.some((r) => matchesDesired(r, change.record));
      applied &&= present;
      unchanged &&= !present;
    } else {
      const id = change.before.id ?? before.find((r) => sameNeutral(r, change.before))?.id;
      const current = id === undefined ? undefined : byId.get(id);
      const untouched = current !== undefined && sameNeutral(current, change.before) && current.ttl === change.before.ttl;
      unchanged &&= untouched;
      applied &&= change.action === 'DELETE' ? current === undefined : current !== undefined && matchesDesired(current, change.record);
    }
  }
  if (applied) return 'applied';
  return unchanged ? 'unchanged' : 'diverged';
}

function sameNeutral(a: DnsRecord, b: DnsRecord): boolean {
  return a.type === b.type.toUpperCase() && a.name === normaliseName(b.name) && a.content === b.content && a.priority === b.priority;
}

/** A record read back equals a desired one (the read side is normalised by `normaliseRecord`). */
function matchesDesired(record: DnsRecord, desired: DesiredRecord): boolean {
  const type = desired.type.toUpperCase();
  const content = ['CNAME', 'MX', 'NS'].includes(type) ? stripDot(desired.content).toLowerCase() : desired.content;
  const readContent = ['CNAME', 'MX', 'NS'].includes(type) ? record.content.toLowerCase() : record.content;
  const priority = type === 'MX' || type === 'SRV' ? desired.priority ?? 0 : undefined;
  return record.type === type && record.name === normaliseName(desired.name) && readContent === content && record.ttl === desired.ttl && record.priority === priority;
}

// ---------------------------------------------------------------------------------------------- replies and errors

function readEnvelope<T>(reply: HttpReply, credentials: ProviderCredentials): Envelope<T> {
  if (reply.status === 429) throw replyError(reply, undefined, credentials);
  if (reply.status >= 500 && !/^\s*\{/.test(reply.text)) {
    // The edge answers 502/503/504 with an HTML page (providers.md §1 "Rate limits").
    throw new ProviderError(PROVIDER, 'unavailable', `HTTP ${reply.status} from Cloudflare`);
  }
  const envelope = parseJson<Envelope<T>>(PROVIDER, reply);
  if (!isObject(envelope)) throw new ProviderError(PROVIDER, 'protocol', 'the reply is not a Cloudflare envelope');
  if (reply.status >= 200 && reply.status < 300 && envelope.success === true) return envelope;
  throw replyError(reply, envelope, credentials);
}

/** Maps Cloudflare's documented error codes (providers.md §1 "Auth / permission error codes", "Record semantics"). */
function replyError(reply: HttpReply, envelope: Envelope<unknown> | undefined, credentials: ProviderCredentials): ProviderError {
  const errors = flattenErrors(envelope?.errors ?? []);
  const has = (...codes: number[]) => errors.some((e) => e.code !== undefined && codes.includes(e.code));
  const text = (code: number) => errors.find((e) => e.code === code)?.message ?? '';
  const fail = (kind: ProviderErrorKind, reason: string) =>
    new ProviderError(PROVIDER, kind, reason, { retryAfterSeconds: kind === 'rate_limited' ? retryAfterSeconds(reply.headers) : undefined });

  if (reply.status === 429 || has(971)) return fail('rate_limited', 'rate limit reached (1200 requests per 5 minutes)');
  if (reply.status >= 500) return fail('unavailable', `HTTP ${reply.status} from Cloudflare`);
  if (has(9106)) return fail('auth', 'no API token was sent');
  if (has(6003, 6111, 6102, 6103)) return fail('auth', 'invalid API token (malformed)');
  if (has(9109)) {
    const message = text(9109);
    if (/location/i.test(message)) return fail('forbidden', "the token's IP address filter does not allow this server");
    if (/unauthorized to access/i.test(message)) return fail('forbidden', 'the token is not allowed to access this zone');
    return fail('auth', 'invalid API token');
  }
  if (has(1000, 9103)) return fail('auth', 'invalid API token');
  if (has(10000)) return fail('forbidden', 'the token lacks a required permission');
  if (has(81057, 81058)) return fail('conflict', 'an identical record already exists');
  if (has(81053, 81054)) return fail('conflict', 'a CNAME cannot share its name with other records');
  if (has(81044)) return fail('conflict', 'a record to change no longer exists (the zone changed since it was read)');
  if (has(7003, 1001)) return fail('not_found', 'zone not found in this account');
  if (reply.status === 401) return fail('auth', 'invalid API token');
  if (reply.status === 403) return fail('forbidden', 'the token is not allowed to do this');
  if (reply.status === 404) return fail('not_found', 'zone not found in this account');
  if (reply.status >= 400 && errors.length > 0) {
    // The deepest message is the specific one (1004 "DNS Validation Error" → 9021 "TTL must be …").
    // Provider text can echo request input: control characters and every credential value go before it is repeated.
    const detail = errors
      .map((e) => `${redactCredentials((e.message ?? '').replace(/[\u0000-\u001f\u007f]/g, ' '), credentials)} (${e.code ?? '?'})`)
      .join(': ');
    return fail('rejected', `Cloudflare refused the change: ${detail}`.slice(0, 400));
  }
  return fail('protocol', `unexpected HTTP ${reply.status} reply`);
}

function flattenErrors(errors: readonly CloudflareApiError[]): CloudflareApiError[] {
  return errors.flatMap((e) => (isObject(e) ? [e, ...flattenErrors(Array.isArray(e.error_chain) ? e.error_chain : [])] : []));
}

// --------------------------------------------------------------------------------------------- reading records

function normaliseRecord(raw: unknown): DnsRecord {
  if (!isObject(raw) || typeof raw.id !== 'string' || typeof raw.type !== 'string' || typeof raw.name !== 'string' || typeof raw.content !== 'string' || typeof raw.ttl !== 'number') {
    throw new ProviderError(PROVIDER, 'protocol', 'a DNS record in the reply is malformed');
  }
  const type = raw.type.toUpperCase();
  const content = type === 'TXT' ? decodeTxt(raw.content) : ['CNAME', 'MX', 'NS'].includes(type) ? stripDot(raw.content) : raw.content;
  const priority = typeof raw.priority === 'number' && (type === 'MX' || type === 'SRV' || type === 'URI') ? raw.priority : undefined;
  const providerFields = keptFields(raw);
  return {
    type,
    name: normaliseName(raw.name),
    content,
    ttl: raw.ttl,
    ...(priority === undefined ? {} : { priority }),
    id: raw.id,
    raw,
    ...(providerFields ? { providerFields } : {}),
    // A TXT value comes back as it was entered (quoted or not, in its chunks), which `content` does not say: a revert
    // writes this back, so that the customer's dashboard shows the record exactly as it was.
    ...(type === 'TXT' ? { wireValue: raw.content } : {}),
  };
}

/**
 * The fields of a record, beyond type, name, content, TTL and priority, that a copy must carry to be the same
 * record (cf-ts `RecordResponse`), each with the test of a value that differs from what a new record gets by default.
 */
const KEPT_FIELDS: Readonly<Record<string, (value: unknown) => boolean>> = {
  proxied: (value) => value === true,
  comment: (value) => typeof value === 'string' && value !== '',
  tags: (value) => Array.isArray(value) && value.length > 0,
  settings: (value) => isObject(value) && Object.keys(value).length > 0,
};

/**
 * The kept fields of `fields` (a record as Cloudflare returns it, or the ones a revert restores) that differ from a
 * new record's defaults, and nothing else; undefined when there are none.
 */
function keptFields(fields: Readonly<Record<string, unknown>>): ProviderFields | undefined {
  const kept = Object.entries(KEPT_FIELDS).filter(([name, differs]) => differs(fields[name]));
  return kept.length > 0 ? Object.fromEntries(kept.map(([name]) => [name, fields[name]])) : undefined;
}

const normaliseName = (name: string) => stripDot(name.trim().toLowerCase());
const stripDot = (host: string) => host.replace(/\.$/, '');

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const QUOTED_STRINGS = /^\s*"(?:[^"\\]|\\.)*"(?:\s+"(?:[^"\\]|\\.)*")*\s*$/s;

/**
 * TXT content comes back as entered: unquoted stays unquoted, quoted chunks stay quoted (providers.md §1 "Record
 * semantics", dnscontrol `parseCfTxtContent`). Quoted RFC 1035 strings are unescaped and joined; anything else is
 * the value itself.
 */
export function decodeTxt(content: string): string {
  if (!QUOTED_STRINGS.test(content)) return content;
  // The usual case (a DKIM key, an SPF record): no escape and no lone surrogate, so the chunks' text joined is
  // exactly what the byte-wise decoding below gives, without a regular-expression match per character (which was
  // the largest item of a satisfied dns.set's CPU profile: every TXT record of the zone is decoded on each read).
  if (!content.includes('\\') && !LONE_SURROGATE.test(content)) {
    let value = '';
    for (const match of content.matchAll(/"([^"]*)"/g)) value += match[1];
    return value;
  }
  const bytes: number[] = [];
  for (const match of content.matchAll(/"((?:[^"\\]|\\.)*)"/gs)) {
    // Per code point (the `u` flag), so a character outside the BMP is not split into lone surrogates.
    for (const token of (match[1] ?? '').matchAll(/\\(\d{3})|\\([\s\S])|([\s\S])/gu)) {
      if (token[1] !== undefined) bytes.push(Number(token[1]) & 0xff);
      else bytes.push(...Buffer.from(token[2] ?? token[3] ?? '', 'utf8'));
    }
  }
  return Buffer.from(bytes).toString('utf8');
}

/**
 * The value as quoted RFC 1035 strings of at most 255 bytes each (`"c1" "c2"`), never splitting a UTF-8 character or
 * an escape, so a 2048-bit DKIM key is one record that resolves as two strings (cf-ts `TXTRecord.content`).
 */
export function encodeTxt(value: string): string {
  const chunks: string[] = [];
  let current = '';
  let size = 0;
  for (const ch of value) {
    const bytes = Buffer.byteLength(ch, 'utf8');
    if (size + bytes > 255) {
      chunks.push(current);
      current = '';
      size = 0;
    }
    current += ch === '"' || ch === '\\' ? `\\${ch}` : ch;
    size += bytes;
  }
  chunks.push(current);
  return chunks.map((c) => `"${c}"`).join(' ');
}

// --------------------------------------------------------------------------------------------- writing records

interface Batch {
  deletes: { id: string }[];
  patches: Record<string, unknown>[];
  posts: Record<string, unknown>[];
}

/**
 * One batch in Cloudflare's fixed order deletes → patches → posts (puts unused: PATCH keeps `proxied`, `comment`,
 * `tags` and every other field of an updated record). `applied` lists the changes in that order.
 */
function buildBatch(zone: Zone, contents: ZoneContents, changes: readonly RecordChange[]): { batch: Batch; applied: RecordChange[] } {
  const batch: Batch = { deletes: [], patches: [], posts: [] };
  const deletes: RecordChange[] = [];
  const updates: RecordChange[] = [];
  const creates: RecordChange[] = [];
  for (const change of changes) {
    if (change.action === 'DELETE') {
      batch.deletes.push({ id: recordId(contents, change.before) });
      deletes.push(change);
    } else if (change.action === 'UPDATE') {
      batch.patches.push({ id: recordId(contents, change.before), ...updateFields(change.before, change.record) });
      updates.push(change);
    } else {
      batch.posts.push(wireRecord(zone, change.record));
      creates.push(change);
    }
  }
  return { batch, applied: [...deletes, ...updates, ...creates] };
}

/** The id of the record a change names: its own, or the one of the same record in the zone as read. */
function recordId(contents: ZoneContents, before: DnsRecord): string {
  if (before.id) return before.id;
  const same = contents.records.find(
    (r) => r.id && r.type === before.type.toUpperCase() && r.name === normaliseName(before.name) && r.content === before.content && r.priority === before.priority,
  );
  if (!same?.id) throw new ProviderError(PROVIDER, 'conflict', 'a record to change is not in the zone as read');
  return same.id;
}

/** The types Cloudflare can proxy (providers.md §1 "Record semantics"); `proxied` is sent for these only. */
const PROXIABLE = new Set(['A', 'AAAA', 'CNAME']);

/** Only what the change alters; the record's type and name are sent only when they change. */
function updateFields(before: DnsRecord, record: DesiredRecord): Record<string, unknown> {
  const fields: Record<string, unknown> = { ...contentFields(record), ttl: record.ttl };
  const type = record.type.toUpperCase();
  if (type !== before.type.toUpperCase()) fields.type = type;
  if (normaliseName(record.name) !== normaliseName(before.name)) fields.name = normaliseName(record.name);
  // A proxied CNAME is served as A/AAAA, so a DKIM or return-path CNAME would not exist in DNS (§1 trap 6).
  if (type === 'CNAME') fields.proxied = false;
  // A revert restoring a record: `proxied` is the one kept field a forward PATCH changes (above). The others were
  // left as they were, and may have been edited since: they are not touched.
  if (record.restoreFields && PROXIABLE.has(type)) fields.proxied = record.restoreFields.proxied === true;
  return fields;
}

function wireRecord(zone: Zone, record: DesiredRecord): Record<string, unknown> {
  const type = record.type.toUpperCase();
  const name = normaliseName(record.name);
  if (name !== zone.name && !name.endsWith(`.${zone.name}`)) {
    throw new ProviderError(PROVIDER, 'rejected', `${name} is not in the zone ${zone.name}`);
  }
  // A revert re-creating a deleted record gives it back its kept fields (proxied, comment, tags, settings), and
  // nothing else a journal row might hold.
  const restored = record.restoreFields ? keptFields(record.restoreFields) : undefined;
  return { type, name, ...contentFields(record), ttl: record.ttl, ...(PROXIABLE.has(type) ? { proxied: false } : {}), ...restored };
}

/** content (+ priority, + `data` where Cloudflare takes structured values: SRV and CAA, cf-ts `SRVRecord`/`CAARecord`). */
function contentFields(record: DesiredRecord): Record<string, unknown> {
  const type = record.type.toUpperCase();
  if (type === 'TXT') return { content: restoredTxt(record, decodeTxt) ?? encodeTxt(record.content) };
  if (type === 'MX') return { content: stripDot(record.content), priority: record.priority ?? 0 };
  if (type === 'SRV') {
    const [weight, port, target] = record.content.trim().split(/\s+/);
    return { data: { priority: record.priority ?? 0, weight: Number(weight), port: Number(port), target: stripDot(target ?? '') } };
  }
  if (type === 'CAA') {
    const match = /^(\d+)\s+(\S+)\s+"?(.*?)"?$/.exec(record.content.trim());
    if (match) return { data: { flags: Number(match[1]), tag: match[2], value: match[3] } };
  }
  if (type === 'CNAME' || type === 'NS') return { content: stripDot(record.content) };
  return { content: record.content };
}


// ------------------------------------------------------------------------------------------------------ helpers

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function expectArray(value: unknown, what: string): unknown[] {
  if (!Array.isArray(value)) throw new ProviderError(PROVIDER, 'protocol', `the ${what} reply has no result list`);
  return value;
}
