/**
 * Hetzner Cloud DNS adapter: the Cloud API's zones and rrsets (`https://api.hetzner.cloud/v1`). Facts and sources:
 * ../shared/reference/providers-cloud.md §7 (Hetzner), §8 (minimal calls), §9 (TXT), §10 (wire examples), §11
 * (credential check); hcloud-go = `hetznercloud/hcloud-go@b8cfa39`; lego = `go-acme/lego` `providers/dns/hetzner/
 * internal/hetznerv1`; dnscontrol = `StackExchange/dnscontrol` `providers/hetznerv2`. The old DNS console API
 * (`dns.hetzner.com`, header `Auth-API-Token`) is deprecated and not used (§7 "Migration").
 *
 * The unit of writing is the rrset (name + type), written value by value: a new rrset is `POST …/rrsets`, values are
 * added with the `add_records` action and removed with `remove_records`, and `change_ttl` changes the TTL. `set_records`
 * is never used: it overwrites every value blindly, so a value someone else added since our read would be lost
 * (§7 trap 2). Every write returns an asynchronous action, polled with `GET /actions/{id}` until `success` before the
 * next write, because a second action on the zone while one runs is refused with `locked` (§7 trap 4).
 *
 * Calls of a dns.set at the minimum: `GET /zones/{name}` (finds the zone and its default TTL), one
 * `GET /zones/{id}/rrsets` page, then per changed rrset one write and one poll (two writes when values are both added
 * and removed, a third for a TTL change).
 */
import { partialApplyError } from './apply-progress.js';
import { REQUIRED_CREDENTIALS } from './credentials.js';
import { normaliseDomain } from '../src/domain.js';
import { restoredTxt } from './restore.js';
import { joinTxt } from '../src/records/txt.js';
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

const PROVIDER = 'hetzner' as const;

/** One value of an rrset as the API has it (hcloud-go `schema.ZoneRRSetRecord`). */
export interface HetznerRecordValue {
  readonly value: string;
  readonly comment?: string;
}

/** An rrset as `GET /zones/{z}/rrsets` returns it (hcloud-go `schema.ZoneRRSet`); `ttl: null` = the zone's default. */
export interface HetznerRrset {
  readonly id?: string;
  /** Relative, lower case, `@` for the apex. */
  readonly name: string;
  readonly type: string;
  readonly ttl: number | null;
  readonly records: readonly HetznerRecordValue[];
  readonly labels?: Readonly<Record<string, string>>;
  readonly protection?: { readonly change: boolean };
  readonly zone?: number;
}

/** What `DnsRecord.raw` holds for a Hetzner record: the one value, and the rrset it was read in. */
export interface HetznerRaw {
  readonly name: string;
  readonly type: string;
  readonly ttl: number | null;
  readonly value: string;
  readonly comment?: string;
}

/** An action (hcloud-go `schema.Action`); lego fixtures `add_rrset_records.json`, `get_action_error.json`. */
interface HetznerAction {
  readonly id: number;
  readonly status: string;
  readonly command?: string;
  readonly error?: { readonly code?: string; readonly message?: string } | null;
}

export const HETZNER_MIN_TTL = 60;
export const HETZNER_MAX_TTL = 2_147_483_647;

export const HETZNER_CAPABILITIES: ProviderCapabilities = {
  // hcloud-go `ZoneRRSetType` lists more (DS, HINFO, HTTPS, PTR, RP, SVCB, TLSA); these are the ones the neutral form
  // covers. SOA is Hetzner's own and read-only (dnscontrol hides it: "SOA records are not available for editing").
  recordTypes: new Set(['A', 'AAAA', 'CAA', 'CNAME', 'MX', 'NS', 'SRV', 'TXT']),
  // lexicon accepts 60…2147483647 (§7 "Record format").
  minTtl: HETZNER_MIN_TTL,
  maxTtl: HETZNER_MAX_TTL,
  atomicApply: false,
  // No precondition on any rrset write: the gateway's zone lock is the only guard of the read-merge-write. The
  // value-level actions used here at least leave a value someone else added meanwhile in place (§7 trap 2).
  guardedWrite: false,
  // No documented limit; 255-byte strings are joined [infer]. A 4096-bit DKIM key (~800 bytes) fits.
  maxTxtLength: 2048,
  // GET /zones/{name} + one GET …/rrsets page; at least one action per changed rrset; one GET /actions/{id} per
  // write (the action answers `running`, the poll `success`). A value swapped inside an rrset takes two writes
  // (add_records, then remove_records), a TTL change one more (change_ttl).
  upstreamCalls: { read: 2, write: { perPlan: 0, perRrset: 1, perRecord: 0, perUpdate: 1 }, pollsPerWrite: 1 },
  writes:
    'value-level actions per changed rrset: `POST …/rrsets` for a new one, else `add_records` then `remove_records` (an SPF merge is two), `change_ttl` only when the rrset holds only our values; each action polled (`GET /actions/{id}`) to success before the next; never `set_records`',
};

export interface HetznerAdapterDeps extends AdapterDeps {
  /**
   * `per_page` of the rrset list. The Cloud API's usual maximum is 50 "except otherwise specified"; dnscontrol asks
   * for 100 on rrsets (`hetznerv2Provider.go`), which is what this uses (§7 "Pagination"; 100 unconfirmed).
   * @default 100
   */
  readonly pageSize?: number;
  /** Waits before each `GET /actions/{id}`: the first, then the rest. hcloud-go polls every 500 ms. @default [200, 500] */
  readonly pollDelaysMs?: readonly [number, number];
}

const DEFAULT_PAGE_SIZE = 100;
/** A runaway `next_page` must not keep us reading forever. */
const MAX_PAGES = 1000;
/** A zone default TTL when the API gives none [infer: Hetzner's documented zone default is 3600]. */
const FALLBACK_ZONE_TTL = 3600;

