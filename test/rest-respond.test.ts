import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { XMLParser } from 'fast-xml-parser';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppError, errorItem } from '../src/errors.js';
import {
  errorReply,
  legacyErrorBody,
  legacySuccessBody,
  responseFormat,
  sendReply,
  statusFor,
  successReply,
  toXml,
  v1ErrorBody,
  v1SuccessBody,
  type Reply,
} from '../src/rest/respond.js';

/** Parses our XML back the way a client would, keeping every text as a string. */
const xmlParser = new XMLParser({ parseTagValue: false, ignoreDeclaration: true });
const parseXml = (xml: string) => xmlParser.parse(xml) as { response: Record<string, unknown> };

const missingDomainAndProvider = () => new AppError([errorItem('PROVIDER_MISSING'), errorItem('DOMAIN_MISSING')]);

describe('statusFor', () => {
  it('uses the catalogue status on v1, for handler and hard errors alike', () => {
    expect(statusFor(AppError.of('DOMAIN_MISSING'), 'v1')).toBe(400);
    expect(statusFor(AppError.of('AUTHENTICATION_FAILED'), 'v1')).toBe(401);
    expect(statusFor(AppError.of('SET_ERROR'), 'v1')).toBe(502);
    expect(statusFor(AppError.of('INVALID_COMMAND'), 'v1')).toBe(400);
  });

  it('answers handler errors with 200 on /api.php and keeps the status of hard failures', () => {
    expect(statusFor(AppError.of('DOMAIN_MISSING'), 'legacy')).toBe(200);
    expect(statusFor(AppError.of('AUTHENTICATION_FAILED'), 'legacy')).toBe(200);
    expect(statusFor(AppError.of('SET_ERROR'), 'legacy')).toBe(200);
    expect(statusFor(AppError.of('INVALID_JSON'), 'legacy')).toBe(400);
    expect(statusFor(AppError.of('BODY_TOO_LARGE'), 'legacy')).toBe(413);
    expect(statusFor(AppError.of('INVALID_COMMAND'), 'legacy')).toBe(400);
    expect(statusFor(AppError.of('RATE_LIMITED'), 'legacy')).toBe(429);
  });
});

describe('bodies', () => {
  it('v1 success is the payload as is', () => {
    expect(v1SuccessBody({ provider: 'cloudflare' })).toEqual({ provider: 'cloudflare' });
    expect(v1SuccessBody({ success: true })).toEqual({ success: true });
  });

  it('v1 error lists every item by code, then the extra fields', () => {
    const error = missingDomainAndProvider();
    expect(v1ErrorBody(error)).toEqual({
      Errors: [
        { Code: 1, Message: 'Missing domain parameter' },
        { Code: 3, Message: 'Missing provider' },
      ],
    });
    const limited = AppError.of('RATE_LIMITED', undefined, { extra: { RetryAfter: 12 } });
    expect(JSON.stringify(v1ErrorBody(limited))).toBe('{"Errors":[{"Code":429,"Message":"Rate limit exceeded"}],"RetryAfter":12}');
  });

  it('extra fields cannot replace the envelope', () => {
    const error = AppError.of('DOMAIN_MISSING', undefined, { extra: { Errors: 'forged', Success: true } });
    expect(v1ErrorBody(error)['Errors']).toEqual([{ Code: 1, Message: 'Missing domain parameter' }]);
    expect(legacyErrorBody(error)['Success']).toBe(false);
  });

  it('legacy success puts the flags first and the payload beside them, never over them', () => {
    expect(JSON.stringify(legacySuccessBody({ provider: 'cloudflare' }))).toBe(
      '{"Success":true,"ErrorCode":0,"ErrorText":"","provider":"cloudflare"}',
    );
    expect(legacySuccessBody({ Success: false, ErrorCode: 7 })).toMatchObject({ Success: true, ErrorCode: 0 });
  });

  it('legacy handler errors carry arrays of codes and texts plus the v1 Errors', () => {
    expect(legacyErrorBody(missingDomainAndProvider())).toEqual({
      Success: false,
      ErrorCode: [1, 3],
      ErrorText: ['Missing domain parameter', 'Missing provider'],
      Errors: [
        { Code: 1, Message: 'Missing domain parameter' },
        { Code: 3, Message: 'Missing provider' },
      ],
    });
    // One handler error is still an array: "arrays, not scalars, on most endpoints".
    expect(legacyErrorBody(AppError.of('PROVIDER_UNDETERMINED'))['ErrorCode']).toEqual([2]);
  });

  it('legacy hard failures carry scalars, as the documented hard-failure example does', () => {
    expect(legacyErrorBody(AppError.of('INVALID_COMMAND', '"nope" not found.'))).toEqual({
      Success: false,
      ErrorCode: 100003,
      ErrorText: 'Invalid API command: "nope" not found.',
      Errors: [{ Code: 100003, Message: 'Invalid API command: "nope" not found.' }],
    });
  });
});

