/**
 * Namecheap adapter. Namecheap has no per-record write: `namecheap.domains.dns.setHosts` REPLACES the whole host
 * list ("All host records that are not included into the API call will be deleted", setHosts doc). So applyChanges
 * is one read-modify-write: every host exactly as getHosts returned it, minus the deleted/replaced ones, plus the new
 * ones, with `EmailType` exactly as read (without it Namecheap drops every MX host: billputer/go-namecheap PR #7,
 * nc-tf `resolveEmailType`). Facts and sources: ../shared/reference/providers.md §3.
 *
 * Revert fidelity (providers/restore.ts) needs nothing here: Namecheap stores a TXT value unquoted and whole, and
 * setHosts writes every untouched host back from the bytes read (providers.md §3).
 */
import { REQUIRED_CREDENTIALS } from './credentials.js';
import { redactCredentials } from './redact.js';
import { XMLParser } from 'fast-xml-parser';
import { splitRegistrable } from '../src/domain.js';
import {
  withAttemptSignal,
  commandBounds,
  retryAfterSeconds,
  send,
  withRetries,
  writeReserveMs,
  type AdapterDeps,
  type CommandBounds,
  type HttpReply,
  type RetryPolicy,
} from './http.js';
import {
  ProviderError,
  type DesiredRecord,
  type DnsProvider,
  type DnsRecord,
  type ProviderCredentials,
  type ProviderErrorKind,
  type ProviderSession,
  type RecordChange,
  type Zone,
  type ZoneContents,
} from './types.js';

export interface NamecheapDeps extends AdapterDeps {
  /** The IPv4 address whitelisted in the Namecheap account (NAMECHEAP_CLIENT_IP); sent as `ClientIp` on every call. */
  readonly clientIp: string | undefined;
}

/** One `<host>` element: every attribute exactly as read, so an untouched host is written back byte-for-byte. */
export type NamecheapHost = Readonly<Record<string, string>>;

/** What readZone leaves in `ZoneContents.adapterState` for applyChanges. */
export interface NamecheapZoneState {
  /** `EmailType` of the getHosts result, sent back unchanged on setHosts. */
  readonly emailType: string | undefined;
  readonly hosts: readonly NamecheapHost[];
}

/** setHosts RecordType values; SRV is absent because the API can neither read nor set it (dnscontrol features). */
const RECORD_TYPES = new Set(['A', 'AAAA', 'ALIAS', 'CAA', 'CNAME', 'MX', 'MXE', 'NS', 'TXT', 'URL', 'URL301', 'FRAME']);
const MIN_TTL = 60;
const MAX_TTL = 60_000;
/** Types whose Address is a host name: normalised to lower case without a trailing dot. */
const HOST_TARGET_TYPES = new Set(['CNAME', 'MX', 'NS', 'ALIAS']);

/** dnscontrol's `doWithRetry` waits 5 s after each HTTP 405 (Namecheap's rate-limit reply). */
const RATE_LIMIT_WAIT_SECONDS = 5;
/**
 * Both commands are safe to repeat: getHosts reads, and setHosts carries the full host list, so sending it twice
 * leaves the same zone (the zone lock keeps our own writers apart). An unreadable 200 (`protocol`) is not repeated
 * blindly: a setHosts is then checked by re-reading (see applyChanges).
 */
const RETRY_POLICY: RetryPolicy = {
  attempts: 6,
  baseDelayMs: 1_000,
  maxDelayMs: 20_000,
  retryOn: (error) => error.kind === 'rate_limited' || error.kind === 'unavailable' || error.kind === 'timeout',
};
/**
 * setHosts is repeated at once only when it surely did not run (a 405) or failed before or after running in a way
 * that repeating the same full list cannot harm (5xx, reset). A timeout is settled by re-reading instead, so that
 * the time left goes to the check and one more send rather than to backoff.
 */
const SET_HOSTS_RETRIES: RetryPolicy = { ...RETRY_POLICY, retryOn: (error) => error.kind === 'rate_limited' || error.kind === 'unavailable' };
/** setHosts sends in one command: a second only when a re-read proved the first changed nothing. */
const SET_HOSTS_SENDS = 2;

