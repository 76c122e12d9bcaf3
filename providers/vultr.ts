/**
 * Vultr API v2 adapter. Facts and their sources: ../shared/reference/providers-cloud.md §6 (Vultr), §8 (minimal
 * calls), §9 (TXT), §10 (wire examples), §11 (credential check); "govultr" is vultr/govultr (Vultr's own Go client),
 * "dnscontrol" is StackExchange/dnscontrol `providers/vultr/vultrProvider.go`.
 *
 * Vultr keeps one record per id and has no batch, no version and no idempotency key (§6 trap 3): a plan is applied one
 * call per change (`POST …/records`, `PATCH …/records/{id}`, `DELETE …/records/{id}`), so it is not atomic and a
 * concurrent edit in the panel is not detected (only the gateway's zone lock guards the read-merge-write). A `PATCH`
 * names one record by id; no call replaces more than the one record the change names.
 *
 * No domain lookup is needed before reading: the records path takes the domain name itself
 * (`/domains/{dns-domain}/records`, govultr `domain_records.go`), and answers 404 for a domain not in the account.
 * Calls per command, at the minimum: findZone = none for a registrable domain, one `GET /domains/{d}` per label below
 * it; readZone = one `GET /domains/{d}/records` per page of `pageSize` (500, the maximum); applyChanges = one call per
 * change.
 *
 * Revert fidelity (providers/restore.ts) needs nothing here: Vultr keeps one spelling of a TXT value, one pair of
 * double quotes around the whole text with no quote inside (§6 record format, §9: "Vultr's API requires the string to
 * begin and end with double-quotes"), so a value re-encoded from its content is the value as read.
 */
import { REQUIRED_CREDENTIALS } from './credentials.js';
import {
  commandBounds,
  send,
  withAttemptSignal,
  withRetries,
  retryAfterSeconds,
  writeReserveMs,
  type AdapterDeps,
  type CommandBounds,
  type HttpReply,
  type RetryPolicy,
} from './http.js';
import { applyPerRecord, recordIdClaimer, settleWrite, type WriteOutcome } from './per-record-apply.js';
import { redactCredentials } from './redact.js';
import {
  ProviderError,
  type ApplyResult,
  type DesiredRecord,
  type DnsProvider,
  type DnsRecord,
  type ProviderCapabilities,
  type ProviderCredentials,
  type ProviderSession,
  type RecordChange,
  type Zone,
  type ZoneContents,
} from './types.js';
import { DomainWalk, readWholeList } from './zone-read.js';

/** A record as Vultr returns it (govultr `DomainRecord`): `name` relative, empty for the apex. */
export interface VultrRecord {
  readonly id: string;
  readonly type: string;
  readonly name: string;
  readonly data: string;
  readonly priority: number;
  readonly ttl: number;
}

/** A `POST …/records` body (govultr `DomainRecordReq`); a `PATCH` carries the same without `type`. */
export interface VultrRecordBody {
  readonly type: string;
  readonly name: string;
  readonly data: string;
  readonly ttl: number;
  readonly priority?: number;
}

export interface VultrAdapterDeps extends AdapterDeps {
  /** `per_page` asked of the records list: 500 is the maximum (govultr README, §6). Tests lower it. @default 500 */
  readonly pageSize?: number;
}

const PROVIDER = 'vultr' as const;
/** A 60-second record was created once no record of another TTL stood beside it (vultr/cert-manager-webhook-vultr#52) [obs]. */
export const VULTR_MIN_TTL = 60;
/** No documented maximum; RFC 2181 §8's 2^31 − 1 [infer]. */
export const VULTR_MAX_TTL = 2_147_483_647;
/** No documented limit; the joined value goes out as one quoted string (dnscontrol `toVultrRecord`) [infer]. */
export const VULTR_MAX_TXT = 1024;
const DEFAULT_PAGE_SIZE = 500;
const MAX_PAGES = 500;

