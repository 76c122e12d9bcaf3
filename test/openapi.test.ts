/**
 * The OpenAPI 3.1 description of the REST API (GET /api/v1/openapi.json):
 * - it is valid (@readme/openapi-parser, which validates against the OpenAPI 3.1 schema and checks references);
 * - it covers whatever the router holds, generically: a command added to the router shows up with its parameters,
 *   and one the description cannot cover is refused by name;
 * - its parameters are the procedures' own validation: what the document refuses, the gateway refuses;
 * - recorded traffic of every command (success and errors, v1 and /api.php, every encoding, every way to
 *   authenticate) is what the document describes, request and reply.
 */
import { generateKeyPairSync } from 'node:crypto';
import fc from 'fast-check';
import { validate } from '@readme/openapi-parser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createUser } from '../src/auth/auth-service.js';
import { AppError, ERROR_CATALOGUE } from '../src/errors.js';
import { commandInput, domainInput, flagInput, inputFields, commandInputs, requiredString } from '../src/procedures/inputs.js';
import { authenticate } from '../src/procedures/middleware/authenticate.js';
import { defineProcedure, parseInput, type Procedure } from '../src/procedures/procedure.js';
import { router } from '../src/procedures/router.js';
import { REST_COMMANDS, type RestCommand } from '../src/rest/commands.js';
import { INPUT_PARAMETERS } from '../src/rest/handler.js';
import { buildOpenApiDocument, type OpenApiSources } from '../src/rest/openapi.js';
import { startDnsServer, type FakeDnsServer } from './fakes/dns-server.js';
import { http, MASTER_DOMAIN, startGateway, type Gateway } from './helpers/gateway.js';
import { openApiChecker, type Exchange, type OpenApiChecker } from './helpers/openapi-check.js';
import { SECRETS, startWorld, type World } from './helpers/world.js';
import { DC, startDcWorld, type DcWorld } from './helpers/domain-connect-world.js';

const COMMANDS = Object.keys(router);
const SOURCES: OpenApiSources = { router, commands: REST_COMMANDS, parameters: INPUT_PARAMETERS };

describe('the document', () => {
  it('is valid OpenAPI 3.1, without warnings', async () => {
    const document = buildOpenApiDocument();
    expect(document.openapi).toBe('3.1.0');
    const result = await validate(structuredClone(document) as never);
    expect(result.valid ? [] : result.errors).toEqual([]);
    expect(result.warnings).toEqual([]);
    expect(result.valid).toBe(true);
  });

  it('describes every command of the router, on /api/v1 (GET and POST) and as a Command of /api.php', () => {
    const document = buildOpenApiDocument() as any;
    expect(COMMANDS.length).toBeGreaterThanOrEqual(7);
    for (const command of COMMANDS) {
      expect(Object.keys(document.paths[`/api/v1/${command}`] ?? {}), command).toEqual(['get', 'post']);
    }
    const commandParameter = document.paths['/api.php'].get.parameters.find((p: any) => p.name === 'Command');
    expect(commandParameter.required).toBe(true);
    expect(commandParameter.schema.enum).toEqual(COMMANDS);
    expect(Object.keys(document.paths).sort()).toEqual([...COMMANDS.map((c) => `/api/v1/${c}`), '/api.php'].sort());
  });

  it('offers the three ways to authenticate on every command but user.login, which needs none', () => {
    const document = buildOpenApiDocument() as any;
    expect(document.components.securitySchemes).toEqual({
      Bearer: expect.objectContaining({ type: 'http', scheme: 'bearer' }),
      APIKey: expect.objectContaining({ type: 'apiKey', in: 'query', name: 'APIKey' }),
      SessionID: expect.objectContaining({ type: 'apiKey', in: 'query', name: 'SessionID' }),
    });
    for (const command of COMMANDS) {
      const expected = command === 'user.login' ? [] : [{ Bearer: [] }, { APIKey: [] }, { SessionID: [] }];
      expect(document.paths[`/api/v1/${command}`].post.security, command).toEqual(expected);
    }
    expect(document.paths['/api.php'].post.security).toEqual([{ Bearer: [] }, { APIKey: [] }, { SessionID: [] }, {}]);
  });

  it('lists, per command and status, exactly the catalogue codes its input, middleware, handler and transport can answer', () => {
    const document = buildOpenApiDocument() as any;
    const codesAt = (command: string, status: number) =>
      document.components.schemas[`${typeName(command)}Error${status}`]?.properties.Errors.items.properties.Code;
    // dns.provider: input (1), handler (2 at 400, 2 at 503), middleware (99998, 99999, 429), transport.
    expect(codesAt('dns.provider', 400)).toEqual({ type: 'number', enum: [1, 2, 100000, 100003] });
    expect(codesAt('dns.provider', 503)).toEqual({ type: 'number', const: 2 });
    expect(codesAt('dns.provider', 401)).toEqual({ type: 'number', const: 99998 });
    expect(codesAt('dns.provider', 403)).toEqual({ type: 'number', const: 99999 });
    expect(codesAt('dns.provider', 429)).toEqual({ type: 'number', const: 429 });
    expect(codesAt('dns.provider', 422)).toBeUndefined();
    // dns.set's credential codes come from its input; 409 is dns.revert's alone.
    expect(codesAt('dns.set', 400).enum).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 400, 100000, 100003]);
    expect(codesAt('dns.revert', 409)).toEqual({ type: 'number', const: 9 });
    expect(codesAt('dns.set', 409)).toBeUndefined();
    // user.login is not authenticated: no 401 for 99998, but its own code 3.
    expect(codesAt('user.login', 401)).toEqual({ type: 'number', const: 3 });
    expect(codesAt('user.login', 403)).toBeUndefined();
    // Every catalogue entry some command can answer is in the overview table with its status on both paths.
    const overview = document.info.description as string;
    for (const entry of Object.values(ERROR_CATALOGUE)) {
      expect(overview).toContain(`| ${entry.code} | ${entry.message} | ${entry.httpStatus} | ${entry.legacyHard ? entry.httpStatus : 200} |`);
    }
  });
});

