/**
 * Linode (Akamai Cloud) DNS Manager adapter, API v4 (`https://api.linode.com/v4`). Facts and sources:
 * ../shared/reference/providers-cloud.md §5 (Linode), §8 (minimal calls), §9 (TXT), §10 (wire examples), §11
 * (credential check); dnscontrol = `StackExchange/dnscontrol` `providers/linode` (`api.go`, `linodeProvider.go`);
 * Linode's OpenAPI `DomainRecord` (as generated in samk1/linode-ruby-openapi-client `GetDomainRecord200Response.md`).
 *
 * Records have ids and are written one by one: `POST /domains/{id}/records` creates, `PUT …/records/{rid}` updates,
 * `DELETE …/records/{rid}` removes. Nothing else in the zone is sent, so no call can replace more than the plan names.
 * There is no batch, no precondition and no idempotency key (§5 trap 3): a POST whose reply is lost is settled by
 * reading the records again before it is repeated, or it could leave a duplicate.
 *
 * Calls of a dns.set at the minimum: `GET /domains` with `X-Filter: {"domain": …}` (lego `getHostedZoneInfo`), one
 * `GET /domains/{id}/records` page, then one call per created, updated or deleted record.
 *
 * Revert fidelity (providers/restore.ts) needs nothing here: Linode keeps one spelling of a TXT value, the raw text
 * in `target` (§5 record format, §9), so a value re-encoded from its content is the value as read.
 */
import { partialApplyError } from './apply-progress.js';
import { REQUIRED_CREDENTIALS } from './credentials.js';
import { normaliseDomain } from '../src/domain.js';
import {
  commandBounds,
  send,
  withAttemptSignal,
  withRetries,
  retryAfterSeconds,
  writeReserveMs,
  type AdapterDeps,
  type CommandBounds,
  refuseUnsendableToken,
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
  type ProviderSession,
  type RecordChange,
  type Zone,
  type ZoneContents,
} from './types.js';
import { readWholeList } from './zone-read.js';

const PROVIDER = 'linode' as const;

/** A record as Linode returns it (dnscontrol `domainRecord`; OpenAPI `DomainRecord`). Names are relative, `''` = apex. */
export interface LinodeRecord {
  readonly id: number;
  readonly type: string;
  readonly name: string;
  readonly target: string;
  readonly priority?: number;
  readonly weight?: number;
  readonly port?: number;
  readonly service?: string | null;
  readonly protocol?: string | null;
  readonly tag?: string | null;
  /** 0 = the domain's default. */
  readonly ttl_sec: number;
  readonly created?: string;
  readonly updated?: string;
}

/** The body of `POST`/`PUT …/records` (dnscontrol `recordEditRequest`). */
export interface LinodeRecordRequest {
  type: string;
  name: string;
  target: string;
  ttl_sec: number;
  priority?: number;
  weight?: number;
  port?: number;
  service?: string;
  protocol?: string;
  tag?: string;
}

/**
 * The TTLs Linode stores; any other is rounded up to the next (dnscontrol `allowedTTLValues`/`fixTTL`: "it will always
 * round up to the next highest value"; the OpenAPI text says "rounded to the nearest valid value"). 0 = default.
 */
export const LINODE_TTLS = [300, 3600, 7200, 14400, 28800, 57600, 86400, 172800, 345600, 604800, 1209600, 2419200] as const;
const LONGEST_TTL = 2_419_200;

/** A TTL as Linode will store it: rounded up to an allowed value, capped at the largest (dnscontrol `fixTTL`). */
export function linodeTtl(ttl: number): number {
  return LINODE_TTLS.find((allowed) => allowed >= ttl) ?? LONGEST_TTL;
}

/** A domain whose default is 0 uses this (OpenAPI `Domain.ttl_sec`: "A value of 0 is equivalent to the default value of 86400") [infer for records]. */
const DEFAULT_TTL = 86_400;

