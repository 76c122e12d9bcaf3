/**
 * Amazon Route 53 adapter (API 2013-04-01, REST + XML, SigV4). Facts and their sources:
 * ../shared/reference/providers-cloud.md §1 (auth, endpoints, wire format, errors, traps), §8 (minimal calls), §9 (TXT
 * normalisation), §10 (the DELETE + CREATE compare-and-swap), §11 (credential check).
 *
 * Calls per dns.set, at the minimum: findZone = one `ListHostedZonesByName` (it lists zones in order FROM a name, so one
 * call from the registrable domain sees every candidate zone); readZone = one `ListResourceRecordSets` per page of 300;
 * applyChanges = one `ChangeResourceRecordSets` batch for the whole plan (all or nothing at Route 53).
 *
 * Route 53's unit of writing is the rrset (name + type, all values, one TTL). An `UPSERT` replaces every value of the
 * rrset, including a value someone added after our read (§1 trap 1), so it is never sent. Each changed rrset is a
 * `DELETE` of exactly what was read (the values and TTL as Route 53 returned them) followed by a `CREATE` of the merged
 * set. Route 53 refuses a DELETE that no longer matches and a CREATE of an rrset that exists (§1 "Errors and
 * conflicts"), and refuses the whole batch then: the write is a compare-and-swap (§1 trap 2), and a refusal is reported
 * as a stale read (the service reads again and plans afresh once).
 */
import { Hash } from '@smithy/hash-node';
import { SignatureV4 } from '@smithy/signature-v4';
import { XMLBuilder, XMLParser, XMLValidator } from 'fast-xml-parser';
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
  type ProviderErrorKind,
  type ProviderSession,
  type RecordChange,
  type Zone,
  type ZoneContents,
} from './types.js';
import { restoredTxt } from './restore.js';

const PROVIDER = 'route53' as const;
export const ROUTE53_XMLNS = 'https://route53.amazonaws.com/doc/2013-04-01/';
const API = '/2013-04-01';

/** An alias target (API_AliasTarget). */
export interface Route53AliasTarget {
  readonly HostedZoneId: string;
  readonly DNSName: string;
  readonly EvaluateTargetHealth: boolean;
}

/**
 * An rrset as `ListResourceRecordSets` returns it (API_ResourceRecordSet). `Name` is kept exactly as returned: an FQDN
 * with a trailing dot and special characters octal-escaped (`\052` for `*`, DomainNameFormat). Routing-policy fields
 * (Weight, Region, GeoLocation, Failover, MultiValueAnswer, HealthCheckId, CidrRoutingConfig, …) are kept as parsed.
 */
export interface Route53RecordSet {
  readonly Name: string;
  readonly Type: string;
  readonly TTL?: number | undefined;
  /** The `Value` of each `ResourceRecord`, exactly as returned (TXT quoted). */
  readonly ResourceRecords?: readonly string[] | undefined;
  readonly SetIdentifier?: string | undefined;
  readonly AliasTarget?: Route53AliasTarget | undefined;
  readonly [field: string]: unknown;
}

/** What `DnsRecord.raw` holds for a Route 53 record: its rrset as read, and its own value in it. */
export interface Route53RawRecord {
  readonly rrset: Route53RecordSet;
  /** The value as Route 53 returned it; absent for an alias record (it has no ResourceRecords). */
  readonly value?: string | undefined;
}

/** ResourceRecord `Value` "not to exceed 4,000 characters" (API_ResourceRecord) [doc]. */
export const ROUTE53_MAX_VALUE_CHARS = 4000;
/** API_ResourceRecordSet TTL: 0 to 2147483647 [doc]. */
export const ROUTE53_MAX_TTL = 2_147_483_647;
/** Batch limits: 1,000 ResourceRecord elements and 32,000 characters of Value per request (§1 wire format) [doc]. */
const MAX_BATCH_RECORDS = 1000;
const MAX_BATCH_VALUE_CHARS = 32_000;

export const ROUTE53_CAPABILITIES: ProviderCapabilities = {
  // The types a plan may write; SOA and the apex NS are Route 53's own (they can be edited, never deleted), routing
  // policy and alias records are read and left alone. Route 53 also holds DS, HTTPS, NAPTR, PTR, SPF, SSHFP, SVCB, TLSA.
  recordTypes: new Set(['A', 'AAAA', 'CAA', 'CNAME', 'MX', 'NS', 'SRV', 'TXT']),
  minTtl: 0,
  maxTtl: ROUTE53_MAX_TTL,
  // One ChangeResourceRecordSets batch: "either makes all or none of the changes" (API_ChangeResourceRecordSets).
  atomicApply: true,
  // A DELETE must match the rrset exactly, a CREATE must not find one: a stale read is refused (§1 trap 2).
  guardedWrite: true,
  // One Value holds the whole TXT value as quoted 255-byte strings and may not pass 4,000 characters: 3,953 plain
  // bytes make 16 strings, 3,953 + 16 × 2 quotes + 15 spaces = 4,000. Quotes, backslashes and non-ASCII bytes take
  // more room when escaped; such a value is refused before any write when it does not fit.
  maxTxtLength: 3953,
  // ListHostedZonesByName, ListResourceRecordSets (one page of 300); one ChangeResourceRecordSets for the whole plan.
  upstreamCalls: { read: 2, write: { perPlan: 1, perRrset: 0, perRecord: 0 } },
  writes:
    'one atomic `ChangeResourceRecordSets` batch: each touched rrset `DELETE`d exactly as read and `CREATE`d merged (never `UPSERT`); TXT quoted in 255-byte strings; targets as FQDNs; alias and routing-policy records left alone',
};

export interface Route53Options {
  /** `maxitems` of `ListResourceRecordSets`; 300 is the most Route 53 returns per page [doc]. Tests lower it. @default 300 */
  readonly pageSize?: number;
  /** `maxitems` of `ListHostedZonesByName`; at most 100 [doc]. @default 100 */
  readonly zonePageSize?: number;
}

/**
 * Reads are safe to repeat. Throttling arrives as HTTP 400 `Throttling` / `PriorRequestNotComplete` with no
 * documented Retry-After; lego backs off exponentially from about 400 ms (§1 rate limits) [code].
 */
