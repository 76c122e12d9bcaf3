/**
 * A loopback Google Cloud DNS (dns/v1) plus its OAuth token endpoint: a real node:http server on 127.0.0.1, port 0.
 * Facts and tags: ../shared/reference/providers-cloud.md §2 ([doc] official docs, [code] a client library, [obs] a
 * real reply quoted in an issue, [infer] not confirmed). It is unforgiving where Google is:
 * - the token endpoint verifies the JWT's RS256 signature with the service account's public key, and its iss, aud,
 *   scope, iat and exp, and answers `invalid_grant` as Google does;
 * - every API call needs a Bearer token the endpoint issued (and not expired), and a project the account may use;
 * - changes.create is atomic; a deletion must match the rrset exactly (name, type, ttl, rrdatas in order) or the
 *   whole change gets 412 conditionNotMet; an addition of an existing rrset gets 409 alreadyExists;
 * - unquoted TXT rrdata is split at its spaces into one string per word, as Google does (terraform#13463), so a
 *   value sent unquoted comes back altered; a quoted string over 255 bytes is refused;
 * - CNAME/MX/NS/SRV targets must be FQDNs with the trailing dot [infer]; quoted non-TXT values are refused
 *   (libdns/googleclouddns#15).
 */
import { generateKeyPairSync, randomBytes, type KeyObject } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { isIPv4, isIPv6 } from 'node:net';
import { compactVerify, decodeJwt, decodeProtectedHeader } from 'jose';
import type { DesiredRecord } from '../../providers/types.js';
import { quoteTxt } from '../../src/records/txt.js';
import { SEED_APEX, seedRecords } from './seed-zone.js';

export const FAKE_PROJECT = 'example-project-417';
export const FAKE_SCOPE = 'https://www.googleapis.com/auth/ndev.clouddns.readwrite';

/** A stored rrset: dns/v1 ResourceRecordSet (kind, name, type, ttl, rrdatas). */
export interface FakeRrset {
  kind: 'dns#resourceRecordSet';
  name: string;
  type: string;
  ttl: number;
  rrdatas?: string[];
  routingPolicy?: unknown;
}

export interface FakeManagedZone {
  /** The zone's resource name (used in paths). */
  name: string;
  /** FQDN with the trailing dot. */
  dnsName: string;
  id: string;
  visibility: 'public' | 'private';
  rrsets: FakeRrset[];
}

export interface FakeProject {
  readonly zones: FakeManagedZone[];
  /** client_email of the service accounts allowed to use Cloud DNS in this project. */
  readonly members: string[];
}

export interface FakeServiceAccount {
  readonly email: string;
  /** Keys by private_key_id; a deleted/rotated key is simply absent. */
  readonly keys: Map<string, KeyObject>;
  disabled?: boolean;
}

export interface GoogleFakeCall {
  readonly method: string;
  /** Decoded path without the query, from the server root (`/dns/v1/projects/…` or `/token`). */
  readonly path: string;
  readonly query: Readonly<Record<string, string>>;
  readonly body: unknown;
  status: number;
  /** True for a call to the token endpoint (not counted as an API call). */
  readonly grant: boolean;
}

/**
 * A failure served instead of the real answer. `on`: `read` = rrsets.list, `write` = changes.create, `zones` =
 * managedZones.list, `token` = the token endpoint, `any` (default) = the next call of any kind.
 */
export interface GoogleFakeFault {
  readonly kind: 'server-error' | 'rate-limited' | 'hang' | 'reset' | 'malformed' | 'lost-reply' | 'echo-credentials' | 'html';
  readonly on?: 'read' | 'write' | 'zones' | 'token' | 'api' | 'any';
  /** @default 1 */
  readonly times?: number | 'always';
  /** rate-limited: the Retry-After header. @default 1 */
  readonly retryAfterSeconds?: number;
  /** server-error: the status. @default 500 */
  readonly status?: number;
}

export interface GoogleFakeOptions {
  /** rrsets and zones per page when `maxResults` is not given. @default 100 [infer: "the server decides", §2] */
  readonly pageSize?: number;
  /** `expires_in` of issued tokens. @default 3599 */
  readonly tokenLifetimeSeconds?: number;
  /** Adds the SOA and apex NS rrsets every real managed zone has. @default false (the shared seed has none) */
  readonly apexSoaNs?: boolean;
}

export interface GoogleFake {
  /** Root of the server. */
  readonly url: string;
  /** GOOGLE_DNS_API_URL for the adapter. */
  readonly apiUrl: string;
  /** GOOGLE_OAUTH_TOKEN_URL for the adapter (also the `aud` the token endpoint demands). */
  readonly tokenUrl: string;
  readonly state: { projects: Map<string, FakeProject>; accounts: FakeServiceAccount[] };
  readonly calls: GoogleFakeCall[];
  /** The seed zone (or another) by its dnsName, public one. */
  zone(dnsName?: string): FakeManagedZone;
  /** Restores the seed zones and accounts exactly as started. */
  reset(): void;
  /** Every token issued so far stops working (as if revoked or expired early). */
  revokeTokens(): void;
  /** Access tokens issued so far (for leak checks). */
  issuedTokens(): string[];
  failNext(fault: GoogleFakeFault): void;
  clearFaults(): void;
  /** Runs `action` just before the next changes.create is handled. */
  beforeNextWrite(action: () => void | Promise<void>): void;
  setOptions(options: GoogleFakeOptions): void;
  close(): Promise<void>;
}

