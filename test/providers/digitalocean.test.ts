/**
 * The DigitalOcean adapter against its loopback fake (no gateway): normalising, reading every page, each documented
 * error, the rate-limit signals, the provider's traps (trailing dots, a lost POST reply, a reply's link choosing the
 * host, a relative name filter), partial application, and credentials kept out of every message.
 */
import { request, type Agent } from 'undici';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  createDigitaloceanProvider,
  digitaloceanError,
  encodedTxtLength,
  fromDigitalocean,
  rateLimitWait,
  toDigitalocean,
  type DigitaloceanRecord,
} from '../../providers/digitalocean.js';
import { createHttpAgent } from '../../providers/http.js';
import { ProviderError, type DnsRecord, type ProviderSession, type RecordChange } from '../../providers/types.js';
import { DIGITALOCEAN_FAKE_ACCOUNTS, startDigitaloceanFake, type DigitaloceanFake } from '../fakes/digitalocean-fake.js';
import { LONG_DKIM_TXT, SEED_APEX, seedRecords } from '../fakes/seed-zone.js';

const GOOD = { apiKey: DIGITALOCEAN_FAKE_ACCOUNTS.good.token };
const WRONG = { apiKey: `dop_v1_${'0123456789abcdef'.repeat(4)}` };
const SECRETS: string[] = [...Object.values(DIGITALOCEAN_FAKE_ACCOUNTS).map((a) => a.token), WRONG.apiKey];
const ZONE = { name: SEED_APEX, id: SEED_APEX };
const at = (label: string) => (label === '@' ? SEED_APEX : `${label}.${SEED_APEX}`);

let fake: DigitaloceanFake;
let agent: Agent;
let sleeps: number[];

beforeEach(async () => {
  fake = await startDigitaloceanFake();
  agent = createHttpAgent({ keepAliveTimeoutMs: 100 });
  sleeps = [];
});

afterEach(async () => {
  await agent.close();
  await fake.close();
});

