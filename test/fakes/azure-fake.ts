/**
 * A loopback Azure DNS (two node:http servers on 127.0.0.1, port 0: the Microsoft identity platform's token endpoint,
 * and Azure Resource Manager's `Microsoft.Network/dnsZones`, api-version 2018-05-01) that behaves as the REST spec
 * and the observed replies say. Facts and tags: ../shared/reference/providers-cloud.md §3, §9, §10, §11 ([doc] the
 * spec or Microsoft's documentation, [obs] a real reply quoted in an issue, [infer] not confirmed). "dns.json" is
 * `Azure/azure-rest-api-specs` `specification/dns/resource-manager/Microsoft.Network/stable/2018-05-01/dns.json`.
 *
 * Unforgiving where Azure is: the token endpoint checks tenant, client id and secret; every ARM call needs a live
 * Bearer token and a role on the subscription; a record set PUT replaces the whole set (metadata included) and changes
 * its etag; If-Match / If-None-Match are enforced with 412; a CNAME shares its name with nothing.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { isIPv4, isIPv6 } from 'node:net';
import type { AddressInfo } from 'node:net';
import type { AzureRecordSet } from '../../providers/azure.js';
import type { DesiredRecord } from '../../providers/types.js';
import { SEED_APEX, seedRecords } from './seed-zone.js';

export const AZURE_FAKE_API_VERSION = '2018-05-01';

export type AzureRole = 'Contributor' | 'Reader';

/** A service principal (an app registration with a client secret) and its role per subscription. */
export interface AzureFakeApp {
  readonly tenant: string;
  readonly tenantDomain: string;
  readonly clientId: string;
  readonly secret: string;
  readonly objectId: string;
  /** Role assignments at subscription scope. */
  readonly roles: Readonly<Record<string, AzureRole>>;
  /** AADSTS7000222: the secret's end date has passed. */
  readonly secretExpired?: boolean;
}

/** Test-only identities (random-looking GUIDs, not real Azure ones). */
export const AZURE_FAKE = {
  tenant: '4f1c9a2e-7b3d-4e58-9c61-2a8b5d7e0f13',
  tenantDomain: 'contoso-dns.onmicrosoft.com',
  subscription: 'c5d2e8f1-3a4b-4c6d-8e9f-0a1b2c3d4e5f',
  otherSubscription: 'd6e3f9a2-4b5c-4d7e-9f0a-1b2c3d4e5f60',
  resourceGroup: 'rg-dns-prod',
  contributor: { clientId: '8a7b6c5d-4e3f-4a1b-9c8d-7e6f5a4b3c2d', secret: 'Qx8Q~kZ3dJk9PpL2mN7vB4cR1tY6wE0sU5hG_iOa', objectId: '1e2d3c4b-5a69-4788-8796-a5b4c3d2e1f0' },
  reader: { clientId: '2b3c4d5e-6f7a-4b8c-9d0e-1f2a3b4c5d6e', secret: 'Rd7Q~readerOnlySecretValue0123456789ab', objectId: '3f4e5d6c-7b8a-4998-8a7b-6c5d4e3f2a1b' },
  noRole: { clientId: '5e6f7a8b-9c0d-4e1f-8a2b-3c4d5e6f7a8b', secret: 'Nr9Q~noRoleAssignmentSecretValue012345', objectId: '6a7b8c9d-0e1f-4a2b-9c3d-4e5f6a7b8c9d' },
  expired: { clientId: '7c8d9e0f-1a2b-4c3d-8e4f-5a6b7c8d9e0f', secret: 'Ex5Q~expiredSecretValue0123456789abcdef', objectId: '8d9e0f1a-2b3c-4d4e-9f5a-6b7c8d9e0f1a' },
} as const;

export function defaultApps(): AzureFakeApp[] {
  const app = (who: { clientId: string; secret: string; objectId: string }, roles: Record<string, AzureRole>, secretExpired = false): AzureFakeApp => ({
    tenant: AZURE_FAKE.tenant,
    tenantDomain: AZURE_FAKE.tenantDomain,
    ...who,
    roles,
    secretExpired,
  });
  return [
    app(AZURE_FAKE.contributor, { [AZURE_FAKE.subscription]: 'Contributor' }),
    app(AZURE_FAKE.reader, { [AZURE_FAKE.subscription]: 'Reader' }),
    app(AZURE_FAKE.noRole, {}),
    app(AZURE_FAKE.expired, { [AZURE_FAKE.subscription]: 'Contributor' }, true),
  ];
}

export interface AzureFakeZone {
  readonly subscription: string;
  readonly resourceGroup: string;
  readonly name: string;
  etag: string;
  zoneType?: 'Public' | 'Private';
  recordSets: AzureRecordSet[];
}

export interface AzureFakeCall {
  readonly method: string;
  /** Decoded path, without the query. */
  readonly path: string;
  readonly query: Readonly<Record<string, string>>;
  readonly body: unknown;
  /** A token grant at the authority (not an ARM call): the conformance driver leaves these out. */
  readonly token: boolean;
  readonly ifMatch: string | undefined;
  readonly ifNoneMatch: string | undefined;
  status: number;
}

/** Which calls a fault hits: the record-set list (`read`), a PUT/PATCH/DELETE of a set (`write`), … */
export type AzureFaultTarget = 'read' | 'write' | 'zones' | 'token' | 'get-set' | 'any';

