/**
 * IONOS Hosting DNS API adapter (`https://api.hosting.ionos.com/dns/v1/…`). Facts and sources:
 * ../shared/reference/providers-registrars.md §1 ("ionos-spec" = ionos-developer/dns-sdk-go@28d13b5 api/openapi.yaml,
 * the official DNS API 1.0.1 spec), §0 and §8.
 *
 * How it writes, and why. IONOS offers three writes (ionos-spec):
 * - `PATCH /v1/zones/{zoneId}` "replaces all records of the same name and type with the ones provided": an rrset
 *   replace. Sending only our SPF for `example.com TXT` deletes every other apex TXT (§1 trap 2). To be safe it must
 *   carry every value of every rrset it names, so it rewrites records the plan never meant to touch: values that come
 *   back quoted (`"\"v=spf1 …\""`) and must be sent unquoted (trap 4, re-quoting unconfirmed), a `disabled` flag that
 *   defaults to false when left out (trap 3), and each rewrite may make IONOS deactivate "conflicting service" records
 *   (trap 1). It cannot empty an rrset either (a DELETE by id is still needed).
 * - `PUT /v1/zones/{zoneId}` replaces the whole zone: never used.
 * - `POST /v1/zones/{zoneId}/records` creates, `PUT`/`DELETE /v1/zones/{zoneId}/records/{recordId}` update or delete
 *   ONE record by id (name and type cannot change).
 * The adapter uses only the last three, one call per change: a CREATE is a POST of a one-record array, an UPDATE a PUT
 * by id, a DELETE a DELETE by id. No call can touch a record the plan does not name, so the "every value read" rule
 * never comes into play, and each change is settled on its own when a call fails. The one saving given up is
 * batching several CREATEs into one POST array (§1 "Calls for the scenario": 4 calls instead of 7 for the typical
 * plan): a failure part-way through an array is undocumented (atomic or not) and the calls of a plan would then no
 * longer be one exact count per change (`upstreamCalls`).
 *
 * Reads: `GET /v1/zones` (no name filter and no pagination: the zone is picked from the list, §1 endpoints) and
 * `GET /v1/zones/{zoneId}` (the zone with every record; no pagination, §1 endpoints).
 *
 * Revert fidelity (providers/restore.ts) needs nothing here: IONOS takes TXT as plain text and quotes it itself, so
 * every spelling comes back in its one quoted form (providers-registrars.md §1 wire format, trap 4), which is the
 * value as read whatever the customer typed.
 */
import { partialApplyError, UncertainWrite } from './apply-progress.js';
import { REQUIRED_CREDENTIALS } from './credentials.js';
import { redactCredentials } from './redact.js';
import { normaliseDomain } from '../src/domain.js';
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
  type ProviderSession,
  type RecordChange,
  type Zone,
  type ZoneContents,
} from './types.js';

const PROVIDER = 'ionos' as const;

/** A record as IONOS returns it (ionos-spec `record-response`). `name` is the FQDN without a trailing dot. */
export interface IonosRecord {
  readonly id: string;
  readonly name: string;
  readonly rootName?: string;
  readonly type: string;
  readonly content: string;
  readonly changeDate?: string;
  readonly ttl: number;
  readonly prio?: number;
  readonly disabled?: boolean;
}

/** A record to create (ionos-spec `record`). */
export interface IonosNewRecord {
  readonly name: string;
  readonly type: string;
  readonly content: string;
  readonly ttl: number;
  readonly prio: number;
  readonly disabled: boolean;
}

/** The body of `PUT …/records/{recordId}` (ionos-spec `record-update`): name and type cannot change. */
export interface IonosRecordUpdate {
  readonly content: string;
  readonly ttl: number;
  readonly prio: number;
  readonly disabled: boolean;
}

/** libdns/ionos `ionosTTL`: "IONOS does not accept TTL values < 60, and returns status 400"; acme.sh agrees (§1). */
export const IONOS_MIN_TTL = 60;
/** Not documented (the spec only says "recommended 3600"); a day is the longest the IONOS panel offers [infer]. */
export const IONOS_MAX_TTL = 86_400;
/** Not documented; a 4096-bit DKIM key (~740 bytes) fits [infer]. */
export const IONOS_MAX_TXT = 1024;