/**
 * Reads are safe to repeat: 429 (RateLimit-Reset), 5xx, `conflict` ("the resource has changed during the request,
 * please retry", hcloud-go retries it), `locked`, resets and timeouts.
 */
const READ_RETRIES: RetryPolicy = {
  attempts: 5,
  baseDelayMs: 500,
  maxDelayMs: 20_000,
  retryOn: (e) => e.kind === 'rate_limited' || e.kind === 'unavailable' || e.kind === 'timeout',
};

/** How often a write refused with `locked`, `conflict` or 429 (refused before it ran) is sent again. */
const WRITE_REFUSAL_RETRIES = 4;

export function createHetznerProvider(deps: HetznerAdapterDeps): DnsProvider {
  return {
    id: PROVIDER,
    capabilities: HETZNER_CAPABILITIES,
    requiredCredentials: REQUIRED_CREDENTIALS.hetzner,
    connect: (credentials, options) => new HetznerSession(deps, credentials, commandBounds(deps, options)),
  };
}

/** A Hetzner error reply, parsed: `{"error":{"code","message","details"}}` (lego `fixtures/error-*.json`). */
interface ApiFailure {
  readonly status: number;
  readonly code: string;
  readonly error: ProviderError;
}

/** A write the API answered with a refusal (4xx): it did not run. */
class Refusal extends Error {
  constructor(readonly failure: ProviderError) {
    super(failure.message);
  }
}

/** One write call on one rrset, with the rrset's state before and after it (value keys and TTL) for checking. */
interface Step {
  readonly command: 'create' | 'add_records' | 'remove_records' | 'change_ttl';
  readonly path: string;
  readonly body: unknown;
  readonly before: RrsetState;
  readonly after: RrsetState;
}

interface RrsetState {
  /** Neutral keys of the values (see `valueKey`), sorted. */
  readonly keys: readonly string[];
  /** Effective TTL (null resolved to the zone default); null when the rrset does not exist. */
  readonly ttl: number | null;
}

/** The writes of one rrset and the changes they carry. */
export interface RrsetPlan {
  readonly name: string;
  readonly type: string;
  readonly steps: readonly Step[];
  readonly changes: readonly RecordChange[];
}

class HetznerSession implements ProviderSession {
  private readonly base: string;
  private readonly token: string;
  /** Zone id → its name and default TTL, learnt by findZone (`GET /zones/{name}`). */
  private readonly zones = new Map<string, { name: string; ttl: number }>();

  constructor(
    private readonly deps: HetznerAdapterDeps,
    private readonly credentials: ProviderCredentials,
    /** One deadline for the whole command: every read, write, poll, retry and re-read shares it. */
    private readonly bounds: CommandBounds,
  ) {
    this.base = deps.baseUrl.replace(/\/+$/, '');
    this.token = credentials.apiKey.trim();
  }

  /**
   * `GET /zones/{name}` for the domain, then each parent up to the registrable domain, most specific first: a 404
   * means "not this one" (acme.sh `dns_hetznercloud.sh` walks the same way; lexicon `_fetch_zone`).
   */
  async findZone(domain: string): Promise<Zone> {
    const parsed = normaliseDomain(domain);
    if (!parsed.ok) throw new ProviderError(PROVIDER, 'rejected', parsed.reason);
    for (const candidate of candidateZoneNames(parsed.domain, parsed.registrable)) {
      const found = await this.getZone(candidate);
      if (found) return found;
    }
    throw new ProviderError(PROVIDER, 'not_found', 'zone not found in this project');
  }

  /**
   * The zone read by name is the proof: a Cloud token belongs to one project and reads only its zones, so a 200
   * proves access to THAT zone, 401 is an unknown token and 404 a zone in another project or nowhere (§11). Writes
   * nothing. A read-only token passes here and is refused (`token_readonly`) at the first write.
   */
  async authorize(domain: string): Promise<Zone> {
    return this.findZone(domain);
  }

  /**
   * Every page. Pages are offsets into the list (`page`, `per_page`), so an rrset someone creates or deletes before a
   * page boundary between two page reads shifts the rest: one rrset shows twice, or not at all. When the pages do not
   * add up to `total_entries` (or it changes, or an rrset repeats), the zone is read once more.
   */
  async readZone(zone: Zone): Promise<ZoneContents> {
    const read = await readWholeList(PROVIDER, () => this.readRrsets(zone));
    return { records: await this.flatten(zone, read.rrsets) };
  }

  private async readRrsets(zone: Zone): Promise<{ rrsets: HetznerRrset[]; complete: boolean }> {
    const pageSize = this.deps.pageSize ?? DEFAULT_PAGE_SIZE;
    const rrsets: HetznerRrset[] = [];
    const seen = new Set<string>();
    const totals = new Set<number>();
    let count = 0;
    for (let page = 1; page <= MAX_PAGES; page++) {
      const body = await this.read(`/zones/${encodeURIComponent(zone.id)}/rrsets?page=${page}&per_page=${pageSize}`);
      if (!isObject(body) || !Array.isArray(body.rrsets)) throw new ProviderError(PROVIDER, 'protocol', 'the rrset list has no rrsets');
      for (const item of body.rrsets) {
        const rrset = parseRrset(item);
        count++;
        const key = `${rrset.name.toLowerCase()}/${rrset.type.toUpperCase()}`;
        if (seen.has(key)) continue;
        seen.add(key);
        rrsets.push(rrset);
      }
      const total = totalEntries(body);
      if (total !== undefined) totals.add(total);
      const next = nextPage(body);
      if (next === null) {
        const [expected] = totals;
        return { rrsets, complete: totals.size <= 1 && (expected === undefined || expected === count) && count === seen.size };
      }
      if (next <= page) throw new ProviderError(PROVIDER, 'protocol', 'the rrset list pages did not advance');
      page = next - 1;
    }
    throw new ProviderError(PROVIDER, 'protocol', `the rrset list did not end after ${MAX_PAGES} pages`);
  }

