/**
 * Name.com Core API adapter (`/core/v1/…`; v4 is the same under `/v4`). Facts and their sources:
 * ../shared/reference/providers-registrars.md §0, §6 (Name.com), §8; "ncom-spec" is namedotcom/namecom-mcp
 * `assets/namecom.api.yaml` (the official "name.com Core API" 1.7.0), "ncom-go" is namedotcom/go (the v4 client),
 * "dnscontrol" is StackExchange/dnscontrol `providers/namedotcom/`, "lexicon" is dns-lexicon `providers/namecom.py`.
 *
 * Authentication is HTTP Basic with the account's username (ApiUser) and API token (ApiKey) (ncom-spec
 * `securitySchemes.BasicAuth`). Name.com keeps one record per integer id and has no batch, no version and no
 * precondition (§0): a plan is applied one call per change (`POST …/records`, `PUT …/records/{id}` carrying every
 * field, `DELETE …/records/{id}`), so it is not atomic and a concurrent edit in the panel is not detected (only the
 * gateway's zone lock guards the read-merge-write). An update is always a PUT of the whole record, never a delete
 * then a create (§6 trap 3: dnscontrol's "modify" leaves the name without its record in between).
 *
 * Name.com holds DNS for the domains registered there, so the zone is the registrable domain: finding it costs no
 * call, and the records list answers 404 for a domain not in the account. Calls per command, at the minimum:
 * findZone = none; authorize = `GET /core/v1/hello` + one records page; readZone = one `GET …/records` per page of
 * `pageSize` (1000, the documented default); applyChanges = one call per change.
 *
 * Revert fidelity (providers/restore.ts) needs nothing here: Name.com keeps one spelling of a TXT value, joined and
 * unquoted, and refuses a double quote (providers-registrars.md §6 wire format), so there is no other spelling.
 */
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
import { readWholeList } from './zone-read.js';

/**
 * A record as Name.com returns it (ncom-spec `Record`). Fields at their default value are left out of the JSON
 * (name.com/api-docs "omitting fields that are set to their default values"; ncom-go `json:"host,omitempty"`): an
 * apex record may come without `host`, a priority of 0 without `priority`. `fqdn` always ends in a dot.
 */
export interface NamecomRecord {
  readonly id: number;
  readonly domainName?: string;
  readonly host?: string;
  readonly fqdn: string;
  readonly type: string;
  readonly answer: string;
  readonly ttl: number;
  readonly priority?: number;
}

/** A `POST …/records` or `PUT …/records/{id}` body (ncom-spec `DNSCreateRecordBody`, `DNSUpdateRecordBody`). */
export interface NamecomRecordBody {
  readonly host: string;
  readonly type: string;
  readonly answer: string;
  readonly ttl: number;
  readonly priority?: number;
}

export interface NamecomAdapterDeps extends AdapterDeps {
  /** `perPage` asked of the records list: 1000 is the documented default (ncom-spec `ListRecords`). Tests lower it. @default 1000 */
  readonly pageSize?: number;
}

const PROVIDER = 'namecom' as const;
const API = '/core/v1';
/** "name.com allows a minimum TTL of 300, or 5 minutes" (ncom-spec `Record.ttl`). */
export const NAMECOM_MIN_TTL = 300;
/** No documented maximum; RFC 2181 §8's 2^31 − 1 [infer]. */
export const NAMECOM_MAX_TTL = 2_147_483_647;
/**
 * dnscontrol `MaxLengthNDC` ("length limit is undocumented. This seems to work"): the value encoded as quoted
 * 255-byte chunks (two quotes, plus quote-space-quote per join) may take at most 512 bytes. The longest joined value
 * that fits is 507 bytes (two chunks: 507 + 2 + 3).
 */
const MAX_ENCODED_TXT = 512;
export const NAMECOM_MAX_TXT = 507;
const DEFAULT_PAGE_SIZE = 1000;
const MAX_PAGES = 500;

/** Types whose answer is (or ends in) a host name: written and read without the trailing dot (dnscontrol `getRecords`). */
const HOST_TYPES = new Set(['ANAME', 'CNAME', 'MX', 'NS']);

