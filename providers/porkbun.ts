/**
 * Porkbun API v3 adapter. Facts and sources: ../shared/reference/providers-registrars.md §3 (Porkbun), §0, §8.
 *
 * Porkbun writes one record at a time, by id: `POST /dns/create/{domain}`, `/dns/edit/{domain}/{id}`,
 * `/dns/delete/{domain}/{id}`. `/dns/editByNameType` and `/dns/deleteByNameType` act on EVERY record of a name and
 * type ("Edits all DNS records … that match a particular subdomain and type", hexdocs Porkbun.DNS; §3 trap 2): used
 * for an SPF change they would rewrite every apex TXT record, so they are never called. Every call is a POST whose
 * JSON body carries `apikey` and `secretapikey` (nrdcg/porkbun `types.go authRequest`), never the URL.
 *
 * Calls per dns.set, at the minimum: one `POST /dns/retrieve/{domain}` (the whole zone, no pagination: §3
 * endpoints), then one POST per created, edited or deleted record. No batch, so a plan is not atomic: a plan that
 * stops part-way is reported with `partialApplyError`.
 *
 * PACING: Porkbun allows about one request a second per API key; past it the edge answers 503 (an openresty HTML
 * page) or 202 with an AWS WAF challenge page (§3 "Errors and limits"; dnscontrol#3225, PR #3019; bacon#45). The
 * adapter therefore starts a call of one key no sooner than `minIntervalMs` (1 s) after the previous call of that key
 * ended, across every session of this provider: a dns.set of N calls takes at least (N − 1) seconds (6 calls, 5 s,
 * for a typical plan of 4 creates and 1 edit), and the command deadline (PROVIDER_DEADLINE_MS) must allow for it.
 */
