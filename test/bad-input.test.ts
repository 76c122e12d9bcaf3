/**
 * Bad input, end to end: every transport (REST v1 and /api.php with JSON, form, multipart and GET; GraphQL) and the
 * three DNS commands get malformed values. Each must be answered with a clear catalogue code (never a 5xx), and
 * nothing may be written: the sandbox zone, the journal and every provider fake's write calls stay as they were.
 * Also: the GraphQL limits (depth, aliases, tokens, cost, directives), batching, CSRF, body size, content types,
 * and error masking.
 */
import { Readable } from 'node:stream';
import { domainToASCII } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getIntrospectionQuery } from 'graphql';
import { bearer, getQuery, graphql, http, postForm, postJson, postMultipart, startGateway, type HttpResult } from './helpers/gateway.js';
import { SECRETS, startWorld, type World } from './helpers/world.js';
import type { DnsProvider } from '../providers/types.js';
import { SANDBOX_CAPABILITIES } from '../providers/sandbox.js';

const MAX_BODY_BYTES = 64 * 1024;
const SANDBOX_DOMAIN = 'sandbox-bad-input.com';

let world: World;
let gw: World['gateway'];
let key: string;

beforeAll(async () => {
  world = await startWorld({ RATE_LIMIT_MAX: '1000000', AUTH_FAILURE_LIMIT: '1000000', MAX_BODY_BYTES: String(MAX_BODY_BYTES) });
  gw = world.gateway;
  key = gw.adminKey;
});
afterAll(() => world.close());

/** Everything a request could have written: provider write calls, the sandbox zone, the journal. */
async function writes() {
  const store = gw.running.services.store;
  return {
    cloudflare: world.cloudflare.calls.filter((c) => c.method !== 'GET').length,
    godaddy: world.godaddy.calls.filter((c) => c.method !== 'GET').length,
    namecheap: world.namecheap.calls.filter((c) => c.command.endsWith('.sethosts')).length,
    sandbox: (await store.readSandboxZone(SANDBOX_DOMAIN)).length,
    // No catch: a store that cannot list must fail the check, not pass it as "nothing journaled".
    journal: (await store.listChanges()).length,
  };
}

type Transport = 'v1-json' | 'v1-form' | 'v1-multipart' | 'v1-get' | 'legacy-json' | 'legacy-form' | 'legacy-get';
const STRING_TRANSPORTS: Transport[] = ['v1-json', 'v1-form', 'v1-multipart', 'v1-get', 'legacy-json', 'legacy-form', 'legacy-get'];
const JSON_TRANSPORTS: Transport[] = ['v1-json', 'legacy-json'];

function send(transport: Transport, command: string, params: Record<string, unknown>): Promise<HttpResult> {
  const legacy = transport.startsWith('legacy');
  const path = legacy ? '/api.php' : `/api/v1/${command}`;
  const body = legacy ? { Command: command, ...params } : params;
  const strings = body as Record<string, string>;
  switch (transport) {
    case 'v1-json':
    case 'legacy-json':
      return postJson(gw, path, body, bearer(key));
    case 'v1-form':
    case 'legacy-form':
      return postForm(gw, path, strings, bearer(key));
    case 'v1-multipart':
      return postMultipart(gw, path, strings, bearer(key));
    case 'v1-get':
    case 'legacy-get':
      return getQuery(gw, path, { ...strings, APIKey: key });
  }
}

/** Valid requests the bad values are put into: each would write (or look up) if the bad value were accepted. */
const BASES: Record<string, { command: string; params: Record<string, unknown> }> = {
  provider: { command: 'dns.provider', params: { Domain: 'example.com' } },
  authorize: { command: 'dns.authorize', params: { Domain: 'example.com', Provider: 'cloudflare', ApiKey: SECRETS.cloudflareToken } },
  setCloudflare: { command: 'dns.set', params: { Domain: 'example.com', Provider: 'cloudflare', ApiKey: SECRETS.cloudflareToken, RecordType: 'campaign' } },
  setSandbox: { command: 'dns.set', params: { Domain: SANDBOX_DOMAIN, Provider: 'sandbox', ApiKey: 'anything', RecordType: 'campaign' } },
  godaddy: { command: 'dns.set', params: { Domain: 'godaddy-customer.com', Provider: 'godaddy', ApiKey: SECRETS.godaddyKey, ApiSecret: SECRETS.godaddySecret, RecordType: 'campaign' } },
  namecheap: { command: 'dns.set', params: { Domain: 'namecheap-customer.com', Provider: 'namecheap', ApiKey: SECRETS.namecheapKey, ApiUser: SECRETS.namecheapUser, Username: SECRETS.namecheapUser, RecordType: 'campaign' } },
};