export const LINODE_CAPABILITIES: ProviderCapabilities = {
  // OpenAPI `DomainRecord.type` also has PTR; CAA flags other than 0 cannot be written (dnscontrol `CaaFlagIsNonZero`).
  recordTypes: new Set(['A', 'AAAA', 'CAA', 'CNAME', 'MX', 'NS', 'SRV', 'TXT']),
  minTtl: LINODE_TTLS[0],
  maxTtl: LONGEST_TTL,
  atomicApply: false,
  // No precondition on any write: the gateway's zone lock is the only guard. A record id names exactly one value,
  // so a record someone else adds meanwhile is never touched by our writes.
  guardedWrite: false,
  // Long TXT handling is unconfirmed (§5): a 2048-bit DKIM key (~410 bytes) is written and read back whole [infer].
  maxTxtLength: 2048,
  // GET /domains (X-Filter) + one GET …/records page; one POST, PUT or DELETE per changed record.
  upstreamCalls: { read: 2, write: { perPlan: 0, perRecord: 1, perRrset: 0 } },
  writes: 'one call per changed record (`POST`, `PUT …/records/{id}`, `DELETE …/records/{id}`); TTLs rounded up to Linode\'s allowed values; a create whose reply is lost is re-read before it is repeated',
};

export interface LinodeAdapterDeps extends AdapterDeps {
  /** `page_size` of the record list: 25 to 500, default 100 (linode-api-docs PR#267). @default 500 */
  readonly pageSize?: number;
}

const DEFAULT_PAGE_SIZE = 500;
const MAX_PAGES = 1000;

/** Reads, PUT and DELETE are safe to repeat: 429 (Retry-After / X-RateLimit-Reset), 5xx, resets, timeouts. */
const RETRIES: RetryPolicy = {
  attempts: 5,
  baseDelayMs: 500,
  maxDelayMs: 20_000,
  retryOn: (e) => e.kind === 'rate_limited' || e.kind === 'unavailable' || e.kind === 'timeout',
};

/** A POST is repeated blindly only after a 429 (refused before it ran); any other failure is settled by re-reading. */
const CREATE_RETRIES: RetryPolicy = { ...RETRIES, retryOn: (e) => e.kind === 'rate_limited' };

export function createLinodeProvider(deps: LinodeAdapterDeps): DnsProvider {
  return {
    id: PROVIDER,
    capabilities: LINODE_CAPABILITIES,
    requiredCredentials: REQUIRED_CREDENTIALS.linode,
    connect: (credentials, options) => new LinodeSession(deps, credentials, commandBounds(deps, options)),
  };
}

interface DomainInfo {
  readonly name: string;
  readonly ttl: number;
  readonly type: string;
}

class LinodeSession implements ProviderSession {
  private readonly base: string;
  private readonly token: string;
  /** Domain id → name, default TTL and master/slave, learnt by findZone. */
  private readonly domains = new Map<string, DomainInfo>();

  constructor(
    private readonly deps: LinodeAdapterDeps,
    private readonly credentials: ProviderCredentials,
    private readonly bounds: CommandBounds,
  ) {
    this.base = deps.baseUrl.replace(/\/+$/, '');
    this.token = credentials.apiKey.trim();
  }

  /**
   * `GET /domains` with `X-Filter: {"domain": name}` for the domain, then each parent up to the registrable domain
   * (lego `getHostedZoneInfo` builds the filter; an empty `data` means "not this one").
   */
  async findZone(domain: string): Promise<Zone> {
    const parsed = normaliseDomain(domain);
    if (!parsed.ok) throw new ProviderError(PROVIDER, 'rejected', parsed.reason);
    for (const candidate of candidateZoneNames(parsed.domain, parsed.registrable)) {
      const body = await this.call('GET', '/domains', { filter: { domain: candidate } });
      const list = isObject(body) && Array.isArray(body.data) ? body.data : undefined;
      if (!list) throw new ProviderError(PROVIDER, 'protocol', 'the domain list has no data');
      const found = list.find((d): d is Record<string, unknown> => isObject(d) && typeof d.domain === 'string' && d.domain.toLowerCase() === candidate);
      if (found) {
        if (typeof found.id !== 'number') throw new ProviderError(PROVIDER, 'protocol', 'a domain has no id');
        const id = String(found.id);
        const ttl = typeof found.ttl_sec === 'number' && found.ttl_sec > 0 ? found.ttl_sec : DEFAULT_TTL;
        this.domains.set(id, { name: candidate, ttl, type: typeof found.type === 'string' ? found.type : 'master' });
        return { id, name: candidate };
      }
    }
    throw new ProviderError(PROVIDER, 'not_found', 'domain not found in this account');
  }