import { createHash } from 'node:crypto';
import { setTimeout as sleepFor } from 'node:timers/promises';
import { applyPerRecord, idAsRead, landedInZone, recordMatch, settleWrite } from './per-record-apply.js';
import { REQUIRED_CREDENTIALS } from './credentials.js';
import { redactCredentials } from './redact.js';
import { registrableDomain } from '../src/domain.js';
import {
  commandBounds,
  parseJson,
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

/**
 * A record as `/dns/retrieve` returns it: `id`, `ttl` and `prio` are strings there (nrdcg/porkbun fixture
 * `retrieve.json`), while `/dns/create` answers the new id as a number (§3 wire format, trap 5). `name` is the FQDN.
 */
export interface PorkbunRecord {
  readonly id: string | number;
  readonly name: string;
  readonly type: string;
  readonly content: string;
  readonly ttl: string | number;
  readonly prio?: string | number | null;
  readonly notes?: string | null;
}

export const PORKBUN_MIN_TTL = 600;
/** No documented maximum; a week, as GoDaddy's [infer]. */
export const PORKBUN_MAX_TTL = 604_800;

export const PORKBUN_CAPABILITIES: ProviderCapabilities = {
  // The create endpoint's documented types (hexdocs Porkbun.DNS `create_record`).
  recordTypes: new Set(['A', 'AAAA', 'CNAME', 'ALIAS', 'MX', 'TXT', 'NS', 'SRV', 'CAA', 'TLSA', 'HTTPS', 'SVCB']),
  // "Minimum and default is 600 seconds" (hexdocs Porkbun.DNS); a lower TTL is not refused but silently raised to 600
  // (infinityofspace/pkb_client Readme "Notes"; certbot_dns_porkbun#50), so the adapter refuses it instead.
  minTtl: PORKBUN_MIN_TTL,
  maxTtl: PORKBUN_MAX_TTL,
  atomicApply: false,
  // Edits by id apply whatever the zone holds now: the zone lock is the only guard.
  guardedWrite: false,
  // One joined string per TXT record (dnscontrol `GetTargetTXTJoined`); no documented limit, a 4096-bit DKIM key
  // (~800 bytes) fits [infer].
  maxTxtLength: 1024,
  // POST /dns/retrieve/{domain}; one create, edit or delete per changed record.
  upstreamCalls: { read: 1, write: { perPlan: 0, perRrset: 0, perRecord: 1 } },
  writes:
    'one `POST` per changed record: create, or edit/delete by id (never `editByNameType`); one call a second per API key, so a dns.set of N calls takes at least N − 1 s',
};

export interface PorkbunAdapterDeps extends AdapterDeps {
  /**
   * Least time from the end of one call to the start of the next with the same API key: Porkbun's "1 request per
   * second per API key" (§3, bacon#45, nrdcg/porkbun#3). Tests lower it together with the fake's limit.
   * @default 1000
   */
  readonly minIntervalMs?: number;
}

const PROVIDER = 'porkbun' as const;

/** Reads are safe to repeat: after a 503/202 rate-limit page, a 5xx, a reset or a timed-out attempt. */
const READ_RETRIES: RetryPolicy = {
  attempts: 5,
  // The pacing adds its own second before every attempt.
  baseDelayMs: 250,
  maxDelayMs: 10_000,
  retryOn: (error) => (error.kind === 'rate_limited' || error.kind === 'unavailable' || error.kind === 'timeout') && !UNSENT.has(error),
};

/**
 * A write is repeated blindly only after a WAF challenge (HTTP 202): the challenge is answered by AWS WAF in front of
 * Porkbun, before the request reaches it (dnscontrol PR #3019). Any other failure may have reached Porkbun, so it is
 * settled by re-reading the zone (see `applyChanges`): a create is never repeated before a re-read shows it missing.
 */
const WRITE_RETRIES: RetryPolicy = { ...READ_RETRIES, retryOn: (error) => CHALLENGED.has(error) };

/** Write sends per change in one command: the first, and more only while a re-read shows the change missing. */
const WRITE_SENDS = 3;

/** Errors of a request that AWS WAF answered with a challenge: it never reached Porkbun. */
const CHALLENGED = new WeakSet<ProviderError>();
/** Errors of a call never sent: the pause before it did not fit the deadline (not worth retrying either). */
const UNSENT = new WeakSet<ProviderError>();

function unsent(error: ProviderError): ProviderError {
  UNSENT.add(error);
  return error;
}

const RATE_LIMIT_REASON = 'rate limit reached (about one request a second per API key)';

export function createPorkbunProvider(deps: PorkbunAdapterDeps): DnsProvider {
  const pacer = new KeyPacer(deps.minIntervalMs ?? 1000);
  return {
    id: PROVIDER,
    capabilities: PORKBUN_CAPABILITIES,
    requiredCredentials: REQUIRED_CREDENTIALS.porkbun,
    connect: (credentials, options) => new PorkbunSession(deps, pacer, credentials, commandBounds(deps, options)),
  };
}

// ------------------------------------------------------------------------------------------------------ pacing

interface Lane {
  /** Settles when the last call queued on this key has ended. */
  tail: Promise<void>;
  /** Epoch ms the last call of this key ended. */
  lastEnd: number;
  /** Epoch ms before which no call may start: a Retry-After Porkbun sent. */
  notBefore: number;
  pending: number;
}

/**
 * One queue per API key, shared by every session of one provider instance: calls of one key run one at a time, each
 * starting `intervalMs` after the previous one ended (so Porkbun sees them more than a second apart, whatever the
 * network delay) and not before a Retry-After it sent. Keys are held as SHA-256 digests, never in clear.
 */
class KeyPacer {
  private readonly lanes = new Map<string, Lane>();
  constructor(private readonly intervalMs: number) {}

  laneKey(apiKey: string): string {
    return createHash('sha256').update(apiKey).digest('hex');
  }

  /** Porkbun asked to wait: no call of this key before `seconds` from now. */
  hold(key: string, seconds: number): void {
    const lane = this.lane(key);
    lane.notBefore = Math.max(lane.notBefore, Date.now() + seconds * 1000);
  }

  async run<T>(key: string, bounds: CommandBounds, latestStart: number, call: () => Promise<T>): Promise<T> {
    const lane = this.lane(key);
    const previous = lane.tail;
    let release!: () => void;
    const mine = new Promise<void>((resolve) => (release = resolve));
    lane.tail = previous.then(() => mine);
    lane.pending++;
    try {
      // Earlier calls of the key may belong to other commands with later deadlines: this one waits for them no longer
      // than its own deadline allows, nor once it is cancelled. Giving up keeps the queue's order: the next call still
      // waits for those earlier calls (`lane.tail` chains through `previous`).
      const waited = await settledWithin(previous, latestStart, bounds.signal);
      if (waited === 'cancelled') throw unsent(new ProviderError(PROVIDER, 'timeout', 'the command was cancelled'));
      if (waited === 'late') throw unsent(new ProviderError(PROVIDER, 'timeout', 'no time left for the next call (an earlier call of this API key is still running)'));
      const paced = lane.lastEnd + this.intervalMs;
      const start = Math.max(paced, lane.notBefore);
      const wait = start - Date.now();
      if (wait > 0) {
        if (Date.now() + wait >= latestStart) {
          // Porkbun's own wait does not fit: say so with its signal; otherwise our pacing left no time.
          if (lane.notBefore > paced) {
            throw unsent(new ProviderError(PROVIDER, 'rate_limited', RATE_LIMIT_REASON, { retryAfterSeconds: Math.ceil(wait / 1000) }));
          }
          throw unsent(new ProviderError(PROVIDER, 'timeout', 'no time left for the next call (one call a second per API key)'));
        }
        try {
          await sleepFor(wait, undefined, bounds.signal ? { signal: bounds.signal } : {});
        } catch {
          throw unsent(new ProviderError(PROVIDER, 'timeout', 'the command was cancelled'));
        }
      }
      // Waiting for earlier calls of the key may have used up the time, too.
      if (Date.now() >= latestStart) throw unsent(new ProviderError(PROVIDER, 'timeout', 'no time left for the next call (one call a second per API key)'));
      try {
        return await call();
      } finally {
        lane.lastEnd = Date.now();
      }
    } finally {
      lane.pending--;
      release();
    }
  }

  private lane(key: string): Lane {
    let lane = this.lanes.get(key);
    if (!lane) {
      if (this.lanes.size >= 256) this.sweep();
      lane = { tail: Promise.resolve(), lastEnd: 0, notBefore: 0, pending: 0 };
      this.lanes.set(key, lane);
    }
    return lane;
  }

  /** Forgets keys that are idle and whose pause is over: they would not delay a call any more. */
  private sweep(): void {
    const now = Date.now();
    for (const [key, lane] of this.lanes) {
      if (lane.pending === 0 && lane.lastEnd + this.intervalMs < now && lane.notBefore < now) this.lanes.delete(key);
    }
  }
}

/** Whether `promise` settles before `latestStart` (epoch ms) and before `signal` aborts. */
async function settledWithin(promise: Promise<void>, latestStart: number, signal: AbortSignal | undefined): Promise<'settled' | 'late' | 'cancelled'> {
  if (signal?.aborted) return 'cancelled';
  let timer: NodeJS.Timeout | undefined;
  let onAbort: (() => void) | undefined;
  try {
    return await Promise.race([
      promise.then(() => 'settled' as const),
      new Promise<'late'>((resolve) => {
        timer = setTimeout(() => resolve('late'), Math.max(0, latestStart - Date.now()));
      }),
      new Promise<'cancelled'>((resolve) => {
        onAbort = () => resolve('cancelled');
        signal?.addEventListener('abort', onAbort, { once: true });
      }),
    ]);
  } finally {
    clearTimeout(timer);
    if (onAbort) signal?.removeEventListener('abort', onAbort);
  }
}

// ----------------------------------------------------------------------------------------------------- session

class PorkbunSession implements ProviderSession {
  private readonly base: string;
  private readonly lane: string;

  constructor(
    private readonly deps: PorkbunAdapterDeps,
    private readonly pacer: KeyPacer,
    private readonly credentials: ProviderCredentials,
    /** One deadline for the whole command: every call, pause, retry and re-read below shares it. */
    private readonly bounds: CommandBounds,
  ) {
    this.base = deps.baseUrl.replace(/\/+$/, '');
    this.lane = pacer.laneKey(credentials.apiKey.trim());
  }

  /** The zone is the registered domain: Porkbun's DNS calls take only the registered apex ("Invalid domain." else, §3). */
  async findZone(domain: string): Promise<Zone> {
    const apex = registrableDomain(domain);
    if (!apex) throw new ProviderError(PROVIDER, 'rejected', 'not a registrable domain name');
    return { name: apex, id: apex };
  }

  /**
   * Reads the domain's records. `POST /ping` is not enough: it checks the key pair only, while API access is opted in
   * per domain and a domain not opted in refuses every DNS call (§3 trap 1; jeessy2/ddns-go#1015).
   */
  async authorize(domain: string): Promise<Zone> {
    const zone = await this.findZone(domain);
    await this.retrieve(zone);
    return zone;
  }

  async readZone(zone: Zone): Promise<ZoneContents> {
    return { records: await this.retrieve(zone) };
  }

  /**
   * One call per change, in the order given (the planner puts a DELETE before the CREATE that takes its name). A
   * failure that may have reached Porkbun (a timeout, a reset, a 5xx, a lost or unreadable reply) is settled by
   * re-reading the zone: a change found applied counts as applied, one found missing is sent again, and anything else
   * stops the plan with `partialApplyError` naming what landed.
   */
  async applyChanges(zone: Zone, contents: ZoneContents, changes: readonly RecordChange[]): Promise<ApplyResult> {
    if (changes.length === 0) return { applied: [] };
    const writes = planWrites(zone.name, contents.records, changes);
    // Ids present before each write: a record found after a lost create with an id outside this set is the create's.
    const known = new Set(contents.records.map((r) => r.id).filter((id): id is string => id !== undefined));
    return applyPerRecord(changes, writes, (write) =>
      settleWrite(
        WRITE_SENDS,
        async () => {
          const body = await this.post(write.path, write.fields, 'write');
          if (write.change.action === 'CREATE') {
            const id = body.id;
            if (typeof id !== 'string' && typeof id !== 'number') {
              throw new ProviderError(PROVIDER, 'protocol', 'the create reply has no record id');
            }
            known.add(String(id));
          }
        },
        () => this.outcome(zone, write, known),
        // A refusal is an answer, and a call never sent changed nothing: this change is not in the zone.
        (error) => error.isCallerFault || UNSENT.has(error) || CHALLENGED.has(error),
      ),
    );
  }

  /** After a failed write: re-reads the zone and says whether the write is in it (undefined: cannot tell). */
  private async outcome(zone: Zone, write: RecordWrite, known: Set<string>): Promise<boolean | undefined> {
    let now: DnsRecord[];
    try {
      now = await this.retrieve(zone);
    } catch {
      return undefined;
    }
    return landedInZone(now, write, known, MATCH);
  }

  private async retrieve(zone: Zone): Promise<DnsRecord[]> {
    const body = await this.post(`/dns/retrieve/${encodeURIComponent(zone.name)}`, {}, 'read');
    if (!Array.isArray(body.records)) throw new ProviderError(PROVIDER, 'protocol', 'the record list was not an array');
    return body.records.map((raw) => fromPorkbun(raw, zone.name));
  }

  /** One logical call (its retries and pauses included) within the command's deadline. */
  private async post(path: string, fields: Readonly<Record<string, string>>, mode: 'read' | 'write'): Promise<Record<string, unknown>> {
    const apiKey = this.credentials.apiKey.trim();
    const secret = this.credentials.apiSecret?.trim() ?? '';
    if (!apiKey || !secret) throw new ProviderError(PROVIDER, 'auth', 'API key and secret API key are required');
    const body = JSON.stringify({ apikey: apiKey, secretapikey: secret, ...fields });
    // A write keeps back a share of the deadline, to re-read the zone when its reply is lost.
    const reserve = mode === 'write' ? writeReserveMs(this.bounds) : 0;
    const latest = this.bounds.deadline - reserve;
    return withRetries(
      mode === 'read' ? READ_RETRIES : WRITE_RETRIES,
      async () => {
        const reply = await this.pacer.run(this.lane, this.bounds, latest, () =>
          withAttemptSignal(PROVIDER, this.bounds, reserve, (signal) =>
            send(PROVIDER, this.deps, `${this.base}${path}`, {
              method: 'POST',
              headers: { 'content-type': 'application/json', accept: 'application/json' },
              body,
              signal,
            }),
          ),
        );
        try {
          return readReply(reply, this.credentials);
        } catch (error) {
          if (error instanceof ProviderError && error.retryAfterSeconds !== undefined) this.pacer.hold(this.lane, error.retryAfterSeconds);
          throw error;
        }
      },
      { deadline: latest, sleep: this.deps.sleep, signal: this.bounds.signal },
    );
  }
}

// ---------------------------------------------------------------------------------------------------- replies

/**
 * Porkbun answers `{"status":"SUCCESS",…}` with HTTP 200, and errors as `{"status":"ERROR","message":…}`, usually
 * with HTTP 400 (§3 "Errors and limits": check `status`, not only the HTTP code). A 202 or a 503 is a rate-limit page
 * in HTML, never a success.
 */
export function readReply(reply: HttpReply, credentials: ProviderCredentials): Record<string, unknown> {
  if (reply.status === 202 || header(reply, 'x-amzn-waf-action') !== undefined) {
    // AWS WAF challenge (dnscontrol PR #3019): the request never reached Porkbun.
    const error = new ProviderError(PROVIDER, 'rate_limited', RATE_LIMIT_REASON, { retryAfterSeconds: retryAfterSeconds(reply.headers) });
    CHALLENGED.add(error);
    throw error;
  }
  if (reply.status === 503 || reply.status === 429) {
    // The openresty "503 Service Temporarily Unavailable" page past about 2 requests a second (dnscontrol#3225,
    // nrdcg/porkbun fixture error503.json). Porkbun sends no Retry-After that any source shows; one is honoured if sent.
    throw new ProviderError(PROVIDER, 'rate_limited', RATE_LIMIT_REASON, { retryAfterSeconds: retryAfterSeconds(reply.headers) });
  }
  if (reply.status >= 500) throw new ProviderError(PROVIDER, 'unavailable', `HTTP ${reply.status}${/^\s*</.test(reply.text) ? ' with an HTML page' : ''}`);
  const body = parseJson<unknown>(PROVIDER, reply);
  if (!isObject(body)) throw new ProviderError(PROVIDER, 'protocol', `HTTP ${reply.status} with a reply that is not an object`);
  if (body.status === 'SUCCESS' && reply.status === 200) return body;
  if (body.status === 'ERROR') throw porkbunError(typeof body.message === 'string' ? body.message : '', credentials);
  throw new ProviderError(PROVIDER, 'protocol', `unexpected HTTP ${reply.status} reply`);
}

/** A `{"status":"ERROR"}` message → ProviderError; provider text is scrubbed of every credential. */
export function porkbunError(message: string, credentials: ProviderCredentials): ProviderError {
  // "Invalid API key. (001)" unknown key, "(002)" a key with the wrong secret (nrdcg fixture error.json; ddns-go#388).
  if (/invalid api key/i.test(message)) return new ProviderError(PROVIDER, 'auth', 'invalid API key or secret API key');
  // ddns-go#1015, caddy-dns/porkbun#15: HTTP 400 "Domain is not opted in to API access."
  if (/not opted in to api access/i.test(message)) return new ProviderError(PROVIDER, 'forbidden', 'API access is not enabled for this domain');
  // caddy-dns/porkbun#29, acme.sh#3450: a name that is not a domain of the account.
  if (/^invalid domain/i.test(message)) return new ProviderError(PROVIDER, 'not_found', 'domain not found in this account');
  const text = redactCredentials(message, credentials).replace(/[\u0000-\u001f\u007f]/g, ' ').slice(0, 300);
  return new ProviderError(PROVIDER, 'rejected', text ? `the change was refused: ${text}` : 'the change was refused');
}

function header(reply: HttpReply, name: string): string | undefined {
  const value = reply.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

// ---------------------------------------------------------------------------------------------- reading records

/** Porkbun wire record → neutral form (pure; exported for tests). */
export function fromPorkbun(raw: unknown, apex: string): DnsRecord {
  if (
    !isObject(raw) ||
    (typeof raw.id !== 'string' && typeof raw.id !== 'number') ||
    typeof raw.name !== 'string' ||
    typeof raw.type !== 'string' ||
    typeof raw.content !== 'string'
  ) {
    throw new ProviderError(PROVIDER, 'protocol', 'a record lacked id, name, type or content');
  }
  const record = raw as unknown as PorkbunRecord;
  const type = record.type.toUpperCase();
  // FQDN on read (the apex is the domain itself); tolerate a relative or empty name [infer].
  let name = record.name.trim().toLowerCase().replace(/\.$/, '');
  if (name === '' || name === '@') name = apex;
  else if (name !== apex && !name.endsWith(`.${apex}`)) name = `${name}.${apex}`;
  let content = record.content;
  if (type === 'TXT') content = decodeTxt(content);
  else if (HOST_TARGETS.has(type) || type === 'SRV') content = content.trim().replace(/\.$/, '');
  const ttl = Number(record.ttl);
  const priority = type === 'MX' || type === 'SRV' ? Number(record.prio ?? 0) || 0 : undefined;
  const notes = typeof record.notes === 'string' && record.notes !== '' ? record.notes : undefined;
  return {
    type,
    name,
    content,
    ttl: Number.isFinite(ttl) ? ttl : PORKBUN_MIN_TTL,
    ...(priority === undefined ? {} : { priority }),
    id: String(record.id),
    raw,
    ...(notes === undefined ? {} : { providerFields: { notes } }),
    // Stored as entered (quotes included, where the customer typed them in the panel): a revert writes it back so.
    ...(type === 'TXT' ? { wireValue: record.content } : {}),
  };
}

/** Types whose content is a host name (without a trailing dot on read: dnscontrol `toRc` appends one). */
const HOST_TARGETS = new Set(['CNAME', 'MX', 'NS', 'ALIAS']);
const MATCH = recordMatch(HOST_TARGETS);

const QUOTED_STRINGS = /^\s*"(?:[^"\\]|\\.)*"(?:\s*"(?:[^"\\]|\\.)*")*\s*$/s;

/**
 * Porkbun stores and returns a TXT value as one unquoted string (dnscontrol `SetTargetTXT`). A value entered in the
 * panel with quotes (`"v=spf1 …"`, or chunks `"a" "b"`) is read as the RFC 1035 strings it spells, so the planner
 * sees the SPF record it is.
 */
export function decodeTxt(content: string): string {
  if (!QUOTED_STRINGS.test(content)) return content;
  return [...content.matchAll(/"((?:[^"\\]|\\.)*)"/gs)].map((m) => (m[1] ?? '').replace(/\\(.)/gs, '$1')).join('');
}