export const IONOS_CAPABILITIES: ProviderCapabilities = {
  // ionos-spec `recordTypes` enum, SOA aside (the zone's own, never written).
  recordTypes: new Set(['A', 'AAAA', 'CNAME', 'MX', 'NS', 'SRV', 'TXT', 'CAA']),
  minTtl: IONOS_MIN_TTL,
  maxTtl: IONOS_MAX_TTL,
  // One call per change.
  atomicApply: false,
  // A record PUT/DELETE by id applies whatever else changed since the read: the zone lock is the only guard.
  guardedWrite: false,
  maxTxtLength: IONOS_MAX_TXT,
  // GET /v1/zones + GET /v1/zones/{zoneId}; then one POST, PUT or DELETE per created, updated or deleted record.
  upstreamCalls: { read: 2, write: { perPlan: 0, perRrset: 0, perRecord: 1 } },
  writes: 'one call per changed record: `POST` of that one record, `PUT`/`DELETE` by record id; never the rrset `PATCH` or the zone `PUT`',
};

/**
 * Reads and the idempotent writes (PUT and DELETE by id) are repeated on 429, 5xx, timeouts and resets. IONOS
 * documents no quota for record CRUD (§1 "Errors"); a 429 is honoured with its Retry-After [infer].
 */
const RETRY: RetryPolicy = {
  attempts: 4,
  baseDelayMs: 250,
  maxDelayMs: 20_000,
  retryOn: (error) => error.kind === 'rate_limited' || error.kind === 'unavailable' || error.kind === 'timeout',
};

/**
 * A POST create is not idempotent (a repeat after a lost reply makes a second record; the spec documents no
 * duplicate check, §1 "Errors"). Only a 429, refused before it ran [infer], is repeated blindly; any other failure is
 * settled by re-reading the record set first (see `create`).
 */
const CREATE_RETRY: RetryPolicy = { ...RETRY, retryOn: (error) => error.kind === 'rate_limited' };

/** POSTs of one CREATE: the first, and more only after a re-read proved the earlier ones created nothing. */
const CREATE_SENDS = 3;

export function createIonosProvider(deps: AdapterDeps): DnsProvider {
  return {
    id: PROVIDER,
    capabilities: IONOS_CAPABILITIES,
    requiredCredentials: REQUIRED_CREDENTIALS.ionos,
    connect: (credentials, options) => new IonosSession(deps, credentials, commandBounds(deps, options)),
  };
}

/** What a failed write left behind, learnt by re-reading its record set. */
type Outcome = 'landed' | 'absent' | 'unknown';

class IonosSession implements ProviderSession {
  private readonly base: string;

  constructor(
    private readonly deps: AdapterDeps,
    private readonly credentials: ProviderCredentials,
    /** One deadline for the whole command: every read, write, retry and re-read shares it. */
    private readonly bounds: CommandBounds,
  ) {
    this.base = deps.baseUrl.replace(/\/+$/, '');
  }

  /**
   * `GET /v1/zones` lists every zone of the account, with no name filter (ionos-spec `getZones`): the most specific
   * zone among the domain and its parents up to the registrable domain is the one (lego `findZone`).
   */
  async findZone(domain: string): Promise<Zone> {
    const parsed = normaliseDomain(domain);
    if (!parsed.ok) throw new ProviderError(PROVIDER, 'rejected', parsed.reason);
    const zones = parseZoneList(await this.get('/v1/zones'));
    for (const candidate of candidateZoneNames(parsed.domain, parsed.registrable)) {
      const zone = zones.find((z) => z.name.toLowerCase().replace(/\.$/, '') === candidate);
      if (!zone) continue;
      // A secondary zone is served from someone else's primary: its records are not edited here (ionos-spec
      // `zoneTypes` NATIVE | SLAVE) [infer].
      if (zone.type === 'SLAVE') {
        throw new ProviderError(PROVIDER, 'forbidden', `${candidate} is a secondary (SLAVE) zone at IONOS; edit it at its primary`);
      }
      return { name: candidate, id: zone.id };
    }
    // A zone outside the account is simply absent from the list (§1 "Auth").
    throw new ProviderError(PROVIDER, 'not_found', 'zone not found in this account');
  }