const typeName = (command: string) => command.split(/[^A-Za-z0-9]+/).map((w) => w.charAt(0).toUpperCase() + w.slice(1)).join('');

describe('the document follows the code', () => {
  const echo = (input: z.ZodType<any>): Procedure<any, any> =>
    defineProcedure({ name: 'test.echo', input, middleware: [authenticate], errors: ['CHANGE_NOT_FOUND'], handler: async () => ({ echoed: true }) });
  const echoReply: RestCommand<unknown> = {
    summary: 'Echo',
    description: 'A command that exists only in this test.',
    reply: z.strictObject({ echoed: z.boolean() }),
    payload: () => ({ echoed: true }),
  };

  it('a command added to the router appears with the fields of its input, their wire schemas, its reply and its errors', async () => {
    const input = commandInput({ domain: domainInput, changeId: requiredString('CHANGE_ID_MISSING', 'CHANGE_ID_INVALID', { description: 'Which one.' }) });
    const document = buildOpenApiDocument({ ...SOURCES, router: { ...router, 'test.echo': echo(input) }, commands: { ...REST_COMMANDS, 'test.echo': echoReply } }) as any;
    const get = document.paths['/api/v1/test.echo'].get;
    const query = get.parameters.filter((p: any) => p.in === 'query');
    expect(query.map((p: any) => [p.name, p.required])).toEqual([['Domain', true], ['ChangeID', true]]);
    // Every operation takes the caller's optional request id, and every reply documents it.
    expect(get.parameters.filter((p: any) => p.in === 'header').map((p: any) => [p.name, p.required ?? false])).toEqual([['X-Request-Id', false]]);
    expect(Object.values(get.responses).map((r: any) => Object.keys(r.headers ?? {}).includes('X-Request-Id'))).not.toContain(false);
    expect(query[1].schema).toMatchObject({ type: 'string', minLength: 1, maxLength: 1024, description: expect.stringMatching(/^Which one\. Also accepted as `ChangeId`/) });
    expect(document.components.schemas.TestEchoReply).toEqual({ type: 'object', properties: { echoed: { type: 'boolean' } }, required: ['echoed'], additionalProperties: false });
    expect(document.components.schemas.TestEchoError404.properties.Errors.items.properties.Code).toEqual({ type: 'number', const: 12 });
    expect(document.components.schemas.TestEchoError400.properties.Errors.items.properties.Code.enum).toEqual([1, 11, 100000, 100003]);
    expect(document.paths['/api.php'].get.parameters.find((p: any) => p.name === 'Command').schema.enum).toContain('test.echo');
    expect((await validate(structuredClone(document))).valid).toBe(true);

    // One more field in the input: one more parameter, optional when the procedure accepts the input without it.
    const wider = commandInput({ domain: domainInput, force: flagInput('Force', 'Push.') });
    const after = buildOpenApiDocument({ ...SOURCES, router: { ...router, 'test.echo': echo(wider) }, commands: { ...REST_COMMANDS, 'test.echo': echoReply } }) as any;
    const force = after.paths['/api/v1/test.echo'].get.parameters.find((p: any) => p.name === 'Force');
    expect(force.required ?? false).toBe(false);
    expect(force.schema).toMatchObject({ type: ['boolean', 'integer', 'string'], enum: [true, false, 1, 0, 'true', 'false', '1', '0'] });
    expect(after.components.schemas.TestEchoParameters.properties.Force).toBeDefined();
  });

  it('refuses, by name, a command it cannot describe', () => {
    const input = commandInput({ domain: domainInput });
    expect(() => buildOpenApiDocument({ ...SOURCES, router: { ...router, 'test.echo': echo(input) } })).toThrow(/command test\.echo has no REST reply/);
    const unnamed = commandInput({ domain: domainInput, shade: inputFieldLike() });
    expect(() =>
      buildOpenApiDocument({ ...SOURCES, router: { ...router, 'test.echo': echo(unnamed) }, commands: { ...REST_COMMANDS, 'test.echo': echoReply } }),
    ).toThrow(/input field shade has no REST parameter name/);
    expect(() =>
      buildOpenApiDocument({ ...SOURCES, router: { ...router, 'test.echo': echo(z.object({})) }, commands: { ...REST_COMMANDS, 'test.echo': echoReply } }),
    ).toThrow(/not built with commandInput/);
    // And an input field without a wire schema cannot even be built into a command.
    expect(() => commandInput({ domain: z.string() })).toThrow(/input field domain has no wire schema/);
  });

  function inputFieldLike() {
    return requiredString('DOMAIN_MISSING', 'DOMAIN_INVALID', { description: 'A field REST has no name for.' });
  }
});