/** Types whose data is (or ends in) a host name, written without the trailing dot (dnscontrol `toVultrRecord`). */
const HOST_TYPES = new Set(['CNAME', 'MX', 'NS', 'SRV']);

export const VULTR_CAPABILITIES: ProviderCapabilities = {
  // dnscontrol `features` (CAA, SRV) plus the basic types; SSHFP and others are not written by this service.
  recordTypes: new Set(['A', 'AAAA', 'CAA', 'CNAME', 'MX', 'NS', 'SRV', 'TXT']),
  minTtl: VULTR_MIN_TTL,
  maxTtl: VULTR_MAX_TTL,
  atomicApply: false,
  // No precondition exists on any write (§0 "Concurrency guard: none"): the zone lock is the guard.
  guardedWrite: false,
  maxTxtLength: VULTR_MAX_TXT,
  // GET /domains/{d}/records (one page); one POST, PATCH or DELETE per changed record (§8).
  upstreamCalls: { read: 1, write: { perPlan: 0, perRrset: 0, perRecord: 1 } },
  writes: 'one `POST`, `PATCH` or `DELETE` per changed record, by record id; TXT in one pair of quotes, a new record takes the TTL of its set',
};

/**
 * Reads may be repeated. Vultr answers 429 above 30 requests per second per IP (§6 "Rate limit") and documents no
 * `Retry-After`: one second, the window, is waited unless it sends one.
 */
const READ_RETRIES: RetryPolicy = {
  attempts: 4,
  baseDelayMs: 500,
  maxDelayMs: 20_000,
  retryOn: (e) => e.kind === 'rate_limited' || e.kind === 'unavailable' || e.kind === 'timeout',
};

/** `PATCH` (the values it names) and `DELETE` of one record id are idempotent. */
const IDEMPOTENT_RETRIES: RetryPolicy = READ_RETRIES;

/**
 * A `POST` is not idempotent: repeated after a lost reply it duplicates the record (§6 trap 3). Only a 429 is repeated
 * blindly (refused before it runs [infer]); any other failure is settled by reading the zone again (see `write`).
 */
const CREATE_RETRIES: RetryPolicy = { ...READ_RETRIES, retryOn: (e) => e.kind === 'rate_limited' };

const CREATE_SENDS = 2;

export function createVultrProvider(deps: VultrAdapterDeps): DnsProvider {
  return {
    id: PROVIDER,
    capabilities: VULTR_CAPABILITIES,
    requiredCredentials: REQUIRED_CREDENTIALS.vultr,
    connect: (credentials, options) => new VultrSession(deps, credentials, commandBounds(deps, options)),
  };
}

type Method = 'GET' | 'POST' | 'PATCH' | 'DELETE';
type Subject = 'domain' | 'record';

class VultrSession implements ProviderSession {
  private readonly base: string;
  private readonly token: string;
  private readonly pageSize: number;
  /** `GET /domains/{name}` for each name walked; a 404 while walking is a name not held. */
  private readonly zones = new DomainWalk(PROVIDER, async (name, walking) => {
    const reply = await this.call('GET', domainPath(name), READ_RETRIES, 'domain', walking ? { notFound: 'answer' } : {});
    if (reply.status === 404) return false;
    this.expectDomain(reply, name);
    return true;
  });

  constructor(
    private readonly deps: VultrAdapterDeps,
    private readonly credentials: ProviderCredentials,
    /** One deadline for the whole command: every read, write, retry and re-read below shares it. */
    private readonly bounds: CommandBounds,
  ) {
    this.base = deps.baseUrl.replace(/\/+$/, '');
    this.token = credentials.apiKey.trim();
    this.pageSize = Math.max(1, Math.min(DEFAULT_PAGE_SIZE, deps.pageSize ?? DEFAULT_PAGE_SIZE));
  }

