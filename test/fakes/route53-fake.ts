/**
 * A loopback Amazon Route 53 API 2013-04-01 (a real node:http server on 127.0.0.1, port 0) that behaves as Route 53's
 * documentation and observed replies say. Facts and tags are in ../shared/reference/providers-cloud.md §1 ([doc] AWS
 * documentation, [obs] a real reply quoted in an issue, [code] a client library, [infer] not confirmed). It is
 * unforgiving where Route 53 is: every request must carry a valid SigV4 signature (checked by re-signing the
 * canonical request with the account's secret through the same library the SDKs use), an `UPSERT` blindly replaces the
 * whole rrset, a `DELETE` must match the rrset exactly, a `CREATE` must not find one, a batch is all or nothing, and
 * `ListHostedZonesByName` / `ListResourceRecordSets` list in order FROM a name rather than filtering by it.
 */
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { isIPv4, isIPv6 } from 'node:net';
import type { AddressInfo } from 'node:net';
import { Hash } from '@smithy/hash-node';
import { SignatureV4 } from '@smithy/signature-v4';
import { XMLBuilder, XMLParser, XMLValidator } from 'fast-xml-parser';
import type { Route53RecordSet } from '../../providers/route53.js';
import type { DesiredRecord } from '../../providers/types.js';
import { SEED_APEX, seedRecords } from './seed-zone.js';

const XMLNS = 'https://route53.amazonaws.com/doc/2013-04-01/';

export interface Route53FakeAccount {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  /** Temporary credentials (an `ASIA…` key): every request must carry this `x-amz-security-token` (§1 auth). */
  readonly sessionToken?: string;
  readonly arn: string;
  /** Hosted zone ids the account owns. */
  readonly zones: readonly string[];
  /** Zone ids on which the key's IAM policy allows neither ListResourceRecordSets nor ChangeResourceRecordSets. */
  readonly deniedZones?: readonly string[];
}

export interface Route53FakeZone {
  readonly id: string;
  /** FQDN with the trailing dot, as Route 53 returns it. */
  readonly name: string;
  readonly private: boolean;
  /** Records in wire form, kept in Route 53's order (names with labels reversed, then type, then SetIdentifier). */
  rrsets: Route53RecordSet[];
}

export const SEED_ZONE_ID = 'Z0SEED0EXAMPLE0COM01';
export const PRIVATE_ZONE_ID = 'Z0PRIVATE0EXAMPLE001';
export const NEIGHBOUR_ZONE_ID = 'Z0NEIGHBOUR0EXAMPL02';

/** Test-only credentials of the default accounts (not real AWS keys). */
export const ROUTE53_FAKE_ACCOUNTS = {
  good: {
    accessKeyId: 'AKIAFAKEGOODKEY00001',
    secretAccessKey: 'r53GoodSecret/0123456789+abcdefGHIJKLmnopq',
    arn: 'arn:aws:iam::123456789012:user/dns-gateway',
    zones: [SEED_ZONE_ID, PRIVATE_ZONE_ID, NEIGHBOUR_ZONE_ID],
  },
  temporary: {
    accessKeyId: 'ASIAFAKETEMPKEY00002',
    secretAccessKey: 'r53TempSecret/9876543210+zyxwvuTSRQPOnmlkj',
    sessionToken: 'FwoGZXIvYXdzEFAKEsessionTOKEN0123456789/abcdefghij+KLMNOPQRSTUVWXYZ==',
    arn: 'arn:aws:sts::123456789012:assumed-role/dns-gateway/session',
    zones: [SEED_ZONE_ID, PRIVATE_ZONE_ID, NEIGHBOUR_ZONE_ID],
  },
  restricted: {
    accessKeyId: 'AKIAFAKEDENYKEY00003',
    secretAccessKey: 'r53DenySecret/1111111111+aaaaaaBBBBBBcccccc',
    arn: 'arn:aws:iam::123456789012:user/other-zones-only',
    zones: [SEED_ZONE_ID, PRIVATE_ZONE_ID, NEIGHBOUR_ZONE_ID],
    deniedZones: [SEED_ZONE_ID],
  },
} as const satisfies Record<string, Route53FakeAccount>;

export type Route53Action = 'ListHostedZonesByName' | 'ListResourceRecordSets' | 'ChangeResourceRecordSets' | 'GetChange' | 'GetHostedZone' | 'unknown';

export interface Route53FakeCall {
  readonly method: string;
  /** Decoded path, without the query. */
  readonly path: string;
  readonly query: Readonly<Record<string, string>>;
  /** The request body as sent (XML for a batch). */
  readonly body: string;
  readonly action: Route53Action;
  /** The Authorization header as sent (no secret: SigV4 sends a signature, never the key). */
  readonly authorization: string | undefined;
  /** The `x-amz-security-token` header as sent. */
  readonly securityToken: string | undefined;
  /** For a batch: its changes as sent, for assertions (`UPSERT` never, DELETE before CREATE). */
  changes?: { action: string; name: string; type: string; ttl?: number; values: string[] }[];
  status: number;
}

/** `read` = ListResourceRecordSets, `write` = ChangeResourceRecordSets, `zones` = ListHostedZonesByName. */
export type Route53FaultTarget = 'read' | 'write' | 'zones';

/**
 * A failure served instead of the real answer. The conformance kinds (test/providers/driver.ts ConformanceFault) plus
 * `throttling` with a chosen code and status. Route 53 sends no Retry-After (§1 rate limits: unconfirmed, none
 * documented), so `rate-limited` throttles every matching call for `retryAfterSeconds` (the token bucket refilling),
 * with Route 53's own HTTP 400 `Throttling` body.
 */