  /**
   * The filtered domain list is the proof: 401 "Invalid Token" is an unknown token, 401 "not authorized to use this
   * endpoint" a token without the Domains scope, an empty list a domain this account does not have (§11). Writes
   * nothing. A read-only Domains scope passes here and is refused at the first write.
   */
  async authorize(domain: string): Promise<Zone> {
    return this.findZone(domain);
  }

  /**
   * Every page. Pages are offsets into the list (`page`, `page_size`), so a record someone adds or deletes before a
   * page boundary between two page reads shifts the rest: one record shows twice, or not at all. When the pages do not
   * add up to `results` (or it changes, or an id repeats), the zone is read once more, as digitalocean.ts does.
   */
  async readZone(zone: Zone): Promise<ZoneContents> {
    const read = await readWholeList(PROVIDER, () => this.readRecords(zone));
    return { records: read.records };
  }

  private async readRecords(zone: Zone): Promise<{ records: DnsRecord[]; complete: boolean }> {
    const pageSize = this.deps.pageSize ?? DEFAULT_PAGE_SIZE;
    const defaultTtl = this.domains.get(zone.id)?.ttl ?? DEFAULT_TTL;
    const records: DnsRecord[] = [];
    const seen = new Set<number>();
    const totals = new Set<number>();
    let count = 0;
    for (let page = 1; page <= MAX_PAGES; page++) {
      const body = await this.call('GET', `${recordsPath(zone)}?page=${page}&page_size=${pageSize}`);
      if (!isObject(body) || !Array.isArray(body.data)) throw new ProviderError(PROVIDER, 'protocol', 'the record list has no data');
      // The v4 list envelope always says how many pages there are (dnscontrol `api.go` `recordsResponse`).
      if (typeof body.pages !== 'number') throw new ProviderError(PROVIDER, 'protocol', 'the record list does not say how many pages it has');
      if (typeof body.results === 'number') totals.add(body.results);
      for (const item of body.data) {
        const raw = parseRecord(item);
        count++;
        if (seen.has(raw.id)) continue;
        seen.add(raw.id);
        records.push(fromLinode(raw, zone.name, defaultTtl));
      }
      if (page >= body.pages) {
        const [total] = totals;
        return { records, complete: totals.size <= 1 && (total === undefined || total === count) && count === seen.size };
      }
    }
    throw new ProviderError(PROVIDER, 'protocol', `the record list did not end after ${MAX_PAGES} pages`);
  }

  /**
   * One call per change, in the plan's order (its deletions come before the creations that need them). PUT and
   * DELETE are idempotent and retried; a POST that fails in a way that may have reached Linode is settled by reading
   * the records at its name: there → done, absent → sent once more. When the plan stops, the error names exactly what
   * was applied.
   */
  async applyChanges(zone: Zone, contents: ZoneContents, changes: readonly RecordChange[]): Promise<ApplyResult> {
    if (changes.length === 0) return { applied: [] };
    if (this.domains.get(zone.id)?.type === 'slave') throw new ProviderError(PROVIDER, 'rejected', 'the domain is a secondary (slave) zone; its records are edited at its master');
    const writes = planWrites(zone, contents.records, changes);
    const applied: RecordChange[] = [];
    for (const write of writes) {
      try {
        if (write.method === 'POST') await this.create(zone, write.body!);
        else await this.call(write.method, write.path, { body: write.body, missingIsDone: write.method === 'DELETE' });
      } catch (error) {
        if (!(error instanceof ProviderError)) throw error;
        if (error instanceof Uncertain) throw partialApplyError(error.cause, applied, changes, [write.change]);
        // A PUT or DELETE that failed in a way that may have reached Linode: the record itself says whether it did.
        const landed = write.method === 'POST' || error.isCallerFault || error.kind === 'rate_limited' ? false : await this.landed(zone, write);
        if (landed !== true) throw partialApplyError(error, applied, changes, landed === undefined ? [write.change] : []);
      }
      applied.push(write.change);
    }
    return { applied };
  }

