/**
 * GoDaddy Domains API v1 adapter (facts and sources: ../shared/reference/providers.md §2).
 *
 * GoDaddy has no record ids and no batch: the unit of writing is the rrset (type + relative name). A change is applied
 * by reading the zone once, rebuilding each touched rrset from what was read (untouched values written back exactly as
 * GoDaddy returned them) and replacing that rrset with one `PUT /v1/domains/{domain}/records/{type}/{name}`; an rrset
 * that ends empty is removed with `DELETE` because GoDaddy ignores `PUT []` (lexicon `godaddy.py`). `PUT /records`
 * (whole zone) and `PATCH` are never used: the first wipes the zone, the second only appends.
 */
import { partialApplyError } from './apply-progress.js';
import { REQUIRED_CREDENTIALS } from './credentials.js';
import { redactCredentials } from './redact.js';
import { registrableDomain } from '../src/domain.js';
import {
  withAttemptSignal,
  commandBounds,
  send,
  withRetries,
  retryAfterSeconds,
  writeReserveMs,
  type AdapterDeps,
  type CommandBounds,
  refuseUnsendableToken,
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
import { restoredTxt } from './restore.js';

/** A record as GoDaddy's `DNSRecord` schema has it (gd-swagger); `name` is relative, `@` for the apex. */
export interface GodaddyRecord {
  readonly type: string;
  readonly name: string;
  readonly data: string;
  readonly ttl?: number;
  readonly priority?: number;
  readonly port?: number;
  readonly weight?: number;
  readonly service?: string;
  readonly protocol?: string;
}

/** One value in a `PUT …/records/{type}/{name}` body: a DNSRecord without name and type (gd-swagger). */
export type GodaddyRrsetValue = Omit<GodaddyRecord, 'name' | 'type'>;

export const GODADDY_MIN_TTL = 600;
export const GODADDY_MAX_TTL = 604_800;

/**
 * Types the adapter writes. v1 has no CAA (lexicon PR #506); NS and SOA are readable but `DELETE type/name` does not
 * accept them (gd-swagger), so an NS rrset could never be emptied: they are left to the registrar's own tools.
 */
export const GODADDY_CAPABILITIES: ProviderCapabilities = {
  recordTypes: new Set(['A', 'AAAA', 'CNAME', 'MX', 'SRV', 'TXT']),
  // lego `minTTL = 600`; lexicon clamps to 600–604800.
  minTtl: GODADDY_MIN_TTL,
  maxTtl: GODADDY_MAX_TTL,
  atomicApply: false,
  // An rrset PUT replaces what is there, whatever was read: the zone lock is the guard.
  guardedWrite: false,
  // No documented limit; a 2048-bit DKIM key (~410 bytes) is written and read back whole [infer].
  maxTxtLength: 1024,
  // GET …/records (one page); one PUT (or DELETE when it ends empty) per changed rrset.
  upstreamCalls: { read: 1, write: { perPlan: 0, perRrset: 1, perRecord: 0 } },
  writes: 'one `PUT` per changed rrset carrying every existing value of that rrset (`DELETE` when it ends empty)',
};

export interface GodaddyOptions {
  /** Records asked for per `GET …/records` page; a zone larger than this is read in several pages. @default 500 */
  readonly pageSize?: number;
}

const PROVIDER = 'godaddy' as const;

/**
 * 409 answers for a few seconds after an edit (lexicon retries 409 ten times); 429 carries `retryAfterSec`.
 * Only used for reads and for rrset PUT/DELETE, which are idempotent.
 */
const RETRY_POLICY: RetryPolicy = {
  attempts: 10,
  baseDelayMs: 250,
  maxDelayMs: 20_000,
  retryOn: (error) => error.kind === 'rate_limited' || error.kind === 'unavailable' || error.kind === 'timeout',
};

export function createGodaddyProvider(deps: AdapterDeps, options: GodaddyOptions = {}): DnsProvider {
  return {
    id: PROVIDER,
    capabilities: GODADDY_CAPABILITIES,
    requiredCredentials: REQUIRED_CREDENTIALS.godaddy,
    connect: (credentials, connectOptions) => new GodaddySession(deps, credentials, options.pageSize ?? 500, commandBounds(deps, connectOptions)),
  };
}

class GodaddySession implements ProviderSession {
  constructor(
    private readonly deps: AdapterDeps,
    private readonly credentials: ProviderCredentials,
    private readonly pageSize: number,
    /** One deadline for the whole command: every read, write, retry and re-read below shares it. */
    private readonly bounds: CommandBounds,
  ) {}

  /** The zone is the registrable domain: GoDaddy hosts zones only for domains (no call needed). */
  async findZone(domain: string): Promise<Zone> {
    const apex = registrableDomain(domain);
    if (!apex) throw new ProviderError(PROVIDER, 'rejected', 'not a registrable domain name');
    return { name: apex, id: apex };
  }

  /** `GET /v1/domains/{domain}`: lexicon's `authenticate()`; proves the key can see the domain, writes nothing. */
  async authorize(domain: string): Promise<Zone> {
    const zone = await this.findZone(domain);
    const reply = await this.call('GET', domainPath(zone.name), undefined);
    const detail = parseBody(reply);
    if (!isObject(detail)) throw new ProviderError(PROVIDER, 'protocol', 'domain details were not an object');
    return zone;
  }

  async readZone(zone: Zone): Promise<ZoneContents> {
    const records: DnsRecord[] = [];
    // gd-swagger `recordGet` takes `offset`/`limit`; a page shorter than asked is the last one.
    for (let offset = 0; ; ) {
      const path = `${domainPath(zone.name)}/records?offset=${offset}&limit=${this.pageSize}`;
      const page = parseRecordList(parseBody(await this.call('GET', path, undefined)));
      for (const raw of page) records.push(fromGodaddy(raw, zone.name));
      if (page.length < this.pageSize) break;
      offset += page.length;
    }
    return { records };
  }

  /**
   * One rrset call after another: GoDaddy cannot apply a plan atomically. PUT and DELETE of a whole rrset are
   * idempotent, so they are retried; when one still fails in a way that may have reached GoDaddy, the rrset is re-read
   * to learn whether it holds what was sent. The error then names exactly what was applied and what was not, and a new
   * dns.set (which re-reads and plans afresh) finishes the rest.
   */
  async applyChanges(zone: Zone, contents: ZoneContents, changes: readonly RecordChange[]): Promise<ApplyResult> {
    if (changes.length === 0) return { applied: [] };
    const plan = planRrsetWrites(zone.name, contents.records, changes);
    const pending = new Map<RecordChange, number>();
    for (const write of plan) for (const change of write.changes) pending.set(change, (pending.get(change) ?? 0) + 1);
    const applied: RecordChange[] = [];
    for (const write of plan) {
      const path = `${domainPath(zone.name)}/records/${write.type}/${encodeName(write.name)}`;
      try {
        await this.writeRrset(write, path);
      } catch (error) {
        if (!(error instanceof ProviderError)) throw error;
        const landed = !error.isCallerFault && (await this.rrsetHolds(write, path));
        if (landed !== true) throw partialApplyError(error, applied, changes, landed === undefined ? write.changes : []);
      }
      // A change that moves a record between rrsets counts once both of its rrsets are written.
      for (const change of write.changes) {
        const left = (pending.get(change) ?? 1) - 1;
        pending.set(change, left);
        if (left === 0) applied.push(change);
      }
    }
    return { applied };
  }

  private async writeRrset(write: RrsetWrite, path: string): Promise<void> {
    if (write.values.length === 0) await this.call('DELETE', path, undefined, { missingIsDone: true });
    else await this.call('PUT', path, JSON.stringify(write.values));
  }

  /** After a failed write: true = the rrset holds what was sent, false = it does not, undefined = cannot tell. */
  private async rrsetHolds(write: RrsetWrite, path: string): Promise<boolean | undefined> {
    try {
      const reply = await this.call('GET', path, undefined, {}, true);
      const now = parseRecordList(parseBody(reply)).map(({ name: _n, type: _t, ...value }) => value);
      return sameValues(now, write.values);
    } catch {
      return undefined;
    }
  }

  private async call(
    method: 'GET' | 'PUT' | 'DELETE',
    path: string,
    body: string | undefined,
    options: { missingIsDone?: boolean } = {},
    /** A re-read after a failed write: a 404 there is an empty rrset. */
    verifying = false,
  ): Promise<HttpReply> {
    const { apiKey, apiSecret } = this.credentials;
    if (!apiKey || !apiSecret) throw new ProviderError(PROVIDER, 'auth', 'API key and secret are required');
    refuseUnsendableToken(PROVIDER, `${apiKey}:${apiSecret}`, 'API key or secret');
    const headers: Record<string, string> = { authorization: `sso-key ${apiKey}:${apiSecret}`, accept: 'application/json' };
    if (body !== undefined) headers['content-type'] = 'application/json';
    const url = `${this.deps.baseUrl.replace(/\/+$/, '')}${path}`;
    // Writes keep back a share of the deadline, so that a lost write can still be checked by re-reading.
    const reserve = method === 'GET' ? 0 : writeReserveMs(this.bounds);
    return withRetries(
      RETRY_POLICY,
      async (attempt) => {
        const reply = await withAttemptSignal(PROVIDER, this.bounds, reserve, (signal) => send(PROVIDER, this.deps, url, { method, headers, body, signal }));
        if (reply.status >= 200 && reply.status < 300) return reply;
        // A retried DELETE whose first try did reach GoDaddy finds the rrset gone: that is the wanted end state.
        if (options.missingIsDone && attempt > 1 && reply.status === 404) return reply;
        if (verifying && reply.status === 404) return { ...reply, status: 200, text: '[]' };
        throw godaddyErrorFromReply(reply, this.credentials);
      },
      { deadline: this.bounds.deadline - reserve, sleep: this.deps.sleep, signal: this.bounds.signal },
    );
  }
}

/** The rrset as read equals the values sent (order aside): GoDaddy stores the PUT body as given. */
function sameValues(now: readonly GodaddyRrsetValue[], sent: readonly GodaddyRrsetValue[]): boolean {
  const key = (v: GodaddyRrsetValue) =>
    JSON.stringify([v.data, v.ttl ?? 3600, v.priority ?? null, v.port ?? null, v.weight ?? null, v.service ?? null, v.protocol ?? null]);
  const a = now.map(key).sort();
  const b = sent.map(key).sort();
  return a.length === b.length && a.every((k, i) => k === b[i]);
}

/** One rrset replacement: the full body to PUT (empty → DELETE) and the changes it carries. */
export interface RrsetWrite {
  readonly type: string;
  /** Relative name, `@` for the apex. */
  readonly name: string;
  readonly values: GodaddyRrsetValue[];
  readonly changes: RecordChange[];
}

/**
 * Pure planning: groups changes by rrset, in the order each rrset is first named, and rebuilds every touched rrset
 * from the zone as read. Everything that would make GoDaddy refuse a write is refused here, before any call, so a
 * plan never stops half-way for a reason known in advance.
 */
function planRrsetWrites(apex: string, records: readonly DnsRecord[], changes: readonly RecordChange[]): RrsetWrite[] {
  const writes = new Map<string, RrsetWrite & { entries: (DnsRecord | null)[]; values: GodaddyRrsetValue[] }>();
  const rrset = (type: string, fullName: string) => {
    const t = type.toUpperCase();
    if (!GODADDY_CAPABILITIES.recordTypes.has(t)) throw rejected(`GoDaddy's API cannot write ${t} records`);
    const name = relativeName(fullName, apex);
    const key = `${t} ${name}`;
    let write = writes.get(key);
    if (!write) {
      const existing = records.filter((r) => r.type.toUpperCase() === t && relativeName(r.name, apex) === name);
      write = { type: t, name, entries: [...existing], values: existing.map(keptValue), changes: [] };
      writes.set(key, write);
    }
    return write;
  };
  const take = (write: ReturnType<typeof rrset>, before: DnsRecord): number => {
    const index = write.entries.findIndex((e) => e !== null && sameRecord(e, before));
    if (index < 0) {
      throw new ProviderError(PROVIDER, 'conflict', `the ${before.type} record at ${before.name} is no longer in the zone as read`);
    }
    write.entries[index] = null;
    return index;
  };
  const attach = (write: ReturnType<typeof rrset>, change: RecordChange) => {
    if (!write.changes.includes(change)) write.changes.push(change);
  };
  for (const change of changes) {
    if (change.action === 'DELETE') {
      const write = rrset(change.before.type, change.before.name);
      write.values[take(write, change.before)] = TOMBSTONE;
      attach(write, change);
      continue;
    }
    const value = newValue(change.record, apex);
    const target = rrset(change.record.type, change.record.name);
    if (change.action === 'UPDATE') {
      const source = rrset(change.before.type, change.before.name);
      const index = take(source, change.before);
      if (source === target) {
        target.values[index] = value; // in place, so the rrset keeps its order
      } else {
        source.values[index] = TOMBSTONE;
        target.values.push(value);
        attach(source, change);
      }
    } else {
      target.values.push(value);
    }
    attach(target, change);
  }
  const plan = [...writes.values()].map(({ type, name, values, changes: carried }) => ({
    type,
    name,
    values: values.filter((v) => v !== TOMBSTONE),
    changes: carried,
  }));
  for (const write of plan) {
    for (const value of write.values) {
      // The PUT body is validated as a whole (`records[i].ttl`, win-acme#1947): one value under 600 fails the rrset.
      if (value.ttl !== undefined && (value.ttl < GODADDY_MIN_TTL || value.ttl > GODADDY_MAX_TTL)) {
        throw rejected(
          `the ${write.type} record set at ${write.name === '@' ? apex : `${write.name}.${apex}`} would hold TTL ${value.ttl}, ` +
            `outside GoDaddy's allowed ${GODADDY_MIN_TTL}–${GODADDY_MAX_TTL} seconds`,
        );
      }
    }
  }
  return plan;
}

const TOMBSTONE: GodaddyRrsetValue = Object.freeze({ data: '' });

/** An untouched value goes back exactly as GoDaddy returned it, minus name/type (not part of the rrset body). */
function keptValue(record: DnsRecord): GodaddyRrsetValue {
  if (isGodaddyRecord(record.raw)) {
    const { name: _name, type: _type, ...value } = record.raw;
    return value;
  }
  // Not from readZone: rebuild from the neutral form (keeps content, TTL and priority).
  return newValue(record, '');
}

function newValue(record: DesiredRecord, apex: string): GodaddyRrsetValue {
  const type = record.type.toUpperCase();
  if (type === 'SRV') {
    // Neutral SRV content is "weight port target" (seed-zone.ts); GoDaddy keeps them as fields, with
    // service/protocol taken from the owner name `_service._proto` [infer from gd-swagger DNSRecord].
    const [weight, port, target] = record.content.trim().split(/\s+/);
    const labels = apex ? relativeName(record.name, apex).split('.') : record.name.split('.');
    return {
      data: target ?? '',
      ttl: record.ttl,
      priority: record.priority ?? 0,
      weight: Number(weight),
      port: Number(port),
      service: labels[0] ?? '',
      protocol: labels[1] ?? '',
    };
  }
  const base = { data: type === 'TXT' ? (restoredTxt(record, unquoteTxt) ?? record.content) : record.content, ttl: record.ttl };
  return type === 'MX' ? { ...base, priority: record.priority ?? 0 } : base;
}


function sameRecord(a: DnsRecord, b: DnsRecord): boolean {
  return a.type.toUpperCase() === b.type.toUpperCase() && a.name === b.name && a.content === b.content && a.priority === b.priority;
}

/** GoDaddy wire record → neutral form (pure). */
function fromGodaddy(raw: GodaddyRecord, apex: string): DnsRecord {
  const type = raw.type.toUpperCase();
  const name = fullName(raw.name, apex);
  let content = raw.data;
  if (type === 'TXT') content = unquoteTxt(content);
  if (type === 'CNAME' || type === 'MX' || type === 'NS' || type === 'SRV') {
    // GoDaddy shows a target at the apex as `@` (its DNS manager's own convention).
    content = content === '@' ? apex : content.replace(/\.$/, '');
  }
  if (type === 'SRV') content = `${raw.weight ?? 0} ${raw.port ?? 0} ${content}`;
  const priority = type === 'MX' || type === 'SRV' ? (raw.priority ?? 0) : undefined;
  // A TXT value as it was entered (quoted or bare), which `content` does not say: a revert writes it back so.
  return { type, name, content, ttl: raw.ttl ?? 3600, ...(priority === undefined ? {} : { priority }), raw, ...(type === 'TXT' ? { wireValue: raw.data } : {}) };
}

/** `"a" "b"` (quoted 255-byte chunks) → `ab`; an unquoted value (GoDaddy's usual form) is kept as it is. */
function unquoteTxt(data: string): string {
  const trimmed = data.trim();
  if (!/^"(?:[^"\\]|\\.)*"(?:\s*"(?:[^"\\]|\\.)*")*$/.test(trimmed)) return data;
  return [...trimmed.matchAll(/"((?:[^"\\]|\\.)*)"/g)].map((m) => (m[1] ?? '').replace(/\\(.)/g, '$1')).join('');
}

