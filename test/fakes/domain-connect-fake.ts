/**
 * A Domain Connect DNS provider on loopback HTTP, behaving as `Domain Connect Spec Draft.adoc` (Domain Connect 2.3,
 * repository Domain-Connect/spec) describes the DNS provider's side, so that the gateway is tested against the
 * protocol rather than against itself. Sections are cited by title (the document numbers none):
 *
 * - "DNS Provider Discovery": `GET /v2/{domain}/settings` answers the settings JSON for a zone it hosts, 404 for one
 *   it does not ("The DNS Provider must return a 404 if they do not contain the zone"). Test-only behaviours per zone:
 *   an HTML page, a 5 MB body, a 500, or no answer at all; or settings naming an urlAPI whose template queries
 *   answer 500.
 * - "Query Supported Template": `GET {urlAPI}/v2/domainTemplates/providers/{providerId}/services/{serviceId}` is 200
 *   with the template's version for an onboarded template, 404 otherwise.
 * - "Apply Template URL" and "Digitally Sign Requests": `GET {urlSyncUX}/v2/domainTemplates/providers/…/apply?…`
 *   verifies the signature (RSA-SHA256 over the query string without `sig` and `key`) with the public key it reads
 *   from DNS at `{key}.{syncPubKeyDomain}` (TXT `p=N,a=RS256,d=…`, sorted by `p`, through its own node:dns resolver,
 *   not the gateway's code), checks redirect_uri against `syncRedirectDomain`, substitutes the variables, takes the
 *   user's consent as given (the consent screen is not simulated), applies the template to the zone and redirects to
 *   redirect_uri with `state` ("Same Browser Window"). A bad signature is refused with 403 and nothing applied.
 * - "OAuth Flow: Getting an Authorization Code": `GET {urlAsyncUX}/v2/domainTemplates/providers/{providerId}` with
 *   client_id, redirect_uri, scope, domain, host, state: consent taken as given, redirect with `code` and `state`.
 * - "OAuth Flow: Requesting an Access Token": `POST {urlAPI}/v2/oauth/access_token`, JSON body (or query),
 *   grant_type authorization_code or refresh_token, client_secret checked; answers access_token, token_type
 *   "bearer", expires_in, refresh_token.
 * - "OAuth Flow: Apply Template to Domain": `POST {urlAPI}/v2/domainTemplates/providers/…/apply?domain&host&<vars>
 *   [&groupId][&force=1]` with the Bearer token: 204 when applied, 401 for an unknown or expired token, 409 with
 *   `{"code":"409","message":…,"records":[{type,host,data}]}` for conflicts unless force=1.
 * - "Record Types and Conflicts" and "SPF Record Merging" decide what applying replaces: CNAME conflicts with every
 *   other type on its host, A/AAAA with A/AAAA, MX with MX, TXT by txtConflictMatchingMode; SPFM merges its rules
 *   into the host's SPF record (before its `all`), or creates `v=spf1 <rules> ~all`.
 *
 * Zones are FakeRecord lists; after each apply the zone is pushed to the DNS servers given, so that the gateway's
 * dns.verify sees what the provider wrote.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Resolver as NodeResolver } from 'node:dns/promises';
import { createVerify, randomBytes } from 'node:crypto';
import type { FakeDnsServer, FakeRecord } from './dns-server.js';

export interface FakeTemplate {
  providerId: string;
  serviceId: string;
  version?: number;
  syncPubKeyDomain?: string;
  syncRedirectDomain?: string;
  records: FakeTemplateRecord[];
}

export interface FakeTemplateRecord {
  type: string;
  groupId?: string;
  host: string;
  pointsTo?: string;
  data?: string;
  spfRules?: string;
  ttl?: number;
  priority?: number;
  txtConflictMatchingMode?: 'None' | 'All' | 'Prefix';
  txtConflictMatchingPrefix?: string;
}

export type SettingsBehaviour = 'normal' | 'html' | 'huge' | 'hang' | 'error500';

export interface ZoneOptions {
  /** Offer the synchronous flow (urlSyncUX in the settings). @default true */
  sync?: boolean;
  /** Offer the asynchronous flow (urlAsyncUX). @default true */
  async?: boolean;
  settings?: SettingsBehaviour;
  /** `error500`: the settings name an urlAPI whose template queries all answer 500 (test-only). @default 'normal' */
  probes?: 'normal' | 'error500';
}

export interface OAuthClientRegistration {
  clientId: string;
  clientSecret: string;
  /** Where codes may be sent: the redirect_uri must start with this. */
  redirectPrefix: string;
}