  /**
   * `POST …/records`, then the TTL checked in the reply: dnscontrol saw "TTL isn't saved when creating a record" and
   * follows every create with a PUT (§5 trap 1); here the PUT is sent only when the reply shows the TTL was not kept.
   */
  private async create(zone: Zone, body: LinodeRecordRequest): Promise<void> {
    const defaultTtl = this.domains.get(zone.id)?.ttl ?? DEFAULT_TTL;
    let created: LinodeRecord;
    for (let sends = 1; ; sends++) {
      try {
        created = parseRecord(await this.call('POST', recordsPath(zone), { body, policy: CREATE_RETRIES }));
        break;
      } catch (error) {
        if (!(error instanceof ProviderError)) throw error;
        if (error.isCallerFault || error.kind === 'rate_limited') throw error;
        // The reply was lost, cut, a 5xx or a timeout: the record may exist. Read before sending it again.
        const found = await this.findCreated(zone, body).catch(() => 'unknown' as const);
        if (found === 'unknown') throw new Uncertain(error);
        if (found) {
          created = found;
          break;
        }
        if (sends >= 2) throw error;
      }
    }
    if ((created.ttl_sec || defaultTtl) !== body.ttl_sec) {
      // The record exists by now: if setting its TTL fails, the change is neither applied nor absent.
      await this.call('PUT', `${recordsPath(zone)}/${created.id}`, { body }).catch((error: unknown) => {
        throw error instanceof ProviderError ? new Uncertain(error) : error;
      });
    }
  }

  /** After a failed PUT or DELETE: true = the record is as the write left it, false = it is not, undefined = cannot tell. */
  private async landed(zone: Zone, write: Write): Promise<boolean | undefined> {
    try {
      const body = await this.call('GET', write.path, { missingIsDone: true, missingIsEmpty: true });
      if (write.method === 'DELETE') return !isObject(body) || body.id === undefined;
      if (!isObject(body) || body.id === undefined) return false;
      return recordKey(parseRecord(body), zone.name) === requestKey(write.body!, zone.name) && parseRecord(body).ttl_sec === write.body!.ttl_sec;
    } catch {
      return undefined;
    }
  }

  /** The record a lost POST would have made, if it is there (records filtered by type and name, OpenAPI `Filterable`). */
  private async findCreated(zone: Zone, body: LinodeRecordRequest): Promise<LinodeRecord | undefined> {
    const found: LinodeRecord[] = [];
    for (let page = 1; page <= MAX_PAGES; page++) {
      const reply = await this.call('GET', `${recordsPath(zone)}?page=${page}&page_size=${DEFAULT_PAGE_SIZE}`, { filter: { type: body.type } });
      if (!isObject(reply) || !Array.isArray(reply.data)) throw new ProviderError(PROVIDER, 'protocol', 'the record list has no data');
      found.push(...reply.data.map(parseRecord));
      if (page >= (typeof reply.pages === 'number' ? reply.pages : 1)) break;
    }
    const want = requestKey(body, zone.name);
    return found.find((r) => recordKey(r, zone.name) === want);
  }