  /**
   * Each rrset is written by value-level actions, one after the other, each polled to `success` before the next
   * (Hetzner cannot apply a plan atomically). When a write fails in a way that may have reached Hetzner, the running
   * actions of the zone are waited for and the rrset is re-read to learn whether it landed; a write that did not land
   * is sent once more. When the plan stops, the error says exactly what was applied.
   */
  async applyChanges(zone: Zone, contents: ZoneContents, changes: readonly RecordChange[]): Promise<ApplyResult> {
    if (changes.length === 0) return { applied: [] };
    const zoneTtl = await this.zoneTtl(zone);
    const plan = planRrsetWrites(zone, zoneTtl, contents.records, changes);
    const pending = new Map<RecordChange, number>();
    for (const rrset of plan) for (const change of rrset.changes) pending.set(change, (pending.get(change) ?? 0) + 1);
    const applied: RecordChange[] = [];
    for (const rrset of plan) {
      for (const [index, step] of rrset.steps.entries()) {
        const outcome = await this.runStep(zone, zoneTtl, rrset, step);
        if (outcome === 'done') continue;
        const { error, landed } = outcome;
        // A step after the first of its rrset leaves the rrset part-way (a value added, the old one not yet removed).
        const partWay = index > 0 || landed === undefined;
        const reason = index > 0 ? `${error.reason}; the ${rrset.type} record set at ${fullName(rrset.name, zone.name)} was left part-way` : error.reason;
        const stopped = reason === error.reason ? error : new ProviderError(PROVIDER, error.kind, reason, { cause: error, retryAfterSeconds: error.retryAfterSeconds });
        // Nothing applied, and refused because of what changed since our read: the service reads and plans afresh.
        if (applied.length === 0 && !partWay && error.kind === 'conflict') {
          throw new ProviderError(PROVIDER, 'conflict', 'the zone changed while it was being written; nothing was applied', { cause: error, staleRead: true });
        }
        throw partialApplyError(stopped, applied, changes, partWay ? rrset.changes.filter((c) => !applied.includes(c)) : []);
      }
      for (const change of rrset.changes) {
        const left = (pending.get(change) ?? 1) - 1;
        pending.set(change, left);
        if (left === 0) applied.push(change);
      }
    }
    return { applied };
  }

  /** One step: sent, polled; on an uncertain failure, checked by re-reading and sent once more if it did not land. */
  private async runStep(zone: Zone, zoneTtl: number, rrset: RrsetPlan, step: Step): Promise<'done' | { error: ProviderError; landed: false | undefined }> {
    for (let sends = 1; ; sends++) {
      let failure: ProviderError;
      try {
        const action = await this.sendWrite(zone, step);
        await this.waitForAction(action);
        return 'done';
      } catch (error) {
        if (error instanceof Refusal) return { error: error.failure, landed: false };
        if (!(error instanceof ProviderError)) throw error;
        failure = error;
      }
      // The reply was lost, cut, a 5xx, or the poll failed: the write may have run. Look before sending it again.
      const state = await this.rrsetState(zone, zoneTtl, rrset).catch(() => undefined);
      if (state !== undefined && sameState(state, step.after, step.command)) return 'done';
      if (state !== undefined && sameState(state, step.before, step.command) && sends < 2) continue;
      return { error: failure, landed: state !== undefined && sameState(state, step.before, step.command) ? false : undefined };
    }
  }

  /**
   * Sends one write. A refusal the API gives before running it (429, `locked`, `conflict`) is waited out and sent
   * again; `locked` means another action runs on the zone (§7 trap 4), so the zone's running actions are polled to
   * their end first. Any other 4xx is a `Refusal`; network failures and 5xx are thrown as they are (uncertain).
   */
  private async sendWrite(zone: Zone, step: Step): Promise<HetznerAction> {
    const reserve = writeReserveMs(this.bounds);
    for (let attempt = 1; ; attempt++) {
      const reply = await this.exchange('POST', step.path, step.body, reserve);
      if (reply.status >= 200 && reply.status < 300) return parseAction(parseBody(reply));
      const failure = this.failure(reply);
      if (failure.status >= 500) throw failure.error;
      // The rrset a value action names is gone: deleted by someone else since our read (nothing ran).
      if (failure.status === 404) throw new Refusal(new ProviderError(PROVIDER, 'conflict', 'a record set was deleted by someone else since the zone was read'));
      const refusedBeforeRunning = failure.code === 'locked' || failure.code === 'conflict' || failure.status === 429;
      if (!refusedBeforeRunning || attempt >= WRITE_REFUSAL_RETRIES) throw new Refusal(failure.error);
      if (failure.code === 'locked') {
        await this.settleZoneActions(zone).catch((error: unknown) => {
          throw new Refusal(error instanceof ProviderError ? error : failure.error);
        });
        continue;
      }
      const delay = failure.error.retryAfterSeconds !== undefined ? failure.error.retryAfterSeconds * 1000 : READ_RETRIES.baseDelayMs * 2 ** (attempt - 1);
      if (delay > READ_RETRIES.maxDelayMs || Date.now() + delay >= this.bounds.deadline - reserve) throw new Refusal(failure.error);
      await this.sleep(delay);
    }
  }

