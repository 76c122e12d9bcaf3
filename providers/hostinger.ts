/**
 * Hostinger developers API adapter, DNS zone (`https://developers.hostinger.com` + `/api/dns/v1/…`). Facts and sources:
 * ../shared/reference/providers-registrars.md §7 (Hostinger), §0 and §8. "hst-sdk" = hostinger/api-typescript-sdk
 * (official, generated: docs/DNSZoneApi.md, docs/DNSV1ZoneUpdateRequest.md), "lego" = go-acme/lego
 * providers/dns/hostinger, "acme.sh" = acmesh-official/acme.sh@053d3be dnsapi/dns_hostinger.sh, "hst-tf" =
 * hostinger/terraform-provider-hostinger@342f3ee (Hostinger's own Terraform provider and its canned API replies).
 *
 * Hostinger has no record ids: the unit of writing is the rrset (relative name + type, one TTL, a list of `content`s).
 * - The zone `PUT /api/dns/v1/zones/{domain}` body is `{overwrite, zone: [rrset…]}`. `overwrite` DEFAULTS TO TRUE
 *   (hst-sdk `DNSV1ZoneUpdateRequest`): every rrset the body names is deleted and created anew from the body (§7 trap 1).
 *   Every PUT here names only one rrset the plan changes, sent whole: every value read, byte for byte as Hostinger
 *   returned it, plus the plan's, minus what the plan deletes, with the rrset's TTL as read while it keeps a value the
 *   plan does not name; `overwrite: true` is always sent explicitly, never left to the default.
 *   Why not `overwrite: false` (append): it cannot remove or replace a value (an SPF merge is an UPDATE), it still
 *   rewrites the TTL of every record of the rrsets it touches (§7 trap 2), and it refuses a value already there with
 *   DNS:4008 (§7 trap 3), so a PUT repeated after a lost reply would fail instead of converging. `overwrite: true` with
 *   the whole rrset is idempotent and leaves every value the plan does not name exactly as read: the one that can
 *   never alter a record the plan does not name. (Neither guards against someone editing the same rrset between our
 *   read and our write: the gateway's zone lock is the only guard, `guardedWrite: false`.)
 * - An rrset the plan empties is removed with `DELETE /api/dns/v1/zones/{domain}` `{"filters":[{name,type}]}`, which
 *   removes whole rrsets only (hst-sdk `deleteDNSRecordsV1`; lego `CleanUp` does the same).
 * - `POST …/reset` (restores Hostinger's default zone) is never called. `POST …/validate` (a dry run of a PUT body) is
 *   not used: it would add a call per write to the declared minimum, and the checks it would make are done here,
 *   before the first write (TTL range, CNAME exclusivity, duplicate values, TXT length).
 * - One call per changed rrset, not one PUT carrying them all: a plan that empties an rrset (Force: a TXT removed to
 *   make room for a CNAME) needs a DELETE besides, so a single PUT would make the call count depend on whether the
 *   plan empties one, which `UpstreamCalls` cannot declare. Per rrset the count is exact (`perRrset: 1`), and a plan
 *   that stops part-way says exactly which rrsets were written. (Whether one multi-rrset PUT is applied atomically is
 *   unconfirmed anyway: it answers "Request accepted", §7 [infer].)
 * - A record disabled in hPanel (`is_disabled: true`) cannot be written back disabled: the update schema has only
 *   `content` (§7 trap 4). An rrset holding one is never rewritten or deleted (kind `rejected`), so it is neither
 *   re-enabled nor dropped. Disabled records are not published, so they are not among the neutral records either.
 */
import { UncertainWrite } from './apply-progress.js';
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
import { restoredTxt } from './restore.js';
import { applyRrsetWrites, draftRrsets, liveValues, sameValues, type RrsetDraft } from './rrset-apply.js';

const PROVIDER = 'hostinger' as const;
const API = '/api/dns/v1';

/** One value of an rrset as `GET …/zones/{domain}` returns it (hst-sdk `DNSV1ZoneNameRecordResource`). */
export interface HostingerRecord {
  readonly content: string;
  readonly is_disabled?: boolean;
}