  /**
   * The domain as Vultr holds it: a name below the registrable domain is asked for with `GET /domains/{name}` (404 =
   * not held, one label up, as lego's `getHostedZone` matches the longest domain); the registrable domain itself costs
   * no call, the records list answers 404 when the account does not hold it.
   */
  async findZone(domain: string): Promise<Zone> {
    return this.zones.findZone(domain);
  }

  /**
   * `GET /domains/{zone}` (§11, §6 trap 2): a refused key or IP is an error there, not an empty list. Writes nothing.
   */
  async authorize(domain: string): Promise<Zone> {
    return this.zones.authorize(domain);
  }

  /**
   * Every page of `GET /domains/{zone}/records`, following the opaque cursor of `meta.links.next` until it is empty
   * (govultr `ListOptions.Cursor`, dnscontrol `GetZoneRecords`). When `meta.total` changes between pages or disagrees
   * with what the pages held, the zone changed while it was read, and it is read again once.
   */
  async readZone(zone: Zone): Promise<ZoneContents> {
    const read = await readWholeList(PROVIDER, () => this.readRecords(zone));
    return { records: read.records.map((r) => fromVultr(r, zone.name)) };
  }

  private async readRecords(zone: Zone): Promise<{ records: VultrRecord[]; complete: boolean }> {
    const records: VultrRecord[] = [];
    const seen = new Set<string>();
    const totals = new Set<number>();
    const cursors = new Set<string>();
    let count = 0;
    let cursor: string | undefined;
    for (let pages = 0; ; pages++) {
      if (pages >= MAX_PAGES) throw new ProviderError(PROVIDER, 'protocol', `the record list did not end after ${MAX_PAGES} pages`);
      const query = `per_page=${this.pageSize}${cursor === undefined ? '' : `&cursor=${encodeURIComponent(cursor)}`}`;
      const body = this.parse(await this.call('GET', `${domainPath(zone.name)}/records?${query}`, READ_RETRIES, 'domain'));
      if (!Array.isArray(body.records)) throw new ProviderError(PROVIDER, 'protocol', 'the reply has no records list');
      for (const item of body.records) {
        const raw = parseRecord(item);
        count++;
        if (seen.has(raw.id)) continue;
        seen.add(raw.id);
        records.push(raw);
      }
      const meta = isObject(body.meta) ? body.meta : {};
      if (typeof meta.total === 'number') totals.add(meta.total);
      const next = isObject(meta.links) ? meta.links.next : undefined;
      if (typeof next !== 'string' || next === '') break;
      // A cursor seen before would read the same pages for ever.
      if (cursors.has(next)) throw new ProviderError(PROVIDER, 'protocol', 'the record list cursor does not move forward');
      cursors.add(next);
      cursor = next;
    }
    const [total] = totals;
    return { records, complete: totals.size <= 1 && (total === undefined || total === count) && count === seen.size };
  }

  /**
   * One call per change, in the order given: Vultr cannot apply a plan atomically. What Vultr would refuse for a
   * reason known in advance is refused before the first write. A write that fails in a way that may have reached
   * Vultr is settled by reading again; the error then names what was applied, what was not and what is unknown.
   */
  async applyChanges(zone: Zone, contents: ZoneContents, changes: readonly RecordChange[]): Promise<ApplyResult> {
    if (changes.length === 0) return { applied: [] };
    const writes = planWrites(zone.name, contents, changes);
    const known = new Set(contents.records.map((r) => recordIdOf(r)).filter((id): id is string => id !== undefined));
    // What reached Vultr is reported as written: a change whose TTL was taken from its set, with the TTL written.
    return applyPerRecord(changes, writes, (write) => this.write(zone, write, known));
  }

