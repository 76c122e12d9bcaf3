import { request, type Agent } from 'undici';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createGodaddyProvider, godaddyErrorFromReply, type GodaddyRecord } from '../providers/godaddy.js';
import { createHttpAgent } from '../providers/http.js';
import { ProviderError, type DnsRecord, type ProviderSession, type RecordChange } from '../providers/types.js';
import { GODADDY_FAKE_ACCOUNTS, startGodaddyFake, toGodaddyWire, type GodaddyFake } from './fakes/godaddy-fake.js';
import { LONG_DKIM_TXT, SEED_APEX, seedRecords } from './fakes/seed-zone.js';

const GOOD = { apiKey: GODADDY_FAKE_ACCOUNTS.good.key, apiSecret: GODADDY_FAKE_ACCOUNTS.good.secret };
const DENIED = { apiKey: GODADDY_FAKE_ACCOUNTS.denied.key, apiSecret: GODADDY_FAKE_ACCOUNTS.denied.secret };
const SECRETS = [GOOD.apiKey, GOOD.apiSecret, DENIED.apiKey, DENIED.apiSecret, 'wrong-secret-value'];
const ZONE = { name: SEED_APEX, id: SEED_APEX };

let fake: GodaddyFake;
let agent: Agent;
let sleeps: number[];

beforeEach(async () => {
  fake = await startGodaddyFake();
  agent = createHttpAgent({ keepAliveTimeoutMs: 100 });
  sleeps = [];
});

afterEach(async () => {
  await agent.close();
  await fake.close();
});

function connect(credentials: { apiKey: string; apiSecret?: string } = GOOD, options: { deadlineMs?: number; pageSize?: number } = {}): ProviderSession {
  const sleep = async (ms: number) => void sleeps.push(ms);
  return createGodaddyProvider({ baseUrl: fake.baseUrl, dispatcher: agent, sleep, deadlineMs: options.deadlineMs }, { pageSize: options.pageSize }).connect(credentials);
}

async function providerError(promise: Promise<unknown>): Promise<ProviderError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ProviderError);
  const pe = error as ProviderError;
  for (const secret of SECRETS) {
    expect(pe.reason).not.toContain(secret);
    expect(pe.message).not.toContain(secret);
  }
  return pe;
}

const neutral = (r: DnsRecord) => ({ type: r.type, name: r.name, content: r.content, ttl: r.ttl, ...(r.priority === undefined ? {} : { priority: r.priority }) });
const byJson = <T>(list: readonly T[]) => [...list].map((x) => JSON.stringify(x)).sort();
const writes = () => fake.calls.filter((c) => c.method !== 'GET');