/** An rrset as read (hst-sdk `DNSV1ZoneRecordResource`): relative name, `@` for the apex; one TTL. */
export interface HostingerRrset {
  readonly name: string;
  readonly type: string;
  readonly ttl: number;
  readonly records: readonly HostingerRecord[];
}

/** What a neutral record keeps of the wire: its rrset as read and its own `content`, exactly as Hostinger sent it. */
export interface HostingerRaw {
  readonly rrset: HostingerRrset;
  readonly content: string;
}

/** `ZoneContents.adapterState`: every rrset as read, disabled records included (they are not in `records`). */
export interface HostingerZoneState {
  readonly rrsets: readonly HostingerRrset[];
}

/**
 * TTL bounds: unconfirmed (§0 "Min TTL"). lego and acme.sh write 120; the fake holds 60–604800 [infer], and the
 * adapter refuses outside that range before any call.
 */
export const HOSTINGER_MIN_TTL = 60;
export const HOSTINGER_MAX_TTL = 604_800;
/** Not documented; a 4096-bit DKIM key (~740 bytes) fits [infer]. */
export const HOSTINGER_MAX_TXT = 1024;

export const HOSTINGER_CAPABILITIES: ProviderCapabilities = {
  // The types Hostinger's DNS zone holds [infer: the update schema takes any `type` string; these are hPanel's].
  recordTypes: new Set(['A', 'AAAA', 'CNAME', 'MX', 'NS', 'SRV', 'TXT', 'CAA']),
  minTtl: HOSTINGER_MIN_TTL,
  maxTtl: HOSTINGER_MAX_TTL,
  // One call per changed rrset (see the header): a plan can stop part-way, and then says what was applied.
  atomicApply: false,
  // An `overwrite: true` PUT replaces the rrset whatever it holds now: only the gateway's zone lock guards it.
  guardedWrite: false,
  maxTxtLength: HOSTINGER_MAX_TXT,
  // GET …/zones/{domain} (one reply, no pagination documented); then one PUT or DELETE per changed rrset.
  upstreamCalls: { read: 1, write: { perPlan: 0, perRrset: 1, perRecord: 0 } },
  writes:
    'one zone `PUT` per changed rrset with `overwrite: true` sent explicitly, carrying every existing value of that rrset (`DELETE` by name and type when it ends empty); never `overwrite: false`, never `reset`; an rrset holding a disabled record is refused',
};

/** Reads and the idempotent whole-rrset PUT and DELETE are repeated on 429, 5xx, timeouts and resets. */
const RETRY: RetryPolicy = {
  attempts: 4,
  baseDelayMs: 250,
  maxDelayMs: 20_000,
  retryOn: (error) => error.kind === 'rate_limited' || error.kind === 'unavailable' || error.kind === 'timeout',
};

export function createHostingerProvider(deps: AdapterDeps): DnsProvider {
  return {
    id: PROVIDER,
    capabilities: HOSTINGER_CAPABILITIES,
    requiredCredentials: REQUIRED_CREDENTIALS.hostinger,
    connect: (credentials, connectOptions) => new HostingerSession(deps, credentials, commandBounds(deps, connectOptions)),
  };
}

type Outcome = 'landed' | 'absent' | 'unknown';

/** Whether some try of a write failed in a way that may have reached Hostinger (then its outcome is read back). */
interface Tries {
  uncertain: boolean;
}

class HostingerSession implements ProviderSession {
  private readonly base: string;

  constructor(
    private readonly deps: AdapterDeps,
    private readonly credentials: ProviderCredentials,
    /** One deadline for the whole command: every read, write, retry and re-read below shares it. */
    private readonly bounds: CommandBounds,
  ) {
    this.base = deps.baseUrl.replace(/\/+$/, '');
  }

  /** Hostinger's DNS zones are the domains of the account's portfolio: the registrable domain, no call needed. */
  async findZone(domain: string): Promise<Zone> {
    const parsed = normaliseDomain(domain);
    if (!parsed.ok) throw new ProviderError(PROVIDER, 'rejected', parsed.reason);
    return { name: parsed.registrable, id: parsed.registrable };
  }