/** The conformance faults (test/providers/driver.ts), aimed at any call kind, plus an edge's HTML 502. */
export type AzureFault =
  | { readonly kind: 'server-error' | 'hang' | 'html'; readonly on: AzureFaultTarget; readonly times?: number | 'always' }
  | { readonly kind: 'rate-limited'; readonly on: AzureFaultTarget; readonly retryAfterSeconds: number; readonly times?: number | 'always' }
  | { readonly kind: 'reset' | 'malformed' | 'lost-reply'; readonly on: AzureFaultTarget; readonly times?: number | 'always' }
  | { readonly kind: 'echo-credentials'; readonly on?: AzureFaultTarget; readonly times?: number | 'always' };

export interface AzureFakeBehaviour {
  /** Most record sets (or zones) one page returns, whatever `$top` asks. @default 100 (dns.json default) */
  pageSize?: number;
  /** `expires_in` of a granted token. @default 3599 (v2-oauth2-client-creds-grant-flow example) */
  tokenLifetimeSeconds?: number;
  /** The origin put in `nextLink` (a hostile reply). @default the ARM server's own */
  nextLinkOrigin?: string;
  /** Clock for token expiry. @default Date.now */
  now?: () => number;
}

export interface AzureFake {
  /** AZURE_API_URL */
  readonly baseUrl: string;
  /** AZURE_AUTHORITY_URL */
  readonly authorityUrl: string;
  readonly state: { zones: AzureFakeZone[]; apps: AzureFakeApp[]; subscriptions: string[] };
  readonly calls: AzureFakeCall[];
  /** The seed zone (or another), deep-copied. */
  zone(name?: string, resourceGroup?: string): AzureFakeZone;
  failNext(fault: AzureFault): void;
  clearFaults(): void;
  /** Runs `action` inside the fake just before it handles the next write (PUT, PATCH, DELETE of a record set). */
  beforeNextWrite(action: () => void | Promise<void>): void;
  clearHooks(): void;
  setBehaviour(behaviour: AzureFakeBehaviour): void;
  /** Every token issued so far is refused from now on as expired (ExpiredAuthenticationToken). */
  expireTokens(): void;
  /** The access tokens granted so far (a test checks none reaches an error). */
  issuedTokens(): string[];
  /** A fresh etag for a set edited in place by a test (as Azure gives on every write). */
  touch(set: AzureRecordSet): void;
  close(): Promise<void>;
}

/** dns.json `RecordType` and the `properties` field of each. */
export const RECORD_PROPS: Readonly<Record<string, { prop: string; single?: boolean }>> = {
  A: { prop: 'ARecords' },
  AAAA: { prop: 'AAAARecords' },
  CAA: { prop: 'caaRecords' },
  CNAME: { prop: 'CNAMERecord', single: true },
  MX: { prop: 'MXRecords' },
  NS: { prop: 'NSRecords' },
  PTR: { prop: 'PTRRecords' },
  SOA: { prop: 'SOARecord', single: true },
  SRV: { prop: 'SRVRecords' },
  TXT: { prop: 'TXTRecords' },
};

/** ListZonesBySubscription.json example [doc]. */
export const AZURE_NAME_SERVERS = ['ns1-01.azure-dns.com.', 'ns2-01.azure-dns.net.', 'ns3-01.azure-dns.org.', 'ns4-01.azure-dns.info.'];

// ------------------------------------------------------------------------------------------------ wire form

export const armZoneId = (subscription: string, resourceGroup: string, zone: string) =>
  `/subscriptions/${subscription}/resourceGroups/${resourceGroup}/providers/Microsoft.Network/dnszones/${zone}`;

/** One neutral record → the element of its set's records array (dns.json definitions). */
export function toAzureValue(record: Pick<DesiredRecord, 'type' | 'content' | 'priority'>): Record<string, unknown> {
  const content = record.content;
  switch (record.type.toUpperCase()) {
    case 'A':
      return { ipv4Address: content };
    case 'AAAA':
      return { ipv6Address: content };
    case 'CNAME':
      return { cname: content };
    case 'MX':
      return { preference: record.priority ?? 0, exchange: content };
    case 'NS':
      return { nsdname: content };
    case 'PTR':
      return { ptrdname: content };
    case 'SRV': {
      const [weight, port, target] = content.split(' ');
      return { priority: record.priority ?? 0, weight: Number(weight), port: Number(port), target };
    }
    case 'TXT': {
      // 255-character chunks (octodns-az `azure_chunked_value`, §3); the seed is ASCII.
      const value: string[] = [];
      for (let i = 0; i < content.length || i === 0; i += 255) value.push(content.slice(i, i + 255));
      return { value };
    }
    case 'CAA': {
      const match = /^(\d+)\s+(\S+)\s+"(.*)"$/.exec(content);
      return { flags: Number(match?.[1] ?? 0), tag: match?.[2] ?? '', value: match?.[3] ?? '' };
    }
    default:
      throw new Error(`no Azure form for ${record.type}`);
  }
}

/** A record set in the form ARM returns it (ListTXTRecordset.json [doc]). */
export function recordSet(zone: { subscription: string; resourceGroup: string; name: string }, type: string, name: string, ttl: number, values: unknown[], extra: Record<string, unknown> = {}): AzureRecordSet {
  const { prop, single } = RECORD_PROPS[type]!;
  return {
    id: `${armZoneId(zone.subscription, zone.resourceGroup, zone.name).replace('/dnszones/', '/dnsZones/')}/${type}/${name}`,
    name,
    type: `Microsoft.Network/dnszones/${type}`,
    etag: randomUUID(),
    properties: {
      TTL: ttl,
      fqdn: `${name === '@' ? zone.name : `${name}.${zone.name}`}.`,
      provisioningState: 'Succeeded',
      // Non-alias sets carry an empty targetResource in 2018-05-01 replies [obs: `az network dns record-set` output].
      targetResource: {},
      ...extra,
      ...(values.length === 0 ? {} : { [prop]: single ? values[0] : values }),
    },
  };
}

