/**
 * DNSimple API v2 adapter. Facts and sources: ../shared/reference/providers-registrars.md §5 (DNSimple), §0, §8, and
 * DNSimple's own developer docs, fixtures and OpenAPI (dnsimple/dnsimple-developer@13c7966: `content/v2.md`,
 * `content/v2/zones/records.md`, `content/v2/openapi.yml`, `fixtures/v2/api/…`).
 *
 * The account id is in every path, even with an account token (v2.md "Account scope"): `GET /whoami` names the
 * account of an account token; a user token names only the user, and the account that holds the zone is found by
 * listing `GET /accounts` and looking the zone up in each. Records are written one at a time by id: `POST …/records`,
 * `PATCH …/records/{id}` (only the fields sent change), `DELETE …/records/{id}`. The batch endpoint is Enterprise-only
 * (412 otherwise, §5), so a plan is not atomic: a plan that stops part-way is reported with `partialApplyError`.
 *
 * Calls per dns.set, at the minimum (an account token, a zone of at most 100 records): `GET /whoami`,
 * `GET /{account}/zones/{zone}`, `GET /{account}/zones/{zone}/records?page=1&per_page=100` (one more per further
 * page: EVERY page is read, §5 trap 1), then one call per created, updated or deleted record.
 */
import { createHash } from 'node:crypto';
import { setTimeout as sleepFor } from 'node:timers/promises';
import { applyPerRecord, idAsRead, landedInZone, recordMatch, refusedBeforeRunning, settleWrite } from './per-record-apply.js';
import { REQUIRED_CREDENTIALS } from './credentials.js';
import { redactCredentials } from './redact.js';
import { normaliseDomain } from '../src/domain.js';
import {
  commandBounds,
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
import { restoredTxt } from './restore.js';
import { readWholeList } from './zone-read.js';

/** A record as DNSimple returns it (OpenAPI `ZoneRecord`, fixture listZoneRecords/success.http). `name` is relative. */
export interface DnsimpleRecord {
  readonly id: number;
  readonly zone_id: string;
  readonly parent_id: number | null;
  readonly name: string;
  readonly content: string;
  readonly ttl: number;
  readonly priority: number | null;
  readonly type: string;
  readonly regions?: readonly string[];
  /** "a system generated record and thus is not modifiable" (OpenAPI): the SOA and the apex NS. */
  readonly system_record: boolean;
  readonly created_at?: string;
  readonly updated_at?: string;
}

/** OpenAPI `TTL` has `minimum: 0`; the real lower bound is not documented (§5), a minute is assumed [infer]. */
export const DNSIMPLE_MIN_TTL = 60;
/** RFC 2181 §8 [infer: DNSimple documents no maximum]. */
export const DNSIMPLE_MAX_TTL = 2_147_483_647;
/** "a hard limit of 1000 characters for the serialized version of your content" (support article txt-record). */
export const DNSIMPLE_TXT_SERIALIZED_MAX = 1000;
/** A serialized TXT string is at most 255 characters with its two quotes (support article txt-record). */
const TXT_CHUNK = 253;

export const DNSIMPLE_CAPABILITIES: ProviderCapabilities = {
  // The OpenAPI `ZoneRecordType` enum, less DNSSEC's DNSKEY/DS and POOL/URL (plan-bound or not DNS data) [infer].
  recordTypes: new Set(['A', 'AAAA', 'ALIAS', 'CAA', 'CNAME', 'HINFO', 'MX', 'NAPTR', 'NS', 'PTR', 'SPF', 'SRV', 'SSHFP', 'TXT']),
  minTtl: DNSIMPLE_MIN_TTL,
  maxTtl: DNSIMPLE_MAX_TTL,
  atomicApply: false,
  // A PATCH or DELETE by id applies whatever the record holds now: the zone lock is the only guard.
  guardedWrite: false,
  // 1000 serialized characters: 4 strings of 253 with their quotes hold 960 plain characters (no quote or backslash).
  maxTxtLength: 960,
  // GET /whoami, GET /{account}/zones/{zone}, GET …/records (one page of 100); one call per changed record.
  upstreamCalls: { read: 3, write: { perPlan: 0, perRrset: 0, perRecord: 1 } },
  writes: 'one `POST`, `PATCH` or `DELETE` per changed record, by id; TXT written as quoted 253-character strings',
};

export interface DnsimpleAdapterDeps extends AdapterDeps {
  /** `per_page` asked of the record list: 100 is the documented maximum (v2.md "Pagination"). @default 100 */
  readonly pageSize?: number;
}

const PROVIDER = 'dnsimple' as const;
/** A runaway `total_pages` must not keep us paging: 1000 pages of 100 is far past any real zone. */
const MAX_PAGES = 1000;

/**
 * Reads are safe to repeat: after a 429 (waiting for `X-RateLimit-Reset`), a 5xx, a reset or a timed-out attempt.
 * A reset more than `maxDelayMs` away is not waited for: the error says when to come back.
 */
const READ_RETRIES: RetryPolicy = {
  attempts: 4,
  baseDelayMs: 250,
  maxDelayMs: 20_000,
  retryOn: (error) => (error.kind === 'rate_limited' || error.kind === 'unavailable' || error.kind === 'timeout') && !UNSENT.has(error),
};
/**
 * A write is repeated blindly only after a 429: a throttled request is refused before it runs ("your request has
 * temporarily been throttled", v2.md). Any other failure may have reached DNSimple and is settled by re-reading.
 */
const WRITE_RETRIES: RetryPolicy = { ...READ_RETRIES, retryOn: (error) => error.kind === 'rate_limited' && !UNSENT.has(error) };
/** Write sends per change in one command: the first, and more only while a re-read shows the change missing. */
const WRITE_SENDS = 3;

/** Errors of a call never sent: the quota was known to be spent until after the deadline. */
const UNSENT = new WeakSet<ProviderError>();

export function createDnsimpleProvider(deps: DnsimpleAdapterDeps): DnsProvider {
  const quota = new QuotaGate();
  return {
    id: PROVIDER,
    capabilities: DNSIMPLE_CAPABILITIES,
    requiredCredentials: REQUIRED_CREDENTIALS.dnsimple,
    connect: (credentials, options) => new DnsimpleSession(deps, quota, credentials, commandBounds(deps, options)),
  };
}

// ------------------------------------------------------------------------------------------------------- quota

/**
 * 2,400 requests an hour, the rest shown on every reply as `X-RateLimit-Remaining` until `X-RateLimit-Reset` (epoch
 * seconds) (v2.md "Rate limiting"). Whether the quota is per token, account or IP is not documented (§5 trap 3): it is
 * kept per token (as a SHA-256 digest), shared by every session of one provider. A spent quota holds the next call
 * until the reset when that fits the deadline, and refuses it at once otherwise, without spending a call on a 429.
 */
class QuotaGate {
  private readonly spentUntil = new Map<string, number>();

  key(token: string): string {
    return createHash('sha256').update(token).digest('hex');
  }

  /** Notes the quota a reply reports. */
  observe(key: string, reply: HttpReply): void {
    const remaining = Number(header(reply, 'x-ratelimit-remaining'));
    const reset = Number(header(reply, 'x-ratelimit-reset'));
    if (reply.status === 429 || (Number.isFinite(remaining) && remaining <= 0)) {
      if (Number.isFinite(reset) && reset > 0) this.spentUntil.set(key, reset * 1000);
    } else if (Number.isFinite(remaining) && remaining > 0) {
      this.spentUntil.delete(key);
    }
    if (this.spentUntil.size > 256) for (const [k, until] of this.spentUntil) if (until < Date.now()) this.spentUntil.delete(k);
  }

  async admit(key: string, latestStart: number, signal: AbortSignal | undefined): Promise<void> {
    const until = this.spentUntil.get(key);
    if (until === undefined) return;
    const wait = until - Date.now();
    if (wait <= 0) return void this.spentUntil.delete(key);
    if (Date.now() + wait >= latestStart) {
      const error = new ProviderError(PROVIDER, 'rate_limited', RATE_LIMIT_REASON, { retryAfterSeconds: Math.ceil(wait / 1000) });
      UNSENT.add(error);
      throw error;
    }
    try {
      await sleepFor(wait, undefined, signal ? { signal } : {});
    } catch {
      const error = new ProviderError(PROVIDER, 'timeout', 'the command was cancelled');
      UNSENT.add(error);
      throw error;
    }
  }
}

const RATE_LIMIT_REASON = 'hourly request quota reached (2400 requests an hour)';

// ----------------------------------------------------------------------------------------------------- session

type Method = 'GET' | 'POST' | 'PATCH' | 'DELETE';

class DnsimpleSession implements ProviderSession {
  private readonly base: string;
  private readonly token: string;
  private readonly quotaKey: string;
  /** The account each zone found in this session belongs to. */
  private readonly accountOf = new Map<string, number>();
  private identity: Promise<Identity> | undefined;

  constructor(
    private readonly deps: DnsimpleAdapterDeps,
    private readonly quota: QuotaGate,
    private readonly credentials: ProviderCredentials,
    /** One deadline for the whole command: every call, retry and re-read below shares it. */
    private readonly bounds: CommandBounds,
  ) {
    this.base = deps.baseUrl.replace(/\/+$/, '');
    this.token = credentials.apiKey.trim();
    this.quotaKey = quota.key(this.token);
  }

  /**
   * `GET /whoami`, then `GET /{account}/zones/{name}` from the most specific name up to the registrable domain (one
   * call for an apex domain). A user token tries each of its accounts (`GET /accounts`) in turn.
   */
  async findZone(domain: string): Promise<Zone> {
    const parsed = normaliseDomain(domain);
    if (!parsed.ok) throw new ProviderError(PROVIDER, 'rejected', parsed.reason);
    const candidates = zoneCandidates(parsed.domain, parsed.registrable);
    for (const account of await this.accounts()) {
      for (const name of candidates) {
        const reply = await this.call('GET', `/${account}/zones/${encodeURIComponent(name)}`, undefined, { notFoundIsNull: true });
        if (reply === null) continue;
        const data = dataOf(reply);
        if (!isObject(data) || typeof data.name !== 'string') throw new ProviderError(PROVIDER, 'protocol', 'the zone reply has no zone');
        const zoneName = data.name.toLowerCase().replace(/\.$/, '');
        this.accountOf.set(zoneName, account);
        return { name: zoneName, id: String(data.id ?? zoneName) };
      }
    }
    throw new ProviderError(PROVIDER, 'not_found', 'zone not found in this account');
  }

  /** The zone lookup, then one record (`per_page=1`): proves the token may read that zone's records. Writes nothing. */
  async authorize(domain: string): Promise<Zone> {
    const zone = await this.findZone(domain);
    await this.call('GET', `${await this.zonePath(zone)}/records?page=1&per_page=1`);
    return zone;
  }

  /**
   * Every page of `GET …/records` (§5 trap 1: tools that read only the first 30 "created" existing records). Pages are
   * offsets into the list: a record added or deleted on an earlier page while the later ones are read shifts them, and
   * a record would be skipped or read twice. So when `total_entries` changes between pages, or the records read are
   * not exactly that many distinct ids, the zone is read again, once.
   */
  async readZone(zone: Zone): Promise<ZoneContents> {
    const read = await readWholeList(PROVIDER, () => this.readRecords(zone));
    return { records: read.records };
  }

  private async readRecords(zone: Zone): Promise<{ records: DnsRecord[]; complete: boolean }> {
    const path = `${await this.zonePath(zone)}/records`;
    const pageSize = Math.min(100, Math.max(1, this.deps.pageSize ?? 100));
    const records: DnsRecord[] = [];
    const ids = new Set<string>();
    const totals = new Set<number>();
    for (let page = 1; page <= MAX_PAGES; page++) {
      const reply = (await this.call('GET', `${path}?page=${page}&per_page=${pageSize}`))!;
      const body = reply as { data?: unknown; pagination?: { current_page?: unknown; total_pages?: unknown; total_entries?: unknown } };
      if (!Array.isArray(body.data)) throw new ProviderError(PROVIDER, 'protocol', 'the record list has no data array');
      for (const raw of body.data) {
        const record = fromDnsimple(raw, zone.name);
        ids.add(record.id!);
        records.push(record);
      }
      if (typeof body.pagination?.total_entries === 'number') totals.add(body.pagination.total_entries);
      const total = body.pagination?.total_pages;
      if (typeof total !== 'number') throw new ProviderError(PROVIDER, 'protocol', 'the record list has no pagination');
      if (page >= total) {
        const [entries] = totals;
        return { records, complete: totals.size <= 1 && ids.size === records.length && (entries === undefined || entries === records.length) };
      }
    }
    throw new ProviderError(PROVIDER, 'protocol', `the record list did not end after ${MAX_PAGES} pages`);
  }

  /**
   * One call per change, in the order given (the planner puts a DELETE before the CREATE that takes its name). A
   * failure that may have reached DNSimple (a timeout, a reset, a 5xx, a lost or unreadable reply) is settled by
   * re-reading the zone: a change found applied counts as applied, one found missing is sent again, and anything else
   * stops the plan with `partialApplyError` naming what landed.
   */
  async applyChanges(zone: Zone, contents: ZoneContents, changes: readonly RecordChange[]): Promise<ApplyResult> {
    if (changes.length === 0) return { applied: [] };
    const writes = planWrites(zone.name, contents.records, changes);
    const path = `${await this.zonePath(zone)}/records`;
    const known = new Set(contents.records.map((r) => r.id).filter((id): id is string => id !== undefined));
    return applyPerRecord(changes, writes, (write) =>
      settleWrite(
        WRITE_SENDS,
        async () => {
          const reply = await this.call(write.method, write.id === undefined ? path : `${path}/${write.id}`, write.body);
          if (write.change.action === 'CREATE') {
            const data = reply === null ? undefined : dataOf(reply);
            if (!isObject(data) || typeof data.id !== 'number') throw new ProviderError(PROVIDER, 'protocol', 'the create reply has no record id');
            known.add(String(data.id));
          }
        },
        () => this.outcome(zone, write, known),
        // A refusal is an answer, and a call never sent changed nothing: this change is not in the zone.
        (error) => refusedBeforeRunning(error) || UNSENT.has(error),
      ),
    );
  }

  /** After a failed write: re-reads the zone and says whether the write is in it (undefined: cannot tell). */
  private async outcome(zone: Zone, write: RecordWrite, known: Set<string>): Promise<boolean | undefined> {
    let now: readonly DnsRecord[];
    try {
      now = (await this.readZone(zone)).records;
    } catch {
      return undefined;
    }
    return landedInZone(now, write, known, MATCH);
  }

  /** `/{account}/zones/{zone}` for a zone this session found, finding it again otherwise. */
  private async zonePath(zone: Zone): Promise<string> {
    let account = this.accountOf.get(zone.name);
    if (account === undefined) {
      await this.findZone(zone.name);
      account = this.accountOf.get(zone.name);
    }
    return `/${account}/zones/${encodeURIComponent(zone.name)}`;
  }

  /** The accounts to look for zones in: the token's own, or each of a user token's (v2.md "Account scope"). */
  private async accounts(): Promise<readonly number[]> {
    this.identity ??= this.whoami();
    const identity = await this.identity.catch((error: unknown) => {
      this.identity = undefined;
      throw error;
    });
    return identity.accounts;
  }

  private async whoami(): Promise<Identity> {
    const data = dataOf((await this.call('GET', '/whoami'))!);
    if (!isObject(data)) throw new ProviderError(PROVIDER, 'protocol', 'the whoami reply has no data');
    if (isObject(data.account) && typeof data.account.id === 'number') return { accounts: [data.account.id] };
    if (!isObject(data.user)) throw new ProviderError(PROVIDER, 'auth', 'the token belongs to no account or user');
    // A user token (fixture whoami/success-user.http): its accounts (fixture accounts/success-user.http).
    const list = dataOf((await this.call('GET', '/accounts'))!);
    if (!Array.isArray(list)) throw new ProviderError(PROVIDER, 'protocol', 'the account list has no data array');
    const accounts = list.filter(isObject).map((a) => a.id).filter((id): id is number => typeof id === 'number');
    if (accounts.length === 0) throw new ProviderError(PROVIDER, 'forbidden', 'the token gives access to no account');
    return { accounts };
  }

  /**
   * One logical call (its retries included) within the command's deadline. Returns the parsed body, `{}` for a 204,
   * or null for a 404 when `notFoundIsNull` (a zone lookup that walks up).
   */
  private async call(method: Method, path: string, body?: unknown, options: { notFoundIsNull?: boolean } = {}): Promise<Record<string, unknown> | null> {
    if (!this.token) throw new ProviderError(PROVIDER, 'auth', 'no API access token given');
    if (!/^[\x21-\x7e]+$/.test(this.token)) throw new ProviderError(PROVIDER, 'auth', 'invalid API access token (malformed)');
    const reserve = method === 'GET' ? 0 : writeReserveMs(this.bounds);
    const latest = this.bounds.deadline - reserve;
    return withRetries(
      method === 'GET' ? READ_RETRIES : WRITE_RETRIES,
      async () => {
        await this.quota.admit(this.quotaKey, latest, this.bounds.signal);
        const reply = await withAttemptSignal(PROVIDER, this.bounds, reserve, (signal) =>
          send(PROVIDER, this.deps, `${this.base}${path}`, {
            method,
            headers: {
              authorization: `Bearer ${this.token}`,
              accept: 'application/json',
              ...(body === undefined ? {} : { 'content-type': 'application/json' }),
            },
            ...(body === undefined ? {} : { body: JSON.stringify(body) }),
            signal,
          }),
        );
        this.quota.observe(this.quotaKey, reply);
        if (options.notFoundIsNull && reply.status === 404) return null;
        return readReply(reply, this.credentials);
      },
      { deadline: latest, sleep: this.deps.sleep, signal: this.bounds.signal },
    );
  }
}

interface Identity {
  readonly accounts: readonly number[];
}

/** `mail.example.co.uk` → `mail.example.co.uk`, `example.co.uk` (never above the registrable domain). */
function zoneCandidates(domain: string, registrable: string): string[] {
  const names: string[] = [];
  for (let name = domain; name.length >= registrable.length; name = name.slice(name.indexOf('.') + 1)) {
    names.push(name);
    if (name === registrable) break;
  }
  return names;
}

// ---------------------------------------------------------------------------------------------------- replies

/**
 * A reply → its JSON body, or the ProviderError it means. "All responses with an 4xx and 5xx response code will have
 * a JSON object as body, with at least a `message` key" (v2.md "Errors"); an nginx HTML page comes from the edge
 * (fixture badgateway.http).
 */
export function readReply(reply: HttpReply, credentials: ProviderCredentials): Record<string, unknown> {
  if (reply.status === 204) return {};
  let body: unknown;
  let malformed = false;
  try {
    body = JSON.parse(reply.text);
  } catch {
    malformed = true;
  }
  if (reply.status >= 200 && reply.status < 300) {
    if (malformed || !isObject(body)) {
      throw new ProviderError(PROVIDER, 'protocol', `HTTP ${reply.status} with ${/^\s*</.test(reply.text) ? 'an HTML page' : 'a malformed body'} instead of JSON`);
    }
    return body;
  }
  const message = isObject(body) && typeof body.message === 'string' ? body.message : '';
  throw dnsimpleError(reply, message, isObject(body) ? body.errors : undefined, credentials);
}

/** Maps DNSimple's documented statuses and messages (v2.md "Errors"; §5 table). */
export function dnsimpleError(reply: HttpReply, message: string, errors: unknown, credentials: ProviderCredentials): ProviderError {
  const status = reply.status;
  const said = redactCredentials(message, credentials).replace(/[\u0000-\u001f\u007f]/g, ' ').slice(0, 200);
  const fail = (kind: ProviderErrorKind, reason: string, retryAfterSeconds?: number) =>
    new ProviderError(PROVIDER, kind, reason, retryAfterSeconds === undefined ? {} : { retryAfterSeconds });
  if (status === 401) {
    // "In case two-factor authentication is enabled but the header is not sent … a 401 and … X-Dnsimple-OTP: required".
    if (header(reply, 'x-dnsimple-otp') === 'required') return fail('auth', 'a two-factor code is required: use an API access token');
    return fail('auth', 'invalid API access token');
  }
  if (status === 402) return fail('forbidden', 'the account is not in good standing (unpaid invoices)');
  if (status === 403) return fail('forbidden', said ? `the token is not allowed to do this (${said})` : 'the token is not allowed to do this');
  if (status === 404) return /^record\b/i.test(message) ? fail('conflict', 'a record to change is no longer in the zone') : fail('not_found', 'zone not found in this account');
  if (status === 412) return fail('forbidden', 'the account plan does not include this feature');
  if (status === 429) {
    // `X-RateLimit-Reset` is "the time at which the current rate limit window [resets] in Unix time" (v2.md).
    const reset = Number(header(reply, 'x-ratelimit-reset'));
    const wait = Number.isFinite(reset) && reset > 0 ? Math.max(0, Math.ceil(reset - Date.now() / 1000)) : undefined;
    return fail('rate_limited', RATE_LIMIT_REASON, wait);
  }
  if (status >= 500) return fail('unavailable', `HTTP ${status}${said ? `: ${said}` : /^\s*</.test(reply.text) ? ' with an HTML page' : ''}`);
  if (status === 400 || status === 422) {
    const details = flattenErrors(errors).map((d) => redactCredentials(d, credentials));
    const text = [said || `HTTP ${status}`, ...details].join(': ').replace(/[\u0000-\u001f\u007f]/g, ' ');
    return fail('rejected', `the change was refused: ${text}`.slice(0, 400));
  }
  return fail('protocol', `unexpected HTTP ${status}${said ? `: ${said}` : ''}`);
}

/** `{"content":["is too long"],"base":["Matching record …"]}` → `content is too long`, `Matching record …`. */
function flattenErrors(errors: unknown): string[] {
  if (!isObject(errors)) return [];
  return Object.entries(errors).flatMap(([field, list]) =>
    (Array.isArray(list) ? list : [list]).filter((m): m is string => typeof m === 'string').map((m) => (field === 'base' ? m : `${field} ${m}`)),
  );
}

function dataOf(body: Record<string, unknown>): unknown {
  if (!('data' in body)) throw new ProviderError(PROVIDER, 'protocol', 'the reply has no data');
  return body.data;
}

function header(reply: HttpReply, name: string): string | undefined {
  const value = reply.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

// ---------------------------------------------------------------------------------------------- reading records

/** Types whose content is a host name, returned without a trailing dot (dnscontrol appends one on read, §5). */
const HOST_TARGETS = new Set(['CNAME', 'MX', 'NS', 'ALIAS', 'PTR']);
const MATCH = recordMatch(HOST_TARGETS);

/** DNSimple wire record → neutral form (pure; exported for tests). */
export function fromDnsimple(raw: unknown, apex: string): DnsRecord {
  if (
    !isObject(raw) ||
    typeof raw.id !== 'number' ||
    typeof raw.name !== 'string' ||
    typeof raw.type !== 'string' ||
    typeof raw.content !== 'string' ||
    typeof raw.ttl !== 'number'
  ) {
    throw new ProviderError(PROVIDER, 'protocol', 'a record lacked id, name, type, content or TTL');
  }
  const record = raw as unknown as DnsimpleRecord;
  const type = record.type.toUpperCase();
  const label = record.name.trim().toLowerCase().replace(/\.$/, '');
  const name = label === '' || label === '@' ? apex : `${label}.${apex}`;
  let content = record.content;
  if (type === 'TXT' || type === 'SPF') content = decodeTxt(content);
  else if (HOST_TARGETS.has(type) || type === 'SRV') content = content.trim().replace(/\.$/, '');
  const priority = type === 'MX' || type === 'SRV' ? (typeof record.priority === 'number' ? record.priority : 0) : undefined;
  const regions = Array.isArray(record.regions) && !(record.regions.length === 1 && record.regions[0] === 'global') && record.regions.length > 0 ? record.regions : undefined;
  return {
    type,
    name,
    content,
    ttl: record.ttl,
    ...(priority === undefined ? {} : { priority }),
    id: String(record.id),
    raw,
    ...(regions === undefined ? {} : { providerFields: { regions } }),
    // Quoted content is stored verbatim, in the customer's strings (support article txt-record, §5): a revert writes
    // it back so, where the gateway would serialize the value in 253-character strings.
    ...(type === 'TXT' || type === 'SPF' ? { wireValue: record.content } : {}),
  };
}

/** One or more RFC 1035 strings, with or without space between them (DNSimple writes `"a""b"`). */
const QUOTED_STRINGS = /^\s*"(?:[^"\\]|\\.)*"(?:\s*"(?:[^"\\]|\\.)*")*\s*$/s;

/**
 * TXT content as DNSimple returns it: serialized since December 2023, "wrapped in double quotes", `"` escaped, long
 * values "broken down into 255 characters-long chunks" (support article txt-record; dnscontrol PR #2745). Records
 * from before the change may still be plain (§5): those are kept as they are.
 */
export function decodeTxt(content: string): string {
  if (!QUOTED_STRINGS.test(content)) return content;
  return [...content.matchAll(/"((?:[^"\\]|\\.)*)"/gs)].map((m) => (m[1] ?? '').replace(/\\(.)/gs, '$1')).join('');
}

