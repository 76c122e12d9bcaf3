/**
 * Gandi LiveDNS (API v5) adapter (`https://api.gandi.net/v5/livedns`). Facts and sources:
 * ../shared/reference/providers-registrars.md §4 ("go-gandi" = go-gandi/go-gandi@29df693, "octodns-gandi" =
 * octodns/octodns-gandi@716be2f, "dnscontrol" = StackExchange/dnscontrol@7a079bc providers/gandiv5), §0 and §8.
 *
 * LiveDNS has no record ids: the unit of writing is the rrset (relative name + type, one TTL, a list of values).
 * - `PUT /domains/{fqdn}/records/{name}/{type}` replaces ALL values of that rrset (§4 trap 1; lego `AddTXTRecord`
 *   reads, appends and PUTs every value). Every PUT here carries every value read, byte for byte as Gandi returned it,
 *   plus the plan's, minus what the plan deletes; the rrset keeps the TTL it had while it keeps a value the plan does
 *   not name (one TTL per rrset: changing it would alter the customer's records).
 * - `POST /domains/{fqdn}/records` creates an rrset that was not there when the zone was read; it answers 409 when the
 *   rrset exists (§4 endpoints, stalwartlabs/dns-update PR #42), so a record set someone else made meanwhile is
 *   never overwritten.
 * - `DELETE /domains/{fqdn}/records/{name}/{type}` removes an rrset the plan empties.
 * - Never `PUT /domains/{fqdn}/records` (the whole zone) or `PUT …/records/{name}` (every type at a name) (§4 trap 3).
 * One call per changed rrset, after one paginated read (`GET /domains/{fqdn}/records`, every page).
 */
import { UncertainWrite } from './apply-progress.js';
import { REQUIRED_CREDENTIALS } from './credentials.js';
import { redactCredentials } from './redact.js';
import { restoredTxt } from './restore.js';
import { applyRrsetWrites, draftRrsets, liveValues, sameValues, type RrsetDraft } from './rrset-apply.js';
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
import { readWholeList } from './zone-read.js';

const PROVIDER = 'gandi' as const;

/** An rrset as LiveDNS returns it (go-gandi `livedns.DomainRecord`); the name is relative, `@` for the apex. */
export interface GandiRrset {
  readonly rrset_name: string;
  readonly rrset_type: string;
  readonly rrset_ttl: number;
  readonly rrset_values: readonly string[];
  readonly rrset_href?: string;
}

/** What a neutral record keeps of the wire: its rrset as read and its own value string, exactly as Gandi sent it. */
export interface GandiRaw {
  readonly rrset: GandiRrset;
  readonly value: string;
}

/** dnscontrol gandiv5: "Gandi does not support ttls < 300"; the longest is 30 days (§4 "Wire format"). */
export const GANDI_MIN_TTL = 300;
export const GANDI_MAX_TTL = 2_592_000;
/** Not documented; a 4096-bit DKIM key (~740 bytes) fits [infer]. */
export const GANDI_MAX_TXT = 1024;

export const GANDI_CAPABILITIES: ProviderCapabilities = {
  recordTypes: new Set(['A', 'AAAA', 'CNAME', 'MX', 'NS', 'SRV', 'TXT', 'CAA']),
  minTtl: GANDI_MIN_TTL,
  maxTtl: GANDI_MAX_TTL,
  // One call per rrset; the one atomic write (the whole-zone PUT) is never used.
  atomicApply: false,
  // An rrset PUT replaces whatever is there now: only the zone lock guards it (a POST of a new rrset is refused with
  // 409 when someone made it meanwhile, but that does not cover the PUTs).
  guardedWrite: false,
  maxTxtLength: GANDI_MAX_TXT,
  // GET …/records (one page); then one POST, PUT or DELETE per changed rrset.
  upstreamCalls: { read: 1, write: { perPlan: 0, perRrset: 1, perRecord: 0 } },
  writes:
    'one call per changed rrset: `PUT` carrying every existing value of that rrset, `POST` for a new rrset (refused if someone made it meanwhile), `DELETE` when it ends empty; never the zone `PUT`',
};

export interface GandiOptions {
  /** `per_page` asked of the record list (§4 endpoints: paginated). @default 500 */
  readonly pageSize?: number;
}

