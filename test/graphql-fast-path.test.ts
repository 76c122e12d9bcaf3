/**
 * The GraphQL fast path (src/graphql/fast-path.ts) must answer exactly as yoga does. A body sent with
 * Content-Length takes the fast path; the same body sent chunked (no Content-Length) goes through yoga's own
 * pipeline. Both answers are compared: status, JSON body, and the headers that matter. The comparison runs twice:
 * with the fast path's generic executor, and with every document compiled by graphql-jit from its first use
 * (use-compiled-execution.ts); yoga's own pipeline never runs compiled code.
 */
import { Readable } from 'node:stream';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { request } from 'undici';
import { print } from 'graphql';
import { compileQuery } from 'graphql-jit';
import { DnsChangesDocument, DnsProviderDocument, SetDnsRecordsDocument } from './graphql/generated/graphql.js';
import { startWorld, type World } from './helpers/world.js';

// graphql-jit as it is, with its compiler counted: how often the fast path compiles is its one observable choice.
vi.mock('graphql-jit', async (importOriginal) => {
  const original = await importOriginal<typeof import('graphql-jit')>();
  return { ...original, compileQuery: vi.fn(original.compileQuery) };
});

let world: World;
let gw: World['gateway'];
let weakKey: string;

async function startWith(compileAfter: string) {
  world = await startWorld({ GRAPHQL_COMPILE_AFTER: compileAfter });
  gw = world.gateway;
  weakKey = await gw.createKey({ permissions: ['Reports.Read'] });
}

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
  // Selection features that a compiled operation implements itself: aliases, fragments, a directive on a variable.
  [
    'aliases, a fragment and @include',
    () => ({
      query: `query Q($d: String!, $ns: Boolean!) {
        a: dnsProvider(domain: $d) { ...P }
        b: dnsProvider(domain: "obscure-host.com") { __typename ... on DnsError { code } }
      }
      fragment P on DnsProviderResult { __typename ... on DnsProviderDetection { provider nameservers @include(if: $ns) } }`,
      variables: { d: 'example.com', ns: false },
    }),
    () => ({ authorization: `Bearer ${gw.adminKey}` }),
  ],
  // Two mutation fields run one after the other; a list of journal entries (empty, nullable fields) after them.
  [
    'two mutations in one operation',
    () => ({
      query: `mutation M($i: SetDnsRecordsInput!) {
        first: setDnsRecords(input: $i) { __typename ... on SetDnsRecordsSuccess { applied changes { action name previous } } }
        second: setDnsRecords(input: $i) { __typename ... on SetDnsRecordsSuccess { applied } }
      }`,
      variables: { i: { domain: 'twice.com', provider: 'SANDBOX', recordType: 'CAMPAIGN', credentials: { apiKey: 'x' }, dryRun: true } },
    }),
    () => ({ authorization: `Bearer ${gw.adminKey}` }),
  ],
  ['a journal list', () => ({ query: print(DnsChangesDocument), variables: { domain: 'journal.com' } }), () => ({ authorization: `Bearer ${gw.adminKey}` })],
  ['an unknown operation name', () => ({ query: print(DnsProviderDocument), operationName: 'Other', variables: { domain: 'example.com' } } as never), () => ({ authorization: `Bearer ${gw.adminKey}` })],
];

describe.each([
  ['the generic executor', '0'],
  ['operations compiled on first use', '1'],
])('fast path ≡ yoga, %s', (_executor, compileAfter) => {
  beforeAll(async () => {
    await startWith(compileAfter);
    // One applied change, so that the journal list below has entries to show.
    const input = { domain: 'journal.com', provider: 'SANDBOX', recordType: 'CAMPAIGN', credentials: { apiKey: 'x' } };
    const applied = await post(JSON.stringify({ query: print(SetDnsRecordsDocument), variables: { input } }), { authorization: `Bearer ${gw.adminKey}` }, false);
    expect(applied.json.data.setDnsRecords.applied).toBe(true);
  });
  afterAll(() => world.close());

  it.each(cases)('%s', async (_label, body, headers) => {
    const text = JSON.stringify(body());
    // Twice on the fast path: the second run of a compiled document must answer as the first.
    for (let run = 0; run < 2; run++) {
      const fast = await post(text, headers(), false);
      const slow = await post(text, headers(), true);
      expect(fast.status).toBe(slow.status);
      expect(fast.json).toEqual(slow.json);
      expect(fast.headers['content-type']).toMatch(/^application\/json/);
      for (const header of ['ratelimit-limit', 'retry-after']) expect(header in fast.headers, header).toBe(header in slow.headers);
    }
  });

  it('answers an oversized body with 413 like yoga', async () => {
    const text = JSON.stringify({ query: `{ __typename }`, padding: 'x'.repeat(1_100_000) });
    const fast = await post(text, { authorization: `Bearer ${gw.adminKey}` }, false);
    expect(fast.status).toBe(413);
    expect(fast.json.errors[0].extensions.errorCode).toBe(100001);
  });
});

describe('when the fast path compiles', () => {
  const compiles = vi.mocked(compileQuery);
  const uses = async (query: string, times: number) => {
    for (let i = 0; i < times; i++) {
      const reply = await post(JSON.stringify({ query }), { authorization: `Bearer ${gw.adminKey}` }, false);
      expect(reply.json).toEqual({ data: { __typename: 'Query' } });
    }
  };
  beforeEach(() => {
    compiles.mockClear();
  });
  afterAll(() => world.close());

  it('compiles a document once, on its GRAPHQL_COMPILE_AFTER-th use', async () => {
    await startWith('3');
    await uses('query A { __typename }', 2);
    expect(compiles).not.toHaveBeenCalled();
    await uses('query A { __typename }', 1);
    expect(compiles).toHaveBeenCalledTimes(1);
    await uses('query A { __typename }', 5);
    expect(compiles).toHaveBeenCalledTimes(1);
    // Uses are counted per document: another one starts from nothing.
    await uses('query B { __typename }', 2);
    expect(compiles).toHaveBeenCalledTimes(1);
  });

  it('keeps at most 100 compiled documents: the oldest is dropped and counts its uses again', async () => {
    await world.close();
    await startWith('1');
    const documents = Array.from({ length: 101 }, (_, i) => `query Q${i} { __typename }`);
    for (const query of documents) await uses(query, 1);
    expect(compiles).toHaveBeenCalledTimes(101);
    await uses(documents[100]!, 1);
    expect(compiles).toHaveBeenCalledTimes(101);
    await uses(documents[0]!, 1);
    expect(compiles).toHaveBeenCalledTimes(102);
  });

  it('never compiles with GRAPHQL_COMPILE_AFTER=0', async () => {
    await world.close();
    await startWith('0');
    await uses('query A { __typename }', 5);
    expect(compiles).not.toHaveBeenCalled();
  });
});