// ---------------------------------------------------------------------------------------------- writing records

/** One POST: its path, its fields (besides the credentials) and the change it carries. */
export interface RecordWrite {
  readonly change: RecordChange;
  readonly path: string;
  readonly fields: Readonly<Record<string, string>>;
  /** The record id an edit or delete names. */
  readonly id?: string | undefined;
}

/**
 * Pure planning: one call per change, in order. Everything Porkbun would refuse or silently alter is refused here,
 * before the first write, so a plan never stops half-way for a reason known in advance.
 */
export function planWrites(apex: string, records: readonly DnsRecord[], changes: readonly RecordChange[]): RecordWrite[] {
  const domain = encodeURIComponent(apex);
  return changes.map((change): RecordWrite => {
    if (change.action === 'CREATE') {
      const fields = recordFields(change.record, apex);
      const notes = change.record.restoreFields?.notes;
      return { change, path: `/dns/create/${domain}`, fields: typeof notes === 'string' && notes !== '' ? { ...fields, notes } : fields };
    }
    const id = idAsRead(PROVIDER, records, change.before, MATCH);
    if (change.action === 'DELETE') return { change, path: `/dns/delete/${domain}/${encodeURIComponent(id)}`, fields: {}, id };
    // An edit sets the record as sent [infer from the create fields]: the notes it had go back with it.
    const raw = change.before.raw;
    const notes = isObject(raw) && typeof raw.notes === 'string' ? raw.notes : '';
    return { change, path: `/dns/edit/${domain}/${encodeURIComponent(id)}`, fields: { ...recordFields(change.record, apex), notes }, id };
  });
}

