/**
 * The small interface every DNS provider adapter implements. It speaks in normalised records and record changes;
 * how a provider really writes (Cloudflare's batch, GoDaddy's rrset PUT, Namecheap's whole-zone setHosts) is the
 * adapter's private business.
 *
 * Flow used by the service: `connect(credentials)` → `findZone(domain)` → `readZone(zone)` → (plan, elsewhere) →
 * `applyChanges(zone, contents, changes)`. `authorize(domain)` proves read access without writing anything.
 */

export type ProviderId =
  | 'cloudflare'
  | 'godaddy'
  | 'namecheap'
  | 'sandbox'
  | 'route53'
  | 'googlecloud'
  | 'azure'
  | 'digitalocean'
  | 'linode'
  | 'vultr'
  | 'hetzner'
  | 'ionos'
  | 'ovh'
  | 'porkbun'
  | 'gandi'
  | 'dnsimple'
  | 'namecom'
  | 'hostinger';

export const PROVIDER_NAMES: Readonly<Record<ProviderId, string>> = {
  cloudflare: 'Cloudflare',
  godaddy: 'GoDaddy',
  namecheap: 'Namecheap',
  sandbox: 'Sandbox',
  route53: 'Amazon Route 53',
  googlecloud: 'Google Cloud DNS',
  azure: 'Azure DNS',
  digitalocean: 'DigitalOcean',
  linode: 'Linode',
  vultr: 'Vultr',
  hetzner: 'Hetzner',
  ionos: 'IONOS',
  ovh: 'OVHcloud',
  porkbun: 'Porkbun',
  gandi: 'Gandi',
  dnsimple: 'DNSimple',
  namecom: 'Name.com',
  hostinger: 'Hostinger',
};

/** Credentials as the caller sent them. Which fields a provider needs is declared in its `requiredCredentials`. */
export interface ProviderCredentials {
  readonly apiKey: string;
  readonly apiSecret?: string | undefined;
  readonly apiUser?: string | undefined;
  readonly username?: string | undefined;
}

export type CredentialField = keyof ProviderCredentials;

// The record model (DnsRecord, DesiredRecord, RecordChange, ProviderFields) lives with the pure planning code in
// src/records/model.ts; adapters speak it and import it from here.
export type { DesiredRecord, DnsRecord, ProviderFields, RecordChange } from '../src/records/model.js';
import type { DnsRecord, RecordChange } from '../src/records/model.js';

/** The zone that holds a domain at one provider. */
export interface Zone {
  /** The zone apex, e.g. `example.co.uk`. */
  readonly name: string;
  /** The provider's zone id (Cloudflare) or the apex again where the provider has none. */
  readonly id: string;
}

/** What `readZone` returns: all records, plus state the adapter needs to write the zone back (Namecheap EmailType). */
export interface ZoneContents {
  readonly records: readonly DnsRecord[];
  readonly adapterState?: unknown;
}

export interface ApplyResult {
  /** The changes that reached the provider, in the order they were applied. */
  readonly applied: readonly RecordChange[];
}

/** Capabilities as data, so services never ask `if (provider === 'namecheap')`. */
export interface ProviderCapabilities {
  /** Record types the API can read and write. */
  readonly recordTypes: ReadonlySet<string>;
  /** Lowest TTL the API accepts; lower template TTLs are raised to it. */
  readonly minTtl: number;
  readonly maxTtl: number;
  /** True when a whole plan is applied in one transaction (Cloudflare batch, Namecheap setHosts). */
  readonly atomicApply: boolean;
  /**
   * True when the provider itself refuses a write based on a stale read (Route 53's exact DELETE, Google's 412 on a
   * stale deletion, Azure's If-Match): a concurrent edit by someone else is then never overwritten, the adapter
   * re-reads and re-plans. False: only the gateway's zone lock guards the read-merge-write, which serialises the
   * gateway's own writers but not a person editing the zone in the provider's panel at the same moment.
   */
  readonly guardedWrite: boolean;
  /** Longest TXT value (joined, unquoted) the adapter writes, in bytes. */
  readonly maxTxtLength: number;
  /** The fewest upstream calls of a `dns.set` (asserted by the conformance suite, listed in the README). */
  readonly upstreamCalls: UpstreamCalls;
  /** How a plan reaches the provider, in one line for the README's provider table (which is generated from this). */
  readonly writes: string;
}

/**
 * The fewest upstream calls a command makes, as data. Calls that fetch an access token (cached until it expires)
 * are not counted: they are made once per token, not per command.
 */
export interface UpstreamCalls {
  /**
   * Calls to find and read the zone: all a dry run, or a re-apply that has nothing to write, makes (plus
   * `readPerRecord` for each record in the zone, where the provider has it).
   */
  readonly read: number;
  /**
   * Further read calls per record in the zone, where listing the zone gives ids only and each record is a call of its
   * own (OVH: `GET …/record` then `GET …/record/{id}`), so a read is `read + readPerRecord × records`. @default 0
   */
  readonly readPerRecord?: number;
  /**
   * Write calls (anything but a read) for a plan with changes: `perPlan` once, plus `perRrset` for each changed
   * record set (type + name), plus `perRecord` for each created, updated or deleted record, plus `perUpdate` more for
   * each updated record (Hetzner swaps a value with two actions).
   */
  readonly write: { readonly perPlan: number; readonly perRrset: number; readonly perRecord: number; readonly perUpdate?: number };
  /** Reads after each write call before the next may start (Hetzner polls each action to success). @default 0 */
  readonly pollsPerWrite?: number;
}