/**
 * Seed records (full names) → Azure record sets, one per (type, name) in the order each is first named. Azure keeps
 * one TTL per set: a set takes its first record's TTL (the seed's MX at the apex has 3600, 3600, 7200 → 3600).
 * `apex: true` adds the SOA and NS sets Azure creates with every zone [doc: "Azure DNS automatically creates" them].
 */
export function toAzureSets(zone: { subscription: string; resourceGroup: string; name: string }, records: readonly DesiredRecord[], options: { apex?: boolean } = {}): AzureRecordSet[] {
  const sets: AzureRecordSet[] = [];
  if (options.apex ?? true) {
    sets.push(recordSet(zone, 'NS', '@', 172_800, AZURE_NAME_SERVERS.map((nsdname) => ({ nsdname }))));
    sets.push(
      recordSet(zone, 'SOA', '@', 3600, [
        { host: 'ns1-01.azure-dns.com.', email: 'azuredns-hostmaster.microsoft.com', serialNumber: 1, refreshTime: 3600, retryTime: 300, expireTime: 2_419_200, minimumTTL: 300 },
      ]),
    );
  }
  const byKey = new Map<string, { type: string; name: string; ttl: number; values: unknown[] }>();
  for (const r of records) {
    const name = r.name === zone.name ? '@' : r.name.slice(0, -(zone.name.length + 1));
    const key = `${r.type} ${name}`;
    let group = byKey.get(key);
    if (!group) {
      group = { type: r.type, name, ttl: r.ttl, values: [] };
      byKey.set(key, group);
    }
    group.values.push(toAzureValue(r));
  }
  for (const g of byKey.values()) sets.push(recordSet(zone, g.type, g.name, g.ttl, g.values));
  return sets;
}

/** The seed as Azure holds it: each record takes its set's TTL (the first record's). */
export function seedAsHeld(records: readonly DesiredRecord[] = seedRecords()): DesiredRecord[] {
  const first = new Map<string, number>();
  for (const r of records) if (!first.has(`${r.type} ${r.name}`)) first.set(`${r.type} ${r.name}`, r.ttl);
  return records.map((r) => ({ ...r, ttl: first.get(`${r.type} ${r.name}`)! }));
}

// ------------------------------------------------------------------------------------------------ the fake

