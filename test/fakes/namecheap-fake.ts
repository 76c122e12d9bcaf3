/**
 * A loopback Namecheap XML API (`/xml.response`) implementing getHosts and setHosts as Namecheap documents them,
 * including the traps a broken adapter falls into: setHosts replaces the whole host list, drops MX hosts unless
 * EmailType=MX is sent, errors come as HTTP 200 `Status="ERROR"`, and the rate limit is HTTP 405.
 * Every behaviour cites ../shared/reference/providers.md §3 (and the sources it names).
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { DesiredRecord } from '../../providers/types.js';
import { SEED_APEX, seedRecords } from './seed-zone.js';

/** A `<host>` as getHosts shows it: all ten attributes, all strings (lego/nc-sdk fixtures). */
export interface FakeHost {
  HostId: string;
  Name: string;
  Type: string;
  Address: string;
  MXPref: string;
  TTL: string;
  AssociatedAppTitle: string;
  FriendlyName: string;
  IsActive: string;
  IsDDNSEnabled: string;
}

export interface FakeZone {
  /** `EmailType` of the getHosts result (MX, MXE, FWD, OX, GMAIL, NONE). */
  emailType: string;
  /** False: commands fail with 2030288 (domain not on Namecheap DNS). @default true */
  isUsingOurDns?: boolean;
  /** False: the domain exists at Namecheap but in another account (2016166). @default true */
  associated?: boolean;
  hosts: FakeHost[];
}

export interface FakeCall {
  readonly method: string;
  readonly path: string;
  readonly contentType: string;
  /** Lower-case command, as Namecheap echoes it in `<RequestedCommand>`. */
  readonly command: string;
  /** Parameters with lower-case names (Namecheap reads them case-insensitively). */
  readonly params: Readonly<Record<string, string>>;
}

export type FakeFailure =
  | { readonly kind: 'rate_limit' }
  | { readonly kind: 'http'; readonly status: number; readonly body: string; readonly contentType?: string }
  | { readonly kind: 'error'; readonly number: string; readonly text: string }
  // An error whose text repeats the request's credentials, as `Invalid ApiUser acmeuser` does [infer: the number is
  // not one the adapter knows, so its text reaches the caller; the documented texts quote only the values' names].
  | { readonly kind: 'echo_credentials'; readonly number?: string }
  // Transport failures [infer: undocumented, any HTTP upstream can fail so]. `hang` (no headers ever), `reset` and
  // `malformed` (HTTP 200, not XML) happen before the command runs; `truncated` and `error_after_commit` after it:
  // a setHosts has replaced the list, and its reply is lost (cut short, or an IIS 500 page instead).
  | { readonly kind: 'hang' }
  | { readonly kind: 'reset' }
  | { readonly kind: 'malformed' }
  | { readonly kind: 'truncated' }
  | { readonly kind: 'error_after_commit' };

export interface NamecheapFakeOptions {
  /** @default 'acme-api' */
  apiUser?: string;
  /** @default 'nc-key-5f1e9a0b7c3d4e2f8a6b1c0d9e7f2a3b' */
  apiKey?: string;
  /** IPs whitelisted in the account; `ClientIp` must be one of them. @default ['198.51.100.1'] */
  whitelistedIps?: string[];
  /** Zones by domain. @default { 'example.com': seeded with seedRecords({ srv: false }) } */
  zones?: Record<string, FakeZone>;
  /** Tag name of host elements: real replies use `host`, the doc example `Host`. @default 'host' */
  hostTag?: 'host' | 'Host';
}

export interface NamecheapFake {
  readonly baseUrl: string;
  readonly state: { readonly zones: Map<string, FakeZone> };
  readonly calls: FakeCall[];
  /** The next `times` requests (of `options.command` only, when given: e.g. 'namecheap.domains.dns.sethosts') fail this way (after being logged). */
  failNext(failure: FakeFailure, times?: number, options?: { command?: string }): void;
  /** `rateLimited: true` answers every request with HTTP 405 until switched off. */
  setBehaviour(behaviour: { rateLimited?: boolean }): void;
  /** Runs `action` just before the next setHosts is handled: another writer between our read and our write. */
  beforeNextWrite(action: () => void | Promise<void>): void;
  /** Drops every queued failure. */
  clearFaults(): void;
  close(): Promise<void>;
}