  /**
   * Polls `GET /actions/{id}` until the action leaves `running` (hcloud-go `WaitFor`, lego `waitAction`). `error` →
   * the action's own error, as a refusal (the change did not apply [infer]). Out of time → `timeout` (uncertain).
   */
  private async waitForAction(action: HetznerAction): Promise<void> {
    const [first, rest] = this.deps.pollDelaysMs ?? [200, 500];
    let current = action;
    for (let poll = 0; current.status === 'running'; poll++) {
      const delay = poll === 0 ? first : rest;
      if (Date.now() + delay >= this.bounds.deadline) throw new ProviderError(PROVIDER, 'timeout', 'the change was still running when time ran out');
      await this.sleep(delay);
      current = parseAction(await this.read(`/actions/${action.id}`));
    }
    if (current.status === 'success') return;
    if (current.status === 'error') {
      const message = current.error?.message ? this.redact(current.error.message) : 'no reason given';
      throw new Refusal(new ProviderError(PROVIDER, 'rejected', `the change failed: ${message}${current.error?.code ? ` (${this.redact(String(current.error.code)).slice(0, 100)})` : ''}`));
    }
    throw new ProviderError(PROVIDER, 'protocol', `the change ended with an unknown status`);
  }

  /** Waits for every running action of the zone (`GET /zones/{id}/actions?status=running`, hcloud-go `ListFor`). */
  private async settleZoneActions(zone: Zone): Promise<void> {
    const body = await this.read(`/zones/${encodeURIComponent(zone.id)}/actions?status=running&per_page=50`);
    const actions = isObject(body) && Array.isArray(body.actions) ? body.actions : [];
    for (const item of actions) {
      if (isObject(item) && typeof item.id === 'number' && item.status === 'running') {
        await this.waitForAction({ id: item.id, status: 'running' }).catch((error: unknown) => {
          // Someone else's action that failed is not ours to report; only running out of time is.
          if (error instanceof Refusal) return;
          throw error;
        });
      }
    }
  }

  /** The rrset now, after the zone's running actions end (a lost write may still be running). */
  private async rrsetState(zone: Zone, zoneTtl: number, rrset: RrsetPlan): Promise<RrsetState> {
    await this.settleZoneActions(zone);
    const path = `/zones/${encodeURIComponent(zone.id)}/rrsets/${encodeName(rrset.name)}/${rrset.type}`;
    const body = await this.read(path, { missingIsUndefined: true });
    if (body === undefined) return { keys: [], ttl: null };
    if (!isObject(body)) throw new ProviderError(PROVIDER, 'protocol', 'the rrset reply was not an object');
    const read = parseRrset(body.rrset);
    return stateOf(read.records.map((r) => valueKey(read.type, r.value, zone.name)), read.ttl ?? zoneTtl);
  }

  private async zoneTtl(zone: Zone): Promise<number> {
    const known = this.zones.get(zone.id);
    if (known) return known.ttl;
    const found = await this.getZone(zone.id);
    if (!found) throw new ProviderError(PROVIDER, 'not_found', 'zone not found in this project');
    return this.zones.get(found.id)?.ttl ?? FALLBACK_ZONE_TTL;
  }

  private async flatten(zone: Zone, rrsets: readonly HetznerRrset[]): Promise<DnsRecord[]> {
    const zoneTtl = rrsets.some((r) => r.ttl === null) ? await this.zoneTtl(zone) : FALLBACK_ZONE_TTL;
    return rrsets.flatMap((rrset) => rrset.records.map((value) => fromHetzner(rrset, value, zone.name, zoneTtl)));
  }

  /** `GET /zones/{id_or_name}` → the zone, or undefined on 404. */
  private async getZone(idOrName: string): Promise<Zone | undefined> {
    const body = await this.read(`/zones/${encodeURIComponent(idOrName)}`, { missingIsUndefined: true });
    if (body === undefined) return undefined;
    const zone = isObject(body) ? body.zone : undefined;
    if (!isObject(zone) || (typeof zone.id !== 'number' && typeof zone.id !== 'string') || typeof zone.name !== 'string') {
      throw new ProviderError(PROVIDER, 'protocol', 'the zone reply has no id or name');
    }
    const name = zone.name.toLowerCase().replace(/\.$/, '');
    const id = String(zone.id);
    this.zones.set(id, { name, ttl: typeof zone.ttl === 'number' ? zone.ttl : FALLBACK_ZONE_TTL });
    return { id, name };
  }

  /** One logical read with its retries; a 404 is `undefined` when asked. */
  private async read(path: string, options: { missingIsUndefined?: boolean } = {}): Promise<unknown> {
    return withRetries(
      READ_RETRIES,
      async () => {
        const reply = await this.exchange('GET', path, undefined, 0);
        if (reply.status >= 200 && reply.status < 300) return parseBody(reply);
        if (reply.status === 404 && options.missingIsUndefined) {
          const failure = this.failure(reply);
          if (failure.code === 'not_found' || failure.code === '') return undefined;
          throw failure.error;
        }
        throw this.failure(reply).error;
      },
      { deadline: this.bounds.deadline, sleep: this.deps.sleep, signal: this.bounds.signal },
    );
  }

  /** One HTTP exchange within the command's bounds (`reserve` kept back for a re-read after a lost write). */
  private async exchange(method: 'GET' | 'POST', path: string, body: unknown, reserve: number): Promise<HttpReply> {
    if (!this.token) throw new ProviderError(PROVIDER, 'auth', 'an API token is required');
    refuseUnsendableToken(PROVIDER, this.token, 'API token');
    const headers: Record<string, string> = { authorization: `Bearer ${this.token}`, accept: 'application/json' };
    if (body !== undefined) headers['content-type'] = 'application/json';
    return withAttemptSignal(PROVIDER, this.bounds, reserve, (signal) =>
      send(PROVIDER, this.deps, `${this.base}${path}`, {
        method,
        operation: method === 'GET' && path.startsWith('/actions/') ? 'poll' : method === 'GET' ? 'read' : 'write',
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        signal,
      }),
    );
  }