const xml = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '',
  // Attribute values are customer data (TXT with leading spaces): never trim or coerce them.
  trimValues: false,
  parseTagValue: false,
  parseAttributeValue: false,
  htmlEntities: true,
  // Real replies use `<host>`, the doc example `<Host>` (providers.md §3 trap 6): compare tag names in lower case.
  transformTagName: (name) => name.toLowerCase(),
});

/** Fixed reasons for the documented error numbers (providers.md §3 "Global error numbers", command errors). */
const KNOWN_ERRORS: Readonly<Record<string, readonly [ProviderErrorKind, string]>> = {
  '1010101': ['auth', 'the API user is missing or invalid'],
  '1010102': ['auth', 'the API key is invalid or API access has not been enabled'],
  '1011102': ['auth', 'the API key is invalid or API access has not been enabled'],
  '1050900': ['auth', 'the API user could not be validated'],
  '1019103': ['auth', 'the username is not available'],
  '1016103': ['auth', 'the username is not authorized'],
  '1017101': ['forbidden', 'the API user is disabled or locked'],
  '1017103': ['forbidden', 'the username is disabled or locked'],
  '1017410': ['forbidden', 'the account is locked after too many declined payments'],
  '1017411': ['forbidden', 'the account is locked after too many login attempts'],
  '1011150': ['forbidden', "this server's IP address is not whitelisted for API access"],
  '1017150': ['forbidden', "this server's IP address is disabled or locked for API access"],
  '1017105': ['forbidden', "this server's IP address is disabled or locked for API access"],
  '1010105': ['rejected', 'the client IP address was not accepted'],
  '1011105': ['rejected', 'the client IP address was not accepted'],
  '2019166': ['not_found', 'the domain was not found in this Namecheap account'],
  '2016166': ['not_found', 'the domain is not associated with this Namecheap account'],
  '2030166': ['forbidden', 'editing DNS is not permitted for this domain'],
  '2030288': ['rejected', 'the domain is not using Namecheap DNS servers'],
};

export function createNamecheapProvider(deps: NamecheapDeps): DnsProvider {
  return {
    id: 'namecheap',
    capabilities: {
      recordTypes: RECORD_TYPES,
      minTtl: MIN_TTL,
      maxTtl: MAX_TTL,
      atomicApply: true,
      // setHosts replaces the whole zone with what it is sent: the zone lock is the guard.
      guardedWrite: false,
      // No documented limit; DKIM keys of 2048 bits are written whole over POST [infer].
      maxTxtLength: 1024,
      // getHosts; one setHosts carrying every host.
      upstreamCalls: { read: 1, write: { perPlan: 1, perRrset: 0, perRecord: 0 } },
      writes: 'one `setHosts` carrying every host exactly as read and the `EmailType` as read',
    },
    requiredCredentials: REQUIRED_CREDENTIALS.namecheap,
    connect: (credentials, options) => connectSession(deps, credentials, commandBounds(deps, options)),
  };
}