  /**
   * The zone list is the cheapest read that proves the key (a bad key gets 401 UNAUTHORIZED) and shows the zone:
   * keys have no per-zone scopes (§1 "Auth", unconfirmed), so a zone listed is a zone the key can read and write.
   */
  async authorize(domain: string): Promise<Zone> {
    return this.findZone(domain);
  }

  /** `GET /v1/zones/{zoneId}`: the zone with every record, in one reply (no pagination, ionos-spec `getZone`). */
  async readZone(zone: Zone): Promise<ZoneContents> {
    const records = parseCustomerZone(await this.get(zonePath(zone)));
    // `disabled`: "When is true, the record is not visible for lookup" (ionos-spec `record`). Such a record is not in
    // DNS, so it is left out of what the planner sees; it is never written (no call here touches a record the plan
    // does not name), so it stays exactly as it is.
    return { records: records.filter((r) => r.disabled !== true).map((r) => fromIonos(r)) };
  }

  /**
   * The changes one after another, in the plan's order (a DELETE that frees a name comes before the CNAME created
   * there). A failure stops the plan with the error naming what was applied, what was not, and what is unknown.
   */
  async applyChanges(zone: Zone, contents: ZoneContents, changes: readonly RecordChange[]): Promise<ApplyResult> {
    if (changes.length === 0) return { applied: [] };
    const writes = changes.map((change) => planWrite(zone, contents, change));
    checkCnames(contents, changes);
    const applied: RecordChange[] = [];
    // Ids of records this apply created, so that a later re-read does not take one for the landing of another.
    const known = new Set(contents.records.map((r) => r.id).filter((id): id is string => id !== undefined));
    for (const write of writes) {
      try {
        await this.apply(zone, write, known);
      } catch (error) {
        if (!(error instanceof ProviderError)) throw error;
        const uncertain = error instanceof UncertainWrite;
        throw partialApplyError(uncertain ? error.error : error, applied, changes, uncertain ? [write.change] : []);
      }
      applied.push(write.change);
    }
    return { applied };
  }

  private async apply(zone: Zone, write: PlannedWrite, known: Set<string>): Promise<void> {
    if (write.kind === 'create') return this.create(zone, write, known);
    const path = `${zonePath(zone)}/records/${encodeURIComponent(write.id)}`;
    try {
      if (write.kind === 'update') await this.call('PUT', path, JSON.stringify(write.body), RETRY);
      // A retried DELETE whose earlier try did reach IONOS finds the record gone: the end state it wanted.
      else await this.call('DELETE', path, undefined, RETRY, (reply, attempt) => attempt > 1 && reply.status === 404);
    } catch (error) {
      if (!(error instanceof ProviderError) || error.isCallerFault) throw error;
      // The last try failed in a way that may have reached IONOS (timeout, reset, 5xx): look before reporting.
      const outcome = await this.outcome(zone, write, known);
      if (outcome === 'landed') return;
      if (outcome === 'unknown') throw new UncertainWrite(error);
      throw error;
    }
  }

  /** POST of one record; after a failure that may have reached IONOS, re-read before sending it again. */
  private async create(zone: Zone, write: PlannedCreate, known: Set<string>): Promise<void> {
    const path = `${zonePath(zone)}/records`;
    for (let sends = 1; ; sends++) {
      try {
        const reply = await this.call('POST', path, JSON.stringify([write.body]), CREATE_RETRY);
        // 201 with the created records, ids included (ionos-spec `createRecords`, v1.0.1).
        for (const created of parseRecordArray(reply, 'created records')) known.add(created.id);
        return;
      } catch (error) {
        if (!(error instanceof ProviderError)) throw error;
        // An answer (a refusal, a 429 past the deadline) means nothing was created on this send; after an earlier
        // lost send a refusal is still an answer to this one, and that earlier send was re-read as absent.
        if (error.isCallerFault || error.kind === 'rate_limited') throw error;
        const outcome = await this.outcome(zone, write, known);
        if (outcome === 'landed') return;
        if (outcome === 'unknown') throw new UncertainWrite(error);
        if (sends >= CREATE_SENDS) throw error;
      }
    }
  }