function fullName(relative: string, apex: string): string {
  const name = relative.toLowerCase().replace(/\.$/, '');
  return name === '@' || name === '' ? apex : `${name}.${apex}`;
}

/** Full name → GoDaddy's relative name; sending an FQDN would create `x.example.com.example.com`. */
function relativeName(full: string, apex: string): string {
  const name = full.toLowerCase().replace(/\.$/, '');
  if (name === apex) return '@';
  if (name.endsWith(`.${apex}`)) return name.slice(0, -(apex.length + 1));
  throw rejected(`${name} is not inside the zone ${apex}`);
}

/** Path segment for a relative name; `@` stays literal as lego sends it. */
function encodeName(relative: string): string {
  return encodeURIComponent(relative).replace(/%40/g, '@');
}

function domainPath(domain: string): string {
  return `/v1/domains/${encodeURIComponent(domain)}`;
}

interface GodaddyErrorBody {
  code?: unknown;
  message?: unknown;
  fields?: unknown;
  retryAfterSec?: unknown;
}

/**
 * A non-2xx GoDaddy reply → ProviderError. Bodies follow the swagger `Error` schema `{code, message, fields[]}` and
 * `ErrorLimit` (429, with the required `retryAfterSec`). Every text taken from the body (code, message, field details)
 * is scrubbed of every credential field of the caller before it joins the reason.
 */