  private async write(zone: Zone, write: PlannedWrite, known: Set<string>): Promise<WriteOutcome> {
    const records = `${domainPath(zone.name)}/records`;
    if (write.kind === 'create') {
      return settleWrite(
        CREATE_SENDS,
        async () => {
          const created = this.parse(await this.call('POST', records, CREATE_RETRIES, 'domain', {}, write.body)).record;
          if (isObject(created) && typeof created.id === 'string') known.add(created.id);
        },
        () => this.createdSince(zone, write, known),
      );
    }
    const path = `${records}/${encodeURIComponent(write.id)}`;
    return settleWrite(
      1,
      async () => {
        if (write.kind === 'update') {
          const { type: _type, ...patch } = write.body;
          await this.call('PATCH', path, IDEMPOTENT_RETRIES, 'record', {}, patch);
        } else {
          await this.call('DELETE', path, IDEMPOTENT_RETRIES, 'record', { notFound: 'done-after-retry' });
        }
      },
      () => this.recordHolds(path, write),
    );
  }

  /**
   * After a failed POST: the zone is read again (the records list has no name filter, govultr `ListOptions`) and a
   * record that was not there before and holds what was sent is looked for. undefined = cannot tell.
   */
  private async createdSince(zone: Zone, write: PlannedCreate, known: Set<string>): Promise<boolean | undefined> {
    try {
      const { records } = await this.readRecords(zone);
      const found = records.find((r) => !known.has(r.id) && holds(r, write.body));
      if (!found) return false;
      known.add(found.id);
      return true;
    } catch {
      return undefined;
    }
  }

  /** After a failed PATCH or DELETE: true = the record is as the write left it, false = it is not, undefined = unknown. */
  private async recordHolds(path: string, write: PlannedUpdate | PlannedDelete): Promise<boolean | undefined> {
    try {
      const reply = await this.call('GET', path, READ_RETRIES, 'record', { notFound: 'answer' });
      if (reply.status === 404) return write.kind === 'delete';
      if (write.kind === 'delete') return false;
      return holds(parseRecord(this.parse(reply).record), write.body);
    } catch {
      return undefined;
    }
  }

  private expectDomain(reply: HttpReply, name: string): void {
    const domain = this.parse(reply).domain;
    // govultr `Domain`: `{"domain": {"domain": "example.com", "date_created": …, "dns_sec": …}}`.
    if (!isObject(domain) || typeof domain.domain !== 'string' || domain.domain.toLowerCase() !== name) {
      throw new ProviderError(PROVIDER, 'protocol', 'the domain reply does not name the domain asked for');
    }
  }

  private parse(reply: HttpReply): Record<string, unknown> {
    let body: unknown;
    try {
      body = JSON.parse(reply.text);
    } catch {
      throw new ProviderError(PROVIDER, 'protocol', `HTTP ${reply.status} with ${describeBody(reply.text)} instead of JSON`);
    }
    if (!isObject(body)) throw new ProviderError(PROVIDER, 'protocol', 'the reply is not a JSON object');
    return body;
  }

  /** One logical call, its retries included, within the command's deadline. */
  private async call(
    method: Method,
    path: string,
    policy: RetryPolicy,
    subject: Subject,
    options: { notFound?: 'answer' | 'done-after-retry' } = {},
    body?: Partial<VultrRecordBody>,
  ): Promise<HttpReply> {
    if (this.token === '') throw new ProviderError(PROVIDER, 'auth', 'no API key given');
    if (!/^[\x21-\x7e]+$/.test(this.token)) throw new ProviderError(PROVIDER, 'auth', 'invalid API key (malformed)');
    const headers: Record<string, string> = { authorization: `Bearer ${this.token}`, accept: 'application/json' };
    if (body !== undefined) headers['content-type'] = 'application/json';
    const text = body === undefined ? undefined : JSON.stringify(body);
    const reserve = method === 'GET' ? 0 : writeReserveMs(this.bounds);
    return withRetries(
      policy,
      async (attempt) => {
        const reply = await withAttemptSignal(PROVIDER, this.bounds, reserve, (signal) =>
          send(PROVIDER, this.deps, `${this.base}${path}`, { method, headers, body: text, signal }),
        );
        if (reply.status >= 200 && reply.status < 300) {
          // A read whose body is cut or garbled is a failed transfer: read again.
          if (method === 'GET' && !isJson(reply.text)) {
            throw new ProviderError(PROVIDER, 'unavailable', `HTTP ${reply.status} with ${describeBody(reply.text)} instead of JSON`);
          }
          return reply;
        }
        if (reply.status === 404 && options.notFound === 'answer') return reply;
        // A repeated DELETE whose first try did reach Vultr finds the record gone: the wanted end state.
        if (reply.status === 404 && options.notFound === 'done-after-retry' && attempt > 1) return reply;
        throw vultrError(reply, this.credentials, subject);
      },
      { deadline: this.bounds.deadline - reserve, sleep: this.deps.sleep, signal: this.bounds.signal },
    );
  }
}