// ------------------------------------------------------------------------------------------------ keys

interface KeyPair {
  readonly privatePem: string;
  readonly publicKey: KeyObject;
}

let cachedPairs: KeyPair[] | undefined;
/** Test key pairs, generated once per process (2048-bit RSA, as Google's console issues). */
export function fakeKeyPairs(): readonly KeyPair[] {
  cachedPairs ??= [0, 1, 2].map(() => {
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    return { privatePem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(), publicKey };
  });
  return cachedPairs;
}

export const FAKE_ACCOUNTS = {
  /** Member of FAKE_PROJECT, key `k-writer-1` registered. */
  writer: { email: 'dns-writer@example-project-417.iam.gserviceaccount.com', keyId: 'k-writer-1', pair: 0 },
  /** A key of the writer that was deleted (rotated away): its signature no longer verifies. */
  rotated: { email: 'dns-writer@example-project-417.iam.gserviceaccount.com', keyId: 'k-writer-0-deleted', pair: 2 },
  /** A service account of another project: valid token, no access to FAKE_PROJECT. */
  outsider: { email: 'ci-bot@other-project-902.iam.gserviceaccount.com', keyId: 'k-outsider-1', pair: 1 },
} as const;

/**
 * A service-account key file as Google's console downloads it (type, project_id, private_key_id, private_key PEM,
 * client_email, client_id, auth_uri, token_uri, …). `tokenUri` lets a test point it somewhere the gateway must ignore.
 */
export function fakeKeyFile(which: keyof typeof FAKE_ACCOUNTS = 'writer', overrides: Record<string, unknown> = {}): string {
  const account = FAKE_ACCOUNTS[which];
  const pair = fakeKeyPairs()[account.pair]!;
  return JSON.stringify(
    {
      type: 'service_account',
      project_id: FAKE_PROJECT,
      private_key_id: account.keyId,
      private_key: pair.privatePem,
      client_email: account.email,
      client_id: '104729381726354891023',
      auth_uri: 'https://accounts.google.com/o/oauth2/auth',
      token_uri: 'https://oauth2.googleapis.com/token',
      auth_provider_x509_cert_url: 'https://www.googleapis.com/oauth2/v1/certs',
      client_x509_cert_url: `https://www.googleapis.com/robot/v1/metadata/x509/${encodeURIComponent(account.email)}`,
      universe_domain: 'googleapis.com',
      ...overrides,
    },
    null,
    2,
  );
}

// ------------------------------------------------------------------------------------------------ wire form

const TARGET_TYPES = new Set(['CNAME', 'NS', 'PTR']);

/** Seed records (full names) → Google rrsets: FQDN names with a dot, one rrset per name and type, quoted TXT. */
export function toGoogleRrsets(records: readonly DesiredRecord[]): FakeRrset[] {
  const sets = new Map<string, FakeRrset>();
  for (const r of records) {
    const type = r.type.toUpperCase();
    const key = `${r.name}|${type}`;
    let rrset = sets.get(key);
    if (!rrset) {
      // One TTL per rrset: the first record's (the seed's backup MX 7200 joins the apex MX rrset at 3600).
      rrset = { kind: 'dns#resourceRecordSet', name: `${r.name}.`, type, ttl: r.ttl, rrdatas: [] };
      sets.set(key, rrset);
    }
    rrset.rrdatas!.push(seedRrdata(r));
  }
  return sortRrsets([...sets.values()]);
}

function seedRrdata(r: DesiredRecord): string {
  const type = r.type.toUpperCase();
  if (type === 'TXT') return quoteTxt(r.content);
  if (TARGET_TYPES.has(type)) return `${r.content}.`;
  if (type === 'MX') return `${r.priority ?? 0} ${r.content}.`;
  if (type === 'SRV') return `${r.priority ?? 0} ${r.content}.`;
  return r.content;
}

/** rrsets.list order: by name, then type [infer: stable, independent of write order]. */
function sortRrsets(rrsets: FakeRrset[]): FakeRrset[] {
  return rrsets.sort((a, b) => (a.name === b.name ? (a.type < b.type ? -1 : a.type > b.type ? 1 : 0) : a.name < b.name ? -1 : 1));
}