/** §6 "Auth", trap 5; ncom-spec Update/Delete Record 403. Said exactly so, as the issue asks. */
export const NAMESERVERS_ELSEWHERE = "the domain's name servers are not Name.com's: records can only be edited where its DNS is hosted";
/**
 * A 403 where no domain's name servers are involved (the credential check, a read): the account refused the token.
 * ncom-spec `BasicAuth`: "Two-Step Verification is not compatible with API access", failures give "401
 * Unauthenticated or 403 Permission Denied" (§6 trap 4: surface it as a credentials error).
 */
export const CREDENTIALS_REFUSED =
  'the username and API token were refused (Permission Denied): the API does not work for an account with two-step verification turned on, and API access must be enabled for the account';

export const NAMECOM_CAPABILITIES: ProviderCapabilities = {
  // ncom-spec `Record.type`: A, AAAA, ANAME, CNAME, MX, NS, SRV, TXT. No CAA (§6 "Wire format").
  recordTypes: new Set(['A', 'AAAA', 'ANAME', 'CNAME', 'MX', 'NS', 'SRV', 'TXT']),
  minTtl: NAMECOM_MIN_TTL,
  maxTtl: NAMECOM_MAX_TTL,
  atomicApply: false,
  // No precondition exists on any write (§0 "Batch / atomic: none"): the zone lock is the guard.
  guardedWrite: false,
  maxTxtLength: NAMECOM_MAX_TXT,
  // GET …/records (one page of 1000); one POST, PUT or DELETE per changed record (§6 "Calls for the scenario").
  upstreamCalls: { read: 1, write: { perPlan: 0, perRrset: 0, perRecord: 1 } },
  writes: 'one `POST`, `PUT` (every field of the record) or `DELETE` per changed record, by record id; TXT unquoted, never with a double quote',
};

/**
 * Reads may be repeated. Name.com answers 429 above 20 requests a second or 3000 an hour, with `x-ratelimit-reset`
 * (epoch seconds) (ncom-spec every 429; §6 "Limits"): the wait until the reset is honoured when it fits the deadline
 * and `maxDelayMs`; an hourly reset does not, and is reported with its wait.
 */
const READ_RETRIES: RetryPolicy = {
  attempts: 4,
  baseDelayMs: 500,
  maxDelayMs: 20_000,
  retryOn: (e) => e.kind === 'rate_limited' || e.kind === 'unavailable' || e.kind === 'timeout',
};

/** A `PUT` carrying every field of one record id, and a `DELETE` of one id, are idempotent. */
const IDEMPOTENT_RETRIES: RetryPolicy = READ_RETRIES;

/**
 * A `POST` is not idempotent: repeated after a lost reply it creates the record twice, or is refused as a duplicate
 * (lexicon `DUPLICATE_ERROR`). Only a 429 is repeated blindly (refused before it ran [infer]); any other failure is
 * settled by reading the zone again before anything is sent again (see `write`).
 */
const CREATE_RETRIES: RetryPolicy = { ...READ_RETRIES, retryOn: (e) => e.kind === 'rate_limited' };

const CREATE_SENDS = 2;

export function createNamecomProvider(deps: NamecomAdapterDeps): DnsProvider {
  return {
    id: PROVIDER,
    capabilities: NAMECOM_CAPABILITIES,
    requiredCredentials: REQUIRED_CREDENTIALS.namecom,
    connect: (credentials, options) => new NamecomSession(deps, credentials, commandBounds(deps, options)),
  };
}

type Method = 'GET' | 'POST' | 'PUT' | 'DELETE';
/** What a call is about, for its error: the account (hello), the domain's record list, or one record by id. */
type Subject = 'account' | 'domain' | 'record';

class NamecomSession implements ProviderSession {
  private readonly base: string;
  private readonly username: string;
  private readonly token: string;
  private readonly authorization: string;
  private readonly pageSize: number;

  constructor(
    private readonly deps: NamecomAdapterDeps,
    private readonly credentials: ProviderCredentials,
    /** One deadline for the whole command: every read, write, retry and re-read below shares it. */
    private readonly bounds: CommandBounds,
  ) {
    this.base = deps.baseUrl.replace(/\/+$/, '');
    this.username = (credentials.apiUser ?? '').trim();
    this.token = credentials.apiKey.trim();
    this.authorization = `Basic ${Buffer.from(`${this.username}:${this.token}`, 'utf8').toString('base64')}`;
    this.pageSize = Math.max(1, Math.min(DEFAULT_PAGE_SIZE, deps.pageSize ?? DEFAULT_PAGE_SIZE));
  }

