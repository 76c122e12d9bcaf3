/**
 * OVHcloud DNS adapter (API 1.0 `/domain/zone`; facts and sources: ../shared/reference/providers-registrars.md §0, §2
 * and §8; public clients cited as dnscontrol = `DNSControl/dnscontrol` `providers/ovh/{protocol,ovhProvider,
 * auditrecords}.go`, python-ovh = `ovh/python-ovh` `ovh/client.py`, go-ovh = `ovh/go-ovh` `ovh/ovh.go`).
 *
 * OVH keeps one record per id and has no batch: a plan is written one call per record (`POST …/record`,
 * `PUT …/record/{id}`, `DELETE …/record/{id}`), and nothing is served until `POST …/refresh`, which every write batch
 * ends with (also after a part-way failure, for what landed). An update is by id and carries only that record's
 * subDomain, target and TTL, so nothing else in the zone can be touched. Reading is N+1: the record list gives ids only,
 * then one GET per id (bounded concurrency).
 *
 * Every call is signed the OVH way (`X-Ovh-Signature: "$1$" + SHA1(AS+CK+METHOD+URL+BODY+TIMESTAMP)`) over the
 * server's clock (`GET /auth/time`, kept per API base URL and refreshed once when a signature is refused).
 *
 * Trap: records made in OVH's panel may have the field types `SPF`, `DKIM` or `DMARC` (served as TXT). They are read
 * as TXT (the field type kept in `raw` and `providerFields`), so the planner merges into the existing SPF instead of
 * adding a second one, and they are updated by id without a `fieldType` (OVH refuses to change it).
 *
 * Revert fidelity (providers/restore.ts) needs nothing here: OVH wraps a TXT target in one pair of quotes itself and
 * has no multi-string (providers-registrars.md §2 wire format: "only arbitrary long string"), so every spelling comes
 * back in that one form.
 */