export async function startAzureFake(options: { apps?: AzureFakeApp[]; behaviour?: AzureFakeBehaviour; apexRecords?: boolean } = {}): Promise<AzureFake> {
  const seedZone = { subscription: AZURE_FAKE.subscription, resourceGroup: AZURE_FAKE.resourceGroup, name: SEED_APEX };
  const zones: AzureFakeZone[] = [
    { ...seedZone, etag: randomUUID(), recordSets: toAzureSets(seedZone, seedRecords(), { apex: options.apexRecords ?? true }) },
  ];
  const apps = options.apps ?? defaultApps();
  const subscriptions: string[] = [AZURE_FAKE.subscription, AZURE_FAKE.otherSubscription];
  const calls: AzureFakeCall[] = [];
  const faults: { fault: AzureFault; left: number }[] = [];
  const hooks: (() => void | Promise<void>)[] = [];
  let behaviour: AzureFakeBehaviour = { ...options.behaviour };
  const now = () => (behaviour.now ?? Date.now)();
  /** Issued tokens: whose, and until when. */
  const tokens = new Map<string, { app: AzureFakeApp; expiresAt: number }>();
  let armOrigin = '';

  const handler = (authority: boolean) => (req: IncomingMessage, res: ServerResponse) => {
    void readBody(req)
      .then((text) => (authority ? handleToken(req, res, text) : handleArm(req, res, text)))
      .catch(() => res.destroy());
  };
  const arm = createServer(handler(false));
  const login = createServer(handler(true));

  type Reply = (status: number, payload?: unknown, headers?: Record<string, string>) => void;

  function record(req: IncomingMessage, text: string, token: boolean): { call: AzureFakeCall; url: URL } {
    const url = new URL(req.url ?? '/', 'http://fake');
    let body: unknown = text;
    if (!token && text !== '') {
      try {
        body = JSON.parse(text);
      } catch {
        body = text;
      }
    }
    if (token) body = Object.fromEntries(new URLSearchParams(text));
    const header = (name: string) => (typeof req.headers[name] === 'string' ? (req.headers[name] as string) : undefined);
    const call: AzureFakeCall = {
      method: req.method ?? 'GET',
      path: safeDecode(url.pathname),
      query: Object.fromEntries(url.searchParams),
      body,
      token,
      ifMatch: header('if-match'),
      ifNoneMatch: header('if-none-match'),
      status: 0,
    };
    calls.push(call);
    return { call, url };
  }

  function replier(res: ServerResponse, call: AzureFakeCall): Reply {
    return (status, payload, headers = {}) => {
      call.status = status;
      if (payload === undefined) return void res.writeHead(status, headers).end();
      res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers }).end(JSON.stringify(payload));
    };
  }

  function targetOf(call: AzureFakeCall): AzureFaultTarget {
    if (call.token) return 'token';
    if (['PUT', 'PATCH', 'DELETE'].includes(call.method)) return 'write';
    const parts = call.path.split('/').filter(Boolean);
    if (parts.length === 5 && parts[4]!.toLowerCase() === 'dnszones') return 'zones';
    if (parts.length === 9 && ['recordsets', 'all'].includes(parts[8]!.toLowerCase())) return 'read';
    if (parts.length === 10) return 'get-set';
    return 'any';
  }

  function takeFault(call: AzureFakeCall): AzureFault | undefined {
    const target = targetOf(call);
    const found = faults.find(({ fault }) => fault.on === undefined || fault.on === 'any' || fault.on === target);
    if (!found) return undefined;
    if (found.left !== Infinity && --found.left <= 0) faults.splice(faults.indexOf(found), 1);
    return found.fault;
  }

  /** Serves a fault that comes before the call is handled; true when it did. Lost replies are handled by the caller. */
  function serveFault(fault: AzureFault, call: AzureFakeCall, res: ServerResponse, reply: Reply, carried: readonly string[]): boolean {
    switch (fault.kind) {
      case 'hang':
        return true; // left open until the client gives up; close() ends it
      case 'reset':
        call.status = 0;
        res.destroy();
        return true;
      case 'malformed':
        call.status = 200;
        res.writeHead(200, { 'content-type': 'application/json; charset=utf-8' }).end('{"value":[{"id":"/subscriptions/');
        return true;
      case 'html':
        call.status = 502;
        res.writeHead(502, { 'content-type': 'text/html' }).end('<html><body><h1>502 Bad Gateway</h1></body></html>');
        return true;
      case 'server-error':
        if (call.token) {
          // The identity platform's own 5xx body [infer].
          reply(503, { error: 'temporarily_unavailable', error_description: 'AADSTS90033: A transient error has occurred. Please try again.', error_codes: [90033] });
        } else {
          // ARM's 500 names the subscription in its diagnostic text [infer].
          reply(500, {
            error: {
              code: 'InternalServerError',
              message: `Encountered internal server error. Diagnostic information: timestamp '${new Date().toISOString()}', subscription id '${carried[0] ?? ''}', tracking id '${randomUUID()}'.`,
            },
          });
        }
        return true;
      case 'rate-limited': {
        // 429 + Retry-After (learn.microsoft.com troubleshooting-throttling-errors [doc]); body from velero#9171 [obs].
        const headers = { 'retry-after': String(fault.retryAfterSeconds), 'x-ms-ratelimit-remaining-subscription-reads': '0' };
        if (call.token) return reply(429, { error: 'temporarily_unavailable', error_description: 'AADSTS50196: The server terminated an operation because it encountered a client request loop.' }, headers), true;
        reply(
          429,
          {
            error: {
              code: 'SubscriptionRequestsThrottled',
              message: `Number of 'read' requests for subscription '${carried[0] ?? ''}' actor '${carried[1] ?? ''}' exceeded. Please try again after '${fault.retryAfterSeconds}' seconds after additional tokens are available. Refer to https://aka.ms/arm-throttling for additional information.`,
            },
          },
          headers,
        );
        return true;
      }
      case 'echo-credentials':
        if (call.token) {
          // AADSTS7000215's body (OfficeDev/microsoft-365-agents-toolkit#8621 [obs]), made to repeat all it was sent.
          reply(401, aadError('invalid_client', 7000215, `Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '${carried.join("', '")}'.`));
        } else {
          // AuthorizationFailed names the client, its object id and the scope (§3 [obs]); here every value carried.
          reply(403, {
            error: {
              code: 'AuthorizationFailed',
              message: `The client '${carried.join("' / '")}' does not have authorization to perform action 'Microsoft.Network/dnszones/read' over scope '/subscriptions/${carried[0] ?? ''}' or the scope is invalid. If access was recently granted, please refresh your credentials.`,
            },
          });
        }
        return true;
      case 'lost-reply':
        return false;
    }
  }

  // -------------------------------------------------------------------------------------------- token endpoint

  /** `POST /{tenant}/oauth2/v2.0/token` (v2-oauth2-client-creds-grant-flow [doc]; §3 "Auth"). */
  async function handleToken(req: IncomingMessage, res: ServerResponse, text: string): Promise<void> {
    const { call } = record(req, text, true);
    const reply = replier(res, call);
    const form = call.body as Record<string, string>;
    const fault = takeFault(call);
    if (fault && serveFault(fault, call, res, reply, [form.client_id ?? '', form.client_secret ?? '', call.path.split('/')[1] ?? ''])) return;
    const match = /^\/([^/]+)\/oauth2\/v2\.0\/token$/.exec(call.path);
    if (req.method !== 'POST' || !match) return reply(404, { error: 'invalid_request', error_description: 'AADSTS900561: The endpoint only accepts POST requests.' });
    const tenant = match[1]!.toLowerCase();
    const known = apps.filter((a) => a.tenant === tenant || a.tenantDomain === tenant);
    if (known.length === 0) {
      // Azure/azure-cli#22145, microsoftgraph/windowsupdates-webapplication-sample#6 [obs]
      return reply(400, aadError('invalid_tenant', 90002, `Tenant '${match[1]}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud. Check with your subscription administrator, this may happen if there are no active subscriptions for the tenant.`));
    }
    if (form.grant_type !== 'client_credentials') {
      return reply(400, aadError('unsupported_grant_type', 70003, 'The app requested an unsupported grant type.'));
    }
    // The v2.0 endpoint wants `{resource}/.default` for client credentials [doc]; ARM's resource (§3).
    if (form.scope !== 'https://management.azure.com/.default') {
      return reply(400, aadError('invalid_scope', 1002012, `The provided value for scope ${form.scope ?? ''} is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier.`));
    }
    const app = known.find((a) => a.clientId === form.client_id);
    if (!app) {
      // microsoft/AzureTRE#1475 [obs]
      return reply(400, aadError('unauthorized_client', 700016, `Application with identifier '${form.client_id ?? ''}' was not found in the directory '${match[1]}'. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You may have sent your authentication request to the wrong tenant.`));
    }
    if (form.client_secret !== app.secret) {
      // OfficeDev/microsoft-365-agents-toolkit#8621 [obs]
      return reply(401, aadError('invalid_client', 7000215, `Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '${app.clientId}'.`));
    }
    if (app.secretExpired) {
      // microsoft/o365-moodle#1752 [obs]
      return reply(401, aadError('invalid_client', 7000222, `The provided client secret keys for app '${app.clientId}' are expired. Visit the Azure portal to create new keys for your app.`));
    }
    const lifetime = behaviour.tokenLifetimeSeconds ?? 3599;
    const token = `eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.${randomBytes(24).toString('base64url')}.${randomBytes(32).toString('base64url')}`;
    tokens.set(token, { app, expiresAt: now() + lifetime * 1000 });
    // The documented success reply [doc].
    reply(200, { token_type: 'Bearer', expires_in: lifetime, ext_expires_in: lifetime, access_token: token });
  }

  // -------------------------------------------------------------------------------------------- ARM

  async function handleArm(req: IncomingMessage, res: ServerResponse, text: string): Promise<void> {
    const { call, url } = record(req, text, false);
    const reply = replier(res, call);
    const bearer = /^Bearer (\S+)$/.exec(req.headers.authorization ?? '')?.[1];
    const session = bearer === undefined ? undefined : tokens.get(bearer);
    const parts = call.path.split('/').filter(Boolean);
    const subscriptionInPath = parts[0]?.toLowerCase() === 'subscriptions' ? (parts[1] ?? '') : '';
    const fault = takeFault(call);
    const carried = [subscriptionInPath, session?.app.clientId ?? '', session?.app.tenant ?? '', bearer ?? ''];
    if (fault && serveFault(fault, call, res, reply, carried)) return;
    const lostReply = fault?.kind === 'lost-reply';

    // Authentication first (ARM's front door).
    if (bearer === undefined) {
      return reply(401, { error: { code: 'AuthenticationFailed', message: "Authentication failed. The 'Authorization' header is missing." } });
    }
    if (!session) return reply(401, { error: { code: 'InvalidAuthenticationToken', message: 'The access token is invalid.' } });
    if (now() >= session.expiresAt) {
      // hashicorp/terraform-provider-azurerm#20867 [obs]
      return reply(401, {
        error: { code: 'ExpiredAuthenticationToken', message: `The access token expiry UTC time '${new Date(session.expiresAt).toUTCString()}' is earlier than current UTC time '${new Date(now()).toUTCString()}'.` },
      });
    }
    const apiVersion = url.searchParams.get('api-version');
    if (apiVersion === null) {
      return reply(400, { error: { code: 'MissingApiVersionParameter', message: 'The api-version query parameter (?api-version=) is required for all requests.' } });
    }
    if (apiVersion !== AZURE_FAKE_API_VERSION) {
      // [infer] ARM's answer to an api-version the resource provider does not offer.
      return reply(400, { error: { code: 'NoRegisteredProviderFound', message: `No registered resource provider found for location 'global' and API version '${apiVersion}' for type 'dnszones'.` } });
    }
    if (parts[0]?.toLowerCase() !== 'subscriptions' || !parts[1]) return reply(404, { error: { code: 'NotFound', message: 'The requested resource does not exist.' } });
    const subscription = parts[1].toLowerCase();
    if (!subscriptions.includes(subscription)) {
      return reply(404, { error: { code: 'SubscriptionNotFound', message: `The subscription '${parts[1]}' could not be found.` } });
    }
    const app = session.app;
    const role = app.roles[subscription];
    const denied = (action: string, scope: string) =>
      // §3 [obs] (vancluever/terraform-provider-acme#303; cert-manager/cert-manager#7742)
      reply(403, {
        error: {
          code: 'AuthorizationFailed',
          message: `The client '${app.clientId}' with object id '${app.objectId}' does not have authorization to perform action '${action}' over scope '${scope}' or the scope is invalid. If access was recently granted, please refresh your credentials.`,
        },
      });
    const isWord = (i: number, word: string) => parts[i]?.toLowerCase() === word.toLowerCase();

    // GET /subscriptions/{sub}/providers/Microsoft.Network/dnszones (Zones_List, dns.json)
    if (parts.length === 5 && isWord(2, 'providers') && isWord(3, 'Microsoft.Network') && isWord(4, 'dnszones')) {
      if (call.method !== 'GET') return reply(405, { error: { code: 'MethodNotAllowed', message: 'The requested method is not allowed.' } });
      if (!role) return denied('Microsoft.Network/dnszones/read', `/subscriptions/${parts[1]}`);
      const list = zones.filter((z) => z.subscription === subscription).map(zoneJson);
      return reply(200, page(list, url, call.path));
    }
    if (parts.length < 8 || !isWord(2, 'resourceGroups') || !isWord(4, 'providers') || !isWord(5, 'Microsoft.Network') || !isWord(6, 'dnsZones')) {
      return reply(404, { error: { code: 'NotFound', message: 'The requested resource does not exist.' } });
    }
    const resourceGroup = parts[3]!;
    const zoneName = parts[7]!.toLowerCase();
    const zone = zones.find((z) => z.subscription === subscription && z.resourceGroup.toLowerCase() === resourceGroup.toLowerCase() && z.name === zoneName);
    const scope = `/subscriptions/${parts[1]}/resourceGroups/${resourceGroup}/providers/Microsoft.Network/dnsZones/${parts[7]}`;
    const rest = parts.slice(8);
    const type = rest[0]?.toUpperCase();
    const isList = rest.length === 1 && ['RECORDSETS', 'ALL'].includes(type ?? '');
    const action = rest.length === 0 ? 'Microsoft.Network/dnszones/read' : isList ? 'Microsoft.Network/dnszones/recordsets/read' : `Microsoft.Network/dnszones/${type}/${call.method === 'GET' ? 'read' : call.method === 'DELETE' ? 'delete' : 'write'}`;
    if (!role || (role === 'Reader' && !action.endsWith('/read'))) return denied(action, rest.length > 1 ? `${scope}/${rest[0]}/${rest[1]}` : scope);
    if (!zone) {
      if (!zones.some((z) => z.subscription === subscription && z.resourceGroup.toLowerCase() === resourceGroup.toLowerCase())) {
        return reply(404, { error: { code: 'ResourceGroupNotFound', message: `Resource group '${resourceGroup}' could not be found.` } });
      }
      // ARM's not-found bodies [obs: the messages behind aka.ms/ARMResourceNotFoundFix].
      if (rest.length === 0) {
        return reply(404, { error: { code: 'ResourceNotFound', message: `The Resource 'Microsoft.Network/dnszones/${parts[7]}' under resource group '${resourceGroup}' was not found. For more details please go to https://aka.ms/ARMResourceNotFoundFix` } });
      }
      return reply(404, { error: { code: 'ParentResourceNotFound', message: `Can not perform requested operation on nested resource. Parent resource '${parts[7]}' not found.` } });
    }
    if (rest.length === 0) return call.method === 'GET' ? reply(200, zoneJson(zone)) : reply(405, { error: { code: 'MethodNotAllowed', message: 'Not supported here.' } });
    if (isList) {
      if (call.method !== 'GET') return reply(405, { error: { code: 'MethodNotAllowed', message: 'Not supported here.' } });
      return reply(200, page(zone.recordSets, url, call.path));
    }
    if (!type || !RECORD_PROPS[type]) {
      return reply(400, { error: { code: 'InvalidResourceType', message: `The resource type '${rest[0]}' could not be found in the namespace 'Microsoft.Network' for api version '${AZURE_FAKE_API_VERSION}'.` } });
    }
    if (rest.length === 1) {
      if (call.method !== 'GET') return reply(405, { error: { code: 'MethodNotAllowed', message: 'Not supported here.' } });
      return reply(200, page(zone.recordSets.filter((s) => typeOf(s) === type), url, call.path));
    }
    if (rest.length !== 2) return reply(404, { error: { code: 'NotFound', message: 'The requested resource does not exist.' } });
    const name = rest[1]!.toLowerCase();
    const index = zone.recordSets.findIndex((s) => typeOf(s) === type && s.name.toLowerCase() === name);
    const existing = index < 0 ? undefined : zone.recordSets[index];

    if (call.method === 'GET') {
      // The DNS resource provider's own error body is flat, `{code, message}` (kubernetes-sigs/external-dns#4855 [obs]);
      // this message is [infer].
      if (!existing) return reply(404, { code: 'NotFound', message: `The resource record '${rest[1]}' does not exist in resource group '${resourceGroup}' of subscription '${parts[1]}'.` });
      return reply(200, existing);
    }
    if (!['PUT', 'PATCH', 'DELETE'].includes(call.method)) return reply(405, { error: { code: 'MethodNotAllowed', message: 'Not supported here.' } });

    // A second writer, if a test queued one, edits the zone now: between the gateway's read and this write.
    const hook = hooks.shift();
    if (hook) await hook();
    const current = zone.recordSets.find((s) => typeOf(s) === type && s.name.toLowerCase() === name);

    const precondition = checkPreconditions(call, current);
    if (precondition) return reply(412, precondition);

    const respond = (status: number, payload?: unknown) => {
      if (!lostReply) return reply(status, payload);
      // Applied in full, then the connection is cut before the reply: the reply is lost.
      call.status = status;
      res.destroy();
    };

    if (call.method === 'DELETE') {
      if (name === '@' && (type === 'SOA' || type === 'NS')) {
        // The apex SOA and NS sets go only with the zone (dns.json: SOA "cannot be deleted") [infer for NS].
        return reply(400, { code: 'BadRequest', message: `The record set @ of type ${type} cannot be deleted.` });
      }
      if (!current) return respond(204); // dns.json: 204 "The record set was not found."
      zone.recordSets = zone.recordSets.filter((s) => s !== current);
      zone.etag = randomUUID();
      return respond(200);
    }

    const body = call.body;
    if (!isObject(body) || !isObject(body.properties)) return reply(400, { code: 'BadRequest', message: 'The request body is not a valid record set.' });
    const merged: Record<string, unknown> =
      call.method === 'PATCH' && current
        ? { ...current.properties, ...body.properties }
        : // CreateOrUpdate replaces the whole record set: what the body leaves out is gone (§3 trap 1 [doc]).
          { ...body.properties };
    if (call.method === 'PATCH' && !current) return reply(404, { code: 'NotFound', message: `The resource record '${rest[1]}' does not exist.` });
    if (type === 'SOA' && !current) return reply(400, { code: 'BadRequest', message: 'Record sets of type SOA can be updated but not created.' });
    const invalid = validateSet(type, name, merged);
    if (invalid) return reply(400, { code: 'BadRequest', message: invalid });
    const clash = cnameClash(zone, type, name);
    if (clash) return reply(409, { code: 'Conflict', message: clash });
    const { fqdn: _f, provisioningState: _p, ...kept } = merged;
    const next: AzureRecordSet = {
      id: `${scope}/${type}/${name}`,
      name,
      type: `Microsoft.Network/dnszones/${type}`,
      // A new etag on every write (azure-docs dns-zones-records "Etags" [doc]).
      etag: randomUUID(),
      // A set written without a targetResource is served with an empty one, as every non-alias set is (see recordSet).
      properties: { targetResource: {}, ...kept, fqdn: `${name === '@' ? zone.name : `${name}.${zone.name}`}.`, provisioningState: 'Succeeded' },
    };
    if (current) zone.recordSets = zone.recordSets.map((s) => (s === current ? next : s));
    else zone.recordSets.push(next);
    zone.etag = randomUUID();
    // dns.json: 201 created, 200 updated, the record set in the body.
    respond(current ? 200 : 201, next);
  }

  function page(items: readonly unknown[], url: URL, path: string): { value: unknown[]; nextLink?: string } {
    // `$top` (default 100, dns.json) and an opaque `$skipToken` in `nextLink` (ListZonesBySubscription.json [doc]).
    const asked = Number(url.searchParams.get('$top') ?? 100);
    const top = Math.max(1, Math.min(Number.isInteger(asked) && asked > 0 ? asked : 100, behaviour.pageSize ?? 100));
    let offset = 0;
    const skip = url.searchParams.get('$skipToken');
    if (skip) {
      try {
        const parsed = JSON.parse(Buffer.from(skip, 'base64url').toString('utf8')) as { o?: unknown; t?: unknown };
        offset = Number(parsed.o) || 0;
      } catch {
        offset = 0;
      }
    }
    const value = items.slice(offset, offset + top);
    if (offset + top >= items.length) return { value };
    const token = Buffer.from(JSON.stringify({ o: offset + top, t: top })).toString('base64url');
    const origin = behaviour.nextLinkOrigin ?? armOrigin;
    return { value, nextLink: `${origin}${path}?api-version=${AZURE_FAKE_API_VERSION}&$top=${top}&$skipToken=${token}` };
  }

  await Promise.all([listen(arm), listen(login)]);
  armOrigin = `http://127.0.0.1:${(arm.address() as AddressInfo).port}`;
  return {
    baseUrl: armOrigin,
    authorityUrl: `http://127.0.0.1:${(login.address() as AddressInfo).port}`,
    state: { zones, apps, subscriptions },
    calls,
    zone: (name = SEED_APEX, resourceGroup?: string) => {
      const found = zones.find((z) => z.name === name && (resourceGroup === undefined || z.resourceGroup === resourceGroup));
      if (!found) throw new Error(`no zone ${name}`);
      return structuredClone(found);
    },
    failNext: (fault) => void faults.push({ fault, left: fault.times === 'always' ? Infinity : (fault.times ?? 1) }),
    clearFaults: () => void faults.splice(0),
    beforeNextWrite: (action) => void hooks.push(action),
    clearHooks: () => void hooks.splice(0),
    setBehaviour: (next) => void (behaviour = { ...behaviour, ...next }),
    expireTokens: () => {
      for (const entry of tokens.values()) entry.expiresAt = Math.min(entry.expiresAt, now());
    },
    issuedTokens: () => [...tokens.keys()],
    touch: (set) => void ((set as { etag?: string }).etag = randomUUID()),
    close: async () => {
      for (const server of [arm, login]) server.closeAllConnections();
      await Promise.all([arm, login].map((server) => new Promise<void>((resolve) => server.close(() => resolve()))));
    },
  };
}