export function godaddyErrorFromReply(reply: HttpReply, credentials: ProviderCredentials = { apiKey: '' }): ProviderError {
  const clean = (text: string) => redactCredentials(text, credentials);
  let body: GodaddyErrorBody = {};
  let malformed = false;
  try {
    const parsed: unknown = JSON.parse(reply.text);
    if (isObject(parsed)) body = parsed;
    else malformed = true;
  } catch {
    malformed = true;
  }
  const code = typeof body.code === 'string' ? clean(body.code) : '';
  const message = typeof body.message === 'string' ? clean(body.message) : '';
  const status = reply.status;
  if (status === 401) {
    // MISSING_CREDENTIALS (allinssl#160) vs UNABLE_TO_AUTHENTICATE (acme.sh#1564): both are the caller's credentials.
    return new ProviderError(PROVIDER, 'auth', code === 'MISSING_CREDENTIALS' ? 'API key and secret are required' : 'invalid API key or secret');
  }
  if (status === 403) {
    // Since 2024 GoDaddy limits the production DNS API to accounts with 10+ domains and/or a Discount Domain Club
    // (Premier) plan (lego godaddy.toml, Posh-ACME #547): the key is valid, the account is not eligible.
    if (code === 'ACCESS_DENIED') return new ProviderError(PROVIDER, 'forbidden', 'account not eligible for API access');
    return new ProviderError(PROVIDER, 'forbidden', `access denied${message ? `: ${message}` : ''}`);
  }
  if (status === 404) {
    return new ProviderError(PROVIDER, 'not_found', code === 'UNKNOWN_DOMAIN' || !code
      ? 'domain not found in this account, or it has no zone file'
      : `not found: ${code}`);
  }
  if (status === 429) {
    const seconds = typeof body.retryAfterSec === 'number' && body.retryAfterSec >= 0 ? body.retryAfterSec : retryAfterSeconds(reply.headers);
    return new ProviderError(PROVIDER, 'rate_limited', 'rate limit reached (60 requests per minute per endpoint)', {
      retryAfterSeconds: seconds,
    });
  }
  if (status === 409) {
    // Short-lived after an edit (lexicon `_request`): the provider's state, not the caller's change.
    return new ProviderError(PROVIDER, 'unavailable', 'the zone is still busy with an earlier change (HTTP 409)');
  }
  if (status >= 500) {
    return new ProviderError(PROVIDER, 'unavailable', malformed ? `HTTP ${status} with ${describeBody(reply.text)}` : `HTTP ${status}${code ? ` ${code}` : ''}`);
  }
  if (malformed) return new ProviderError(PROVIDER, 'protocol', `HTTP ${status} with ${describeBody(reply.text)}`);
  if (status === 400 || status === 422) {
    const details = Array.isArray(body.fields)
      ? body.fields
          .filter(isObject)
          .map((f) => [f.path, f.message].filter((p): p is string => typeof p === 'string').join(' '))
          .filter(Boolean)
      : [];
    const text = details.length > 0 ? details.map(clean).join('; ') : message;
    return new ProviderError(PROVIDER, 'rejected', `${code || `HTTP ${status}`}${text ? `: ${text}` : ''}`.slice(0, 500));
  }
  return new ProviderError(PROVIDER, 'protocol', `unexpected HTTP ${status}${code ? ` ${code}` : ''}`);
}

function describeBody(text: string): string {
  return /^\s*</.test(text) ? 'an HTML page' : 'a malformed body';
}

function parseBody(reply: HttpReply): unknown {
  try {
    return JSON.parse(reply.text);
  } catch {
    throw new ProviderError(PROVIDER, 'protocol', `HTTP ${reply.status} with ${describeBody(reply.text)} instead of JSON`);
  }
}

function parseRecordList(value: unknown): GodaddyRecord[] {
  if (!Array.isArray(value)) throw new ProviderError(PROVIDER, 'protocol', 'the record list was not an array');
  for (const item of value) {
    if (!isGodaddyRecord(item)) throw new ProviderError(PROVIDER, 'protocol', 'a record lacked type, name or data');
  }
  return value as GodaddyRecord[];
}

function isGodaddyRecord(value: unknown): value is GodaddyRecord {
  return isObject(value) && typeof value.type === 'string' && typeof value.name === 'string' && typeof value.data === 'string';
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function rejected(reason: string): ProviderError {
  return new ProviderError(PROVIDER, 'rejected', reason);
}