  /**
   * Re-reads the written record's name and type (`recordName` is an exact FQDN and `recordType` a list, ionos-spec
   * `getZone`) and says whether the write is there. A CREATE landed when a record with its values exists that was not
   * there before; an UPDATE when the record holds the new values; a DELETE when the record is gone.
   */
  private async outcome(zone: Zone, write: PlannedWrite, known: Set<string>): Promise<Outcome> {
    let now: IonosRecord[];
    try {
      const query = `?recordName=${encodeURIComponent(write.name)}&recordType=${encodeURIComponent(write.type)}`;
      now = parseCustomerZone(await this.get(`${zonePath(zone)}${query}`, 0));
    } catch {
      return 'unknown';
    }
    const same = (r: IonosRecord) => r.name.toLowerCase() === write.name && r.type.toUpperCase() === write.type;
    if (write.kind === 'delete') return now.some((r) => r.id === write.id) ? 'absent' : 'landed';
    if (write.kind === 'update') {
      const record = now.find((r) => r.id === write.id);
      return record && holds(record, write.wanted) ? 'landed' : 'absent';
    }
    const created = now.find((r) => same(r) && !known.has(r.id) && holds(r, write.wanted));
    if (!created) return 'absent';
    known.add(created.id);
    return 'landed';
  }

  private async get(path: string, reserve = 0): Promise<HttpReply> {
    return this.call('GET', path, undefined, RETRY, undefined, reserve);
  }

  /**
   * One logical call, its retries included, within the command's deadline. A write keeps back `writeReserveMs` of it,
   * so that a lost reply can still be settled by a re-read. `done` accepts a non-2xx reply as success.
   */
  private async call(
    method: 'GET' | 'POST' | 'PUT' | 'DELETE',
    path: string,
    body: string | undefined,
    policy: RetryPolicy,
    done?: (reply: HttpReply, attempt: number) => boolean,
    reserve = method === 'GET' ? 0 : writeReserveMs(this.bounds),
  ): Promise<HttpReply> {
    const key = checkKey(this.credentials.apiKey);
    // `X-API-Key: <prefix>.<secret>`, exactly as issued (ionos-spec `securitySchemes.ApiKeyAuth`).
    const headers: Record<string, string> = { 'x-api-key': key, accept: 'application/json' };
    if (body !== undefined) headers['content-type'] = 'application/json';
    const url = `${this.base}${path}`;
    return withRetries(
      policy,
      async (attempt) => {
        const reply = await withAttemptSignal(PROVIDER, this.bounds, reserve, (signal) =>
          send(PROVIDER, this.deps, url, { method, headers, body, signal }),
        );
        if ((reply.status >= 200 && reply.status < 300) || done?.(reply, attempt)) return reply;
        throw ionosErrorFromReply(reply, this.credentials);
      },
      { deadline: this.bounds.deadline - reserve, sleep: this.deps.sleep, signal: this.bounds.signal },
    );
  }
}

// ------------------------------------------------------------------------------------------------ planning

interface PlannedBase {
  readonly change: RecordChange;
  /** FQDN, lower case, no trailing dot. */
  readonly name: string;
  readonly type: string;
}
interface PlannedCreate extends PlannedBase {
  readonly kind: 'create';
  readonly body: IonosNewRecord;
  readonly wanted: DesiredRecord;
}
interface PlannedUpdate extends PlannedBase {
  readonly kind: 'update';
  readonly id: string;
  readonly body: IonosRecordUpdate;
  readonly wanted: DesiredRecord;
}
interface PlannedDelete extends PlannedBase {
  readonly kind: 'delete';
  readonly id: string;
}
type PlannedWrite = PlannedCreate | PlannedUpdate | PlannedDelete;