  /** One logical call with its retries, within the command's deadline (writes keep time back for a re-read). */
  private async call(
    method: 'GET' | 'POST' | 'PUT' | 'DELETE',
    path: string,
    options: { body?: unknown; filter?: Record<string, unknown>; policy?: RetryPolicy; missingIsDone?: boolean; missingIsEmpty?: boolean } = {},
  ): Promise<unknown> {
    if (!this.token) throw new ProviderError(PROVIDER, 'auth', 'a personal access token is required');
    refuseUnsendableToken(PROVIDER, this.token, 'personal access token');
    const headers: Record<string, string> = { authorization: `Bearer ${this.token}`, accept: 'application/json' };
    if (options.body !== undefined) headers['content-type'] = 'application/json';
    if (options.filter) headers['x-filter'] = JSON.stringify(options.filter);
    const reserve = method === 'GET' ? 0 : writeReserveMs(this.bounds);
    const url = `${this.base}${path}`;
    return withRetries(
      options.policy ?? RETRIES,
      async (attempt) => {
        const reply = await withAttemptSignal(PROVIDER, this.bounds, reserve, (signal) =>
          send(PROVIDER, this.deps, url, {
            method,
            headers,
            body: options.body === undefined ? undefined : JSON.stringify(options.body),
            signal,
          }),
        );
        if (reply.status >= 200 && reply.status < 300) return parseBody(reply);
        // A DELETE repeated after its first try reached Linode finds the record gone: the wanted end state.
        if (options.missingIsDone && (attempt > 1 || options.missingIsEmpty) && reply.status === 404) return {};
        throw linodeError(reply, (text) => redactCredentials(text, this.credentials));
      },
      { deadline: this.bounds.deadline - reserve, sleep: this.deps.sleep, signal: this.bounds.signal },
    );
  }
}

/** A write that may or may not have reached Linode, and a re-read could not tell. */
class Uncertain extends ProviderError {
  constructor(override readonly cause: ProviderError) {
    super(PROVIDER, cause.kind, cause.reason, { cause, retryAfterSeconds: cause.retryAfterSeconds });
  }
}

interface Write {
  readonly method: 'POST' | 'PUT' | 'DELETE';
  readonly path: string;
  readonly body?: LinodeRecordRequest;
  readonly change: RecordChange;
}

/**
 * Pure planning: one call per change. Everything Linode would refuse is refused here, before the first call: types it
 * cannot hold, a CAA flag other than 0 or a value with whitespace (dnscontrol `auditrecords.go`), SRV names other than
 * `_service._proto` (OpenAPI: `name` is unused for SRV), a CNAME beside other records (OpenAPI: "Must be unique"),
 * and a record the plan names that is no longer in the zone as read.
 */
export function planWrites(zone: Zone, records: readonly DnsRecord[], changes: readonly RecordChange[]): Write[] {
  /** How many records of each type each name holds as the plan goes (`name TYPE` → count). */
  const count = new Map<string, number>();
  const bump = (name: string, type: string, by: number) => {
    const key = `${name.toLowerCase()} ${type.toUpperCase()}`;
    count.set(key, (count.get(key) ?? 0) + by);
  };
  for (const r of records) bump(r.name, r.type, 1);
  const used = new Set<DnsRecord>();
  const idOf = (before: DnsRecord): number => {
    const match = records.find((r) => r === before) ?? records.find((r) => r.id !== undefined && r.id === before.id);
    const raw = match?.raw as Partial<LinodeRecord> | undefined;
    if (!match || used.has(match) || typeof raw?.id !== 'number') {
      throw new ProviderError(PROVIDER, 'conflict', `the ${before.type.toUpperCase()} record at ${before.name} is no longer in the zone as read`);
    }
    used.add(match);
    bump(match.name, match.type, -1);
    return raw.id;
  };
  const path = recordsPath(zone);
  const writes = changes.map((change): Write => {
    if (change.action === 'DELETE') return { method: 'DELETE', path: `${path}/${idOf(change.before)}`, change };
    const body = toRequest(change.record, zone.name);
    // A record that follows the domain's default TTL (`ttl_sec` 0, read as that default) keeps following it when the
    // plan keeps the TTL it was read with: writing the number would pin it, a field the plan did not mean to change.
    const raw = change.action === 'UPDATE' ? (change.before.raw as Partial<LinodeRecord> | undefined) : undefined;
    if (raw?.ttl_sec === 0 && change.action === 'UPDATE' && change.record.ttl === change.before.ttl) body.ttl_sec = 0;
    const target = change.action === 'UPDATE' ? `${path}/${idOf(change.before)}` : path;
    bump(change.record.name, change.record.type, 1);
    return change.action === 'UPDATE' ? { method: 'PUT', path: target, body, change } : { method: 'POST', path: target, body, change };
  });
  // RFC 1034 §3.6.2 / OpenAPI "CNAME … Must be unique": checked on the zone as the plan leaves it, at the names it writes.
  for (const change of changes) {
    if (change.action === 'DELETE') continue;
    const name = change.record.name.toLowerCase();
    const here = [...count].filter(([key, n]) => n > 0 && key.slice(0, key.lastIndexOf(' ')) === name);
    const cnames = here.find(([key]) => key.endsWith(' CNAME'))?.[1] ?? 0;
    if (cnames > 1 || (cnames === 1 && here.length > 1)) throw rejected(`a CNAME at ${name} cannot share its name with other records`);
  }
  return writes;
}