/**
 * The create/edit fields of a record: `name` relative ('' for the apex, `*` for a wildcard: dnscontrol "porkbun
 * doesn't use '@', it uses an empty name"), `ttl` and `prio` as strings as dnscontrol and nrdcg send them, TXT as one
 * joined unquoted string, host targets without a trailing dot (as Porkbun returns them), SRV `weight port target`
 * with the priority in `prio` (dnscontrol `toReq`).
 */
function recordFields(record: DesiredRecord, apex: string): Record<string, string> {
  const type = record.type.toUpperCase();
  if (!PORKBUN_CAPABILITIES.recordTypes.has(type)) throw rejected(`${type} records cannot be written through the API`);
  const name = relativeName(record.name, apex);
  const where = `the ${type} record at ${record.name}`;
  if (!Number.isInteger(record.ttl) || record.ttl < PORKBUN_MIN_TTL || record.ttl > PORKBUN_MAX_TTL) {
    throw rejected(`${where} has TTL ${record.ttl}, outside the allowed ${PORKBUN_MIN_TTL}–${PORKBUN_MAX_TTL} seconds`);
  }
  let content = record.content;
  if (type === 'TXT') {
    // dnscontrol auditrecords.go: empty TXT and a trailing space are refused (verified 2022-11-19).
    if (content === '') throw rejected(`${where} is empty`);
    if (/\s$/.test(content)) throw rejected(`${where} ends with a space`);
    if (Buffer.byteLength(content, 'utf8') > PORKBUN_CAPABILITIES.maxTxtLength) {
      throw rejected(`${where} is longer than ${PORKBUN_CAPABILITIES.maxTxtLength} bytes`);
    }
    // Stored as sent and read back unquoted: a value that is itself quoted strings would read back as another value.
    if (QUOTED_STRINGS.test(content)) throw rejected(`${where} is written in quotes; give the value without them`);
    content = restoredTxt(record, decodeTxt) ?? content;
  } else if (HOST_TARGETS.has(type)) {
    content = content.trim().replace(/\.$/, '');
  } else if (type === 'SRV') {
    const [weight, port, target] = content.trim().split(/\s+/);
    content = `${weight ?? ''} ${port ?? ''} ${(target ?? '').replace(/\.$/, '')}`;
  } else if (type === 'CAA' && /^\d+\s+\S+\s+"[^"]*\s[^"]*"$/.test(content.trim())) {
    // dnscontrol auditrecords.go: CaaTargetContainsWhitespace (verified 2024-11-11).
    throw rejected(`${where} has a space in its value`);
  }
  if (content.trim() === '') throw rejected(`${where} is empty`);
  const fields: Record<string, string> = { name, type, content, ttl: String(record.ttl) };
  if (type === 'MX' || type === 'SRV') fields.prio = String(record.priority ?? 0);
  return fields;
}

/** Full name → Porkbun's relative name: '' for the apex. Sending an FQDN would create `x.example.com.example.com`. */
function relativeName(full: string, apex: string): string {
  const name = full.trim().toLowerCase().replace(/\.$/, '');
  if (name === apex) return '';
  if (name.endsWith(`.${apex}`)) return name.slice(0, -(apex.length + 1));
  throw rejected(`${name} is not inside the zone ${apex}`);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function rejected(reason: string): ProviderError {
  return new ProviderError(PROVIDER, 'rejected', reason);
}