  private failure(reply: HttpReply): ApiFailure {
    return hetznerFailure(reply, (text) => this.redact(text));
  }

  private redact(text: string): string {
    return redactCredentials(text, this.credentials);
  }

  private sleep(ms: number): Promise<void> {
    return this.deps.sleep ? this.deps.sleep(ms) : new Promise((resolve) => setTimeout(resolve, ms));
  }
}

function sameState(now: RrsetState, expected: RrsetState, command: Step['command']): boolean {
  const keysEqual = now.keys.length === expected.keys.length && now.keys.every((k, i) => k === expected.keys[i]);
  if (!keysEqual) return false;
  // The TTL tells a change_ttl apart, and a create (ttl given) from a missing rrset.
  return command === 'change_ttl' || command === 'create' ? now.ttl === expected.ttl : true;
}

function stateOf(keys: Iterable<string>, ttl: number | null): RrsetState {
  return { keys: [...new Set(keys)].sort(), ttl };
}

// ------------------------------------------------------------------------------------------------ planning (pure)

/**
 * Pure planning: groups the changes by rrset, in the order each rrset is first named (the planner puts deletions
 * before the creations that need them), and turns each into the fewest value-level writes. Everything Hetzner would
 * refuse is refused here, before any call, so a plan never stops half-way for a reason known in advance.
 *
 * Per rrset, with E = its values as read, F = E minus what the plan removes plus what it adds:
 * - E empty: one `POST …/rrsets` with F and the wanted TTL.
 * - CNAME (one value only): `remove_records` of the old value (the emptied rrset is deleted by Hetzner: hcloud CLI
 *   "zone rrset remove-records"), then `add_records` with the TTL (which creates the rrset again).
 * - otherwise `add_records` of F∖E first, then `remove_records` of E∖F (so a value being replaced, such as the SPF
 *   record, is never missing; when F is empty Hetzner deletes the rrset), each value removed exactly as read.
 * - `change_ttl` (§7 trap 3) only when every value left in the rrset is one the plan writes: an rrset has one TTL,
 *   and a customer's value beside ours keeps its TTL; ours then takes the rrset's (RFC 2181 §5.2).
 */
