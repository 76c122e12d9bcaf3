/**
 * DigitalOcean API v2 adapter. Facts and their sources: ../shared/reference/providers-cloud.md §4 (DigitalOcean),
 * §8 (minimal calls), §9 (TXT), §10 (wire examples), §11 (credential check); "do-openapi" is
 * digitalocean/openapi `specification/` (DigitalOcean's own OpenAPI description).
 *
 * DigitalOcean keeps one record per id and has no batch, no version and no idempotency key: a plan is applied one
 * call per change (`POST …/records`, `PUT …/records/{id}`, `DELETE …/records/{id}`), so it is not atomic and a
 * concurrent edit in the panel is not detected (only the gateway's zone lock guards the read-merge-write). A `PUT`
 * names one record by id and carries every field of it, so it can alter nothing else; no call replaces more than the
 * one record the change names.
 *
 * Calls per command, at the minimum: findZone = none for a registrable domain (the records list itself answers 404
 * for a domain DigitalOcean does not hold, §8), one `GET /domains/{d}` per label below it; readZone = one
 * `GET /domains/{d}/records` per page of `pageSize` (200, the documented maximum); applyChanges = one call per change.
 *
 * Revert fidelity (providers/restore.ts) needs nothing here: DigitalOcean keeps one spelling of a TXT value, the raw
 * joined text without quotes (§4 record format, §9), so a value re-encoded from its content is the value as read.
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

/** A domain record as DigitalOcean returns it (do-openapi `models/domain_record.yml`); unused fields are `null`. */
export interface DigitaloceanRecord {
  readonly id: number;
  readonly type: string;
  /** Relative to the domain, `@` for the apex. */
  readonly name: string;
  readonly data: string;
  readonly priority: number | null;
  readonly port: number | null;
  readonly ttl: number;
  readonly weight: number | null;
  readonly flags: number | null;
  readonly tag: string | null;
}

/** The body of a `POST …/records` or `PUT …/records/{id}`: every field the record's type uses, nothing else. */
export interface DigitaloceanRecordBody {
  readonly type: string;
  readonly name: string;
  readonly data: string;
  readonly ttl: number;
  readonly priority?: number;
  readonly port?: number;
  readonly weight?: number;
  readonly flags?: number;
  readonly tag?: string;
}

export interface DigitaloceanAdapterDeps extends AdapterDeps {
  /**
   * `per_page` asked of the records list: 200 is the documented maximum (do-openapi `shared/description.md`
   * "Links & Pagination"), so an ordinary zone is one call. Tests lower it to prove pagination.
   * @default 200
   */
  readonly pageSize?: number;
}

const PROVIDER = 'digitalocean' as const;
export const DIGITALOCEAN_MIN_TTL = 30;
/** No documented maximum; RFC 2181 §8's 2^31 − 1 [infer]. */
export const DIGITALOCEAN_MAX_TTL = 2_147_483_647;
/**
 * DigitalOcean measures a TXT value by its RFC 1035 encoding (quoted 255-byte strings, escapes and separating spaces
 * included) against about 512; dnscontrol refuses above 509 (`providers/digitalocean/auditrecords.go` MaxLengthDO,
 * DNSControl/dnscontrol#370) [code].
 */
export const DIGITALOCEAN_MAX_ENCODED_TXT = 509;
const DEFAULT_PAGE_SIZE = 200;
/** A runaway `links.pages.next` must not keep us paging forever: 500 pages of 200 is far past any real zone. */
const MAX_PAGES = 500;

/** Types whose `data` is a host name: written as an FQDN with the trailing dot, read back without it or as `@`. */
const HOST_TYPES = new Set(['CNAME', 'MX', 'NS', 'SRV']);