/** Reads and the idempotent rrset PUT/DELETE are repeated on 429, 5xx, timeouts and resets. */
const RETRY: RetryPolicy = {
  attempts: 4,
  baseDelayMs: 250,
  maxDelayMs: 20_000,
  retryOn: (error) => error.kind === 'rate_limited' || error.kind === 'unavailable' || error.kind === 'timeout',
};
/** A POST is repeated blindly only after a 429 (refused before it ran [infer]); otherwise the rrset is re-read first. */
const CREATE_RETRY: RetryPolicy = { ...RETRY, retryOn: (error) => error.kind === 'rate_limited' };
const CREATE_SENDS = 3;
/** A runaway `Link: rel="next"` must not page forever. */
const MAX_PAGES = 1000;

export function createGandiProvider(deps: AdapterDeps, options: GandiOptions = {}): DnsProvider {
  return {
    id: PROVIDER,
    capabilities: GANDI_CAPABILITIES,
    requiredCredentials: REQUIRED_CREDENTIALS.gandi,
    connect: (credentials, connectOptions) => new GandiSession(deps, credentials, options.pageSize ?? 500, commandBounds(deps, connectOptions)),
  };
}

type Outcome = 'landed' | 'absent' | 'unknown';

class GandiSession implements ProviderSession {
  private readonly base: string;

  constructor(
    private readonly deps: AdapterDeps,
    private readonly credentials: ProviderCredentials,
    private readonly pageSize: number,
    private readonly bounds: CommandBounds,
  ) {
    this.base = deps.baseUrl.replace(/\/+$/, '');
  }

  /** LiveDNS zones are domains (`/domains/{fqdn}`): the registrable domain, no call needed. */
  async findZone(domain: string): Promise<Zone> {
    const parsed = normaliseDomain(domain);
    if (!parsed.ok) throw new ProviderError(PROVIDER, 'rejected', parsed.reason);
    return { name: parsed.registrable, id: parsed.registrable };
  }

  /** `GET /domains/{fqdn}` (§4 "Auth": the check for one domain); writes nothing. */
  async authorize(domain: string): Promise<Zone> {
    const zone = await this.findZone(domain);
    const body = parseBody(await this.call('GET', domainPath(zone), undefined, RETRY));
    if (!isObject(body)) throw new ProviderError(PROVIDER, 'protocol', 'the domain reply was not an object');
    return zone;
  }

  /**
   * `GET /domains/{fqdn}/records`, every page: the list is paginated, the next page named by a `Link: rel="next"`
   * header (go-gandi `GetDomainRecords` follows it). Only its `page` and `per_page` are taken, always on our own base URL.
   * Pages are offsets into the list: an rrset added or deleted on an earlier page while the later ones are read shifts
   * them, and an rrset would be skipped or read twice. So when `Total-Count` changes between pages, or an rrset (name and
   * type) comes twice, the zone is read again, once.
   */
  async readZone(zone: Zone): Promise<ZoneContents> {
    const read = await readWholeList(PROVIDER, () => this.readRrsets(zone));
    return { records: read.rrsets.flatMap((rrset) => fromGandi(rrset, zone.name)) };
  }

  private async readRrsets(zone: Zone): Promise<{ rrsets: GandiRrset[]; complete: boolean }> {
    const rrsets: GandiRrset[] = [];
    const keys = new Set<string>();
    const totals = new Set<string>();
    let query = `per_page=${this.pageSize}&page=1`;
    for (let pages = 1; ; pages++) {
      const reply = await this.call('GET', `${domainPath(zone)}/records?${query}`, undefined, RETRY);
      for (const rrset of parseRrsets(parseBody(reply))) {
        keys.add(`${rrset.rrset_type.toUpperCase()} ${fullName(rrset.rrset_name, zone.name)}`);
        rrsets.push(rrset);
      }
      const total = reply.headers['total-count'];
      if (total !== undefined) totals.add(String(total));
      const next = nextPage(reply.headers.link, this.pageSize);
      if (!next) break;
      if (pages >= MAX_PAGES) throw new ProviderError(PROVIDER, 'protocol', `the record list did not end after ${MAX_PAGES} pages`);
      query = next;
    }
    return { rrsets, complete: totals.size <= 1 && keys.size === rrsets.length };
  }