  /**
   * `GET /api/dns/v1/zones/{domain}` (§7 "Auth": the read-only check), writes nothing. A domain outside the token's
   * account is not refused by that read: it answers an empty list (one observed reply; §7 says "unconfirmed"), while a
   * write to it fails with 404 `[DNS:4009] Domain not found`. A zone Hostinger hosts always holds its default records
   * [infer], so an empty answer is reported as a domain this token cannot reach.
   */
  async authorize(domain: string): Promise<Zone> {
    const zone = await this.findZone(domain);
    const rrsets = await this.readRrsets(zone);
    if (rrsets.length === 0) throw new ProviderError(PROVIDER, 'not_found', 'domain not found in this account (its DNS zone is empty or not reachable with this token)');
    return zone;
  }

  /** The whole zone in one reply (no pagination documented, §7 endpoints). */
  async readZone(zone: Zone): Promise<ZoneContents> {
    const rrsets = await this.readRrsets(zone);
    const state: HostingerZoneState = { rrsets };
    return { records: rrsets.flatMap((rrset) => fromHostinger(rrset, zone.name)), adapterState: state };
  }

  /**
   * One rrset call after another, in the order the plan first names each rrset (a TXT emptied at `sl` is deleted
   * before a CNAME is put there). A failure stops the plan with the error naming what was applied, what was not, and
   * what is unknown.
   */
  async applyChanges(zone: Zone, contents: ZoneContents, changes: readonly RecordChange[]): Promise<ApplyResult> {
    if (changes.length === 0) return { applied: [] };
    return applyRrsetWrites(changes, planRrsetWrites(zone.name, contents, changes), (write) => this.write(zone, write));
  }

  /**
   * PUT and DELETE of a whole rrset are idempotent, so they are repeated on a failure that may not have reached
   * Hostinger; when one still fails in a way that may have reached it (or fails after such a try), the zone is read
   * again to learn whether the rrset holds what was sent.
   */
  private async write(zone: Zone, write: RrsetWrite): Promise<void> {
    const body =
      write.method === 'PUT'
        ? { overwrite: true, zone: [{ name: write.name, type: write.type, ttl: write.ttl, records: write.values.map((content) => ({ content })) }] }
        : { filters: [{ name: write.name, type: write.type }] };
    const tries: Tries = { uncertain: false };
    try {
      await this.call(write.method, zonePath(zone), JSON.stringify(body), tries);
    } catch (error) {
      if (!(error instanceof ProviderError)) throw error;
      // Every try was refused before it ran (a 4xx, a 429): Hostinger changed nothing. Otherwise look.
      if (!tries.uncertain) throw error;
      const outcome = await this.outcome(zone, write);
      if (outcome === 'landed') return;
      if (outcome === 'unknown') throw new UncertainWrite(error);
      throw error;
    }
  }

  /** After a failed write: re-read the zone; landed when the rrset holds exactly what was sent (or is gone, for a DELETE). */
  private async outcome(zone: Zone, write: RrsetWrite): Promise<Outcome> {
    let rrsets: HostingerRrset[];
    try {
      rrsets = await this.readRrsets(zone, 0);
    } catch {
      return 'unknown';
    }
    const now = rrsets.find((r) => rrsetName(r.name, zone.name) === write.name && r.type.toUpperCase() === write.type);
    if (write.method === 'DELETE') return now ? 'absent' : 'landed';
    if (!now || now.ttl !== write.ttl || now.records.some((r) => r.is_disabled === true)) return 'absent';
    const key = (content: string) => JSON.stringify(neutralValue(write.type, content, zone.name));
    return sameValues(now.records.map((r) => r.content), write.values, key) ? 'landed' : 'absent';
  }

  private async readRrsets(zone: Zone, reserve = 0): Promise<HostingerRrset[]> {
    return parseRrsets(parseBody(await this.call('GET', zonePath(zone), undefined, { uncertain: false }, reserve)));
  }