function seedProjects(options: GoogleFakeOptions): Map<string, FakeProject> {
  const rrsets = toGoogleRrsets(seedRecords());
  if (options.apexSoaNs) {
    rrsets.push(
      { kind: 'dns#resourceRecordSet', name: `${SEED_APEX}.`, type: 'NS', ttl: 21600, rrdatas: ['ns-cloud-a1.googledomains.com.', 'ns-cloud-a2.googledomains.com.', 'ns-cloud-a3.googledomains.com.', 'ns-cloud-a4.googledomains.com.'] },
      { kind: 'dns#resourceRecordSet', name: `${SEED_APEX}.`, type: 'SOA', ttl: 21600, rrdatas: ['ns-cloud-a1.googledomains.com. cloud-dns-hostmaster.google.com. 1 21600 3600 259200 300'] },
    );
    sortRrsets(rrsets);
  }
  return new Map([
    [
      FAKE_PROJECT,
      {
        members: [FAKE_ACCOUNTS.writer.email],
        zones: [
          { name: 'example-com', dnsName: `${SEED_APEX}.`, id: '5301992761832204117', visibility: 'public', rrsets },
          // A private zone of the same name (split horizon): never the one to write (§2 trap 5).
          {
            name: 'example-com-internal',
            dnsName: `${SEED_APEX}.`,
            id: '7710234551002938841',
            visibility: 'private',
            rrsets: [{ kind: 'dns#resourceRecordSet', name: `intranet.${SEED_APEX}.`, type: 'A', ttl: 300, rrdatas: ['10.0.0.5'] }],
          },
          { name: 'empty-zone', dnsName: 'empty-zone.com.', id: '1928374655647382910', visibility: 'public', rrsets: [] },
        ],
      },
    ],
    ['other-project-902', { members: [FAKE_ACCOUNTS.outsider.email], zones: [] }],
  ]);
}

function seedAccounts(): FakeServiceAccount[] {
  const pairs = fakeKeyPairs();
  return [
    { email: FAKE_ACCOUNTS.writer.email, keys: new Map([[FAKE_ACCOUNTS.writer.keyId, pairs[0]!.publicKey]]) },
    { email: FAKE_ACCOUNTS.outsider.email, keys: new Map([[FAKE_ACCOUNTS.outsider.keyId, pairs[1]!.publicKey]]) },
  ];
}

// ------------------------------------------------------------------------------------------------ the server

type Json = Record<string, unknown>;

/** Google's error envelope (§2 errors). */
function googleError(code: number, message: string, reason: string, status: string, extra: Json = {}): Json {
  return { error: { code, message, errors: [{ message, domain: 'global', reason, ...extra }], status } };
}

const INVALID_CREDENTIALS =
  'Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential. See https://developers.google.com/identity/sign-in/web/devconsole-project.';