export const DIGITALOCEAN_CAPABILITIES: ProviderCapabilities = {
  // octodns-digitalocean `SUPPORTS`; SOA is listed by the API but cannot be written (dnscontrol skips it).
  recordTypes: new Set(['A', 'AAAA', 'CAA', 'CNAME', 'MX', 'NS', 'SRV', 'TXT']),
  // "record ttl must be greater than 30" (Pelado-Nerdworks/peladonerd#44); 30 is accepted (lego's default TTL, §4).
  minTtl: DIGITALOCEAN_MIN_TTL,
  maxTtl: DIGITALOCEAN_MAX_TTL,
  atomicApply: false,
  // No precondition exists on any write (§0 "Concurrency guard: none"): the zone lock is the guard.
  guardedWrite: false,
  // 500 bytes encode to 505 (two quoted strings and a space): under DIGITALOCEAN_MAX_ENCODED_TXT.
  maxTxtLength: 500,
  // GET /domains/{d}/records (one page); one POST, PUT or DELETE per changed record (§8).
  upstreamCalls: { read: 1, write: { perPlan: 0, perRrset: 0, perRecord: 1 } },
  writes: 'one `POST`, `PUT` or `DELETE` per changed record, by record id; targets written with the trailing dot, TXT raw',
};

/** Reads may be repeated; 429 carries `Retry-After` (burst limit) or `ratelimit-reset` (§4 "Rate limits"). */
const READ_RETRIES: RetryPolicy = {
  attempts: 4,
  baseDelayMs: 500,
  maxDelayMs: 20_000,
  retryOn: (e) => e.kind === 'rate_limited' || e.kind === 'unavailable' || e.kind === 'timeout',
};

/** `PUT` and `DELETE` of one record id are idempotent (do-openapi `shared/description.md` "Requests"). */
const IDEMPOTENT_RETRIES: RetryPolicy = READ_RETRIES;

/**
 * A `POST` is not idempotent: a lost reply may mean the record exists, and sending it again would duplicate it
 * (§4 trap 1). Only a 429 is repeated blindly, DigitalOcean refuses a rate-limited call before running it [infer];
 * any other failure is settled by listing the records at that name (see `create`).
 */
const CREATE_RETRIES: RetryPolicy = { ...READ_RETRIES, retryOn: (e) => e.kind === 'rate_limited' };

/** POSTs of one record in one command: the first, and one more only when a re-read proved the first did not land. */
const CREATE_SENDS = 2;

export function createDigitaloceanProvider(deps: DigitaloceanAdapterDeps): DnsProvider {
  return {
    id: PROVIDER,
    capabilities: DIGITALOCEAN_CAPABILITIES,
    requiredCredentials: REQUIRED_CREDENTIALS.digitalocean,
    connect: (credentials, options) => new DigitaloceanSession(deps, credentials, commandBounds(deps, options)),
  };
}

type Method = 'GET' | 'POST' | 'PUT' | 'DELETE';
/** What a 404 means for the path asked: the domain is not in the account, or one record id is gone. */
type Subject = 'domain' | 'record';