// ------------------------------------------------------------------------------------------------ planning writes

interface PlannedBase {
  readonly change: RecordChange;
  /** The change as written: `change` itself, or a copy with the TTL its record set imposed. */
  readonly reported: RecordChange;
}
interface PlannedCreate extends PlannedBase {
  readonly kind: 'create';
  readonly body: VultrRecordBody;
}
interface PlannedUpdate extends PlannedBase {
  readonly kind: 'update';
  readonly id: string;
  readonly body: VultrRecordBody;
}
interface PlannedDelete extends PlannedBase {
  readonly kind: 'delete';
  readonly id: string;
}
type PlannedWrite = PlannedCreate | PlannedUpdate | PlannedDelete;

/**
 * Pure: one write per change, each checked as Vultr would check it, before any call. UPDATE and DELETE name the
 * record as read (by id); one that is not in the zone as read is refused (`conflict`), never guessed at.
 *
 * Vultr keeps one TTL per name and type: "New records TTL (60) must match the TTL of existing records (120)"
 * (vultr/cert-manager-webhook-vultr#52) [obs], and §6 trap 1 says to write the new value with the TTL of the existing
 * ones. So a record created (or moved, or given a new TTL) beside others of its name and type takes their TTL, and is
 * reported with it; beside records of differing TTLs it is refused, as Vultr would refuse it.
 */
export function planWrites(apex: string, contents: ZoneContents, changes: readonly RecordChange[]): PlannedWrite[] {
  /** The zone as the plan goes: record sets by `TYPE name`, each member's id (or a token) and TTL. */
  const sets = new Map<string, Map<unknown, number>>();
  const setOf = (type: string, name: string) => {
    const key = `${type.toUpperCase()} ${normaliseName(name)}`;
    let set = sets.get(key);
    if (!set) {
      set = new Map(
        contents.records.filter((r) => `${r.type.toUpperCase()} ${normaliseName(r.name)}` === key).map((r) => [recordIdOf(r) ?? r, r.ttl] as const),
      );
      sets.set(key, set);
    }
    return set;
  };
  const idFor = recordIdClaimer(PROVIDER, contents, recordIdOf, sameRecord);
  /** The TTL the record must have among `others` (Vultr's rule), or a refusal. */
  const ttlAmong = (record: DesiredRecord, others: readonly number[]): number => {
    const distinct = [...new Set(others)];
    if (distinct.length === 0) return record.ttl;
    if (distinct.length === 1) return distinct[0]!;
    throw rejected(
      `the ${record.type.toUpperCase()} records at ${normaliseName(record.name)} have different TTLs (${distinct.join(', ')}); ` +
        'Vultr accepts a new one only with the TTL they share',
    );
  };
  return changes.map((change): PlannedWrite => {
    if (change.action === 'DELETE') {
      const id = idFor(change.before);
      setOf(change.before.type, change.before.name).delete(id);
      return { kind: 'delete', change, reported: change, id };
    }
    const token = {};
    let id: string | undefined;
    if (change.action === 'UPDATE') {
      id = idFor(change.before);
      if (change.before.type.toUpperCase() !== change.record.type.toUpperCase()) {
        // A PATCH takes name, data, TTL and priority, not the type (Vultr API `update-dns-domain-record`, vultr-cli).
        throw rejected(`the record at ${change.before.name} cannot change type from ${change.before.type.toUpperCase()} to ${change.record.type.toUpperCase()}`);
      }
      setOf(change.before.type, change.before.name).delete(id);
    }
    const set = setOf(change.record.type, change.record.name);
    // An update that keeps its record's TTL (and name) leaves the set's TTLs as they were: nothing to match.
    const keepsTtl = change.action === 'UPDATE' && change.record.ttl === change.before.ttl && normaliseName(change.record.name) === normaliseName(change.before.name);
    const ttl = keepsTtl ? change.record.ttl : ttlAmong(change.record, [...set.values()]);
    set.set(id ?? token, ttl);
    const record = ttl === change.record.ttl ? change.record : { ...change.record, ttl };
    const body = toVultr(record, apex);
    const reported: RecordChange = record === change.record ? change : { ...change, record };
    return id === undefined ? { kind: 'create', change, reported, body } : { kind: 'update', change, reported, id, body };
  });
}