  /**
   * One rrset call after another, in the order each rrset is first named by the plan. A failure stops the plan with
   * the error naming what was applied, what not, and what is unknown.
   */
  async applyChanges(zone: Zone, contents: ZoneContents, changes: readonly RecordChange[]): Promise<ApplyResult> {
    if (changes.length === 0) return { applied: [] };
    return applyRrsetWrites(changes, planRrsetWrites(zone.name, contents.records, changes), (write) => this.write(zone, write));
  }

  private async write(zone: Zone, write: RrsetWrite): Promise<void> {
    const path = rrsetPath(zone, write.name, write.type);
    if (write.method === 'POST') return this.create(zone, write, path);
    try {
      if (write.method === 'PUT') await this.call('PUT', path, JSON.stringify({ rrset_ttl: write.ttl, rrset_values: write.values }), RETRY);
      // A repeated DELETE whose earlier try reached Gandi finds the rrset gone: the wanted end state.
      else await this.call('DELETE', path, undefined, RETRY, (reply, attempt) => attempt > 1 && reply.status === 404);
    } catch (error) {
      if (!(error instanceof ProviderError) || error.isCallerFault) throw error;
      const outcome = await this.outcome(path, write);
      if (outcome === 'landed') return;
      if (outcome === 'unknown') throw new UncertainWrite(error);
      throw error;
    }
  }

  /** POST of a new rrset; after a failure that may have reached Gandi, the rrset is re-read before sending it again. */
  private async create(zone: Zone, write: RrsetWrite, path: string): Promise<void> {
    const body = JSON.stringify({ rrset_name: write.name, rrset_type: write.type, rrset_ttl: write.ttl, rrset_values: write.values });
    for (let sends = 1; ; sends++) {
      try {
        await this.call('POST', `${domainPath(zone)}/records`, body, CREATE_RETRY);
        return;
      } catch (error) {
        if (!(error instanceof ProviderError)) throw error;
        if (error.isCallerFault || error.kind === 'rate_limited') throw error;
        const outcome = await this.outcome(path, write);
        if (outcome === 'landed') return;
        if (outcome === 'unknown') throw new UncertainWrite(error);
        if (sends >= CREATE_SENDS) throw error;
      }
    }
  }

  /**
   * `GET /domains/{fqdn}/records/{name}/{type}` after a failed write: landed when the rrset holds exactly what was
   * sent (or is gone, for a DELETE); a 404 is an empty rrset (lego treats it so).
   */
  private async outcome(path: string, write: RrsetWrite): Promise<Outcome> {
    let now: GandiRrset | undefined;
    try {
      const reply = await this.call('GET', path, undefined, RETRY, (r) => r.status === 404, 0);
      if (reply.status !== 404) {
        const [rrset] = parseRrsets([parseBody(reply)]);
        now = rrset;
      }
    } catch {
      return 'unknown';
    }
    if (write.method === 'DELETE') return now ? 'absent' : 'landed';
    if (!now || now.rrset_ttl !== write.ttl) return 'absent';
    return sameValues(now.rrset_values, write.values, (v) => JSON.stringify(neutralValue(write.type, v, ''))) ? 'landed' : 'absent';
  }

  private async call(
    method: 'GET' | 'POST' | 'PUT' | 'DELETE',
    path: string,
    body: string | undefined,
    policy: RetryPolicy,
    done?: (reply: HttpReply, attempt: number) => boolean,
    reserve = method === 'GET' ? 0 : writeReserveMs(this.bounds),
  ): Promise<HttpReply> {
    const token = checkToken(this.credentials.apiKey);
    // A personal access token as a Bearer token; the older `Apikey` scheme is deprecated (§4 "Auth").
    const headers: Record<string, string> = { authorization: `Bearer ${token}`, accept: 'application/json' };
    if (body !== undefined) headers['content-type'] = 'application/json';
    const url = `${this.base}${path}`;
    return withRetries(
      policy,
      async (attempt) => {
        const reply = await withAttemptSignal(PROVIDER, this.bounds, reserve, (signal) =>
          send(PROVIDER, this.deps, url, { method, headers, body, signal }),
        );
        if ((reply.status >= 200 && reply.status < 300) || done?.(reply, attempt)) return reply;
        throw gandiErrorFromReply(reply, this.credentials, method);
      },
      { deadline: this.bounds.deadline - reserve, sleep: this.deps.sleep, signal: this.bounds.signal },
    );
  }
}