class DigitaloceanSession implements ProviderSession {
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
    private readonly deps: DigitaloceanAdapterDeps,
    private readonly credentials: ProviderCredentials,
    /** One deadline for the whole command: every read, write, retry and re-read below shares it. */
    private readonly bounds: CommandBounds,
  ) {
    this.base = deps.baseUrl.replace(/\/+$/, '');
    this.token = credentials.apiKey.trim();
    this.pageSize = Math.max(1, Math.min(DEFAULT_PAGE_SIZE, deps.pageSize ?? DEFAULT_PAGE_SIZE));
  }

  /**
   * The domain as DigitalOcean holds it: a sub-domain may be a domain of its own there, so each name below the
   * registrable domain is asked for with `GET /domains/{name}` (404 = not held, one label up). The registrable domain
   * itself costs no call: the records list answers 404 for a domain that is not in the account (§8).
   */
  async findZone(domain: string): Promise<Zone> {
    return this.zones.findZone(domain);
  }

  /**
   * `GET /domains/{zone}` (§11): needs the `domain:read` scope and proves the token sees that domain; writes nothing.
   * 401 = unknown token, 403 = a custom-scoped token without domain access, 404 = not in this account or team.
   */
  async authorize(domain: string): Promise<Zone> {
    return this.zones.authorize(domain);
  }

  /**
   * Every page of `GET /domains/{zone}/records`. The next page is the page number of `links.pages.next`, asked of
   * the configured base URL with our own `per_page`: a reply never chooses the host a request (and its token) goes
   * to. When `meta.total` changes from one page to the next or disagrees with what the pages held (the zone changed
   * between two pages, so a record may have moved past a page boundary unseen), it is read again once.
   */
  async readZone(zone: Zone): Promise<ZoneContents> {
    const read = await readWholeList(PROVIDER, () => this.readRecords(zone));
    return { records: read.records };
  }

  private async readRecords(zone: Zone): Promise<{ records: DnsRecord[]; complete: boolean }> {
    const records: DnsRecord[] = [];
    const seen = new Set<number>();
    const totals = new Set<number>();
    let count = 0;
    for (let page = 1, pages = 0; ; pages++) {
      if (pages >= MAX_PAGES) throw new ProviderError(PROVIDER, 'protocol', `the record list did not end after ${MAX_PAGES} pages`);
      const path = `${domainPath(zone.name)}/records?per_page=${this.pageSize}&page=${page}`;
      const body = this.parse(await this.call('GET', path, READ_RETRIES, 'domain'));
      const list = body.domain_records;
      if (!Array.isArray(list)) throw new ProviderError(PROVIDER, 'protocol', 'the reply has no domain_records list');
      for (const item of list) {
        const raw = parseRecord(item);
        count++;
        if (seen.has(raw.id)) continue;
        seen.add(raw.id);
        // SOA is listed but cannot be written through this API (dnscontrol `GetZoneRecords` skips it).
        if (raw.type.toUpperCase() === 'SOA') continue;
        records.push(fromDigitalocean(raw, zone.name));
      }
      const meta = isObject(body.meta) ? body.meta : undefined;
      if (typeof meta?.total === 'number') totals.add(meta.total);
      const next = nextPage(body.links, page);
      if (next === undefined) break;
      page = next;
    }
    const [total] = totals;
    return { records, complete: totals.size <= 1 && (total === undefined || total === count) && count === seen.size };
  }

  /**
   * One call per change, in the order given: DigitalOcean cannot apply a plan atomically. Everything DigitalOcean
   * would refuse for a reason known in advance is refused before the first write. When a write fails in a way that
   * may have reached DigitalOcean, the record is read again to learn whether it landed; the error then names exactly
   * what was applied, what was not and what is unknown, and a new dns.set (which re-reads) finishes the rest.
   */
  async applyChanges(zone: Zone, contents: ZoneContents, changes: readonly RecordChange[]): Promise<ApplyResult> {
    if (changes.length === 0) return { applied: [] };
    const writes = planWrites(zone.name, contents, changes);
    /** Record ids that exist or were created in this command: a create is found by a new id, never by an old one. */
    const known = new Set(contents.records.map((r) => recordIdOf(r)).filter((id): id is number => id !== undefined));
    return applyPerRecord(changes, writes, (write) => this.write(zone, write, known));
  }

  private async write(zone: Zone, write: PlannedWrite, known: Set<number>): Promise<WriteOutcome> {
    const records = `${domainPath(zone.name)}/records`;
    if (write.kind === 'create') {
      return settleWrite(
        CREATE_SENDS,
        async () => {
          const created = this.parse(await this.call('POST', records, CREATE_RETRIES, 'domain', {}, write.body)).domain_record;
          if (isObject(created) && typeof created.id === 'number') known.add(created.id);
        },
        () => this.createdSince(zone, write, known),
      );
    }
    const path = `${records}/${write.id}`;
    return settleWrite(
      1,
      async () => {
        if (write.kind === 'update') await this.call('PUT', path, IDEMPOTENT_RETRIES, 'record', {}, write.body);
        else await this.call('DELETE', path, IDEMPOTENT_RETRIES, 'record', { notFound: 'done-after-retry' });
      },
      () => this.recordHolds(path, write, zone.name),
    );
  }

  /**
   * After a failed POST: lists the records of that type at that name (`name` must be the full name, §4 trap 3) and
   * looks for one that was not there when the zone was read and holds what was sent. undefined = cannot tell.
   */
  private async createdSince(zone: Zone, write: PlannedCreate, known: Set<number>): Promise<boolean | undefined> {
    try {
      const query = `type=${encodeURIComponent(write.body.type)}&name=${encodeURIComponent(write.fullName)}&per_page=${DEFAULT_PAGE_SIZE}`;
      const body = this.parse(await this.call('GET', `${domainPath(zone.name)}/records?${query}`, READ_RETRIES, 'domain'));
      if (!Array.isArray(body.domain_records)) return undefined;
      const found = body.domain_records.map(parseRecord).find((r) => !known.has(r.id) && holds(r, write.body, zone.name));
      if (!found) return false;
      known.add(found.id);
      return true;
    } catch {
      return undefined;
    }
  }

  /** After a failed PUT or DELETE: true = the record is as the write left it, false = it is not, undefined = unknown. */
  private async recordHolds(path: string, write: PlannedUpdate | PlannedDelete, apex: string): Promise<boolean | undefined> {
    try {
      const reply = await this.call('GET', path, READ_RETRIES, 'record', { notFound: 'answer' });
      if (reply.status === 404) return write.kind === 'delete';
      if (write.kind === 'delete') return false;
      const record = this.parse(reply).domain_record;
      return holds(parseRecord(record), write.body, apex);
    } catch {
      return undefined;
    }
  }

  private expectDomain(reply: HttpReply, name: string): void {
    const domain = this.parse(reply).domain;
    if (!isObject(domain) || typeof domain.name !== 'string' || domain.name.toLowerCase() !== name) {
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
    body?: DigitaloceanRecordBody,
  ): Promise<HttpReply> {
    if (this.token === '') throw new ProviderError(PROVIDER, 'auth', 'no API token given');
    // A token that cannot even go into an HTTP header is not one DigitalOcean issued (dop_v1_…, §4 "Auth").
    if (!/^[\x21-\x7e]+$/.test(this.token)) throw new ProviderError(PROVIDER, 'auth', 'invalid API token (malformed)');
    const headers: Record<string, string> = { authorization: `Bearer ${this.token}`, accept: 'application/json' };
    if (body !== undefined) headers['content-type'] = 'application/json';
    const text = body === undefined ? undefined : JSON.stringify(body);
    // A write keeps back a share of the deadline, so that a lost reply can still be settled by reading.
    const reserve = method === 'GET' ? 0 : writeReserveMs(this.bounds);
    return withRetries(
      policy,
      async (attempt) => {
        const reply = await withAttemptSignal(PROVIDER, this.bounds, reserve, (signal) =>
          send(PROVIDER, this.deps, `${this.base}${path}`, { method, headers, body: text, signal }),
        );
        if (reply.status >= 200 && reply.status < 300) {
          // A read whose body is cut or garbled (a proxy, a reset mid-body) is a failed transfer: read again.
          if (method === 'GET' && !isJson(reply.text)) {
            throw new ProviderError(PROVIDER, 'unavailable', `HTTP ${reply.status} with ${describeBody(reply.text)} instead of JSON`);
          }
          return reply;
        }
        if (reply.status === 404 && options.notFound === 'answer') return reply;
        // A repeated DELETE whose first try did reach DigitalOcean finds the record gone: the wanted end state.
        if (reply.status === 404 && options.notFound === 'done-after-retry' && attempt > 1) return reply;
        throw digitaloceanError(reply, this.credentials, subject);
      },
      { deadline: this.bounds.deadline - reserve, sleep: this.deps.sleep, signal: this.bounds.signal },
    );
  }
}