import { createHash } from 'node:crypto';
import pLimit from 'p-limit';
import { partialApplyError } from './apply-progress.js';
import { REQUIRED_CREDENTIALS } from './credentials.js';
import { redactCredentials } from './redact.js';
import { registrableDomain } from '../src/domain.js';
import {
  commandBounds,
  retryAfterSeconds,
  send,
  withAttemptSignal,
  refuseUnsendableToken,
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

const PROVIDER = 'ovh' as const;

/** API endpoints per region (go-ovh `ovh/ovh.go`, §2 "Base URLs"). The `Username` credential picks one of these only. */
export const OVH_REGIONS: Readonly<Record<string, string>> = {
  'ovh-eu': 'https://eu.api.ovh.com/1.0',
  'ovh-ca': 'https://ca.api.ovh.com/1.0',
  'ovh-us': 'https://api.us.ovhcloud.com/1.0',
};
export const OVH_DEFAULT_REGION = 'ovh-eu';

/** A record as `GET /domain/zone/{zone}/record/{id}` returns it (§2 "Wire format"). */
export interface OvhRecord {
  readonly id: number;
  readonly zone?: string;
  /** Relative to the zone; `''` is the apex. */
  readonly subDomain: string;
  readonly fieldType: string;
  readonly target: string;
  /** 0 = the zone's default TTL. */
  readonly ttl: number;
}

/** Field types OVH's panel gives SPF, DKIM and DMARC records; the DNS serves them as TXT (§2, dnscontrol#2488). */
export const OVH_NATIVE_TXT_TYPES: ReadonlySet<string> = new Set(['SPF', 'DKIM', 'DMARC']);

/** OVH raises a TTL below 60 to 60 and answers 200 (ovh/terraform-provider-ovh#397); 0 means the zone default. */
export const OVH_MIN_TTL = 60;
/** `ttl: 0` (the zone's default) read as 3600, as dnscontrol does ("ovh default is 3600"). */
export const OVH_ZONE_DEFAULT_TTL = 3600;

/** Concurrent `GET …/record/{id}` while reading a zone (§2 trap 3: N+1 reads; OVH asks for fair use, §2 limits). */
export const OVH_READ_CONCURRENCY = 8;

export const OVH_CAPABILITIES: ProviderCapabilities = {
  // What the neutral form reads and writes; other OVH types (TLSA, SSHFP, NAPTR, …) are read as OVH shows them.
  recordTypes: new Set(['A', 'AAAA', 'CAA', 'CNAME', 'MX', 'NS', 'SRV', 'TXT']),
  minTtl: OVH_MIN_TTL,
  // No documented maximum: the largest TTL DNS allows [infer].
  maxTtl: 2_147_483_647,
  atomicApply: false,
  // A PUT or DELETE by id is not conditional: only the zone lock guards the read-merge-write.
  guardedWrite: false,
  // One arbitrarily long string, no multi-string (dnscontrol#1003); no documented maximum [infer].
  maxTxtLength: 1024,
  // GET …/record (ids), then one GET per record; one POST/PUT/DELETE per changed record, then one POST …/refresh.
  // `GET /auth/time` is cached per API base URL, like a token grant, and is not counted.
  upstreamCalls: { read: 1, readPerRecord: 1, write: { perPlan: 1, perRrset: 0, perRecord: 1 } },
  writes: 'one `POST`, `PUT` or `DELETE` per changed record (by id; a panel-made SPF, DKIM or DMARC record keeps its type), then one `POST …/refresh` that publishes them',
};

export interface OvhOptions {
  /** Concurrent record reads. @default 8 */
  readonly readConcurrency?: number;
}

/** Reads, PUT, DELETE and the refresh are safe to repeat; OVH's 500s pass on retry (dnscontrol PR #2535, §2). */
const RETRY_POLICY: RetryPolicy = {
  attempts: 5,
  baseDelayMs: 250,
  maxDelayMs: 20_000,
  retryOn: (error) => error.kind === 'rate_limited' || error.kind === 'unavailable' || error.kind === 'timeout',
};

/**
 * A create is repeated only after a re-read showed it did not land, or when OVH said it was not processed (429); never
 * when the re-read could not tell.
 */
const CREATE_POLICY: RetryPolicy = {
  ...RETRY_POLICY,
  attempts: 3,
  retryOn: (error) => !(error instanceof UncertainWrite) && RETRY_POLICY.retryOn(error),
};

type Method = 'GET' | 'POST' | 'PUT' | 'DELETE';

/**
 * The server's clock minus ours, in seconds, per API base URL, for the life of the provider (every session shares it).
 * A refused signature replaces it once, so a clock that drifted since is caught up.
 */
class ServerClock {
  private readonly offsets = new Map<string, Promise<number>>();

  get(base: string, fetch: () => Promise<number>): Promise<number> {
    let found = this.offsets.get(base);
    if (!found) {
      found = fetch();
      this.offsets.set(base, found);
      // A failed fetch is not remembered: the next call asks again.
      found.catch(() => {
        if (this.offsets.get(base) === found) this.offsets.delete(base);
      });
    }
    return found;
  }

  /** Asks again, unless another call already replaced `stale`. */
  refresh(base: string, stale: Promise<number>, fetch: () => Promise<number>): Promise<number> {
    if (this.offsets.get(base) === stale) this.offsets.delete(base);
    return this.get(base, fetch);
  }
}

export function createOvhProvider(deps: Omit<AdapterDeps, 'baseUrl'> & { readonly baseUrl?: string | undefined }, options: OvhOptions = {}): DnsProvider {
  const clock = new ServerClock();
  const concurrency = Math.max(1, options.readConcurrency ?? OVH_READ_CONCURRENCY);
  return {
    id: PROVIDER,
    capabilities: OVH_CAPABILITIES,
    requiredCredentials: REQUIRED_CREDENTIALS.ovh,
    connect: (credentials, connectOptions) => new OvhSession(deps, clock, concurrency, credentials, commandBounds(deps, connectOptions)),
  };
}

/** `"$1$" + SHA1_HEX(AS+"+"+CK+"+"+METHOD+"+"+FULL_URL+"+"+BODY+"+"+TIMESTAMP)` (§2 "Auth"; python-ovh `call`). */
export function ovhSignature(secret: string, consumer: string, method: string, url: string, body: string, timestamp: number | string): string {
  return `$1$${createHash('sha1').update([secret, consumer, method.toUpperCase(), url, body, String(timestamp)].join('+'), 'utf8').digest('hex')}`;
}

/** The API base URL for a region (`Username`), or an `auth` error naming the allowed regions (never the value sent). */
export function ovhEndpoint(region: string | undefined): string {
  const key = (region ?? '').trim().toLowerCase() || OVH_DEFAULT_REGION;
  const url = OVH_REGIONS[key];
  if (!url) throw new ProviderError(PROVIDER, 'auth', 'unknown region: Username must be ovh-eu, ovh-ca or ovh-us (empty means ovh-eu)');
  return url;
}

class OvhSession implements ProviderSession {
  /** Zones whose access a call of this session already proved (a walk up from a subdomain). */
  private readonly proven = new Set<string>();

  constructor(
    private readonly deps: Omit<AdapterDeps, 'baseUrl'> & { readonly baseUrl?: string | undefined },
    private readonly clock: ServerClock,
    private readonly concurrency: number,
    private readonly credentials: ProviderCredentials,
    /** One deadline for the whole command: every read, write, retry, re-read and clock fetch shares it. */
    private readonly bounds: CommandBounds,
  ) {}

  /**
   * The zone holding `domain`: the most specific of `domain` and its parents down to the registrable domain that OVH
   * hosts. A parent below the registrable domain is asked with `GET /domain/zone/{name}/status` (404 → next); the
   * registrable domain itself needs no call, the zone read that follows proves it (404 "This service does not exist").
   * `/status` is used rather than `GET /domain/zone/{name}` because it sits under `/domain/zone/{name}/*`, the rule a
   * consumer key narrowed to one zone has (lexicon `authenticate`, lexicon PR #97; §2 "Cheap checks").
   */
  async findZone(domain: string): Promise<Zone> {
    const apex = registrableDomain(domain);
    if (!apex) throw rejected('not a registrable domain name');
    const name = domain.trim().toLowerCase().replace(/\.$/, '');
    for (let candidate = name; candidate !== apex && candidate.endsWith(`.${apex}`); candidate = candidate.slice(candidate.indexOf('.') + 1)) {
      try {
        await this.call('GET', `${zonePath(candidate)}/status`);
        this.proven.add(candidate);
        return { name: candidate, id: candidate };
      } catch (error) {
        // Not a zone of this account (404), or outside a key narrowed to the parent zone (403 not granted): go up.
        if (error instanceof ProviderError && (error.kind === 'not_found' || error.kind === 'forbidden')) continue;
        throw error;
      }
    }
    return { name: apex, id: apex };
  }

  /** `GET /domain/zone/{zone}/status`: a signed read of that zone; writes nothing (lexicon `authenticate`). */
  async authorize(domain: string): Promise<Zone> {
    const zone = await this.findZone(domain);
    if (!this.proven.has(zone.name)) {
      const status = parseJson(await this.call('GET', `${zonePath(zone.name)}/status`));
      if (!isObject(status)) throw new ProviderError(PROVIDER, 'protocol', 'the zone status was not an object');
    }
    return zone;
  }

  /**
   * `GET …/record` (ids only), then `GET …/record/{id}` for each, at most `concurrency` at a time (dnscontrol
   * `fetchRecords`, §2 "Endpoints"). A record deleted between the two is left out: it is no longer in the zone.
   */
  async readZone(zone: Zone): Promise<ZoneContents> {
    const ids = parseIds(parseJson(await this.call('GET', `${zonePath(zone.name)}/record`)));
    const raws = await this.fetchRecords(zone.name, ids);
    const records: DnsRecord[] = [];
    for (const raw of raws) {
      if (!raw || raw.fieldType.toUpperCase() === 'SOA') continue;
      records.push(fromOvh(raw, zone.name));
    }
    return { records };
  }

  /**
   * One call per change, in the plan's order, then one refresh. Not atomic: when a call fails for good, what landed
   * is refreshed (so the zone serves a consistent state) and the error names exactly what was applied.
   */
  async applyChanges(zone: Zone, contents: ZoneContents, changes: readonly RecordChange[]): Promise<ApplyResult> {
    if (changes.length === 0) return { applied: [] };
    const writes = planOvhWrites(zone.name, contents.records, changes);
    /** Record ids the zone held when read, plus those created since: a re-read looks only at others. */
    const known = new Set<number>(contents.records.map((r) => (r.raw as OvhRecord | undefined)?.id).filter((id): id is number => typeof id === 'number'));
    const applied: RecordChange[] = [];
    for (const write of writes) {
      try {
        await this.write(zone.name, write, known);
        applied.push(write.change);
      } catch (error) {
        if (!(error instanceof ProviderError)) throw error;
        const unknown = error instanceof UncertainWrite ? [write.change] : [];
        const cause = error instanceof UncertainWrite ? error.original : error;
        const refreshFailure = applied.length > 0 || unknown.length > 0 ? await this.refreshQuietly(zone.name) : undefined;
        if (applied.length === 0 && unknown.length === 0 && cause.kind === 'conflict' && cause.staleRead) throw cause;
        const partial = partialApplyError(cause, applied, changes, unknown);
        if (!refreshFailure) throw partial;
        throw new ProviderError(PROVIDER, partial.kind, `${partial.reason}; the zone refresh failed as well (${refreshFailure.reason}), so none of it is served yet`, {
          cause: partial,
          applied,
        });
      }
    }
    const refreshFailure = await this.refreshQuietly(zone.name);
    if (refreshFailure) {
      throw new ProviderError(
        PROVIDER,
        refreshFailure.kind,
        `all ${applied.length} changes were stored, but the zone refresh that publishes them failed (${refreshFailure.reason}): ` +
          'they are served after the zone is next refreshed (any change saved through the API or the OVHcloud panel)',
        { cause: refreshFailure, applied, ...(refreshFailure.retryAfterSeconds === undefined ? {} : { retryAfterSeconds: refreshFailure.retryAfterSeconds }) },
      );
    }
    return { applied };
  }

  // ------------------------------------------------------------------------------------------------ writes

  private async write(zone: string, write: OvhWrite, known: Set<number>): Promise<void> {
    if (write.kind === 'create') return this.create(zone, write, known);
    const path = `${zonePath(zone)}/record/${write.id}`;
    try {
      if (write.kind === 'update') await this.call('PUT', path, JSON.stringify(write.body), { write: true, missing: 'conflict', about: write.change });
      else await this.call('DELETE', path, undefined, { write: true, missing: 'done-on-retry', about: write.change });
    } catch (error) {
      if (!(error instanceof ProviderError) || !mayHaveLanded(error)) throw error;
      // Retried and still failing in a way that may have reached OVH: look at the record to learn whether it did.
      const landed = await this.recordHolds(zone, write);
      if (landed === true) return;
      throw landed === undefined ? new UncertainWrite(error) : error;
    }
  }

  /**
   * `POST …/record`: never blindly repeated. After a failure that may have reached OVH (timeout, reset, 5xx), the
   * name's records are re-read and the POST is repeated only when none of the new ones is the record sent.
   */
  private async create(zone: string, write: OvhCreate, known: Set<number>): Promise<void> {
    const path = `${zonePath(zone)}/record`;
    const reserve = writeReserveMs(this.bounds);
    await withRetries(
      CREATE_POLICY,
      async () => {
        // The server's clock first: a failure to read it is a POST never sent, safe to try again.
        await this.serverOffset(this.base(), this.clockOffset(), reserve);
        let reply: HttpReply;
        try {
          reply = await this.exchange('POST', path, JSON.stringify(write.body), reserve);
          if (reply.status < 200 || reply.status >= 300) throw this.errorFrom(reply);
        } catch (error) {
          if (!(error instanceof ProviderError) || !mayHaveLanded(error)) throw error;
          const landed = await this.createLanded(zone, write, known);
          if (landed === undefined) throw new UncertainWrite(error);
          if (landed) return;
          throw error; // not in the zone: safe to send again
        }
        const id = (tryJson(reply.text) as { id?: unknown } | undefined)?.id;
        if (typeof id === 'number') known.add(id);
      },
      { deadline: this.bounds.deadline - reserve, sleep: this.deps.sleep, signal: this.bounds.signal },
    );
  }

  /** true: a record not known before holds what was sent; false: none does; undefined: the re-read failed. */
  private async createLanded(zone: string, write: OvhCreate, known: Set<number>): Promise<boolean | undefined> {
    try {
      // Filtered by type and name; whether an empty `subDomain=` filters to the apex is unconfirmed (§2 trap 3), so
      // every candidate is checked here as well.
      const query = `?fieldType=${encodeURIComponent(write.body.fieldType)}&subDomain=${encodeURIComponent(write.body.subDomain)}`;
      const ids = parseIds(parseJson(await this.call('GET', `${zonePath(zone)}/record${query}`)));
      const fresh = ids.filter((id) => !known.has(id));
      const records = await this.fetchRecords(zone, fresh);
      const match = records.find(
        (r) => r !== undefined && r.fieldType.toUpperCase() === write.body.fieldType && r.subDomain.toLowerCase() === write.body.subDomain && sameTarget(r, write.body, zone),
      );
      if (match) known.add(match.id);
      return match !== undefined;
    } catch {
      return undefined;
    }
  }

  /** After a failed PUT or DELETE: true = the record is as sent (or gone), false = it is not, undefined = cannot tell. */
  private async recordHolds(zone: string, write: OvhUpdate | OvhDelete): Promise<boolean | undefined> {
    try {
      const [record] = await this.fetchRecords(zone, [write.id]);
      if (write.kind === 'delete') return record === undefined;
      return record !== undefined && record.subDomain.toLowerCase() === write.body.subDomain && record.ttl === write.body.ttl && sameTarget(record, write.body, zone);
    } catch {
      return undefined;
    }
  }

  /** `POST …/refresh` (retried: refreshing twice is harmless). Returns the failure instead of throwing it. */
  private async refreshQuietly(zone: string): Promise<ProviderError | undefined> {
    try {
      await this.call('POST', `${zonePath(zone)}/refresh`, undefined);
      return undefined;
    } catch (error) {
      if (error instanceof ProviderError) return error;
      throw error;
    }
  }

  // ------------------------------------------------------------------------------------------------ reads

  /** `GET …/record/{id}` for each id, bounded; an id no longer there (404) gives undefined. */
  private async fetchRecords(zone: string, ids: readonly number[]): Promise<(OvhRecord | undefined)[]> {
    const limit = pLimit({ concurrency: this.concurrency, rejectOnClear: true });
    try {
      return await Promise.all(
        ids.map((id) =>
          limit(async () => {
            const reply = await this.call('GET', `${zonePath(zone)}/record/${id}`, undefined, { missing: 'undefined' });
            if (reply.status === 404) return undefined;
            const record = asOvhRecord(parseJson(reply));
            if (!record) throw new ProviderError(PROVIDER, 'protocol', 'a record lacked id, fieldType or target');
            return record;
          }),
        ),
      );
    } catch (error) {
      limit.clearQueue();
      throw error;
    }
  }

  // ------------------------------------------------------------------------------------------------ transport

  private base(): string {
    const { apiKey, apiSecret, apiUser } = this.credentials;
    if (!apiKey?.trim() || !apiSecret?.trim() || !apiUser?.trim()) {
      throw new ProviderError(PROVIDER, 'auth', 'application key, application secret and consumer key are all required');
    }
    // Both travel in headers (X-Ovh-Application, X-Ovh-Consumer); the secret only goes into the signature.
    refuseUnsendableToken(PROVIDER, apiKey, 'application key');
    refuseUnsendableToken(PROVIDER, apiUser, 'consumer key');
    // The region is checked even when OVH_API_URL overrides its endpoint (tests), so a bad one never passes.
    const regional = ovhEndpoint(this.credentials.username);
    return (this.deps.baseUrl?.trim() || regional).replace(/\/+$/, '');
  }

  /**
   * One signed call with retries: reads, PUT, DELETE and the refresh on 429 / 5xx / timeouts / resets (honouring
   * Retry-After); a POST create goes through `create` instead. Writes keep back a share of the deadline for a re-read.
   */
  private async call(
    method: Method,
    path: string,
    body?: string,
    options: { write?: boolean; missing?: 'undefined' | 'conflict' | 'done-on-retry'; about?: RecordChange } = {},
  ): Promise<HttpReply> {
    const reserve = options.write ? writeReserveMs(this.bounds) : 0;
    return withRetries(
      RETRY_POLICY,
      async (attempt) => {
        const reply = await this.exchange(method, path, body, reserve);
        if (reply.status >= 200 && reply.status < 300) return reply;
        if (reply.status === 404 && options.missing) {
          if (options.missing === 'undefined') return reply;
          // A retried DELETE whose first try did reach OVH finds the record gone: that is the wanted end state.
          if (options.missing === 'done-on-retry' && attempt > 1) return reply;
          const what = options.about && options.about.action !== 'CREATE' ? options.about.before : undefined;
          throw new ProviderError(
            PROVIDER,
            'conflict',
            what ? `the ${what.type} record at ${what.name} is no longer in the zone as read` : 'the record is no longer in the zone as read',
            { staleRead: true },
          );
        }
        throw this.errorFrom(reply);
      },
      { deadline: this.bounds.deadline - reserve, sleep: this.deps.sleep, signal: this.bounds.signal },
    );
  }

  /**
   * One signed exchange over the server's clock. A 400/401 that says the signature or timestamp is wrong fetches the
   * server's time again and signs once more (the clock may have drifted since it was read); a second refusal is
   * reported (a wrong application secret looks the same, §2 error table).
   */
  private async exchange(method: Method, path: string, body: string | undefined, reserve: number): Promise<HttpReply> {
    const base = this.base();
    const { apiKey, apiSecret, apiUser } = this.credentials as Required<ProviderCredentials>;
    const url = `${base}${path}`;
    let shared = this.clockOffset();
    for (let refreshed = false; ; refreshed = true) {
      const clock = await this.serverOffset(base, shared, reserve);
      shared = clock.from;
      const timestamp = Math.floor(Date.now() / 1000) + clock.offset;
      const headers: Record<string, string> = {
        accept: 'application/json',
        'x-ovh-application': apiKey,
        'x-ovh-consumer': apiUser,
        'x-ovh-timestamp': String(timestamp),
        'x-ovh-signature': ovhSignature(apiSecret, apiUser, method, url, body ?? '', timestamp),
      };
      if (body !== undefined) headers['content-type'] = 'application/json';
      const reply = await withAttemptSignal(PROVIDER, this.bounds, reserve, (signal) => send(PROVIDER, this.deps, url, { method, headers, body, signal }));
      if (!refreshed && isSignatureRefusal(reply)) {
        shared = this.clock.refresh(base, shared, () => this.fetchOffset(base));
        continue;
      }
      return reply;
    }
  }

  /**
   * The shared clock offset, awaited within THIS command's bounds. The read it waits for may have been started by
   * another command, under that command's deadline and cancellation: this one waits for it no longer than its own
   * deadline (less `reserve`) allows, and when that read timed out (the other command's deadline, or its cancellation)
   * it reads the clock once itself rather than failing with another command's error.
   */
  private async serverOffset(base: string, shared: Promise<number>, reserve: number): Promise<{ offset: number; from: Promise<number> }> {
    try {
      return { offset: await this.withinBounds(shared, reserve), from: shared };
    } catch (error) {
      if (error instanceof OwnBound) throw error.error;
      // Only a timeout may be another command's (its deadline, its cancellation); any other failure is OVH's answer.
      if (!(error instanceof ProviderError) || error.kind !== 'timeout') throw error;
      const mine = this.clock.refresh(base, shared, () => this.fetchOffset(base));
      try {
        return { offset: await this.withinBounds(mine, reserve), from: mine };
      } catch (again) {
        throw again instanceof OwnBound ? again.error : again;
      }
    }
  }

  /** `promise`, or an `OwnBound` when this command's deadline (less `reserve`) passes or it is cancelled first. */
  private async withinBounds<T>(promise: Promise<T>, reserve: number): Promise<T> {
    const { signal } = this.bounds;
    if (signal?.aborted) throw new OwnBound(new ProviderError(PROVIDER, 'timeout', 'the command was cancelled'));
    let timer: NodeJS.Timeout | undefined;
    let onAbort: (() => void) | undefined;
    try {
      return await Promise.race([
        promise,
        new Promise<never>((_, reject) => {
          timer = setTimeout(
            () => reject(new OwnBound(new ProviderError(PROVIDER, 'timeout', 'the provider did not answer in time'))),
            Math.max(0, this.bounds.deadline - reserve - Date.now()),
          );
        }),
        new Promise<never>((_, reject) => {
          onAbort = () => reject(new OwnBound(new ProviderError(PROVIDER, 'timeout', 'the command was cancelled')));
          signal?.addEventListener('abort', onAbort, { once: true });
        }),
      ]);
    } finally {
      clearTimeout(timer);
      if (onAbort) signal?.removeEventListener('abort', onAbort);
    }
  }

  /** The server's clock minus ours, fetched once per API base URL (shared: await it through `serverOffset`). */
  private clockOffset(): Promise<number> {
    const base = this.base();
    return this.clock.get(base, () => this.fetchOffset(base));
  }

  /** `GET /auth/time` (unauthenticated; go-ovh `getTimeDelta`): the server's epoch seconds minus ours. */
  private async fetchOffset(base: string): Promise<number> {
    return withRetries(
      RETRY_POLICY,
      async () => {
        const reply = await withAttemptSignal(PROVIDER, this.bounds, 0, (signal) =>
          send(PROVIDER, this.deps, `${base}/auth/time`, { method: 'GET', operation: 'auth', headers: { accept: 'application/json' }, signal }),
        );
        if (reply.status !== 200) throw this.errorFrom(reply);
        const server = Number(reply.text.trim());
        if (!Number.isSafeInteger(server) || server <= 0) throw new ProviderError(PROVIDER, 'protocol', 'the server time was not a number of seconds');
        return server - Math.floor(Date.now() / 1000);
      },
      { deadline: this.bounds.deadline, sleep: this.deps.sleep, signal: this.bounds.signal },
    );
  }

  private errorFrom(reply: HttpReply): ProviderError {
    return ovhErrorFromReply(reply, this.credentials);
  }
}

/** This command's own deadline or cancellation ended a wait (not the failure of what it waited for). */
class OwnBound extends Error {
  constructor(readonly error: ProviderError) {
    super(error.message);
  }
}

/** A write whose outcome could not be learned (its re-read failed too). */
class UncertainWrite extends ProviderError {
  constructor(readonly original: ProviderError) {
    super(PROVIDER, original.kind, original.reason, { cause: original });
  }
}

/** A failure after which the write may still have been applied: no reply, a cut reply, a 5xx. */
function mayHaveLanded(error: ProviderError): boolean {
  return error.kind === 'timeout' || error.kind === 'unavailable' || error.kind === 'protocol';
}

function isSignatureRefusal(reply: HttpReply): boolean {
  if (reply.status !== 400 && reply.status !== 401) return false;
  const body = tryJson(reply.text) as OvhErrorBody | undefined;
  const text = `${typeof body?.message === 'string' ? body.message : ''} ${typeof body?.errorCode === 'string' ? body.errorCode : ''}`;
  return /signature|timestamp/i.test(text);
}

// ---------------------------------------------------------------------------------------------------- planning

interface OvhCreateBody {
  readonly fieldType: string;
  readonly subDomain: string;
  readonly target: string;
  readonly ttl: number;
}
/** PUT body: never a `fieldType` (OVH: "Try to alter read-only properties: fieldType", dnscontrol#483, #2488). */
interface OvhUpdateBody {
  readonly subDomain: string;
  readonly target: string;
  readonly ttl: number;
}
interface OvhCreate {
  readonly kind: 'create';
  readonly change: RecordChange;
  readonly body: OvhCreateBody;
}
interface OvhUpdate {
  readonly kind: 'update';
  readonly change: RecordChange;
  readonly id: number;
  /** The stored field type (a native SPF/DKIM/DMARC stays one): decides the target's form. */
  readonly fieldType: string;
  readonly body: OvhUpdateBody;
}
interface OvhDelete {
  readonly kind: 'delete';
  readonly change: RecordChange;
  readonly id: number;
}
export type OvhWrite = OvhCreate | OvhUpdate | OvhDelete;

/**
 * Pure: one call per change, in the plan's order, with everything OVH would refuse refused here first, so a plan never
 * stops half-way for a reason known in advance.
 */
export function planOvhWrites(apex: string, records: readonly DnsRecord[], changes: readonly RecordChange[]): OvhWrite[] {
  // The names and types in the zone as the plan goes, for OVH's CNAME rule (§2 "Errors and limits").
  const held = records.map((r) => ({ type: r.type.toUpperCase(), name: r.name }));
  const drop = (record: DnsRecord) => {
    const index = held.findIndex((h) => h.type === record.type.toUpperCase() && h.name === record.name);
    if (index >= 0) held.splice(index, 1);
  };
  const writes: OvhWrite[] = [];
  for (const change of changes) {
    if (change.action === 'DELETE') {
      writes.push({ kind: 'delete', change, id: recordId(change.before) });
      drop(change.before);
      continue;
    }
    const record = change.record;
    const type = record.type.toUpperCase();
    if (!OVH_CAPABILITIES.recordTypes.has(type)) throw rejected(`OVHcloud's API cannot write ${type} records through this service`);
    checkRecord(record, type);
    const subDomain = relativeName(record.name, apex);
    if (change.action === 'UPDATE') {
      const before = change.before;
      if (before.type.toUpperCase() !== type) {
        throw rejected(`OVHcloud cannot change the type of the ${before.type} record at ${before.name}; delete it and create the new one`);
      }
      const fieldType = storedFieldType(before);
      // A native DMARC record lives only at a `_dmarc…` name (dnscontrol `adaptNativeRecord`).
      if (fieldType === 'DMARC' && !subDomain.startsWith('_dmarc')) throw rejected(`the DMARC-typed record at ${before.name} cannot move to ${record.name}`);
      // A record at the zone's default TTL (`ttl: 0`, read as OVH_ZONE_DEFAULT_TTL) keeps following the default when
      // the plan keeps the TTL it read: writing 3600 would pin it, altering a field the plan does not change.
      const atDefault = (before.raw as OvhRecord | undefined)?.ttl === 0 && record.ttl === before.ttl;
      const ttl = atDefault ? 0 : record.ttl;
      writes.push({ kind: 'update', change, id: recordId(before), fieldType, body: { subDomain, target: toTarget(record, fieldType), ttl } });
      drop(before);
    } else {
      const native = typeof record.restoreFields?.fieldType === 'string' ? record.restoreFields.fieldType.toUpperCase() : undefined;
      // A revert re-creates a panel-made SPF/DKIM/DMARC record with its own type; a new record is always plain.
      const fieldType = type === 'TXT' && native && OVH_NATIVE_TXT_TYPES.has(native) && !(native === 'DMARC' && !subDomain.startsWith('_dmarc')) ? native : type;
      const clash = type === 'CNAME' ? held.find((h) => h.name === record.name) : held.find((h) => h.name === record.name && h.type === 'CNAME');
      if (clash) {
        throw rejected(
          type === 'CNAME'
            ? `a CNAME at ${record.name} cannot sit beside its ${clash.type} record`
            : `a ${type} record at ${record.name} cannot sit beside its CNAME record`,
        );
      }
      // A revert re-creates a record that followed the zone's default TTL (`ttl: 0`) following it again.
      const ttl = record.restoreFields?.zoneDefaultTtl === true && record.ttl === OVH_ZONE_DEFAULT_TTL ? 0 : record.ttl;
      writes.push({ kind: 'create', change, body: { fieldType, subDomain, target: toTarget(record, fieldType), ttl } });
    }
    held.push({ type, name: record.name });
  }
  return writes;
}

function checkRecord(record: DesiredRecord, type: string): void {
  if (!Number.isInteger(record.ttl) || record.ttl < OVH_MIN_TTL || record.ttl > OVH_CAPABILITIES.maxTtl) {
    // Below 60 OVH would store 60 and answer 200 (terraform-provider-ovh#397): refused rather than silently changed.
    throw rejected(`the ${type} record at ${record.name} has TTL ${record.ttl}, outside OVHcloud's ${OVH_MIN_TTL}–${OVH_CAPABILITIES.maxTtl} seconds`);
  }
  if (type === 'TXT') {
    // dnscontrol `auditrecords.go`: TxtHasBackslash, TxtHasDoubleQuotes (verified against OVH).
    if (/["\\]/.test(record.content)) throw rejected(`the TXT value at ${record.name} contains a double quote or a backslash, which OVHcloud cannot store`);
    if (Buffer.byteLength(record.content, 'utf8') > OVH_CAPABILITIES.maxTxtLength) {
      throw rejected(`the TXT value at ${record.name} is longer than ${OVH_CAPABILITIES.maxTxtLength} bytes`);
    }
  }
  if ((type === 'MX' || type === 'SRV') && !Number.isInteger(record.priority ?? 0)) throw rejected(`the ${type} record at ${record.name} has no valid priority`);
}

/** The field type OVH stores for a record as read (its `raw`), so an update never asks to change it. */
function storedFieldType(record: DnsRecord): string {
  const raw = record.raw as OvhRecord | undefined;
  return typeof raw?.fieldType === 'string' ? raw.fieldType.toUpperCase() : record.type.toUpperCase();
}

function recordId(record: DnsRecord): number {
  const raw = record.raw as OvhRecord | undefined;
  const id = typeof raw?.id === 'number' ? raw.id : Number(record.id);
  if (!Number.isSafeInteger(id) || id <= 0) {
    throw new ProviderError(PROVIDER, 'conflict', `the ${record.type} record at ${record.name} is not a record of the zone as read`);
  }
  return id;
}

/**
 * Neutral → OVH `target`. TXT (and a native SPF) as one quoted string: OVH quotes TXT targets itself since late 2025
 * and has no multi-string (§2 "Wire format", dnscontrol#1003); a native DKIM or DMARC target unquoted ("Invalid
 * subfield found in DMARC" otherwise, dnscontrol `adaptNativeRecord`). Host names fully qualified with the dot
 * (octodns-ovh tests); MX and SRV carry their priority in the target.
 */
export function toTarget(record: DesiredRecord, fieldType: string = record.type.toUpperCase()): string {
  const type = record.type.toUpperCase();
  const host = (name: string) => (name === '.' ? '.' : `${name.replace(/\.$/, '')}.`);
  switch (type) {
    case 'TXT':
      return fieldType === 'DKIM' || fieldType === 'DMARC' ? record.content : `"${record.content}"`;
    case 'CNAME':
    case 'NS':
      return host(record.content.trim());
    case 'MX':
      return `${record.priority ?? 0} ${host(record.content.trim())}`;
    case 'SRV': {
      const [weight = '0', port = '0', target = '.'] = record.content.trim().split(/\s+/);
      return `${record.priority ?? 0} ${weight} ${port} ${host(target)}`;
    }
    default:
      return record.content;
  }
}

/** Whether a stored record's target is the one sent (quotes, a trailing dot and case aside). */
function sameTarget(record: OvhRecord, sent: { target: string }, zone: string): boolean {
  const stored = fromOvh(record, zone);
  const wanted = fromOvh({ ...record, target: sent.target }, zone);
  return stored.content === wanted.content && stored.priority === wanted.priority;
}

// ---------------------------------------------------------------------------------------------------- reading

/** OVH wire record → neutral form (pure; exported for tests). */
export function fromOvh(raw: OvhRecord, apex: string): DnsRecord {
  const fieldType = raw.fieldType.toUpperCase();
  const native = OVH_NATIVE_TXT_TYPES.has(fieldType);
  const type = native ? 'TXT' : fieldType;
  const name = fullName(raw.subDomain, apex);
  let content = raw.target;
  let priority: number | undefined;
  switch (type) {
    case 'TXT':
      content = unquoteTxt(raw.target);
      break;
    case 'CNAME':
    case 'NS':
    case 'PTR':
    case 'DNAME':
      content = hostName(raw.target, apex);
      break;
    case 'MX': {
      const match = /^\s*(\d+)\s+(\S+)\s*$/.exec(raw.target);
      if (match) {
        priority = Number(match[1]);
        content = hostName(match[2]!, apex);
      }
      break;
    }
    case 'SRV': {
      const match = /^\s*(\d+)\s+(\d+)\s+(\d+)\s+(\S+)\s*$/.exec(raw.target);
      if (match) {
        priority = Number(match[1]);
        content = `${match[2]} ${match[3]} ${hostName(match[4]!, apex)}`;
      }
      break;
    }
  }
  const ttl = raw.ttl > 0 ? raw.ttl : OVH_ZONE_DEFAULT_TTL;
  return {
    type,
    name,
    content,
    ttl,
    ...(priority === undefined ? {} : { priority }),
    id: String(raw.id),
    raw,
    ...(native || raw.ttl === 0 ? { providerFields: { ...(native ? { fieldType } : {}), ...(raw.ttl === 0 ? { zoneDefaultTtl: true } : {}) } } : {}),
  };
}

/**
 * `"a" "b"` or `"ab"` (quoted, as OVH returns TXT since late 2025) → `ab`; an unquoted target (older records, and the
 * raw targets of native DKIM and DMARC records, dnscontrol `nativeToRecord`) is kept as it is.
 */
export function unquoteTxt(target: string): string {
  const trimmed = target.trim();
  if (!/^"(?:[^"\\]|\\.)*"(?:\s*"(?:[^"\\]|\\.)*")*$/.test(trimmed)) return target;
  return [...trimmed.matchAll(/"((?:[^"\\]|\\.)*)"/g)].map((m) => (m[1] ?? '').replace(/\\(.)/g, '$1')).join('');
}

/** A target host: `x.example.net.` → `x.example.net`; without the final dot it is relative to the zone (as in a zone file). */
function hostName(target: string, apex: string): string {
  const value = target.trim().toLowerCase();
  if (value === '.' || value === '') return value;
  if (value.endsWith('.')) return value.slice(0, -1);
  if (value === '@') return apex;
  return `${value}.${apex}`;
}

function fullName(subDomain: string, apex: string): string {
  const name = subDomain.trim().toLowerCase().replace(/\.$/, '');
  return name === '' || name === '@' ? apex : `${name}.${apex}`;
}

/** Full name → OVH's relative `subDomain` (`''` for the apex, dnscontrol); an FQDN would be doubled. */
function relativeName(full: string, apex: string): string {
  const name = full.toLowerCase().replace(/\.$/, '');
  if (name === apex) return '';
  if (name.endsWith(`.${apex}`)) return name.slice(0, -(apex.length + 1));
  throw rejected(`${name} is not inside the zone ${apex}`);
}

function zonePath(zone: string): string {
  return `/domain/zone/${encodeURIComponent(zone)}`;
}

// ---------------------------------------------------------------------------------------------------- errors

interface OvhErrorBody {
  class?: unknown;
  errorCode?: unknown;
  httpCode?: unknown;
  message?: unknown;
}

/**
 * A non-2xx OVH reply → ProviderError. Two envelopes exist: `{class, message}` (php-ovh tests, komiser#1490) and the
 * older `{errorCode, httpCode, message}` (php-ovh#56, #62); python-ovh `call` maps by `errorCode`, so both are read,
 * and the message text decides where there is no code. Provider text is scrubbed of every credential field.
 */
export function ovhErrorFromReply(reply: HttpReply, credentials: ProviderCredentials): ProviderError {
  const body = tryJson(reply.text);
  const parsed: OvhErrorBody = isObject(body) ? body : {};
  const malformed = !isObject(body);
  const code = typeof parsed.errorCode === 'string' ? parsed.errorCode.toUpperCase() : '';
  const rawMessage = typeof parsed.message === 'string' ? parsed.message : '';
  const message = redactCredentials(rawMessage, credentials).slice(0, 300);
  const status = reply.status;
  const says = (pattern: RegExp) => pattern.test(rawMessage);

  if (status === 429) {
    // No documented body or signal ("fair use", python-ovh#81); Retry-After is honoured when present [infer].
    return new ProviderError(PROVIDER, 'rate_limited', 'rate limit reached (OVHcloud asks for at most about 60 requests a minute per consumer key)', {
      retryAfterSeconds: retryAfterSeconds(reply.headers),
    });
  }
  if (status >= 500 || status === 408) {
    // 500 "Internal server error" passes on retry (dnscontrol PR #2535); an HTML 408 under load (external-dns#1546).
    return new ProviderError(PROVIDER, 'unavailable', `HTTP ${status}${malformed ? ` with ${describeBody(reply.text)}` : ''}`);
  }
  if ((status === 400 || status === 401) && (code === 'INVALID_SIGNATURE' || says(/signature|timestamp/i))) {
    return new ProviderError(PROVIDER, 'auth', 'invalid signature: the application secret does not belong to this application key');
  }
  if (code === 'INVALID_KEY' || says(/invalid application key/i)) return new ProviderError(PROVIDER, 'auth', 'invalid application key');
  if (code === 'NOT_CREDENTIAL' || says(/credential does not exist/i)) {
    return new ProviderError(PROVIDER, 'auth', 'unknown consumer key, or one not validated for this application key');
  }
  if (code === 'INVALID_CREDENTIAL' || says(/credential is not valid|credential.*expired/i)) {
    return new ProviderError(PROVIDER, 'auth', 'the consumer key is no longer valid (revoked or expired)');
  }
  if (code === 'NOT_GRANTED_CALL' || says(/not been granted/i)) {
    return new ProviderError(PROVIDER, 'forbidden', 'the consumer key is not granted this call: its rules must allow GET, POST, PUT and DELETE on /domain/zone/*');
  }
  if (status === 401) return new ProviderError(PROVIDER, 'auth', `authentication refused${message ? `: ${message}` : ''}`);
  if (status === 403) return new ProviderError(PROVIDER, 'forbidden', `access denied${message ? `: ${message}` : ''}`);
  if (status === 404) {
    // "This service does not exist": the zone is not in this account (octodns-ovh ZONE_NOT_FOUND_MESSAGE, acme.sh).
    return new ProviderError(PROVIDER, 'not_found', says(/service does not exist/i) || !message ? 'no DNS zone for this domain in this account' : `not found: ${message}`);
  }
  if (malformed) return new ProviderError(PROVIDER, 'protocol', `HTTP ${status} with ${describeBody(reply.text)}`);
  if (status === 400 || status === 409 || status === 422) {
    return new ProviderError(PROVIDER, 'rejected', message ? `refused: ${message}` : `refused (HTTP ${status})`);
  }
  return new ProviderError(PROVIDER, 'protocol', `unexpected HTTP ${status}`);
}

function describeBody(text: string): string {
  return /^\s*</.test(text) ? 'an HTML page' : 'a malformed body';
}

function tryJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function parseJson(reply: HttpReply): unknown {
  const value = tryJson(reply.text);
  if (value === undefined) throw new ProviderError(PROVIDER, 'protocol', `HTTP ${reply.status} with ${describeBody(reply.text)} instead of JSON`);
  return value;
}

function parseIds(value: unknown): number[] {
  if (!Array.isArray(value) || !value.every((id) => typeof id === 'number' && Number.isSafeInteger(id))) {
    throw new ProviderError(PROVIDER, 'protocol', 'the record list was not an array of ids');
  }
  return value as number[];
}

/** The record as OVH sent it, with an absent `subDomain` read as the apex and an absent `ttl` as the zone default. */
function asOvhRecord(value: unknown): OvhRecord | undefined {
  if (!isObject(value) || typeof value.id !== 'number' || typeof value.fieldType !== 'string' || typeof value.target !== 'string') return undefined;
  if (value.subDomain !== undefined && value.subDomain !== null && typeof value.subDomain !== 'string') return undefined;
  return { ...value, subDomain: typeof value.subDomain === 'string' ? value.subDomain : '', ttl: typeof value.ttl === 'number' ? value.ttl : 0 } as OvhRecord;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function rejected(reason: string): ProviderError {
  return new ProviderError(PROVIDER, 'rejected', reason);
}
