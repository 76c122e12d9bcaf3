/**
 * Request ids (src/request-id.ts): every reply of every transport says `X-Request-Id`; a caller's bounded, printable
 * id is kept, anything else is replaced by a fresh one (never reflected); the lines logged while serving a request
 * carry it (the access line and what procedures and services log); our own failures name it in the reply.
 */
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, graphql, http, postForm, postJson, startGateway, type Gateway } from './helpers/gateway.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
/** A secret a failing service puts in its error message: it must be scrubbed from the log, and never answered. */
const SECRET = 'token=do-not-leak-3141';

let gw: Gateway;
beforeAll(async () => {
  // An SPF include whose lookups fail (the test resolver, 127.0.0.1:9, does not answer): dns.set logs a warning.
  gw = await startGateway({ MAIL_SPF_INCLUDE: '_spf.reqid-test.net' }, {
    // dns.watches (REST) and dnsWatches (GraphQL) fail unexpectedly: the internal-error path of both transports.
    watches: (service) => ({
      ...service,
      list: async () => {
        throw new Error(`the store went away (${SECRET})`);
      },
    }),
  });
});
afterAll(async () => {
  await gw?.close();
});

const logged = () => gw.logLines.map((line) => JSON.parse(line) as Record<string, unknown>);
const linesOf = (requestId: string) => logged().filter((line) => line.requestId === requestId);

/** Waits for the access line of `requestId` (written once the reply is sent: the client may see it first). */
async function accessLine(requestId: string): Promise<Record<string, unknown>> {
  for (let i = 0; i < 100; i++) {
    const line = linesOf(requestId).find((l) => l.msg === 'request');
    if (line) return line;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error(`no access line for ${requestId}`);
}

/** One raw HTTP/1.1 request with `X-Request-Id` as these bytes (undici refuses to send some of them). */
function rawRequestId(idBytes: Buffer): Promise<{ status: number; requestId: string | undefined }> {
  const { port } = new URL(gw.url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), '127.0.0.1');
    const chunks: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('error', reject);
    socket.on('end', () => {
      const head = Buffer.concat(chunks).toString('latin1').split('\r\n\r\n')[0]!;
      const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(head)?.[1]);
      resolve({ status, requestId: /\r\nx-request-id: ([^\r]*)/i.exec(head)?.[1] });
    });
    socket.write(Buffer.concat([Buffer.from('GET /healthz HTTP/1.1\r\nHost: gw\r\nConnection: close\r\nX-Request-Id: '), idBytes, Buffer.from('\r\n\r\n')]));
  });
}