/** Converts seed records (full names) to hosts with names relative to `apex`, as getHosts shows them. */
export function seedHosts(apex: string, records: readonly DesiredRecord[], firstId = 1): FakeHost[] {
  return records.map((record, i) => ({
    HostId: String(firstId + i),
    Name: record.name === apex ? '@' : record.name.slice(0, -apex.length - 1),
    Type: record.type,
    Address: record.content,
    // Real getHosts replies show MXPref="10" on every host, MX or not (lego getHosts fixtures).
    MXPref: String(record.priority ?? 10),
    TTL: String(namecheapTtl(record.ttl)),
    AssociatedAppTitle: '',
    FriendlyName: '',
    IsActive: 'true',
    IsDDNSEnabled: 'false',
  }));
}

/**
 * A TTL as a Namecheap zone can hold it: 60–60000 (setHosts doc), so the seed's 86400 s NS records become 60000, as
 * they would be on a zone that really lives at Namecheap.
 */
export function namecheapTtl(ttl: number): number {
  return Math.min(60_000, Math.max(60, ttl));
}

/** setHosts RecordType values (setHosts doc); SRV is not among them (dnscontrol: the API cannot read or set SRV). */
const SET_TYPES = new Set(['A', 'AAAA', 'ALIAS', 'CAA', 'CNAME', 'MX', 'MXE', 'NS', 'TXT', 'URL', 'URL301', 'FRAME']);