const LONG = 'a'.repeat(5000);

/** Domain values no command may accept (code 1), as strings any transport can carry. */
const BAD_DOMAINS = [
  '',
  '   ',
  LONG,
  `${'a'.repeat(60)}.`.repeat(5) + 'com',
  'exa\u0000mple.com',
  'exa\u0007mple.com',
  'example.com\u007f',
  '192.0.2.1',
  '192.0.2.1.',
  '[2001:db8::1]',
  '2001:db8::1',
  '127.1',
  '0x7f.0.0.1',
  'localhost',
  'LOCALHOST.',
  'mail.localhost',
  'intranet',
  'co.uk',
  'example.test',
  'example..com',
  '-bad-.com',
  '.',
  'http://example.com/',
  'user@example.com',
  'example.com:443',
  'exa mple.com',
  '☃',
];
/** JSON-only shapes where a string belongs. */
const NON_STRINGS: unknown[] = [['example.com'], { name: 'example.com' }, 12345, true, [[]], { toString: 'example.com' }];

interface Case {
  readonly label: string;
  readonly base: keyof typeof BASES;
  readonly field: string;
  readonly value: unknown;
  readonly code: number;
  readonly transports: Transport[];
}

const cases: Case[] = [];
for (const base of ['provider', 'authorize', 'setCloudflare', 'setSandbox'] as const) {
  for (const value of BAD_DOMAINS) cases.push({ label: `${base} Domain=${JSON.stringify(value).slice(0, 40)}`, base, field: 'Domain', value, code: 1, transports: STRING_TRANSPORTS });
  for (const value of NON_STRINGS) cases.push({ label: `${base} Domain=${JSON.stringify(value)}`, base, field: 'Domain', value, code: 1, transports: JSON_TRANSPORTS });
}
for (const base of ['authorize', 'setSandbox'] as const) {
  for (const value of ['dnsmadeeasy', LONG, 'cloud\u0001flare']) cases.push({ label: `${base} Provider=${value.slice(0, 20)}`, base, field: 'Provider', value, code: 8, transports: STRING_TRANSPORTS });
  for (const value of [['cloudflare'], { id: 'sandbox' }, 1]) cases.push({ label: `${base} Provider=${JSON.stringify(value)}`, base, field: 'Provider', value, code: 8, transports: JSON_TRANSPORTS });
  for (const value of [LONG, 'tok\u0000en']) cases.push({ label: `${base} ApiKey=${value.slice(0, 20)}`, base, field: 'ApiKey', value, code: 2, transports: STRING_TRANSPORTS });
  for (const value of [['k'], { k: 1 }, 42, false]) cases.push({ label: `${base} ApiKey=${JSON.stringify(value)}`, base, field: 'ApiKey', value, code: 2, transports: JSON_TRANSPORTS });
}
for (const value of ['newsletter', 'campaign\u0000', LONG]) cases.push({ label: `RecordType=${value.slice(0, 20)}`, base: 'setSandbox', field: 'RecordType', value, code: 4, transports: STRING_TRANSPORTS });
for (const value of [['campaign'], {}]) cases.push({ label: `RecordType=${JSON.stringify(value)}`, base: 'setSandbox', field: 'RecordType', value, code: 4, transports: JSON_TRANSPORTS });
for (const field of ['DryRun', 'Force']) {
  for (const value of ['maybe', 'yes', '2']) cases.push({ label: `${field}=${value}`, base: 'setSandbox', field, value, code: 400, transports: STRING_TRANSPORTS });
  for (const value of [[true], { on: true }, 7]) cases.push({ label: `${field}=${JSON.stringify(value)}`, base: 'setSandbox', field, value, code: 400, transports: JSON_TRANSPORTS });
}
for (const value of [LONG, 'sec\u0000ret']) cases.push({ label: `ApiSecret=${value.slice(0, 10)}`, base: 'godaddy', field: 'ApiSecret', value, code: 5, transports: STRING_TRANSPORTS });
cases.push({ label: 'ApiSecret=[]', base: 'godaddy', field: 'ApiSecret', value: ['s'], code: 5, transports: JSON_TRANSPORTS });
cases.push({ label: 'ApiUser control', base: 'namecheap', field: 'ApiUser', value: 'acme\u001buser', code: 6, transports: STRING_TRANSPORTS });
cases.push({ label: 'ApiUser object', base: 'namecheap', field: 'ApiUser', value: { u: 1 }, code: 6, transports: JSON_TRANSPORTS });
cases.push({ label: 'Username long', base: 'namecheap', field: 'Username', value: LONG, code: 7, transports: STRING_TRANSPORTS });
cases.push({ label: 'Username array', base: 'namecheap', field: 'Username', value: ['a', 'b'], code: 7, transports: JSON_TRANSPORTS });