const READ_RETRIES: RetryPolicy = {
  attempts: 6,
  baseDelayMs: 400,
  maxDelayMs: 10_000,
  retryOn: (e) => e.kind === 'rate_limited' || e.kind === 'unavailable' || e.kind === 'timeout',
};

/**
 * The batch is repeated blindly only when Route 53 refused it before running it (throttled). After any other failure
 * that may have reached Route 53 the zone is re-read first (see `applyChanges`).
 */
const BATCH_RETRIES: RetryPolicy = { ...READ_RETRIES, retryOn: (e) => e.kind === 'rate_limited' };

/** Sends of one batch in one command: the first, and one more only when a re-read showed the first changed nothing. */
const BATCH_SENDS = 2;
const MAX_PAGES = 1000;
const MAX_ZONE_PAGES = 50;

export function createRoute53Provider(deps: AdapterDeps & Route53Options): DnsProvider {
  return {
    id: PROVIDER,
    capabilities: ROUTE53_CAPABILITIES,
    requiredCredentials: REQUIRED_CREDENTIALS.route53,
    connect: (credentials, options) => new Route53Session(deps, credentials, commandBounds(deps, options)),
  };
}

interface HostedZoneEntry {
  readonly id: string;
  readonly name: string;
  readonly private: boolean;
}

class Route53Session implements ProviderSession {
  private readonly signer: SignatureV4 | undefined;
  private readonly credentialProblem: string | undefined;
  private readonly base: URL;
  private readonly pageSize: number;
  private readonly zonePageSize: number;

  constructor(
    private readonly deps: AdapterDeps & Route53Options,
    private readonly credentials: ProviderCredentials,
    /** One deadline for the whole command: every read, write, retry and re-read shares it. */
    private readonly bounds: CommandBounds,
  ) {
    this.base = new URL(deps.baseUrl);
    this.pageSize = Math.max(1, Math.min(300, deps.pageSize ?? 300));
    this.zonePageSize = Math.max(1, Math.min(100, deps.zonePageSize ?? 100));
    const accessKeyId = credentials.apiKey.trim();
    const secretAccessKey = credentials.apiSecret?.trim() ?? '';
    const sessionToken = credentials.apiUser?.trim() || undefined;
    // A value that cannot go into an HTTP header would fail in undici with a message naming it: refused here.
    const printable = /^[\x21-\x7e]+$/;
    if (!accessKeyId || !secretAccessKey) this.credentialProblem = 'the access key id and the secret access key are required';
    else if (!printable.test(accessKeyId)) this.credentialProblem = 'the access key id is malformed';
    else if (!printable.test(secretAccessKey)) this.credentialProblem = 'the secret access key is malformed';
    else if (sessionToken !== undefined && !printable.test(sessionToken)) this.credentialProblem = 'the session token is malformed';
    // SigV4 through the AWS SDK's own signer: service `route53`, region `us-east-1` (§1 "Auth") [obs].
    this.signer = this.credentialProblem
      ? undefined
      : new SignatureV4({
          service: 'route53',
          region: 'us-east-1',
          sha256: Hash.bind(null, 'sha256'),
          credentials: { accessKeyId, secretAccessKey, ...(sessionToken ? { sessionToken } : {}) },
        });
  }

  /**
   * `ListHostedZonesByName?dnsname=` lists the account's zones in order FROM that name (labels reversed), not only the
   * ones named so (§1 endpoints, trap 4). Asking from the registrable domain lists it and every zone below it in
   * order, so one call sees each candidate (the domain, then each parent up to the registrable domain). Only a
   * public zone whose name equals a candidate counts; the most specific one wins; two public zones of one name are
   * refused (octodns-r53 raises `Multiple zones named`), as nobody can tell which one the delegation points at.
   */
  async findZone(domain: string): Promise<Zone> {
    const parsed = normaliseDomain(domain);
    if (!parsed.ok) throw new ProviderError(PROVIDER, 'rejected', parsed.reason);
    const candidates = candidateZoneNames(parsed.domain, parsed.registrable);
    const found = new Map<string, HostedZoneEntry[]>();
    const last = sortKey(parsed.domain);
    let query: Record<string, string> = { dnsname: parsed.registrable, maxitems: String(this.zonePageSize) };
    for (let page = 0; page < MAX_ZONE_PAGES; page++) {
      const doc = await this.call('GET', `${API}/hostedzonesbyname`, query, undefined, READ_RETRIES);
      const root = child(doc, 'ListHostedZonesByNameResponse');
      // An account none of whose zones sorts at or after the name answers `<HostedZones/>`, which parses as '': an
      // empty list (no zone, not a malformed reply); only a reply without the element at all is malformed.
      if (root['HostedZones'] === undefined) throw new ProviderError(PROVIDER, 'protocol', 'the reply has no HostedZones element');
      for (const zone of list(root['HostedZones'], 'HostedZone').map(parseHostedZone)) {
        if (!candidates.includes(zone.name)) continue;
        found.set(zone.name, [...(found.get(zone.name) ?? []), zone]);
      }
      const nextName = text(root, 'NextDNSName');
      if (text(root, 'IsTruncated') !== 'true' || !nextName || sortKey(decodeName(nextName)) > last) break;
      const nextId = text(root, 'NextHostedZoneId');
      query = { dnsname: nextName, ...(nextId ? { hostedzoneid: nextId } : {}), maxitems: String(this.zonePageSize) };
    }
    for (const candidate of candidates) {
      const publicZones = (found.get(candidate) ?? []).filter((z) => !z.private);
      if (publicZones.length > 1) {
        throw new ProviderError(
          PROVIDER,
          'rejected',
          `this account has ${publicZones.length} public hosted zones named ${candidate}; which one the domain is delegated to cannot be told, so none is changed`,
        );
      }
      if (publicZones.length === 1) return { name: candidate, id: publicZones[0]!.id };
    }
    const privateOnly = candidates.find((c) => (found.get(c) ?? []).length > 0);
    if (privateOnly) {
      throw new ProviderError(PROVIDER, 'not_found', `only a private hosted zone is named ${privateOnly} in this account; public DNS is not served from it`);
    }
    throw new ProviderError(PROVIDER, 'not_found', `no public hosted zone for ${parsed.domain} in this account`);
  }