/**
 * A desired record → the body Vultr takes, refusing what it would refuse: relative name (empty for the apex,
 * dnscontrol `toVultrRecord`); CNAME/MX/NS/SRV targets without the trailing dot; SRV data `weight port target` and CAA
 * data `flags tag "value"` (dnscontrol `toRecordConfig`); TXT in one pair of double quotes with no quote inside (§6,
 * §9; dnscontrol `TxtHasDoubleQuotes`); priority for MX and SRV only.
 */
export function toVultr(record: DesiredRecord, apex: string): VultrRecordBody {
  const type = record.type.toUpperCase();
  const fullName = normaliseName(record.name);
  if (!VULTR_CAPABILITIES.recordTypes.has(type)) throw rejected(`Vultr's API cannot write ${type} records`);
  const name = relativeName(fullName, apex);
  if (!Number.isInteger(record.ttl) || record.ttl < VULTR_MIN_TTL || record.ttl > VULTR_MAX_TTL) {
    throw rejected(`TTL ${record.ttl} of the ${type} record at ${fullName} is outside the allowed ${VULTR_MIN_TTL}–${VULTR_MAX_TTL} seconds`);
  }
  const base = { type, name, ttl: record.ttl };
  switch (type) {
    case 'TXT': {
      const value = record.content;
      if (value === '') throw rejected(`the TXT record at ${fullName} is empty`);
      if (value.includes('"')) throw rejected(`the TXT record at ${fullName} contains a double quote, which Vultr does not accept`);
      // A backslash inside Vultr's quotes would be read as an escape in the zone [infer].
      if (value.includes('\\')) throw rejected(`the TXT record at ${fullName} contains a backslash, which Vultr does not store faithfully`);
      if (Buffer.byteLength(value, 'utf8') > VULTR_MAX_TXT) throw rejected(`the TXT record at ${fullName} is longer than ${VULTR_MAX_TXT} bytes`);
      return { ...base, data: `"${value}"` };
    }
    case 'CNAME':
    case 'NS':
      return { ...base, data: host(record.content, type, fullName) };
    case 'MX':
      return { ...base, data: host(record.content, type, fullName), priority: record.priority ?? 0 };
    case 'SRV': {
      const match = /^(\d+)\s+(\d+)\s+(\S+)$/.exec(record.content.trim());
      if (!match) throw rejected(`the SRV record at ${fullName} is not "weight port target"`);
      return { ...base, data: `${match[1]} ${match[2]} ${host(match[3]!, type, fullName)}`, priority: record.priority ?? 0 };
    }
    case 'CAA': {
      const match = /^(\d+)\s+(issue|issuewild|iodef)\s+"?([^"\s]*)"?$/i.exec(record.content.trim());
      // dnscontrol refuses a CAA value with whitespace for Vultr (`CaaTargetContainsWhitespace`).
      if (!match) throw rejected(`the CAA record at ${fullName} is not "flags tag value" with tag issue, issuewild or iodef and no space in the value`);
      return { ...base, data: `${match[1]} ${match[2]!.toLowerCase()} "${match[3]}"` };
    }
    default:
      return { ...base, data: record.content };
  }
}