// ------------------------------------------------------------------------------------------------ planning

/** One rrset call and the changes it carries. */
export interface RrsetWrite {
  readonly method: 'POST' | 'PUT' | 'DELETE';
  readonly type: string;
  /** Relative name, `@` for the apex. */
  readonly name: string;
  readonly ttl: number;
  /** The whole rrset after the write (empty for a DELETE). */
  readonly values: string[];
  readonly changes: RecordChange[];
}

/**
 * Pure planning (exported for tests): the changes grouped by rrset, each rrset rebuilt from the zone as read with every
 * value it keeps written back byte for byte. Everything Gandi would refuse is refused here, before any call.
 */
export function planRrsetWrites(apex: string, records: readonly DnsRecord[], changes: readonly RecordChange[]): RrsetWrite[] {
  const drafts = draftRrsets<GandiRrset>(
    {
      provider: PROVIDER,
      recordTypes: GANDI_CAPABILITIES.recordTypes,
      relativeName: (fullName) => relativeName(fullName, apex),
      open: (type, name) => {
        const read = records.filter((r) => r.type.toUpperCase() === type && relativeName(r.name, apex) === name);
        return {
          existing: read.map((r) => rawOf(r)?.rrset).find((r) => r !== undefined),
          values: read.map((r) => ({ value: rawOf(r)?.value ?? wireValue(type, r), kept: true, ttl: r.ttl })),
        };
      },
      valueAsRead: (record) => rawOf(record)?.value,
      neutralValue: (type, value) => neutralValue(type, value, apex),
      checkWritable,
      wireValue,
    },
    changes,
  );
  const writes = drafts.map((set) => toWrite(set, apex));
  checkCnames(apex, records, writes);
  return writes;
}

function toWrite(set: RrsetDraft<GandiRrset>, apex: string): RrsetWrite {
  const live = liveValues(set);
  const values = live.map((v) => v.value);
  const shown = set.name === '@' ? apex : `${set.name}.${apex}`;
  if (new Set(values).size !== values.length) throw rejected(`the ${set.type} record set at ${shown} would hold the same value twice`);
  // One TTL per rrset: the one it has while it keeps a value the plan does not name, else the smallest the plan asks
  // (dnscontrol `recordsToNative` takes the smaller of two).
  const keepsOthers = set.existing !== undefined && live.some((v) => v.kept);
  const ttl = keepsOthers ? set.existing!.rrset_ttl : Math.min(...live.map((v) => v.ttl));
  if (values.length > 0 && (!Number.isInteger(ttl) || ttl < GANDI_MIN_TTL || ttl > GANDI_MAX_TTL)) {
    throw rejected(`TTL ${ttl} of the ${set.type} record set at ${shown} is outside Gandi's ${GANDI_MIN_TTL}–${GANDI_MAX_TTL} seconds`);
  }
  const method = values.length === 0 ? 'DELETE' : set.existing ? 'PUT' : 'POST';
  if (method === 'DELETE' && !set.existing) throw rejected(`the ${set.type} record set at ${shown} is not in the zone`);
  return { method, type: set.type, name: set.name, ttl: method === 'DELETE' ? 0 : ttl, values, changes: set.changes };
}

function checkWritable(record: DesiredRecord): void {
  const type = record.type.toUpperCase();
  if (!Number.isInteger(record.ttl) || record.ttl < GANDI_MIN_TTL || record.ttl > GANDI_MAX_TTL) {
    throw rejected(`TTL ${record.ttl} of the ${type} record at ${record.name} is outside Gandi's ${GANDI_MIN_TTL}–${GANDI_MAX_TTL} seconds`);
  }
  if (record.content.trim() === '') throw rejected(`the ${type} record at ${record.name} has no content`);
  if (type === 'TXT' && Buffer.byteLength(record.content, 'utf8') > GANDI_MAX_TXT) {
    throw rejected(`the TXT record at ${record.name} is longer than ${GANDI_MAX_TXT} bytes`);
  }
}