export async function startNamecheapFake(options: NamecheapFakeOptions = {}): Promise<NamecheapFake> {
  const apiUser = options.apiUser ?? 'acme-api';
  const apiKey = options.apiKey ?? 'nc-key-5f1e9a0b7c3d4e2f8a6b1c0d9e7f2a3b';
  const whitelist = new Set(options.whitelistedIps ?? ['198.51.100.1']);
  const hostTag = options.hostTag ?? 'host';
  // No SRV: the API cannot read or set them (dnscontrol features); CAA is fine.
  const zones = new Map(Object.entries(options.zones ?? { [SEED_APEX]: { emailType: 'MX', hosts: seedHosts(SEED_APEX, seedRecords({ srv: false })) } }));
  const calls: FakeCall[] = [];
  const failures: { failure: FakeFailure; command?: string | undefined }[] = [];
  let rateLimited = false;
  let nextHostId = 100_000;
  let beforeWrite: (() => void | Promise<void>) | undefined;

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://fake');
    const body = await readBody(req);
    const contentType = (req.headers['content-type'] ?? '').toLowerCase();
    const params: Record<string, string> = {};
    // GET params in the query, or POST form-encoded; a JSON body is not read (providers.md §3, nc-sdk, dnscontrol).
    const sources = [url.searchParams, contentType.startsWith('application/x-www-form-urlencoded') ? new URLSearchParams(body) : null];
    for (const source of sources) source?.forEach((value, key) => (params[key.toLowerCase()] = value));
    const command = (params['command'] ?? '').toLowerCase();
    calls.push({ method: req.method ?? '', path: url.pathname, contentType, command, params });

    if (url.pathname !== '/xml.response') return reply(res, 404, 'text/html', '<html><body>404 - File or directory not found.</body></html>');
    // Rate limit is HTTP 405, not 429 (dnscontrol namecheapProvider.go doWithRetry; nc-sdk DoXMLWithContext).
    if (rateLimited) return rateLimit(res);
    const queued = failures.findIndex((f) => f.command === undefined || f.command === command);
    const failure = queued < 0 ? undefined : failures.splice(queued, 1)[0]?.failure;
    if (failure?.kind === 'hang') return; // left open until the client gives up or close() ends it
    if (failure?.kind === 'reset') return void res.destroy();
    if (failure?.kind === 'malformed') return reply(res, 200, 'text/xml; charset=utf-8', '<?xml version="1.0" encoding="utf-8"?>\n<ApiResponse Status="OK" xmlns="http://api.namecheap.com/xml.response">\n  <Errors />\n  <Comm');
    if (failure?.kind === 'truncated' || failure?.kind === 'error_after_commit') {
      // Run the command for real against a response that goes nowhere, then lose the reply.
      handleCommand(params, command, discardedResponse());
      if (failure.kind === 'error_after_commit') return reply(res, 500, 'text/html', '<html><body>500 - Internal server error.</body></html>');
      res.writeHead(200, { 'content-type': 'text/xml; charset=utf-8', 'content-length': '512' });
      res.write('<?xml version="1.0" encoding="utf-8"?>\n<ApiResponse Status="OK"');
      setTimeout(() => res.destroy(), 20);
      return;
    }
    if (failure?.kind === 'rate_limit') return rateLimit(res);
    if (failure?.kind === 'http') return reply(res, failure.status, failure.contentType ?? 'text/html', failure.body);
    if (failure?.kind === 'error') return error(res, command, failure.number, failure.text);
    if (failure?.kind === 'echo_credentials') {
      const echoed = `Invalid ApiUser ${params['apiuser'] ?? ''} (UserName ${params['username'] ?? ''}, ApiKey ${params['apikey'] ?? ''})`;
      return error(res, command, failure.number ?? '2011170', echoed);
    }
    if (command === 'namecheap.domains.dns.sethosts' && beforeWrite) {
      const action = beforeWrite;
      beforeWrite = undefined;
      await action();
    }
    handleCommand(params, command, res);
  }

  function handleCommand(params: Record<string, string>, command: string, res: ServerResponse): void {
    // Global parameters and their error numbers (namecheap.com/support/api/global-parameters; lego fixture
    // getHosts_errorBadAPIKey1.xml for the 1011102 text; go-namecheap-sdk#4 for the 1011150 text).
    if (!params['apiuser']) return error(res, command, '1010101', 'Parameter APIUser is missing');
    if (!params['apikey']) return error(res, command, '1010102', 'Parameter APIKey is missing');
    if (!command) return error(res, command, '1010104', 'Parameter Command is missing');
    if (!params['clientip']) return error(res, command, '1010105', 'Parameter ClientIp is missing');
    if (params['apiuser'] !== apiUser || params['apikey'] !== apiKey) {
      return error(res, command, '1011102', 'API Key is invalid or API access has not been enabled');
    }
    if (params['username'] !== undefined && params['username'] !== apiUser) return error(res, command, '1016103', 'UserName is unauthorized');
    if (!whitelist.has(params['clientip'])) return error(res, command, '1011150', `Invalid request IP: ${params['clientip']}`);
    if (command !== 'namecheap.domains.dns.gethosts' && command !== 'namecheap.domains.dns.sethosts') {
      // [infer] the number for an unknown command is not in providers.md; any global-parameter error will do here.
      return error(res, command, '1010104', 'Parameter Command is invalid');
    }

    // Command errors (getHosts doc; nc-sdk docs/namecheap-api-v2.md): 2019166, 2016166, 2030288.
    const domain = `${params['sld'] ?? ''}.${params['tld'] ?? ''}`.toLowerCase();
    const zone = zones.get(domain);
    if (!zone) return error(res, command, '2019166', 'Domain not found');
    if (zone.associated === false) return error(res, command, '2016166', 'Domain is not associated with your account');
    if (zone.isUsingOurDns === false) {
      return error(res, command, '2030288', 'Cannot complete this command as this domain is not using proper DNS servers');
    }
    if (command === 'namecheap.domains.dns.gethosts') return getHosts(res, domain, zone);
    return setHosts(res, domain, zone, params);
  }

  function getHosts(res: ServerResponse, domain: string, zone: FakeZone): void {
    // Attributes and lower-case <host> as in real replies (lego/nc-sdk fixtures); self-closing when empty (dnscontrol#2277).
    const hosts = zone.hosts.map((h) => `      <${hostTag} ${attributes(h as unknown as Record<string, string>)} />`).join('\n');
    const head = `<DomainDNSGetHostsResult Domain="${esc(domain)}" EmailType="${esc(zone.emailType)}" IsUsingOurDNS="true"`;
    const result = zone.hosts.length === 0 ? `${head} />` : `${head}>\n${hosts}\n    </DomainDNSGetHostsResult>`;
    ok(res, 'namecheap.domains.dns.getHosts', result);
  }

  function setHosts(res: ServerResponse, domain: string, zone: FakeZone, params: Record<string, string>): void {
    const hosts: FakeHost[] = [];
    for (let n = 1; params[`hostname${n}`] !== undefined; n++) {
      const type = (params[`recordtype${n}`] ?? '').toUpperCase();
      // [infer] the exact numbers of these validation errors are not documented; 2xxxxxx are command input errors.
      if (!SET_TYPES.has(type)) return error(res, 'namecheap.domains.dns.sethosts', '2050900', `Invalid RecordType${n}`);
      // TTL 60–60000, default 1800 (setHosts doc).
      const ttl = params[`ttl${n}`] ?? '1800';
      if (!/^\d+$/.test(ttl) || Number(ttl) < 60 || Number(ttl) > 60000) {
        return error(res, 'namecheap.domains.dns.sethosts', '2050900', `TTL${n} must be between 60 and 60000`);
      }
      hosts.push({
        HostId: String(nextHostId++),
        Name: params[`hostname${n}`]!,
        Type: type,
        Address: params[`address${n}`] ?? '',
        // [infer] MXPref defaults to 10, the value real replies show on non-MX hosts.
        MXPref: params[`mxpref${n}`] ?? '10',
        TTL: ttl,
        AssociatedAppTitle: '',
        FriendlyName: '',
        IsActive: 'true',
        IsDDNSEnabled: 'false',
      });
    }
    const emailType = params['emailtype'];
    // "All host records that are not included into the API call will be deleted" (setHosts doc), and MX hosts are
    // not saved unless EmailType=MX is sent (billputer/go-namecheap PR #7): the data-loss trap.
    zone.hosts = emailType === 'MX' ? hosts : hosts.filter((h) => h.Type !== 'MX');
    if (emailType !== undefined) zone.emailType = emailType;
    ok(res, 'namecheap.domains.dns.setHosts', `<DomainDNSSetHostsResult Domain="${esc(domain)}" IsSuccess="true" />`);
  }

  const server = createServer((req, res) => {
    handle(req, res).catch(() => reply(res, 500, 'text/html', '<html><body>500 - Internal server error.</body></html>'));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    baseUrl: `http://127.0.0.1:${port}/xml.response`,
    state: { zones },
    calls,
    failNext(failure, times = 1, options = {}) {
      for (let i = 0; i < times; i++) failures.push({ failure, command: options.command?.toLowerCase() });
    },
    setBehaviour(behaviour) {
      if (behaviour.rateLimited !== undefined) rateLimited = behaviour.rateLimited;
    },
    beforeNextWrite: (action) => void (beforeWrite = action),
    clearFaults: () => {
      failures.splice(0);
      beforeWrite = undefined;
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((err) => (err ? reject(err) : resolve()));
      }),
  };
}