  /** The zone lookup, then one `ListResourceRecordSets?maxitems=1`: proves read access to THAT zone (§11). */
  async authorize(domain: string): Promise<Zone> {
    const zone = await this.findZone(domain);
    const doc = await this.call('GET', rrsetPath(zone), { maxitems: '1' }, undefined, READ_RETRIES);
    child(doc, 'ListResourceRecordSetsResponse');
    return zone;
  }

  /** Every page: `IsTruncated` + `NextRecordName`/`NextRecordType`/`NextRecordIdentifier` (§1 endpoints) [doc]. */
  async readZone(zone: Zone): Promise<ZoneContents> {
    const records: DnsRecord[] = [];
    let query: Record<string, string> = { maxitems: String(this.pageSize) };
    for (let page = 0; page < MAX_PAGES; page++) {
      const doc = await this.call('GET', rrsetPath(zone), query, undefined, READ_RETRIES);
      const root = child(doc, 'ListResourceRecordSetsResponse');
      for (const rrset of list(child(root, 'ResourceRecordSets'), 'ResourceRecordSet').map(parseRecordSet)) records.push(...fromRoute53(rrset));
      if (text(root, 'IsTruncated') !== 'true') return { records };
      const name = text(root, 'NextRecordName');
      const type = text(root, 'NextRecordType');
      if (!name || !type) throw new ProviderError(PROVIDER, 'protocol', 'a truncated record list named no next record');
      const identifier = text(root, 'NextRecordIdentifier');
      // The next name goes back as Route 53 gave it (escaped): it is a position in its own order.
      query = { maxitems: String(this.pageSize), name, type, ...(identifier ? { identifier } : {}) };
    }
    throw new ProviderError(PROVIDER, 'protocol', `the record list did not end after ${MAX_PAGES} pages`);
  }

  /**
   * One batch. A refusal of the first send is an answer: nothing ran (a stale read → `conflict` with `staleRead`). When
   * the reply is lost (reset, timeout, 5xx, unreadable) the batch may or may not have run; it is one transaction, so a
   * re-read tells which: applied → success; unchanged → sent once more; changed otherwise → stale. A second send of
   * a batch that did run is refused as stale (its DELETEs no longer match), which is safe: the zone is then re-read
   * and success reported when it holds the target state.
   */
  async applyChanges(zone: Zone, contents: ZoneContents, changes: readonly RecordChange[]): Promise<ApplyResult> {
    if (changes.length === 0) return { applied: [] };
    const batch = planBatch(zone, contents.records, changes);
    if (batch.changes.length === 0) return { applied: [...changes] };
    const body = batchXml(batch);
    let uncertain = false;
    for (let send = 1; ; send++) {
      const attempts = { n: 0 };
      try {
        const doc = await this.call('POST', `${rrsetPath(zone)}/`, {}, body, BATCH_RETRIES, writeReserveMs(this.bounds), attempts);
        const info = child(child(doc, 'ChangeResourceRecordSetsResponse'), 'ChangeInfo');
        if (!text(info, 'Id')) throw new ProviderError(PROVIDER, 'protocol', 'the batch reply has no change id');
        return { applied: [...changes] };
      } catch (error) {
        if (!(error instanceof ProviderError)) throw error;
        // A 503 counts as throttled and is sent again; if the first send did run after all, the next is refused as
        // stale: only a re-read tells that apart from someone else's edit.
        uncertain ||= attempts.n > 1;
        // Refused before it ran: Route 53's answer about this batch, not a lost reply.
        if (!uncertain && (error.isCallerFault || error.kind === 'rate_limited')) throw error;
        const outcome = await this.batchOutcome(zone, batch);
        if (outcome === 'applied') return { applied: [...changes] };
        // Refused as stale and not our own earlier send: someone else changed the zone.
        if (error.staleRead) throw staleError(error);
        if (outcome === 'unchanged' && send < BATCH_SENDS && !error.isCallerFault) {
          uncertain = true;
          continue;
        }
        if (outcome === 'diverged') {
          // Neither as read nor as planned: changed by someone else; the service reads again and plans afresh.
          throw new ProviderError(PROVIDER, 'conflict', `${error.reason}; the zone was re-read and was changed by someone else meanwhile`, {
            cause: error,
            staleRead: true,
          });
        }
        const known =
          outcome === 'unchanged' ? 'the zone was re-read: nothing was changed' : 'whether the change was applied could not be checked';
        throw new ProviderError(PROVIDER, error.kind, `${error.reason}; ${known}`, { cause: error, retryAfterSeconds: error.retryAfterSeconds });
      }
    }
  }

  /** Re-reads the zone after an uncertain send and compares every rrset the batch touches. */
  private async batchOutcome(zone: Zone, batch: Route53Batch): Promise<BatchOutcome> {
    let now: ZoneContents;
    try {
      now = await this.readZone(zone);
    } catch {
      return 'unknown';
    }
    return judgeBatch(batch, now.records);
  }

  /** One logical call (its retries included), signed afresh for each attempt, bounded by the command's deadline. */
  private async call(
    method: 'GET' | 'POST',
    path: string,
    query: Readonly<Record<string, string>>,
    body: string | undefined,
    policy: RetryPolicy,
    reserve = 0,
    /** Counts the attempts made (the batch needs to know whether it was sent more than once). */
    attempts: { n: number } = { n: 0 },
  ): Promise<unknown> {
    if (!this.signer) throw new ProviderError(PROVIDER, 'auth', this.credentialProblem ?? 'credentials are missing');
    const signer = this.signer;
    const fullPath = `${this.base.pathname.replace(/\/+$/, '')}${path}`;
    const search = Object.entries(query).map(([k, v]) => `${encodeQuery(k)}=${encodeQuery(v)}`).join('&');
    const url = `${this.base.origin}${fullPath}${search ? `?${search}` : ''}`;
    return withRetries(
      policy,
      async () => {
        attempts.n++;
        const signed = await signer.sign(
          {
            method,
            protocol: this.base.protocol,
            hostname: this.base.hostname,
            ...(this.base.port ? { port: Number(this.base.port) } : {}),
            path: fullPath,
            query: { ...query },
            headers: { host: this.base.host, ...(body === undefined ? {} : { 'content-type': 'application/xml' }) },
            ...(body === undefined ? {} : { body }),
          },
          { signingDate: new Date() },
        );
        const headers: Record<string, string> = {};
        for (const [name, value] of Object.entries(signed.headers)) if (typeof value === 'string') headers[name] = value;
        const reply = await withAttemptSignal(PROVIDER, this.bounds, reserve, (signal) =>
          send(PROVIDER, this.deps, url, { method, headers, ...(body === undefined ? {} : { body }), signal }),
        );
        if (reply.status >= 200 && reply.status < 300) return parseXml(reply);
        throw route53ErrorFromReply(reply, this.credentials);
      },
      { deadline: this.bounds.deadline - reserve, sleep: this.deps.sleep, signal: this.bounds.signal },
    );
  }
}