function connect(credentials: { apiKey: string } = GOOD, options: { deadlineMs?: number; pageSize?: number } = {}): ProviderSession {
  const sleep = async (ms: number) => void sleeps.push(ms);
  return createDigitaloceanProvider({ baseUrl: fake.baseUrl, dispatcher: agent, sleep, deadlineMs: options.deadlineMs, pageSize: options.pageSize }).connect(credentials);
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
const trace = (from = 0) => fake.calls.slice(from).map((c) => `${c.method} ${c.path}${c.query.page ? `?page=${c.query.page}` : ''} ${c.status}`);

async function raw(method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE', path: string, body?: unknown, token: string | null = GOOD.apiKey) {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (token !== null) headers.authorization = `Bearer ${token}`;
  const reply = await request(`${fake.baseUrl}${path}`, { dispatcher: agent, method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await reply.body.text();
  return { status: reply.statusCode, headers: reply.headers, json: text ? (JSON.parse(text) as Record<string, unknown>) : undefined };
}

function find(records: readonly DnsRecord[], type: string, name: string, startsWith = ''): DnsRecord {
  const found = records.find((r) => r.type === type && r.name === name && r.content.startsWith(startsWith));
  if (!found) throw new Error(`no ${type} ${name}`);
  return found;
}

describe('findZone and authorize', () => {
  it('a registrable domain needs no call; authorize reads GET /domains/{zone} once', async () => {
    const session = connect();
    await expect(session.findZone('Example.COM.')).resolves.toEqual(ZONE);
    expect(fake.calls).toHaveLength(0);
    await expect(session.authorize(SEED_APEX)).resolves.toEqual(ZONE);
    expect(trace()).toEqual(['GET /v2/domains/example.com 200']);
  });

  it('walks up from a sub-domain: a sub-domain DigitalOcean holds as its own domain is the zone', async () => {
    const session = connect();
    await expect(session.findZone('mail.eu.sub-zone.com')).resolves.toEqual({ name: 'eu.sub-zone.com', id: 'eu.sub-zone.com' });
    expect(trace()).toEqual(['GET /v2/domains/mail.eu.sub-zone.com 404', 'GET /v2/domains/eu.sub-zone.com 200']);
    // authorize does not ask again for a zone the walk already proved.
    await expect(session.authorize('mail.eu.sub-zone.com')).resolves.toEqual({ name: 'eu.sub-zone.com', id: 'eu.sub-zone.com' });
    expect(fake.calls).toHaveLength(2);
    await expect(connect().findZone('news.example.com')).resolves.toEqual(ZONE);
    expect(trace(2)).toEqual(['GET /v2/domains/news.example.com 404']);
  });

  it('maps an unknown token to auth with the reason, without repeating it', async () => {
    const error = await providerError(connect(WRONG).authorize(SEED_APEX));
    expect([error.kind, error.reason, error.isCallerFault]).toEqual(['auth', 'invalid API token', true]);
    // The fake answers with DigitalOcean's documented body.
    const reply = await raw('GET', '/domains/example.com', undefined, WRONG.apiKey);
    expect([reply.status, reply.json]).toEqual([401, { id: 'unauthorized', message: 'Unable to authenticate you.' }]);
    expect(reply.headers['ratelimit-limit']).toBe('5000');
  });

  it('refuses an empty or unprintable token before any call', async () => {
    expect((await providerError(connect({ apiKey: ' ' }).authorize(SEED_APEX))).kind).toBe('auth');
    expect((await providerError(connect({ apiKey: 'dop_v1_a\nb' }).authorize(SEED_APEX))).reason).toBe('invalid API token (malformed)');
    expect(fake.calls).toHaveLength(0);
  });

  it('maps a token without domain scopes to forbidden, and a domain of another team to not_found', async () => {
    const forbidden = await providerError(connect({ apiKey: DIGITALOCEAN_FAKE_ACCOUNTS.noDomainScope.token }).authorize(SEED_APEX));
    expect(forbidden.kind).toBe('forbidden');
    expect(fake.calls[0]?.status).toBe(403);
    const missing = await providerError(connect({ apiKey: DIGITALOCEAN_FAKE_ACCOUNTS.otherTeam.token }).authorize(SEED_APEX));
    expect([missing.kind, missing.reason]).toEqual(['not_found', 'domain not found in this account']);
  });

  it('a read-only custom token is authorized (authorize writes nothing)', async () => {
    await expect(connect({ apiKey: DIGITALOCEAN_FAKE_ACCOUNTS.readOnly.token }).authorize(SEED_APEX)).resolves.toEqual(ZONE);
    expect(writes()).toHaveLength(0);
  });
});

describe('readZone', () => {
  it('returns the whole seed zone in neutral form in one call, the wire record kept in raw', async () => {
    const wire = fake.snapshot();
    const { records } = await connect().readZone(ZONE);
    expect(trace()).toEqual(['GET /v2/domains/example.com/records?page=1 200']);
    expect(fake.calls[0]?.query.per_page).toBe('200');
    expect(byJson(records.map(neutral))).toEqual(byJson(seedRecords()));
    expect(byJson(records.map((r) => r.raw))).toEqual(byJson(wire));
    expect(records.every((r) => r.id === String((r.raw as DigitaloceanRecord).id))).toBe(true);
    expect(find(records, 'TXT', at('google._domainkey')).content).toBe(LONG_DKIM_TXT);
  });

  it('pages by the page number of links.pages.next, always on the configured host', async () => {
    // The links name another host; following them would leave the fake (and send the token there).
    fake.setBehaviour({ linkOrigin: 'http://elsewhere.invalid' });
    const total = fake.snapshot().length;
    const { records } = await connect(GOOD, { pageSize: 7 }).readZone(ZONE);
    expect(byJson(records.map(neutral))).toEqual(byJson(seedRecords()));
    const pages = Math.ceil(total / 7);
    expect(fake.calls.map((c) => `${c.query.page}/${c.query.per_page}`)).toEqual(Array.from({ length: pages }, (_, i) => `${i + 1}/7`));
  });

  it('reads again when the zone changed between two pages (meta.total disagrees), so no record is missed', async () => {
    fake.beforeNextRead(() => undefined); // page 1 as is
    fake.beforeNextRead(() => {
      // Between page 1 and page 2 someone deletes a record of page 1: page 2 shifts by one.
      const zone = fake.state.zones.get(SEED_APEX)!;
      zone.splice(0, 1);
    });
    const { records } = await connect(GOOD, { pageSize: 20 }).readZone(ZONE);
    expect(byJson(records.map((r) => r.raw))).toEqual(byJson(fake.snapshot()));
    expect(fake.calls.map((c) => c.query.page)).toEqual(['1', '2', '3', '1', '2', '3']);
  });

  it('answers not_found for a domain DigitalOcean does not hold, in one call', async () => {
    const error = await providerError(connect().readZone({ name: 'not-mine.com', id: 'not-mine.com' }));
    expect(error.kind).toBe('not_found');
    expect(trace()).toEqual(['GET /v2/domains/not-mine.com/records?page=1 404']);
  });

  it('normalises DigitalOcean spellings: `@` targets, SRV and CAA fields, raw TXT; skips SOA', async () => {
    fake.state.zones.set('empty-zone.com', [
      { id: 1, type: 'SOA', name: '@', data: '1800', priority: null, port: null, ttl: 1800, weight: null, flags: null, tag: null },
      { id: 2, type: 'CNAME', name: 'WWW', data: '@', priority: null, port: null, ttl: 300, weight: null, flags: null, tag: null },
      { id: 3, type: 'MX', name: '@', data: 'mx.example.net.', priority: 5, port: null, ttl: 3600, weight: null, flags: null, tag: null },
      { id: 4, type: 'TXT', name: 'q', data: 'say "hi"', priority: null, port: null, ttl: 60, weight: null, flags: null, tag: null },
      { id: 5, type: 'SRV', name: '_sip._udp', data: 'sip.example.net', priority: 1, port: 5060, ttl: 60, weight: 2, flags: null, tag: null },
      { id: 6, type: 'CAA', name: '@', data: 'letsencrypt.org', priority: null, port: null, ttl: 60, weight: null, flags: 128, tag: 'issuewild' },
    ]);
    const { records } = await connect().readZone({ name: 'empty-zone.com', id: 'empty-zone.com' });
    expect(records.map(neutral)).toEqual([
      { type: 'CNAME', name: 'www.empty-zone.com', content: 'empty-zone.com', ttl: 300 },
      { type: 'MX', name: 'empty-zone.com', content: 'mx.example.net', ttl: 3600, priority: 5 },
      { type: 'TXT', name: 'q.empty-zone.com', content: 'say "hi"', ttl: 60 },
      { type: 'SRV', name: '_sip._udp.empty-zone.com', content: '2 5060 sip.example.net', ttl: 60, priority: 1 },
      { type: 'CAA', name: 'empty-zone.com', content: '128 issuewild "letsencrypt.org"', ttl: 60 },
    ]);
  });

  it('retries a 429 after its Retry-After, within the deadline', async () => {
    fake.failNext({ kind: 'rate-limited', on: 'read', retryAfterSeconds: 2 });
    const { records } = await connect().readZone(ZONE);
    expect(records.length).toBeGreaterThan(50);
    expect(fake.calls.map((c) => c.status)).toEqual([429, 200]);
    expect(sleeps).toEqual([2000]);
  });

  it('honours ratelimit-reset when the 429 carries no Retry-After (the hourly limit)', async () => {
    fake.failNext({ kind: 'rate-limited', on: 'read', retryAfterSeconds: 3, signal: 'reset-only' });
    await connect().readZone(ZONE);
    expect(fake.calls.map((c) => c.status)).toEqual([429, 200]);
    expect(sleeps).toHaveLength(1);
    expect(sleeps[0]).toBeGreaterThanOrEqual(2000);
    expect(sleeps[0]).toBeLessThanOrEqual(4000);
    expect(rateLimitWait({ 'ratelimit-reset': '1000' }, 995_500)).toBe(5);
    expect(rateLimitWait({ 'retry-after': '7', 'ratelimit-reset': '1000' }, 995_500)).toBe(7);
  });

  it('reports rate_limited without waiting when the wait would pass the deadline', async () => {
    fake.failNext({ kind: 'rate-limited', on: 'read', retryAfterSeconds: 5 });
    const error = await providerError(connect(GOOD, { deadlineMs: 3000 }).readZone(ZONE));
    expect([error.kind, error.retryAfterSeconds]).toEqual(['rate_limited', 5]);
    expect(sleeps).toEqual([]);
    expect(fake.calls).toHaveLength(1);
  });

  it('the fake enforces the per-token burst limit, and the adapter reports its wait', async () => {
    fake.setBehaviour({ rateLimitPerMinute: 1 });
    await connect().readZone(ZONE);
    const error = await providerError(connect(GOOD, { deadlineMs: 1000 }).readZone(ZONE));
    expect(error.kind).toBe('rate_limited');
    expect(error.retryAfterSeconds).toBeGreaterThan(50);
  });

  it('retries an HTML 503 and a malformed body; gives up on a lasting 500 as unavailable', async () => {
    fake.failNext({ kind: 'server-error', on: 'read', html: true });
    fake.failNext({ kind: 'malformed', on: 'read' });
    await expect(connect().readZone(ZONE)).resolves.toMatchObject({ records: expect.any(Array) });
    fake.clearFaults();
    const before = fake.calls.length;
    fake.failNext({ kind: 'server-error', on: 'read', times: 'always' });
    const error = await providerError(connect().readZone(ZONE));
    expect(error.kind).toBe('unavailable');
    expect(fake.calls.length - before).toBe(4);
  });
});

describe('writing records in DigitalOcean form', () => {
  it('CNAME/MX/NS/SRV targets get the trailing dot, CAA too; TXT is raw; names are relative', () => {
    const body = (type: string, name: string, content: string, priority?: number) => toDigitalocean({ type, name, content, ttl: 300, priority }, SEED_APEX);
    expect(body('CNAME', at('s1._domainkey'), 's1.dkim.esp.net')).toEqual({ type: 'CNAME', name: 's1._domainkey', data: 's1.dkim.esp.net.', ttl: 300 });
    expect(body('CNAME', at('x'), 'already.dotted.net.').data).toBe('already.dotted.net.');
    expect(body('MX', at('@'), 'mx.esp.net', 10)).toEqual({ type: 'MX', name: '@', data: 'mx.esp.net.', ttl: 300, priority: 10 });
    expect(body('SRV', at('_sip._tcp'), '5 5060 sip.example.com', 10)).toEqual({ type: 'SRV', name: '_sip._tcp', data: 'sip.example.com.', ttl: 300, priority: 10, weight: 5, port: 5060 });
    expect(body('CAA', at('@'), '0 issue "letsencrypt.org"')).toEqual({ type: 'CAA', name: '@', data: 'letsencrypt.org.', ttl: 300, flags: 0, tag: 'issue' });
    expect(body('TXT', at('_dmarc'), 'v=DMARC1; p=none; "quoted"')).toEqual({ type: 'TXT', name: '_dmarc', data: 'v=DMARC1; p=none; "quoted"', ttl: 300 });
    // A 2048-bit DKIM key is written whole, unquoted: DigitalOcean splits it itself.
    expect(body('TXT', at('k1._domainkey'), LONG_DKIM_TXT).data).toBe(LONG_DKIM_TXT);
  });

  it('refuses before writing what DigitalOcean refuses or mangles', () => {
    const refuse = (type: string, content: string, ttl = 300, name = at('x')) => {
      try {
        toDigitalocean({ type, name, content, ttl }, SEED_APEX);
      } catch (error) {
        expect(error).toBeInstanceOf(ProviderError);
        return (error as ProviderError).kind;
      }
      return 'accepted';
    };
    expect(refuse('TXT', 'v=spf1 -all', 29)).toBe('rejected');
    expect(refuse('TXT', 'v=spf1 -all', 30)).toBe('accepted');
    expect(refuse('TXT', 'a\\b')).toBe('rejected');
    expect(refuse('TXT', '')).toBe('rejected');
    expect(refuse('TXT', 'x'.repeat(500))).toBe('accepted');
    expect(refuse('TXT', 'x'.repeat(505))).toBe('rejected');
    expect(encodedTxtLength('x'.repeat(500))).toBe(505);
    expect(refuse('CNAME', '')).toBe('rejected');
    expect(refuse('PTR', 'host.example.net')).toBe('rejected');
    expect(refuse('TXT', 'v=1', 300, 'elsewhere.org')).toBe('rejected');
  });

  it('reads back what it would write: wire → neutral of a written body equals the desired record', () => {
    const desired = { type: 'CNAME', name: at('bounce'), content: 'returns.esp.net', ttl: 600 };
    const bodyRecord = { id: 9, priority: null, port: null, weight: null, flags: null, tag: null, ...toDigitalocean(desired, SEED_APEX) };
    expect(neutral(fromDigitalocean(bodyRecord, SEED_APEX))).toEqual(desired);
  });
});

describe('the fake follows DigitalOcean', () => {
  it('refuses CNAME/MX data without the trailing dot and TTL under 30 with the observed bodies', async () => {
    const cname = await raw('POST', '/domains/example.com/records', { type: 'CNAME', name: 'x', data: 'target.example.net', ttl: 300 });
    expect([cname.status, cname.json]).toEqual([422, { id: 'unprocessable_entity', message: 'Data needs to end with a dot (.)' }]);
    const mx = await raw('POST', '/domains/example.com/records', { type: 'MX', name: '@', data: 'mx.example.net', priority: 1, ttl: 300 });
    expect(mx.status).toBe(422);
    const ttl = await raw('POST', '/domains/example.com/records', { type: 'TXT', name: 'x', data: 'v', ttl: 20 });
    expect([ttl.status, ttl.json?.message]).toEqual([422, 'record ttl must be greater than 30']);
    // A PUT naming only the TTL of a CNAME fails on its data (doctl#919).
    const id = fake.snapshot().find((r) => r.type === 'CNAME')!.id;
    expect((await raw('PUT', `/domains/example.com/records/${id}`, { ttl: 600 })).json?.message).toBe('Data needs to end with a dot (.)');
  });

  it('a POST always creates (a repeat duplicates); a relative name filter matches nothing', async () => {
    const body = { type: 'TXT', name: '_dmarc', data: 'v=DMARC1; p=none', ttl: 300 };
    expect((await raw('POST', '/domains/example.com/records', body)).status).toBe(201);
    expect((await raw('POST', '/domains/example.com/records', body)).status).toBe(201);
    expect(fake.snapshot().filter((r) => r.name === '_dmarc' && r.data === body.data)).toHaveLength(2);
    const relative = await raw('GET', '/domains/example.com/records?type=TXT&name=_dmarc');
    expect(relative.json?.domain_records).toEqual([]);
    const full = await raw('GET', '/domains/example.com/records?type=TXT&name=_dmarc.example.com');
    expect((full.json?.domain_records as unknown[]).length).toBe(3);
  });

  it('pages 20 at a time by default, with absolute links on DigitalOcean\'s host and meta.total', async () => {
    const page = await raw('GET', '/domains/example.com/records');
    expect((page.json?.domain_records as unknown[]).length).toBe(20);
    expect(page.json?.links).toEqual({
      pages: {
        last: `https://api.digitalocean.com/v2/domains/example.com/records?page=${Math.ceil(fake.snapshot().length / 20)}&per_page=20`,
        next: 'https://api.digitalocean.com/v2/domains/example.com/records?page=2&per_page=20',
      },
    });
    expect(page.json?.meta).toEqual({ total: fake.snapshot().length });
  });
});

describe('applyChanges', () => {
  const SPF_MERGED = 'v=spf1 include:_spf.mailhost.example.net include:spf.esp.example.net ip4:203.0.113.0/24 -all';

  async function readWithoutDmarc() {
    const zone = fake.state.zones.get(SEED_APEX)!;
    fake.state.zones.set(SEED_APEX, zone.filter((r) => r.name !== '_dmarc'));
    const session = connect();
    const contents = await session.readZone(ZONE);
    return { session, contents, before: fake.snapshot() };
  }

  it('applies a sender plan with one call per record and leaves every other record identical', async () => {
    const { session, contents, before } = await readWithoutDmarc();
    const spf = find(contents.records, 'TXT', at('@'), 'v=spf1');
    const changes: RecordChange[] = [
      { action: 'CREATE', record: { type: 'CNAME', name: at('em1._domainkey'), content: 's1.dkim.esp.example.net', ttl: 3600 } },
      { action: 'CREATE', record: { type: 'CNAME', name: at('em2._domainkey'), content: 's2.dkim.esp.example.net', ttl: 3600 } },
      { action: 'CREATE', record: { type: 'CNAME', name: at('bounce'), content: 'returns.esp.example.net', ttl: 3600 } },
      { action: 'UPDATE', before: spf, record: { type: 'TXT', name: at('@'), content: SPF_MERGED, ttl: 3600 } },
      { action: 'CREATE', record: { type: 'TXT', name: at('_dmarc'), content: 'v=DMARC1; p=none; rua=mailto:d@esp.example.net', ttl: 3600 } },
    ];
    const start = fake.calls.length;
    await expect(session.applyChanges(ZONE, contents, changes)).resolves.toEqual({ applied: changes });
    const spfId = (spf.raw as DigitaloceanRecord).id;
    expect(trace(start)).toEqual([
      'POST /v2/domains/example.com/records 201',
      'POST /v2/domains/example.com/records 201',
      'POST /v2/domains/example.com/records 201',
      `PUT /v2/domains/example.com/records/${spfId} 200`,
      'POST /v2/domains/example.com/records 201',
    ]);
    expect(writes()[0]?.body).toEqual({ type: 'CNAME', name: 'em1._domainkey', data: 's1.dkim.esp.example.net.', ttl: 3600 });
    expect(writes()[3]?.body).toEqual({ type: 'TXT', name: '@', data: SPF_MERGED, ttl: 3600 });
    // Every record not named is exactly as it was (same id, same fields); the SPF record kept its id.
    const after = fake.snapshot();
    const untouched = before.filter((r) => r.id !== spfId);
    expect(after.filter((r) => untouched.some((u) => u.id === r.id))).toEqual(untouched);
    expect(after.find((r) => r.id === spfId)).toEqual({ ...before.find((r) => r.id === spfId), data: SPF_MERGED });
    const reread = await session.readZone(ZONE);
    expect(find(reread.records, 'CNAME', at('bounce')).content).toBe('returns.esp.example.net');
    expect(find(reread.records, 'TXT', at('@'), 'v=spf1').content).toBe(SPF_MERGED);
    const count = fake.calls.length;
    await expect(session.applyChanges(ZONE, reread, [])).resolves.toEqual({ applied: [] });
    expect(fake.calls).toHaveLength(count);
  });

  it('DELETE removes exactly the record named, by id', async () => {
    const session = connect();
    const contents = await session.readZone(ZONE);
    const before = fake.snapshot();
    const mx2 = find(contents.records, 'MX', at('@'), 'mx2.');
    await expect(session.applyChanges(ZONE, contents, [{ action: 'DELETE', before: mx2 }])).resolves.toEqual({ applied: [{ action: 'DELETE', before: mx2 }] });
    expect(writes().map((c) => `${c.method} ${c.path} ${c.status}`)).toEqual([`DELETE /v2/domains/example.com/records/${mx2.id} 204`]);
    expect(fake.snapshot()).toEqual(before.filter((r) => String(r.id) !== mx2.id));
  });

  it('a lost POST reply is settled by listing that name: it landed, so it is not sent again', async () => {
    const { session, contents } = await readWithoutDmarc();
    const dmarc: RecordChange = { action: 'CREATE', record: { type: 'TXT', name: at('_dmarc'), content: 'v=DMARC1; p=none', ttl: 3600 } };
    const cname: RecordChange = { action: 'CREATE', record: { type: 'CNAME', name: at('em1._domainkey'), content: 's1.dkim.esp.example.net', ttl: 3600 } };
    fake.failNext({ kind: 'lost-reply', on: 'write' });
    const start = fake.calls.length;
    await expect(session.applyChanges(ZONE, contents, [dmarc, cname])).resolves.toEqual({ applied: [dmarc, cname] });
    expect(trace(start)).toEqual(['POST /v2/domains/example.com/records 0', 'GET /v2/domains/example.com/records 200', 'POST /v2/domains/example.com/records 201']);
    expect(fake.calls[start + 1]?.query).toMatchObject({ type: 'TXT', name: '_dmarc.example.com' });
    expect(fake.snapshot().filter((r) => r.name === '_dmarc')).toHaveLength(1);
  });

  it('a POST that failed before it ran (500) is found absent and sent once more', async () => {
    const { session, contents } = await readWithoutDmarc();
    const dmarc: RecordChange = { action: 'CREATE', record: { type: 'TXT', name: at('_dmarc'), content: 'v=DMARC1; p=none', ttl: 3600 } };
    fake.failNext({ kind: 'server-error', on: 'write' });
    await expect(session.applyChanges(ZONE, contents, [dmarc])).resolves.toEqual({ applied: [dmarc] });
    expect(fake.calls.slice(-3).map((c) => `${c.method} ${c.status}`)).toEqual(['POST 500', 'GET 200', 'POST 201']);
    expect(fake.snapshot().filter((r) => r.name === '_dmarc')).toHaveLength(1);
  });

  it('a POST that hangs is given up within the deadline, checked, and sent once more', async () => {
    const session = connect(GOOD, { deadlineMs: 4000 });
    const contents = await session.readZone(ZONE);
    const change: RecordChange = { action: 'CREATE', record: { type: 'CNAME', name: at('em1._domainkey'), content: 's1.dkim.esp.example.net', ttl: 3600 } };
    fake.failNext({ kind: 'hang', on: 'write' });
    await expect(session.applyChanges(ZONE, contents, [change])).resolves.toEqual({ applied: [change] });
    expect(fake.calls.slice(1).map((c) => `${c.method} ${c.status}`)).toEqual(['POST 0', 'GET 200', 'POST 201']);
    expect(fake.snapshot().filter((r) => r.name === 'em1._domainkey')).toHaveLength(1);
  });

  it('a POST that keeps failing after the re-read showed it absent stops with what was applied', async () => {
    const { session, contents, before } = await readWithoutDmarc();
    const first: RecordChange = { action: 'CREATE', record: { type: 'CNAME', name: at('em1._domainkey'), content: 's1.dkim.esp.example.net', ttl: 3600 } };
    const second: RecordChange = { action: 'CREATE', record: { type: 'TXT', name: at('_dmarc'), content: 'v=DMARC1; p=none', ttl: 3600 } };
    fake.beforeNextWrite(() => fake.failNext({ kind: 'reset', on: 'write', times: 'always' }));
    const error = await providerError(session.applyChanges(ZONE, contents, [first, second]));
    expect(error.kind).toBe('unavailable');
    expect(error.applied).toEqual([first]);
    expect(error.reason).toContain('1 of 2 changes were applied (CREATE CNAME em1._domainkey.example.com)');
    expect(error.reason).toContain('not applied: CREATE TXT _dmarc.example.com');
    expect(writes().filter((c) => c.status !== 0)).toHaveLength(1);
    expect(fake.snapshot()).toHaveLength(before.length + 1);
  });

  it('says "unknown" when a lost POST reply cannot be checked', async () => {
    const { session, contents } = await readWithoutDmarc();
    const dmarc: RecordChange = { action: 'CREATE', record: { type: 'TXT', name: at('_dmarc'), content: 'v=DMARC1; p=none', ttl: 3600 } };
    fake.failNext({ kind: 'lost-reply', on: 'write' });
    fake.failNext({ kind: 'server-error', on: 'read', times: 'always' });
    const error = await providerError(session.applyChanges(ZONE, contents, [dmarc]));
    expect(error.kind).toBe('unavailable');
    expect(error.applied).toEqual([]);
    expect(error.reason).toContain('unknown whether CREATE TXT _dmarc.example.com was applied');
    expect(writes()).toHaveLength(1);
  });

  it('stops at a refused record: names what landed, never sends the rest', async () => {
    const session = connect();
    const contents = await session.readZone(ZONE);
    const before = fake.snapshot();
    const first: RecordChange = { action: 'CREATE', record: { type: 'CNAME', name: at('em1._domainkey'), content: 's1.dkim.esp.example.net', ttl: 3600 } };
    // `mail` holds an A, an MX and a TXT record: DigitalOcean refuses a CNAME beside them.
    const clash: RecordChange = { action: 'CREATE', record: { type: 'CNAME', name: at('mail'), content: 'elsewhere.example.net', ttl: 3600 } };
    const third: RecordChange = { action: 'CREATE', record: { type: 'CNAME', name: at('bounce'), content: 'returns.esp.example.net', ttl: 3600 } };
    const error = await providerError(session.applyChanges(ZONE, contents, [first, clash, third]));
    expect(error.kind).toBe('rejected');
    expect(error.reason).toContain('CNAME records cannot share a name with other records.');
    expect(error.applied).toEqual([first]);
    expect(writes().map((c) => c.status)).toEqual([201, 422]);
    expect(fake.snapshot()).toHaveLength(before.length + 1);
  });

  it('refuses before any call a TTL under 30, a backslash, CAA without tag, and a record not in the zone as read', async () => {
    const session = connect();
    const contents = await session.readZone(ZONE);
    const count = fake.calls.length;
    const ok: RecordChange = { action: 'CREATE', record: { type: 'TXT', name: at('_dmarc2'), content: 'v=DMARC1; p=none', ttl: 300 } };
    const low: RecordChange = { action: 'CREATE', record: { type: 'TXT', name: at('_dmarc'), content: 'v=DMARC1; p=none', ttl: 20 } };
    expect((await providerError(session.applyChanges(ZONE, contents, [ok, low]))).kind).toBe('rejected');
    const slash: RecordChange = { action: 'CREATE', record: { type: 'TXT', name: at('x'), content: 'a\\b', ttl: 300 } };
    expect((await providerError(session.applyChanges(ZONE, contents, [slash]))).kind).toBe('rejected');
    const caa: RecordChange = { action: 'CREATE', record: { type: 'CAA', name: at('@'), content: '0 "x.org"', ttl: 300 } };
    expect((await providerError(session.applyChanges(ZONE, contents, [caa]))).kind).toBe('rejected');
    const stale: RecordChange = { action: 'DELETE', before: { type: 'TXT', name: at('@'), content: 'v=spf1 -all', ttl: 3600 } };
    expect((await providerError(session.applyChanges(ZONE, contents, [stale]))).kind).toBe('conflict');
    expect(fake.calls).toHaveLength(count);
  });

  it('not guarded: a record added by someone else between read and write is kept; one they deleted is a conflict', async () => {
    const session = connect();
    const contents = await session.readZone(ZONE);
    const spf = find(contents.records, 'TXT', at('@'), 'v=spf1');
    const theirs = { type: 'TXT', name: at('@'), content: 'their-verification=123', ttl: 3600 };
    fake.beforeNextWrite(() => void fake.plant(theirs));
    const update: RecordChange = { action: 'UPDATE', before: spf, record: { ...neutral(spf), content: SPF_MERGED } };
    await expect(session.applyChanges(ZONE, contents, [update])).resolves.toEqual({ applied: [update] });
    expect(fake.snapshot().filter((r) => r.type === 'TXT' && r.name === '@').map((r) => r.data)).toContain('their-verification=123');

    // Now they delete the record we are about to change: the PUT is refused (404), nothing is re-created.
    const again = await session.readZone(ZONE);
    const ms = find(again.records, 'TXT', at('@'), 'MS=');
    fake.beforeNextWrite(() => {
      const zone = fake.state.zones.get(SEED_APEX)!;
      zone.splice(zone.findIndex((r) => String(r.id) === ms.id), 1);
    });
    const change: RecordChange = { action: 'UPDATE', before: ms, record: { ...neutral(ms), content: 'MS=changed' } };
    const error = await providerError(session.applyChanges(ZONE, again, [change]));
    expect([error.kind, error.applied]).toEqual(['conflict', []]);
    expect(fake.snapshot().some((r) => r.data.startsWith('MS='))).toBe(false);
  });

  it('retries an idempotent PUT after a reset and a DELETE whose first reply was lost', async () => {
    const session = connect();
    const contents = await session.readZone(ZONE);
    const spf = find(contents.records, 'TXT', at('@'), 'v=spf1');
    const acme = find(contents.records, 'TXT', at('_acme-challenge'));
    fake.failNext({ kind: 'reset', on: 'write' });
    const update: RecordChange = { action: 'UPDATE', before: spf, record: { ...neutral(spf), content: SPF_MERGED } };
    const del: RecordChange = { action: 'DELETE', before: acme };
    await expect(session.applyChanges(ZONE, contents, [update])).resolves.toEqual({ applied: [update] });
    fake.failNext({ kind: 'lost-reply', on: 'write' });
    await expect(session.applyChanges(ZONE, contents, [del])).resolves.toEqual({ applied: [del] });
    expect(writes().map((c) => `${c.method} ${c.status}`)).toEqual(['PUT 0', 'PUT 200', 'DELETE 0', 'DELETE 404']);
    expect(fake.snapshot().some((r) => String(r.id) === acme.id)).toBe(false);
  });

  it('a read-only token: the first write is forbidden and nothing is applied', async () => {
    const session = connect({ apiKey: DIGITALOCEAN_FAKE_ACCOUNTS.readOnly.token });
    const contents = await session.readZone(ZONE);
    const change: RecordChange = { action: 'CREATE', record: { type: 'TXT', name: at('_dmarc'), content: 'v=DMARC1; p=none', ttl: 300 } };
    const error = await providerError(session.applyChanges(ZONE, contents, [change]));
    expect([error.kind, error.applied]).toEqual(['forbidden', []]);
    expect(error.reason).toContain('no change was applied');
  });
});

describe('credentials never reach a message', () => {
  it('a 401 that echoes the token is scrubbed', async () => {
    fake.failNext({ kind: 'echo-credentials' });
    const error = await providerError(connect().authorize(SEED_APEX));
    expect(error.kind).toBe('auth');
    expect(error.reason).toContain('[redacted]');
    // The fake did echo it.
    fake.failNext({ kind: 'echo-credentials' });
    const reply = await raw('GET', '/domains/example.com');
    expect(String(reply.json?.message)).toContain(GOOD.apiKey);
  });

  it('an error id that repeats the token is scrubbed too', () => {
    for (const status of [400, 418, 422, 500]) {
      const text = JSON.stringify({ id: `id-${GOOD.apiKey}`, message: '' });
      const error = digitaloceanError({ status, headers: {}, text }, GOOD, 'record');
      expect(error.reason, `HTTP ${status}`).not.toContain(GOOD.apiKey);
    }
  });

  it('a 422 text that repeats the token is scrubbed too', () => {
    const text = JSON.stringify({ id: 'unprocessable_entity', message: `Name ${GOOD.apiKey} is not valid` });
    const error = digitaloceanError({ status: 422, headers: {}, text }, GOOD, 'record');
    expect([error.kind, error.reason]).toEqual(['rejected', 'refused the record: Name [redacted] is not valid']);
  });
});