describe('the document says what the procedures check', () => {
  interface Field {
    readonly command: string;
    readonly field: string;
    readonly parameter: string;
    readonly schema: any;
    readonly errors: readonly string[];
  }
  let checker: OpenApiChecker;
  const fields: Field[] = [];

  beforeAll(async () => {
    checker = await openApiChecker(buildOpenApiDocument());
    for (const command of COMMANDS) {
      const shape = commandInputs.get(router[command as keyof typeof router].input)!.shape;
      const parameters = (checker.document.paths[`/api/v1/${command}`].get.parameters ?? []) as any[];
      for (const [field, schema] of Object.entries(shape)) {
        const parameter = parameters.find((p) => p.name === INPUT_PARAMETERS[field]![0])!;
        fields.push({ command, field, parameter: parameter.name, schema: parameter.schema, errors: inputFields.get(schema)!.errors });
      }
    }
  });

  /** A documented value for every field: its example, or its first listed value. */
  const typical = (g: Field): unknown => g.schema.examples?.[0] ?? g.schema.enum?.[0] ?? 'x';

  /**
   * The catalogue entries the field itself reports for `value`, every other field of the command holding a documented
   * value (so that no other field's error takes the field's code: one item per code is reported).
   */
  function refusal(f: Field, value: unknown): string[] {
    const others = Object.fromEntries(fields.filter((g) => g.command === f.command && g.field !== f.field).map((g) => [g.field, typical(g)]));
    try {
      parseInput(router[f.command as keyof typeof router].input as z.ZodType<unknown>, { ...others, [f.field]: value });
      return [];
    } catch (error) {
      if (!(error instanceof AppError)) throw error;
      return error.items.filter((item) => f.errors.includes(item.key)).map((item) => item.key);
    }
  }

  it('every parameter of every command has a type and a description', () => {
    expect(fields.length).toBeGreaterThanOrEqual(20);
    for (const f of fields) {
      expect(f.schema.type ?? f.schema.anyOf, `${f.command} ${f.parameter}`).toBeDefined();
      expect(f.schema.description, `${f.command} ${f.parameter}`).toMatch(/\w{3}/);
    }
  });

  it('a value the document refuses is refused by the procedure with that field\'s code, and one it accepts is not refused for its shape', () => {
    // Values as callers send them: strings of any characters and length (around the documented limits), numbers,
    // booleans and arrays (JSON bodies). Blank strings are left out: they count as missing, as the overview says.
    const lengths = [...new Set(fields.map((f) => f.schema.maxLength).filter((n): n is number => typeof n === 'number'))];
    const value = fc.oneof(
      fc.string({ unit: 'binary', maxLength: 40 }),
      fc.constantFrom(...lengths.flatMap((n) => [n, n + 1])).chain((n) => fc.string({ unit: 'grapheme-ascii', minLength: n, maxLength: n })),
      fc.constantFrom(...fields.flatMap((f) => (f.schema.enum ?? f.schema.anyOf?.flatMap((s: any) => s.enum ?? []) ?? []) as unknown[])),
      fc.boolean(),
      fc.integer({ min: -2, max: 3 }),
      fc.array(fc.string(), { maxLength: 2 }),
    );
    fc.assert(
      fc.property(fc.constantFrom(...fields), value, (f, v) => {
        if (typeof v === 'string' && v.trim() === '') return;
        // Fields that ignore case and surrounding space are documented by their canonical (lower-case) values.
        const folds = f.schema.enum !== undefined || f.schema.anyOf !== undefined;
        const shown = folds && typeof v === 'string' ? v.trim().toLowerCase() : v;
        const documented = checker.validate(f.schema, shown).length === 0;
        const refused = refusal(f, v);
        if (!documented) expect(refused, `${f.command} ${f.parameter} ${JSON.stringify(v).slice(0, 80)}`).not.toEqual([]);
        // The domain is also judged as a name (public suffix, IP literal…): its description says so; others are shape only.
        else if (f.field !== 'domain') expect(refused, `${f.command} ${f.parameter} ${JSON.stringify(v).slice(0, 80)}`).toEqual([]);
      }),
      { numRuns: 3000 },
    );
  });
});