function staleError(cause: ProviderError): ProviderError {
  return new ProviderError(PROVIDER, 'conflict', 'the zone changed while it was being written; nothing was applied', { cause, staleRead: true });
}

function rrsetPath(zone: Zone): string {
  return `${API}/hostedzone/${encodeURIComponent(zone.id)}/rrset`;
}

/** RFC 3986 unreserved characters stay, everything else is %-encoded: the form SigV4 canonicalises to. */
function encodeQuery(value: string): string {
  return encodeURIComponent(value).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/** `mail.eu.example.com` → `mail.eu.example.com`, `eu.example.com`, `example.com` (never above the registrable domain). */
export function candidateZoneNames(domain: string, registrable: string): string[] {
  const names: string[] = [];
  let name = domain;
  while (name.length >= registrable.length) {
    names.push(name);
    if (name === registrable) break;
    name = name.slice(name.indexOf('.') + 1);
  }
  return names;
}

/**
 * Route 53's order of names: "by DNS name with the labels reversed, for example: com.example.www." with the trailing
 * dot, in ASCII (API_ListResourceRecordSets, ListHostedZonesByName) [doc].
 */
export function sortKey(name: string): string {
  const labels = name.toLowerCase().replace(/\.$/, '').split('.');
  return `${labels.reverse().join('.')}.`;
}

// --------------------------------------------------------------------------------------------- XML in and out

const parser = new XMLParser({
  ignoreAttributes: true,
  ignoreDeclaration: true,
  removeNSPrefix: true,
  // Values stay strings (an A record is not a number, a TTL is converted where it is read).
  parseTagValue: false,
  processEntities: true,
  htmlEntities: false,
  trimValues: true,
});

const builder = new XMLBuilder({ ignoreAttributes: false, attributeNamePrefix: '@_', processEntities: true, suppressEmptyNode: false });

/** A well-formed XML document, or `protocol` (an HTML page from an edge, a body cut short). */
function parseXml(reply: HttpReply): unknown {
  if (XMLValidator.validate(reply.text) !== true) {
    throw new ProviderError(
      PROVIDER,
      reply.status >= 500 ? 'unavailable' : 'protocol',
      `HTTP ${reply.status} with ${/^\s*<(?:!doctype\s+)?html/i.test(reply.text) ? 'an HTML page' : 'a malformed body'} instead of XML`,
    );
  }
  return parser.parse(reply.text) as unknown;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The element `name` of `node`; a missing one is a malformed reply. */
function child(node: unknown, name: string): Record<string, unknown> {
  const value = isObject(node) ? node[name] : undefined;
  if (isObject(value)) return value;
  throw new ProviderError(PROVIDER, 'protocol', `the reply has no ${name} element`);
}

/** Repeated elements `name` under `node` (one, several or none: an empty element parses as ''). */
function list(node: unknown, name: string): unknown[] {
  const value = isObject(node) ? node[name] : undefined;
  if (value === undefined || value === '') return [];
  return Array.isArray(value) ? value : [value];
}

function text(node: unknown, name: string): string | undefined {
  const value = isObject(node) ? node[name] : undefined;
  return typeof value === 'string' ? value : undefined;
}

function parseHostedZone(node: unknown): HostedZoneEntry {
  const id = text(node, 'Id');
  const name = text(node, 'Name');
  if (!id || !name) throw new ProviderError(PROVIDER, 'protocol', 'a hosted zone lacked its Id or Name');
  // `/hostedzone/Z…` must lose its prefix before it goes into a path (boto#448, aws-cli#332; lego TrimPrefix) [obs].
  const bare = id.replace(/^\/hostedzone\//, '');
  if (!/^[A-Za-z0-9]+$/.test(bare)) throw new ProviderError(PROVIDER, 'protocol', 'a hosted zone id has an unexpected form');
  const config = isObject(node) ? node.Config : undefined;
  return { id: bare, name: normaliseName(decodeName(name)), private: text(config, 'PrivateZone') === 'true' };
}

/** One `ResourceRecordSet` element → the rrset as read (unknown fields kept as parsed). */
export function parseRecordSet(node: unknown): Route53RecordSet {
  if (!isObject(node)) throw new ProviderError(PROVIDER, 'protocol', 'a record set is malformed');
  const name = text(node, 'Name');
  const type = text(node, 'Type');
  if (!name || !type) throw new ProviderError(PROVIDER, 'protocol', 'a record set lacked its Name or Type');
  const { Name: _n, Type: _t, TTL: ttlText, ResourceRecords: records, AliasTarget: alias, ...rest } = node;
  const out: Record<string, unknown> = { Name: name, Type: type.toUpperCase(), ...rest };
  if (ttlText !== undefined) {
    const ttl = Number(ttlText);
    if (!Number.isInteger(ttl) || ttl < 0) throw new ProviderError(PROVIDER, 'protocol', 'a record set has a malformed TTL');
    out.TTL = ttl;
  }
  if (records !== undefined) {
    out.ResourceRecords = list(records, 'ResourceRecord').map((r) => {
      const value = text(r, 'Value');
      if (value === undefined) throw new ProviderError(PROVIDER, 'protocol', 'a resource record lacked its Value');
      return value;
    });
  }
  if (alias !== undefined) {
    const dnsName = text(alias, 'DNSName');
    const zoneId = text(alias, 'HostedZoneId');
    if (!dnsName || !zoneId) throw new ProviderError(PROVIDER, 'protocol', 'an alias target is malformed');
    out.AliasTarget = { HostedZoneId: zoneId, DNSName: dnsName, EvaluateTargetHealth: text(alias, 'EvaluateTargetHealth') === 'true' };
  }
  return out as Route53RecordSet;
}

/** The batch as the `ChangeResourceRecordSetsRequest` body (§1 wire format, §10). */
function batchXml(batch: Route53Batch): string {
  const change = ({ action, rrset }: Route53Change) => ({
    Action: action,
    ResourceRecordSet: {
      Name: rrset.Name,
      Type: rrset.Type,
      TTL: rrset.TTL,
      ResourceRecords: { ResourceRecord: (rrset.ResourceRecords ?? []).map((Value) => ({ Value })) },
    },
  });
  return builder.build({
    '?xml': { '@_version': '1.0', '@_encoding': 'UTF-8' },
    ChangeResourceRecordSetsRequest: {
      '@_xmlns': ROUTE53_XMLNS,
      ChangeBatch: { Comment: 'dns-gateway', Changes: { Change: batch.changes.map(change) } },
    },
  }) as string;
}

// --------------------------------------------------------------------------------------------- replies and errors

/** Route 53's error, from either body it uses. */
interface AwsError {
  readonly code: string;
  readonly message: string;
}

/**
 * Error bodies: `<ErrorResponse><Error><Type/><Code/><Message/></Error><RequestId/></ErrorResponse>` (§1, rusoto#1046),
 * and for a refused batch also `<InvalidChangeBatch><Messages><Message>…</Message>…</Messages></InvalidChangeBatch>`
 * (aws-sdk-kotlin's Route 53 customization parses this root) [code].
 */
function parseAwsError(reply: HttpReply): AwsError | undefined {
  if (XMLValidator.validate(reply.text) !== true) return undefined;
  const doc = parser.parse(reply.text) as unknown;
  if (!isObject(doc)) return undefined;
  if (isObject(doc.ErrorResponse)) {
    const error = doc.ErrorResponse.Error;
    return { code: text(error, 'Code') ?? '', message: text(error, 'Message') ?? '' };
  }
  if (isObject(doc.InvalidChangeBatch)) {
    const messages = list(doc.InvalidChangeBatch.Messages, 'Message').filter((m): m is string => typeof m === 'string');
    const single = text(doc.InvalidChangeBatch, 'Message');
    return { code: 'InvalidChangeBatch', message: messages.length > 0 ? messages.join('; ') : (single ?? '') };
  }
  return undefined;
}

/** Messages of an InvalidChangeBatch that mean the zone is no longer as read (§1 "Errors and conflicts") [obs]. */
const STALE_MESSAGES = [
  /but it was not found/i,
  /values provided do not match the current values/i,
  /but it already exists/i,
  // A CNAME beside another type: the plan was checked against the zone as read, so the zone has changed since [infer].
  /conflicting RRSet of type/i,
];

/** A non-2xx Route 53 reply → ProviderError; every provider text is scrubbed of the caller's credentials. */
export function route53ErrorFromReply(reply: HttpReply, credentials: ProviderCredentials): ProviderError {
  const error = parseAwsError(reply);
  const code = error?.code ?? '';
  const message = redactCredentials(error?.message ?? '', credentials).replace(/[\u0000-\u001f\u007f]/g, ' ');
  // The code is provider text too: matched as sent, repeated only scrubbed.
  const shown = redactCredentials(code, credentials).replace(/[\u0000-\u001f\u007f]/g, ' ').slice(0, 100);
  const fail = (kind: ProviderErrorKind, reason: string) =>
    new ProviderError(PROVIDER, kind, reason, kind === 'rate_limited' ? { retryAfterSeconds: retryAfterSeconds(reply.headers) } : {});
  const status = reply.status;
  // Throttling is HTTP 400 with `Throttling` ("Rate exceeded") or `PriorRequestNotComplete` (§1 errors) [doc].
  if (code === 'Throttling' || code === 'ThrottlingException' || code === 'RequestLimitExceeded' || status === 429) {
    return fail('rate_limited', 'rate limit reached (requests per second per AWS account, shared with its other tools)');
  }
  if (code === 'PriorRequestNotComplete') return fail('rate_limited', 'the zone is still busy with an earlier change (PriorRequestNotComplete)');
  if (status === 503) return fail('rate_limited', `the service is busy (HTTP 503${shown ? ` ${shown}` : ''})`);
  if (status >= 500) return fail('unavailable', `HTTP ${status}${shown ? ` ${shown}` : ''}`);
  if (code === 'InvalidClientTokenId' || code === 'UnrecognizedClientException') {
    // "The security token included in the request is invalid.": an unknown key id, or a wrong session token
    // (acme.sh#1342; terraform-provider-acme#113) [obs].
    return fail('auth', credentials.apiUser?.trim() ? 'unknown access key id, or the session token is invalid (InvalidClientTokenId)' : 'unknown access key id (InvalidClientTokenId)');
  }
  if (code === 'ExpiredToken') return fail('auth', 'the session token has expired (ExpiredToken)');
  if (code === 'RequestExpired' || (code === 'SignatureDoesNotMatch' && /signature expired|not yet current/i.test(message))) {
    // "Signature expired: … is now earlier than … (… - 5 min.)" (hashicorp/terraform#9333, external-dns#1626) [obs].
    return fail('auth', "the request signature was refused because this server's clock differs from AWS by more than 5 minutes (clock skew)");
  }
  if (code === 'SignatureDoesNotMatch') return fail('auth', 'the secret access key does not match the access key id (SignatureDoesNotMatch)');
  if (code === 'MissingAuthenticationToken' || code === 'IncompleteSignature' || code === 'InvalidSignatureException') {
    return fail('auth', `the request signature was refused (${shown})`);
  }
  if (code === 'AccessDenied' || code === 'AccessDeniedException') {
    // "User: arn:… is not authorized to perform: route53:ListResourceRecordSets on resource: …hostedzone/Z…" (lego#716).
    const action = /route53:([A-Za-z]+)/.exec(message)?.[1];
    return fail('forbidden', action ? `the key's IAM policy does not allow route53:${action} on this hosted zone (AccessDenied)` : 'the key is not allowed to do this (AccessDenied)');
  }
  if (code === 'NoSuchHostedZone') return fail('not_found', 'the hosted zone is not in this account (NoSuchHostedZone)');
  if (code === 'InvalidChangeBatch') {
    if (STALE_MESSAGES.some((re) => re.test(message))) {
      return new ProviderError(PROVIDER, 'conflict', 'the zone changed while it was being written; nothing was applied', { staleRead: true });
    }
    const detail = message.replace(/^\[(.*)\]$/s, '$1');
    return fail('rejected', `the change was refused: ${detail}`.slice(0, 500));
  }
  if (code === 'InvalidInput' || code === 'MalformedInput' || code === 'InvalidArgument' || code === 'InvalidDomainName') {
    return fail('rejected', `the request was refused (${shown}${message ? `: ${message}` : ''})`.slice(0, 500));
  }
  if (status === 403) return fail('forbidden', `access denied (HTTP 403${shown ? ` ${shown}` : ''})`);
  if (status === 404) return fail('not_found', `not found (HTTP 404${shown ? ` ${shown}` : ''})`);
  return fail('protocol', error ? `unexpected HTTP ${status}${shown ? ` ${shown}` : ''}` : `HTTP ${status} with ${/^\s*</.test(reply.text) ? 'an unexpected page' : 'a malformed body'}`);
}

// --------------------------------------------------------------------------------------------- record forms

const normaliseName = (name: string) => name.trim().toLowerCase().replace(/\.$/, '');
const stripDot = (host: string) => host.replace(/\.$/, '');
const fqdn = (host: string) => `${stripDot(host.trim())}.`;

/** Route 53 returns special characters of names as `\` + three octal digits (`\052` = `*`, DomainNameFormat) [doc]. */
export function decodeName(name: string): string {
  return name.replace(/\\([0-7]{3})/g, (_, octal: string) => String.fromCharCode(parseInt(octal, 8)));
}

/**
 * A TXT (or SPF) Value: one or more quoted strings (`"c1" "c2"`); inside them `\"` and `\\` are escaped characters
 * and `\` + three octal digits a byte (Route 53 TXT format, §9) [doc]. Returns the strings joined; a value that is
 * not quoted is returned as it is.
 */
export function decodeTxtValue(value: string): string {
  if (!/^\s*"(?:[^"\\]|\\.)*"(?:\s*"(?:[^"\\]|\\.)*")*\s*$/s.test(value)) return value;
  const bytes: number[] = [];
  for (const match of value.matchAll(/"((?:[^"\\]|\\.)*)"/gs)) {
    for (const token of (match[1] ?? '').matchAll(/\\([0-7]{3})|\\([\s\S])|([\s\S])/gu)) {
      if (token[1] !== undefined) bytes.push(parseInt(token[1], 8) & 0xff);
      else bytes.push(...Buffer.from(token[2] ?? token[3] ?? '', 'utf8'));
    }
  }
  return Buffer.from(bytes).toString('utf8');
}