// ------------------------------------------------------------------------------------------------ planning writes

interface PlannedCreate {
  readonly kind: 'create';
  readonly change: RecordChange;
  readonly body: DigitaloceanRecordBody;
  /** The record's full name, as the list's `name` filter wants it. */
  readonly fullName: string;
}
interface PlannedUpdate {
  readonly kind: 'update';
  readonly change: RecordChange;
  readonly id: number;
  readonly body: DigitaloceanRecordBody;
}
interface PlannedDelete {
  readonly kind: 'delete';
  readonly change: RecordChange;
  readonly id: number;
}
type PlannedWrite = PlannedCreate | PlannedUpdate | PlannedDelete;

/**
 * Pure: one write per change, each checked as DigitalOcean would check it, before any call. UPDATE and DELETE name
 * the record as read; one that is not in the zone as read is refused (`conflict`), never guessed at.
 */
export function planWrites(apex: string, contents: ZoneContents, changes: readonly RecordChange[]): PlannedWrite[] {
  const idFor = recordIdClaimer(PROVIDER, contents, recordIdOf, sameRecord);
  return changes.map((change): PlannedWrite => {
    if (change.action === 'CREATE') {
      return { kind: 'create', change, body: toDigitalocean(change.record, apex), fullName: normaliseName(change.record.name) };
    }
    if (change.action === 'UPDATE') return { kind: 'update', change, id: idFor(change.before), body: toDigitalocean(change.record, apex) };
    return { kind: 'delete', change, id: idFor(change.before) };
  });
}