/** The neutral record → Linode's request body (pure; exported for tests). */
export function toRequest(record: DesiredRecord, apex: string): LinodeRecordRequest {
  const type = record.type.toUpperCase();
  if (!LINODE_CAPABILITIES.recordTypes.has(type)) throw rejected(`cannot write ${type} records`);
  if (!Number.isInteger(record.ttl) || record.ttl < 1) throw rejected(`TTL ${record.ttl} of the ${type} record at ${record.name} is not a whole number of seconds`);
  const name = relativeName(record.name, apex);
  // Sent already rounded, so that what Linode stores is what was sent (§5 trap 4).
  const ttl_sec = linodeTtl(record.ttl);
  switch (type) {
    case 'CNAME':
    case 'NS':
      // dnscontrol `fixTarget`: "Linode always wants a fully qualified target name" (no trailing dot).
      return { type, name, target: hostTarget(record.content), ttl_sec };
    case 'MX':
      return { type, name, target: hostTarget(record.content), priority: record.priority ?? 0, ttl_sec };
    case 'SRV': {
      // OpenAPI: `name` is unused for SRV; `service` and `protocol` get their `_` prepended by Linode.
      const match = /^_([a-z0-9-]+)\._([a-z0-9-]+)$/i.exec(name);
      if (!match) throw rejected(`an SRV record at Linode must be named _service._protocol directly under ${apex}, not ${record.name}`);
      const [weight, port, target] = record.content.trim().split(/\s+/);
      return {
        type,
        name: '',
        service: match[1]!.toLowerCase(),
        protocol: match[2]!.toLowerCase(),
        target: hostTarget(target ?? ''),
        priority: record.priority ?? 0,
        weight: Number(weight),
        port: Number(port),
        ttl_sec,
      };
    }
    case 'CAA': {
      // dnscontrol: "Linode doesn't support changing the CAA flag"; tag and value are separate fields.
      const match = /^(\d+)\s+([a-z0-9]+)\s+"?([^"]*)"?$/i.exec(record.content.trim());
      if (!match || match[1] !== '0') throw rejected(`the CAA record ${record.content} at ${record.name} needs flag 0 at Linode`);
      if (/\s/.test(match[3]!)) throw rejected(`the CAA value at ${record.name} cannot contain whitespace at Linode`);
      return { type, name, tag: match[2]!.toLowerCase(), target: match[3]!, ttl_sec };
    }
    case 'TXT':
      if (Buffer.byteLength(record.content) > LINODE_CAPABILITIES.maxTxtLength) throw rejected(`the TXT record at ${record.name} is longer than ${LINODE_CAPABILITIES.maxTxtLength} bytes`);
      // §5/§9: `target` is the raw text, no quotes.
      return { type, name, target: record.content, ttl_sec };
    default:
      return { type, name, target: record.content, ttl_sec };
  }
}

