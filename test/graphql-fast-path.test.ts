/**
 * The GraphQL fast path (src/graphql/fast-path.ts) must answer exactly as yoga does. A body sent with
 * Content-Length takes the fast path; the same body sent chunked (no Content-Length) goes through yoga's own
 * pipeline. Both answers are compared: status, JSON body, and the headers that matter.
 */
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request } from 'undici';
import { print } from 'graphql';
import { DnsProviderDocument, SetDnsRecordsDocument } from './graphql/generated/graphql.js';
import { startWorld, type World } from './helpers/world.js';

let world: World;
let gw: World['gateway'];
let weakKey: string;

beforeAll(async () => {
  world = await startWorld();
  gw = world.gateway;
  weakKey = await gw.createKey({ permissions: ['Reports.Read'] });
});
afterAll(() => world.close());

async function post(body: string, headers: Record<string, string>, chunked: boolean) {
  const reply = await request(`${gw.url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    // A stream body has no known length, so undici sends it chunked.
    body: chunked ? Readable.from([Buffer.from(body)]) : body,
  });
  const text = await reply.body.text();
  return { status: reply.statusCode, json: JSON.parse(text), headers: reply.headers };
}

const cases: [string, () => { query: string; variables?: unknown }, () => Record<string, string>][] = [
  ['a detection', () => ({ query: print(DnsProviderDocument), variables: { domain: 'example.com' } }), () => ({ authorization: `Bearer ${gw.adminKey}` })],
  ['a DnsError', () => ({ query: print(DnsProviderDocument), variables: { domain: 'obscure-host.com' } }), () => ({ authorization: `Bearer ${gw.adminKey}` })],
  ['a dry-run plan', () => ({ query: print(SetDnsRecordsDocument), variables: { input: { domain: 'fast.com', provider: 'SANDBOX', recordType: 'CAMPAIGN', credentials: { apiKey: 'x' }, dryRun: true } } }), () => ({ authorization: `Bearer ${gw.adminKey}` })],
  ['no key (401)', () => ({ query: print(DnsProviderDocument), variables: { domain: 'example.com' } }), () => ({})],
  ['a weak key (403)', () => ({ query: print(DnsProviderDocument), variables: { domain: 'example.com' } }), () => ({ authorization: `Bearer ${weakKey}` })],
  ['a syntax error', () => ({ query: '{ dnsProvider(' }), () => ({ authorization: `Bearer ${gw.adminKey}` })],
  ['a validation error', () => ({ query: '{ nope }' }), () => ({ authorization: `Bearer ${gw.adminKey}` })],
  ['a wrong variable type', () => ({ query: print(DnsProviderDocument), variables: { domain: 42 } }), () => ({ authorization: `Bearer ${gw.adminKey}` })],
  ['an unknown operation name', () => ({ query: print(DnsProviderDocument), operationName: 'Other', variables: { domain: 'example.com' } } as never), () => ({ authorization: `Bearer ${gw.adminKey}` })],
];

describe('fast path ≡ yoga', () => {
  it.each(cases)('%s', async (_label, body, headers) => {
    const text = JSON.stringify(body());
    const fast = await post(text, headers(), false);
    const slow = await post(text, headers(), true);
    expect(fast.status).toBe(slow.status);
    expect(fast.json).toEqual(slow.json);
    expect(fast.headers['content-type']).toMatch(/^application\/json/);
    for (const header of ['ratelimit-limit', 'retry-after']) expect(header in fast.headers, header).toBe(header in slow.headers);
  });

  it('answers an oversized body with 413 like yoga', async () => {
    const text = JSON.stringify({ query: `{ __typename }`, padding: 'x'.repeat(1_100_000) });
    const fast = await post(text, { authorization: `Bearer ${gw.adminKey}` }, false);
    expect(fast.status).toBe(413);
    expect(fast.json.errors[0].extensions.errorCode).toBe(100001);
  });
});