export function planRrsetWrites(zone: Zone, zoneTtl: number, records: readonly DnsRecord[], changes: readonly RecordChange[]): RrsetPlan[] {
  const apex = zone.name;
  const zonePath = `/zones/${encodeURIComponent(zone.id)}`;
  interface Draft {
    name: string;
    type: string;
    /** key → wire value as read, in read order. */
    existing: Map<string, string>;
    ttl: number | null;
    removes: Set<string>;
    adds: Map<string, { value: string; comment?: string; ttl: number }>;
    changes: RecordChange[];
  }
  const drafts = new Map<string, Draft>();
  const draftFor = (type: string, name: string): Draft => {
    const t = type.toUpperCase();
    if (!HETZNER_CAPABILITIES.recordTypes.has(t)) throw rejected(`cannot write ${t} records`);
    const relative = relativeName(name, apex);
    const id = `${relative}/${t}`;
    let draft = drafts.get(id);
    if (!draft) {
      const existing = new Map<string, string>();
      let ttl: number | null = null;
      for (const record of records) {
        if (record.type.toUpperCase() !== t || relativeName(record.name, apex) !== relative) continue;
        const raw = isHetznerRaw(record.raw) ? record.raw : undefined;
        existing.set(recordKey(record), raw?.value ?? toWireValue(record));
        ttl = record.ttl;
      }
      draft = { name: relative, type: t, existing, ttl, removes: new Set(), adds: new Map(), changes: [] };
      drafts.set(id, draft);
    }
    return draft;
  };
  const attach = (draft: Draft, change: RecordChange) => {
    if (!draft.changes.includes(change)) draft.changes.push(change);
  };
  const remove = (before: DnsRecord): Draft => {
    const draft = draftFor(before.type, before.name);
    const key = recordKey(before);
    if (!draft.existing.has(key) || draft.removes.has(key)) {
      throw new ProviderError(PROVIDER, 'conflict', `the ${before.type.toUpperCase()} record at ${before.name} is no longer in the zone as read`);
    }
    draft.removes.add(key);
    return draft;
  };
  /** `kept`: the comment of the value an UPDATE replaces, which the new value carries on (the customer's note). */
  const add = (record: DesiredRecord, kept?: string): Draft => {
    const draft = draftFor(record.type, record.name);
    if (!Number.isInteger(record.ttl) || record.ttl < HETZNER_MIN_TTL || record.ttl > HETZNER_MAX_TTL) {
      throw rejected(`TTL ${record.ttl} of the ${record.type.toUpperCase()} record at ${record.name} is outside ${HETZNER_MIN_TTL}–${HETZNER_MAX_TTL} seconds`);
    }
    const key = recordKey(record);
    if (draft.adds.has(key)) throw rejected(`the ${record.type.toUpperCase()} record at ${record.name} is written twice`);
    const comment = typeof record.restoreFields?.comment === 'string' ? record.restoreFields.comment : kept;
    draft.adds.set(key, { value: toWireValue(record), ttl: record.ttl, ...(comment ? { comment } : {}) });
    return draft;
  };
  for (const change of changes) {
    if (change.action === 'DELETE') attach(remove(change.before), change);
    else if (change.action === 'CREATE') attach(add(change.record), change);
    else {
      attach(remove(change.before), change);
      attach(add(change.record, isHetznerRaw(change.before.raw) ? change.before.raw.comment : undefined), change);
    }
  }

  const finals = new Map<string, Set<string>>();
  for (const [id, draft] of drafts) {
    const final = new Set([...draft.existing.keys()].filter((k) => !draft.removes.has(k)));
    for (const key of draft.adds.keys()) final.add(key);
    finals.set(id, final);
    if (draft.type === 'CNAME' && final.size > 1) throw rejected(`a CNAME at ${fullName(draft.name, apex)} can hold one value only`);
  }
  // RFC 1034 §3.6.2: a CNAME cannot share its name with other data; Hetzner refuses such a zone [infer]. Checked on
  // the zone as the plan leaves it, at the names the plan writes.
  const present = new Map<string, Set<string>>();
  for (const record of records) {
    const name = relativeName(record.name, apex);
    const types = present.get(name) ?? new Set<string>();
    types.add(record.type.toUpperCase());
    present.set(name, types);
  }
  for (const [id, final] of finals) {
    const [name, type] = id.split('/') as [string, string];
    const types = present.get(name) ?? new Set<string>();
    if (final.size > 0) types.add(type);
    else types.delete(type);
    present.set(name, types);
  }
  for (const draft of drafts.values()) {
    const types = present.get(draft.name);
    if (types?.has('CNAME') && types.size > 1) throw rejected(`a CNAME at ${fullName(draft.name, apex)} cannot share its name with other records`);
  }

  const plans: RrsetPlan[] = [];
  for (const [id, draft] of drafts) {
    const final = finals.get(id)!;
    const path = `${zonePath}/rrsets/${encodeName(draft.name)}/${draft.type}`;
    const currentTtl = draft.existing.size > 0 ? (draft.ttl ?? zoneTtl) : null;
    const ours = [...final].every((k) => draft.adds.has(k));
    const wantedTtl = [...draft.adds.values()][0]?.ttl;
    const toAdd = [...draft.adds].filter(([k]) => !draft.existing.has(k)).map(([, v]) => v);
    const toRemove = [...draft.existing].filter(([k]) => !final.has(k)).map(([, value]) => ({ value }));
    const steps: Step[] = [];
    let keys = new Set(draft.existing.keys());
    let ttl = currentTtl;
    const push = (command: Step['command'], stepPath: string, body: unknown, nextKeys: Set<string>, nextTtl: number | null) => {
      steps.push({ command, path: stepPath, body, before: stateOf(keys, ttl), after: stateOf(nextKeys, nextKeys.size > 0 ? nextTtl : null) });
      keys = nextKeys;
      ttl = nextKeys.size > 0 ? nextTtl : null;
    };
    const values = (list: readonly { value: string; comment?: string }[]) => list.map((v) => (v.comment ? { value: v.value, comment: v.comment } : { value: v.value }));
    if (draft.existing.size === 0) {
      if (toAdd.length > 0) {
        const createTtl = wantedTtl ?? zoneTtl;
        push('create', `${zonePath}/rrsets`, { name: draft.name, type: draft.type, ttl: createTtl, records: values(toAdd) }, new Set(final), createTtl);
      }
    } else if (draft.type === 'CNAME' && toAdd.length > 0 && toRemove.length > 0) {
      const emptied = new Set([...keys].filter((k) => final.has(k)));
      push('remove_records', `${path}/actions/remove_records`, { records: toRemove }, emptied, ttl);
      const addTtl = emptied.size === 0 && ours && wantedTtl !== undefined ? wantedTtl : (currentTtl ?? zoneTtl);
      push('add_records', `${path}/actions/add_records`, { records: values(toAdd), ttl: addTtl }, new Set(final), emptied.size === 0 ? addTtl : ttl);
    } else {
      if (toAdd.length > 0) push('add_records', `${path}/actions/add_records`, { records: values(toAdd) }, new Set([...keys, ...draft.adds.keys()]), ttl);
      if (toRemove.length > 0) push('remove_records', `${path}/actions/remove_records`, { records: toRemove }, new Set(final), ttl);
    }
    if (final.size > 0 && ours && wantedTtl !== undefined && ttl !== null && ttl !== wantedTtl) {
      push('change_ttl', `${path}/actions/change_ttl`, { ttl: wantedTtl }, new Set(final), wantedTtl);
    }
    plans.push({ name: draft.name, type: draft.type, steps, changes: draft.changes });
  }
  return plans;
}

// ------------------------------------------------------------------------------------------------ wire form

/** One rrset value → the neutral record (pure; exported for tests). */
export function fromHetzner(rrset: HetznerRrset, value: HetznerRecordValue, apex: string, zoneTtl: number): DnsRecord {
  const type = rrset.type.toUpperCase();
  const { content, priority } = neutralContent(type, value.value, apex);
  const raw: HetznerRaw = { name: rrset.name, type: rrset.type, ttl: rrset.ttl, value: value.value, ...(value.comment ? { comment: value.comment } : {}) };
  return {
    type,
    name: fullName(rrset.name, apex),
    content,
    ttl: rrset.ttl ?? zoneTtl,
    ...(priority === undefined ? {} : { priority }),
    raw,
    ...(value.comment ? { providerFields: { comment: value.comment } } : {}),
    // A TXT value is kept as entered, in the customer's quoted strings (§7 record format): a revert writes it back.
    ...(type === 'TXT' ? { wireValue: value.value } : {}),
  };
}

/**
 * A value in zone-file presentation form (Hetzner's `records[].value`) → neutral content. Targets are FQDNs with a
 * trailing dot, or relative to the zone without one (zone-file rule; terraform-provider-hetznerdns#19).
 */