describe('responseFormat', () => {
  it('selects XML only for exactly "XML"', () => {
    expect(responseFormat('XML')).toBe('xml');
    for (const other of ['xml', 'Xml', 'JSON', ' XML', '', undefined, ['XML'], true]) {
      expect(responseFormat(other)).toBe('json');
    }
  });
});

describe('replies', () => {
  it('never answers v1 in XML', () => {
    expect(successReply({ success: true }, 'v1', 'xml').format).toBe('json');
    expect(errorReply(AppError.of('DOMAIN_MISSING'), 'v1', 'xml').format).toBe('json');
  });

  it('answers 100000 in JSON even when XML was asked for, other hard failures in XML', () => {
    expect(errorReply(AppError.of('INVALID_JSON'), 'legacy', 'xml')).toMatchObject({ status: 400, format: 'json' });
    expect(errorReply(AppError.of('INVALID_COMMAND'), 'legacy', 'xml')).toMatchObject({ status: 400, format: 'xml' });
  });

  it('adds Retry-After for the rate limit and closes the connection after 413', () => {
    const limited = errorReply(AppError.of('RATE_LIMITED', undefined, { extra: { RetryAfter: 11.2 } }), 'legacy');
    expect(limited).toMatchObject({ status: 429, headers: { 'retry-after': '12' } });
    expect(limited.body['RetryAfter']).toBe(11.2);
    expect(errorReply(AppError.of('BODY_TOO_LARGE'), 'v1').headers).toEqual({ connection: 'close' });
    expect(errorReply(AppError.of('DOMAIN_MISSING'), 'v1').headers).toEqual({});
  });
});