/** A Linode record → the neutral form (pure; exported for tests). */
export function fromLinode(raw: LinodeRecord, apex: string, defaultTtl: number): DnsRecord {
  const type = raw.type.toUpperCase();
  const ttl = raw.ttl_sec > 0 ? raw.ttl_sec : defaultTtl;
  const base = { type, name: fullName(ownerName(raw), apex), ttl, id: String(raw.id), raw };
  switch (type) {
    case 'CNAME':
    case 'NS':
      return { ...base, content: absoluteTarget(raw.target, apex) };
    case 'MX':
      return { ...base, content: absoluteTarget(raw.target, apex), priority: raw.priority ?? 0 };
    case 'SRV':
      return { ...base, content: `${raw.weight ?? 0} ${raw.port ?? 0} ${absoluteTarget(raw.target, apex)}`, priority: raw.priority ?? 0 };
    case 'CAA':
      return { ...base, content: `0 ${raw.tag ?? ''} "${raw.target}"` };
    default:
      return { ...base, content: raw.target };
  }
}

/** The record's owner label: SRV records carry it in `service`/`protocol` when `name` is empty. */
function ownerName(raw: LinodeRecord): string {
  if (raw.type.toUpperCase() === 'SRV' && !raw.name && raw.service && raw.protocol) {
    const part = (s: string) => (s.startsWith('_') ? s : `_${s}`);
    return `${part(raw.service)}.${part(raw.protocol)}`;
  }
  return raw.name;
}

/** What identifies a record's value, to find the one a lost POST made. */
function recordKey(r: LinodeRecord, apex: string): string {
  const n = fromLinode(r, apex, DEFAULT_TTL);
  return `${n.type} ${n.name} ${n.priority ?? ''} ${n.type === 'TXT' || n.type === 'A' || n.type === 'AAAA' ? n.content : n.content.toLowerCase()}`;
}

function requestKey(body: LinodeRecordRequest, apex: string): string {
  return recordKey({ id: 0, ...body, name: body.name, ttl_sec: body.ttl_sec }, apex);
}

function hostTarget(target: string): string {
  return target.trim().replace(/\.$/, '');
}

/** Targets come back fully qualified without the dot (dnscontrol `toRc` adds the origin only to a relative one). */
function absoluteTarget(target: string, apex: string): string {
  const t = target.trim().toLowerCase();
  if (t === '' || t === '@') return apex;
  if (t.endsWith('.')) return t.slice(0, -1);
  return t;
}

function fullName(relative: string, apex: string): string {
  const name = relative.toLowerCase().replace(/\.$/, '');
  if (name === '' || name === '@' || name === apex) return apex;
  return name.endsWith(`.${apex}`) ? name : `${name}.${apex}`;
}

/** Full name → Linode's relative name: `''` for the apex (dnscontrol `toReq`: "Linode doesn't use @"). */
function relativeName(full: string, apex: string): string {
  const name = full.toLowerCase().replace(/\.$/, '');
  if (name === apex) return '';
  if (name.endsWith(`.${apex}`)) return name.slice(0, -(apex.length + 1));
  throw rejected(`${name} is not inside the domain ${apex}`);
}

function recordsPath(zone: Zone): string {
  return `/domains/${encodeURIComponent(zone.id)}/records`;
}

function candidateZoneNames(domain: string, registrable: string): string[] {
  const names: string[] = [];
  for (let name = domain; name.length >= registrable.length; name = name.slice(name.indexOf('.') + 1)) {
    names.push(name);
    if (name === registrable) break;
  }
  return names;
}

function parseRecord(item: unknown): LinodeRecord {
  if (!isObject(item) || typeof item.id !== 'number' || typeof item.type !== 'string' || typeof item.name !== 'string' || typeof item.target !== 'string') {
    throw new ProviderError(PROVIDER, 'protocol', 'a record lacked id, type, name or target');
  }
  return { ...(item as unknown as LinodeRecord), ttl_sec: typeof item.ttl_sec === 'number' ? item.ttl_sec : 0 };
}