async function fakeRequest(method: 'PUT' | 'PATCH' | 'DELETE' | 'GET', path: string, body?: unknown, auth: string | null = `sso-key ${GOOD.apiKey}:${GOOD.apiSecret}`) {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (auth !== null) headers.authorization = auth;
  const reply = await request(`${fake.baseUrl}${path}`, { dispatcher: agent, method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await reply.body.text();
  return { status: reply.statusCode, headers: reply.headers, text, json: text ? (JSON.parse(text) as unknown) : undefined };
}

describe('authorize', () => {
  it('reads the domain once and returns the registrable zone; findZone makes no call', async () => {
    const session = connect();
    await expect(session.findZone('mail.Example.com.')).resolves.toEqual(ZONE);
    expect(fake.calls).toHaveLength(0);
    await expect(session.authorize('news.example.com')).resolves.toEqual(ZONE);
    expect(fake.calls.map((c) => `${c.method} ${c.path} ${c.status}`)).toEqual(['GET /v1/domains/example.com 200']);
  });

  it('maps a wrong secret to auth without echoing any credential', async () => {
    const error = await providerError(connect({ apiKey: GOOD.apiKey, apiSecret: 'wrong-secret-value' }).authorize(SEED_APEX));
    expect([error.kind, error.reason]).toEqual(['auth', 'invalid API key or secret']);
    expect(error.isCallerFault).toBe(true);
  });

  it('maps ACCESS_DENIED to forbidden with the eligibility reason', async () => {
    const error = await providerError(connect(DENIED).authorize(SEED_APEX));
    expect([error.kind, error.reason]).toEqual(['forbidden', 'account not eligible for API access']);
  });

  it('maps UNKNOWN_DOMAIN to not_found', async () => {
    const error = await providerError(connect().authorize('not-mine.com'));
    expect(error.kind).toBe('not_found');
    expect(fake.calls[0]?.status).toBe(404);
  });

  it('refuses a missing secret before calling, and maps the real MISSING_CREDENTIALS reply to auth', async () => {
    const error = await providerError(connect({ apiKey: GOOD.apiKey }).authorize(SEED_APEX));
    expect(error.kind).toBe('auth');
    expect(fake.calls).toHaveLength(0);
    const reply = await fakeRequest('GET', '/v1/domains/example.com', undefined, null);
    expect(reply.status).toBe(401);
    expect(reply.json).toMatchObject({ code: 'MISSING_CREDENTIALS' });
    expect(godaddyErrorFromReply(reply).kind).toBe('auth');
  });

  it('retries an HTML 502 from the edge, then succeeds', async () => {
    fake.failNext({ status: 502, html: true, times: 2 });
    await expect(connect().authorize(SEED_APEX)).resolves.toEqual(ZONE);
    expect(fake.calls.map((c) => c.status)).toEqual([502, 502, 200]);
    expect(sleeps).toHaveLength(2);
  });
});

describe('readZone', () => {
  it('returns every seed record, normalised, with the wire record kept in raw, in one call', async () => {
    const wire = fake.snapshot();
    const { records } = await connect().readZone(ZONE);
    expect(fake.calls).toHaveLength(1);
    expect(byJson(records.map(neutral))).toEqual(byJson(seedRecords({ caa: false })));
    expect(byJson(records.map((r) => r.raw))).toEqual(byJson(wire));
    const dkim = records.find((r) => r.name === 'google._domainkey.example.com');
    expect(dkim?.content).toBe(LONG_DKIM_TXT);
  });

  it('pages with offset/limit when the zone is larger than a page', async () => {
    fake.setBehaviour({ pageLimit: 20 });
    const total = fake.snapshot().length;
    const { records } = await connect(GOOD, { pageSize: 20 }).readZone(ZONE);
    expect(records).toHaveLength(total);
    expect(byJson(records.map(neutral))).toEqual(byJson(seedRecords({ caa: false })));
    const offsets = fake.calls.map((c) => c.query.offset);
    expect(offsets).toEqual(Array.from({ length: Math.floor(total / 20) + 1 }, (_, i) => String(i * 20)));
  });

  it('normalises GoDaddy spellings: `@` targets, quoted TXT chunks, upper-case names', async () => {
    fake.state.zones.set('empty-zone.com', [
      { type: 'CNAME', name: 'WWW', data: '@', ttl: 3600 },
      { type: 'TXT', name: '@', data: '"v=DKIM1; k=rsa; " "p=ABC\\"D"', ttl: 600 },
      { type: 'MX', name: '@', data: 'mx.example.net.', ttl: 3600, priority: 5 },
    ]);
    const { records } = await connect().readZone({ name: 'empty-zone.com', id: 'empty-zone.com' });
    expect(records.map(neutral)).toEqual([
      { type: 'CNAME', name: 'www.empty-zone.com', content: 'empty-zone.com', ttl: 3600 },
      { type: 'TXT', name: 'empty-zone.com', content: 'v=DKIM1; k=rsa; p=ABC"D', ttl: 600 },
      { type: 'MX', name: 'empty-zone.com', content: 'mx.example.net', ttl: 3600, priority: 5 },
    ]);
  });

  it('retries a 429 after the body retryAfterSec, within the deadline', async () => {
    fake.failNext({ status: 429, retryAfterSec: 2, method: 'GET' });
    const { records } = await connect().readZone(ZONE);
    expect(records.length).toBeGreaterThan(50);
    expect(fake.calls.map((c) => c.status)).toEqual([429, 200]);
    expect(sleeps).toEqual([2000]);
  });

  it('reports rate_limited without waiting when retryAfterSec would pass the deadline', async () => {
    fake.failNext({ status: 429, retryAfterSec: 5 });
    const error = await providerError(connect(GOOD, { deadlineMs: 3000 }).readZone(ZONE));
    expect([error.kind, error.retryAfterSeconds]).toEqual(['rate_limited', 5]);
    expect(sleeps).toEqual([]);
    expect(fake.calls).toHaveLength(1);
  });

  it('gives up on a persistent 503 as unavailable after a bounded number of attempts', async () => {
    fake.failNext({ status: 503, times: 100 });
    const error = await providerError(connect().readZone(ZONE));
    expect(error.kind).toBe('unavailable');
    expect(fake.calls).toHaveLength(10);
  });

  it('the fake enforces the documented per-endpoint quota, and the adapter waits it out', async () => {
    fake.setBehaviour({ rateLimitPerMinute: 1 });
    const session = connect();
    await session.readZone(ZONE);
    const error = await providerError(connect(GOOD, { deadlineMs: 1000 }).readZone(ZONE));
    expect(error.kind).toBe('rate_limited');
    expect(error.retryAfterSeconds).toBeGreaterThan(50);
  });
});

describe('applyChanges', () => {
  const at = (label: string) => (label === '@' ? SEED_APEX : `${label}.${SEED_APEX}`);
  const SPF_MERGED = 'v=spf1 include:_spf.mailhost.example.net include:spf.sender.example.net ip4:203.0.113.0/24 -all';

  async function readWithoutDmarc() {
    const zone = fake.state.zones.get(SEED_APEX)!;
    fake.state.zones.set(SEED_APEX, zone.filter((r) => r.name !== '_dmarc'));
    const session = connect();
    const contents = await session.readZone(ZONE);
    return { session, contents, before: fake.snapshot() };
  }

  function find(records: readonly DnsRecord[], type: string, name: string, startsWith = ''): DnsRecord {
    const found = records.find((r) => r.type === type && r.name === name && r.content.startsWith(startsWith));
    if (!found) throw new Error(`no ${type} ${name}`);
    return found;
  }

  it('applies a typical sender change list with one PUT per rrset and leaves every other record identical', async () => {
    const { session, contents, before } = await readWithoutDmarc();
    const spf = find(contents.records, 'TXT', at('@'), 'v=spf1');
    const changes: RecordChange[] = [
      { action: 'CREATE', record: { type: 'CNAME', name: at('s2._domainkey'), content: 's2.dkim.sender.example.net', ttl: 3600 } },
      { action: 'CREATE', record: { type: 'CNAME', name: at('bounce'), content: 'returns.sender.example.net', ttl: 3600 } },
      { action: 'UPDATE', before: spf, record: { type: 'TXT', name: at('@'), content: SPF_MERGED, ttl: 3600 } },
      { action: 'CREATE', record: { type: 'TXT', name: at('_dmarc'), content: 'v=DMARC1; p=none; rua=mailto:d@sender.example.net', ttl: 3600 } },
      { action: 'CREATE', record: { type: 'TXT', name: at('k1._domainkey'), content: LONG_DKIM_TXT, ttl: 3600 } },
    ];
    const callsBefore = fake.calls.length;
    const result = await session.applyChanges(ZONE, contents, changes);
    expect(result.applied).toEqual(changes);
    const made = fake.calls.slice(callsBefore);
    expect(made.map((c) => `${c.method} ${c.path} ${c.status}`)).toEqual([
      'PUT /v1/domains/example.com/records/CNAME/s2._domainkey 200',
      'PUT /v1/domains/example.com/records/CNAME/bounce 200',
      'PUT /v1/domains/example.com/records/TXT/@ 200',
      'PUT /v1/domains/example.com/records/TXT/_dmarc 200',
      'PUT /v1/domains/example.com/records/TXT/k1._domainkey 200',
    ]);
    const spfWire = spf.raw as GodaddyRecord;
    const expected = [
      ...before.filter((r) => r !== before.find((b) => b.type === 'TXT' && b.name === '@' && b.data === spfWire.data)),
      { ...spfWire, data: SPF_MERGED },
      ...toGodaddyWire(changes.flatMap((c) => (c.action === 'CREATE' ? [c.record] : [])), SEED_APEX),
    ];
    expect(byJson(fake.snapshot())).toEqual(byJson(expected));
    // The apex TXT rrset kept its other values and its order.
    expect(fake.snapshot().filter((r) => r.type === 'TXT' && r.name === '@').map((r) => r.data)).toEqual(
      before.filter((r) => r.type === 'TXT' && r.name === '@').map((r) => (r.data === spfWire.data ? SPF_MERGED : r.data)),
    );
    // Reading back gives the records exactly as asked.
    const after = await session.readZone(ZONE);
    expect(find(after.records, 'TXT', at('k1._domainkey')).content).toBe(LONG_DKIM_TXT);
    expect(find(after.records, 'TXT', at('@'), 'v=spf1').content).toBe(SPF_MERGED);

    const count = fake.calls.length;
    await expect(session.applyChanges(ZONE, after, [])).resolves.toEqual({ applied: [] });
    expect(fake.calls).toHaveLength(count);
  });

  it('DELETE of one value rewrites the rest of its rrset exactly; DELETE of the last value uses DELETE', async () => {
    const session = connect();
    const contents = await session.readZone(ZONE);
    const before = fake.snapshot();
    const mx2 = find(contents.records, 'MX', at('@'), 'mx2.');
    const acme = find(contents.records, 'TXT', at('_acme-challenge'));
    const changes: RecordChange[] = [
      { action: 'DELETE', before: mx2 },
      { action: 'DELETE', before: acme },
    ];
    await expect(session.applyChanges(ZONE, contents, changes)).resolves.toEqual({ applied: changes });
    expect(writes().map((c) => `${c.method} ${c.path} ${c.status}`)).toEqual([
      'PUT /v1/domains/example.com/records/MX/@ 200',
      'DELETE /v1/domains/example.com/records/TXT/_acme-challenge 204',
    ]);
    // The remaining MX values (TTL 3600 and 7200) went back untouched.
    expect(writes()[0]?.body).toEqual([
      { data: 'mx1.mailhost.example.net', ttl: 3600, priority: 10 },
      { data: 'backup-mx.example.org', ttl: 7200, priority: 30 },
    ]);
    const gone = [mx2.raw, acme.raw].map((r) => JSON.stringify(r));
    expect(byJson(fake.snapshot())).toEqual(byJson(before).filter((r) => !gone.includes(r)));
  });

  it('retries the short-lived 409 on an rrset PUT', async () => {
    const session = connect();
    const contents = await session.readZone(ZONE);
    fake.failNext({ status: 409, times: 2, method: 'PUT' });
    const change: RecordChange = { action: 'CREATE', record: { type: 'TXT', name: at('_dmarc'), content: 'v=DMARC1; p=none', ttl: 3600 } };
    await expect(session.applyChanges(ZONE, contents, [change])).resolves.toEqual({ applied: [change] });
    expect(writes().map((c) => c.status)).toEqual([409, 409, 200]);
    expect(fake.snapshot().filter((r) => r.name === '_dmarc').map((r) => r.data)).toEqual([
      'v=DMARC1; p=reject; rua=mailto:dmarc-reports@example.com; adkim=s; aspf=s',
      'v=DMARC1; p=none',
    ]);
  });

  it('reports partial application: rrset 2 refused, rrset 1 listed as applied, rrset 3 never sent', async () => {
    const session = connect();
    const contents = await session.readZone(ZONE);
    const before = fake.snapshot();
    const first: RecordChange = { action: 'CREATE', record: { type: 'CNAME', name: at('s2._domainkey'), content: 's2.dkim.sender.example.net', ttl: 3600 } };
    const clash: RecordChange = { action: 'CREATE', record: { type: 'CNAME', name: at('mail'), content: 'elsewhere.example.net', ttl: 3600 } };
    const third: RecordChange = { action: 'CREATE', record: { type: 'CNAME', name: at('bounce'), content: 'returns.sender.example.net', ttl: 3600 } };
    const error = await providerError(session.applyChanges(ZONE, contents, [first, clash, third]));
    expect(error.kind).toBe('rejected');
    expect(error.reason).toContain('conflicts with another record');
    expect(error.applied).toEqual([first]);
    expect(writes().map((c) => `${c.path} ${c.status}`)).toEqual([
      '/v1/domains/example.com/records/CNAME/s2._domainkey 200',
      '/v1/domains/example.com/records/CNAME/mail 422',
    ]);
    expect(byJson(fake.snapshot())).toEqual(byJson([...before, ...toGodaddyWire([first.record], SEED_APEX)]));
  });

  it('refuses, before any call, a TTL under 600, an rrset whose kept value is under 600, CAA, and a stale record', async () => {
    const session = connect();
    const contents = await session.readZone(ZONE);
    const count = fake.calls.length;
    const low: RecordChange = { action: 'CREATE', record: { type: 'TXT', name: at('_dmarc'), content: 'v=DMARC1; p=none', ttl: 300 } };
    expect((await providerError(session.applyChanges(ZONE, contents, [low]))).kind).toBe('rejected');
    // www holds one A value with TTL 300: adding a second value would have to rewrite it.
    const www: RecordChange = { action: 'CREATE', record: { type: 'A', name: at('www'), content: '203.0.113.99', ttl: 3600 } };
    expect((await providerError(session.applyChanges(ZONE, contents, [www]))).reason).toContain('TTL 300');
    const caa: RecordChange = { action: 'CREATE', record: { type: 'CAA', name: at('@'), content: '0 issue "x.org"', ttl: 3600 } };
    expect((await providerError(session.applyChanges(ZONE, contents, [caa]))).kind).toBe('rejected');
    const stale: RecordChange = { action: 'DELETE', before: { type: 'TXT', name: at('@'), content: 'v=spf1 -all', ttl: 3600 } };
    expect((await providerError(session.applyChanges(ZONE, contents, [stale]))).kind).toBe('conflict');
    expect(fake.calls).toHaveLength(count);
  });

  it('maps a 422 from GoDaddy to rejected with the field detail', () => {
    const error = godaddyErrorFromReply({
      status: 422,
      headers: {},
      text: JSON.stringify({ code: 'INVALID_BODY', fields: [{ code: 'UNKNOWN_RESTRICTION', message: `must not contain ${GOOD.apiSecret}`, path: 'records[0].data' }] }),
    }, { apiKey: GOOD.apiKey, apiSecret: GOOD.apiSecret });
    expect(error.kind).toBe('rejected');
    expect(error.reason).toBe('INVALID_BODY: records[0].data must not contain [redacted]');
  });
});

describe('the fake follows GoDaddy semantics', () => {
  it('rejects TTL < 600 with the documented body, and a non-array body', async () => {
    const low = await fakeRequest('PUT', '/v1/domains/example.com/records/TXT/x', [{ data: 'v', ttl: 300 }]);
    expect(low.status).toBe(422);
    expect(low.json).toEqual({
      code: 'INVALID_BODY',
      fields: [{ code: 'UNKNOWN_RESTRICTION', message: 'must have a minimum value of 600', path: 'records[0].ttl' }],
      message: "Request body doesn't fulfill schema, see details in `fields`",
    });
    const notArray = await fakeRequest('PUT', '/v1/domains/example.com/records/TXT/x', { data: 'v' });
    expect(notArray.json).toMatchObject({ code: 'INVALID_BODY', fields: [{ code: 'UNEXPECTED_TYPE', path: 'records' }] });
    expect((await fakeRequest('PUT', '/v1/domains/example.com/records/CAA/@', [{ data: '0 issue "x"' }])).status).toBe(422);
  });

  it('PUT type/name replaces the rrset, PUT [] is ignored, PATCH appends, PUT /records wipes the zone', async () => {
    await fakeRequest('PUT', '/v1/domains/example.com/records/TXT/@', [{ data: 'only-this', ttl: 600 }]);
    expect(fake.snapshot().filter((r) => r.type === 'TXT' && r.name === '@').map((r) => r.data)).toEqual(['only-this']);
    const size = fake.snapshot().length;
    expect((await fakeRequest('PUT', '/v1/domains/example.com/records/TXT/@', [])).status).toBe(200);
    expect(fake.snapshot()).toHaveLength(size);
    await fakeRequest('PATCH', '/v1/domains/example.com/records', [{ type: 'TXT', name: '@', data: 'second', ttl: 600 }]);
    expect(fake.snapshot().filter((r) => r.type === 'TXT' && r.name === '@').map((r) => r.data)).toEqual(['only-this', 'second']);
    expect((await fakeRequest('PATCH', '/v1/domains/example.com/records', [{ type: 'TXT', name: '@', data: 'second' }])).json).toMatchObject({ code: 'DUPLICATE_RECORD' });
    await fakeRequest('PUT', '/v1/domains/example.com/records', [{ type: 'A', name: '@', data: '192.0.2.1', ttl: 600 }]);
    expect(fake.snapshot()).toEqual([{ type: 'A', name: '@', data: '192.0.2.1', ttl: 600 }]);
    expect((await fakeRequest('DELETE', '/v1/domains/example.com/records/A/@')).status).toBe(204);
    expect(fake.snapshot()).toEqual([]);
  });
});