export type Route53Fault =
  | { readonly kind: 'server-error'; readonly on: Route53FaultTarget; readonly times?: number | 'always' }
  | { readonly kind: 'rate-limited'; readonly on: Route53FaultTarget; readonly retryAfterSeconds: number }
  | {
      readonly kind: 'throttling';
      readonly on: Route53FaultTarget;
      readonly code?: 'Throttling' | 'PriorRequestNotComplete';
      readonly status?: 400 | 429 | 503;
      readonly times?: number | 'always';
    }
  | { readonly kind: 'hang'; readonly on: Route53FaultTarget; readonly times?: number | 'always' }
  | { readonly kind: 'reset'; readonly on: Route53FaultTarget; readonly times?: number }
  | { readonly kind: 'malformed'; readonly on: 'read' | 'zones' }
  | { readonly kind: 'lost-reply'; readonly on: 'write' }
  /** The batch commits, then Route 53 answers 500 or 503 anyway [infer: any HTTP service can fail so]. */
  | { readonly kind: 'error-after-commit'; readonly on: 'write'; readonly status: 500 | 503 }
  | { readonly kind: 'echo-credentials' };

export interface Route53FakeBehaviour {
  /** Most rrsets one ListResourceRecordSets page returns, whatever `maxitems` asks (Route 53's own cap is 300). */
  pageLimit?: number;
  /** Most zones one ListHostedZonesByName page returns (Route 53's own cap is 100). */
  zonePageLimit?: number;
  /** The fake's clock runs this far ahead of the machine's (negative: behind), to test the 5-minute signature window. */
  clockSkewMs?: number;
  /**
   * The body of a refused batch: `error-response` = `<ErrorResponse>` with Code InvalidChangeBatch and the messages as
   * `[m1, m2]` (rusoto#1046) [obs]; `messages` = `<InvalidChangeBatch><Messages><Message>…` (aws-sdk-kotlin's Route 53
   * customization parses this root) [code]. @default 'error-response'
   */
  invalidChangeBatchForm?: 'error-response' | 'messages';
}

export interface Route53Fake {
  readonly baseUrl: string;
  /** Zones by id, rrsets in wire form; accounts. Tests may inspect and edit them. */
  readonly state: { zones: Map<string, Route53FakeZone>; accounts: Route53FakeAccount[] };
  readonly calls: Route53FakeCall[];
  /** A deep copy of a zone's rrsets, in Route 53's order. */
  snapshot(zoneId?: string): Route53RecordSet[];
  failNext(fault: Route53Fault): void;
  /** Runs `action` just before the next ChangeResourceRecordSets is handled (a second writer between read and write). */
  beforeNextWrite(action: () => void | Promise<void>): void;
  /** Drops every queued fault and hook (a lasting one, once its test has seen it). */
  clearFaults(): void;
  setBehaviour(behaviour: Route53FakeBehaviour): void;
  /** Puts the default zones back exactly as `start` made them (faults and hooks are not touched). */
  resetZones(): void;
  close(): Promise<void>;
}

// ------------------------------------------------------------------------------------------- names and values

/**
 * Route 53 keeps names lower case and returns every character other than a–z, 0–9, `-` and `_` as `\` + three octal
 * digits (DomainNameFormat) [doc]: `*.example.com` comes back as `\052.example.com.`.
 */
export function escapeName(name: string): string {
  const decoded = unescapeName(name).toLowerCase().replace(/\.$/, '');
  const out = [...decoded].map((c) => (/[a-z0-9_.-]/.test(c) ? c : `\\${c.charCodeAt(0).toString(8).padStart(3, '0')}`)).join('');
  return `${out}.`;
}

export function unescapeName(name: string): string {
  return name.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
}

/** "sorts results first by DNS name with the labels reversed … then by the record type" (API_ListResourceRecordSets). */
function nameKey(stored: string): string {
  return `${stored.replace(/\.$/, '').split('.').reverse().join('.')}.`;
}

function compareRrsets(a: Route53RecordSet, b: Route53RecordSet): number {
  const ka = nameKey(a.Name);
  const kb = nameKey(b.Name);
  if (ka !== kb) return ka < kb ? -1 : 1;
  if (a.Type !== b.Type) return a.Type < b.Type ? -1 : 1;
  const sa = a.SetIdentifier ?? '';
  const sb = b.SetIdentifier ?? '';
  return sa === sb ? 0 : sa < sb ? -1 : 1;
}

/** A TXT value as Route 53 writes it: quoted strings of at most 255 bytes, `"` and `\` escaped (§1 TXT) [doc]. */
function quoteTxt(value: string): string {
  const bytes = Buffer.from(value, 'utf8');
  const chunks: string[] = [];
  for (let i = 0; i === 0 || i < bytes.length; i += 255) chunks.push(bytes.subarray(i, i + 255).toString('utf8'));
  return chunks.map((c) => `"${c.replace(/[\\"]/g, (m) => `\\${m}`)}"`).join(' ');
}

/** One seed record's Value in Route 53's form (§1 wire format; MX/SRV keep priority inside, octodns-r53) [code]. */
function wireValue(record: DesiredRecord): string {
  const dot = (host: string) => `${host.replace(/\.$/, '')}.`;
  switch (record.type) {
    case 'TXT':
      return quoteTxt(record.content);
    case 'CNAME':
    case 'NS':
      return dot(record.content);
    case 'MX':
      return `${record.priority ?? 0} ${dot(record.content)}`;
    case 'SRV': {
      const [weight, port, target] = record.content.split(' ');
      return `${record.priority ?? 0} ${weight} ${port} ${dot(target ?? '')}`;
    }
    default:
      return record.content;
  }
}

/**
 * Seed records (full names) → rrsets. Route 53 holds one TTL per rrset: values of one name and type that differ in TTL
 * (the seed's apex MX: 3600, 3600, 7200) take the first one's [doc: API_ResourceRecordSet has one TTL].
 */
