import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { FormData, request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isAppError } from '../src/errors.js';
import { flag, param, parseUrlencoded, readParams, type RawParams } from '../src/rest/params.js';

const MAX_BODY_BYTES = 4096;

/** What the server saw for the last request that failed, to check how much of the body it read. */
let lastFailure: { bytesRead: number } | undefined;

let server: Server;
let base: string;

beforeAll(async () => {
  server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    Promise.resolve().then(() => readParams(req, url, { maxBodyBytes: MAX_BODY_BYTES, maxMultipartFields: 5 })).then(
      (params) => answer(res, 200, { params: Object.fromEntries(params), types: typesOf(params) }),
      (error: unknown) => {
        lastFailure = { bytesRead: req.socket.bytesRead };
        if (!isAppError(error)) return answer(res, 500, { unexpected: String(error) });
        // Closing is what the real server does for 413: the unread body must not be parsed as a next request.
        answer(res, error.httpStatus, { code: error.primary.code, message: error.primary.message }, error.httpStatus === 413);
      },
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

function answer(res: import('node:http').ServerResponse, status: number, body: unknown, close = false) {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
    ...(close ? { connection: 'close' } : {}),
  });
  res.end(text);
}

function typesOf(params: RawParams): Record<string, string> {
  const types: Record<string, string> = {};
  for (const [name, value] of params) types[name] = Array.isArray(value) ? 'array' : value === null ? 'null' : typeof value;
  return types;
}

interface Parsed {
  status: number;
  params: Record<string, unknown>;
  types: Record<string, string>;
  code?: number;
}

async function call(path: string, init: { method?: string; body?: unknown; headers?: Record<string, string> } = {}): Promise<Parsed> {
  const res = await request(`${base}${path}`, {
    method: (init.method ?? (init.body === undefined ? 'GET' : 'POST')) as 'GET',
    body: init.body as string | undefined,
    headers: init.headers,
  });
  const json = (await res.body.json()) as Omit<Parsed, 'status'>;
  return { status: res.statusCode, ...json };
}

const json = (body: string, type = 'application/json') => ({ body, headers: { 'content-type': type } });
const form = (body: string) => ({ body, headers: { 'content-type': 'application/x-www-form-urlencoded' } });

describe('readParams: what each content type yields', () => {
  it('reads a query-only GET', async () => {
    const r = await call('/api/v1/dns.provider?Domain=example.com&Command=dns.provider');
    expect(r.status).toBe(200);
    expect(r.params).toEqual({ Domain: 'example.com', Command: 'dns.provider' });
  });

  it('keeps the last value of a repeated query name, as PHP does', async () => {
    const r = await call('/api.php?Domain=first.example&Domain=last.example');
    expect(r.params).toEqual({ Domain: 'last.example' });
  });

  it('keeps JSON types: booleans, numbers, null, arrays and objects are not stringified', async () => {
    const r = await call(
      '/api/v1/dns.set',
      json(JSON.stringify({ Domain: 'example.com', Force: true, Ttl: 300, Note: null, Tags: ['a'], Obj: { x: 1 } })),
    );
    expect(r.status).toBe(200);
    expect(r.params).toEqual({ Domain: 'example.com', Force: true, Ttl: 300, Note: null, Tags: ['a'], Obj: { x: 1 } });
    expect(r.types).toEqual({ Domain: 'string', Force: 'boolean', Ttl: 'number', Note: 'null', Tags: 'array', Obj: 'object' });
  });

  it('accepts +json media types, a charset parameter and a UTF-8 BOM', async () => {
    const vnd = await call('/x', json('{"Domain":"a.example"}', 'application/vnd.api+json'));
    expect(vnd.params).toEqual({ Domain: 'a.example' });
    const charset = await call('/x', json('\uFEFF{"Domain":"b.example"}', 'Application/JSON; Charset="UTF-8"'));
    expect(charset.params).toEqual({ Domain: 'b.example' });
  });

  it('treats a "__proto__" JSON key as plain data', async () => {
    const r = await call('/x', json('{"__proto__":{"polluted":true},"Domain":"example.com"}'));
    expect(r.status).toBe(200);
    expect(r.params['Domain']).toBe('example.com');
    expect(Object.hasOwn(r.params, '__proto__')).toBe(true);
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
  });

  it('decodes form bodies: + is a space, %2B is a plus, UTF-8 both percent-encoded and raw', async () => {
    const r = await call('/x', form('Note=a+b%2Bc&Name=%C3%A9t%C3%A9&Raw=日本&Empty='));
    expect(r.params).toEqual({ Note: 'a b+c', Name: 'été', Raw: '日本', Empty: '' });
  });

  it('reads multipart fields and ignores file parts', async () => {
    const body = new FormData();
    body.append('Command', 'dns.set');
    body.append('Name', 'Zoë & co');
    body.append('Upload', new Blob(['x'.repeat(100)], { type: 'text/plain' }), 'zone.txt');
    body.append('Domain', 'example.com');
    const r = await call('/x', { body });
    expect(r.status).toBe(200);
    expect(r.params).toEqual({ Command: 'dns.set', Name: 'Zoë & co', Domain: 'example.com' });
  });

  it('lets a body value beat a query value of the same name, for every body type', async () => {
    const fromJson = await call('/x?Domain=query.example&Other=q', json('{"Domain":"body.example"}'));
    expect(fromJson.params).toEqual({ Domain: 'body.example', Other: 'q' });
    const fromForm = await call('/x?Domain=query.example', form('Domain=body.example'));
    expect(fromForm.params).toEqual({ Domain: 'body.example' });
    const multipart = new FormData();
    multipart.append('Domain', 'body.example');
    const fromMultipart = await call('/x?Domain=query.example', { body: multipart });
    expect(fromMultipart.params).toEqual({ Domain: 'body.example' });
  });

  it('accepts an empty body of any type (text/plain, none, even an unsupported one) and keeps the query', async () => {
    const variants: Record<string, string>[] = [{ 'content-type': 'text/plain' }, {}, { 'content-type': 'application/xml' }, { 'content-type': 'application/json' }];
    for (const headers of variants) {
      const r = await call('/x?Domain=example.com', { method: 'POST', body: '', headers });
      expect(r.status, JSON.stringify(headers)).toBe(200);
      expect(r.params).toEqual({ Domain: 'example.com' });
    }
  });

  it('round-trips any string through a form body (property)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.string({ unit: 'grapheme', maxLength: 40 }), fc.string({ unit: 'grapheme', minLength: 1, maxLength: 10 }), async (value, name) => {
        const r = await call('/x', form(new URLSearchParams({ [name]: value }).toString()));
        expect(r.params).toEqual({ [name]: value });
      }),
      { numRuns: 25 },
    );
  });
});