/**
 * A TXT value as Route 53 wants it: quoted strings of at most 255 bytes each, `"` and `\` escaped, bytes outside
 * printable ASCII as `\` + three octal digits, never splitting a character (§1 TXT; libdns/route53#21) [obs].
 */
export function encodeTxtValue(value: string): string {
  const chunks: string[] = [];
  let current = '';
  let size = 0;
  for (const ch of value) {
    const bytes = Buffer.from(ch, 'utf8');
    if (size + bytes.length > 255) {
      chunks.push(current);
      current = '';
      size = 0;
    }
    if (ch === '"' || ch === '\\') current += `\\${ch}`;
    else if (bytes.length === 1 && bytes[0]! >= 0x20 && bytes[0]! < 0x7f) current += ch;
    else for (const byte of bytes) current += `\\${byte.toString(8).padStart(3, '0')}`;
    size += bytes.length;
  }
  chunks.push(current);
  return chunks.map((c) => `"${c}"`).join(' ');
}

/** The neutral records of one rrset as read: one per value; an alias record is one record naming its target. */
export function fromRoute53(rrset: Route53RecordSet): DnsRecord[] {
  const type = rrset.Type.toUpperCase();
  const name = normaliseName(decodeName(rrset.Name));
  const routing = routingFields(rrset);
  if (rrset.AliasTarget) {
    const raw: Route53RawRecord = { rrset };
    return [{ type, name, content: normaliseName(decodeName(rrset.AliasTarget.DNSName)), ttl: rrset.TTL ?? 0, raw, providerFields: routing }];
  }
  return (rrset.ResourceRecords ?? []).map((value) => {
    const { content, priority } = neutralValue(type, value);
    const raw: Route53RawRecord = { rrset, value };
    return {
      type,
      name,
      content,
      ttl: rrset.TTL ?? 0,
      ...(priority === undefined ? {} : { priority }),
      raw,
      ...(routing ? { providerFields: routing } : {}),
      // Route 53 keeps a TXT Value as it was entered, in the customer's character-strings (§1 wire format: any quoted
      // strings of at most 255 bytes): a revert writes this back instead of re-chunking `content`.
      ...(type === 'TXT' || type === 'SPF' ? { wireValue: value } : {}),
    };
  });
}