// ------------------------------------------------------------------------------------------------ helpers

function zoneJson(zone: AzureFakeZone): unknown {
  // ListZonesBySubscription.json [doc]; 10,000 record sets per zone (win-acme#2346 [obs]).
  return {
    id: armZoneId(zone.subscription, zone.resourceGroup, zone.name),
    name: zone.name,
    type: 'Microsoft.Network/dnszones',
    etag: zone.etag,
    location: 'global',
    tags: {},
    properties: { maxNumberOfRecordSets: 10_000, numberOfRecordSets: zone.recordSets.length, nameServers: AZURE_NAME_SERVERS.map((n) => n.replace(/\.$/, '')), zoneType: zone.zoneType ?? 'Public' },
  };
}

function typeOf(set: AzureRecordSet): string {
  return (set.type.split('/').pop() ?? '').toUpperCase();
}

/**
 * If-None-Match: * on an existing set, If-Match with another etag (or on a set that does not exist): 412
 * PreconditionFailed (create-or-update [doc]). The If-None-Match message is the one azure-xplat-cli PR#170 quotes
 * [obs]; the If-Match one is [infer], as is the flat envelope (the DNS resource provider's own errors are flat).
 */
function checkPreconditions(call: AzureFakeCall, current: AzureRecordSet | undefined): unknown {
  if (call.ifNoneMatch === '*' && current && call.method === 'PUT') {
    return { code: 'PreconditionFailed', message: "The condition '*' in the If-None-Match header was satisfied." };
  }
  if (call.ifMatch !== undefined && call.ifMatch !== '*') {
    const sent = call.ifMatch.replace(/^W\//, '').replace(/^"(.*)"$/, '$1');
    if (!current || sent !== current.etag) {
      return { code: 'PreconditionFailed', message: `The condition '${call.ifMatch}' in the If-Match header was not satisfied. The current was '${current?.etag ?? 'none'}'.` };
    }
  }
  if (call.ifMatch === '*' && !current) return { code: 'PreconditionFailed', message: "The condition '*' in the If-Match header was not satisfied." };
  return undefined;
}

const HOST = /^(?=.{1,253}\.?$)(?:[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?\.)*[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?\.?$/;
const u16 = (n: unknown) => typeof n === 'number' && Number.isInteger(n) && n >= 0 && n <= 65_535;

/** What Azure refuses in a record set body, as its BadRequest message, or undefined. */
function validateSet(type: string, name: string, properties: Record<string, unknown>): string | undefined {
  const ttl = properties.TTL;
  // TTL is an int64 (dns.json); a negative or non-integer one is refused [infer].
  if (typeof ttl !== 'number' || !Number.isInteger(ttl) || ttl < 0 || ttl > 2_147_483_647) return 'The value for TTL is missing or invalid.';
  for (const [other, { prop }] of Object.entries(RECORD_PROPS)) {
    const value = properties[prop];
    const present = Array.isArray(value) ? value.length > 0 : value !== undefined && value !== null;
    if (other !== type && present) return `The record set of type '${type}' cannot contain records of type '${other}'.`;
  }
  const { prop, single } = RECORD_PROPS[type]!;
  const raw = properties[prop];
  if (raw !== undefined && raw !== null && (single ? !isObject(raw) : !Array.isArray(raw))) return `The value for ${prop} is invalid.`;
  const values: unknown[] = raw === undefined || raw === null ? [] : single ? [raw] : (raw as unknown[]);
  // An alias record set points at an Azure resource instead of holding records [infer from dns.json targetResource].
  const target = properties.targetResource;
  if (isObject(target) && typeof target.id === 'string' && target.id !== '' && values.length > 0) {
    return 'A record set that references an Azure resource (targetResource) cannot also hold records.';
  }
  // "The domain name '…' is invalid." (kubernetes-sigs/external-dns#4855 [obs]): a quoted CNAME target.
  const domain = (v: unknown) => (typeof v === 'string' && HOST.test(v) ? undefined : `The domain name '${String(v)}' is invalid.`);
  if (type === 'CNAME' && name === '@') return 'The CNAME record set cannot be created at the zone apex.'; // dns-zones-records [doc], wording [infer]
  for (const v of values) {
    if (!isObject(v)) return `The value for ${prop} is invalid.`;
    switch (type) {
      case 'A':
        if (typeof v.ipv4Address !== 'string' || !isIPv4(v.ipv4Address)) return `The IPv4 address '${String(v.ipv4Address)}' is invalid.`;
        break;
      case 'AAAA':
        if (typeof v.ipv6Address !== 'string' || !isIPv6(v.ipv6Address)) return `The IPv6 address '${String(v.ipv6Address)}' is invalid.`;
        break;
      case 'CNAME': {
        const bad = domain(v.cname);
        if (bad) return bad;
        break;
      }
      case 'MX': {
        if (!u16(v.preference)) return 'The MX preference must be between 0 and 65535.';
        const bad = domain(v.exchange);
        if (bad) return bad;
        break;
      }
      case 'NS':
      case 'PTR': {
        const bad = domain(type === 'NS' ? v.nsdname : v.ptrdname);
        if (bad) return bad;
        break;
      }
      case 'SRV': {
        if (!u16(v.priority) || !u16(v.weight) || !u16(v.port)) return 'The SRV priority, weight and port must be between 0 and 65535.';
        const bad = domain(v.target);
        if (bad) return bad;
        break;
      }
      case 'TXT': {
        // An array of strings; each one DNS character-string, ≤255 octets (RFC 1035 §3.3; the SDKs chunk at 255,
        // Azure/azure-sdk-for-java#1756 "let the server-side limits apply") [infer]; 4096 in all
        // (hashicorp/terraform-provider-azurerm#24152 [obs]).
        if (!Array.isArray(v.value) || v.value.length === 0 || !v.value.every((s) => typeof s === 'string')) return 'The TXT record value must be a non-empty array of strings.';
        const strings = v.value as string[];
        if (strings.some((s) => Buffer.byteLength(s, 'utf8') > 255)) return 'A TXT record string cannot be longer than 255 characters.';
        if (strings.reduce((n, s) => n + Buffer.byteLength(s, 'utf8'), 0) > 4096) return 'The TXT record value cannot be longer than 4096 characters.';
        break;
      }
      case 'CAA':
        if (typeof v.flags !== 'number' || v.flags < 0 || v.flags > 255 || typeof v.tag !== 'string' || typeof v.value !== 'string') return 'The CAA record is invalid.';
        break;
    }
  }
  return undefined;
}

/**
 * A CNAME shares its name with no other record set (RFC 1034 §3.6.2). Both 409 messages are Azure's own:
 * rcl-letsencrypt-auto-ssl/Lets-Encrypt-Auto#26 and MicrosoftDocs/azure-docs#85496 with external-dns#5358 [obs].
 */
function cnameClash(zone: AzureFakeZone, type: string, name: string): string | undefined {
  const others = zone.recordSets.filter((s) => s.name.toLowerCase() === name && typeOf(s) !== type);
  if (others.length === 0) return undefined;
  if (type === 'CNAME') return 'The CNAME record could not be created because another record with the same name already exists in this zone.';
  if (others.some((s) => typeOf(s) === 'CNAME')) return 'The record could not be created because a CNAME record with the same name already exists in this zone.';
  return undefined;
}

/** The identity platform's error body (AzureTRE#1475 shape [obs]): the description carries trace ids and a timestamp. */
function aadError(error: string, code: number, text: string): unknown {
  const stamp = new Date().toISOString().replace('T', ' ').slice(0, 19) + 'Z';
  const trace = randomUUID();
  const correlation = randomUUID();
  return {
    error,
    error_description: `AADSTS${code}: ${text}\r\nTrace ID: ${trace}\r\nCorrelation ID: ${correlation}\r\nTimestamp: ${stamp}`,
    error_codes: [code],
    timestamp: stamp,
    trace_id: trace,
    correlation_id: correlation,
    error_uri: `https://login.microsoftonline.com/error?code=${code}`,
  };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function safeDecode(path: string): string {
  try {
    return decodeURIComponent(path);
  } catch {
    return path;
  }
}

function listen(server: Server): Promise<void> {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}