/**
 * A desired record → the body DigitalOcean takes, refusing what it would refuse: relative name (`@` for the apex);
 * CNAME/MX/NS/SRV targets as FQDN with the trailing dot ("Data needs to end with a dot (.)", digitalocean/api-v2#130,
 * kubernetes-sigs/external-dns#624, doctl#919); CAA value with a dot too (dnscontrol `toReq`, octodns/octodns#692);
 * TXT `data` raw, unquoted (§9), no backslash (dnscontrol `TxtHasBackslash`), not empty, within the encoded limit;
 * TTL at least 30.
 */
export function toDigitalocean(record: DesiredRecord, apex: string): DigitaloceanRecordBody {
  const type = record.type.toUpperCase();
  const fullName = normaliseName(record.name);
  if (!DIGITALOCEAN_CAPABILITIES.recordTypes.has(type)) throw rejected(`DigitalOcean's API cannot write ${type} records`);
  const name = relativeName(fullName, apex);
  if (!Number.isInteger(record.ttl) || record.ttl < DIGITALOCEAN_MIN_TTL || record.ttl > DIGITALOCEAN_MAX_TTL) {
    throw rejected(`TTL ${record.ttl} of the ${type} record at ${fullName} is outside the allowed ${DIGITALOCEAN_MIN_TTL}–${DIGITALOCEAN_MAX_TTL} seconds`);
  }
  const base = { type, name, ttl: record.ttl };
  switch (type) {
    case 'TXT': {
      const value = record.content;
      if (value === '') throw rejected(`the TXT record at ${fullName} is empty`);
      if (value.includes('\\')) throw rejected(`the TXT record at ${fullName} contains a backslash, which DigitalOcean does not store faithfully`);
      const encoded = encodedTxtLength(value);
      if (encoded > DIGITALOCEAN_MAX_ENCODED_TXT) {
        throw rejected(`the TXT record at ${fullName} is too long (${encoded} bytes encoded, at most ${DIGITALOCEAN_MAX_ENCODED_TXT})`);
      }
      return { ...base, data: value };
    }
    case 'CNAME':
    case 'NS':
      return { ...base, data: fqdn(record.content, type, fullName) };
    case 'MX':
      return { ...base, data: fqdn(record.content, type, fullName), priority: record.priority ?? 0 };
    case 'SRV': {
      const match = /^(\d+)\s+(\d+)\s+(\S+)$/.exec(record.content.trim());
      if (!match) throw rejected(`the SRV record at ${fullName} is not "weight port target"`);
      return { ...base, data: fqdn(match[3]!, type, fullName), priority: record.priority ?? 0, weight: Number(match[1]), port: Number(match[2]) };
    }
    case 'CAA': {
      const match = /^(\d+)\s+(issue|issuewild|iodef)\s+"?([^"]*)"?$/i.exec(record.content.trim());
      if (!match) throw rejected(`the CAA record at ${fullName} is not "flags tag value" with tag issue, issuewild or iodef`);
      const value = match[3]!;
      return { ...base, data: value.endsWith('.') ? value : `${value}.`, flags: Number(match[1]), tag: match[2]!.toLowerCase() };
    }
    default:
      return { ...base, data: record.content };
  }
}

/** A host name as DigitalOcean wants it written: fully qualified with the trailing dot. */
function fqdn(target: string, type: string, fullName: string): string {
  const host = target.trim().replace(/\.$/, '');
  if (host === '' || /\s/.test(host)) throw rejected(`the ${type} record at ${fullName} has no valid target host`);
  return `${host}.`;
}

/** Length of the RFC 1035 form DigitalOcean measures: quoted ≤255-byte strings, `"` and `\` escaped, space-separated. */
export function encodedTxtLength(value: string): number {
  let chunks = 1;
  let size = 0;
  let escapes = 0;
  for (const ch of value) {
    const bytes = Buffer.byteLength(ch, 'utf8');
    if (size + bytes > 255) {
      chunks++;
      size = 0;
    }
    size += bytes;
    if (ch === '"' || ch === '\\') escapes++;
  }
  return Buffer.byteLength(value, 'utf8') + escapes + 2 * chunks + (chunks - 1);
}