  /** The registrable domain: Name.com holds DNS per registered domain. No call. */
  async findZone(domain: string): Promise<Zone> {
    const parsed = normaliseDomain(domain);
    if (!parsed.ok) throw new ProviderError(PROVIDER, 'rejected', parsed.reason);
    return { name: parsed.registrable, id: parsed.registrable };
  }

  /**
   * `GET /core/v1/hello` proves the username and token (§8 "Credential check"; acme.sh `_namecom_login`), then one
   * record of the domain's list proves that this account holds the domain. Writes nothing.
   */
  async authorize(domain: string): Promise<Zone> {
    const zone = await this.findZone(domain);
    const hello = this.parse(await this.call('GET', `${API}/hello`, READ_RETRIES, 'account'));
    // ncom-spec `HelloResponse`: `{motd, serverName, serverTime, username}`.
    if (typeof hello.username !== 'string') throw new ProviderError(PROVIDER, 'protocol', 'the credential check did not name the account');
    const page = this.parse(await this.call('GET', `${recordsPath(zone.name)}?perPage=1&page=1`, READ_RETRIES, 'domain'));
    if (!Array.isArray(page.records)) throw new ProviderError(PROVIDER, 'protocol', 'the reply has no records list');
    return zone;
  }

  /**
   * Every page of `GET …/records?perPage=&page=`, following `nextPage` (the spec's name, not lexicon's `next_page`,
   * §6 trap 2) while it is present, and always sending both parameters (ncom-go never sends them, §6 trap 1). When
   * `totalCount` changes between pages or disagrees with what the pages held, the zone changed while it was read, and
   * it is read again once.
   */
  async readZone(zone: Zone): Promise<ZoneContents> {
    const read = await readWholeList(PROVIDER, () => this.readRecords(zone));
    return { records: read.records.map((r) => fromNamecom(r, zone.name)) };
  }

  private async readRecords(zone: Zone): Promise<{ records: NamecomRecord[]; complete: boolean }> {
    const records: NamecomRecord[] = [];
    const seen = new Set<number>();
    const totals = new Set<number>();
    let count = 0;
    let page = 1;
    for (let pages = 0; ; pages++) {
      if (pages >= MAX_PAGES) throw new ProviderError(PROVIDER, 'protocol', `the record list did not end after ${MAX_PAGES} pages`);
      const body = this.parse(await this.call('GET', `${recordsPath(zone.name)}?perPage=${this.pageSize}&page=${page}`, READ_RETRIES, 'domain'));
      if (!Array.isArray(body.records)) throw new ProviderError(PROVIDER, 'protocol', 'the reply has no records list');
      for (const item of body.records) {
        const raw = parseRecord(item, zone.name);
        count++;
        if (seen.has(raw.id)) continue;
        seen.add(raw.id);
        records.push(raw);
      }
      if (typeof body.totalCount === 'number') totals.add(body.totalCount);
      // "NextPage … is only populated if there is another page of results after the current page" (ncom-spec).
      const next = body.nextPage;
      if (next === undefined || next === null || next === 0) break;
      // A next page that does not move forward would read the same pages for ever.
      if (typeof next !== 'number' || !Number.isInteger(next) || next <= page) throw new ProviderError(PROVIDER, 'protocol', 'the record list does not move to a next page');
      page = next;
    }
    const [total] = totals;
    return { records, complete: totals.size <= 1 && (total === undefined || total === count) && count === seen.size };
  }

  /**
   * One call per change, in the order given: Name.com cannot apply a plan atomically. What Name.com would refuse for
   * a reason known in advance is refused before the first write. A write that fails in a way that may have reached
   * Name.com is settled by reading again; the error then names what was applied, what was not and what is unknown.
   */
  async applyChanges(zone: Zone, contents: ZoneContents, changes: readonly RecordChange[]): Promise<ApplyResult> {
    if (changes.length === 0) return { applied: [] };
    const writes = planWrites(zone.name, contents, changes);
    const known = new Set(contents.records.map((r) => recordIdOf(r)).filter((id): id is number => id !== undefined));
    return applyPerRecord(changes, writes, (write) => this.write(zone, write, known), {
      // The name servers refuse every write of the domain alike: said exactly, nothing having been applied.
      refusesEveryWrite: (error) => error.kind === 'forbidden',
    });
  }