function connectSession(deps: NamecheapDeps, credentials: ProviderCredentials, bounds: CommandBounds): ProviderSession {
  // setHosts keeps back a share of the deadline, so that a lost reply can still be checked by re-reading.
  const call = (command: string, zone: Zone, params: Record<string, string>) =>
    callApi(deps, credentials, command, zone, params, bounds, command.endsWith('setHosts') ? writeReserveMs(bounds) : 0);

  const getHosts = async (zone: Zone): Promise<NamecheapZoneState> => {
    const result = await call('namecheap.domains.dns.getHosts', zone, {});
    const node = result['domaindnsgethostsresult'];
    if (!isObject(node)) throw protocolError('getHosts reply has no DomainDNSGetHostsResult');
    if (node['IsUsingOurDNS'] === 'false') throw new ProviderError('namecheap', 'rejected', KNOWN_ERRORS['2030288']![1]);
    const hosts = children(node, 'host').map((host) => {
      if (!isObject(host)) throw protocolError('getHosts reply has a malformed host');
      return Object.fromEntries(Object.entries(host).filter((e): e is [string, string] => typeof e[1] === 'string' && e[0] !== '#text'));
    });
    const emailType = node['EmailType'];
    return { emailType: typeof emailType === 'string' ? emailType : undefined, hosts };
  };

  const findZone = async (domain: string): Promise<Zone> => {
    const parts = splitRegistrable(domain);
    if (!parts || parts.sld === '') throw new ProviderError('namecheap', 'rejected', 'the domain is not a registrable domain name');
    const name = `${parts.sld}.${parts.tld}`;
    return { name, id: name };
  };

  return {
    findZone,
    async authorize(domain) {
      const zone = await findZone(domain);
      await getHosts(zone);
      return zone;
    },
    async readZone(zone) {
      const state = await getHosts(zone);
      return { records: state.hosts.map((host) => toRecord(zone.name, host)), adapterState: state };
    },
    async applyChanges(zone, contents, changes) {
      if (changes.length === 0) return { applied: [] };
      const state = zoneState(contents);
      const hosts = mergeHosts(zone.name, state.hosts, changes);
      const hasMx = hosts.some((h) => (h['Type'] ?? '').toUpperCase() === 'MX');
      if (hasMx && state.emailType !== 'MX') {
        // setHosts without EmailType=MX silently discards MX hosts (billputer/go-namecheap PR #7): refuse instead.
        throw new ProviderError(
          'namecheap',
          'rejected',
          `the domain's mail setting (EmailType ${state.emailType ?? 'unset'}) would discard MX records; switch it to Custom MX first`,
        );
      }
      const params: Record<string, string> = {};
      if (state.emailType !== undefined) params['EmailType'] = state.emailType;
      hosts.forEach((host, i) => {
        const n = String(i + 1);
        // Attribute names of getHosts → parameter names of setHosts (setHosts doc; nc-sdk domains_dns_set_hosts.go).
        for (const [attribute, param] of [['Name', 'HostName'], ['Type', 'RecordType'], ['Address', 'Address'], ['MXPref', 'MXPref'], ['TTL', 'TTL']] as const) {
          const value = host[attribute];
          if (value !== undefined) params[`${param}${n}`] = value;
        }
      });
      for (let attempt = 1; ; attempt++) {
        try {
          const result = await call('namecheap.domains.dns.setHosts', zone, params);
          const node = result['domaindnssethostsresult'];
          if (!isObject(node) || node['IsSuccess'] !== 'true') throw protocolError('setHosts did not report success');
          return { applied: [...changes] };
        } catch (error) {
          if (!(error instanceof ProviderError) || error.isCallerFault || error.kind === 'rate_limited') throw error;
          // The reply was lost or unreadable. setHosts replaces the list in one go, so the zone holds the new list or
          // the old one: re-read to tell which.
          let now: NamecheapZoneState | undefined;
          try {
            now = await getHosts(zone);
          } catch {
            now = undefined;
          }
          if (now && sameHosts(now.hosts, hosts)) return { applied: [...changes] };
          const unchanged = now !== undefined && sameHosts(now.hosts, state.hosts);
          if (unchanged && attempt < SET_HOSTS_SENDS) continue;
          const known = !now
            ? 'whether the change was applied could not be checked'
            : unchanged
              ? 'the zone was re-read: nothing was changed'
              : 'the zone was re-read and holds neither the old nor the new hosts (changed elsewhere?)';
          throw new ProviderError('namecheap', error.kind, `${error.reason}; ${known}`, { cause: error, retryAfterSeconds: error.retryAfterSeconds });
        }
      }
    },
  };
}

/** Two host lists hold the same records (ids, order and display-only attributes aside). */
function sameHosts(a: readonly NamecheapHost[], b: readonly NamecheapHost[]): boolean {
  const key = (h: NamecheapHost) => {
    const type = (h['Type'] ?? '').toUpperCase();
    return JSON.stringify([(h['Name'] ?? '').toLowerCase(), type, h['Address'] ?? '', type === 'MX' ? h['MXPref'] ?? '10' : '', h['TTL'] ?? '1800']);
  };
  const x = a.map(key).sort();
  const y = b.map(key).sort();
  return x.length === y.length && x.every((k, i) => k === y[i]);
}

/** The zone state readZone stored; anything else means the caller broke the readZone → applyChanges contract. */
function zoneState(contents: ZoneContents): NamecheapZoneState {
  const state = contents.adapterState as Partial<NamecheapZoneState> | undefined;
  if (!state || !Array.isArray(state.hosts)) throw new TypeError('Namecheap applyChanges needs the ZoneContents its readZone returned');
  return state as NamecheapZoneState;
}