export function toRoute53Wire(records: readonly DesiredRecord[]): Route53RecordSet[] {
  const sets = new Map<string, { Name: string; Type: string; TTL: number; ResourceRecords: string[] }>();
  for (const record of records) {
    const key = `${escapeName(record.name)} ${record.type}`;
    const set = sets.get(key) ?? { Name: escapeName(record.name), Type: record.type, TTL: record.ttl, ResourceRecords: [] };
    set.ResourceRecords.push(wireValue(record));
    sets.set(key, set);
  }
  return [...sets.values()].sort(compareRrsets);
}

/** The one value of `record` as the fake stores it (for drivers planting a record). */
export const route53WireValue = wireValue;

function defaultZones(apexSoaNs: boolean): Map<string, Route53FakeZone> {
  const seed = toRoute53Wire(seedRecords());
  if (apexSoaNs) {
    // Every hosted zone has them; Route 53 creates both with the zone (§1; NS TTL 172800, SOA 900) [doc].
    seed.push(
      { Name: `${SEED_APEX}.`, Type: 'NS', TTL: 172_800, ResourceRecords: ['ns-1536.awsdns-00.co.uk.', 'ns-0.awsdns-00.com.', 'ns-512.awsdns-00.net.', 'ns-1024.awsdns-00.org.'] },
      { Name: `${SEED_APEX}.`, Type: 'SOA', TTL: 900, ResourceRecords: ['ns-1536.awsdns-00.co.uk. awsdns-hostmaster.amazon.com. 1 7200 900 1209600 86400'] },
    );
    seed.sort(compareRrsets);
  }
  return new Map([
    [SEED_ZONE_ID, { id: SEED_ZONE_ID, name: `${SEED_APEX}.`, private: false, rrsets: seed }],
    // A private (VPC) zone of the same name: public DNS never serves it (§1 trap 4; lego filters PrivateZone) [code].
    [PRIVATE_ZONE_ID, { id: PRIVATE_ZONE_ID, name: `${SEED_APEX}.`, private: true, rrsets: toRoute53Wire([{ type: 'A', name: `db.${SEED_APEX}`, content: '10.0.0.5', ttl: 300 }]) }],
    // A neighbour in the lexicographic listing from `example.com` (lego fixture NextDNSName example2.com) [code].
    [NEIGHBOUR_ZONE_ID, { id: NEIGHBOUR_ZONE_ID, name: 'example2.com.', private: false, rrsets: toRoute53Wire([{ type: 'A', name: 'example2.com', content: '192.0.2.200', ttl: 300 }]) }],
  ]);
}

// ------------------------------------------------------------------------------------------------- XML

const parser = new XMLParser({ ignoreAttributes: true, ignoreDeclaration: true, removeNSPrefix: true, parseTagValue: false, trimValues: true, processEntities: true });
const builder = new XMLBuilder({ ignoreAttributes: false, attributeNamePrefix: '@_', processEntities: true, suppressEmptyNode: false });