  private async write(zone: Zone, write: PlannedWrite, known: Set<number>): Promise<WriteOutcome> {
    const records = recordsPath(zone.name);
    if (write.kind === 'create') {
      return settleWrite(
        CREATE_SENDS,
        async () => {
          const created = this.parse(await this.call('POST', records, CREATE_RETRIES, 'domain', {}, write.body));
          // ncom-spec `CreateRecord`: 200 with the Record.
          if (typeof created.id === 'number') known.add(created.id);
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
      () => this.recordHolds(path, zone.name, write),
    );
  }

  /**
   * After a failed POST: the zone is read again (the list has no filter, ncom-spec `ListRecords`) and a record that
   * was not there before and holds what was sent is looked for. undefined = cannot tell.
   */
  private async createdSince(zone: Zone, write: PlannedCreate, known: Set<number>): Promise<boolean | undefined> {
    try {
      const { records } = await this.readRecords(zone);
      const found = records.find((r) => !known.has(r.id) && holds(r, write.body, zone.name));
      if (!found) return false;
      known.add(found.id);
      return true;
    } catch {
      return undefined;
    }
  }

  /**
   * After a failed PUT or DELETE: `GET …/records/{id}` (ncom-spec `GetRecord`). true = the record is as the write
   * left it, false = it is not, undefined = unknown.
   */
  private async recordHolds(path: string, apex: string, write: PlannedUpdate | PlannedDelete): Promise<boolean | undefined> {
    try {
      const reply = await this.call('GET', path, READ_RETRIES, 'record', { notFound: 'answer' });
      if (reply.status === 404) return write.kind === 'delete';
      if (write.kind === 'delete') return false;
      return holds(parseRecord(this.parse(reply), apex), write.body, apex);
    } catch {
      return undefined;
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
    body?: NamecomRecordBody,
  ): Promise<HttpReply> {
    if (this.username === '') throw new ProviderError(PROVIDER, 'auth', 'no username given');
    if (this.token === '') throw new ProviderError(PROVIDER, 'auth', 'no API token given');
    // Basic authentication splits user and password at the first colon (RFC 7617 §2).
    if (this.username.includes(':') || /[\u0000-\u001f\u007f]/.test(this.username)) throw new ProviderError(PROVIDER, 'auth', 'invalid username (malformed)');
    if (!/^[\x21-\x7e]+$/.test(this.token)) throw new ProviderError(PROVIDER, 'auth', 'invalid API token (malformed)');
    const headers: Record<string, string> = { authorization: this.authorization, accept: 'application/json' };
    // "All POST, PUT, PATCH requests … must include the `Content-Type: application/json` header" (ncom-spec 415).
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
        // A repeated DELETE whose first try did reach Name.com finds the record gone: the wanted end state.
        if (reply.status === 404 && options.notFound === 'done-after-retry' && attempt > 1) return reply;
        throw namecomError(reply, this.credentials, { subject, write: method !== 'GET' });
      },
      { deadline: this.bounds.deadline - reserve, sleep: this.deps.sleep, signal: this.bounds.signal },
    );
  }
}

// ------------------------------------------------------------------------------------------------ planning writes

interface PlannedCreate {
  readonly kind: 'create';
  readonly change: RecordChange;
  readonly body: NamecomRecordBody;
}
interface PlannedUpdate {
  readonly kind: 'update';
  readonly change: RecordChange;
  readonly id: number;
  readonly body: NamecomRecordBody;
}
interface PlannedDelete {
  readonly kind: 'delete';
  readonly change: RecordChange;
  readonly id: number;
}
type PlannedWrite = PlannedCreate | PlannedUpdate | PlannedDelete;

/**
 * Pure: one write per change, each checked as Name.com would check it, before any call. UPDATE and DELETE name the
 * record as read (by id); one that is not in the zone as read is refused (`conflict`), never guessed at.
 */
export function planWrites(apex: string, contents: ZoneContents, changes: readonly RecordChange[]): PlannedWrite[] {
  const idFor = recordIdClaimer(PROVIDER, contents, recordIdOf, sameRecord);
  return changes.map((change): PlannedWrite => {
    if (change.action === 'DELETE') return { kind: 'delete', change, id: idFor(change.before) };
    const body = toNamecom(change.record, apex);
    if (change.action === 'CREATE') return { kind: 'create', change, body };
    // "Full overwrite — all required fields (host, type, answer, ttl) must be included … If you omit a field, the
    // existing value will not be preserved" (ncom-spec `UpdateRecord`): the body carries every field, priority too.
    return { kind: 'update', change, id: idFor(change.before), body };
  });
}

/**
 * A desired record → the body Name.com takes, refusing what it would refuse: `host` relative, `@` for the apex
 * (ncom-spec `Record.host`; dnscontrol `GetLabel`); ANAME/CNAME/MX/NS targets without the trailing dot (as Name.com
 * returns them, dnscontrol `getRecords`); SRV answer `weight port target` with `priority` apart (ncom-spec
 * `Record.answer`); TXT joined and unquoted, without a double quote, not empty, no trailing space and at most 512
 * bytes once encoded (dnscontrol `AuditRecords`, `MaxLengthNDC`; §6 "Wire format"); TTL at least 300; priority for MX
 * and SRV only.
 */
export function toNamecom(record: DesiredRecord, apex: string): NamecomRecordBody {
  const type = record.type.toUpperCase();
  const fullName = normaliseName(record.name);
  if (!NAMECOM_CAPABILITIES.recordTypes.has(type)) throw rejected(`the API cannot write ${type} records`);
  const host = relativeName(fullName, apex);
  if (!Number.isInteger(record.ttl) || record.ttl < NAMECOM_MIN_TTL || record.ttl > NAMECOM_MAX_TTL) {
    throw rejected(`TTL ${record.ttl} of the ${type} record at ${fullName} is outside the allowed ${NAMECOM_MIN_TTL}–${NAMECOM_MAX_TTL} seconds`);
  }
  const base = { host, type, ttl: record.ttl };
  switch (type) {
    case 'TXT': {
      const value = record.content;
      if (value === '') throw rejected(`the TXT record at ${fullName} is empty`);
      if (value.includes('"')) throw rejected(`the TXT record at ${fullName} contains a double quote, which the API does not accept`);
      if (/\s$/.test(value)) throw rejected(`the TXT record at ${fullName} ends in a space, which the API does not keep`);
      if (encodedTxtLength(value) > MAX_ENCODED_TXT) throw rejected(`the TXT record at ${fullName} is longer than ${NAMECOM_MAX_TXT} bytes`);
      return { ...base, answer: value };
    }
    case 'CNAME':
    case 'ANAME':
    case 'NS':
      return { ...base, answer: target(record.content, type, fullName) };
    case 'MX':
      return { ...base, answer: target(record.content, type, fullName), priority: record.priority ?? 0 };
    case 'SRV': {
      const match = /^(\d+)\s+(\d+)\s+(\S+)$/.exec(record.content.trim());
      if (!match) throw rejected(`the SRV record at ${fullName} is not "weight port target"`);
      return { ...base, answer: `${match[1]} ${match[2]} ${target(match[3]!, type, fullName)}`, priority: record.priority ?? 0 };
    }
    default:
      return { ...base, answer: record.content.trim() };
  }
}

/** The length dnscontrol's `MaxLengthNDC` counts: quoted 255-byte chunks, joined by `" "`. */
export function encodedTxtLength(value: string): number {
  const bytes = Buffer.byteLength(value, 'utf8');
  const chunks = Math.max(1, Math.ceil(bytes / 255));
  return bytes + 2 + 3 * (chunks - 1);
}

/** A host name as Name.com wants it written: fully qualified, no trailing dot. */
function target(value: string, type: string, fullName: string): string {
  const bare = value.trim().replace(/\.$/, '');
  if (bare === '' || /\s/.test(bare)) throw rejected(`the ${type} record at ${fullName} has no valid target host`);
  return bare;
}

// ------------------------------------------------------------------------------------------------ reading records

const QUOTED_STRINGS = /^\s*"(?:[^"\\]|\\.)*"(?:\s+"(?:[^"\\]|\\.)*")*\s*$/s;

/**
 * Name.com returns TXT unquoted (§0); a value stored quoted by an older client (dnscontrol once sent
 * `txtutil.EncodeQuoted`, and `decodeTxt` still reads both) is unquoted and its chunks joined.
 */
export function unquoteTxt(answer: string): string {
  if (!QUOTED_STRINGS.test(answer)) return answer;
  return [...answer.matchAll(/"((?:[^"\\]|\\.)*)"/gs)].map((m) => (m[1] ?? '').replace(/\\(.)/gs, '$1')).join('');
}