describe('REST: bad values get their code on every transport, and nothing is written', () => {
  it.each(cases)('$label', async ({ base, field, value, code, transports }) => {
    const { command, params } = BASES[base]!;
    const before = await writes();
    const lookupsBefore = world.dns.queries.length;
    const replies = await Promise.all(transports.map(async (transport) => [transport, await send(transport, command, { ...params, [field]: value })] as const));
    for (const [transport, res] of replies) {
      const context = `${transport} ${res.status} ${res.text.slice(0, 200)}`;
      // /api.php answers handler errors with HTTP 200 (the platform's behaviour); /api/v1 with the entry's status.
      expect(res.status, context).toBe(transport.startsWith('legacy') ? 200 : 400);
      expect(res.json?.Errors?.map((e: { Code: number }) => e.Code), context).toEqual([code]);
      expect(res.json.Errors[0].Message, context).toMatch(/^[\x20-\x7e…]+$/);
      // A 5000-character value is never echoed back.
      expect(res.text.length, context).toBeLessThan(1000);
    }
    expect(await writes()).toEqual(before);
    // Refused before any DNS lookup: the loopback DNS server saw no question.
    expect(world.dns.queries.length).toBe(lookupsBefore);
  });

  it('normalises IDN, upper case and a trailing dot to the canonical name instead of refusing them', async () => {
    for (const domain of ['EXAMPLE.COM.', 'Example.Com', 'ＥＸＡＭＰＬＥ.com']) {
      const res = await postJson(gw, '/api/v1/dns.provider', { Domain: domain }, bearer(key));
      expect(res.json, domain).toEqual({ provider: 'cloudflare' });
    }
    const before = await writes();
    const dry = await postJson(gw, '/api/v1/dns.set', { ...BASES.setSandbox!.params, Domain: 'Bücher-Sandbox.DE.', DryRun: true }, bearer(key));
    expect(dry.status).toBe(200);
    const apex = domainToASCII('bücher-sandbox.de');
    expect(apex).toMatch(/^xn--/);
    expect(dry.json.changes.length).toBeGreaterThan(0);
    for (const change of dry.json.changes) expect(change.name).toMatch(new RegExp(`(^|\\.)${apex.replace(/[.-]/g, '\\$&')}$`));
    expect(await writes()).toEqual(before);
  });
});