describe('parseUrlencoded: a query or form body read as URLSearchParams reads it', () => {
  const viaUrlSearchParams = (text: string): [string, unknown][] => {
    const params: RawParams = new Map();
    for (const [name, value] of new URLSearchParams(text)) params.set(name, value);
    return [...params];
  };
  const parsed = (text: string): [string, unknown][] => {
    const params: RawParams = new Map();
    parseUrlencoded(text, params);
    return [...params];
  };

  it('splits plain text itself: empty sequences, names without =, a second =, a leading ?, repeated names', () => {
    for (const text of ['', '?', '?a=1', 'a=1&&b=2&', 'flag&x=', '=v', 'a=b=c', 'a=1&b=2&a=3', '??a=1', 'é=ü&ß']) {
      expect(parsed(text), text).toEqual(viaUrlSearchParams(text));
    }
  });

  it('agrees with URLSearchParams on any text, escapes and plus signs included (property)', () => {
    // Mostly the characters that matter to the split and the decoding, so that they meet often.
    const piece = fc.oneof(fc.constantFrom('&', '=', '?', '+', '%', '%2', '%20', '%zz', '%C3%A9', '%ff', 'a', 'B', '-', '_', '.'), fc.string({ unit: 'grapheme', maxLength: 3 }));
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 30 }), (pieces) => {
        const text = pieces.join('');
        expect(parsed(text)).toEqual(viaUrlSearchParams(text));
      }),
      { numRuns: 2000 },
    );
  });
});