/** Name.com wire record → neutral form (pure; exported for tests). The name comes from `fqdn` (read-only, always set). */
export function fromNamecom(raw: NamecomRecord, apex: string): DnsRecord {
  const type = raw.type.toUpperCase();
  const name = nameOf(raw);
  let content = raw.answer;
  if (type === 'TXT') content = unquoteTxt(raw.answer);
  if (HOST_TYPES.has(type)) content = bareHost(raw.answer, apex);
  if (type === 'SRV') {
    const [weight = '0', port = '0', host = ''] = raw.answer.trim().split(/\s+/);
    content = `${weight} ${port} ${bareHost(host, apex)}`;
  }
  const priority = type === 'MX' || type === 'SRV' ? (raw.priority ?? 0) : undefined;
  return { type, name, content, ttl: raw.ttl, ...(priority === undefined ? {} : { priority }), id: String(raw.id), raw };
}

function nameOf(raw: NamecomRecord): string {
  return normaliseName(raw.fqdn);
}

function bareHost(answer: string, apex: string): string {
  const bare = answer.trim().replace(/\.$/, '');
  return bare === '@' || bare === '' ? apex : bare;
}

/** The record as read holds what `body` sent (targets compared without case or trailing dot). */
function holds(record: NamecomRecord, body: NamecomRecordBody, apex: string): boolean {
  const type = body.type;
  const answer = HOST_TYPES.has(type) || type === 'SRV' ? record.answer.toLowerCase().replace(/\.$/, '') === body.answer.toLowerCase() : record.answer === body.answer;
  const name = body.host === '@' ? apex : `${body.host}.${apex}`;
  return (
    record.type.toUpperCase() === type &&
    nameOf(record) === name &&
    answer &&
    record.ttl === body.ttl &&
    (body.priority === undefined || (record.priority ?? 0) === body.priority)
  );
}