// ------------------------------------------------------------------------------------------------ reading records

/** DigitalOcean wire record → neutral form (pure; exported for tests). */
export function fromDigitalocean(raw: DigitaloceanRecord, apex: string): DnsRecord {
  const type = raw.type.toUpperCase();
  const name = raw.name === '@' || raw.name === '' ? apex : `${normaliseName(raw.name)}.${apex}`;
  let content = raw.data;
  if (HOST_TYPES.has(type)) {
    // A target at the apex comes back as `@` even when written as the FQDN (dnscontrol `toRc`, §4 trap 4).
    content = content === '@' ? apex : content.replace(/\.$/, '');
  }
  if (type === 'SRV') content = `${raw.weight ?? 0} ${raw.port ?? 0} ${content}`;
  // CAA keeps flags and tag as fields and the value in `data` (do-openapi `domain_record.yml`).
  if (type === 'CAA') content = `${raw.flags ?? 0} ${raw.tag ?? ''} "${raw.data}"`;
  const priority = type === 'MX' || type === 'SRV' ? (raw.priority ?? 0) : undefined;
  return { type, name, content, ttl: raw.ttl, ...(priority === undefined ? {} : { priority }), id: String(raw.id), raw };
}

/** The record as read holds what `body` sent (after DigitalOcean's own spelling of targets). */
function holds(record: DigitaloceanRecord, body: DigitaloceanRecordBody, apex: string): boolean {
  const host = (data: string) => {
    const bare = data.toLowerCase().replace(/\.$/, '');
    return bare === '@' ? apex : bare;
  };
  const type = body.type;
  const data = HOST_TYPES.has(type) ? host(record.data) === host(body.data) : type === 'CAA' ? record.data.replace(/\.$/, '') === body.data.replace(/\.$/, '') : record.data === body.data;
  return (
    record.type.toUpperCase() === type &&
    normaliseName(record.name === '' ? '@' : record.name) === body.name &&
    data &&
    record.ttl === body.ttl &&
    (body.priority === undefined || record.priority === body.priority) &&
    (body.port === undefined || record.port === body.port) &&
    (body.weight === undefined || record.weight === body.weight) &&
    (body.flags === undefined || record.flags === body.flags) &&
    (body.tag === undefined || record.tag === body.tag)
  );
}

function parseRecord(value: unknown): DigitaloceanRecord {
  if (
    !isObject(value) ||
    typeof value.id !== 'number' ||
    typeof value.type !== 'string' ||
    typeof value.name !== 'string' ||
    typeof value.data !== 'string' ||
    typeof value.ttl !== 'number'
  ) {
    throw new ProviderError(PROVIDER, 'protocol', 'a domain record in the reply is malformed');
  }
  const num = (v: unknown) => (typeof v === 'number' ? v : null);
  return {
    id: value.id,
    type: value.type,
    name: value.name,
    data: value.data,
    priority: num(value.priority),
    port: num(value.port),
    ttl: value.ttl,
    weight: num(value.weight),
    flags: num(value.flags),
    tag: typeof value.tag === 'string' ? value.tag : null,
  };
}

/**
 * The page number `links.pages.next` points at, if any (do-openapi `shared/pages.yml`: present only when there is a
 * next page). Only the number is used; it must move forward, or the list would never end.
 */
export function nextPage(links: unknown, current: number): number | undefined {
  if (!isObject(links) || !isObject(links.pages)) return undefined;
  const next = links.pages.next;
  if (next === undefined || next === null) return undefined;
  let page: number;
  try {
    page = Number(new URL(String(next), 'https://api.digitalocean.com/v2/').searchParams.get('page'));
  } catch {
    throw new ProviderError(PROVIDER, 'protocol', 'the link to the next page is malformed');
  }
  if (!Number.isInteger(page) || page <= current) throw new ProviderError(PROVIDER, 'protocol', 'the link to the next page does not move forward');
  return page;
}

// ------------------------------------------------------------------------------------------------------- errors

/**
 * A non-2xx reply → ProviderError. Bodies are `{"id": …, "message": …}` (do-openapi `shared/description.md` "HTTP
 * Statuses", `shared/responses/*.yml`, §4 "Errors"). Provider text is scrubbed of every credential before it is kept.
 */