function parseBody(reply: HttpReply): unknown {
  try {
    return JSON.parse(reply.text);
  } catch {
    throw new ProviderError(PROVIDER, reply.status >= 500 ? 'unavailable' : 'protocol', `HTTP ${reply.status} with ${describeBody(reply.text)} instead of JSON`);
  }
}

function describeBody(text: string): string {
  return /^\s*</.test(text) ? 'an HTML page' : 'a malformed body';
}

/**
 * A non-2xx reply → ProviderError. Envelope `{"errors":[{"field"?, "reason"}]}` (dnscontrol `errorResponse`). 401
 * "Invalid Token" (terraform-provider-linode#325, cluster-api-provider-linode#1001; older "Invalid OAuth token",
 * linode_api4-python#51) [obs]; 401 "Your OAuth token is not authorized to use this endpoint." for a token without
 * the scope (trailofbits/algo PR#14348) [obs]; 403, 404 and 429 texts are [infer]. Provider text is scrubbed.
 */
export function linodeError(reply: HttpReply, redact: (text: string) => string = (t) => t): ProviderError {
  let reasons: string[] = [];
  let malformed = false;
  try {
    const parsed: unknown = JSON.parse(reply.text);
    const errors = isObject(parsed) ? parsed.errors : undefined;
    if (Array.isArray(errors)) {
      reasons = errors
        .filter(isObject)
        .map((e) => [typeof e.field === 'string' ? `${e.field}:` : '', typeof e.reason === 'string' ? e.reason : ''].filter(Boolean).join(' '))
        .filter(Boolean)
        .map(redact);
    } else malformed = true;
  } catch {
    malformed = true;
  }
  const text = reasons.join('; ');
  const status = reply.status;
  if (status === 429) {
    return new ProviderError(PROVIDER, 'rate_limited', 'rate limit reached (per token, per minute)', { retryAfterSeconds: rateLimitWait(reply.headers) });
  }
  if (status === 401) {
    if (/not authorized/i.test(text)) return new ProviderError(PROVIDER, 'forbidden', 'the personal access token lacks Domains read/write access');
    return new ProviderError(PROVIDER, 'auth', 'invalid personal access token');
  }
  if (status === 403) return new ProviderError(PROVIDER, 'forbidden', `the personal access token is not allowed to do this${text ? `: ${text}` : ''}`.slice(0, 300));
  if (status === 404) return new ProviderError(PROVIDER, 'not_found', 'domain or record not found in this account');
  if (status >= 500) return new ProviderError(PROVIDER, 'unavailable', malformed ? `HTTP ${status} with ${describeBody(reply.text)}` : `HTTP ${status}${text ? `: ${text}` : ''}`.slice(0, 300));
  if (malformed) return new ProviderError(PROVIDER, 'protocol', `HTTP ${status} with ${describeBody(reply.text)}`);
  if (status === 400 || status === 409 || status === 422) return new ProviderError(PROVIDER, 'rejected', (text || `HTTP ${status}`).slice(0, 500));
  return new ProviderError(PROVIDER, 'protocol', `unexpected HTTP ${status}`);
}

/** `Retry-After` when sent, else `X-RateLimit-Reset` (epoch seconds) minus now (§5 "Rate limits"). */
export function rateLimitWait(headers: HttpReply['headers']): number | undefined {
  const after = retryAfterSeconds(headers);
  if (after !== undefined) return after;
  const raw = headers['x-ratelimit-reset'];
  const value = Number(Array.isArray(raw) ? raw[0] : raw);
  if (!Number.isFinite(value) || value <= 0) return undefined;
  return Math.max(0, value - Date.now() / 1000);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function rejected(reason: string): ProviderError {
  return new ProviderError(PROVIDER, 'rejected', reason);
}