/**
 * One change → the one call that makes it, checked against everything IONOS would refuse, so that a plan never stops
 * half-way for a reason known in advance (pure; exported for tests).
 */
export function planWrite(zone: Zone, contents: ZoneContents, change: RecordChange): PlannedWrite {
  if (change.action === 'DELETE') {
    const before = change.before;
    return { kind: 'delete', change, name: inZone(before.name, zone), type: before.type.toUpperCase(), id: recordId(contents, before) };
  }
  const record = change.record;
  const type = record.type.toUpperCase();
  const name = inZone(record.name, zone);
  checkWritable(record, type, name);
  if (change.action === 'CREATE') {
    return { kind: 'create', change, name, type, wanted: record, body: { name, type, ...valueFields(record, type), disabled: false } };
  }
  const before = change.before;
  // `PUT …/records/{recordId}` takes content, ttl, prio and disabled only (ionos-spec `record-update`).
  if (before.type.toUpperCase() !== type || normaliseName(before.name) !== name) {
    throw rejected(`IONOS cannot change a record's name or type (${before.type} ${before.name} → ${type} ${name})`);
  }
  // The record keeps its `disabled` flag as read: left out, it would default to false (§1 trap 3).
  const raw = isIonosRecord(before.raw) ? before.raw : undefined;
  return {
    kind: 'update',
    change,
    name,
    type,
    id: recordId(contents, before),
    wanted: record,
    body: { ...valueFields(record, type), disabled: raw?.disabled === true },
  };
}

function checkWritable(record: DesiredRecord, type: string, name: string): void {
  if (!IONOS_CAPABILITIES.recordTypes.has(type)) throw rejected(`IONOS's API cannot write ${type} records`);
  if (!Number.isInteger(record.ttl) || record.ttl < IONOS_MIN_TTL || record.ttl > IONOS_MAX_TTL) {
    throw rejected(`TTL ${record.ttl} of the ${type} record at ${name} is outside IONOS's ${IONOS_MIN_TTL}–${IONOS_MAX_TTL} seconds`);
  }
  if (record.content.trim() === '') throw rejected(`the ${type} record at ${name} has no content`);
  if (type === 'TXT' && Buffer.byteLength(record.content, 'utf8') > IONOS_MAX_TXT) {
    throw rejected(`the TXT record at ${name} is longer than ${IONOS_MAX_TXT} bytes`);
  }
  if ((type === 'MX' || type === 'SRV') && record.priority !== undefined && !(Number.isInteger(record.priority) && record.priority >= 0 && record.priority <= 65_535)) {
    throw rejected(`priority ${record.priority} of the ${type} record at ${name} is not 0–65535`);
  }
}

/**
 * content, ttl and prio as IONOS takes them: TXT as plain text (lego fixture `replace_records-request.json`; IONOS
 * quotes it itself), CNAME/MX/NS targets without a trailing dot (§1 "Wire format" [2nd]), MX/SRV priority in `prio`.
 */
function valueFields(record: DesiredRecord, type: string): { content: string; ttl: number; prio: number } {
  const content = type === 'CNAME' || type === 'MX' || type === 'NS' ? stripDot(record.content.trim()) : record.content;
  const prio = type === 'MX' || type === 'SRV' ? (record.priority ?? 0) : 0;
  return { content, ttl: record.ttl, prio };
}

/**
 * A CNAME shares its name with no other record (RFC 1034 §3.6.2): a plan that would leave one beside another record
 * at a name it writes is refused before any call, rather than by IONOS half-way through [infer: IONOS's own answer
 * is unconfirmed].
 */
function checkCnames(contents: ZoneContents, changes: readonly RecordChange[]): void {
  const removed = changes.flatMap((c) => (c.action === 'CREATE' ? [] : [c.before]));
  const added = changes.flatMap((c) => (c.action === 'DELETE' ? [] : [c.record]));
  const after = [...contents.records.filter((r) => !removed.some((b) => b === r || (b.id ? b.id === r.id : sameNeutral(r, b)))), ...added];
  for (const name of new Set(added.map((r) => normaliseName(r.name)))) {
    const here = after.filter((r) => normaliseName(r.name) === name);
    if (here.length > 1 && here.some((r) => r.type.toUpperCase() === 'CNAME')) {
      throw rejected(`a CNAME at ${name} cannot share its name with other records`);
    }
  }
}