/**
 * The serialized form DNSimple itself stores (support article txt-record "Serialization"): strings of at most 253
 * characters, each in double quotes (255 with them), `"` (and `\`, RFC 1035) escaped, one after the other. Sent so,
 * it is stored verbatim ("If you provide TXT record content wrapped in double quotes, our system won't make any change
 * to it"). A chunk never splits a character or an escape.
 */
export function encodeTxt(value: string): string {
  const chunks: string[] = [];
  let current = '';
  let size = 0;
  for (const ch of value) {
    const piece = ch === '"' || ch === '\\' ? `\\${ch}` : ch;
    const bytes = Buffer.byteLength(piece, 'utf8');
    if (size + bytes > TXT_CHUNK) {
      chunks.push(current);
      current = '';
      size = 0;
    }
    current += piece;
    size += bytes;
  }
  chunks.push(current);
  return chunks.map((c) => `"${c}"`).join('');
}

// ---------------------------------------------------------------------------------------------- writing records

/** One call: its method, the record id it names (update, delete), its body and the change it carries. */
export interface RecordWrite {
  readonly change: RecordChange;
  readonly method: 'POST' | 'PATCH' | 'DELETE';
  readonly id?: string | undefined;
  readonly body?: Record<string, unknown> | undefined;
}

/**
 * Pure planning: one call per change, in order. Everything DNSimple would refuse is refused here, before the first
 * write, so a plan never stops half-way for a reason known in advance.
 */