/** A record of the list, checked: integer id, type, answer, TTL, and a name inside the zone (from `fqdn`, else `host`). */
function parseRecord(value: unknown, apex: string): NamecomRecord {
  if (!isObject(value) || typeof value.id !== 'number' || typeof value.type !== 'string' || typeof value.ttl !== 'number') {
    throw new ProviderError(PROVIDER, 'protocol', 'a DNS record in the reply is malformed');
  }
  const host = typeof value.host === 'string' ? value.host : undefined;
  // `fqdn` "always ends in a ." (ncom-spec; dnscontrol stops when it does not); a reply without one is rebuilt from host.
  const fqdn =
    typeof value.fqdn === 'string' && value.fqdn.endsWith('.')
      ? value.fqdn
      : `${host === undefined || host === '' || host === '@' ? apex : `${host}.${apex}`}.`;
  const name = normaliseName(fqdn);
  if (name !== apex && !name.endsWith(`.${apex}`)) throw new ProviderError(PROVIDER, 'protocol', 'a DNS record in the reply is outside the zone');
  return {
    id: value.id,
    ...(typeof value.domainName === 'string' ? { domainName: value.domainName } : {}),
    ...(host === undefined ? {} : { host }),
    fqdn,
    type: value.type,
    // Left out when empty (name.com/api-docs: default values are omitted).
    answer: typeof value.answer === 'string' ? value.answer : '',
    ttl: value.ttl,
    ...(typeof value.priority === 'number' ? { priority: value.priority } : {}),
  };
}

// ------------------------------------------------------------------------------------------------------- errors

/**
 * A non-2xx reply → ProviderError. Name.com bodies are `{"message": …, "details"?: …}` (name.com/api-docs
 * "ErrorMessage"; ncom-spec `Unauthorized401`, `GenericForbidden403`, `NotFound404`, `InvalidArgument400`, …; §6
 * "Errors"). Provider text is scrubbed of every credential (and of the Basic header they make) before it is kept.
 */