export interface AppliedEvent {
  flow: 'sync' | 'async';
  domain: string;
  host: string;
  serviceId: string;
  groups: string[] | null;
  force: boolean;
}

export interface DomainConnectFake {
  /** `http://<hostName>:<port>`: the base of urlSyncUX/urlAsyncUX/urlAPI. */
  readonly url: string;
  readonly port: number;
  readonly providerId: string;
  /** Host zones: records by zone apex. */
  readonly zones: Map<string, FakeRecord[]>;
  readonly zoneOptions: Map<string, ZoneOptions>;
  /** Every request: method and path (never the query: it may hold a code). */
  readonly requests: { method: string; path: string }[];
  readonly applied: AppliedEvent[];
  /** Token endpoint calls by grant type. */
  readonly tokenGrants: string[];
  /** Signature checks and their outcome. */
  readonly signatureChecks: { ok: boolean; reason?: string }[];
  /** Every authorization code, access token and refresh token it issued (for secret scans). */
  readonly issued: string[];
  /** Seconds an access token lives. */
  accessTokenTtl: number;
  onboard(template: FakeTemplate): void;
  offboard(providerId: string, serviceId: string): void;
  registerClient(client: OAuthClientRegistration): void;
  hostZone(apex: string, records: FakeRecord[], options?: ZoneOptions): void;
  /** Marks every access token issued so far as expired. */
  expireAccessTokens(): void;
  close(): Promise<void>;
}

export interface DomainConnectFakeOptions {
  readonly providerId?: string;
  /** The host name the settings give for its URLs (must resolve to 127.0.0.1 in the test's DNS). */
  readonly hostName: string;
  /** The DNS server holding the service provider's public keys (the test's recursive server). */
  readonly keyResolver: string;
  /** DNS servers that serve the zones (the authoritative servers dns.verify asks); they get each zone after an apply. */
  readonly publishTo?: () => readonly FakeDnsServer[];
  /** Records every DNS server keeps besides the zones (delegations, keys). */
  readonly baseRecords?: () => readonly FakeRecord[];
}

const norm = (name: string) => name.toLowerCase().replace(/\.$/, '');