/** A host name as Vultr wants it written: fully qualified, no trailing dot. */
function host(target: string, type: string, fullName: string): string {
  const bare = target.trim().replace(/\.$/, '');
  if (bare === '' || /\s/.test(bare)) throw rejected(`the ${type} record at ${fullName} has no valid target host`);
  return bare;
}

// ------------------------------------------------------------------------------------------------ reading records

const QUOTED_STRINGS = /^\s*"(?:[^"\\]|\\.)*"(?:\s+"(?:[^"\\]|\\.)*")*\s*$/s;

/** `"text"` (Vultr's form) → `text`; quoted chunks are joined, an unquoted value is kept as it is. */
export function unquoteTxt(data: string): string {
  if (!QUOTED_STRINGS.test(data)) return data;
  return [...data.matchAll(/"((?:[^"\\]|\\.)*)"/gs)].map((m) => (m[1] ?? '').replace(/\\(.)/gs, '$1')).join('');
}

/** Vultr wire record → neutral form (pure; exported for tests). */
export function fromVultr(raw: VultrRecord, apex: string): DnsRecord {
  const type = raw.type.toUpperCase();
  const name = raw.name === '' || raw.name === '@' ? apex : `${normaliseName(raw.name)}.${apex}`;
  let content = raw.data;
  if (type === 'TXT') content = unquoteTxt(raw.data);
  if (type === 'CNAME' || type === 'MX' || type === 'NS') content = bareHost(raw.data, apex);
  if (type === 'SRV') {
    // `weight port target` (dnscontrol `toRecordConfig`).
    const [weight = '0', port = '0', target = ''] = raw.data.trim().split(/\s+/);
    content = `${weight} ${port} ${bareHost(target, apex)}`;
  }
  const priority = type === 'MX' || type === 'SRV' ? raw.priority : undefined;
  return { type, name, content, ttl: raw.ttl, ...(priority === undefined ? {} : { priority }), id: raw.id, raw };
}

function bareHost(data: string, apex: string): string {
  const bare = data.replace(/\.$/, '');
  return bare === '@' || bare === '' ? apex : bare;
}

/** The record as read holds what `body` sent (targets compared without case or trailing dot). */
function holds(record: VultrRecord, body: VultrRecordBody): boolean {
  const type = body.type;
  const data = HOST_TYPES.has(type) ? record.data.toLowerCase().replace(/\.$/, '') === body.data.toLowerCase() : record.data === body.data;
  return (
    record.type.toUpperCase() === type &&
    normaliseName(record.name === '@' ? '' : record.name) === body.name &&
    data &&
    record.ttl === body.ttl &&
    (body.priority === undefined || record.priority === body.priority)
  );
}

function parseRecord(value: unknown): VultrRecord {
  if (
    !isObject(value) ||
    typeof value.id !== 'string' ||
    typeof value.type !== 'string' ||
    typeof value.name !== 'string' ||
    typeof value.data !== 'string' ||
    typeof value.ttl !== 'number'
  ) {
    throw new ProviderError(PROVIDER, 'protocol', 'a DNS record in the reply is malformed');
  }
  return { id: value.id, type: value.type, name: value.name, data: value.data, priority: typeof value.priority === 'number' ? value.priority : 0, ttl: value.ttl };
}

// ------------------------------------------------------------------------------------------------------- errors

