/**
 * The GraphQL fast path (src/graphql/fast-path.ts) must answer exactly as yoga does. A body sent with
 * Content-Length takes the fast path; the same body sent chunked (no Content-Length) goes through yoga's own
 * pipeline. Both answers are compared: status, body (byte for byte), and every header but the date and the budget
 * left (each request draws from it). The comparison runs twice: with documents run through yoga's envelop plugin
 * stack (never compiled), and with every document compiled by graphql-jit from its first use, which the fast path
 * then runs without envelop (its context, error masking, status and headers done by the fast path itself); yoga's
 * own pipeline never runs compiled code. The cases cover what yoga's plugins do on the way: error masking,
 * graphql-armor's limits, CSRF refusal, authentication and rate-limit errors with their status and headers,
 * variables that do not coerce.
 */
import { Readable } from 'node:stream';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
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

/** Sent with both requests of a comparison: each path must answer it, and a masked error carries it in its body. */
const REQUEST_ID = 'fast-path-equivalence';

async function post(body: string, headers: Record<string, string>, chunked: boolean) {
  const reply = await request(`${gw.url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-request-id': REQUEST_ID, ...headers },
    // A stream body has no known length, so undici sends it chunked.
    body: chunked ? Readable.from([Buffer.from(body)]) : body,
  });
  const text = await reply.body.text();
  return { status: reply.statusCode, text, json: JSON.parse(text), headers: reply.headers };
}

/** Headers that may differ between two answers that are the same: when they were sent, and the budget left. */
const VARYING_HEADERS = new Set(['date', 'ratelimit-remaining']);

function expectSameAnswer(fast: Awaited<ReturnType<typeof post>>, slow: Awaited<ReturnType<typeof post>>) {
  expect(fast.status).toBe(slow.status);
  expect(fast.json).toEqual(slow.json);
  expect(fast.text).toBe(slow.text);
  expect(Object.keys(fast.headers).sort()).toEqual(Object.keys(slow.headers).sort());
  for (const [name, value] of Object.entries(slow.headers)) if (!VARYING_HEADERS.has(name)) expect(fast.headers[name], name).toBe(value);
  expect(fast.headers['content-type']).toMatch(/^application\/json/);
  expect(fast.headers['x-request-id']).toBe(REQUEST_ID);
}

const services = () => gw.running.services;
const adminAuth = () => ({ authorization: `Bearer ${gw.adminKey}` });
const dnsProviderOf = (domain: string) => () => ({ query: print(DnsProviderDocument), variables: { domain } });
const dryRunOf = (input: Record<string, unknown>) => () => ({ query: print(SetDnsRecordsDocument), variables: { input: { domain: 'fast.com', provider: 'SANDBOX', recordType: 'CAMPAIGN', credentials: { apiKey: 'x' }, dryRun: true, ...input } } });

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
  // Variables that do not coerce: graphql-jit reports them in its own words, so the fast path hands them to yoga.
  ['a missing variable', () => ({ query: print(DnsProviderDocument), variables: {} }), adminAuth],
  ['an input field of the wrong type', dryRunOf({ dryRun: 'yes' }), adminAuth],
  ['an enum value that does not exist', dryRunOf({ provider: 'NOPE' }), adminAuth],
  ['an unknown input field', dryRunOf({ colour: 'blue' }), adminAuth],
  // graphql-armor's limits: at parse time (tokens) and at validation time (aliases, cost).
  ['too many tokens', () => ({ query: `{ ${'__typename '.repeat(2001)}}` }), adminAuth],
  ['too many aliases', () => ({ query: `{ ${Array.from({ length: 21 }, (_, i) => `a${i}: dnsChanges(domain: "x") { id }`).join(' ')} }` }), adminAuth],
  ['too costly', () => ({ query: `{ ${'dnsChanges(domain: "x") { id changes { name type content } } '.repeat(100)}}` }), adminAuth],
];

/**
 * Failures that need a service to misbehave, set up for the fast request and the yoga one alike (and undone after):
 * an unexpected error (masked), the budget spent (429 with Retry-After), authentication throttled (429).
 */
const failures: [string, () => { query: string; variables?: unknown }, () => void][] = [
  [
    'an unexpected error in a resolver is masked',
    dnsProviderOf('example.com'),
    () => vi.spyOn(services().rateLimiter, 'consume').mockRejectedValue(new Error('internal detail: the store said no')),
  ],
  [
    'a spent budget answers 429 with Retry-After',
    dnsProviderOf('example.com'),
    () => vi.spyOn(services().rateLimiter, 'consume').mockResolvedValue({ allowed: false, limit: 100, remaining: 0, resetSeconds: 41, retryAfterSeconds: 41 }),
  ],
  ['a spent budget on a mutation', dryRunOf({}), () => vi.spyOn(services().rateLimiter, 'consume').mockResolvedValue({ allowed: false, limit: 100, remaining: 0, resetSeconds: 7, retryAfterSeconds: 7 })],
  ['throttled authentication answers 429', dnsProviderOf('example.com'), () => vi.spyOn(services().authFailures, 'retryAfter').mockResolvedValue(23)],
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
    for (let run = 0; run < 2; run++) expectSameAnswer(await post(text, headers(), false), await post(text, headers(), true));
  });

  describe('when a service fails', () => {
    afterEach(() => {
      vi.restoreAllMocks();
    });
    it.each(failures)('%s', async (_label, body, setUp) => {
      const text = JSON.stringify(body());
      // Once served normally, so that a compiled run of the document is what meets the failure.
      await post(text, adminAuth(), false);
      setUp();
      for (let run = 0; run < 2; run++) expectSameAnswer(await post(text, adminAuth(), false), await post(text, adminAuth(), true));
    });
  });

  it('refuses a simple (CSRF-prone) request like yoga, whatever its framing', async () => {
    // A browser can send text/plain or a form cross-site without a preflight: yoga's CSRF plugin refuses it unless it
    // carries one of the required headers. Such a request never takes the fast path; the answer is yoga's either way.
    const text = JSON.stringify(dnsProviderOf('example.com')());
    for (const type of ['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x']) {
      const fast = await post(text, { 'content-type': type }, false);
      expect(fast.status, type).toBe(403);
      expectSameAnswer(fast, await post(text, { 'content-type': type }, true));
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