export function neutralContent(type: string, value: string, apex: string): { content: string; priority?: number } {
  const t = type.toUpperCase();
  const text = value.trim();
  switch (t) {
    case 'TXT':
      return { content: joinTxt(text) };
    case 'CNAME':
    case 'NS':
    case 'PTR':
      return { content: absoluteTarget(text, apex) };
    case 'MX': {
      const [priority, target] = text.split(/\s+/);
      return { content: absoluteTarget(target ?? '', apex), priority: Number(priority) };
    }
    case 'SRV': {
      const [priority, weight, port, target] = text.split(/\s+/);
      return { content: `${weight ?? ''} ${port ?? ''} ${absoluteTarget(target ?? '', apex)}`, priority: Number(priority) };
    }
    default:
      return { content: text };
  }
}

/** The neutral record → Hetzner's value: TXT quoted chunks, targets as FQDNs with the trailing dot. */
export function toWireValue(record: Pick<DesiredRecord, 'type' | 'content' | 'priority' | 'restoreWireValue'>): string {
  const type = record.type.toUpperCase();
  switch (type) {
    case 'TXT':
      return restoredTxt(record, joinTxt) ?? quoteTxt(record.content);
    case 'CNAME':
    case 'NS':
    case 'PTR':
      return fqdn(record.content);
    case 'MX':
      return `${record.priority ?? 0} ${fqdn(record.content)}`;
    case 'SRV': {
      // Neutral SRV content is `weight port target` with the priority apart (types.ts).
      const [weight, port, target] = record.content.trim().split(/\s+/);
      return `${record.priority ?? 0} ${weight ?? 0} ${port ?? 0} ${fqdn(target ?? '.')}`;
    }
    default:
      return record.content;
  }
}

/**
 * TXT → `"c1" "c2"`: `"` and `\` escaped (acme.sh `_hetznercloud_escape_value`; hcloud-go `zoneutil.FormatTXTRecord`
 * escapes `"`), chunks of at most 255 bytes counted on the escaped text, so that whether Hetzner counts the string
 * or its presentation (hcloud-go chunks the escaped bytes), no chunk is over (§7 trap 5, §9). Never splits a
 * character or an escape.
 */
export function quoteTxt(value: string): string {
  const chunks: string[] = [];
  let chunk = '';
  let size = 0;
  for (const ch of value) {
    const piece = ch === '"' || ch === '\\' ? `\\${ch}` : ch;
    const n = Buffer.byteLength(piece, 'utf8');
    if (size + n > 255 && chunk !== '') {
      chunks.push(chunk);
      chunk = '';
      size = 0;
    }
    chunk += piece;
    size += n;
  }
  chunks.push(chunk);
  return chunks.map((c) => `"${c}"`).join(' ');
}

/** What identifies one value in its rrset, whatever its spelling: the neutral content and priority. */
function valueKey(type: string, value: string, apex: string): string {
  const { content, priority } = neutralContent(type, value, apex);
  return keyOf(type, content, priority);
}

function recordKey(record: Pick<DnsRecord, 'type' | 'content' | 'priority'>): string {
  return keyOf(record.type, record.content, record.priority);
}

function keyOf(type: string, content: string, priority: number | undefined): string {
  const t = type.toUpperCase();
  const c = t === 'CNAME' || t === 'NS' || t === 'MX' || t === 'SRV' || t === 'PTR' ? content.toLowerCase().replace(/\.$/, '') : content;
  return `${c}\u0000${t === 'MX' || t === 'SRV' ? (priority ?? 0) : ''}`;
}

function absoluteTarget(target: string, apex: string): string {
  if (target === '@') return apex;
  if (target.endsWith('.')) return target.slice(0, -1).toLowerCase() || '.';
  return target === '' ? '' : `${target}.${apex}`.toLowerCase();
}

function fqdn(target: string): string {
  const t = target.trim();
  return t.endsWith('.') ? t : `${t}.`;
}

function fullName(relative: string, apex: string): string {
  const name = relative.toLowerCase().replace(/\.$/, '');
  return name === '@' || name === '' ? apex : `${name}.${apex}`;
}

/** Full name → Hetzner's relative rrset name: lower case, no dot, `@` for the apex (Hetzner's rr_name rules). */
function relativeName(full: string, apex: string): string {
  const name = full.toLowerCase().replace(/\.$/, '');
  if (name === apex) return '@';
  if (name.endsWith(`.${apex}`)) return name.slice(0, -(apex.length + 1));
  throw rejected(`${name} is not inside the zone ${apex}`);
}

/** Path segment of an rrset name; `@` stays literal. */
function encodeName(relative: string): string {
  return encodeURIComponent(relative).replace(/%40/g, '@');
}

/** `sub.example.com` → `sub.example.com`, `example.com` (most specific first, down to the registrable domain). */
function candidateZoneNames(domain: string, registrable: string): string[] {
  const names: string[] = [];
  for (let name = domain; name.length >= registrable.length; name = name.slice(name.indexOf('.') + 1)) {
    names.push(name);
    if (name === registrable) break;
  }
  return names;
}

function nextPage(body: Record<string, unknown>): number | null {
  const meta = body.meta;
  const pagination = isObject(meta) ? meta.pagination : undefined;
  if (!isObject(pagination)) return null;
  return typeof pagination.next_page === 'number' ? pagination.next_page : null;
}

/** `meta.pagination.total_entries` (§7 "Pagination"), if the reply has it. */
function totalEntries(body: Record<string, unknown>): number | undefined {
  const meta = body.meta;
  const pagination = isObject(meta) ? meta.pagination : undefined;
  return isObject(pagination) && typeof pagination.total_entries === 'number' ? pagination.total_entries : undefined;
}

function parseRrset(item: unknown): HetznerRrset {
  if (!isObject(item) || typeof item.name !== 'string' || typeof item.type !== 'string' || !Array.isArray(item.records)) {
    throw new ProviderError(PROVIDER, 'protocol', 'an rrset lacked name, type or records');
  }
  const ttl = typeof item.ttl === 'number' ? item.ttl : null;
  const records = item.records.map((r): HetznerRecordValue => {
    if (!isObject(r) || typeof r.value !== 'string') throw new ProviderError(PROVIDER, 'protocol', 'an rrset value was not a string');
    return typeof r.comment === 'string' && r.comment !== '' ? { value: r.value, comment: r.comment } : { value: r.value };
  });
  return { ...(item as unknown as HetznerRrset), ttl, records };
}