/** The fields that make a record a routing-policy or alias record (API_ResourceRecordSet), where present. */
function routingFields(rrset: Route53RecordSet): Record<string, unknown> | undefined {
  const { Name: _n, Type: _t, TTL: _ttl, ResourceRecords: _r, ...rest } = rrset;
  return Object.keys(rest).length > 0 ? rest : undefined;
}

/** A Value → neutral content (+ MX preference / SRV priority, which Route 53 keeps inside the value, octodns-r53). */
export function neutralValue(type: string, value: string): { content: string; priority?: number } {
  switch (type) {
    case 'TXT':
    case 'SPF':
      return { content: decodeTxtValue(value) };
    case 'CNAME':
    case 'NS':
    case 'PTR':
      return { content: normaliseName(value) };
    case 'MX': {
      const match = /^\s*(\d+)\s+(\S+)\s*$/.exec(value);
      return match ? { content: normaliseName(match[2]!), priority: Number(match[1]) } : { content: value };
    }
    case 'SRV': {
      const match = /^\s*(\d+)\s+(\d+)\s+(\d+)\s+(\S+)\s*$/.exec(value);
      return match ? { content: `${match[2]} ${match[3]} ${normaliseName(match[4]!)}`, priority: Number(match[1]) } : { content: value };
    }
    default:
      return { content: value };
  }
}