function xml(root: string, body: Record<string, unknown>): string {
  return builder.build({ '?xml': { '@_version': '1.0', '@_encoding': 'UTF-8' }, [root]: { '@_xmlns': XMLNS, ...body } }) as string;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function list(node: unknown, name: string): unknown[] {
  const value = isObject(node) ? node[name] : undefined;
  if (value === undefined || value === '') return [];
  return Array.isArray(value) ? value : [value];
}

function text(node: unknown, name: string): string | undefined {
  const value = isObject(node) ? node[name] : undefined;
  return typeof value === 'string' ? value : undefined;
}

/** An rrset as the ListResourceRecordSets XML has it (API_ResourceRecordSet element order). */
function rrsetXml(rrset: Route53RecordSet): Record<string, unknown> {
  const { Name, Type, TTL, ResourceRecords, AliasTarget, SetIdentifier, ...routing } = rrset;
  return {
    Name,
    Type,
    ...(SetIdentifier === undefined ? {} : { SetIdentifier }),
    ...routing,
    ...(TTL === undefined ? {} : { TTL }),
    ...(ResourceRecords === undefined ? {} : { ResourceRecords: { ResourceRecord: ResourceRecords.map((Value) => ({ Value })) } }),
    ...(AliasTarget === undefined ? {} : { AliasTarget }),
  };
}

// ------------------------------------------------------------------------------------------------- the server

interface ErrorReply {
  readonly status: number;
  readonly code: string;
  readonly message: string;
  readonly type?: 'Sender' | 'Receiver';
}

const SIGNATURE_MISMATCH =
  'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.';
const INVALID_TOKEN = 'The security token included in the request is invalid.';

const AUTH_HEADER = /^AWS4-HMAC-SHA256 Credential=([^/\s]+)\/(\d{8})\/([^/\s]+)\/([^/\s]+)\/aws4_request, ?SignedHeaders=([a-z0-9;-]+), ?Signature=([0-9a-f]{64})$/;

/** Record types Route 53 holds (Supported DNS record types) [doc]. */
const RECORD_TYPES = new Set(['A', 'AAAA', 'CAA', 'CNAME', 'DS', 'HTTPS', 'MX', 'NAPTR', 'NS', 'PTR', 'SOA', 'SPF', 'SRV', 'SSHFP', 'SVCB', 'TLSA', 'TXT']);

export async function startRoute53Fake(
  options: { accounts?: Route53FakeAccount[]; behaviour?: Route53FakeBehaviour; apexSoaNs?: boolean } = {},
): Promise<Route53Fake> {
  const apexSoaNs = options.apexSoaNs ?? false;
  const zones = defaultZones(apexSoaNs);
  const accounts: Route53FakeAccount[] = options.accounts ?? Object.values(ROUTE53_FAKE_ACCOUNTS);
  const calls: Route53FakeCall[] = [];
  const faults: { fault: Route53Fault; left: number; until?: number }[] = [];
  const writeHooks: (() => void | Promise<void>)[] = [];
  let behaviour: Route53FakeBehaviour = { ...options.behaviour };
  const now = () => Date.now() + (behaviour.clockSkewMs ?? 0);

  const server = createServer((req, res) => {
    void handle(req, res).catch(() => {
      if (!res.headersSent) res.writeHead(500).end();
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = await readBody(req);
    const url = new URL(req.url ?? '/', 'http://fake');
    const path = decodeURIComponent(url.pathname);
    const query = Object.fromEntries(url.searchParams);
    const method = req.method ?? 'GET';
    const action = actionOf(method, path);
    const call: Route53FakeCall = {
      method,
      path,
      query,
      body,
      action,
      authorization: headerValue(req, 'authorization'),
      securityToken: headerValue(req, 'x-amz-security-token'),
      status: 0,
    };
    calls.push(call);
    const reply = (status: number, payload: string) => {
      call.status = status;
      res.writeHead(status, { 'content-type': 'text/xml', 'x-amzn-requestid': randomUUID() }).end(payload);
    };
    const fail = (error: ErrorReply) => reply(error.status, errorXml(error));

    const fault = takeFault(action);
    if (fault?.kind === 'hang') return; // held open until the client gives up or close() ends it
    if (fault?.kind === 'reset') return void req.socket.destroy();

    const auth = await authenticate(req, path, query, body);
    if (fault?.kind === 'echo-credentials') {
      // The caller's credentials repeated back, as some providers do with what they were sent [infer: Route 53 itself
      // does not echo them; the fake does, so that redaction is tested].
      const echoed = [auth.keyId, auth.token, auth.account?.secretAccessKey].filter(Boolean).join(' / ');
      return fail({ status: 403, code: 'InvalidClientTokenId', message: `${INVALID_TOKEN} (${echoed})` });
    }
    if ('error' in auth) return fail(auth.error);
    const account = auth.account;

    if (fault?.kind === 'server-error') {
      // An AWS 5xx body [infer: InternalFailure is the generic AWS code].
      return fail({ status: 500, type: 'Receiver', code: 'InternalFailure', message: 'We encountered an internal error. Please try again.' });
    }
    if (fault?.kind === 'rate-limited' || fault?.kind === 'throttling') {
      // HTTP 400 `Throttling` "Rate exceeded" (DeveloperGuide throttling-api-requests); PriorRequestNotComplete when the
      // zone is still busy (repost.aws) [doc]; 429/503 may come from the edge [infer].
      const code = fault.kind === 'throttling' ? (fault.code ?? 'Throttling') : 'Throttling';
      const message = code === 'Throttling' ? 'Rate exceeded' : 'The request was rejected because Route 53 was still processing a prior request.';
      return fail({ status: fault.kind === 'throttling' ? (fault.status ?? 400) : 400, code, message });
    }
    if (fault?.kind === 'malformed') {
      call.status = 200;
      const root = action === 'ListHostedZonesByName' ? 'ListHostedZonesByNameResponse' : 'ListResourceRecordSetsResponse';
      return void res.writeHead(200, { 'content-type': 'text/xml' }).end(`<?xml version="1.0"?>\n<${root} xmlns="${XMLNS}"><ResourceRecordSets><ResourceRecordSet><Name>exa`);
    }
    if (action === 'ChangeResourceRecordSets') {
      for (const hook of writeHooks.splice(0)) await hook();
    }
    const out = route(account, action, path, query, body, call);
    if (fault?.kind === 'lost-reply') {
      // Handled for real (a batch commits), then the connection is cut before the reply [infer].
      call.status = out.status;
      return void req.socket.destroy();
    }
    if (fault?.kind === 'error-after-commit') {
      const code = fault.status === 503 ? 'ServiceUnavailable' : 'InternalFailure';
      return fail({ status: fault.status, type: 'Receiver', code, message: 'We encountered an internal error. Please try again.' });
    }
    if ('code' in out) return fail(out);
    reply(out.status, out.body);
  }

  function takeFault(action: Route53Action): Route53Fault | undefined {
    const target: Route53FaultTarget | undefined =
      action === 'ListResourceRecordSets' ? 'read' : action === 'ChangeResourceRecordSets' ? 'write' : action === 'ListHostedZonesByName' ? 'zones' : undefined;
    const found = faults.find(({ fault }) => fault.kind === 'echo-credentials' || fault.on === target);
    if (!found) return undefined;
    if (found.fault.kind === 'rate-limited') {
      found.until ??= Date.now() + found.fault.retryAfterSeconds * 1000;
      if (Date.now() < found.until) return found.fault;
      faults.splice(faults.indexOf(found), 1);
      return undefined;
    }
    if (found.left !== Infinity && --found.left <= 0) faults.splice(faults.indexOf(found), 1);
    return found.fault;
  }

  interface AuthResult {
    readonly keyId?: string | undefined;
    readonly token?: string | undefined;
    readonly account?: Route53FakeAccount | undefined;
  }

  /** SigV4 as Route 53 checks it; each refusal is the status, code and message AWS gives (§1 error table). */
  async function authenticate(
    req: IncomingMessage,
    path: string,
    query: Record<string, string>,
    body: string,
  ): Promise<(AuthResult & { account: Route53FakeAccount }) | (AuthResult & { error: ErrorReply })> {
    const header = req.headers.authorization;
    const token = headerValue(req, 'x-amz-security-token');
    if (!header) return { token, error: { status: 403, code: 'MissingAuthenticationToken', message: 'Missing Authentication Token' } }; // [infer]
    const match = AUTH_HEADER.exec(header);
    if (!match) {
      return { token, error: { status: 403, code: 'IncompleteSignature', message: "Authorization header requires 'Credential', 'Signature' and 'SignedHeaders' parameters." } }; // [infer]
    }
    const [, keyId, day, region, service, signedHeaders, signature] = match as unknown as [string, string, string, string, string, string, string];
    const account = accounts.find((a) => a.accessKeyId === keyId);
    // Unknown key, or temporary credentials without (or with a wrong) token: InvalidClientTokenId (acme.sh#1342;
    // vancluever/terraform-provider-acme#113) [obs].
    if (!account || (account.sessionToken ?? undefined) !== token) return { keyId, token, account, error: { status: 403, code: 'InvalidClientTokenId', message: INVALID_TOKEN } };
    const stamp = headerValue(req, 'x-amz-date') ?? '';
    const signedAt = parseAmzDate(stamp);
    if (signedAt === undefined) return { keyId, token, account, error: { status: 403, code: 'IncompleteSignature', message: 'Date must be in ISO-8601 \'basic format\'.' } }; // [infer]
    if (region !== 'us-east-1' || service !== 'route53' || day !== stamp.slice(0, 8)) {
      return { keyId, token, account, error: { status: 403, code: 'SignatureDoesNotMatch', message: `Credential should be scoped to a valid region and service, not '${region}/${service}'.` } }; // [infer]
    }
    const clock = now();
    if (Math.abs(clock - signedAt) > 5 * 60_000) {
      // "Signature expired: 20161011T235745Z is now earlier than 20161011T235755Z (20161012T000255Z - 5 min.)"
      // (hashicorp/terraform#9333); "Signature not yet current: … is still later than … (… + 5 min.)" (external-dns#1626) [obs].
      const message =
        signedAt < clock
          ? `Signature expired: ${stamp} is now earlier than ${amzDate(clock - 5 * 60_000)} (${amzDate(clock)} - 5 min.)`
          : `Signature not yet current: ${stamp} is still later than ${amzDate(clock + 5 * 60_000)} (${amzDate(clock)} + 5 min.)`;
      return { keyId, token, account, error: { status: 403, code: 'SignatureDoesNotMatch', message } };
    }
    const headers: Record<string, string> = {};
    for (const name of signedHeaders.split(';')) headers[name] = headerValue(req, name) ?? '';
    const bodyHash = createHash('sha256').update(body, 'utf8').digest('hex');
    if (headers['x-amz-content-sha256'] !== undefined && headers['x-amz-content-sha256'] !== bodyHash) {
      return { keyId, token, account, error: { status: 400, code: 'XAmzContentSHA256Mismatch', message: 'The provided x-amz-content-sha256 header does not match what was computed.' } }; // [infer]
    }
    // Re-sign the canonical request with the secret the account holds, through the SDK's own signer.
    const signer = new SignatureV4({
      service: 'route53',
      region: 'us-east-1',
      sha256: Hash.bind(null, 'sha256'),
      applyChecksum: false,
      credentials: { accessKeyId: keyId, secretAccessKey: account.secretAccessKey, ...(token ? { sessionToken: token } : {}) },
    });
    const host = (headers.host ?? '').split(':');
    const expected = await signer.sign(
      { method: req.method ?? 'GET', protocol: 'http:', hostname: host[0] ?? '', path, query, headers, ...(body ? { body } : {}) },
      { signingDate: new Date(signedAt) },
    );
    const expectedSignature = /Signature=([0-9a-f]{64})/.exec(String(expected.headers.authorization))?.[1];
    if (expectedSignature !== signature) return { keyId, token, account, error: { status: 403, code: 'SignatureDoesNotMatch', message: SIGNATURE_MISMATCH } };
    return { keyId, token, account };
  }

  type Outcome = { status: number; body: string } | ErrorReply;

  function route(account: Route53FakeAccount, action: Route53Action, path: string, query: Record<string, string>, body: string, call: Route53FakeCall): Outcome {
    const zoneId = /^\/2013-04-01\/hostedzone\/([^/]+)/.exec(path)?.[1];
    const zone = zoneId === undefined ? undefined : zones.get(zoneId);
    if (zoneId !== undefined && (!zone || !account.zones.includes(zoneId))) {
      // terraform-aws-modules/terraform-aws-acm#119 [obs]; the 404 status [infer].
      return { status: 404, code: 'NoSuchHostedZone', message: `No hosted zone found with ID: ${zoneId}` };
    }
    if (zone && (action === 'ListResourceRecordSets' || action === 'ChangeResourceRecordSets') && account.deniedZones?.includes(zone.id)) {
      // go-acme/lego#716, awslabs/route53-dynamic-dns-with-lambda#13 [obs].
      return {
        status: 403,
        code: 'AccessDenied',
        message: `User: ${account.arn} is not authorized to perform: route53:${action} on resource: arn:aws:route53:::hostedzone/${zone.id} because no identity-based policy allows the route53:${action} action`,
      };
    }
    switch (action) {
      case 'ListHostedZonesByName':
        return listZones(account, query);
      case 'ListResourceRecordSets':
        return listRrsets(zone!, query);
      case 'ChangeResourceRecordSets':
        return changeRrsets(zone!, body, call);
      case 'GetHostedZone':
        return { status: 200, body: xml('GetHostedZoneResponse', { HostedZone: hostedZoneXml(zone!) }) };
      case 'GetChange': {
        // Changes are INSYNC at once here; the real service takes seconds (§1 trap 6) [doc].
        const id = path.split('/').pop() ?? '';
        return { status: 200, body: xml('GetChangeResponse', { ChangeInfo: { Id: `/change/${id}`, Status: 'INSYNC', SubmittedAt: new Date(now()).toISOString() } }) };
      }
      default:
        return { status: 404, code: 'UnknownOperationException', message: 'Unknown operation' }; // [infer]
    }
  }

  function hostedZoneXml(zone: Route53FakeZone): Record<string, unknown> {
    return {
      Id: `/hostedzone/${zone.id}`,
      Name: zone.name,
      CallerReference: `fake-${zone.id}`,
      Config: { Comment: '', PrivateZone: zone.private ? 'true' : 'false' },
      ResourceRecordSetCount: zone.rrsets.length,
    };
  }

  /**
   * "ListHostedZonesByName sorts hosted zones by name with the labels reversed" and lists FROM `dnsname`, then
   * `hostedzoneid` (lego fixture `listHostedZonesByNameResponse.xml`: IsTruncated, NextDNSName, NextHostedZoneId)
   * [doc/code]. At most 100 per page.
   */
  function listZones(account: Route53FakeAccount, query: Record<string, string>): Outcome {
    const max = Math.min(Number(query.maxitems ?? 100) || 100, 100, behaviour.zonePageLimit ?? 100);
    if (query.hostedzoneid && !query.dnsname) return { status: 400, code: 'InvalidInput', message: 'The input is not valid: hostedzoneid requires dnsname' }; // [doc]
    const own = [...zones.values()]
      .filter((z) => account.zones.includes(z.id))
      .sort((a, b) => (nameKey(a.name) === nameKey(b.name) ? (a.id < b.id ? -1 : a.id > b.id ? 1 : 0) : nameKey(a.name) < nameKey(b.name) ? -1 : 1));
    let start = 0;
    if (query.dnsname) {
      const from = nameKey(escapeName(query.dnsname));
      start = own.findIndex((z) => nameKey(z.name) > from || (nameKey(z.name) === from && (!query.hostedzoneid || z.id >= query.hostedzoneid)));
      if (start < 0) start = own.length;
    }
    const page = own.slice(start, start + max);
    const next = own[start + max];
    return {
      status: 200,
      body: xml('ListHostedZonesByNameResponse', {
        HostedZones: page.length > 0 ? { HostedZone: page.map(hostedZoneXml) } : '',
        ...(query.dnsname ? { DNSName: query.dnsname } : {}),
        ...(query.hostedzoneid ? { HostedZoneId: query.hostedzoneid } : {}),
        IsTruncated: next ? 'true' : 'false',
        ...(next ? { NextDNSName: next.name, NextHostedZoneId: next.id } : {}),
        MaxItems: max,
      }),
    };
  }

  /**
   * ListResourceRecordSets: "returns up to 300 resource record sets at a time in ASCII order, beginning at a position
   * specified by the name and type elements"; `type` without `name` is InvalidInput (API_ListResourceRecordSets) [doc].
   */
  function listRrsets(zone: Route53FakeZone, query: Record<string, string>): Outcome {
    if (query.type !== undefined && query.name === undefined) {
      return { status: 400, code: 'InvalidInput', message: 'The input is not valid: the type parameter requires the name parameter' };
    }
    const asked = query.maxitems === undefined ? 300 : Number(query.maxitems);
    if (!Number.isInteger(asked) || asked < 1) return { status: 400, code: 'InvalidInput', message: `Invalid maxitems: ${query.maxitems}` };
    const max = Math.min(asked, 300, behaviour.pageLimit ?? 300);
    zone.rrsets.sort(compareRrsets);
    let start = 0;
    if (query.name !== undefined) {
      const from: Route53RecordSet = { Name: escapeName(query.name), Type: query.type ?? '', ...(query.identifier ? { SetIdentifier: query.identifier } : {}) };
      start = zone.rrsets.findIndex((r) => compareRrsets(r, from) >= 0);
      if (start < 0) start = zone.rrsets.length;
    }
    const page = zone.rrsets.slice(start, start + max);
    const next = zone.rrsets[start + max];
    return {
      status: 200,
      body: xml('ListResourceRecordSetsResponse', {
        ResourceRecordSets: page.length > 0 ? { ResourceRecordSet: page.map(rrsetXml) } : '',
        IsTruncated: next ? 'true' : 'false',
        ...(next ? { NextRecordName: next.Name, NextRecordType: next.Type, ...(next.SetIdentifier ? { NextRecordIdentifier: next.SetIdentifier } : {}) } : {}),
        MaxItems: max,
      }),
    };
  }

  /**
   * ChangeResourceRecordSets: "Route 53 validates the changes in the request and then either makes all or none of the
   * changes" (API_ChangeResourceRecordSets) [doc]. Changes run in order on a copy of the zone; any refusal refuses the
   * whole batch with every message (rusoto `ChangeResourceRecordSetsError`: "a list of messages") [doc].
   */
  function changeRrsets(zone: Zone, body: string, call: Route53FakeCall): Outcome {
    if (XMLValidator.validate(body) !== true) return malformed();
    const doc = parser.parse(body) as unknown;
    const request = isObject(doc) ? doc.ChangeResourceRecordSetsRequest : undefined;
    const batch = isObject(request) ? request.ChangeBatch : undefined;
    if (!isObject(batch)) return malformed();
    const changes = list(batch.Changes, 'Change');
    if (changes.length === 0) return malformed();
    const apex = zone.name;
    const messages: string[] = [];
    const work = zone.rrsets.map((r) => structuredClone(r));
    const logged: { action: string; name: string; type: string; ttl?: number; values: string[] }[] = [];
    let records = 0;
    let chars = 0;
    for (const change of changes) {
      const action = text(change, 'Action') ?? '';
      const set = isObject(change) ? change.ResourceRecordSet : undefined;
      const rawName = text(set, 'Name');
      const type = text(set, 'Type')?.toUpperCase() ?? '';
      if (!['CREATE', 'DELETE', 'UPSERT'].includes(action) || !rawName || !RECORD_TYPES.has(type)) return malformed();
      const name = escapeName(rawName);
      const ttlText = text(set, 'TTL');
      const values = isObject(set) && set.ResourceRecords !== undefined ? list(set.ResourceRecords, 'ResourceRecord').map((r) => text(r, 'Value') ?? '') : undefined;
      const setIdentifier = text(set, 'SetIdentifier');
      const alias = isObject(set) && isObject(set.AliasTarget) ? set.AliasTarget : undefined;
      logged.push({ action, name, type, ...(ttlText === undefined ? {} : { ttl: Number(ttlText) }), values: values ?? [] });
      records += values?.length ?? 0;
      chars += (values ?? []).reduce((n, v) => n + v.length, 0);
      const described = `[Action=${action}, Name=${name}, Type=${type}, SetIdentifier=${setIdentifier ?? 'null'}]`;
      if (!alias && (ttlText === undefined || !values || values.length === 0)) {
        messages.push(`Invalid request: Expected exactly one of [AliasTarget, all of [TTL, and ResourceRecords], or TrafficPolicyInstanceId], but found none in Change with ${described}`); // [obs]
        continue;
      }
      const ttl = ttlText === undefined ? undefined : Number(ttlText);
      if (ttl !== undefined && (!Number.isInteger(ttl) || ttl < 0 || ttl > 2_147_483_647)) {
        return { status: 400, code: 'InvalidInput', message: `1 validation error detected: Value '${ttlText}' at 'changeBatch.changes.member.resourceRecordSet.tTL' failed to satisfy constraint: Member must have value less than or equal to 2147483647` }; // [infer]
      }
      const tooLong = (values ?? []).find((v) => v.length > 4000);
      if (tooLong !== undefined) {
        // "The current or new DNS record value, not to exceed 4,000 characters" (API_ResourceRecord) [doc]; wording [infer].
        return { status: 400, code: 'InvalidInput', message: `1 validation error detected: Value at 'changeBatch.changes.member.resourceRecordSet.resourceRecords.member.value' failed to satisfy constraint: Member must have length less than or equal to 4000` };
      }
      if (!name.endsWith(`.${apex}`) && name !== apex) {
        messages.push(`RRSet with DNS name ${name} is not permitted in zone ${apex}`); // [infer]
        continue;
      }
      const problem = values && action !== 'DELETE' ? valueProblem(type, values) : undefined;
      if (problem) {
        messages.push(problem);
        continue;
      }
      if (action !== 'DELETE' && type === 'CNAME' && name === apex) {
        messages.push(`RRSet of type CNAME with DNS name ${name} is not permitted at apex in zone ${apex}`); // [obs]
        continue;
      }
      const index = work.findIndex((r) => r.Name === name && r.Type === type && (r.SetIdentifier ?? undefined) === setIdentifier);
      const rrset: Route53RecordSet = {
        Name: name,
        Type: type,
        ...(setIdentifier === undefined ? {} : { SetIdentifier: setIdentifier }),
        ...(ttl === undefined ? {} : { TTL: ttl }),
        ...(values === undefined ? {} : { ResourceRecords: values }),
        ...(alias ? { AliasTarget: { HostedZoneId: text(alias, 'HostedZoneId') ?? '', DNSName: text(alias, 'DNSName') ?? '', EvaluateTargetHealth: text(alias, 'EvaluateTargetHealth') === 'true' } } : {}),
      };
      const quotedName = `[name='${name}', type='${type}'${setIdentifier === undefined ? '' : `, set-identifier='${setIdentifier}'`}]`;
      if (action === 'DELETE') {
        // boto/boto#2887 (not found), kubernetes-sigs/external-dns#732 (values do not match) [obs]. The DELETE must
        // carry the TTL and every value exactly as stored (§1 trap 3).
        if (index < 0) {
          messages.push(`Tried to delete resource record set ${quotedName} but it was not found`);
          continue;
        }
        if (!sameStored(work[index]!, rrset)) {
          messages.push(`Tried to delete resource record set ${quotedName} but the values provided do not match the current values`);
          continue;
        }
        if (name === apex && (type === 'SOA' || type === 'NS')) {
          messages.push(`A HostedZone must contain at least one ${type} record for the zone itself.`); // [infer]
          continue;
        }
        work.splice(index, 1);
        continue;
      }
      if (action === 'CREATE' && index >= 0) {
        // DefangLabs/docs-chatbot#22, hashicorp/terraform-provider-aws#40908 [obs].
        messages.push(`Tried to create resource record set ${quotedName} but it already exists`);
        continue;
      }
      // RFC 1034 §3.6.2: "RRSet of type TXT with DNS name www.usability.gov. is not permitted because a conflicting RRSet
      // of type CNAME with the same DNS name already exists in zone usability.gov." (GSA-TTS/dns#443) [obs].
      const clash = work.find((r, i) => i !== index && r.Name === name && (r.Type === 'CNAME') !== (type === 'CNAME') && (r.Type === 'CNAME' || type === 'CNAME'));
      if (clash) {
        messages.push(`RRSet of type ${type} with DNS name ${name} is not permitted because a conflicting RRSet of type ${clash.Type} with the same DNS name already exists in zone ${apex}`);
        continue;
      }
      // UPSERT: "If a resource record set does exist, Route 53 updates it with the values in the request" — every value
      // is replaced, whatever was there (§1 trap 1) [doc/obs].
      if (index >= 0) work[index] = rrset;
      else work.push(rrset);
    }
    call.changes = logged;
    if (records > 1000 || chars > 32_000) {
      // "at most 1,000 ResourceRecord elements and 32,000 characters of Value per request" (§1 batch limits) [doc].
      return { status: 400, code: 'InvalidChangeBatch', message: `[Number of records in the request exceeds the limit of 1000 or characters exceed 32000]` }; // wording [infer]
    }
    if (messages.length > 0) return invalidChangeBatch(messages);
    zone.rrsets = work.sort(compareRrsets);
    return {
      status: 200,
      body: xml('ChangeResourceRecordSetsResponse', {
        ChangeInfo: { Id: `/change/C${randomBytes(7).toString('hex').toUpperCase()}`, Status: 'PENDING', SubmittedAt: new Date(now()).toISOString() },
      }),
    };
  }

  function invalidChangeBatch(messages: readonly string[]): Outcome {
    if (behaviour.invalidChangeBatchForm === 'messages') {
      return { status: 400, body: xml('InvalidChangeBatch', { Messages: { Message: [...messages] }, RequestId: randomUUID() }) };
    }
    return { status: 400, code: 'InvalidChangeBatch', message: `[${messages.join(', ')}]` };
  }

  const fake: Route53Fake = {
    baseUrl: '',
    state: { zones, accounts },
    calls,
    snapshot: (zoneId = SEED_ZONE_ID) => structuredClone((zones.get(zoneId)?.rrsets ?? []).slice().sort(compareRrsets)),
    failNext: (fault) => {
      const times = 'times' in fault ? fault.times : undefined;
      faults.push({ fault, left: times === 'always' ? Infinity : (times ?? 1) });
    },
    beforeNextWrite: (action) => void writeHooks.push(action),
    clearFaults: () => {
      faults.splice(0);
      writeHooks.splice(0);
    },
    setBehaviour: (next) => void (behaviour = { ...behaviour, ...next }),
    resetZones: () => {
      zones.clear();
      for (const [id, zone] of defaultZones(apexSoaNs)) zones.set(id, zone);
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.address() as AddressInfo;
  return { ...fake, baseUrl: `http://127.0.0.1:${port}` };
}

type Zone = Route53FakeZone;

function malformed(): ErrorReply {
  // stalwartlabs/dns-update#44 [obs].
  return { status: 400, code: 'MalformedInput', message: 'ChangeBatch is not valid, expected ChangeResourceRecordSetsRequest' };
}

/** The same rrset: TTL, values (as a set, exact strings) and alias target (a DELETE must match exactly, §1 trap 3). */
function sameStored(stored: Route53RecordSet, sent: Route53RecordSet): boolean {
  const a = [...(stored.ResourceRecords ?? [])].sort();
  const b = [...(sent.ResourceRecords ?? [])].sort();
  return (
    stored.TTL === sent.TTL &&
    a.length === b.length &&
    a.every((v, i) => v === b[i]) &&
    JSON.stringify(stored.AliasTarget ?? null) === JSON.stringify(sent.AliasTarget ?? null)
  );
}

/** What Route 53 refuses in the values of an rrset it creates (§1 wire format and error table). */
function valueProblem(type: string, values: readonly string[]): string | undefined {
  const fatal = (problem: string, value: string) => `Invalid Resource Record: FATAL problem: ${problem} encountered with '${value}'`;
  if (new Set(values).size !== values.length) return `Duplicate Resource Record: '${values.find((v, i) => values.indexOf(v) !== i)}'`; // [infer]
  // "You can specify more than one value for all record types except CNAME and SOA" (API_ResourceRecord) [doc].
  if ((type === 'CNAME' || type === 'SOA') && values.length > 1) return `RRSet of type ${type} has more than one resource record`; // wording [infer]
  for (const value of values) {
    if (type === 'TXT' || type === 'SPF') {
      // rusoto#1046, binxio/cfn-ses-provider#23 (unquoted); boto/boto3#1462 (over 255); plesk/ext-route53#13 (leading blank) [obs].
      if (/^\s/.test(value)) return fatal('UnsupportedCharacter (Value contains unsupported characters)', value);
      if (!/^"(?:[^"\\]|\\.)*"(?:\s+"(?:[^"\\]|\\.)*")*$/s.test(value)) return fatal('InvalidCharacterString (Value should be enclosed in quotation marks)', value);
      for (const m of value.matchAll(/"((?:[^"\\]|\\.)*)"/gs)) {
        const length = (m[1] ?? '').replace(/\\[0-7]{3}/g, 'x').replace(/\\(.)/gs, '$1');
        if (Buffer.byteLength(length, 'utf8') > 255) return fatal('CharacterStringTooLong (Value is too long)', value);
      }
    }
    if (type === 'A' && !isIPv4(value)) return fatal('ARRDATAIllegalIPv4Address (Value is not a valid IPv4 address)', value); // [obs]
    if (type === 'AAAA' && !isIPv6(value)) return fatal('AAAARRDATAIllegalIPv6Address (Value is not a valid IPv6 address)', value); // [infer]
    if (type === 'MX' && !/^\d{1,5} \S+$/.test(value)) return fatal('MXRRDATANotTwoFields (Value does not contain two fields)', value); // [infer]
    if (type === 'SRV' && !/^\d+ \d+ \d+ \S+$/.test(value)) return fatal('SRVRRDATANotFourFields (Value does not contain four fields)', value); // [infer]
    if ((type === 'CNAME' || type === 'NS') && !/^[^\s"]+$/.test(value)) return fatal('DomainLabelEmpty (Domain label is empty)', value); // [infer]
  }
  return undefined;
}

function errorXml(error: ErrorReply): string {
  // rusoto/rusoto#1046: `<ErrorResponse xmlns=…><Error><Type>Sender</Type><Code/><Message/></Error><RequestId/>` [obs].
  return xml('ErrorResponse', { Error: { Type: error.type ?? 'Sender', Code: error.code, Message: error.message }, RequestId: randomUUID() });
}

function actionOf(method: string, path: string): Route53Action {
  if (method === 'GET' && path === '/2013-04-01/hostedzonesbyname') return 'ListHostedZonesByName';
  if (method === 'GET' && /^\/2013-04-01\/hostedzone\/[^/]+\/rrset\/?$/.test(path)) return 'ListResourceRecordSets';
  if (method === 'POST' && /^\/2013-04-01\/hostedzone\/[^/]+\/rrset\/?$/.test(path)) return 'ChangeResourceRecordSets';
  if (method === 'GET' && /^\/2013-04-01\/hostedzone\/[^/]+$/.test(path)) return 'GetHostedZone';
  if (method === 'GET' && /^\/2013-04-01\/change\/[^/]+$/.test(path)) return 'GetChange';
  return 'unknown';
}

function headerValue(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value.join(',') : value;
}

/** `20240101T000000Z` → epoch ms. */
function parseAmzDate(stamp: string): number | undefined {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(stamp);
  if (!m) return undefined;
  return Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6]));
}

function amzDate(ms: number): string {
  return new Date(ms).toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}