/**
 * A CNAME is alone at its name and holds one value (RFC 1034 §3.6.2, RFC 2181 §10.1): a plan that would break that is
 * refused before any call [infer: Gandi's own answer to it is unconfirmed].
 */
function checkCnames(apex: string, records: readonly DnsRecord[], writes: readonly RrsetWrite[]): void {
  const after = new Map<string, number>();
  for (const r of records) after.set(`${r.type.toUpperCase()} ${relativeName(r.name, apex)}`, (after.get(`${r.type.toUpperCase()} ${relativeName(r.name, apex)}`) ?? 0) + 1);
  for (const w of writes) after.set(`${w.type} ${w.name}`, w.values.length);
  for (const w of writes) {
    if (w.values.length === 0) continue;
    const shown = w.name === '@' ? apex : `${w.name}.${apex}`;
    const others = [...after].filter(([key, n]) => n > 0 && key.slice(key.indexOf(' ') + 1) === w.name && !key.startsWith(`${w.type} `));
    if (w.type === 'CNAME' && w.values.length > 1) throw rejected(`a CNAME at ${shown} can hold one value only`);
    if ((w.type === 'CNAME' && others.length > 0) || (w.type !== 'CNAME' && others.some(([key]) => key.startsWith('CNAME ')))) {
      throw rejected(`a CNAME at ${shown} cannot share its name with other records`);
    }
  }
}

/**
 * A neutral record → the value string Gandi takes: TXT as quoted 255-byte strings with `"` and `\` escaped
 * (dnscontrol `txtutil.EncodeQuoted`); CNAME/NS targets as FQDNs with the trailing dot (a target without one is
 * relative to the zone, §4 trap 2); MX `pref target.`; SRV `prio weight port target.` (octodns-gandi `_params_for_*`).
 */
export function wireValue(type: string, record: { content: string; priority?: number | undefined; restoreWireValue?: unknown }): string {
  const content = record.content.trim();
  switch (type) {
    case 'TXT':
      return restoredTxt(record, unquoteTxt) ?? encodeTxt(record.content);
    case 'CNAME':
    case 'NS':
      return fqdn(content);
    case 'MX':
      return `${record.priority ?? 0} ${fqdn(content)}`;
    case 'SRV': {
      const [weight, port, target] = content.split(/\s+/);
      return `${record.priority ?? 0} ${weight ?? 0} ${port ?? 0} ${fqdn(target ?? '.')}`;
    }
    default:
      return content;
  }
}

const fqdn = (host: string) => (host === '.' || host.endsWith('.') ? host : `${host}.`);

// ------------------------------------------------------------------------------------------------ reading

/** An rrset → one neutral record per value (pure; exported for tests). */
export function fromGandi(rrset: GandiRrset, apex: string): DnsRecord[] {
  const type = rrset.rrset_type.toUpperCase();
  const name = fullName(rrset.rrset_name, apex);
  return rrset.rrset_values.map((value) => {
    const { content, priority } = neutralValue(type, value, apex);
    const raw: GandiRaw = { rrset, value };
    // A TXT value is kept as entered, in the customer's quoted strings (§4 wire format: several strings per value):
    // a revert writes it back.
    return { type, name, content, ttl: rrset.rrset_ttl, ...(priority === undefined ? {} : { priority }), raw, ...(type === 'TXT' ? { wireValue: value } : {}) };
  });
}

/**
 * One value string → neutral content (and priority). Targets without a trailing dot are relative to the zone
 * (octodns-gandi `zone_records`; the Ansible `gandi_livedns` example writes a CNAME value `www`); `@` is the apex.
 */
export function neutralValue(type: string, value: string, apex: string): { content: string; priority?: number } {
  const target = (host: string) => {
    if (host === '@') return apex;
    if (host.endsWith('.')) return host.slice(0, -1).toLowerCase();
    return apex ? `${host}.${apex}`.toLowerCase() : host.toLowerCase();
  };
  const parts = value.trim().split(/\s+/);
  switch (type) {
    case 'TXT':
      return { content: unquoteTxt(value) };
    case 'CNAME':
    case 'NS':
      return { content: target(value.trim()) };
    case 'MX':
      return { content: target(parts[1] ?? ''), priority: Number(parts[0]) };
    case 'SRV':
      return { content: `${parts[1] ?? 0} ${parts[2] ?? 0} ${target(parts[3] ?? '.')}`, priority: Number(parts[0]) };
    default:
      return { content: value };
  }
}