describe('readParams: refusals', () => {
  it.each([
    ['not JSON', '{"Domain":'],
    ['a JSON array', '[{"Domain":"example.com"}]'],
    ['JSON null', 'null'],
    ['a JSON string', '"example.com"'],
    ['whitespace only', '   '],
  ])('refuses %s with 100000 / HTTP 400', async (_label, body) => {
    const r = await call('/x', json(body));
    expect(r.status).toBe(400);
    expect(r.code).toBe(100000);
  });

  it('refuses malformed UTF-8 in a JSON body with 100000', async () => {
    const body = Buffer.concat([Buffer.from('{"Domain":"'), Buffer.from([0xc3, 0x28]), Buffer.from('"}')]);
    const r = await call('/x', { body, headers: { 'content-type': 'application/json' } });
    expect(r.code).toBe(100000);
  });

  it.each([
    ['text/plain', 'Domain=example.com'],
    ['application/xml', '<Domain>example.com</Domain>'],
    ['application/json; charset=iso-8859-1', '{"Domain":"example.com"}'],
  ])('refuses a non-empty %s body with 100002 / HTTP 415', async (type, body) => {
    const r = await call('/x', json(body, type));
    expect(r.status).toBe(415);
    expect(r.code).toBe(100002);
  });

  it('refuses a non-empty body without a content type with 100002', async () => {
    const r = await call('/x', { method: 'POST', body: Buffer.from('Domain=example.com') });
    expect(r.status).toBe(415);
  });

  it('refuses a compressed body with 100002 rather than parsing gzip bytes', async () => {
    const body = gzipSync('{"Domain":"example.com"}');
    const r = await call('/x', { body, headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' } });
    expect(r.code).toBe(100002);
  });

  it('refuses malformed multipart with 100002 and too many multipart fields with 100001', async () => {
    const broken = await call('/x', {
      body: '--xyz\r\nContent-Disposition: form-data; name="Domain"\r\n\r\nexample.com',
      headers: { 'content-type': 'multipart/form-data; boundary=xyz' },
    });
    expect(broken.code).toBe(100002);
    const noBoundary = await call('/x', { body: 'abc', headers: { 'content-type': 'multipart/form-data' } });
    expect(noBoundary.code).toBe(100002);

    const many = new FormData();
    for (let i = 0; i < 6; i++) many.append(`F${i}`, 'v');
    const tooMany = await call('/x', { body: many });
    expect(tooMany.code).toBe(100001);
  });

  it('answers 413 from the declared length without waiting for the body', async () => {
    // The client declares 8 MiB but sends only a few bytes and then stalls: only a server that decides from the
    // content-length header answers; one that waits for the body to pass the limit would hang here.
    let release!: () => void;
    const stalled = new Promise<void>((resolve) => (release = resolve));
    const body = Readable.from((async function* () {
      yield Buffer.from('{"Domain":"');
      await stalled;
    })());
    const answered = call('/x', { body, headers: { 'content-type': 'application/json', 'content-length': String(8 * 1024 * 1024) } });
    const timeout = new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), 3000).unref());
    const r = await Promise.race([answered, timeout]);
    release();
    body.destroy();
    expect(r).not.toBe('timeout');
    expect(r).toMatchObject({ status: 413, code: 100001 });
  });

  it('answers 413 for a chunked body once the limit passes, leaving the rest unread', async () => {
    const chunk = Buffer.alloc(64 * 1024, 0x61);
    const chunks = 128; // 8 MiB, no content-length
    const body = Readable.from((function* () {
      for (let i = 0; i < chunks; i++) yield chunk;
    })());
    const r = await call('/x', { body, headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    expect(r.status).toBe(413);
    expect(lastFailure!.bytesRead).toBeLessThan(1024 * 1024);
  });

  it('still serves the next request after a 413 (the server was not broken)', async () => {
    await call('/x', json('x'.repeat(MAX_BODY_BYTES + 1)));
    const r = await call('/x?Domain=example.com');
    expect(r).toMatchObject({ status: 200, params: { Domain: 'example.com' } });
  });

  it('accepts a body of exactly the limit', async () => {
    const padding = 'x'.repeat(MAX_BODY_BYTES - '{"P":""}'.length);
    const r = await call('/x', json(`{"P":"${padding}"}`));
    expect(r.status).toBe(200);
  });
});

describe('param', () => {
  const raw: RawParams = new Map<string, unknown>([
    ['APIKey', 'caller-key'],
    ['ApiKey', 'provider-key'],
    ['Empty', ''],
  ]);

  it('keeps APIKey and ApiKey apart: names are case-sensitive', () => {
    expect(param(raw, 'APIKey')).toBe('caller-key');
    expect(param(raw, 'ApiKey')).toBe('provider-key');
    expect(param(raw, 'apikey')).toBeUndefined();
    expect(param(raw, 'APIKEY')).toBeUndefined();
  });

  it('returns the first present name, counting an empty value as present', () => {
    expect(param(raw, 'Missing', 'ApiKey', 'APIKey')).toBe('provider-key');
    expect(param(raw, 'Empty', 'APIKey')).toBe('');
    expect(param(raw, 'Missing', 'AlsoMissing')).toBeUndefined();
    expect(param(raw)).toBeUndefined();
  });
});

describe('flag', () => {
  it.each([
    ['true', true],
    ['TRUE', true],
    ['True', true],
    ['1', true],
    ['false', false],
    ['FaLsE', false],
    ['0', false],
    [true, true],
    [false, false],
  ])('reads %j as %j', (value, expected) => {
    expect(flag(value)).toBe(expected);
  });

  it.each([[undefined], [null], ['']])('reads %j as absent', (value) => {
    expect(flag(value)).toBeUndefined();
  });

  it.each([['yes'], ['2'], [' true'], [1], [0], [['true']], [{}]])('reads %j as invalid', (value) => {
    expect(flag(value)).toBe('invalid');
  });
});