/** The IONOS id of the record a change names: its own, or that of the same record in the zone as read. */
function recordId(contents: ZoneContents, before: DnsRecord): string {
  if (before.id) return before.id;
  const same = contents.records.find((r) => r.id && sameNeutral(r, before));
  if (!same?.id) throw new ProviderError(PROVIDER, 'conflict', `the ${before.type} record at ${before.name} is no longer in the zone as read`);
  return same.id;
}

/**
 * A record read back holds the desired values (both sides normalised) and is enabled, as every write here leaves it: a
 * disabled record with the same values is the customer's (readZone leaves it out, so its id is not among those read),
 * never the landing of a create whose reply failed.
 */
function holds(raw: IonosRecord, wanted: DesiredRecord): boolean {
  if (raw.disabled === true) return false;
  const read = fromIonos(raw);
  const type = wanted.type.toUpperCase();
  const content = type === 'CNAME' || type === 'MX' || type === 'NS' ? stripDot(wanted.content.trim()).toLowerCase() : wanted.content;
  const readContent = type === 'CNAME' || type === 'MX' || type === 'NS' ? read.content.toLowerCase() : read.content;
  const priority = type === 'MX' || type === 'SRV' ? (wanted.priority ?? 0) : undefined;
  return readContent === content && read.ttl === wanted.ttl && read.priority === priority;
}

function sameNeutral(a: DnsRecord, b: DnsRecord): boolean {
  return a.type.toUpperCase() === b.type.toUpperCase() && a.name === normaliseName(b.name) && a.content === b.content && a.priority === b.priority;
}

// ------------------------------------------------------------------------------------------------ reading

/** IONOS wire record → neutral form (pure; exported for tests). */
export function fromIonos(raw: IonosRecord): DnsRecord {
  const type = raw.type.toUpperCase();
  let content = raw.content;
  // TXT comes back wrapped in quotes, `"\"v=spf1 …\""` (libdns-ionos, lego `strconv.Quote`, acme.sh, §1 "Wire format").
  if (type === 'TXT') content = unquoteTxt(content);
  if (type === 'CNAME' || type === 'MX' || type === 'NS') content = stripDot(content.trim());
  if (type === 'SRV') {
    // `weight port target` with the priority in `prio`, as MX has it [infer: the spec shows no SRV example].
    content = content.trim().replace(/\.$/, '');
  }
  const priority = type === 'MX' || type === 'SRV' ? (raw.prio ?? 0) : undefined;
  return {
    type,
    name: normaliseName(raw.name),
    content,
    ttl: raw.ttl,
    ...(priority === undefined ? {} : { priority }),
    id: raw.id,
    raw,
  };
}

const QUOTED = /^\s*"(?:[^"\\]|\\.)*"(?:\s*"(?:[^"\\]|\\.)*")*\s*$/s;

/**
 * `"v=spf1 …"` → `v=spf1 …`: one quoted string, or several (`"a" "b"`, how a value over 255 bytes comes back is
 * unconfirmed, §1 "Wire format"), unescaped (`\"`, `\\`, RFC 1035 `\DDD`) and joined. Anything else is the value.
 */
export function unquoteTxt(content: string): string {
  if (!QUOTED.test(content)) return content;
  const bytes: number[] = [];
  for (const match of content.matchAll(/"((?:[^"\\]|\\.)*)"/gs)) {
    for (const token of (match[1] ?? '').matchAll(/\\(\d{3})|\\([\s\S])|([\s\S])/gu)) {
      if (token[1] !== undefined) bytes.push(Number(token[1]) & 0xff);
      else bytes.push(...Buffer.from(token[2] ?? token[3] ?? '', 'utf8'));
    }
  }
  return Buffer.from(bytes).toString('utf8');
}