/** A plan's shape, as far as call counts go. */
export interface PlanShape {
  /** Created, updated and deleted records. */
  readonly changes: number;
  /** Distinct record sets (type + name) they touch. */
  readonly rrsets: number;
  readonly updates: number;
  /** Records in the zone as the command reads it: counted only for a provider with `readPerRecord`. @default 0 */
  readonly records?: number;
}

/** The fewest upstream calls (and write calls among them) a dns.set of this plan makes, by the declaration. */
export function fewestCalls(declared: UpstreamCalls, plan: PlanShape): { readonly total: number; readonly writes: number } {
  const read = declared.read + (declared.readPerRecord ?? 0) * (plan.records ?? 0);
  if (plan.changes === 0) return { total: read, writes: 0 };
  const { perPlan, perRrset, perRecord, perUpdate = 0 } = declared.write;
  const writes = perPlan + perRrset * plan.rrsets + perRecord * plan.changes + perUpdate * plan.updates;
  return { total: read + writes + writes * (declared.pollsPerWrite ?? 0), writes };
}

export interface ProviderSession {
  /** Finds the zone holding `domain` (walking up to the registrable domain where the provider needs it). */
  findZone(domain: string): Promise<Zone>;
  /** Proves the credentials can read `domain`'s zone; writes nothing. */
  authorize(domain: string): Promise<Zone>;
  readZone(zone: Zone): Promise<ZoneContents>;
  /**
   * Applies the changes so that every record not named in them stays exactly as `contents` holds it.
   * `contents` must be what `readZone` returned for this zone within the same command.
   */
  applyChanges(zone: Zone, contents: ZoneContents, changes: readonly RecordChange[]): Promise<ApplyResult>;
}

/**
 * One command's bounds, shared by every call the session makes (retries and re-reads included). `connect()` is
 * called once per command, so without options the deadline starts at `connect()`.
 */
export interface ConnectOptions {
  /** Epoch milliseconds after which no call of this command may still run. @default Date.now() + deps.deadlineMs at connect() */
  readonly deadline?: number | undefined;
  /** Aborts every call of this command, e.g. when the client went away. @default none */
  readonly signal?: AbortSignal | undefined;
}

export interface DnsProvider {
  readonly id: ProviderId;
  readonly capabilities: ProviderCapabilities;
  /** Credential fields this provider needs besides `apiKey` (GoDaddy: apiSecret; Namecheap: apiUser, username). */
  readonly requiredCredentials: readonly CredentialField[];
  connect(credentials: ProviderCredentials, options?: ConnectOptions): ProviderSession;
}

/**
 * Why a provider call failed. Adapters throw only this; the service turns it into code 9 or 10.
 * - `auth`: the credentials are wrong, expired or not allowed (→ 9).
 * - `forbidden`: authenticated but not allowed for this zone or account (GoDaddy ACCESS_DENIED, Namecheap IP) (→ 9).
 * - `not_found`: the zone is not in this account (→ 9).
 * - `rejected`: the provider refused the change as invalid (→ 9).
 * - `rate_limited`, `unavailable`, `timeout`, `protocol` (unexpected/malformed reply): the provider failed (→ 10).
 */
export type ProviderErrorKind =
  | 'auth'
  | 'forbidden'
  | 'not_found'
  | 'rejected'
  | 'conflict'
  | 'rate_limited'
  | 'unavailable'
  | 'timeout'
  | 'protocol';

export class ProviderError extends Error {
  override readonly name = 'ProviderError';
  constructor(
    readonly provider: ProviderId,
    readonly kind: ProviderErrorKind,
    /** A human reason without any secret, e.g. "account not eligible for API access". */
    readonly reason: string,
    options: { cause?: unknown; retryAfterSeconds?: number; applied?: readonly RecordChange[]; staleRead?: boolean } = {},
  ) {
    super(`${PROVIDER_NAMES[provider]}: ${reason}`, { cause: options.cause });
    this.retryAfterSeconds = options.retryAfterSeconds;
    this.applied = options.applied ?? [];
    this.staleRead = options.staleRead ?? false;
  }
  readonly retryAfterSeconds: number | undefined;
  /**
   * The provider refused the write because the zone changed since it was read (Route 53's DELETE that no longer
   * matches, Google's 412, Azure's If-Match): nothing was applied. The service then reads the zone again and plans
   * afresh, once; the adapter never re-plans by itself. Use with kind `conflict`.
   */
  readonly staleRead: boolean;
  /** For providers that apply a plan in several calls: what did reach the provider before the failure. */
  readonly applied: readonly RecordChange[];

  /** True for kinds that mean the caller's credentials or account are at fault (code 9), not the provider (10). */
  get isCallerFault(): boolean {
    return this.kind === 'auth' || this.kind === 'forbidden' || this.kind === 'not_found' || this.kind === 'rejected' || this.kind === 'conflict';
  }
}