describe('toXml', () => {
  it('writes the legacy success envelope in Octeth element form', () => {
    const xml = toXml(legacySuccessBody({ provider: 'cloudflare' }));
    expect(xml).toBe(
      '<?xml version="1.0" encoding="utf-8"?><response><Success>true</Success><ErrorCode>0</ErrorCode>' +
        '<ErrorText></ErrorText><provider>cloudflare</provider></response>',
    );
  });

  it('writes arrays as node_N children and parses back to the same data', () => {
    const xml = toXml(legacyErrorBody(missingDomainAndProvider()));
    expect(xml).toContain('<ErrorCode><node_0>1</node_0><node_1>3</node_1></ErrorCode>');
    expect(parseXml(xml).response).toEqual({
      Success: 'false',
      ErrorCode: { node_0: '1', node_1: '3' },
      ErrorText: { node_0: 'Missing domain parameter', node_1: 'Missing provider' },
      Errors: {
        node_0: { Code: '1', Message: 'Missing domain parameter' },
        node_1: { Code: '3', Message: 'Missing provider' },
      },
    });
  });

  it('escapes markup characters so they round-trip as text', () => {
    const nasty = `</ErrorText><Success>true</Success> & "quotes" 'apos' <!-- x --> ]]>`;
    const xml = toXml(legacyErrorBody(AppError.of('SET_FAILED', nasty)));
    expect(xml).not.toContain('<Success>true</Success> &');
    const parsed = parseXml(xml).response;
    expect(parsed['Success']).toBe('false');
    const text = (parsed['ErrorText'] as Record<string, string>)['node_0'];
    expect(text).toBe(`Failed to set DNS records: ${nasty}`);
  });

  it('replaces characters XML cannot carry, and keeps other Unicode', () => {
    const xml = toXml({ Note: 'a\u0000b\u0007c\uD800d é 日本 😀\tx' });
    expect(parseXml(xml).response['Note']).toBe('a\uFFFDb\uFFFDc\uFFFDd é 日本 😀\tx');
  });

  it('turns keys that are not XML names into element names without losing either of two clashing keys', () => {
    const xml = toXml({ 'a b': 1, a_b: 2, '1st': 3, '#text': 4, '@_attr': 5, '?xml': 6 });
    expect(parseXml(xml).response).toEqual({ a_b: '1', a_b_2: '2', _1st: '3', _text: '4', __attr: '5', _xml: '6' });
  });

  it('shows nested objects and nulls the way JSON would', () => {
    const xml = toXml({ UserInfo: { UserID: 7, Tags: [] }, Nothing: null, Skipped: undefined });
    expect(xml).toContain('<UserInfo><UserID>7</UserID><Tags></Tags></UserInfo><Nothing></Nothing>');
    expect(xml).not.toContain('Skipped');
  });
});

describe('send over HTTP', () => {
  let server: Server;
  let base: string;
  let nextReply: Reply;

  beforeAll(async () => {
    server = createServer((_req, res: ServerResponse) => sendReply(res, nextReply));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  async function fetchReply(reply: Reply) {
    nextReply = reply;
    const res = await request(`${base}/api.php`);
    const bytes = Buffer.from(await res.body.arrayBuffer());
    return { status: res.statusCode, headers: res.headers, bytes, text: bytes.toString('utf8') };
  }

  it('writes JSON with its content type and the byte length of multi-byte text', async () => {
    const r = await fetchReply(successReply({ provider: 'cloudflare', note: 'été 日本 😀' }, 'legacy'));
    expect(r.status).toBe(200);
    expect(r.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(Number(r.headers['content-length'])).toBe(r.bytes.length);
    expect(r.bytes.length).toBeGreaterThan(r.text.length);
    expect(JSON.parse(r.text)).toEqual({ Success: true, ErrorCode: 0, ErrorText: '', provider: 'cloudflare', note: 'été 日本 😀' });
    expect(r.headers['cache-control']).toBe('no-store');
  });

  it('writes a legacy handler error as XML with HTTP 200', async () => {
    const r = await fetchReply(errorReply(AppError.of('PROVIDER_UNDETERMINED'), 'legacy', 'xml'));
    expect(r.status).toBe(200);
    expect(r.headers['content-type']).toBe('text/xml; charset=utf-8');
    expect(Number(r.headers['content-length'])).toBe(r.bytes.length);
    expect(parseXml(r.text).response).toMatchObject({
      Success: 'false',
      ErrorCode: { node_0: '2' },
      Errors: { node_0: { Code: '2', Message: 'Unable to determine DNS provider for this domain' } },
    });
  });

  it('writes a v1 rate-limit error with its status, Retry-After header and RetryAfter field', async () => {
    const r = await fetchReply(errorReply(AppError.of('RATE_LIMITED', undefined, { extra: { RetryAfter: 12 } }), 'v1', 'xml'));
    expect(r.status).toBe(429);
    expect(r.headers['retry-after']).toBe('12');
    expect(r.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(JSON.parse(r.text)).toEqual({ Errors: [{ Code: 429, Message: 'Rate limit exceeded' }], RetryAfter: 12 });
  });
});