/** The host list to send: read order kept, UPDATEs replaced in place, DELETEs dropped, CREATEs appended. */
function mergeHosts(apex: string, hosts: readonly NamecheapHost[], changes: readonly RecordChange[]): NamecheapHost[] {
  const result: (NamecheapHost | null)[] = [...hosts];
  const created: NamecheapHost[] = [];
  for (const change of changes) {
    const wire = change.action === 'DELETE' ? null : toHost(apex, change.record);
    if (change.action === 'CREATE') {
      created.push(wire!);
      continue;
    }
    const index = findHost(apex, result, change.before);
    if (index < 0) {
      throw new ProviderError('namecheap', 'conflict', `the ${change.before.type} record at ${change.before.name} is no longer in the zone as read`);
    }
    result[index] = wire;
  }
  return [...result.filter((h): h is NamecheapHost => h !== null), ...created];
}

/** Finds the host a change names: by the raw host it was read from, else by HostId, else by its normalised form. */
function findHost(apex: string, hosts: readonly (NamecheapHost | null)[], before: DnsRecord): number {
  const byRaw = hosts.findIndex((h) => h !== null && h === before.raw);
  if (byRaw >= 0) return byRaw;
  if (before.id !== undefined) {
    const byId = hosts.findIndex((h) => h !== null && h['HostId'] === before.id);
    if (byId >= 0) return byId;
  }
  return hosts.findIndex((h) => {
    if (h === null) return false;
    const r = toRecord(apex, h);
    return r.type === before.type && r.name === before.name && r.content === before.content && r.priority === before.priority;
  });
}

function toRecord(apex: string, host: NamecheapHost): DnsRecord {
  const type = (host['Type'] ?? '').toUpperCase();
  const label = (host['Name'] ?? '@').toLowerCase().replace(/\.$/, '');
  const address = host['Address'] ?? '';
  const mxPref = Number(host['MXPref']);
  return {
    type,
    name: label === '@' || label === '' ? apex : `${label}.${apex}`,
    // TXT: Namecheap stores and returns the value unquoted and whole (no 255-byte chunks).
    content: HOST_TARGET_TYPES.has(type) ? address.toLowerCase().replace(/\.$/, '') : address,
    ttl: Number(host['TTL']),
    priority: type === 'MX' && Number.isFinite(mxPref) ? mxPref : undefined,
    id: host['HostId'],
    raw: host,
  };
}

function toHost(apex: string, record: DesiredRecord): NamecheapHost {
  const type = record.type.toUpperCase();
  if (!RECORD_TYPES.has(type)) throw new ProviderError('namecheap', 'rejected', `Namecheap's API cannot write ${type} records`);
  if (!Number.isInteger(record.ttl) || record.ttl < MIN_TTL || record.ttl > MAX_TTL) {
    throw new ProviderError('namecheap', 'rejected', `TTL ${record.ttl} is outside Namecheap's range ${MIN_TTL}–${MAX_TTL}`);
  }
  const name = record.name.toLowerCase().replace(/\.$/, '');
  let label: string;
  if (name === apex) label = '@';
  else if (name.endsWith(`.${apex}`)) label = name.slice(0, -apex.length - 1);
  else throw new ProviderError('namecheap', 'rejected', `${record.name} is not inside the zone ${apex}`);
  const host: Record<string, string> = { Name: label, Type: type, Address: record.content, TTL: String(record.ttl) };
  if (type === 'MX') host['MXPref'] = String(record.priority ?? 10);
  return host;
}