  private async call(
    method: 'GET' | 'PUT' | 'DELETE',
    path: string,
    body: string | undefined,
    tries: Tries,
    reserve = method === 'GET' ? 0 : writeReserveMs(this.bounds),
  ): Promise<HttpReply> {
    const token = checkToken(this.credentials.apiKey);
    // `Authorization: Bearer <API token>` (§7 "Auth"; lego `client.go`).
    const headers: Record<string, string> = { authorization: `Bearer ${token}`, accept: 'application/json' };
    if (body !== undefined) headers['content-type'] = 'application/json';
    const url = `${this.base}${path}`;
    return withRetries(
      RETRY,
      async () => {
        let reply: HttpReply;
        try {
          reply = await withAttemptSignal(PROVIDER, this.bounds, reserve, (signal) => send(PROVIDER, this.deps, url, { method, headers, body, signal }));
        } catch (error) {
          // A timeout or a cut connection may have reached Hostinger (a lost reply).
          if (error instanceof ProviderError && (error.kind === 'timeout' || error.kind === 'unavailable')) tries.uncertain = true;
          throw error;
        }
        if (reply.status >= 200 && reply.status < 300) return reply;
        // A 5xx may come after the write ran [infer]; a 4xx or 429 refuses it before.
        if (reply.status >= 500) tries.uncertain = true;
        throw hostingerErrorFromReply(reply, this.credentials);
      },
      { deadline: this.bounds.deadline - reserve, sleep: this.deps.sleep, signal: this.bounds.signal },
    );
  }
}

// ------------------------------------------------------------------------------------------------ planning

/** One rrset call and the changes it carries. */
export interface RrsetWrite {
  readonly method: 'PUT' | 'DELETE';
  readonly type: string;
  /** Relative name, lower case, `@` for the apex. */
  readonly name: string;
  readonly ttl: number;
  /** Every `content` of the rrset after the write (empty for a DELETE). */
  readonly values: string[];
  readonly changes: RecordChange[];
}

/**
 * Pure planning (exported for tests): the changes grouped by rrset, each rrset rebuilt from the zone as read with every
 * value it keeps written back byte for byte. Everything Hostinger would refuse, and every rrset that cannot be
 * rewritten without altering a record the plan does not name, is refused here, before any call.
 */
export function planRrsetWrites(apex: string, contents: ZoneContents, changes: readonly RecordChange[]): RrsetWrite[] {
  const read = rrsetsOf(contents, apex);
  const drafts = draftRrsets<HostingerRrset>(
    {
      provider: PROVIDER,
      recordTypes: HOSTINGER_CAPABILITIES.recordTypes,
      relativeName: (fullName) => relativeName(fullName, apex),
      open: (type, name) => {
        // Disabled records are not values a rewrite keeps: `toWrite` refuses such an rrset.
        const existing = read.find((r) => r.type.toUpperCase() === type && rrsetName(r.name, apex) === name);
        const values = (existing?.records ?? []).filter((r) => r.is_disabled !== true).map((r) => ({ value: r.content, kept: true, ttl: existing!.ttl }));
        return { existing, values };
      },
      valueAsRead: (record) => rawOf(record)?.content,
      neutralValue: (type, value) => neutralValue(type, value, apex),
      checkWritable,
      wireValue: wireContent,
    },
    changes,
  );
  const writes = drafts.map((set) => toWrite(set, apex));
  checkCnames(apex, read, writes);
  return writes;
}