/**
 * A non-2xx reply → ProviderError. Vultr v2 bodies are `{"error": "…", "status": N}` (`{"error":"Invalid API
 * token.","status":401}`, VictoriaMetrics `lib/promscrape/discovery/vultr/instance_test.go`; the TTL refusal of
 * vultr/cert-manager-webhook-vultr#52); govultr returns the raw body as the error text. Provider text is scrubbed of
 * every credential before it is kept.
 */
export function vultrError(reply: HttpReply, credentials: ProviderCredentials, subject: Subject = 'domain'): ProviderError {
  let message = '';
  let malformed = false;
  try {
    const body: unknown = JSON.parse(reply.text);
    if (isObject(body) && typeof body.error === 'string') message = clean(redactCredentials(body.error, credentials));
    else if (!isObject(body)) malformed = true;
  } catch {
    malformed = true;
  }
  const status = reply.status;
  if (status === 429) {
    // No documented retry signal: one second is the window of the 30-per-second limit (§6 "Rate limit").
    return new ProviderError(PROVIDER, 'rate_limited', 'rate limit reached (30 requests per second per IP address)', {
      retryAfterSeconds: retryAfterSeconds(reply.headers) ?? 1,
    });
  }
  if (status >= 500) return new ProviderError(PROVIDER, 'unavailable', malformed ? `HTTP ${status} with ${describeBody(reply.text)}` : `HTTP ${status}`);
  if (status === 401 || status === 403) {
    // The key's IP access control list refuses this server (§6 "Auth", trap 2): the key is fine, the address is not.
    if (/\bIP\b/i.test(message)) return new ProviderError(PROVIDER, 'forbidden', "this server's IP address is not in the API key's access control list");
    if (status === 403) return new ProviderError(PROVIDER, 'forbidden', `the API key is not allowed to do this${message ? ` (${message})` : ''}`);
    const extra = message && message !== 'Invalid API token.' ? ` (${message})` : '';
    return new ProviderError(PROVIDER, 'auth', `invalid API key${extra}`);
  }
  if (status === 404) {
    return subject === 'domain'
      ? new ProviderError(PROVIDER, 'not_found', 'domain not found in this account')
      : new ProviderError(PROVIDER, 'conflict', 'a record to change no longer exists (the zone changed since it was read)');
  }
  if (malformed) return new ProviderError(PROVIDER, 'protocol', `HTTP ${status} with ${describeBody(reply.text)}`);
  if (status === 400 || status === 422) return new ProviderError(PROVIDER, 'rejected', `refused the record: ${message || `HTTP ${status}`}`.slice(0, 400));
  return new ProviderError(PROVIDER, 'protocol', `unexpected HTTP ${status}`);
}

// ------------------------------------------------------------------------------------------------------ helpers

function recordIdOf(record: DnsRecord | undefined): string | undefined {
  if (!record) return undefined;
  if (isObject(record.raw) && typeof record.raw.id === 'string') return record.raw.id;
  return record.id;
}

function sameRecord(a: DnsRecord, b: DnsRecord): boolean {
  return a.type.toUpperCase() === b.type.toUpperCase() && normaliseName(a.name) === normaliseName(b.name) && a.content === b.content && a.priority === b.priority;
}

const normaliseName = (name: string) => name.trim().toLowerCase().replace(/\.$/, '');

/** Full name → Vultr's relative name, empty for the apex. */
function relativeName(full: string, apex: string): string {
  if (full === apex) return '';
  if (full.endsWith(`.${apex}`)) return full.slice(0, -(apex.length + 1));
  throw rejected(`${full} is not inside the zone ${apex}`);
}

function domainPath(domain: string): string {
  return `/domains/${encodeURIComponent(domain)}`;
}

function isJson(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

function describeBody(text: string): string {
  return /^\s*</.test(text) ? 'an HTML page' : 'a malformed body';
}

function clean(text: string): string {
  return text.replace(/[\u0000-\u001f\u007f]/g, ' ').trim();
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function rejected(reason: string): ProviderError {
  return new ProviderError(PROVIDER, 'rejected', reason);
}