interface IonosZoneEntry {
  readonly id: string;
  readonly name: string;
  readonly type?: string;
}

function parseZoneList(reply: HttpReply): IonosZoneEntry[] {
  const body = parseBody(reply);
  if (!Array.isArray(body)) throw new ProviderError(PROVIDER, 'protocol', 'the zone list was not an array');
  return body.filter((z): z is IonosZoneEntry => isObject(z) && typeof z.id === 'string' && typeof z.name === 'string');
}

function parseCustomerZone(reply: HttpReply): IonosRecord[] {
  const body = parseBody(reply);
  if (!isObject(body) || !Array.isArray(body.records)) throw new ProviderError(PROVIDER, 'protocol', 'the zone reply has no record list');
  return checkRecords(body.records, 'zone');
}

function parseRecordArray(reply: HttpReply, what: string): IonosRecord[] {
  const body = parseBody(reply);
  if (!Array.isArray(body)) throw new ProviderError(PROVIDER, 'protocol', `the ${what} reply was not an array`);
  return checkRecords(body, what);
}

function checkRecords(list: unknown[], what: string): IonosRecord[] {
  for (const item of list) {
    if (!isIonosRecord(item)) throw new ProviderError(PROVIDER, 'protocol', `a record in the ${what} reply lacks id, name, type, content or ttl`);
  }
  return list as IonosRecord[];
}

function isIonosRecord(value: unknown): value is IonosRecord {
  return (
    isObject(value) &&
    typeof value.id === 'string' &&
    typeof value.name === 'string' &&
    typeof value.type === 'string' &&
    typeof value.content === 'string' &&
    typeof value.ttl === 'number'
  );
}

function parseBody(reply: HttpReply): unknown {
  try {
    return JSON.parse(reply.text);
  } catch {
    throw new ProviderError(PROVIDER, 'protocol', `HTTP ${reply.status} with ${describeBody(reply.text)} instead of JSON`);
  }
}

// ------------------------------------------------------------------------------------------------ errors

interface IonosError {
  readonly code?: unknown;
  readonly message?: unknown;
  readonly parameters?: unknown;
}

/**
 * A non-2xx IONOS reply → ProviderError. Error bodies are JSON arrays of `{code, message, parameters?}` (ionos-spec
 * `error`/`errors`, §1 "Errors"). Every provider text repeated goes through `redactCredentials`.
 */