export function planWrites(apex: string, records: readonly DnsRecord[], changes: readonly RecordChange[]): RecordWrite[] {
  return changes.map((change): RecordWrite => {
    if (change.action === 'CREATE') {
      const regions = change.record.restoreFields?.regions;
      const body = { ...recordFields(change.record, apex), ...(Array.isArray(regions) && regions.length > 0 ? { regions } : {}) };
      return { change, method: 'POST', body };
    }
    const id = idAsRead(PROVIDER, records, change.before, MATCH);
    if (isObject(change.before.raw) && change.before.raw.system_record === true) {
      throw rejected(`the ${change.before.type} record at ${change.before.name} is a system record and cannot be changed`);
    }
    if (change.action === 'DELETE') return { change, method: 'DELETE', id };
    // PATCH changes only the fields sent (records.md "You can pass zero or any of them"); `type` is not among them.
    if (change.record.type.toUpperCase() !== change.before.type.toUpperCase()) {
      throw rejected(`the ${change.before.type} record at ${change.before.name} cannot become a ${change.record.type.toUpperCase()} record`);
    }
    const { type: _type, ...fields } = recordFields(change.record, apex);
    return { change, method: 'PATCH', id, body: fields };
  });
}

/**
 * The create fields: `name` relative ('' for the apex: "Use an empty string to create a record for the apex"),
 * `type`, `content`, `ttl`, and `priority` for MX and SRV (records.md "Create a zone record"). Host targets go
 * without a trailing dot, as DNSimple returns them; SRV content is `weight port target` with the priority apart
 * (dnscontrol `getTargetRecordContent`).
 */