/** One API call with retries; returns the `<CommandResponse>` element of an OK reply. */
async function callApi(
  deps: NamecheapDeps,
  credentials: ProviderCredentials,
  command: string,
  zone: Zone,
  params: Record<string, string>,
  bounds: CommandBounds,
  reserveMs: number,
): Promise<Record<string, unknown>> {
  if (!deps.clientIp) throw new ProviderError('namecheap', 'rejected', 'NAMECHEAP_CLIENT_IP is not configured');
  if (!credentials.apiUser) throw new ProviderError('namecheap', 'rejected', 'the Namecheap API user is missing');
  const parts = splitRegistrable(zone.name);
  if (!parts) throw new ProviderError('namecheap', 'rejected', 'the zone is not a registrable domain name');
  // POST form-encoded: URLSearchParams encodes `+` as %2B, which a raw query would turn into a space (providers.md §3).
  const body = new URLSearchParams({
    ApiUser: credentials.apiUser,
    ApiKey: credentials.apiKey,
    UserName: credentials.username ?? credentials.apiUser,
    ClientIp: deps.clientIp,
    Command: command,
    SLD: parts.sld,
    TLD: parts.tld,
    ...params,
  }).toString();
  // Retrying setHosts is safe too: it carries the full host list, so sending it twice leaves the same zone.
  return withRetries(
    command.endsWith('setHosts') ? SET_HOSTS_RETRIES : RETRY_POLICY,
    async () => {
      const reply = await withAttemptSignal('namecheap', bounds, reserveMs, (signal) =>
        send('namecheap', deps, deps.baseUrl, {
          method: 'POST',
          // Every Namecheap command is a POST: setHosts is its only write.
          operation: command.endsWith('setHosts') ? 'write' : 'read',
          headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/xml' },
          body,
          signal,
        }),
      );
      return parseReply(reply, credentials);
    },
    { deadline: bounds.deadline - reserveMs, signal: bounds.signal, ...(deps.sleep ? { sleep: deps.sleep } : {}) },
  );
}

function parseReply(reply: HttpReply, credentials: ProviderCredentials): Record<string, unknown> {
  if (reply.status === 405) {
    throw new ProviderError('namecheap', 'rate_limited', 'too many requests (Namecheap allows 20 a minute)', {
      retryAfterSeconds: retryAfterSeconds(reply.headers) ?? RATE_LIMIT_WAIT_SECONDS,
    });
  }
  if (reply.status >= 500) throw new ProviderError('namecheap', 'unavailable', `HTTP ${reply.status} from the provider`);
  if (reply.status !== 200) throw protocolError(`unexpected HTTP ${reply.status}`);
  let doc: unknown;
  try {
    doc = xml.parse(reply.text);
  } catch {
    doc = undefined;
  }
  const root = isObject(doc) ? doc['apiresponse'] : undefined;
  if (!isObject(root)) throw protocolError(`HTTP 200 with ${/^\s*</.test(reply.text) ? 'a page' : 'a body'} that is not an API response`);
  if (root['Status'] === 'OK') {
    const response = root['commandresponse'];
    if (!isObject(response)) throw protocolError('the reply has no CommandResponse');
    return response;
  }
  if (root['Status'] !== 'ERROR') throw protocolError('the reply has no Status of OK or ERROR');
  const errors = children(root, 'errors').flatMap((e) => (isObject(e) ? children(e, 'error') : []));
  const first = errors[0];
  if (first === undefined) throw protocolError('the reply has Status ERROR without an error');
  const number = isObject(first) && typeof first['Number'] === 'string' ? first['Number'] : '';
  const text = isObject(first) && typeof first['#text'] === 'string' ? first['#text'] : typeof first === 'string' ? first : '';
  const known = KNOWN_ERRORS[number];
  if (known) throw new ProviderError('namecheap', known[0], known[1]);
  // 3xxxxxx/5xxxxxx are Namecheap's own provider/unknown failures (nc-sdk docs/namecheap-api-v2.md); others reject input.
  const kind: ProviderErrorKind = /^[35]/.test(number) ? 'unavailable' : 'rejected';
  // The text may echo request values (`Invalid ApiUser acmeuser`): every credential field goes, then the length is bounded.
  const reason = redactCredentials(text.trim(), credentials);
  const bounded = reason.length > 200 ? `${reason.slice(0, 200)}…` : reason || 'no reason given';
  throw new ProviderError('namecheap', kind, `error ${number || 'without a number'}: ${bounded}`);
}

function protocolError(reason: string): ProviderError {
  return new ProviderError('namecheap', 'protocol', reason);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Child elements by (lower-case) name as a list: the parser yields one object, a list, or '' for an empty element. */
function children(node: Record<string, unknown>, name: string): unknown[] {
  const value = node[name];
  if (value === undefined) return [];
  return Array.isArray(value) ? value : [value];
}