/** A response sink for a command whose real reply is lost: it accepts writes and sends nothing. */
function discardedResponse(): ServerResponse {
  const sink = { writeHead: () => sink, end: () => sink, write: () => true };
  return sink as unknown as ServerResponse;
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function reply(res: ServerResponse, status: number, contentType: string, body: string): void {
  res.writeHead(status, { 'content-type': contentType, 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

function rateLimit(res: ServerResponse): void {
  reply(res, 405, 'text/html', '<html><body>405 - HTTP verb used to access this page is not allowed.</body></html>');
}

/** The envelope of every reply, always HTTP 200 (lego fixtures; providers.md §3 "Responses"). */
function envelope(status: 'OK' | 'ERROR', command: string, errors: string, response: string): string {
  return [
    '<?xml version="1.0" encoding="utf-8"?>',
    `<ApiResponse Status="${status}" xmlns="http://api.namecheap.com/xml.response">`,
    errors === '' ? '  <Errors />' : `  <Errors>\n    ${errors}\n  </Errors>`,
    '  <Warnings />',
    `  <RequestedCommand>${esc(command.toLowerCase())}</RequestedCommand>`,
    response,
    '  <Server>PHX01APIEXT03</Server>',
    '  <GMTTimeDifference>--4:00</GMTTimeDifference>',
    '  <ExecutionTime>0.012</ExecutionTime>',
    '</ApiResponse>',
  ].join('\n');
}

function ok(res: ServerResponse, command: string, result: string): void {
  reply(res, 200, 'text/xml; charset=utf-8', envelope('OK', command, '', `  <CommandResponse Type="${command}">\n    ${result}\n  </CommandResponse>`));
}

function error(res: ServerResponse, command: string, number: string, text: string): void {
  reply(res, 200, 'text/xml; charset=utf-8', envelope('ERROR', command, `<Error Number="${number}">${esc(text)}</Error>`, '  <CommandResponse />'));
}

function attributes(values: Record<string, string>): string {
  return Object.entries(values)
    .map(([k, v]) => `${k}="${esc(v)}"`)
    .join(' ');
}

function esc(value: string): string {
  return value.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&apos;');
}