function recordFields(record: DesiredRecord, apex: string): Record<string, unknown> {
  const type = record.type.toUpperCase();
  if (!DNSIMPLE_CAPABILITIES.recordTypes.has(type)) throw rejected(`${type} records cannot be written through the API`);
  const name = relativeName(record.name, apex);
  const where = `the ${type} record at ${record.name}`;
  if (!Number.isInteger(record.ttl) || record.ttl < DNSIMPLE_MIN_TTL || record.ttl > DNSIMPLE_MAX_TTL) {
    throw rejected(`${where} has TTL ${record.ttl}, outside the allowed ${DNSIMPLE_MIN_TTL}–${DNSIMPLE_MAX_TTL} seconds`);
  }
  let content = record.content;
  if (type === 'TXT' || type === 'SPF') {
    // dnscontrol auditrecords.go: empty TXT and a trailing space are refused (as of 2022-07).
    if (content === '') throw rejected(`${where} is empty`);
    if (/\s$/.test(content)) throw rejected(`${where} ends with a space`);
    content = restoredTxt(record, decodeTxt) ?? encodeTxt(content);
    if (content.length > DNSIMPLE_TXT_SERIALIZED_MAX) {
      throw rejected(`${where} is longer than DNSimple's ${DNSIMPLE_TXT_SERIALIZED_MAX} characters once quoted`);
    }
  } else if (HOST_TARGETS.has(type)) {
    content = content.trim().replace(/\.$/, '');
  } else if (type === 'SRV') {
    const [weight, port, target] = content.trim().split(/\s+/);
    content = `${weight ?? ''} ${port ?? ''} ${(target ?? '').replace(/\.$/, '')}`;
  }
  if (content.trim() === '') throw rejected(`${where} is empty`);
  return { name, type, content, ttl: record.ttl, ...(type === 'MX' || type === 'SRV' ? { priority: record.priority ?? 0 } : {}) };
}

/** Full name → DNSimple's relative name ('' for the apex): "The domain will be automatically appended". */
function relativeName(full: string, apex: string): string {
  const name = full.trim().toLowerCase().replace(/\.$/, '');
  if (name === apex) return '';
  if (name.endsWith(`.${apex}`)) return name.slice(0, -(apex.length + 1));
  throw rejected(`${name} is not inside the zone ${apex}`);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function rejected(reason: string): ProviderError {
  return new ProviderError(PROVIDER, 'rejected', reason);
}