/** A record to write → its Value (§1 wire format: TXT quoted, targets as FQDNs with the dot, MX/SRV priority inside). */
export function route53Value(record: DesiredRecord): string {
  const type = record.type.toUpperCase();
  switch (type) {
    case 'TXT':
      return restoredTxt(record, decodeTxtValue) ?? encodeTxtValue(record.content);
    case 'CNAME':
    case 'NS':
      return fqdn(record.content);
    case 'MX':
      return `${record.priority ?? 0} ${fqdn(record.content)}`;
    case 'SRV': {
      const [weight, port, target] = record.content.trim().split(/\s+/);
      if (!weight || !port || !target) throw rejected(`the SRV value "${record.content}" is not "weight port target"`);
      return `${record.priority ?? 0} ${weight} ${port} ${fqdn(target)}`;
    }
    default:
      return record.content;
  }
}

// --------------------------------------------------------------------------------------------- the batch

export interface Route53Change {
  readonly action: 'CREATE' | 'DELETE';
  readonly rrset: Route53RecordSet;
}

/** One rrset the plan changes: as read (absent = new) and as it must end (absent = removed). */
export interface RrsetTransition {
  readonly name: string;
  readonly type: string;
  readonly before?: Route53RecordSet | undefined;
  readonly after?: Route53RecordSet | undefined;
}

export interface Route53Batch {
  /** Every DELETE first, then every CREATE: a CNAME may only be created once the TXT at its name is gone. */
  readonly changes: readonly Route53Change[];
  readonly transitions: readonly RrsetTransition[];
}

interface Entry {
  readonly value: string;
  readonly ttl: number;
  /** True for a value that was read and is kept: then the rrset keeps its TTL as read. */
  readonly read: boolean;
}

interface Working {
  readonly name: string;
  readonly type: string;
  readonly before?: Route53RecordSet | undefined;
  entries: (Entry | null)[];
}

/**
 * Pure planning: groups the changes by rrset and rebuilds each touched rrset from the zone as read. The DELETE is the
 * rrset exactly as read (its Name, TTL and Values as Route 53 returned them, §1 trap 3); the CREATE holds every value
 * read and kept, byte for byte, plus the plan's, minus the ones it removes. Everything Route 53 would refuse is refused
 * here, before any call.
 */
export function planBatch(zone: Zone, records: readonly DnsRecord[], changes: readonly RecordChange[]): Route53Batch {
  const apex = normaliseName(zone.name);
  // Every rrset as read, and the neutral records of each (to find a change's `before` that is not the read object).
  const rrsets: Route53RecordSet[] = [];
  for (const record of records) {
    const raw = rawOf(record);
    if (raw && !rrsets.includes(raw.rrset)) rrsets.push(raw.rrset);
  }
  const at = (name: string, type: string) => rrsets.filter((r) => normaliseName(decodeName(r.Name)) === name && r.Type.toUpperCase() === type);
  const working = new Map<string, Working>();

  const touch = (typeIn: string, nameIn: string): Working => {
    const type = typeIn.toUpperCase();
    const name = normaliseName(nameIn);
    if (!ROUTE53_CAPABILITIES.recordTypes.has(type)) throw rejected(`${type} records are not written through Route 53's API by this service`);
    if (name !== apex && !name.endsWith(`.${apex}`)) throw rejected(`${name} is not in the hosted zone ${apex}`);
    if (type === 'NS' && name === apex) throw rejected(`the NS records at the zone apex ${apex} are Route 53's own and are not changed`);
    const key = `${name} ${type}`;
    let work = working.get(key);
    if (!work) {
      const existing = at(name, type);
      const special = existing.find((r) => r.SetIdentifier !== undefined || r.AliasTarget !== undefined);
      if (special) {
        throw rejected(
          `the ${type} records at ${name} are ${special.AliasTarget ? 'an alias' : `a routing-policy record set (SetIdentifier ${JSON.stringify(special.SetIdentifier)})`}; ` +
            'they are left as they are: change them in the Route 53 console',
        );
      }
      const before = existing[0];
      work = { name, type, before, entries: (before?.ResourceRecords ?? []).map((value) => ({ value, ttl: before?.TTL ?? 0, read: true })) };
      working.set(key, work);
    }
    return work;
  };

  /** Index of the entry a change's `before` names, in the rrset it belongs to. */
  const take = (before: DnsRecord): { work: Working; index: number } => {
    const work = touch(before.type, before.name);
    // The record as read carries its value; one from elsewhere (a journal row) is found by its neutral form.
    const value = rawOf(before)?.value ?? records.map((r) => (sameNeutral(r, before) && rawOf(r)?.rrset === work.before ? rawOf(r)?.value : undefined)).find((v) => v !== undefined);
    const index = value === undefined ? -1 : work.entries.findIndex((e) => e !== null && e.read && e.value === value);
    if (index < 0) throw new ProviderError(PROVIDER, 'conflict', `the ${before.type.toUpperCase()} record at ${normaliseName(before.name)} is not in the zone as read`);
    return { work, index };
  };

  for (const change of changes) {
    if (change.action === 'DELETE') {
      const { work, index } = take(change.before);
      work.entries[index] = null;
      continue;
    }
    const target = touch(change.record.type, change.record.name);
    const entry: Entry = { value: route53Value(change.record), ttl: change.record.ttl, read: false };
    if (change.action === 'UPDATE') {
      const { work, index } = take(change.before);
      if (work === target) {
        work.entries[index] = entry; // in place: the rrset keeps its order
        continue;
      }
      work.entries[index] = null;
    }
    target.entries.push(entry);
  }

  const transitions: RrsetTransition[] = [];
  for (const work of working.values()) {
    const entries = work.entries.filter((e): e is Entry => e !== null);
    // One value once: a record already in the rrset is not written twice (Route 53 refuses duplicate values [infer]).
    const values = [...new Set(entries.map((e) => e.value))];
    // Route 53 holds one TTL per rrset: values kept as read keep it; an rrset of the plan's values only takes the plan's.
    const ttl = work.before && entries.some((e) => e.read) ? (work.before.TTL ?? 0) : (entries.find((e) => !e.read)?.ttl ?? 0);
    const after: Route53RecordSet | undefined =
      values.length === 0 ? undefined : { Name: work.before?.Name ?? `${work.name}.`, Type: work.type, TTL: ttl, ResourceRecords: values };
    const unchanged =
      work.before !== undefined &&
      after !== undefined &&
      after.TTL === work.before.TTL &&
      values.length === (work.before.ResourceRecords ?? []).length &&
      values.every((v, i) => v === work.before!.ResourceRecords![i]);
    if (unchanged || (!work.before && !after)) continue;
    if (after) checkRrset(after, work.name, apex);
    transitions.push({ name: work.name, type: work.type, before: work.before, after });
  }
  checkCnameCoexistence(transitions, rrsets);
  const changesOut: Route53Change[] = [
    ...transitions.filter((t) => t.before).map((t): Route53Change => ({ action: 'DELETE', rrset: t.before! })),
    ...transitions.filter((t) => t.after).map((t): Route53Change => ({ action: 'CREATE', rrset: t.after! })),
  ];
  const recordCount = changesOut.reduce((n, c) => n + (c.rrset.ResourceRecords?.length ?? 0), 0);
  const valueChars = changesOut.reduce((n, c) => n + (c.rrset.ResourceRecords ?? []).reduce((m, v) => m + v.length, 0), 0);
  if (recordCount > MAX_BATCH_RECORDS || valueChars > MAX_BATCH_VALUE_CHARS) {
    throw rejected(
      `the change needs ${recordCount} values of ${valueChars} characters in one batch; Route 53 takes at most ${MAX_BATCH_RECORDS} values and ${MAX_BATCH_VALUE_CHARS} characters`,
    );
  }
  return { changes: changesOut, transitions };
}