const QUOTED = /^\s*"(?:[^"\\]|\\.)*"(?:\s*"(?:[^"\\]|\\.)*")*\s*$/s;

/** `"a" "b"` → `ab` (dnscontrol `txtutil.ParseQuoted`), unescaping `\"`, `\\` and `\DDD`; an unquoted value is itself. */
export function unquoteTxt(value: string): string {
  if (!QUOTED.test(value)) return value;
  const bytes: number[] = [];
  for (const match of value.matchAll(/"((?:[^"\\]|\\.)*)"/gs)) {
    for (const token of (match[1] ?? '').matchAll(/\\(\d{3})|\\([\s\S])|([\s\S])/gu)) {
      if (token[1] !== undefined) bytes.push(Number(token[1]) & 0xff);
      else bytes.push(...Buffer.from(token[2] ?? token[3] ?? '', 'utf8'));
    }
  }
  return Buffer.from(bytes).toString('utf8');
}

/** The value as quoted strings of at most 255 bytes (`"c1" "c2"`), never splitting a UTF-8 character or an escape. */
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

function rawOf(record: DnsRecord): GandiRaw | undefined {
  const raw = record.raw as Partial<GandiRaw> | undefined;
  return raw && typeof raw.value === 'string' && isRrset(raw.rrset) ? (raw as GandiRaw) : undefined;
}

/**
 * `per_page=500&page=2` from `Link: <…?page=2&per_page=500>; rel="next"`, or undefined when no next page is linked.
 * A next page that is linked but not named by a page number is an error: taking it for the end of the list would plan
 * over part of the zone.
 */
function nextPage(header: string | string[] | undefined, asked: number): string | undefined {
  const text = Array.isArray(header) ? header.join(',') : header;
  if (!text) return undefined;
  for (const part of text.split(',')) {
    const match = /<([^>]*)>\s*;\s*rel="?next"?/i.exec(part);
    if (!match) continue;
    let url: URL | undefined;
    try {
      url = new URL(match[1] ?? '', 'http://link.invalid');
    } catch {
      url = undefined;
    }
    const page = url?.searchParams.get('page');
    const perPage = url?.searchParams.get('per_page');
    if (!page || !/^\d+$/.test(page)) throw new ProviderError(PROVIDER, 'protocol', 'the record list links a next page without a page number');
    // Without its own `per_page`, the next page is numbered at the size asked: another size would shift where it starts.
    return `per_page=${perPage && /^\d+$/.test(perPage) ? perPage : asked}&page=${page}`;
  }
  return undefined;
}

function parseRrsets(body: unknown): GandiRrset[] {
  if (!Array.isArray(body)) throw new ProviderError(PROVIDER, 'protocol', 'the record list was not an array');
  for (const item of body) if (!isRrset(item)) throw new ProviderError(PROVIDER, 'protocol', 'an rrset lacks its name, type, TTL or values');
  return body as GandiRrset[];
}