// ---- recorded traffic ----------------------------------------------------------------------------------------------

const VERIFY_DOMAIN = 'verified-sender.com';
const NS_HOST = 'ns1.dnshost.test';

describe('recorded traffic of every command matches the document', () => {
  let world: World;
  let authoritative: FakeDnsServer;
  let small: Gateway;
  let dc: DcWorld;
  let checker: OpenApiChecker;
  const exchanges: { exchange: Exchange; conforms: boolean | null; command: string }[] = [];

  /** Sends one request and records it with its reply. `conforms`: is the request what the document describes? */
  async function record(
    command: string,
    conforms: boolean | null,
    spec: {
      label: string;
      gateway?: { url: string };
      method?: 'GET' | 'POST';
      path: string;
      query?: Record<string, string>;
      headers?: Record<string, string>;
      json?: Record<string, unknown>;
      form?: Record<string, string>;
      multipart?: Record<string, string>;
      raw?: { type: string; text: string };
    },
  ): Promise<Exchange> {
    const base = (spec.gateway ?? world.gateway).url;
    const search = spec.query ? `?${new URLSearchParams(spec.query)}` : '';
    const headers: Record<string, string> = { ...spec.headers };
    let payload: string | Buffer | undefined;
    let body: Exchange['body'];
    if (spec.json) {
      headers['content-type'] = 'application/json';
      payload = JSON.stringify(spec.json);
      body = { type: 'application/json', fields: spec.json };
    } else if (spec.form) {
      headers['content-type'] = 'application/x-www-form-urlencoded';
      payload = new URLSearchParams(spec.form).toString();
      body = { type: 'application/x-www-form-urlencoded', fields: spec.form };
    } else if (spec.multipart) {
      const boundary = 'openapiTestBoundary7MA4YWxk';
      headers['content-type'] = `multipart/form-data; boundary=${boundary}`;
      payload = Buffer.from(
        `${Object.entries(spec.multipart).map(([n, v]) => `--${boundary}\r\nContent-Disposition: form-data; name="${n}"\r\n\r\n${v}\r\n`).join('')}--${boundary}--\r\n`,
      );
      body = { type: 'multipart/form-data', fields: spec.multipart };
    } else if (spec.raw) {
      headers['content-type'] = spec.raw.type;
      payload = spec.raw.text;
      body = { type: spec.raw.type, raw: spec.raw.text };
    }
    const method = spec.method ?? (payload === undefined ? 'GET' : 'POST');
    const res = await http(`${base}${spec.path}${search}`, { method, headers, body: payload });
    const exchange: Exchange = {
      label: spec.label,
      method,
      path: spec.path,
      query: spec.query ?? {},
      headers,
      ...(body ? { body } : {}),
      status: res.status,
      replyHeaders: res.headers,
      replyText: res.text,
    };
    exchanges.push({ exchange, conforms, command });
    return exchange;
  }

  beforeAll(async () => {
    // dns.verify asks the zone's own name server (127.0.0.2) on the port the gateway is told to use.
    authoritative = await startDnsServer({
      host: '127.0.0.2',
      records: [
        { name: VERIFY_DOMAIN, type: 'SOA', ttl: 3600, data: { mname: NS_HOST, rname: `hostmaster.${VERIFY_DOMAIN}`, serial: 1, minimum: 300 } },
        { name: VERIFY_DOMAIN, type: 'NS', ttl: 3600, data: NS_HOST },
        { name: `sl.${VERIFY_DOMAIN}`, type: 'CNAME', ttl: 3600, data: MASTER_DOMAIN },
      ],
    });
    world = await startWorld({
      DNS_AUTHORITATIVE_PORT: String(authoritative.port),
      DNS_AUTHORITATIVE_ALLOW_PRIVATE: 'true',
      DNS_AUTHORITATIVE_TIMEOUT_MS: '400',
    });
    world.dns.add(
      { name: VERIFY_DOMAIN, type: 'NS', ttl: 3600, data: NS_HOST },
      { name: NS_HOST, type: 'A', ttl: 3600, data: '127.0.0.2' },
      { name: `key1._domainkey.${MASTER_DOMAIN}`, type: 'TXT', ttl: 3600, data: dkimKey() },
    );
    small = await startGateway({ RATE_LIMIT_MAX: '1', MAX_BODY_BYTES: '2048' });
    // dns.connect needs a gateway set up for Domain Connect and a DNS provider that supports it (the fake).
    dc = await startDcWorld();
    dc.host('connect-me.com');
    const docReply = await http(`${world.gateway.url}/api/v1/openapi.json`);
    expect(docReply.status).toBe(200);
    checker = await openApiChecker(docReply.json);

    const gw = world.gateway;
    const key = gw.adminKey;
    const bearer = { authorization: `Bearer ${key}` };
    const weakKey = await gw.createKey({ permissions: ['Dns.Read'] });
    await createUser(gw.running.services.store, { username: 'alice', password: 'correct horse battery', permissions: ['User.Update'] });

    // user.login first: its session id authenticates two of the three ways below.
    const login = await record('user.login', true, { label: 'login (form)', path: '/api/v1/user.login', form: { Username: 'alice', Password: 'correct horse battery' } });
    const session = JSON.parse(login.replyText).SessionID as string;
    await record('user.login', true, { label: 'login, wrong password', path: '/api/v1/user.login', json: { Username: 'alice', Password: 'wrong' } });
    await record('user.login', false, { label: 'login, no password', path: '/api/v1/user.login', json: { Username: 'alice' } });
    await record('user.login', true, { label: 'legacy login', path: '/api.php', form: { Command: 'user.login', Username: 'alice', Password: 'correct horse battery' } });

    // dns.provider: the three ways to authenticate, a Bearer session, the failures.
    await record('dns.provider', true, { label: 'provider, Bearer key', path: '/api/v1/dns.provider', query: { Domain: 'example.com' }, headers: bearer });
    await record('dns.provider', true, { label: 'provider, APIKey', path: '/api/v1/dns.provider', query: { Domain: 'godaddy-customer.com', APIKey: key } });
    await record('dns.provider', true, { label: 'provider, SessionID', path: '/api/v1/dns.provider', query: { Domain: 'example.com', SessionID: session } });
    await record('dns.provider', true, { label: 'provider, Bearer session', path: '/api/v1/dns.provider', json: { Domain: 'example.co.uk' }, headers: { authorization: `Bearer ${session}` } });
    await record('dns.provider', true, { label: 'provider undetermined', path: '/api/v1/dns.provider', query: { Domain: 'obscure-host.com' }, headers: bearer });
    await record('dns.provider', true, { label: 'provider, invalid domain', path: '/api/v1/dns.provider', query: { Domain: '192.0.2.1' }, headers: bearer });
    await record('dns.provider', false, { label: 'provider, no domain', path: '/api/v1/dns.provider', headers: bearer });
    await record('dns.provider', false, { label: 'provider, no credentials', path: '/api/v1/dns.provider', query: { Domain: 'example.com' } });
    await record('dns.provider', true, { label: 'provider, unknown key', path: '/api/v1/dns.provider', query: { Domain: 'example.com' }, headers: { authorization: 'Bearer dgk_nosuchkey' } });
    await record('dns.provider', true, { label: 'provider, no permission', path: '/api/v1/dns.provider', query: { Domain: 'example.com' }, headers: { authorization: `Bearer ${weakKey}` } });
    await record('dns.provider', true, { label: 'legacy provider', path: '/api.php', query: { Command: 'dns.provider', Domain: 'example.com', APIKey: key } });
    await record('dns.provider', true, { label: 'legacy provider, XML', path: '/api.php', query: { Command: 'dns.provider', Domain: 'example.com', APIKey: key, ResponseFormat: 'XML' } });
    await record('dns.provider', true, { label: 'legacy provider undetermined', path: '/api.php', query: { Command: 'dns.provider', Domain: 'obscure-host.com' }, headers: bearer });
    await record('dns.provider', true, { label: 'legacy provider, XML error', path: '/api.php', query: { Command: 'dns.provider', Domain: 'obscure-host.com', ResponseFormat: 'XML' }, headers: bearer });

    // dns.authorize
    await record('dns.authorize', true, { label: 'authorize (JSON)', path: '/api/v1/dns.authorize', json: { Command: 'dns.authorize', Domain: 'example.com', Provider: 'cloudflare', ApiKey: SECRETS.cloudflareToken }, headers: bearer });
    await record('dns.authorize', true, { label: 'authorize (GET)', path: '/api/v1/dns.authorize', query: { Domain: 'example.com', Provider: 'sandbox', ApiKey: 'any' }, headers: bearer });
    await record('dns.authorize', true, { label: 'authorize, refused', path: '/api/v1/dns.authorize', json: { Domain: 'example.com', Provider: 'godaddy', ApiKey: SECRETS.godaddyDeniedKey, ApiSecret: SECRETS.godaddyDeniedSecret }, headers: bearer });
    await record('dns.authorize', true, { label: 'legacy authorize', path: '/api.php', query: { Command: 'dns.authorize', SessionID: session }, json: { Domain: 'example.com', Provider: 'namecheap', ApiKey: SECRETS.namecheapKey, ApiUser: SECRETS.namecheapUser, Username: SECRETS.namecheapUser } });
    await record('dns.authorize', false, { label: 'authorize, no domain nor provider', path: '/api/v1/dns.authorize', form: { ApiKey: 'x' }, headers: bearer });
    await record('dns.authorize', false, { label: 'authorize, unknown provider', path: '/api/v1/dns.authorize', form: { Domain: 'example.com', Provider: 'acme-dns', ApiKey: 'x' }, headers: bearer });

    // dns.set: a dry run (form), a write (multipart on /api.php), a refusal, a missing secret.
    await record('dns.set', true, { label: 'set, dry run', path: '/api/v1/dns.set', form: { Domain: 'sandbox-one.com', Provider: 'sandbox', ApiKey: 'any', RecordType: 'campaign', DryRun: 'true' }, headers: bearer });
    await record('dns.set', true, { label: 'set (JSON)', path: '/api/v1/dns.set', json: { Domain: 'sandbox-one.com', Provider: 'sandbox', ApiKey: 'any', RecordType: 'email-gateway', DryRun: false }, headers: bearer });
    await record('dns.set', true, { label: 'legacy set (multipart)', path: '/api.php', multipart: { Command: 'dns.set', APIKey: key, Domain: 'sandbox-two.com', Provider: 'sandbox', ApiKey: 'any', RecordType: 'campaign' } });
    await record('dns.set', true, { label: 'legacy set, XML', path: '/api.php', query: { Command: 'dns.set', ResponseFormat: 'XML' }, form: { APIKey: key, Domain: 'sandbox-two.com', Provider: 'sandbox', ApiKey: 'any', RecordType: 'campaign', DryRun: '1' } });
    await record('dns.set', true, { label: 'set, refused credentials', path: '/api/v1/dns.set', json: { Domain: 'example.com', Provider: 'cloudflare', ApiKey: 'cfWRONGtoken000000000000000000000000000', RecordType: 'campaign' }, headers: bearer });
    await record('dns.set', true, { label: 'set, GoDaddy without a secret', path: '/api/v1/dns.set', json: { Domain: 'example.com', Provider: 'godaddy', ApiKey: 'k', RecordType: 'campaign' }, headers: bearer });
    await record('dns.set', false, { label: 'set, bad flag', path: '/api/v1/dns.set', json: { Domain: 'example.com', Provider: 'sandbox', ApiKey: 'k', RecordType: 'campaign', DryRun: 'maybe' }, headers: bearer });
    await record('dns.set', false, { label: 'legacy set, no record type', path: '/api.php', json: { Command: 'dns.set', Domain: 'example.com', Provider: 'sandbox', ApiKey: 'k', RecordType: 'newsletter' }, headers: bearer });

    // dns.changes, then dns.revert of the write above.
    const changes = await record('dns.changes', true, { label: 'changes', path: '/api/v1/dns.changes', query: { Domain: 'sandbox-one.com' }, headers: bearer });
    const latest = JSON.parse(changes.replyText).changes[0].id as string;
    await record('dns.changes', true, { label: 'legacy changes', path: '/api.php', json: { Command: 'dns.changes', Domain: 'sandbox-two.com' }, headers: bearer });
    await record('dns.revert', true, { label: 'revert', path: '/api/v1/dns.revert', form: { ChangeID: latest, ApiKey: 'any' }, headers: bearer });
    await record('dns.revert', true, { label: 'revert again', path: '/api/v1/dns.revert', form: { ChangeID: latest, ApiKey: 'any' }, headers: bearer });
    await record('dns.revert', true, { label: 'revert, no such change', path: '/api/v1/dns.revert', json: { ChangeID: 'nope', ApiKey: 'any' }, headers: bearer });
    await record('dns.revert', true, { label: 'legacy revert, no such change', path: '/api.php', form: { Command: 'dns.revert', ChangeID: 'nope', ApiKey: 'any' }, headers: bearer });
    await record('dns.revert', false, { label: 'revert, no change id', path: '/api/v1/dns.revert', json: { ApiKey: 'any' }, headers: bearer });

    // dns.verify
    await record('dns.verify', true, { label: 'verify', path: '/api/v1/dns.verify', json: { Domain: VERIFY_DOMAIN, RecordType: 'campaign' }, headers: bearer });
    await record('dns.verify', true, { label: 'legacy verify', path: '/api.php', query: { Command: 'dns.verify', Domain: VERIFY_DOMAIN, RecordType: 'email-gateway', SessionID: session } });
    await record('dns.verify', true, { label: 'verify, no name servers', path: '/api/v1/dns.verify', query: { Domain: 'nothing-here.com', RecordType: 'campaign' }, headers: bearer });

    // dns.watch (its first check is made at once) and dns.watches.
    await record('dns.watch', true, { label: 'watch', path: '/api/v1/dns.watch', form: { Domain: VERIFY_DOMAIN, RecordType: 'campaign' }, headers: bearer });
    await record('dns.watch', false, { label: 'watch, no record type', path: '/api/v1/dns.watch', form: { Domain: VERIFY_DOMAIN }, headers: bearer });
    await record('dns.watches', true, { label: 'watches', path: '/api/v1/dns.watches', query: { Domain: VERIFY_DOMAIN }, headers: bearer });
    await record('dns.watches', true, { label: 'all watches', path: '/api/v1/dns.watches', headers: bearer });
    await record('dns.watches', true, { label: 'legacy watches', path: '/api.php', query: { Command: 'dns.watches', APIKey: key } });
    await record('dns.watch', true, { label: 'legacy watch', path: '/api.php', json: { Command: 'dns.watch', Domain: 'sandbox-one.com', RecordType: 'campaign' }, headers: bearer });
    await record('dns.watches', true, { label: 'watches, invalid domain', path: '/api/v1/dns.watches', query: { Domain: 'localhost' }, headers: bearer });

    // dns.connect: both flows on the Domain Connect gateway, the refusals; dns.set through a stored authorization.
    const dcAuth = { authorization: `Bearer ${dc.gateway.adminKey}` };
    const redirect = `https://${DC.redirectHost}/dns/done`;
    await record('dns.connect', true, { label: 'connect', gateway: dc.gateway, path: '/api/v1/dns.connect', form: { Domain: 'connect-me.com', RecordType: 'campaign', RedirectURI: redirect, State: 'abc' }, headers: dcAuth });
    await record('dns.connect', true, { label: 'connect, async', gateway: dc.gateway, path: '/api/v1/dns.connect', json: { Domain: 'connect-me.com', RecordType: 'email-gateway', Flow: 'async' }, headers: dcAuth });
    await record('dns.connect', true, { label: 'legacy connect', gateway: dc.gateway, path: '/api.php', query: { Command: 'dns.connect', Domain: 'connect-me.com', RecordType: 'campaign', APIKey: dc.gateway.adminKey } });
    await record('dns.connect', true, { label: 'connect, redirect elsewhere', gateway: dc.gateway, path: '/api/v1/dns.connect', json: { Domain: 'connect-me.com', RecordType: 'campaign', RedirectURI: 'https://elsewhere.example.net/x' }, headers: dcAuth });
    await record('dns.connect', false, { label: 'connect, bad flow', gateway: dc.gateway, path: '/api/v1/dns.connect', json: { Domain: 'connect-me.com', RecordType: 'campaign', Flow: 'later' }, headers: dcAuth });
    await record('dns.connect', true, { label: 'connect, not set up', path: '/api/v1/dns.connect', json: { Domain: 'example.com', RecordType: 'campaign' }, headers: bearer });
    await record('dns.set', true, { label: 'set through Domain Connect, no authorization', gateway: dc.gateway, path: '/api/v1/dns.set', json: { Domain: 'example.com', Provider: 'domainconnect', RecordType: 'campaign' }, headers: dcAuth });
    await record('dns.set', true, { label: 'set without ApiKey', path: '/api/v1/dns.set', json: { Domain: 'example.com', Provider: 'sandbox', RecordType: 'campaign' }, headers: bearer });

    // The transport's own refusals, on both paths.
    await record('dns.provider', null, { label: 'invalid JSON', path: '/api/v1/dns.provider', raw: { type: 'application/json', text: '{"Domain":' }, headers: bearer });
    await record('dns.provider', false, { label: 'unsupported type', path: '/api/v1/dns.provider', raw: { type: 'text/plain', text: 'Domain=example.com' }, headers: bearer });
    await record('dns.provider', false, { label: 'command mismatch', path: '/api/v1/dns.provider', json: { Command: 'dns.set', Domain: 'example.com' }, headers: bearer });
    await record('dns.provider', false, { label: 'legacy unknown command', path: '/api.php', query: { Command: 'dns.nothing' }, headers: bearer });
    await record('dns.provider', false, { label: 'legacy unsupported type, XML', path: '/api.php', query: { Command: 'dns.provider', ResponseFormat: 'XML' }, raw: { type: 'text/csv', text: 'a,b' }, headers: bearer });
    await record('dns.provider', false, { label: 'body too large', gateway: small, path: '/api/v1/dns.provider', json: { Domain: 'example.com', Pad: 'x'.repeat(4096) }, headers: { authorization: `Bearer ${small.adminKey}` } });
    await record('dns.provider', false, { label: 'legacy body too large', gateway: small, path: '/api.php', json: { Command: 'dns.provider', Pad: 'x'.repeat(4096) }, headers: { authorization: `Bearer ${small.adminKey}` } });
    // The rate limit: the small gateway allows one request per window.
    await record('dns.changes', true, { label: 'first of the budget', gateway: small, path: '/api/v1/dns.changes', query: { Domain: 'example.com' }, headers: { authorization: `Bearer ${small.adminKey}` } });
    await record('dns.changes', true, { label: 'rate limited', gateway: small, path: '/api/v1/dns.changes', query: { Domain: 'example.com' }, headers: { authorization: `Bearer ${small.adminKey}` } });
    await record('dns.changes', true, { label: 'legacy rate limited', gateway: small, path: '/api.php', query: { Command: 'dns.changes', Domain: 'example.com' }, headers: { authorization: `Bearer ${small.adminKey}` } });
  }, 60_000);

  afterAll(async () => {
    await small?.close();
    await dc?.close();
    await world?.close();
    await authoritative?.close();
  });

  it('records a successful v1 reply and an /api.php reply of every command in the router', () => {
    for (const command of COMMANDS) {
      const ofCommand = exchanges.filter((e) => e.command === command);
      expect(ofCommand.some((e) => e.exchange.path === `/api/v1/${command}` && e.exchange.status === 200), `${command}: a v1 success`).toBe(true);
      expect(ofCommand.some((e) => e.exchange.path === '/api.php' && e.exchange.status === 200), `${command}: an /api.php reply`).toBe(true);
    }
    // And the recordings meant what they say: the statuses the document must cover.
    const statuses = new Set(exchanges.map((e) => e.exchange.status));
    for (const status of [200, 400, 401, 403, 404, 409, 413, 415, 422, 429]) expect(statuses, `status ${status}`).toContain(status);
    expect(exchanges.some((e) => /xml/.test(String(e.exchange.replyHeaders['content-type'])))).toBe(true);
  });

  it('every reply is documented for its operation and status: media type, body (no undocumented field) and headers', () => {
    const problems = exchanges.flatMap(({ exchange }) => checker.check(exchange).reply.map((p) => `${exchange.label} (${exchange.status}): ${p}`));
    expect(problems).toEqual([]);
  });

  it('every request the document calls well-formed is well-formed by it, and every malformed one is flagged by it', () => {
    const wrong = exchanges
      .filter((e) => e.conforms !== null)
      .flatMap(({ exchange, conforms }) => {
        const problems = checker.check(exchange).request;
        return conforms === (problems.length === 0) ? [] : [`${exchange.label}: expected ${conforms ? 'no problems' : 'a problem'}, got ${JSON.stringify(problems)}`];
      });
    expect(wrong).toEqual([]);
    // A malformed request is always answered with an error.
    for (const { exchange, conforms } of exchanges) {
      if (conforms === false) expect(exchange.status !== 200 || JSON.parse(exchange.replyText).Success === false, exchange.label).toBe(true);
    }
  });

  it('the checker bites: a reply with an extra field, or a code the status does not list, is refused', () => {
    const success = exchanges.find((e) => e.exchange.label === 'provider, Bearer key')!.exchange;
    expect(checker.check(success).reply).toEqual([]);
    expect(checker.check({ ...success, replyText: JSON.stringify({ ...JSON.parse(success.replyText), extra: 1 }) }).reply).not.toEqual([]);
    const refused = exchanges.find((e) => e.exchange.label === 'provider undetermined')!.exchange;
    expect(refused.status).toBe(400);
    expect(checker.check({ ...refused, replyText: JSON.stringify({ Errors: [{ Code: 9, Message: 'x' }] }) }).reply).not.toEqual([]);
    expect(checker.check({ ...refused, status: 418 }).reply).toEqual(['status 418 is not documented']);
    const limited = exchanges.find((e) => e.exchange.label === 'rate limited')!.exchange;
    expect(limited.status).toBe(429);
    const { ['retry-after']: _dropped, ...withoutRetryAfter } = limited.replyHeaders;
    expect(checker.check({ ...limited, replyHeaders: withoutRetryAfter }).reply).toEqual(['header Retry-After is missing']);
  });
});

function dkimKey(): string {
  const { publicKey } = generateKeyPairSync('rsa', { modulusLength: 1024 });
  return `v=DKIM1; k=rsa; p=${publicKey.export({ type: 'spki', format: 'der' }).toString('base64')}`;
}