export function namecomError(reply: HttpReply, credentials: ProviderCredentials, context: { subject: Subject; write: boolean }): ProviderError {
  let message = '';
  let malformed = false;
  try {
    const body: unknown = JSON.parse(reply.text);
    if (isObject(body)) {
      const parts = [body.message, body.details].filter((p): p is string => typeof p === 'string' && p.trim() !== '');
      message = clean(redactCredentials(parts.join(': '), credentials, [basicValue(credentials)])).slice(0, 300);
    } else malformed = true;
  } catch {
    malformed = true;
  }
  const status = reply.status;
  if (status === 429) {
    return new ProviderError(PROVIDER, 'rate_limited', 'rate limit reached (20 requests a second, 3000 an hour)', {
      retryAfterSeconds: retryAfterSeconds(reply.headers) ?? resetSeconds(reply.headers) ?? 1,
    });
  }
  if (status >= 500) return new ProviderError(PROVIDER, 'unavailable', malformed ? `HTTP ${status} with ${describeBody(reply.text)}` : `HTTP ${status}`);
  if (status === 401) {
    // `{"message":"Unauthorized"}` (§6 "Auth"): anything else it says is kept.
    const extra = message && message.toLowerCase() !== 'unauthorized' ? ` (${message})` : '';
    return new ProviderError(PROVIDER, 'auth', `invalid username or API token${extra}`);
  }
  if (status === 403) {
    // A record write: "The authoritative nameserver for the request domain is not name.com, or the request domain
    // is expired" (ncom-spec Update/Delete Record). Anything else: the account refused the credentials (trap 4).
    if (context.write && context.subject !== 'account') return new ProviderError(PROVIDER, 'forbidden', NAMESERVERS_ELSEWHERE);
    return new ProviderError(PROVIDER, 'auth', CREDENTIALS_REFUSED);
  }
  if (status === 404) {
    return context.subject === 'record'
      ? new ProviderError(PROVIDER, 'conflict', 'a record to change no longer exists (the zone changed since it was read)')
      : new ProviderError(PROVIDER, 'not_found', 'domain not found in this account');
  }
  if (malformed) return new ProviderError(PROVIDER, 'protocol', `HTTP ${status} with ${describeBody(reply.text)}`);
  // 409: a duplicate on update (Core changelog 1.6.0, §6 "Errors"); 400: "Invalid Argument" with the reason in details.
  if (status === 400 || status === 409 || status === 422) return new ProviderError(PROVIDER, 'rejected', `refused the record: ${message || `HTTP ${status}`}`);
  if (status === 415) return new ProviderError(PROVIDER, 'protocol', 'the request was refused as not JSON');
  return new ProviderError(PROVIDER, 'protocol', `unexpected HTTP ${status}`);
}

/** Seconds until `x-ratelimit-reset` (epoch seconds, ncom-spec every 429). */
function resetSeconds(headers: HttpReply['headers']): number | undefined {
  const raw = headers['x-ratelimit-reset'];
  const value = Number(Array.isArray(raw) ? raw[0] : raw);
  if (!Number.isFinite(value) || value <= 0) return undefined;
  return Math.max(0, value - Date.now() / 1000);
}

/** The Basic credentials as they travel (`user:token` in base64): echoed, they are as secret as the token. */
function basicValue(credentials: ProviderCredentials): string {
  return Buffer.from(`${(credentials.apiUser ?? '').trim()}:${credentials.apiKey.trim()}`, 'utf8').toString('base64');
}

// ------------------------------------------------------------------------------------------------------ helpers

function recordIdOf(record: DnsRecord | undefined): number | undefined {
  if (!record) return undefined;
  if (isObject(record.raw) && typeof record.raw.id === 'number') return record.raw.id;
  const id = Number(record.id);
  return record.id !== undefined && Number.isInteger(id) ? id : undefined;
}

function sameRecord(a: DnsRecord, b: DnsRecord): boolean {
  return a.type.toUpperCase() === b.type.toUpperCase() && normaliseName(a.name) === normaliseName(b.name) && a.content === b.content && a.priority === b.priority;
}

const normaliseName = (name: string) => name.trim().toLowerCase().replace(/\.$/, '');

/** Full name → Name.com's relative `host`, `@` for the apex. */
function relativeName(full: string, apex: string): string {
  if (full === apex) return '@';
  if (full.endsWith(`.${apex}`)) return full.slice(0, -(apex.length + 1));
  throw rejected(`${full} is not inside the zone ${apex}`);
}

function recordsPath(domain: string): string {
  return `${API}/domains/${encodeURIComponent(domain)}/records`;
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