describe('X-Request-Id', () => {
  it("keeps the caller's id when it is bounded and printable", async () => {
    for (const id of ['abc', 'trace-7f3a.9:host@zone/42+x=', 'x'.repeat(128), '4bf92f3577b34da6a3ce929d0e0e4736']) {
      const reply = await http(`${gw.url}/healthz`, { headers: { 'x-request-id': id } });
      expect(reply.headers['x-request-id']).toBe(id);
    }
  });

  it('replaces an unacceptable id with a fresh one, never reflecting it', async () => {
    const refused = ['x'.repeat(129), 'has space', 'tab\there', 'semi;colon', 'quote"d', '<script>', 'a,b'];
    for (const id of refused) {
      const reply = await http(`${gw.url}/healthz`, { headers: { 'x-request-id': id } });
      expect(reply.headers['x-request-id'], id).toMatch(UUID);
    }
    // Several values (node joins them with ", "), and an empty one.
    const twice = await http(`${gw.url}/healthz`, { headers: { 'x-request-id': ['one', 'two'] as unknown as string } });
    expect(twice.headers['x-request-id']).toMatch(UUID);
    // Bytes undici will not send: non-ASCII (UTF-8 and Latin-1 forms) and an empty value. (Control characters but tab are refused by node's parser itself: 400.)
    for (const bytes of [Buffer.from('café', 'utf8'), Buffer.from([0x69, 0x64, 0xe9]), Buffer.alloc(0)]) {
      const reply = await rawRequestId(bytes);
      expect(reply.status, bytes.toString('hex')).toBe(200);
      expect(reply.requestId, bytes.toString('hex')).toMatch(UUID);
    }
  });

  it('makes a different id for every request without one', async () => {
    const ids = new Set<unknown>();
    for (let i = 0; i < 5; i++) ids.add((await http(`${gw.url}/healthz`)).headers['x-request-id']);
    expect(ids.size).toBe(5);
    for (const id of ids) expect(id).toMatch(UUID);
  });

  it('is answered by every transport and route, errors and 404s included', async () => {
    const key = gw.adminKey;
    const query = '{ dnsProvider(domain: "example.com") { __typename } }';
    const requests: [string, (id: Record<string, string>) => Promise<{ status: number; headers: Record<string, unknown> }>][] = [
      ['REST v1', (h) => postJson(gw, '/api/v1/dns.provider', { Domain: 'bad domain' }, { ...bearer(key), ...h })],
      ['REST v1 unauthenticated', (h) => postJson(gw, '/api/v1/dns.provider', { Domain: 'example.com' }, h)],
      ['REST v1 405', (h) => http(`${gw.url}/api/v1/dns.provider`, { method: 'PUT', headers: h })],
      ['/api.php', (h) => postForm(gw, '/api.php', { Command: 'dns.provider', Domain: 'bad domain', APIKey: key }, h)],
      ['/api.php XML', (h) => http(`${gw.url}/api.php?Command=nope&ResponseFormat=XML`, { headers: h })],
      ['GraphQL fast path', (h) => http(`${gw.url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json', ...bearer(key), ...h }, body: JSON.stringify({ query }) })],
      ['GraphQL via yoga (GET)', (h) => http(`${gw.url}/graphql?query=${encodeURIComponent(query)}`, { headers: { ...bearer(key), ...h } })],
      ['GraphQL parse error (yoga)', (h) => http(`${gw.url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json', ...h }, body: '{"query":"{"}' })],
      ['GraphiQL page', (h) => http(`${gw.url}/graphql`, { headers: { accept: 'text/html', ...h } })],
      ['GraphiQL asset', (h) => http(`${gw.url}/graphiql/app.css`, { headers: h })],
      ['/healthz', (h) => http(`${gw.url}/healthz`, { headers: h })],
      ['/readyz', (h) => http(`${gw.url}/readyz`, { headers: h })],
      ['API description', (h) => http(`${gw.url}/api/v1/openapi.json`, { headers: h })],
      ['API reference', (h) => http(`${gw.url}/api/v1/docs`, { headers: h })],
      ['Domain Connect template 404', (h) => http(`${gw.url}/domain-connect/templates/none.json`, { headers: h })],
      ['404', (h) => http(`${gw.url}/no/such/path`, { headers: h })],
    ];
    for (const [label, send] of requests) {
      const given = await send({ 'x-request-id': `given-${label.replace(/[^A-Za-z0-9]/g, '-')}` });
      expect(given.headers['x-request-id'], label).toBe(`given-${label.replace(/[^A-Za-z0-9]/g, '-')}`);
      const made = await send({});
      expect(made.headers['x-request-id'], label).toMatch(UUID);
    }
  });
});

describe('log lines', () => {
  it('the access line carries the id', async () => {
    await http(`${gw.url}/healthz`, { headers: { 'x-request-id': 'access-1' } });
    expect(await accessLine('access-1')).toMatchObject({ msg: 'request', path: '/healthz', status: 200, requestId: 'access-1' });
  });

  it("a dns.set's warning (the SPF lookup count, the resolver being unreachable) and its access line carry the id", async () => {
    const reply = await postJson(gw, '/api/v1/dns.set', { Domain: 'reqid-warn.com', Provider: 'sandbox', ApiKey: 'any', RecordType: 'campaign', DryRun: true }, { ...bearer(gw.adminKey), 'x-request-id': 'set-warns' });
    expect(reply.status).toBe(200);
    expect(reply.json.warnings).toHaveLength(1);
    expect(linesOf('set-warns').find((l) => l.msg === 'SPF lookup count not established')).toMatchObject({ level: 40, name: 'reqid-warn.com' });
    await accessLine('set-warns');
    // Lines of other requests do not have it.
    expect(logged().filter((l) => l.msg === 'SPF lookup count not established' && l.requestId !== 'set-warns')).toEqual([]);
  });

  it("lines logged outside any request have no id: a request's logger is a child, never the service's own", async () => {
    await postJson(gw, '/api/v1/dns.set', { Domain: 'reqid-warn.com', Provider: 'sandbox', ApiKey: 'any', RecordType: 'campaign', DryRun: true }, bearer(gw.adminKey));
    gw.running.services.logger.warn({ loop: 'test' }, 'outside any request');
    expect(logged().find((l) => l.msg === 'outside any request')).not.toHaveProperty('requestId');
  });
});

describe('internal errors name the request', () => {
  const failedLine = (requestId: string, msg: string) => {
    const line = linesOf(requestId).find((l) => l.msg === msg);
    expect(line, `${msg} for ${requestId}`).toBeDefined();
    expect(JSON.stringify(line)).not.toContain('do-not-leak');
    return line!;
  };

  it('REST /api/v1: 500 with RequestID, and the error line has it', async () => {
    const reply = await postJson(gw, '/api/v1/dns.watches', {}, { ...bearer(gw.adminKey), 'x-request-id': 'rest-500' });
    expect(reply.status).toBe(500);
    expect(reply.json).toEqual({ Errors: [{ Code: 10, Message: 'Internal error' }], RequestID: 'rest-500' });
    expect(reply.text).not.toContain('do-not-leak');
    expect(failedLine('rest-500', 'REST request failed').level).toBe(50);
    expect(await accessLine('rest-500')).toMatchObject({ status: 500 });
  });

  it('a generated id is the one in the body, the header and the log', async () => {
    const reply = await postJson(gw, '/api/v1/dns.watches', {}, bearer(gw.adminKey));
    const id = reply.headers['x-request-id'] as string;
    expect(id).toMatch(UUID);
    expect(reply.json.RequestID).toBe(id);
    failedLine(id, 'REST request failed');
  });

  it('/api.php, JSON and XML', async () => {
    const json = await postForm(gw, '/api.php', { Command: 'dns.watches', APIKey: gw.adminKey }, { 'x-request-id': 'legacy-500' });
    expect(json.status).toBe(200);
    expect(json.json).toEqual({ Success: false, ErrorCode: [10], ErrorText: ['Internal error'], Errors: [{ Code: 10, Message: 'Internal error' }], RequestID: 'legacy-500' });
    failedLine('legacy-500', 'REST request failed');
    const xml = await postForm(gw, '/api.php', { Command: 'dns.watches', APIKey: gw.adminKey, ResponseFormat: 'XML' }, { 'x-request-id': 'legacy-xml' });
    expect(xml.text).toContain('<RequestID>legacy-xml</RequestID>');
  });

  it('GraphQL: the masked error has extensions.requestId, and the error line has it (fast path and yoga)', async () => {
    const query = '{ dnsWatches { domain } }';
    for (const [label, send] of [
      ['fast path', (id: string) => http(`${gw.url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json', ...bearer(gw.adminKey), 'x-request-id': id }, body: JSON.stringify({ query }) })],
      ['yoga', (id: string) => http(`${gw.url}/graphql?query=${encodeURIComponent(query)}`, { headers: { ...bearer(gw.adminKey), 'x-request-id': id } })],
    ] as const) {
      const id = `gql-500-${label.replace(' ', '-')}`;
      const reply = await send(id);
      expect(reply.json.errors, label).toEqual([
        { message: 'Unexpected error.', locations: [{ line: 1, column: 3 }], path: ['dnsWatches'], extensions: { code: 'INTERNAL_SERVER_ERROR', requestId: id } },
      ]);
      expect(reply.text).not.toContain('do-not-leak');
      failedLine(id, 'unexpected GraphQL error');
    }
  });

  it('GraphQL: the same with the graphql helper (no id given): the generated one', async () => {
    const reply = await graphql(gw, '{ dnsWatches { domain } }', {}, gw.adminKey);
    expect(reply.json.errors[0].extensions.requestId).toBe(reply.headers['x-request-id']);
  });
});