export function ionosErrorFromReply(reply: HttpReply, credentials: ProviderCredentials): ProviderError {
  const { status } = reply;
  let errors: IonosError[] = [];
  let malformed = false;
  try {
    const parsed: unknown = JSON.parse(reply.text);
    if (Array.isArray(parsed)) errors = parsed.filter(isObject);
    else if (isObject(parsed)) errors = [parsed];
    else malformed = reply.text.trim() !== '';
  } catch {
    malformed = reply.text.trim() !== '';
  }
  const codes = errors.map((e) => (typeof e.code === 'string' ? e.code : '')).filter(Boolean);
  const has = (code: string) => codes.includes(code);
  const clean = (text: string) => redactCredentials(text.replace(/[\u0000-\u001f\u007f]/g, ' '), credentials);
  // The first code, as repeated in a message: provider text like any other, so scrubbed and bounded.
  const firstCode = codes[0] ? ` ${clean(codes[0]).slice(0, 100)}` : '';

  // 401 [{"code":"UNAUTHORIZED","message":"The customer is not authorized to do this operation."}] (ionos-spec).
  if (status === 401 || has('UNAUTHORIZED')) return new ProviderError(PROVIDER, 'auth', 'invalid API key (unknown, revoked, or not prefix.secret)');
  // 403 FORBIDDEN_REQUEST "Request not allowed." (ionos-spec `forbidden-error`).
  if (status === 403) return new ProviderError(PROVIDER, 'forbidden', 'the request is not allowed for this API key');
  if (status === 429) {
    // No quota is documented for record CRUD; the DynDNS 429 has no body (ionos-spec). Retry-After [infer].
    return new ProviderError(PROVIDER, 'rate_limited', 'rate limit reached', { retryAfterSeconds: retryAfterSeconds(reply.headers) });
  }
  if (status >= 500) {
    // 500 [{"code":"INTERNAL_SERVER_ERROR"}] (ionos-spec); a proxy in front may answer with an HTML page [infer].
    return new ProviderError(PROVIDER, 'unavailable', malformed ? `HTTP ${status} with ${describeBody(reply.text)}` : `HTTP ${status}${firstCode}`);
  }
  if (status === 404) {
    // RECORD_NOT_FOUND "Record does not exist." (ionos-spec): deleted since the zone was read.
    if (has('RECORD_NOT_FOUND')) {
      return new ProviderError(PROVIDER, 'conflict', 'a record to change no longer exists (the zone changed since it was read)');
    }
    return new ProviderError(PROVIDER, 'not_found', 'zone not found in this account');
  }
  if (malformed) return new ProviderError(PROVIDER, 'protocol', `HTTP ${status} with ${describeBody(reply.text)}`);
  if (status === 400 || status === 409 || status === 422) {
    // INVALID_RECORD (with parameters.invalidFields / requiredFields), INVALID_DATA, INVALID_DOMAIN_NAME (ionos-spec).
    const details = errors.map((e) => {
      const code = typeof e.code === 'string' ? e.code : `HTTP ${status}`;
      const message = typeof e.message === 'string' ? e.message : '';
      const parameters = isObject(e.parameters) ? e.parameters : {};
      const fields = ['invalidFields', 'requiredFields', 'invalid']
        .flatMap((k) => (Array.isArray(parameters[k]) ? (parameters[k] as unknown[]).filter((f): f is string => typeof f === 'string').map((f) => `${k === 'requiredFields' ? 'missing' : 'invalid'} ${f}`) : []));
      return [code, message, fields.join(', ')].filter(Boolean).join(': ');
    });
    const text = clean(details.join('; ') || `HTTP ${status}`);
    return new ProviderError(PROVIDER, 'rejected', `the change was refused: ${text}`.slice(0, 500));
  }
  return new ProviderError(PROVIDER, 'protocol', `unexpected HTTP ${status}${firstCode}`);
}

// ------------------------------------------------------------------------------------------------ helpers

/** The key as IONOS issues it, `<prefix>.<secret>` (§1 "Auth"): anything else cannot be valid, so no call is made. */
function checkKey(key: string): string {
  if (key === '') throw new ProviderError(PROVIDER, 'auth', 'no API key given');
  if (!/^[\x21-\x7e]+$/.test(key) || !/^[^.]+\.[^.].*$/.test(key)) {
    throw new ProviderError(PROVIDER, 'auth', 'the API key must be given as prefix.secret');
  }
  return key;
}

/** `mail.example.co.uk` → `mail.example.co.uk`, `example.co.uk` (never above the registrable domain). */
function candidateZoneNames(domain: string, registrable: string): string[] {
  const names: string[] = [];
  for (let name = domain; name.length >= registrable.length; name = name.slice(name.indexOf('.') + 1)) {
    names.push(name);
    if (name === registrable) break;
  }
  return names;
}

function zonePath(zone: Zone): string {
  return `/v1/zones/${encodeURIComponent(zone.id)}`;
}

/** A full name inside the zone, as IONOS takes it: the FQDN without a trailing dot (§1 "Wire format"). */
function inZone(name: string, zone: Zone): string {
  const full = normaliseName(name);
  if (full !== zone.name && !full.endsWith(`.${zone.name}`)) throw rejected(`${full} is not inside the zone ${zone.name}`);
  return full;
}

const normaliseName = (name: string) => stripDot(name.trim().toLowerCase());
const stripDot = (host: string) => host.replace(/\.$/, '');

function describeBody(text: string): string {
  return /^\s*</.test(text) ? 'an HTML page' : 'a malformed body';
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function rejected(reason: string): ProviderError {
  return new ProviderError(PROVIDER, 'rejected', reason);
}