export function digitaloceanError(reply: HttpReply, credentials: ProviderCredentials, subject: Subject = 'domain'): ProviderError {
  let id = '';
  let message = '';
  let malformed = false;
  try {
    const body: unknown = JSON.parse(reply.text);
    if (isObject(body)) {
      // The id is provider text too: repeated in a reason, so scrubbed like the message.
      id = typeof body.id === 'string' ? clean(redactCredentials(body.id, credentials)).slice(0, 100) : '';
      message = typeof body.message === 'string' ? clean(redactCredentials(body.message, credentials)) : '';
    } else malformed = true;
  } catch {
    malformed = true;
  }
  const status = reply.status;
  if (status === 429) {
    return new ProviderError(PROVIDER, 'rate_limited', 'rate limit reached (250 requests per minute, 5,000 per hour per token)', {
      retryAfterSeconds: rateLimitWait(reply.headers),
    });
  }
  if (status >= 500) return new ProviderError(PROVIDER, 'unavailable', malformed ? `HTTP ${status} with ${describeBody(reply.text)}` : `HTTP ${status}${id ? ` ${id}` : ''}`);
  if (status === 401) {
    // "Unable to authenticate you." is the documented text; any other is repeated (scrubbed), it may say more.
    const extra = message && message !== 'Unable to authenticate you.' ? ` (${message})` : '';
    return new ProviderError(PROVIDER, 'auth', `invalid API token${extra}`);
  }
  if (status === 403) return new ProviderError(PROVIDER, 'forbidden', 'the token is not allowed to do this (a custom-scoped token needs the domain scopes)');
  if (status === 404) {
    return subject === 'domain'
      ? new ProviderError(PROVIDER, 'not_found', 'domain not found in this account')
      : new ProviderError(PROVIDER, 'conflict', 'a record to change no longer exists (the zone changed since it was read)');
  }
  if (malformed) return new ProviderError(PROVIDER, 'protocol', `HTTP ${status} with ${describeBody(reply.text)}`);
  if (status === 400 || status === 422) {
    // `unprocessable_entity` with DigitalOcean's reason, e.g. "Data needs to end with a dot (.)" (api-v2#130).
    return new ProviderError(PROVIDER, 'rejected', `refused the record: ${message || id || `HTTP ${status}`}`.slice(0, 400));
  }
  return new ProviderError(PROVIDER, 'protocol', `unexpected HTTP ${status}${id ? ` ${id}` : ''}`);
}

/**
 * Seconds to wait after a 429: `Retry-After` where DigitalOcean sends it (burst limit), else `ratelimit-reset`, the
 * epoch second when the oldest counted request expires (do-openapi `shared/headers.yml`, `description.md` "Rate Limit").
 */
export function rateLimitWait(headers: HttpReply['headers'], now = Date.now()): number | undefined {
  const retryAfter = retryAfterSeconds(headers);
  if (retryAfter !== undefined) return retryAfter;
  const raw = headers['ratelimit-reset'];
  const reset = Number(Array.isArray(raw) ? raw[0] : raw);
  if (!raw || !Number.isFinite(reset) || reset <= 0) return undefined;
  return Math.max(0, Math.ceil(reset - now / 1000));
}

// ------------------------------------------------------------------------------------------------------ helpers

function recordIdOf(record: DnsRecord | undefined): number | undefined {
  if (!record) return undefined;
  const raw = record.raw;
  if (isObject(raw) && typeof raw.id === 'number') return raw.id;
  const id = Number(record.id);
  return record.id !== undefined && Number.isSafeInteger(id) ? id : undefined;
}

function sameRecord(a: DnsRecord, b: DnsRecord): boolean {
  return a.type.toUpperCase() === b.type.toUpperCase() && normaliseName(a.name) === normaliseName(b.name) && a.content === b.content && a.priority === b.priority;
}

const normaliseName = (name: string) => name.trim().toLowerCase().replace(/\.$/, '');

/** Full name → DigitalOcean's relative name, `@` for the apex. */
function relativeName(full: string, apex: string): string {
  if (full === apex) return '@';
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

/** Provider text goes into one line of a reason: no control characters. */
function clean(text: string): string {
  return text.replace(/[\u0000-\u001f\u007f]/g, ' ').trim();
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function rejected(reason: string): ProviderError {
  return new ProviderError(PROVIDER, 'rejected', reason);
}