describe('REST: malformed requests', () => {
  const paths = ['/api/v1/dns.set', '/api.php?Command=dns.set'];

  it.each(paths)('%s: a text/xml body → 415 100002, nothing written', async (path) => {
    const before = await writes();
    const res = await http(`${gw.url}${path}`, { method: 'POST', headers: { 'content-type': 'text/xml', ...bearer(key) }, body: `<Domain>${SANDBOX_DOMAIN}</Domain>` });
    expect(res.status).toBe(415);
    expect(res.json.Errors[0].Code).toBe(100002);
    expect(await writes()).toEqual(before);
  });

  it.each(paths)('%s: invalid JSON, a JSON array, JSON null → 400 100000', async (path) => {
    for (const body of ['{"Domain":', '[{"Domain":"example.com"}]', 'null', '"example.com"', '\u00ff{}']) {
      const res = await http(`${gw.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...bearer(key) }, body });
      expect(res.status, body).toBe(400);
      expect(res.json.Errors[0].Code, body).toBe(100000);
    }
  });

  it.each(paths)('%s: a body over MAX_BODY_BYTES → 413 100001, declared or chunked', async (path) => {
    const big = JSON.stringify({ ...BASES.setSandbox!.params, Padding: 'x'.repeat(MAX_BODY_BYTES) });
    const declared = await http(`${gw.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...bearer(key) }, body: big });
    expect(declared.status).toBe(413);
    expect(declared.json.Errors[0].Code).toBe(100001);
    const chunked = await http(`${gw.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...bearer(key) }, body: Readable.from([big.slice(0, 1000), big.slice(1000)]) as never });
    expect(chunked.status).toBe(413);
    expect(await writes()).toMatchObject({ sandbox: 0 });
  });

  it('a method other than GET or POST → 405', async () => {
    const res = await http(`${gw.url}/api/v1/dns.set`, { method: 'PUT', headers: { 'content-type': 'application/json', ...bearer(key) }, body: '{}' });
    expect(res.status).toBe(405);
  });

  it('a repeated parameter keeps its last value and a huge number of parameters is still a clear answer', async () => {
    const many = Object.fromEntries(Array.from({ length: 3000 }, (_, i) => [`P${i}`, 'x']));
    const res = await postForm(gw, '/api/v1/dns.provider', { ...many, Domain: 'intranet' }, bearer(key));
    expect(res.status).toBe(400);
    expect(res.json.Errors[0].Code).toBe(1);
  });
});

const PROVIDER_DOC = 'query($d: String!) { dnsProvider(domain: $d) { __typename ... on DnsError { code message } } }';
const AUTHORIZE_DOC =
  'mutation($i: AuthorizeDnsInput!) { authorizeDns(input: $i) { __typename ... on AuthorizeDnsSuccess { success } ... on DnsError { code message } } }';
const SET_DOC =
  'mutation($i: SetDnsRecordsInput!) { setDnsRecords(input: $i) { __typename ... on SetDnsRecordsSuccess { applied } ... on DnsError { code message } } }';

describe('GraphQL: bad values', () => {
  const authorizeInput = (domain: string, apiKey = SECRETS.cloudflareToken) => ({ domain, provider: 'CLOUDFLARE', credentials: { apiKey } });
  const setInput = (domain: string, apiKey = 'anything') => ({ domain, provider: 'SANDBOX', recordType: 'CAMPAIGN', credentials: { apiKey } });

  it.each(BAD_DOMAINS.map((d) => [JSON.stringify(d).slice(0, 40), d]))('domain %s → DnsError code 1 on all three operations', async (_label, domain) => {
    const before = await writes();
    for (const [doc, variables] of [
      [PROVIDER_DOC, { d: domain }],
      [AUTHORIZE_DOC, { i: authorizeInput(domain) }],
      [SET_DOC, { i: setInput(domain) }],
    ] as const) {
      const res = await graphql(gw, doc, variables, key);
      expect(res.status, res.text).toBe(200);
      const result = Object.values(res.json.data)[0] as { __typename: string; code: number };
      expect(result, res.text).toMatchObject({ __typename: 'DnsError', code: 1 });
      expect(res.text.length).toBeLessThan(1000);
    }
    expect(await writes()).toEqual(before);
  });

  it('credentials that are too long or carry control characters → code 2; the value is not echoed', async () => {
    for (const apiKey of [LONG, 'tok\u0000en', '']) {
      const res = await graphql(gw, SET_DOC, { i: setInput(SANDBOX_DOMAIN, apiKey) }, key);
      expect(res.json.data.setDnsRecords).toMatchObject({ __typename: 'DnsError', code: 2 });
      expect(res.text).not.toContain('aaaaaaaaaa');
    }
    expect(await writes()).toMatchObject({ sandbox: 0 });
  });

  it('values of the wrong GraphQL type are refused by variable coercion with a 4xx, never run', async () => {
    const before = await writes();
    for (const variables of [
      { i: { ...setInput(SANDBOX_DOMAIN), domain: ['example.com'] } },
      { i: { ...setInput(SANDBOX_DOMAIN), domain: { a: 1 } } },
      { i: { ...setInput(SANDBOX_DOMAIN), provider: 'DNSMADEEASY' } },
      { i: { ...setInput(SANDBOX_DOMAIN), dryRun: 'yes' } },
      { i: { ...setInput(SANDBOX_DOMAIN), credentials: 'k' } },
      { i: null },
    ]) {
      const res = await graphql(gw, SET_DOC, variables, key);
      expect(res.status, res.text).toBeGreaterThanOrEqual(400);
      expect(res.status, res.text).toBeLessThan(500);
      expect(res.json.errors.length).toBeGreaterThan(0);
      expect(res.json.data ?? null).toBeNull();
    }
    expect(await writes()).toEqual(before);
  });
});

describe('GraphQL: request hardening', () => {
  const post = (body: string | Buffer, headers: Record<string, string> = {}) =>
    http(`${gw.url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json', ...bearer(key), ...headers }, body });
  const message = (res: HttpResult) => String(res.json?.errors?.[0]?.message);

  it('refuses a document deeper than 10 levels, and still serves the full introspection query', async () => {
    // `ofType` chains are the deepest path this schema has outside `__schema` (which armor exempts).
    const chain = (levels: number) => {
      let nested = 'name';
      for (let i = 0; i < levels; i++) nested = `ofType { ${nested} }`;
      return `{ __type(name: "Query") { fields { type { ${nested} } } } }`;
    };
    const deep = await graphql(gw, chain(7), {}, key);
    expect(message(deep)).toMatch(/depth limit of 10 exceeded/i);
    expect(deep.json.data ?? null).toBeNull();
    const atLimit = await graphql(gw, chain(6), {}, key);
    expect(atLimit.json.errors).toBeUndefined();

    const introspection = getIntrospectionQuery({ descriptions: true, specifiedByUrl: true, directiveIsRepeatable: true, schemaDescription: true, inputValueDeprecation: true });
    const full = await graphql(gw, introspection, {}, key);
    expect(full.status).toBe(200);
    expect(full.json.errors).toBeUndefined();
    expect(full.json.data.__schema.types.length).toBeGreaterThan(10);
    // graphql-js's own rule caps the cyclic `fields { type { fields … } } }` introspection path.
    let cyclic = 'name';
    for (let i = 0; i < 4; i++) cyclic = `fields { type { ${cyclic} } }`;
    expect(message(await graphql(gw, `{ __schema { types { ${cyclic} } } }`, {}, key))).toMatch(/introspection depth/i);
  });

  it('refuses more than 20 aliases (__typename aliases are free)', async () => {
    const aliased = (n: number) => `{ ${Array.from({ length: n }, (_, i) => `a${i}: dnsProvider(domain: "intranet") { __typename }`).join(' ')} }`;
    expect(message(await graphql(gw, aliased(21), {}, key))).toMatch(/aliases limit/i);
    const ok = await graphql(gw, aliased(20), {}, key);
    expect(ok.json.errors).toBeUndefined();
    expect(Object.keys(ok.json.data)).toHaveLength(20);
  });

  it('refuses more than 2000 tokens before parsing the rest', async () => {
    const res = await graphql(gw, `{ ${Array.from({ length: 2001 }, () => '__typename').join(' ')} }`, {}, key);
    expect(message(res)).toMatch(/token limit/i);
  });

  it('refuses a document whose cost passes 1000, even under the token, depth and alias limits', async () => {
    // Repeating a field needs no alias; 40 copies are ~1100 tokens and 7 levels deep, but cost ~3,200.
    const unit = '__type(name: "Query") { fields { type { ofType { ofType { ofType { ofType { name } } } } } } }';
    const costly = await graphql(gw, `{ ${Array(40).fill(unit).join(' ')} }`, {}, key);
    expect(message(costly)).toMatch(/cost limit of 1000 exceeded/i);
    const cheap = await graphql(gw, `{ ${Array(5).fill(unit).join(' ')} }`, {}, key);
    expect(cheap.json.errors).toBeUndefined();
  });

  it('refuses more than 20 directives', async () => {
    expect(message(await graphql(gw, `{ __typename ${'@include(if: true) '.repeat(21)}}`, {}, key))).toMatch(/directives limit/i);
  });

  it('hides field suggestions', async () => {
    const res = await graphql(gw, '{ dnsProvidr(domain: "example.com") { __typename } }', {}, key);
    expect(message(res)).not.toMatch(/did you mean/i);
  });

  it('refuses a batched array POST with 400 and runs none of it', async () => {
    const before = await writes();
    const op = { query: SET_DOC, variables: { i: { domain: SANDBOX_DOMAIN, provider: 'SANDBOX', recordType: 'CAMPAIGN', credentials: { apiKey: 'k' } } } };
    const res = await post(JSON.stringify([op, op]));
    expect(res.status).toBe(400);
    expect(message(res)).toMatch(/batching is not supported/i);
    expect(await writes()).toEqual(before);
  });

  it('CSRF prevention: simple requests (GET, form, multipart, text/plain) without a preflight header are refused with 403', async () => {
    const query = encodeURIComponent('{ __typename }');
    const get = await http(`${gw.url}/graphql?query=${query}`);
    expect(get.status).toBe(403);
    for (const contentType of ['application/x-www-form-urlencoded', 'text/plain', 'multipart/form-data; boundary=x']) {
      const res = await http(`${gw.url}/graphql`, { method: 'POST', headers: { 'content-type': contentType }, body: `query=${query}` });
      expect(res.status, contentType).toBe(403);
    }
    // With the header (or an Authorization header, which no simple request can carry) the same GET is served.
    const allowed = await http(`${gw.url}/graphql?query=${query}`, { headers: { 'x-graphql-yoga-csrf': '1' } });
    expect(allowed.status).toBe(200);
  });

  it('answers a wrong content type with 415 and invalid JSON with 400, never running anything', async () => {
    const before = await writes();
    const xml = await post(`<query>{ __typename }</query>`, { 'content-type': 'text/xml' });
    expect(xml.status).toBe(415);
    const broken = await post('{"query": "{ __typename }"');
    expect(broken.status).toBe(400);
    expect(await writes()).toEqual(before);
  });

  it('answers a body over MAX_BODY_BYTES with 413, declared or chunked', async () => {
    const big = JSON.stringify({ query: '{ __typename }', variables: { pad: 'x'.repeat(MAX_BODY_BYTES) } });
    const declared = await post(big);
    expect(declared.status).toBe(413);
    expect(declared.json.errors[0].extensions).toMatchObject({ code: 'BAD_REQUEST', errorCode: 100001 });
    const chunked = await http(`${gw.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...bearer(key) },
      body: Readable.from([big.slice(0, 100), big.slice(100)]) as never,
    });
    expect(chunked.status).toBe(413);
    const fine = await post(JSON.stringify({ query: '{ __typename }' }));
    expect(fine.json.data).toEqual({ __typename: 'Query' });
  });
});

describe('masked internal errors', () => {
  // GraphQL masks in an envelop hook around execution, whichever executor runs: the generic one, or graphql-jit's
  // compiled operation (the fast path compiles from the first use when GRAPHQL_COMPILE_AFTER is 1).
  it.each([
    ['the generic executor', '0'],
    ['a compiled operation', '1'],
  ])('shows "Unexpected error." (GraphQL, %s) or code 10 Internal error (REST), never the message or the stack; logs it scrubbed', async (_executor, compileAfter) => {
    const leaky = 'boom-leak at /srv/secret/path.ts:12 ApiKey=leaked-provider-key';
    const throwing: DnsProvider = {
      id: 'sandbox',
      capabilities: SANDBOX_CAPABILITIES,
      requiredCredentials: [],
      connect: () => {
        throw new Error(leaky);
      },
    };
    const local = await startGateway({ GRAPHQL_COMPILE_AFTER: compileAfter }, { providers: () => new Map([['sandbox', throwing]]) });
    try {
      const gql = await graphql(local, AUTHORIZE_DOC, { i: { domain: 'example.com', provider: 'SANDBOX', credentials: { apiKey: 'k' } } }, local.adminKey);
      expect(gql.json.errors[0].message).toBe('Unexpected error.');
      expect(gql.json.data).toBeNull();
      const rest = await postJson(local, '/api/v1/dns.authorize', { Domain: 'example.com', Provider: 'sandbox', ApiKey: 'k' }, bearer(local.adminKey));
      expect(rest.status).toBe(500);
      expect(rest.json.Errors).toEqual([{ Code: 10, Message: 'Internal error' }]);
      for (const text of [gql.text, rest.text, JSON.stringify(gql.headers), JSON.stringify(rest.headers)]) {
        expect(text).not.toMatch(/boom-leak|secret\/path|\.ts:\d|leaked-provider-key|\bat /);
      }
      // The operator still sees what happened, minus the credential.
      const logged = local.logLines.filter((l) => l.includes('boom-leak'));
      expect(logged.length).toBeGreaterThanOrEqual(2);
      for (const line of local.logLines) expect(line).not.toContain('leaked-provider-key');
    } finally {
      await local.close();
    }
  });
});