export async function startDomainConnectFake(options: DomainConnectFakeOptions): Promise<DomainConnectFake> {
  const providerId = options.providerId ?? 'fake-dc-provider.net';
  const templates = new Map<string, FakeTemplate>();
  const zones = new Map<string, FakeRecord[]>();
  const zoneOptions = new Map<string, ZoneOptions>();
  const clients = new Map<string, OAuthClientRegistration>();
  const codes = new Map<string, { clientId: string; domain: string; hosts: string[]; scope: string[]; redirectUri: string; expires: number }>();
  const tokens = new Map<string, { clientId: string; domain: string; hosts: string[]; scope: string[]; expires: number }>();
  const refreshTokens = new Map<string, { clientId: string; domain: string; hosts: string[]; scope: string[] }>();
  const requests: { method: string; path: string }[] = [];
  const applied: AppliedEvent[] = [];
  const tokenGrants: string[] = [];
  const signatureChecks: { ok: boolean; reason?: string }[] = [];
  const issued: string[] = [];
  const hanging = new Set<ServerResponse>();
  const keyResolver = new NodeResolver({ timeout: 1000, tries: 1 });
  keyResolver.setServers([options.keyResolver]);
  let port = 0;
  const base = () => `http://${options.hostName}:${port}`;

  const publish = () => {
    const servers = options.publishTo?.() ?? [];
    const all = [...(options.baseRecords?.() ?? []), ...[...zones.values()].flat()];
    for (const server of servers) server.set(all);
  };

  const send = (res: ServerResponse, status: number, body?: unknown, headers: Record<string, string> = {}) => {
    const text = body === undefined ? '' : typeof body === 'string' ? body : JSON.stringify(body);
    res.writeHead(status, { 'content-type': typeof body === 'string' ? 'text/plain' : 'application/json', 'content-length': Buffer.byteLength(text), ...headers });
    res.end(text);
  };

  /** "Digitally Sign Requests": verify `sig` over the query without sig and key, with the key from DNS. */
  async function verifySignature(rawQuery: string, template: FakeTemplate): Promise<string | null> {
    const parts = rawQuery.split('&');
    const sigPart = parts.find((p) => p.startsWith('sig='));
    const keyPart = parts.find((p) => p.startsWith('key='));
    if (!sigPart || !keyPart) return 'the template requires a signature (syncPubKeyDomain) and none was given';
    const signed = parts.filter((p) => !p.startsWith('sig=') && !p.startsWith('key=')).join('&');
    const key = decodeURIComponent(keyPart.slice(4));
    let txt: string[][];
    try {
      txt = await keyResolver.resolveTxt(`${key}.${template.syncPubKeyDomain}`);
    } catch (error) {
      return `no public key at ${key}.${template.syncPubKeyDomain} (${(error as Error).message})`;
    }
    const segments: [number, string][] = [];
    for (const record of txt) {
      // As Domain-Connect/exampleservice sigutil.py: the first character-string of each record, comma-separated p=, a=, d=.
      const fields = Object.fromEntries((record[0] ?? '').split(',').map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]));
      if (fields.a !== undefined && fields.a !== 'RS256') return `unsupported algorithm ${fields.a}`;
      if (fields.p !== undefined && fields.d !== undefined) segments.push([Number(fields.p), fields.d]);
    }
    if (segments.length === 0) return 'no key segments';
    const der = segments.sort((a, b) => a[0] - b[0]).map(([, d]) => d).join('');
    const pem = `-----BEGIN PUBLIC KEY-----\n${der.match(/.{1,64}/g)!.join('\n')}\n-----END PUBLIC KEY-----\n`;
    const sig = decodeURIComponent(sigPart.slice(4));
    try {
      return createVerify('RSA-SHA256').update(signed).verify(pem, sig, 'base64') ? null : 'the signature does not match the query string';
    } catch (error) {
      return `the signature could not be checked (${(error as Error).message})`;
    }
  }

  /** Applies a template. Returns the conflicts instead when `conflicts: 'report'` and there are some. */
  function apply(template: FakeTemplate, params: URLSearchParams, mode: 'replace' | 'report'): { error?: string; conflicts?: { type: string; host: string; data: string }[]; groups: string[] | null } {
    const domain = norm(params.get('domain') ?? '');
    const host = norm(params.get('host') ?? '');
    const zone = zones.get(domain);
    if (!zone) return { error: `zone ${domain} is not hosted here`, groups: null };
    const fqdn = host ? `${host}.${domain}` : domain;
    const groupParam = params.get('groupId');
    const groups = groupParam ? groupParam.split(',') : null;
    const selected = template.records.filter((r) => groups === null || (r.groupId !== undefined && groups.includes(r.groupId)));
    const substitute = (text: string): string | { missing: string } => {
      let missing: string | undefined;
      const out = text.replace(/%([^%]+)%/g, (_t, name: string) => {
        if (name === 'fqdn') return fqdn;
        if (name === 'domain') return domain;
        if (name === 'host') return host;
        const value = params.get(name); // variable names are case-sensitive ("Case Sensitivity")
        if (value === null) missing = name;
        return value ?? '';
      });
      return missing !== undefined ? { missing } : out;
    };
    const wanted: FakeRecord[] = [];
    const spf: { name: string; rules: string }[] = [];
    for (const r of selected) {
      const fields: Record<string, string> = {};
      for (const f of ['host', 'pointsTo', 'data', 'spfRules'] as const) {
        if (r[f] === undefined) continue;
        const value = substitute(r[f]!);
        if (typeof value !== 'string') return { error: `missing variable ${value.missing}`, groups };
        fields[f] = value;
      }
      const h = fields.host!.trim();
      const name = h === '' || h === '@' ? fqdn : h.endsWith('.') ? norm(h) : norm(`${h}.${fqdn}`);
      const ttl = r.ttl ?? 3600;
      if (r.type === 'CNAME') wanted.push({ name, type: 'CNAME', ttl, data: norm(fields.pointsTo!) });
      else if (r.type === 'TXT') wanted.push({ name, type: 'TXT', ttl, data: fields.data! });
      else if (r.type === 'A' || r.type === 'AAAA') wanted.push({ name, type: r.type, ttl, data: fields.pointsTo! });
      else if (r.type === 'MX') wanted.push({ name, type: 'MX', ttl, data: { preference: r.priority ?? 0, exchange: norm(fields.pointsTo!) } });
      else if (r.type === 'SPFM') spf.push({ name, rules: fields.spfRules! });
      else return { error: `unsupported record type ${r.type}`, groups };
    }
    // "Record Types and Conflicts".
    const same = (a: FakeRecord, b: FakeRecord) => a.type === b.type && norm(a.name) === norm(b.name) && JSON.stringify(a.data) === JSON.stringify(b.data);
    const conflicting = new Set<FakeRecord>();
    const sources = selected.filter((r) => r.type !== 'SPFM');
    for (const [i, want] of wanted.entries()) {
      const rec = sources[i]!;
      for (const existing of zone) {
        if (norm(existing.name) !== want.name || existing.type === 'SOA' || existing.type === 'NS' || same(existing, want)) continue;
        const t = existing.type;
        const conflict =
          want.type === 'CNAME' ? ['CNAME', 'TXT', 'MX', 'A', 'AAAA'].includes(t)
            : t === 'CNAME' ? true
              : want.type === 'A' || want.type === 'AAAA' ? t === 'A' || t === 'AAAA'
                : want.type === 'MX' ? t === 'MX'
                  : want.type === 'TXT' && t === 'TXT'
                    ? rec.txtConflictMatchingMode === 'All' || (rec.txtConflictMatchingMode === 'Prefix' && String((existing as { data: unknown }).data).toLowerCase().startsWith((rec.txtConflictMatchingPrefix ?? '').toLowerCase()))
                    : false;
        if (conflict) conflicting.add(existing);
      }
    }
    for (const s of spf) for (const existing of zone) if (norm(existing.name) === s.name && existing.type === 'CNAME') conflicting.add(existing);
    if (conflicting.size > 0 && mode === 'report') {
      return {
        groups,
        conflicts: [...conflicting].map((r) => ({
          type: r.type,
          host: norm(r.name) === domain ? '@' : norm(r.name).slice(0, -(domain.length + 1)),
          data: typeof r.data === 'string' ? r.data : Array.isArray(r.data) ? r.data.join('') : JSON.stringify(r.data),
        })),
      };
    }
    const next = zone.filter((r) => !conflicting.has(r));
    for (const want of wanted) if (!next.some((r) => same(r, want))) next.push(want);
    // "SPF Record Merging": rules go into the host's SPF record before its `all`; none → v=spf1 <rules> ~all.
    for (const s of spf) {
      const index = next.findIndex((r) => r.type === 'TXT' && norm(r.name) === s.name && /^v=spf1(\s|$)/i.test(String(r.data)));
      if (index < 0) {
        next.push({ name: s.name, type: 'TXT', ttl: 3600, data: `v=spf1 ${s.rules} ~all` });
        continue;
      }
      const record = next[index]! as Extract<FakeRecord, { type: 'TXT' }>;
      const terms = String(record.data).split(/\s+/);
      const missing = s.rules.split(/\s+/).filter((t) => !terms.some((x) => x.toLowerCase() === t.toLowerCase()));
      const allAt = terms.findIndex((t) => /^[+~?-]?all$/i.test(t) || /^redirect=/i.test(t));
      if (allAt < 0) terms.push(...missing);
      else terms.splice(allAt, 0, ...missing);
      next[index] = { ...record, data: terms.join(' ') };
    }
    zones.set(domain, next);
    publish();
    return { groups };
  }

  const settingsFor = (apex: string) => {
    const opts = zoneOptions.get(apex) ?? {};
    return {
      providerId,
      providerName: 'Fake DC Provider',
      providerDisplayName: 'Fake DC Provider (brand)',
      ...(opts.sync !== false ? { urlSyncUX: `${base()}/sync` } : {}),
      ...(opts.async !== false ? { urlAsyncUX: `${base()}/async` } : {}),
      urlAPI: opts.probes === 'error500' ? `${base()}/api-500` : `${base()}/api`,
      width: 640,
      height: 480,
      nameServers: ['ns1.fake-dc-provider.net'],
    };
  };

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://fake');
    const rawQuery = (req.url ?? '').includes('?') ? (req.url ?? '').slice((req.url ?? '').indexOf('?') + 1) : '';
    const path = url.pathname;
    requests.push({ method: req.method ?? '', path });
    let m: RegExpExecArray | null;

    // "DNS Provider Discovery".
    if (req.method === 'GET' && (m = /^\/v2\/([^/]+)\/settings$/.exec(path))) {
      const apex = norm(decodeURIComponent(m[1]!));
      if (!zones.has(apex)) return send(res, 404, { error: 'zone not found' });
      switch (zoneOptions.get(apex)?.settings ?? 'normal') {
        case 'html':
          return send(res, 200, '<html><body>Welcome to our control panel</body></html>', { 'content-type': 'text/html' });
        case 'huge': {
          res.writeHead(200, { 'content-type': 'application/json', 'content-length': 5 * 1024 * 1024 });
          const chunk = Buffer.alloc(64 * 1024, 0x20);
          for (let i = 0; i < 80 && !res.destroyed; i++) res.write(chunk);
          return void res.end();
        }
        case 'hang':
          hanging.add(res);
          res.on('close', () => hanging.delete(res));
          return;
        case 'error500':
          return send(res, 500, { error: 'internal' });
        default:
          return send(res, 200, settingsFor(apex));
      }
    }

    // "Query Supported Template".
    if (req.method === 'GET' && (m = /^\/api\/v2\/domainTemplates\/providers\/([^/]+)\/services\/([^/]+)$/.exec(path))) {
      const template = templates.get(`${decodeURIComponent(m[1]!)}/${decodeURIComponent(m[2]!)}`);
      return template ? send(res, 200, { version: template.version ?? 1 }) : send(res, 404, { error: 'template not supported' });
    }

    // Test-only: an API that fails every template query.
    if (req.method === 'GET' && path.startsWith('/api-500/')) return send(res, 500, { error: 'internal' });

    // "Apply Template URL" (synchronous flow).
    if (req.method === 'GET' && (m = /^\/sync\/v2\/domainTemplates\/providers\/([^/]+)\/services\/([^/]+)\/apply$/.exec(path))) {
      const template = templates.get(`${decodeURIComponent(m[1]!)}/${decodeURIComponent(m[2]!)}`);
      if (!template) return send(res, 404, 'template not supported');
      if (template.syncPubKeyDomain) {
        const problem = await verifySignature(rawQuery, template);
        signatureChecks.push(problem === null ? { ok: true } : { ok: false, reason: problem });
        if (problem !== null) return send(res, 403, `refused: ${problem}`);
      }
      const redirectUri = url.searchParams.get('redirect_uri');
      if (redirectUri !== null) {
        const allowed = (template.syncRedirectDomain ?? '').split(',').filter(Boolean);
        const redirectHost = new URL(redirectUri).hostname;
        if (!allowed.some((d) => redirectHost === d || redirectHost.endsWith(`.${d}`))) return send(res, 400, 'redirect_uri outside syncRedirectDomain');
      }
      // The consent screen: the user is taken to have confirmed, conflicts included (they are shown, then replaced).
      const outcome = apply(template, url.searchParams, 'replace');
      const state = url.searchParams.get('state');
      if (outcome.error) {
        if (redirectUri) return send(res, 302, undefined, { location: withParams(redirectUri, { error: 'invalid_request', error_description: outcome.error, ...(state ? { state } : {}) }) });
        return send(res, 400, outcome.error);
      }
      applied.push({ flow: 'sync', domain: norm(url.searchParams.get('domain')!), host: url.searchParams.get('host') ?? '', serviceId: template.serviceId, groups: outcome.groups, force: false });
      if (redirectUri) return send(res, 302, undefined, { location: withParams(redirectUri, state ? { state } : {}) });
      return send(res, 200, 'Applied. You can close this window.');
    }

    // "OAuth Flow: Getting an Authorization Code".
    if (req.method === 'GET' && (m = /^\/async\/v2\/domainTemplates\/providers\/([^/]+)$/.exec(path))) {
      const p = url.searchParams;
      const client = clients.get(p.get('client_id') ?? '');
      const redirectUri = p.get('redirect_uri') ?? '';
      if (!client || !redirectUri.startsWith(client.redirectPrefix)) return send(res, 400, 'unknown client or redirect_uri');
      const scope = (p.get('scope') ?? '').split(' ').filter(Boolean);
      const state = p.get('state');
      const pid = decodeURIComponent(m[1]!);
      if (scope.length === 0 || scope.some((s) => !templates.has(`${pid}/${s}`))) {
        return send(res, 302, undefined, { location: withParams(redirectUri, { error: 'invalid_scope', ...(state ? { state } : {}) }) });
      }
      const domain = norm(p.get('domain') ?? '');
      if (!zones.has(domain)) return send(res, 302, undefined, { location: withParams(redirectUri, { error: 'access_denied', ...(state ? { state } : {}) }) });
      const code = `code_${randomBytes(16).toString('hex')}`;
      issued.push(code);
      codes.set(code, { clientId: client.clientId, domain, hosts: (p.get('host') ?? '').split(','), scope: scope.map((s) => `${pid}/${s}`), redirectUri, expires: Date.now() + 600_000 });
      return send(res, 302, undefined, { location: withParams(redirectUri, { code, ...(state ? { state } : {}) }) });
    }

    // "OAuth Flow: Requesting an Access Token".
    if (req.method === 'POST' && path === '/api/v2/oauth/access_token') {
      const body = await readBody(req);
      let params: Record<string, string> = Object.fromEntries(url.searchParams);
      if (body.length > 0) {
        try {
          params = { ...params, ...(JSON.parse(body) as Record<string, string>) };
        } catch {
          return send(res, 400, { error: 'invalid_request' });
        }
      }
      tokenGrants.push(params.grant_type ?? '');
      const client = clients.get(params.client_id ?? '');
      if (!client || params.client_secret !== client.clientSecret) return send(res, 401, { error: 'invalid_client' });
      let grant: { clientId: string; domain: string; hosts: string[]; scope: string[] } | undefined;
      if (params.grant_type === 'authorization_code') {
        const code = codes.get(params.code ?? '');
        codes.delete(params.code ?? '');
        if (!code || code.expires < Date.now() || code.clientId !== client.clientId || code.redirectUri !== params.redirect_uri) return send(res, 400, { error: 'invalid_grant' });
        grant = code;
      } else if (params.grant_type === 'refresh_token') {
        grant = refreshTokens.get(params.refresh_token ?? '');
        if (!grant || grant.clientId !== client.clientId) return send(res, 400, { error: 'invalid_grant' });
      } else {
        return send(res, 400, { error: 'unsupported_grant_type' });
      }
      const accessToken = `at_${randomBytes(16).toString('hex')}`;
      const refreshToken = `rt_${randomBytes(16).toString('hex')}`;
      issued.push(accessToken, refreshToken);
      tokens.set(accessToken, { ...grant, expires: Date.now() + fake.accessTokenTtl * 1000 });
      refreshTokens.set(refreshToken, grant);
      return send(res, 200, { access_token: accessToken, token_type: 'bearer', expires_in: fake.accessTokenTtl, refresh_token: refreshToken });
    }

    // "OAuth Flow: Apply Template to Domain".
    if (req.method === 'POST' && (m = /^\/api\/v2\/domainTemplates\/providers\/([^/]+)\/services\/([^/]+)\/apply$/.exec(path))) {
      await readBody(req);
      const auth = /^Bearer (\S+)$/.exec(req.headers.authorization ?? '')?.[1];
      const token = auth ? tokens.get(auth) : undefined;
      if (!token || token.expires <= Date.now()) return send(res, 401, { error: 'invalid_token' });
      const key = `${decodeURIComponent(m[1]!)}/${decodeURIComponent(m[2]!)}`;
      const template = templates.get(key);
      const p = url.searchParams;
      if (!template || !token.scope.includes(key) || norm(p.get('domain') ?? '') !== token.domain || !token.hosts.includes(p.get('host') ?? '')) {
        return send(res, 403, { error: 'not authorized for this template, domain or host' });
      }
      const force = p.get('force') === '1';
      const outcome = apply(template, p, force ? 'replace' : 'report');
      if (outcome.error) return send(res, 400, { code: '400', message: outcome.error });
      if (outcome.conflicts) return send(res, 409, { code: '409', message: 'Conflicting records', records: outcome.conflicts });
      applied.push({ flow: 'async', domain: token.domain, host: p.get('host') ?? '', serviceId: template.serviceId, groups: outcome.groups, force });
      res.writeHead(204);
      return void res.end();
    }

    send(res, 404, 'not found');
  }

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => send(res, 500, String(error)));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;

  const fake: DomainConnectFake = {
    get url() {
      return base();
    },
    port,
    providerId,
    zones,
    zoneOptions,
    requests,
    applied,
    tokenGrants,
    signatureChecks,
    issued,
    accessTokenTtl: 3600,
    onboard(template) {
      templates.set(`${template.providerId}/${template.serviceId}`, template);
    },
    offboard(pid, serviceId) {
      templates.delete(`${pid}/${serviceId}`);
    },
    registerClient(client) {
      clients.set(client.clientId, client);
    },
    hostZone(apex, records, opts = {}) {
      zones.set(norm(apex), records);
      zoneOptions.set(norm(apex), opts);
      publish();
    },
    expireAccessTokens() {
      for (const token of tokens.values()) token.expires = 0;
    },
    async close() {
      for (const res of hanging) res.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  return fake;
}

function withParams(uri: string, params: Record<string, string>): string {
  const url = new URL(uri);
  for (const [k, v] of Object.entries(params)) url.searchParams.set(k, v);
  return url.href;
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