function isRrset(value: unknown): value is GandiRrset {
  return (
    isObject(value) &&
    typeof value.rrset_name === 'string' &&
    typeof value.rrset_type === 'string' &&
    typeof value.rrset_ttl === 'number' &&
    Array.isArray(value.rrset_values) &&
    value.rrset_values.every((v) => typeof v === 'string')
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

interface GandiErrorBody {
  readonly code?: unknown;
  readonly message?: unknown;
  readonly object?: unknown;
  readonly cause?: unknown;
  readonly errors?: unknown;
}

/**
 * A non-2xx LiveDNS reply → ProviderError. Bodies are `{code, message, object, cause, errors?: [{location, name,
 * description}]}` (go-gandi `types.StandardResponse`). Provider text goes through `redactCredentials`.
 */
export function gandiErrorFromReply(reply: HttpReply, credentials: ProviderCredentials, method = 'GET'): ProviderError {
  const { status } = reply;
  let body: GandiErrorBody = {};
  let malformed = false;
  try {
    const parsed: unknown = JSON.parse(reply.text);
    if (isObject(parsed)) body = parsed;
    else malformed = true;
  } catch {
    malformed = reply.text.trim() !== '';
  }
  const clean = (text: string) => redactCredentials(text.replace(/[\u0000-\u001f\u007f]/g, ' '), credentials);
  const message = typeof body.message === 'string' ? clean(body.message) : '';

  // 401 HTTPUnauthorized: an unknown, revoked or expired token (PATs expire, §4 "Auth").
  if (status === 401) return new ProviderError(PROVIDER, 'auth', 'invalid or expired personal access token');
  // 403 HTTPForbidden "Access was denied to this resource." (ddns-updater#852, caddy-dns/gandi#5, §4 "Auth").
  if (status === 403) return new ProviderError(PROVIDER, 'forbidden', "the token has no access to this domain's DNS (its organisation or permissions)");
  if (status === 429) {
    // The documented limit is unconfirmed (§4 "Wire format"); Retry-After [infer].
    return new ProviderError(PROVIDER, 'rate_limited', 'rate limit reached', { retryAfterSeconds: retryAfterSeconds(reply.headers) });
  }
  if (status >= 500) return new ProviderError(PROVIDER, 'unavailable', malformed ? `HTTP ${status} with ${describeBody(reply.text)}` : `HTTP ${status}`);
  if (status === 404) {
    // On an rrset write the rrset is gone since it was read; elsewhere the domain is not on LiveDNS here
    // (octodns-gandi `GandiClientNotFound`).
    if (method === 'PUT' || method === 'DELETE') return new ProviderError(PROVIDER, 'conflict', 'a record set to change no longer exists (the zone changed since it was read)');
    return new ProviderError(PROVIDER, 'not_found', 'domain not found on LiveDNS in this account');
  }
  if (status === 409) {
    // POST of an rrset that exists (stalwartlabs/dns-update PR #42).
    return new ProviderError(PROVIDER, 'conflict', 'a record set to create exists already (the zone changed since it was read)');
  }
  if (malformed) return new ProviderError(PROVIDER, 'protocol', `HTTP ${status} with ${describeBody(reply.text)}`);
  if (status === 400 || status === 422) {
    const details = Array.isArray(body.errors)
      ? body.errors
          .filter(isObject)
          .map((e) => [e.name, e.description].filter((p): p is string => typeof p === 'string').join(': '))
          .filter(Boolean)
          .map(clean)
      : [];
    const text = [message, ...details].filter(Boolean).join('; ') || `HTTP ${status}`;
    return new ProviderError(PROVIDER, 'rejected', `the change was refused: ${text}`.slice(0, 500));
  }
  return new ProviderError(PROVIDER, 'protocol', `unexpected HTTP ${status}`);
}

// ------------------------------------------------------------------------------------------------ helpers

function checkToken(token: string): string {
  if (token === '') throw new ProviderError(PROVIDER, 'auth', 'no personal access token given');
  if (!/^[\x21-\x7e]+$/.test(token)) throw new ProviderError(PROVIDER, 'auth', 'invalid personal access token (malformed)');
  return token;
}

function domainPath(zone: Zone): string {
  return `/domains/${encodeURIComponent(zone.name)}`;
}

/** `@` goes literally, as the API's own `rrset_href` has it (octodns-gandi fixture: `records/%40/A` is the same). */
function rrsetPath(zone: Zone, name: string, type: string): string {
  return `${domainPath(zone)}/records/${encodeURIComponent(name).replace(/%40/g, '@')}/${encodeURIComponent(type)}`;
}

function fullName(relative: string, apex: string): string {
  const name = relative.toLowerCase().replace(/\.$/, '');
  return name === '@' || name === '' ? apex : `${name}.${apex}`;
}

/** Full name → the relative rrset name (`@` for the apex). */
function relativeName(full: string, apex: string): string {
  const name = full.trim().toLowerCase().replace(/\.$/, '');
  if (name === apex) return '@';
  if (name.endsWith(`.${apex}`)) return name.slice(0, -(apex.length + 1));
  throw rejected(`${name} is not inside the zone ${apex}`);
}

function describeBody(text: string): string {
  return /^\s*</.test(text) ? 'an HTML page' : 'a malformed body';
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function rejected(reason: string): ProviderError {
  return new ProviderError(PROVIDER, 'rejected', reason);
}