function parseAction(body: unknown): HetznerAction {
  const action = isObject(body) ? body.action : undefined;
  if (!isObject(action) || typeof action.id !== 'number' || typeof action.status !== 'string') {
    throw new ProviderError(PROVIDER, 'protocol', 'the write reply has no action');
  }
  return action as unknown as HetznerAction;
}

function parseBody(reply: HttpReply): unknown {
  try {
    return JSON.parse(reply.text);
  } catch {
    throw new ProviderError(PROVIDER, reply.status >= 500 ? 'unavailable' : 'protocol', `HTTP ${reply.status} with ${/^\s*</.test(reply.text) ? 'an HTML page' : 'a malformed body'} instead of JSON`);
  }
}

/**
 * A non-2xx reply → its code and a ProviderError. Codes: hcloud-go `error.go` and the Cloud API "Errors" section
 * (§7). Statuses other than 401, 404, 409, 422 and 429 are [infer]. Provider text is scrubbed of the caller's
 * credentials.
 */
export function hetznerFailure(reply: HttpReply, redact: (text: string) => string = (t) => t): ApiFailure {
  let code = '';
  let message = '';
  let fields: string[] = [];
  let malformed = false;
  try {
    const parsed: unknown = JSON.parse(reply.text);
    const error = isObject(parsed) ? parsed.error : undefined;
    if (isObject(error)) {
      code = typeof error.code === 'string' ? error.code : '';
      message = typeof error.message === 'string' ? redact(error.message) : '';
      const details = isObject(error.details) ? error.details.fields : undefined;
      if (Array.isArray(details)) {
        fields = details
          .filter(isObject)
          .map((f) => `${typeof f.name === 'string' ? f.name : ''}: ${Array.isArray(f.messages) ? f.messages.filter((m) => typeof m === 'string').join(', ') : ''}`)
          .map(redact);
      }
    } else malformed = true;
  } catch {
    malformed = true;
  }
  const status = reply.status;
  // The code is provider text too: matched as sent, repeated only scrubbed.
  const shown = redact(code.replace(/[\u0000-\u001f\u007f]/g, ' ')).slice(0, 100);
  const make = (kind: ProviderError['kind'], reason: string, options: { retryAfterSeconds?: number } = {}): ApiFailure => ({
    status,
    code,
    error: new ProviderError(PROVIDER, kind, reason, options),
  });
  if (status === 429 || code === 'rate_limit_exceeded') {
    return make('rate_limited', 'rate limit reached (3600 requests per hour per project)', { retryAfterSeconds: rateLimitWait(reply.headers) });
  }
  if (status === 401 || code === 'unauthorized') return make('auth', 'invalid API token');
  if (code === 'token_readonly') return make('forbidden', 'the API token is read-only');
  if (status === 403 && (code === 'forbidden' || code === '')) return make('forbidden', 'the API token is not allowed to do this');
  if (status === 404 || code === 'not_found') return make('not_found', 'zone not found in this project');
  if (code === 'uniqueness_error') {
    // POST …/rrsets on an rrset that exists (qdm12/ddns-updater PR#1165): made since our read.
    return make('conflict', 'a record set was created by someone else since the zone was read; nothing was written to it');
  }
  if (code === 'locked') return make('unavailable', 'another change is still running on the zone');
  if (code === 'conflict') return make('unavailable', 'the zone changed during the request');
  if (code === 'protected') return make('rejected', 'the record set is protected against changes');
  if (code === 'incorrect_zone_mode') return make('rejected', 'the zone is a secondary zone; its records are edited at its primary');
  if (code === 'maintenance' || status >= 500) {
    return make('unavailable', malformed ? `HTTP ${status} with ${/^\s*</.test(reply.text) ? 'an HTML page' : 'a malformed body'}` : `HTTP ${status}${shown ? ` ${shown}` : ''}`);
  }
  if (malformed) return make('protocol', `HTTP ${status} with ${/^\s*</.test(reply.text) ? 'an HTML page' : 'a malformed body'}`);
  if (status === 400 || status === 422 || code === 'invalid_input' || code === 'json_error' || code === 'resource_limit_exceeded') {
    const text = fields.length > 0 ? fields.join('; ') : message;
    return make('rejected', `${shown || `HTTP ${status}`}${text ? `: ${text}` : ''}`.slice(0, 500));
  }
  return make('protocol', `unexpected HTTP ${status}${shown ? ` ${shown}` : ''}`);
}

/**
 * Seconds to wait from the rate-limit headers: `Retry-After` if one is sent, else `RateLimit-Reset` (unix time) minus
 * now (§7 "Rate limit"; hcloud-go `client_handler_rate_limit.go` reads RateLimit-Limit/-Remaining/-Reset).
 */
export function rateLimitWait(headers: HttpReply['headers']): number | undefined {
  const after = retryAfterSeconds(headers);
  if (after !== undefined) return after;
  const raw = headers['ratelimit-reset'];
  const value = Number(Array.isArray(raw) ? raw[0] : raw);
  if (!Number.isFinite(value) || value <= 0) return undefined;
  return Math.max(0, value - Date.now() / 1000);
}

function isHetznerRaw(value: unknown): value is HetznerRaw {
  return isObject(value) && typeof value.value === 'string' && typeof value.name === 'string' && typeof value.type === 'string';
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function rejected(reason: string): ProviderError {
  return new ProviderError(PROVIDER, 'rejected', reason);
}