function toWrite(set: RrsetDraft<HostingerRrset>, apex: string): RrsetWrite {
  const shown = set.name === '@' ? apex : `${set.name}.${apex}`;
  const disabled = set.existing?.records.filter((r) => r.is_disabled === true).length ?? 0;
  if (disabled > 0) {
    // §7 trap 4: the update schema has no `is_disabled`, and DELETE removes the whole rrset.
    throw rejected(
      `the ${set.type} record set at ${shown} holds ${disabled === 1 ? 'a record' : `${disabled} records`} disabled in hPanel, which Hostinger's API ` +
        'cannot write back disabled (a rewrite would re-enable or drop it); enable or delete it in hPanel first',
    );
  }
  const live = liveValues(set);
  const keys = live.map((v) => JSON.stringify(neutralValue(set.type, v.value, apex)));
  if (new Set(keys).size !== keys.length) throw rejected(`the ${set.type} record set at ${shown} would hold the same value twice`);
  // One TTL per rrset: the one it has while it keeps a value the plan does not name (a new TTL would alter those
  // records, §7 trap 2), else the smallest the plan asks.
  const keepsOthers = set.existing !== undefined && live.some((v) => v.kept);
  const ttl = keepsOthers ? set.existing!.ttl : Math.min(...live.map((v) => v.ttl));
  if (live.length > 0 && (!Number.isInteger(ttl) || ttl < HOSTINGER_MIN_TTL || ttl > HOSTINGER_MAX_TTL)) {
    throw rejected(`TTL ${ttl} of the ${set.type} record set at ${shown} is outside Hostinger's ${HOSTINGER_MIN_TTL}–${HOSTINGER_MAX_TTL} seconds`);
  }
  if (live.length === 0 && !set.existing) throw rejected(`the ${set.type} record set at ${shown} is not in the zone`);
  return { method: live.length === 0 ? 'DELETE' : 'PUT', type: set.type, name: set.name, ttl: live.length === 0 ? 0 : ttl, values: live.map((v) => v.value), changes: set.changes };
}

function checkWritable(record: DesiredRecord): void {
  const type = record.type.toUpperCase();
  if (!Number.isInteger(record.ttl) || record.ttl < HOSTINGER_MIN_TTL || record.ttl > HOSTINGER_MAX_TTL) {
    throw rejected(`TTL ${record.ttl} of the ${type} record at ${record.name} is outside Hostinger's ${HOSTINGER_MIN_TTL}–${HOSTINGER_MAX_TTL} seconds`);
  }
  if (record.content.trim() === '') throw rejected(`the ${type} record at ${record.name} has no content`);
  if (type === 'TXT' && Buffer.byteLength(record.content, 'utf8') > HOSTINGER_MAX_TXT) {
    throw rejected(`the TXT record at ${record.name} is longer than ${HOSTINGER_MAX_TXT} bytes`);
  }
}

/**
 * A CNAME is alone at its name and holds one value (RFC 1034 §3.6.2, RFC 2181 §10.1); Hostinger answers such a write
 * with DNS:4008 "conflicts with another resource record" [infer from the message, §7]. Disabled records count: they
 * are still in the zone.
 */