export async function startGoogleCloudFake(initial: GoogleFakeOptions = {}): Promise<GoogleFake> {
  let options: GoogleFakeOptions = { ...initial };
  const state = { projects: seedProjects(options), accounts: seedAccounts() };
  const calls: GoogleFakeCall[] = [];
  const faults: { fault: GoogleFakeFault; left: number }[] = [];
  const hooks: (() => void | Promise<void>)[] = [];
  const tokens = new Map<string, { email: string; scopes: string[]; expiresAt: number }>();
  /** Tokens revoked so far (kept for issuedTokens). */
  const issued = new Set<string>();
  let changeSeq = 0;
  let url = '';

  const server = createServer((req, res) => {
    void readBody(req).then(async (text) => {
      const parsedUrl = new URL(req.url ?? '/', 'http://fake');
      const path = decodeURIComponent(parsedUrl.pathname);
      const grant = path === '/token';
      let body: unknown = text;
      if (!grant && text !== '') {
        try {
          body = JSON.parse(text);
        } catch {
          body = { unparsable: text };
        }
      }
      const call: GoogleFakeCall = { method: req.method ?? 'GET', path, query: Object.fromEntries(parsedUrl.searchParams), body, status: 0, grant };
      calls.push(call);
      const reply = (status: number, payload: unknown, headers: Record<string, string> = {}) => {
        call.status = status;
        res.writeHead(status, { 'content-type': 'application/json; charset=UTF-8', ...headers }).end(JSON.stringify(payload));
      };
      const target = grant ? 'token' : call.method === 'POST' && path.endsWith('/changes') ? 'write' : path.endsWith('/rrsets') ? 'read' : path.endsWith('/managedZones') ? 'zones' : 'other';
      const fault = takeFault(target);
      if (fault) {
        const handled = serveFault(fault, call, req, res, reply, text);
        if (handled === 'continue-then-cut') {
          // lost-reply: handled for real (a write commits), then the connection is cut before any byte of the reply.
          await route(call, req, (status) => {
            call.status = status;
            res.destroy();
          });
        }
        return;
      }
      if (grant) return tokenEndpoint(call, req, text, reply);
      await route(call, req, reply);
    });
  });

  function takeFault(target: string): GoogleFakeFault | undefined {
    const found = faults.find(({ fault }) => {
      const on = fault.on ?? 'any';
      return on === 'any' || on === target || (on === 'api' && target !== 'token');
    });
    if (!found) return undefined;
    if (found.fault.times !== 'always' && --found.left <= 0) faults.splice(faults.indexOf(found), 1);
    return found.fault;
  }

  type Reply = (status: number, payload: unknown, headers?: Record<string, string>) => void;

  function serveFault(fault: GoogleFakeFault, call: GoogleFakeCall, req: IncomingMessage, res: ServerResponse, reply: Reply, text: string): 'done' | 'continue-then-cut' {
    switch (fault.kind) {
      case 'hang':
        return 'done'; // held open until the client gives up or close() ends it
      case 'reset':
        res.destroy();
        return 'done';
      case 'malformed':
        call.status = 200;
        res.writeHead(200, { 'content-type': 'application/json; charset=UTF-8' }).end('{"kind":"dns#resourceRecordSetsListResponse","rrsets":[{"kind":"dns#resourceRecordSet","name":"exa');
        return 'done';
      case 'html':
        call.status = fault.status ?? 502;
        res.writeHead(call.status, { 'content-type': 'text/html' }).end(`<html><body><h1>${call.status}.</h1> That’s an error.</body></html>`);
        return 'done';
      case 'lost-reply':
        return 'continue-then-cut';
      case 'rate-limited':
        // 429 RESOURCE_EXHAUSTED, reason rateLimitExceeded (kubernetes-sigs/external-dns#1710); Retry-After [infer].
        reply(429, googleError(429, 'Resource has been exhausted (e.g. check quota).', 'rateLimitExceeded', 'RESOURCE_EXHAUSTED'), {
          'retry-after': String(fault.retryAfterSeconds ?? 1),
        });
        return 'done';
      case 'server-error': {
        const status = fault.status ?? 500;
        // Google's 5xx envelope: INTERNAL / backendError [infer]; Retry-After only when asked.
        reply(status, googleError(status, 'Internal error encountered.', 'backendError', status === 503 ? 'UNAVAILABLE' : 'INTERNAL'), fault.retryAfterSeconds === undefined ? {} : { 'retry-after': String(fault.retryAfterSeconds) });
        return 'done';
      }
      case 'echo-credentials': {
        // The provider repeats what it was sent: the token, the project, the assertion and its issuer.
        if (call.grant) {
          const form = new URLSearchParams(text);
          const assertion = form.get('assertion') ?? '';
          let iss = '';
          try {
            iss = String(decodeJwt(assertion).iss ?? '');
          } catch {
            /* not a JWT */
          }
          reply(400, { error: 'invalid_grant', error_description: `Invalid grant for ${iss}: assertion ${assertion} was not accepted` });
          return 'done';
        }
        const token = (req.headers.authorization ?? '').replace(/^Bearer\s+/i, '');
        const project = /\/projects\/([^/]+)/.exec(call.path)?.[1] ?? '';
        reply(401, googleError(401, `Request had invalid authentication credentials: token ${token} is not valid for project ${project}.`, 'authError', 'UNAUTHENTICATED', { location: 'Authorization', locationType: 'header' }));
        return 'done';
      }
    }
  }

  // -------------------------------------------------------------------------------------------- token endpoint

  /**
   * The JWT-bearer grant (RFC 7523) as Google's token endpoint answers it (§2 auth): the signature is checked with
   * the public key named by `kid`, then iss, aud, iat/exp and scope.
   */
  async function tokenEndpoint(call: GoogleFakeCall, req: IncomingMessage, text: string, reply: Reply): Promise<void> {
    if (call.method !== 'POST') return reply(405, { error: 'invalid_request', error_description: 'Only POST is supported' });
    if (!/^application\/x-www-form-urlencoded/.test(req.headers['content-type'] ?? '')) {
      return reply(400, { error: 'invalid_request', error_description: 'Bad Request' });
    }
    const form = new URLSearchParams(text);
    if (form.get('grant_type') !== 'urn:ietf:params:oauth:grant-type:jwt-bearer') {
      return reply(400, { error: 'unsupported_grant_type', error_description: `Invalid grant_type: ${form.get('grant_type') ?? ''}` });
    }
    const assertion = form.get('assertion') ?? '';
    const invalidGrant = (description: string) => reply(400, { error: 'invalid_grant', error_description: description });
    let header: ReturnType<typeof decodeProtectedHeader>;
    let claims: ReturnType<typeof decodeJwt>;
    try {
      header = decodeProtectedHeader(assertion);
      claims = decodeJwt(assertion);
    } catch {
      return invalidGrant('Invalid JWT format.'); // [infer]
    }
    const account = state.accounts.find((a) => a.email === claims.iss);
    // googleapis/google-cloud-php#3622, google/oculi#5 [obs]
    if (!account || account.disabled) return invalidGrant('Invalid grant: account not found');
    if (header.alg !== 'RS256') return invalidGrant('Invalid JWT Signature.');
    const keys = header.kid ? [account.keys.get(header.kid)].filter((k): k is KeyObject => k !== undefined) : [...account.keys.values()];
    let verified = false;
    for (const key of keys) {
      try {
        await compactVerify(assertion, key, { algorithms: ['RS256'] });
        verified = true;
        break;
      } catch {
        /* next key */
      }
    }
    // googleapis/google-cloud-python#10004, google-github-actions/setup-gcloud#76 [obs]
    if (!verified) return invalidGrant('Invalid JWT Signature.');
    // The audience must be the token endpoint itself [infer the message].
    if (claims.aud !== url + '/token') return invalidGrant(`Invalid JWT: Failed audience check. The expected value is '${url}/token'.`);
    const now = Math.floor(Date.now() / 1000);
    const { iat, exp } = claims;
    // googleapis/google-api-php-client#1429, a-marenkov/gsheets#96 [obs]
    if (typeof iat !== 'number' || typeof exp !== 'number' || exp - iat > 3600 || exp <= now || iat > now + 300 || exp < iat) {
      return invalidGrant('Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable timeframe. Check your iat and exp values in the JWT claim.');
    }
    const scope = typeof claims.scope === 'string' ? claims.scope.trim() : '';
    if (scope === '') return reply(400, { error: 'invalid_scope', error_description: 'Empty or missing scope not allowed.' }); // [infer]
    const accessToken = `ya29.c.fake-${randomBytes(24).toString('base64url')}`;
    const lifetime = options.tokenLifetimeSeconds ?? 3599;
    tokens.set(accessToken, { email: account.email, scopes: scope.split(/\s+/), expiresAt: Date.now() + lifetime * 1000 });
    // §2 auth; the usual Google token reply [obs: certbot#6877 flow]
    reply(200, { access_token: accessToken, expires_in: lifetime, token_type: 'Bearer' });
  }

  // -------------------------------------------------------------------------------------------- the API

  async function route(call: GoogleFakeCall, req: IncomingMessage, reply: Reply): Promise<void> {
    const match = /^\/dns\/v1\/projects\/([^/]+)\/managedZones(?:\/([^/]+)(?:\/(rrsets|changes)(?:\/([^/]+))?)?)?$/.exec(call.path);
    // Bearer token (§2 auth). Missing: reason "required"; unknown/expired: "authError" (dacastro4/laravel-gmail#273).
    const header = req.headers.authorization ?? '';
    const bearer = /^Bearer\s+(\S+)$/i.exec(header)?.[1];
    if (!bearer) {
      return reply(401, googleError(401, 'Request is missing required authentication credential. Expected OAuth 2 access token, login cookie or other valid authentication credential. See https://developers.google.com/identity/sign-in/web/devconsole-project.', 'required', 'UNAUTHENTICATED', { location: 'Authorization', locationType: 'header' }));
    }
    const session = tokens.get(bearer);
    if (!session || session.expiresAt <= Date.now()) {
      return reply(401, googleError(401, INVALID_CREDENTIALS, 'authError', 'UNAUTHENTICATED', { location: 'Authorization', locationType: 'header' }));
    }
    if (!match) return reply(404, googleError(404, 'Not Found', 'notFound', 'NOT_FOUND'));
    const [, projectId = '', zoneName, section, changeId] = match;
    const project = state.projects.get(projectId);
    // mantl/mantl#1920: "Failed to find project …, notFound" [obs]
    if (!project) return reply(404, googleError(404, `Failed to find project ${projectId}`, 'notFound', 'NOT_FOUND'));
    // terraform-provider-google#9468 [obs]
    if (!project.members.includes(session.email)) return reply(403, googleError(403, 'Forbidden', 'forbidden', 'PERMISSION_DENIED'));
    const writeScope = session.scopes.some((s) => s === FAKE_SCOPE || s === 'https://www.googleapis.com/auth/cloud-platform');
    const readScope = writeScope || session.scopes.some((s) => s.endsWith('/ndev.clouddns.readonly') || s.endsWith('/cloud-platform.read-only'));
    // Scopes accepted by rrsets.list (§2 auth) [doc]; the 403 body [infer].
    if (!(call.method === 'GET' ? readScope : writeScope)) {
      return reply(403, googleError(403, 'Request had insufficient authentication scopes.', 'insufficientPermissions', 'PERMISSION_DENIED'));
    }
    const query = call.query;
    if (zoneName === undefined) {
      if (call.method !== 'GET') return reply(405, googleError(405, 'Method not allowed', 'methodNotAllowed', 'INVALID_ARGUMENT'));
      // dnsName is an exact match of the FQDN with its trailing dot [infer: certbot#6877 sends `dnsName=jcrooke.net.`].
      const zones = project.zones.filter((z) => query.dnsName === undefined || z.dnsName.toLowerCase() === query.dnsName.toLowerCase());
      const page = paginate(zones, query, reply);
      if (!page) return;
      return reply(200, {
        kind: 'dns#managedZonesListResponse',
        managedZones: page.items.map((z) => ({
          kind: 'dns#managedZone',
          name: z.name,
          dnsName: z.dnsName,
          id: z.id,
          visibility: z.visibility,
          description: '',
          nameServers: ['ns-cloud-a1.googledomains.com.', 'ns-cloud-a2.googledomains.com.', 'ns-cloud-a3.googledomains.com.', 'ns-cloud-a4.googledomains.com.'],
          creationTime: '2021-03-04T10:11:12.131Z',
        })),
        ...(page.next ? { nextPageToken: page.next } : {}),
      });
    }
    const zone = project.zones.find((z) => z.name === zoneName || z.id === zoneName);
    // stacklok/sigstore-the-hard-way#10 [obs]
    if (!zone) return reply(404, googleError(404, `The 'parameters.managedZone' resource named '${zoneName}' does not exist.`, 'notFound', 'NOT_FOUND'));
    if (section === undefined) {
      if (call.method !== 'GET') return reply(405, googleError(405, 'Method not allowed', 'methodNotAllowed', 'INVALID_ARGUMENT'));
      return reply(200, { kind: 'dns#managedZone', name: zone.name, dnsName: zone.dnsName, id: zone.id, visibility: zone.visibility });
    }
    if (section === 'rrsets') {
      if (call.method !== 'GET' || changeId !== undefined) return reply(405, googleError(405, 'Method not allowed', 'methodNotAllowed', 'INVALID_ARGUMENT'));
      // `type` requires `name` (resourceRecordSets.list reference, §2) [doc].
      if (query.type !== undefined && query.name === undefined) return reply(400, googleError(400, "Invalid value for 'parameters.type': the 'name' parameter is required", 'invalid', 'INVALID_ARGUMENT'));
      const rrsets = zone.rrsets.filter(
        (r) => (query.name === undefined || r.name.toLowerCase() === query.name.toLowerCase()) && (query.type === undefined || r.type === query.type.toUpperCase()),
      );
      const page = paginate(rrsets, query, reply);
      if (!page) return;
      return reply(200, { kind: 'dns#resourceRecordSetsListResponse', rrsets: structuredClone(page.items), ...(page.next ? { nextPageToken: page.next } : {}) });
    }
    // changes
    if (call.method === 'GET' && changeId !== undefined) return reply(200, { kind: 'dns#change', id: changeId, status: 'done' });
    if (call.method !== 'POST' || changeId !== undefined) return reply(405, googleError(405, 'Method not allowed', 'methodNotAllowed', 'INVALID_ARGUMENT'));
    for (const hook of hooks.splice(0)) await hook();
    return createChange(zone, call.body, reply);
  }

  /** `maxResults` (or the default page) and an opaque `pageToken` (§2 endpoints). */
  function paginate<T>(items: readonly T[], query: Readonly<Record<string, string>>, reply: Reply): { items: T[]; next?: string } | undefined {
    const size = query.maxResults === undefined ? (options.pageSize ?? 100) : Number(query.maxResults);
    if (!Number.isInteger(size) || size < 1) {
      reply(400, googleError(400, `Invalid value for 'parameters.maxResults': '${query.maxResults}'`, 'invalid', 'INVALID_ARGUMENT'));
      return undefined;
    }
    let offset = 0;
    if (query.pageToken !== undefined) {
      const decoded = /^o(\d+)$/.exec(Buffer.from(query.pageToken, 'base64url').toString());
      if (!decoded) {
        reply(400, googleError(400, "Invalid value for 'parameters.pageToken'", 'invalid', 'INVALID_ARGUMENT'));
        return undefined;
      }
      offset = Number(decoded[1]);
    }
    const slice = items.slice(offset, offset + Math.min(size, options.pageSize ?? 100));
    const end = offset + slice.length;
    return end < items.length ? { items: slice, next: Buffer.from(`o${end}`).toString('base64url') } : { items: slice };
  }

  /**
   * changes.create (§2 endpoints, errors): validated whole, then applied atomically. Deletions must match exactly
   * (412 conditionNotMet), a missing one is 404, an addition of an existing rrset is 409 alreadyExists.
   */
  function createChange(zone: FakeManagedZone, body: unknown, reply: Reply): void {
    const invalid = (field: string, value: unknown) =>
      reply(400, googleError(400, `Invalid value for '${field}': '${typeof value === 'string' ? value : JSON.stringify(value)}'`, 'invalid', 'INVALID_ARGUMENT'));
    if (typeof body !== 'object' || body === null || Array.isArray(body) || 'unparsable' in body) {
      return reply(400, googleError(400, 'Invalid JSON payload received.', 'parseError', 'INVALID_ARGUMENT'));
    }
    const b = body as Json;
    const additions = b.additions ?? [];
    const deletions = b.deletions ?? [];
    if (!Array.isArray(additions) || !Array.isArray(deletions)) return invalid('entity.change', body);
    if (additions.length === 0 && deletions.length === 0) {
      return reply(400, googleError(400, "The 'entity.change' parameter is required but was missing.", 'required', 'INVALID_ARGUMENT')); // [infer]
    }
    // cloud.google.com/dns/quotas; the body: external-dns#1028 [obs]
    if (additions.length > 1000) return reply(403, googleError(403, 'The change would exceed quota for additions per change.', 'quotaExceeded', 'PERMISSION_DENIED'));
    if (deletions.length > 1000) return reply(403, googleError(403, 'The change would exceed quota for deletions per change.', 'quotaExceeded', 'PERMISSION_DENIED'));
    const parsedDeletions: FakeRrset[] = [];
    for (const [i, item] of deletions.entries()) {
      const checked = checkRrset(item, `entity.change.deletions[${i}]`, zone, false);
      if ('error' in checked) return invalid(checked.error.field, checked.error.value);
      parsedDeletions.push(checked.rrset);
    }
    const parsedAdditions: FakeRrset[] = [];
    for (const [i, item] of additions.entries()) {
      const checked = checkRrset(item, `entity.change.additions[${i}]`, zone, true);
      if ('error' in checked) return invalid(checked.error.field, checked.error.value);
      parsedAdditions.push(checked.rrset);
    }
    const next = zone.rrsets.map((r) => structuredClone(r));
    const at = (list: FakeRrset[], r: FakeRrset) => list.findIndex((x) => x.name.toLowerCase() === r.name.toLowerCase() && x.type === r.type);
    for (const [i, deletion] of parsedDeletions.entries()) {
      const index = at(next, deletion);
      const label = `${deletion.name} (${deletion.type})`;
      // certbot/certbot#6036 shape [obs]
      if (index < 0) return reply(404, googleError(404, `The 'entity.change.deletions[${i}]' resource named '${label}' does not exist.`, 'notFound', 'NOT_FOUND'));
      const current = next[index]!;
      const same = current.ttl === deletion.ttl && JSON.stringify(current.rrdatas ?? []) === JSON.stringify(deletion.rrdatas ?? []);
      // external-dns#467, #3311; certbot#8523 [obs]: TTL, values and their order must match.
      if (!same) return reply(412, googleError(412, `Precondition not met for 'entity.change.deletions[${i}]'`, 'conditionNotMet', 'FAILED_PRECONDITION'));
      next.splice(index, 1);
    }
    for (const [i, addition] of parsedAdditions.entries()) {
      // hashicorp/terraform#14796 [obs]
      if (at(next, addition) >= 0) {
        return reply(409, googleError(409, `The resource 'entity.change.additions[${i}]' named '${addition.name} (${addition.type})' already exists`, 'alreadyExists', 'ALREADY_EXISTS'));
      }
      const others = next.filter((x) => x.name.toLowerCase() === addition.name.toLowerCase());
      if ((addition.type === 'CNAME' && others.length > 0) || others.some((x) => x.type === 'CNAME')) {
        // RFC 1034 §3.6.2; Google's reason name [infer].
        return reply(400, googleError(400, `The resource record set 'entity.change.additions[${i}]' is invalid because the DNS name '${addition.name}' has a resource record set of the type 'CNAME'. DNS names with a resource record set of type CNAME cannot have any other resource record sets.`, 'cnameResourceRecordSetConflict', 'INVALID_ARGUMENT'));
      }
      next.push(addition);
    }
    zone.rrsets = sortRrsets(next);
    const id = String(++changeSeq);
    reply(200, { kind: 'dns#change', id, status: 'pending', startTime: new Date().toISOString(), additions: parsedAdditions, deletions: parsedDeletions });
  }

  const started = await new Promise<ReturnType<typeof createServer>>((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
  url = `http://127.0.0.1:${(started.address() as AddressInfo).port}`;
  return {
    url,
    apiUrl: `${url}/dns/v1`,
    tokenUrl: `${url}/token`,
    state,
    calls,
    zone(dnsName = `${SEED_APEX}.`) {
      const zone = state.projects.get(FAKE_PROJECT)?.zones.find((z) => z.dnsName === dnsName && z.visibility === 'public');
      if (!zone) throw new Error(`no public zone ${dnsName}`);
      return zone;
    },
    reset() {
      state.projects = seedProjects(options);
      state.accounts.splice(0, state.accounts.length, ...seedAccounts());
      faults.splice(0);
      hooks.splice(0);
    },
    revokeTokens: () => {
      for (const token of tokens.keys()) issued.add(token);
      tokens.clear();
    },
    issuedTokens: () => [...new Set([...issued, ...tokens.keys()])],
    failNext: (fault) => void faults.push({ fault, left: fault.times === 'always' ? Infinity : (fault.times ?? 1) }),
    clearFaults: () => void faults.splice(0),
    beforeNextWrite: (action) => void hooks.push(action),
    setOptions: (next) => void (options = { ...options, ...next }),
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}

// ------------------------------------------------------------------------------------------------ validation

const KNOWN_TYPES = new Set(['A', 'AAAA', 'CAA', 'CNAME', 'DNSKEY', 'DS', 'HTTPS', 'IPSECKEY', 'MX', 'NAPTR', 'NS', 'PTR', 'SOA', 'SPF', 'SRV', 'SSHFP', 'SVCB', 'TLSA', 'TXT']);

/**
 * One rrset of a change, checked as Google checks it (§2 "bad name or rdata": `400 Invalid value for
 * 'entity.change.additions[0].name'`, mantl/mantl#1082). Additions are stored in Google's form: unquoted TXT is split
 * at spaces into quoted words (terraform#13463, terraform-provider-google#232).
 */
function checkRrset(item: unknown, at: string, zone: FakeManagedZone, addition: boolean): { rrset: FakeRrset } | { error: { field: string; value: unknown } } {
  const fail = (field: string, value: unknown) => ({ error: { field: `${at}${field}`, value } });
  if (typeof item !== 'object' || item === null || Array.isArray(item)) return fail('', item);
  const o = item as Json;
  if (typeof o.name !== 'string' || !o.name.endsWith('.')) return fail('.name', o.name);
  const name = o.name.toLowerCase();
  if (name !== zone.dnsName.toLowerCase() && !name.endsWith(`.${zone.dnsName.toLowerCase()}`)) return fail('.name', o.name);
  if (typeof o.type !== 'string' || !KNOWN_TYPES.has(o.type)) return fail('.type', o.type);
  if (typeof o.ttl !== 'number' || !Number.isInteger(o.ttl) || o.ttl < 0 || o.ttl > 2_147_483_647) return fail('.ttl', o.ttl);
  if (!Array.isArray(o.rrdatas) || o.rrdatas.length === 0 || o.rrdatas.length > 100) return fail('.rrdata', o.rrdatas);
  const rrdatas: string[] = [];
  for (const [i, value] of o.rrdatas.entries()) {
    if (typeof value !== 'string') return fail(`.rrdata[${i}]`, value);
    if (!addition) {
      rrdatas.push(value);
      continue;
    }
    const stored = storedRrdata(o.type, value);
    if (stored === undefined) return fail(`.rrdata[${i}]`, value);
    if (rrdatas.includes(stored)) return fail(`.rrdata[${i}]`, value); // a duplicate value [infer]
    rrdatas.push(stored);
  }
  if (addition && o.type === 'CNAME' && rrdatas.length > 1) return fail('.rrdata', o.rrdatas);
  return { rrset: { kind: 'dns#resourceRecordSet', name: o.name, type: o.type, ttl: o.ttl, rrdatas } };
}

/** An rrdata as Google stores it, or undefined when Google refuses it. */
function storedRrdata(type: string, value: string): string | undefined {
  if (type === 'TXT' || type === 'SPF') {
    const strings = txtStrings(value);
    if (!strings || strings.some((s) => Buffer.byteLength(s.replace(/\\(.)/g, '$1'), 'utf8') > 255)) return undefined;
    return strings.map((s) => `"${s}"`).join(' ');
  }
  // A quoted non-TXT value is refused (libdns/googleclouddns#15) [obs].
  if (value.includes('"') && type !== 'CAA') return undefined;
  const target = (host: string | undefined) => host !== undefined && /^[a-z0-9_*-]+(\.[a-z0-9_-]+)*\.$/i.test(host);
  switch (type) {
    case 'A':
      return isIPv4(value) ? value : undefined;
    case 'AAAA':
      return isIPv6(value) ? value : undefined;
    case 'CNAME':
    case 'NS':
    case 'PTR':
      // FQDN with the trailing dot [infer].
      return target(value) ? value : undefined;
    case 'MX': {
      const [pref, host, extra] = value.split(/\s+/);
      return extra === undefined && /^\d+$/.test(pref ?? '') && Number(pref) <= 65535 && target(host) ? value : undefined;
    }
    case 'SRV': {
      const [p, w, port, host, extra] = value.split(/\s+/);
      return extra === undefined && [p, w, port].every((n) => /^\d+$/.test(n ?? '') && Number(n) <= 65535) && target(host) ? value : undefined;
    }
    case 'CAA':
      return /^\d+\s+[a-z0-9]+\s+"[^"]*"$/i.test(value) ? value : undefined;
    default:
      return value;
  }
}

/**
 * The character-strings of a TXT rrdata: quoted strings as they are (escapes kept), and every unquoted run split at
 * whitespace into one string per word, as Google does. Undefined for an unterminated quote.
 */
function txtStrings(value: string): string[] | undefined {
  const out: string[] = [];
  let i = 0;
  while (i < value.length) {
    const ch = value[i]!;
    if (/\s/.test(ch)) {
      i++;
      continue;
    }
    if (ch === '"') {
      let j = i + 1;
      let s = '';
      let closed = false;
      while (j < value.length) {
        const c = value[j]!;
        if (c === '\\' && j + 1 < value.length) {
          s += c + value[j + 1];
          j += 2;
          continue;
        }
        if (c === '"') {
          closed = true;
          j++;
          break;
        }
        s += c;
        j++;
      }
      if (!closed) return undefined;
      out.push(s);
      i = j;
      continue;
    }
    let j = i;
    while (j < value.length && !/\s/.test(value[j]!) && value[j] !== '"') j++;
    out.push(value.slice(i, j).replace(/\\/g, '\\\\'));
    i = j;
  }
  return out.length > 0 ? out : [''];
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}