function rawOf(record: DnsRecord): Route53RawRecord | undefined {
  const raw = record.raw as Partial<Route53RawRecord> | undefined;
  return isObject(raw) && isObject(raw.rrset) && typeof raw.rrset.Name === 'string' ? (raw as Route53RawRecord) : undefined;
}

function sameNeutral(a: DnsRecord, b: DnsRecord): boolean {
  return (
    a.type.toUpperCase() === b.type.toUpperCase() &&
    normaliseName(a.name) === normaliseName(b.name) &&
    a.content === b.content &&
    (a.priority ?? null) === (b.priority ?? null)
  );
}

/** What Route 53 refuses in an rrset it is asked to create (§1 wire format and errors) [doc/obs]. */
function checkRrset(rrset: Route53RecordSet, name: string, apex: string): void {
  const values = rrset.ResourceRecords ?? [];
  const ttl = rrset.TTL ?? 0;
  if (!Number.isInteger(ttl) || ttl < 0 || ttl > ROUTE53_MAX_TTL) throw rejected(`TTL ${ttl} at ${name} is outside Route 53's 0–${ROUTE53_MAX_TTL}`);
  if (rrset.Type === 'CNAME') {
    if (name === apex) throw rejected(`a CNAME cannot be at the zone apex ${apex}`);
    // "You can specify more than one value for all record types except CNAME and SOA" (API_ResourceRecord).
    if (values.length > 1) throw rejected(`a CNAME at ${name} can have only one target, not ${values.length}`);
  }
  for (const value of values) {
    if (value.length > ROUTE53_MAX_VALUE_CHARS) {
      throw rejected(`a ${rrset.Type} value at ${name} would be ${value.length} characters long; Route 53 takes at most ${ROUTE53_MAX_VALUE_CHARS}`);
    }
  }
}

/**
 * "RRSet of type TXT with DNS name … is not permitted because a conflicting RRSet of type CNAME with the same DNS name
 * already exists" (GSA-TTS/dns#443) [obs]: the names the plan writes must not end with a CNAME beside another type.
 */
function checkCnameCoexistence(transitions: readonly RrsetTransition[], rrsets: readonly Route53RecordSet[]): void {
  for (const name of new Set(transitions.filter((t) => t.after).map((t) => t.name))) {
    const types = new Set<string>();
    for (const rrset of rrsets) if (normaliseName(decodeName(rrset.Name)) === name) types.add(rrset.Type.toUpperCase());
    for (const t of transitions.filter((t) => t.name === name)) {
      if (t.after) types.add(t.type);
      else types.delete(t.type);
    }
    if (types.has('CNAME') && types.size > 1) {
      throw rejected(`a CNAME at ${name} cannot coexist with its other records (${[...types].filter((t) => t !== 'CNAME').join(', ')})`);
    }
  }
}

export type BatchOutcome = 'applied' | 'unchanged' | 'diverged' | 'unknown';

/**
 * Pure: the zone now (re-read after an uncertain send) against the batch. Route 53 runs a batch as one transaction,
 * so each touched rrset shows its target state, or all of them their state as read.
 */
export function judgeBatch(batch: Route53Batch, now: readonly DnsRecord[]): BatchOutcome {
  const current = new Map<string, Route53RecordSet>();
  for (const record of now) {
    const raw = rawOf(record);
    if (!raw || raw.rrset.SetIdentifier !== undefined) continue;
    current.set(`${normaliseName(decodeName(raw.rrset.Name))} ${raw.rrset.Type.toUpperCase()}`, raw.rrset);
  }
  let applied = true;
  let unchanged = true;
  for (const t of batch.transitions) {
    const rrset = current.get(`${t.name} ${t.type}`);
    applied &&= sameRrset(rrset, t.after);
    unchanged &&= sameRrset(rrset, t.before);
  }
  if (applied) return 'applied';
  return unchanged ? 'unchanged' : 'diverged';
}

/** Same TTL and the same values (order aside, compared in neutral form so a normalised echo still matches). */
function sameRrset(a: Route53RecordSet | undefined, b: Route53RecordSet | undefined): boolean {
  if (!a || !b) return a === b;
  const type = a.Type.toUpperCase();
  const key = (v: string) => JSON.stringify(neutralValue(type, v));
  const av = (a.ResourceRecords ?? []).map(key).sort();
  const bv = (b.ResourceRecords ?? []).map(key).sort();
  return a.TTL === b.TTL && av.length === bv.length && av.every((v, i) => v === bv[i]);
}

function rejected(reason: string): ProviderError {
  return new ProviderError(PROVIDER, 'rejected', reason);
}