function checkCnames(apex: string, read: readonly HostingerRrset[], writes: readonly RrsetWrite[]): void {
  const after = new Map<string, number>();
  for (const r of read) after.set(`${r.type.toUpperCase()} ${rrsetName(r.name, apex)}`, r.records.length);
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

/** The rrsets as read: from `adapterState` (disabled records included), else rebuilt from the neutral records. */
function rrsetsOf(contents: ZoneContents, apex: string): readonly HostingerRrset[] {
  const state = contents.adapterState as Partial<HostingerZoneState> | undefined;
  if (state && Array.isArray(state.rrsets) && state.rrsets.every(isRrset)) return state.rrsets;
  const sets = new Map<string, { name: string; type: string; ttl: number; records: HostingerRecord[] }>();
  for (const r of contents.records) {
    const raw = rawOf(r);
    const type = r.type.toUpperCase();
    const name = relativeName(r.name, apex);
    const key = `${type} ${name}`;
    const set = sets.get(key) ?? { name, type, ttl: raw?.rrset.ttl ?? r.ttl, records: [] };
    sets.set(key, set);
    set.records.push({ content: raw?.content ?? wireContent(type, r), is_disabled: false });
  }
  return [...sets.values()];
}

/**
 * A neutral record → the `content` Hostinger takes: TXT as quoted strings of at most 255 bytes with `"` and `\`
 * escaped (the form it returns, hst-tf `testZoneExample`; acme.sh writes such a quoted value back); CNAME/NS targets as
 * FQDNs with the trailing dot (a CNAME without one is taken relative to the zone [2nd:
 * recipes.wisechef.ai/skills/hostinger-dns-api "CNAME values must include a trailing dot"]); MX `pref target.` (hst-tf
 * `"10 mx1.example.com"`: the priority is part of the content); SRV `prio weight port target.` [infer].
 */
export function wireContent(type: string, record: { content: string; priority?: number | undefined; restoreWireValue?: unknown }): string {
  const content = record.content.trim();
  switch (type.toUpperCase()) {
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

/** An rrset → one neutral record per enabled value (pure; exported for tests). */
export function fromHostinger(rrset: HostingerRrset, apex: string): DnsRecord[] {
  const type = rrset.type.toUpperCase();
  const name = fullName(rrset.name, apex);
  return rrset.records
    .filter((r) => r.is_disabled !== true)
    .map((r) => {
      const { content, priority } = neutralValue(type, r.content, apex);
      const raw: HostingerRaw = { rrset, content: r.content };
      // A quoted TXT content is kept as entered, in the customer's strings (§7 wire format; the fake's `storedContent`
      // says what is [infer]): a revert writes it back so.
      return { type, name, content, ttl: rrset.ttl, ...(priority === undefined ? {} : { priority }), raw, ...(type === 'TXT' ? { wireValue: r.content } : {}) };
    });
}

/**
 * One `content` → neutral content (and priority). TXT may come back quoted (hst-tf `testZoneExample`, acme.sh `rm`;
 * lego `CleanUp` accepts both): quoted strings are unquoted and joined. Targets lose their trailing dot; `@` is the
 * apex. A target without a dot is taken as written (hst-tf shows `10 mx1.example.com` for an MX).
 */
export function neutralValue(type: string, content: string, apex: string): { content: string; priority?: number } {
  const target = (host: string) => (host === '@' ? apex : host.replace(/\.$/, '').toLowerCase());
  const parts = content.trim().split(/\s+/);
  switch (type.toUpperCase()) {
    case 'TXT':
      return { content: unquoteTxt(content) };
    case 'CNAME':
    case 'NS':
      return { content: target(content.trim()) };
    case 'MX':
      return { content: target(parts[1] ?? ''), priority: Number(parts[0]) };
    case 'SRV':
      return { content: `${parts[1] ?? 0} ${parts[2] ?? 0} ${target(parts[3] ?? '.')}`, priority: Number(parts[0]) };
    default:
      return { content };
  }
}

const QUOTED = /^\s*"(?:[^"\\]|\\.)*"(?:\s*"(?:[^"\\]|\\.)*")*\s*$/s;

/** `"a" "b"` → `ab`, unescaping `\"`, `\\` and `\DDD`; an unquoted value is itself. */
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

function rawOf(record: DnsRecord): HostingerRaw | undefined {
  const raw = record.raw as Partial<HostingerRaw> | undefined;
  return raw && typeof raw.content === 'string' && isRrset(raw.rrset) ? (raw as HostingerRaw) : undefined;
}

function parseRrsets(body: unknown): HostingerRrset[] {
  if (!Array.isArray(body)) throw new ProviderError(PROVIDER, 'protocol', 'the zone was not a list of record sets');
  for (const item of body) if (!isRrset(item)) throw new ProviderError(PROVIDER, 'protocol', 'a record set lacks its name, type, TTL or records');
  return body as HostingerRrset[];
}

function isRrset(value: unknown): value is HostingerRrset {
  return (
    isObject(value) &&
    typeof value.name === 'string' &&
    typeof value.type === 'string' &&
    typeof value.ttl === 'number' &&
    Array.isArray(value.records) &&
    value.records.every((r) => isObject(r) && typeof r.content === 'string' && (r.is_disabled === undefined || typeof r.is_disabled === 'boolean'))
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

interface HostingerErrorBody {
  readonly message?: unknown;
  readonly errors?: unknown;
  readonly correlation_id?: unknown;
}

/**
 * A non-2xx reply → ProviderError. Bodies are `{message, correlation_id}` and, for 422, `{message, errors: {field:
 * [text…]}, correlation_id}` (lego fixtures `error_401.json`, `error_422.json`; hst-sdk: 401, 422, 500 on every DNS
 * call). Provider text goes through `redactCredentials`; the correlation id is left out.
 */
export function hostingerErrorFromReply(reply: HttpReply, credentials: ProviderCredentials): ProviderError {
  const { status } = reply;
  let body: HostingerErrorBody = {};
  let malformed = false;
  try {
    const parsed: unknown = JSON.parse(reply.text);
    if (isObject(parsed)) body = parsed;
    else malformed = true;
  } catch {
    malformed = reply.text.trim() !== '';
  }
  const clean = (text: string) => redactCredentials(text.replace(/[\u0000-\u001f\u007f]/g, ' '), credentials).slice(0, 300);
  const message = typeof body.message === 'string' ? clean(body.message) : '';

  // 401 `{"message":"Unauthenticated"}` (lego `error_401.json`): an unknown, revoked or expired token.
  if (status === 401) return new ProviderError(PROVIDER, 'auth', 'invalid or revoked API token');
  // Not documented for the DNS endpoints [infer]: a token without the rights for this call.
  if (status === 403) return new ProviderError(PROVIDER, 'forbidden', 'the API token may not manage this domain');
  if (status === 429) {
    // Retry-After, with a plain `error code: 1015` body from the edge (hst-tf `rate_limit_test.go`).
    return new ProviderError(PROVIDER, 'rate_limited', 'rate limit reached', { retryAfterSeconds: retryAfterSeconds(reply.headers) });
  }
  if (status >= 500) return new ProviderError(PROVIDER, 'unavailable', malformed ? `HTTP ${status} with ${describeBody(reply.text)}` : `HTTP ${status}`);
  // 404 `[DNS:4009] Domain not found`: a write to a domain outside the account (observed reply, §7 "unconfirmed").
  if (status === 404) return new ProviderError(PROVIDER, 'not_found', 'domain not found in this account');
  if (malformed) return new ProviderError(PROVIDER, 'protocol', `HTTP ${status} with ${describeBody(reply.text)}`);
  if (status === 422 || status === 400) {
    const details = isObject(body.errors)
      ? Object.entries(body.errors).flatMap(([field, texts]) =>
          (Array.isArray(texts) ? texts : [texts]).filter((t): t is string => typeof t === 'string').map((t) => `${clean(field)}: ${clean(t)}`),
        )
      : [];
    const text = [message, ...details].filter(Boolean).join('; ') || `HTTP ${status}`;
    return new ProviderError(PROVIDER, 'rejected', `the change was refused: ${text}`.slice(0, 500));
  }
  return new ProviderError(PROVIDER, 'protocol', `unexpected HTTP ${status}`);
}

// ------------------------------------------------------------------------------------------------ helpers

function checkToken(token: string): string {
  if (token === '') throw new ProviderError(PROVIDER, 'auth', 'no API token given');
  if (!/^[\x21-\x7e]+$/.test(token)) throw new ProviderError(PROVIDER, 'auth', 'invalid API token (malformed)');
  return token;
}

function zonePath(zone: Zone): string {
  return `${API}/zones/${encodeURIComponent(zone.name)}`;
}

function fullName(relative: string, apex: string): string {
  const name = relative.toLowerCase().replace(/\.$/, '');
  return name === '@' || name === '' ? apex : `${name}.${apex}`;
}

/**
 * An rrset's name as read → the relative name writes use, the way `fromHostinger` reads it (`""` and `@` are the apex, a
 * final dot and case do not count), so a write rebuilds the very rrset the planner saw.
 */
function rrsetName(name: string, apex: string): string {
  return relativeName(fullName(name, apex), apex);
}

/** Full name → the relative rrset name (`@` for the apex); an FQDN sent as a name would land under the zone again. */
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
