/**
 * The Vultr adapter against its loopback fake (no gateway): normalising (quoted TXT, dot-less targets), reading every
 * cursor page, each error mapped (bad key, the key's IP access list, no such domain), the rate limit honoured, the
 * provider's traps (one TTL per record set, a lost POST reply, quotes inside TXT, no type change), partial
 * application, and credentials kept out of every message.
 */
import { setTimeout as delay } from 'node:timers/promises';
import { request, type Agent } from 'undici';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createHttpAgent } from '../../providers/http.js';
import { ProviderError, type DnsRecord, type ProviderSession, type RecordChange } from '../../providers/types.js';
import { createVultrProvider, fromVultr, toVultr, unquoteTxt, vultrError, type VultrRecord } from '../../providers/vultr.js';
import { startVultrFake, VULTR_FAKE_ACCOUNTS, type VultrFake } from '../fakes/vultr-fake.js';
import { LONG_DKIM_TXT, SEED_APEX, seedRecords } from '../fakes/seed-zone.js';

const GOOD = { apiKey: VULTR_FAKE_ACCOUNTS.good.key };
const WRONG = { apiKey: 'VULTRWRONGKEY000000000000000000000000' };
const SECRETS: string[] = [...Object.values(VULTR_FAKE_ACCOUNTS).map((a) => a.key), WRONG.apiKey];
const ZONE = { name: SEED_APEX, id: SEED_APEX };
const at = (label: string) => (label === '@' ? SEED_APEX : `${label}.${SEED_APEX}`);

let fake: VultrFake;
let agent: Agent;
let sleeps: number[];

beforeEach(async () => {
  fake = await startVultrFake();
  agent = createHttpAgent({ keepAliveTimeoutMs: 100 });
  sleeps = [];
});

afterEach(async () => {
  await agent.close();
  await fake.close();
});

function connect(credentials: { apiKey: string } = GOOD, options: { deadlineMs?: number; pageSize?: number; realSleep?: boolean } = {}): ProviderSession {
  const sleep = async (ms: number) => {
    sleeps.push(ms);
    if (options.realSleep) await delay(ms);
  };
  return createVultrProvider({ baseUrl: fake.baseUrl, dispatcher: agent, sleep, deadlineMs: options.deadlineMs, pageSize: options.pageSize }).connect(credentials);
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
const trace = (from = 0) => fake.calls.slice(from).map((c) => `${c.method} ${c.path} ${c.status}`);

async function raw(method: 'GET' | 'POST' | 'PATCH' | 'DELETE', path: string, body?: unknown, key: string | null = GOOD.apiKey) {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (key !== null) headers.authorization = `Bearer ${key}`;
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
  it('a registrable domain needs no call (the records path takes the domain name); authorize reads GET /domains/{zone}', async () => {
    const session = connect();
    await expect(session.findZone('Example.COM.')).resolves.toEqual(ZONE);
    expect(fake.calls).toHaveLength(0);
    await expect(session.authorize(SEED_APEX)).resolves.toEqual(ZONE);
    expect(trace()).toEqual(['GET /v2/domains/example.com 200']);
  });

  it('walks up from a sub-domain to the domain Vultr holds, once per command', async () => {
    const session = connect();
    await expect(session.findZone('mail.eu.sub-zone.com')).resolves.toEqual({ name: 'eu.sub-zone.com', id: 'eu.sub-zone.com' });
    await expect(session.authorize('mail.eu.sub-zone.com')).resolves.toEqual({ name: 'eu.sub-zone.com', id: 'eu.sub-zone.com' });
    expect(trace()).toEqual(['GET /v2/domains/mail.eu.sub-zone.com 404', 'GET /v2/domains/eu.sub-zone.com 200']);
  });

  it('maps an unknown key to auth, with Vultr\'s documented body', async () => {
    const error = await providerError(connect(WRONG).authorize(SEED_APEX));
    expect([error.kind, error.reason]).toEqual(['auth', 'invalid API key']);
    const reply = await raw('GET', '/domains/example.com', undefined, WRONG.apiKey);
    expect([reply.status, reply.json]).toEqual([401, { error: 'Invalid API token.', status: 401 }]);
  });

  it("maps the key's IP access list refusing this server to forbidden (an error, never an empty zone)", async () => {
    const error = await providerError(connect({ apiKey: VULTR_FAKE_ACCOUNTS.ipRefused.key }).authorize(SEED_APEX));
    expect([error.kind, error.reason]).toEqual(['forbidden', "this server's IP address is not in the API key's access control list"]);
    const read = await providerError(connect({ apiKey: VULTR_FAKE_ACCOUNTS.ipRefused.key }).readZone(ZONE));
    expect(read.kind).toBe('forbidden');
  });

  it('maps a key without DNS permission to forbidden and a domain of another account to not_found', async () => {
    expect((await providerError(connect({ apiKey: VULTR_FAKE_ACCOUNTS.noDns.key }).authorize(SEED_APEX))).kind).toBe('forbidden');
    const missing = await providerError(connect({ apiKey: VULTR_FAKE_ACCOUNTS.otherAccount.key }).authorize(SEED_APEX));
    expect([missing.kind, missing.reason]).toEqual(['not_found', 'domain not found in this account']);
  });

  it('refuses an empty or unprintable key before any call', async () => {
    expect((await providerError(connect({ apiKey: '' }).authorize(SEED_APEX))).kind).toBe('auth');
    expect((await providerError(connect({ apiKey: 'AB CD' }).authorize(SEED_APEX))).reason).toBe('invalid API key (malformed)');
    expect(fake.calls).toHaveLength(0);
  });
});

describe('readZone', () => {
  it('returns the whole seed zone in neutral form in one call of 500, the wire record kept in raw', async () => {
    const wire = fake.snapshot();
    const { records } = await connect().readZone(ZONE);
    expect(trace()).toEqual(['GET /v2/domains/example.com/records 200']);
    expect(fake.calls[0]?.query).toEqual({ per_page: '500' });
    expect(byJson(records.map(neutral))).toEqual(byJson(seedRecords()));
    expect(byJson(records.map((r) => r.raw))).toEqual(byJson(wire));
    expect(find(records, 'TXT', at('google._domainkey')).content).toBe(LONG_DKIM_TXT);
  });

  it('follows the meta.links.next cursor until it is empty', async () => {
    const total = fake.snapshot().length;
    const { records } = await connect(GOOD, { pageSize: 7 }).readZone(ZONE);
    expect(byJson(records.map(neutral))).toEqual(byJson(seedRecords()));
    const pages = Math.ceil(total / 7);
    expect(fake.calls).toHaveLength(pages);
    expect(fake.calls[0]?.query.cursor).toBeUndefined();
    expect(fake.calls.slice(1).every((c) => c.query.per_page === '7' && typeof c.query.cursor === 'string')).toBe(true);
  });

  it('reads again when the zone changed between two pages, so no record is missed', async () => {
    fake.beforeNextRead(() => undefined);
    fake.beforeNextRead(() => void fake.state.zones.get(SEED_APEX)!.splice(0, 1));
    const { records } = await connect(GOOD, { pageSize: 25 }).readZone(ZONE);
    expect(byJson(records.map((r) => r.raw))).toEqual(byJson(fake.snapshot()));
    expect(fake.calls).toHaveLength(6);
  });

  it('answers not_found for a domain Vultr does not hold, in one call', async () => {
    const error = await providerError(connect().readZone({ name: 'not-mine.com', id: 'not-mine.com' }));
    expect(error.kind).toBe('not_found');
    expect(fake.calls).toHaveLength(1);
  });

  it('normalises Vultr spellings: quoted TXT, empty apex name, dot-less or dotted targets, SRV and CAA data', async () => {
    const rec = (id: string, type: string, name: string, data: string, priority = 0, ttl = 300): VultrRecord => ({ id, type, name, data, priority, ttl });
    fake.state.zones.set('empty-zone.com', [
      rec('1', 'TXT', '', '"v=spf1 -all"'),
      rec('2', 'TXT', 'dkim', '"v=DKIM1; " "p=ABC"'),
      rec('3', 'CNAME', 'WWW', 'empty-zone.com'),
      rec('4', 'MX', '', 'mx.example.net.', 5),
      rec('5', 'SRV', '_sip._udp', '2 5060 sip.example.net', 1),
      rec('6', 'CAA', '', '128 issuewild "letsencrypt.org"'),
    ]);
    const { records } = await connect().readZone({ name: 'empty-zone.com', id: 'empty-zone.com' });
    expect(records.map(neutral)).toEqual([
      { type: 'TXT', name: 'empty-zone.com', content: 'v=spf1 -all', ttl: 300 },
      { type: 'TXT', name: 'dkim.empty-zone.com', content: 'v=DKIM1; p=ABC', ttl: 300 },
      { type: 'CNAME', name: 'www.empty-zone.com', content: 'empty-zone.com', ttl: 300 },
      { type: 'MX', name: 'empty-zone.com', content: 'mx.example.net', ttl: 300, priority: 5 },
      { type: 'SRV', name: '_sip._udp.empty-zone.com', content: '2 5060 sip.example.net', ttl: 300, priority: 1 },
      { type: 'CAA', name: 'empty-zone.com', content: '128 issuewild "letsencrypt.org"', ttl: 300 },
    ]);
    expect(unquoteTxt('not quoted')).toBe('not quoted');
  });

  it('waits out a 429 (no retry signal: the one-second window) and then reads', async () => {
    fake.failNext({ kind: 'rate-limited', on: 'read', retryAfterSeconds: 1 });
    const { records } = await connect(GOOD, { realSleep: true }).readZone(ZONE);
    expect(records.length).toBeGreaterThan(50);
    expect(fake.calls.map((c) => c.status)).toEqual([429, 200]);
    expect(sleeps).toEqual([1000]);
  });

  it('honours a Retry-After when one is sent, and reports rate_limited when it would pass the deadline', async () => {
    fake.failNext({ kind: 'rate-limited', on: 'read', retryAfterSeconds: 5, header: true });
    const error = await providerError(connect(GOOD, { deadlineMs: 3000 }).readZone(ZONE));
    expect([error.kind, error.retryAfterSeconds]).toEqual(['rate_limited', 5]);
    expect(sleeps).toEqual([]);
    expect(fake.calls).toHaveLength(1);
  });

  it('the fake enforces 30 requests per second per client; the adapter waits and succeeds', async () => {
    fake.setBehaviour({ rateLimitPerSecond: 1 });
    const session = connect(GOOD, { realSleep: true, pageSize: 20 });
    await expect(session.readZone(ZONE)).resolves.toMatchObject({ records: expect.any(Array) });
    expect(fake.calls.filter((c) => c.status === 429).length).toBeGreaterThan(0);
    expect(sleeps.every((ms) => ms === 1000)).toBe(true);
  });

  it('retries a 500 and a malformed body; gives up on a lasting 503 as unavailable', async () => {
    fake.failNext({ kind: 'server-error', on: 'read' });
    fake.failNext({ kind: 'malformed', on: 'read' });
    await expect(connect().readZone(ZONE)).resolves.toMatchObject({ records: expect.any(Array) });
    fake.clearFaults();
    const before = fake.calls.length;
    fake.failNext({ kind: 'server-error', on: 'read', status: 503, times: 'always' });
    expect((await providerError(connect().readZone(ZONE))).kind).toBe('unavailable');
    expect(fake.calls.length - before).toBe(4);
  });
});

describe('writing records in Vultr form', () => {
  it('TXT in one pair of quotes, targets without the dot, the apex name empty, priority for MX and SRV only', () => {
    const body = (type: string, name: string, content: string, priority?: number) => toVultr({ type, name, content, ttl: 300, priority }, SEED_APEX);
    expect(body('TXT', at('_dmarc'), 'v=DMARC1; p=none')).toEqual({ type: 'TXT', name: '_dmarc', data: '"v=DMARC1; p=none"', ttl: 300 });
    expect(body('TXT', at('@'), LONG_DKIM_TXT).data).toBe(`"${LONG_DKIM_TXT}"`);
    expect(body('CNAME', at('em1._domainkey'), 's1.dkim.esp.net.')).toEqual({ type: 'CNAME', name: 'em1._domainkey', data: 's1.dkim.esp.net', ttl: 300 });
    expect(body('MX', at('@'), 'mx.esp.net', 10)).toEqual({ type: 'MX', name: '', data: 'mx.esp.net', ttl: 300, priority: 10 });
    expect(body('SRV', at('_sip._tcp'), '5 5060 sip.example.com.', 10)).toEqual({ type: 'SRV', name: '_sip._tcp', data: '5 5060 sip.example.com', ttl: 300, priority: 10 });
    expect(body('CAA', at('@'), '0 issue "letsencrypt.org"')).toEqual({ type: 'CAA', name: '', data: '0 issue "letsencrypt.org"', ttl: 300 });
    const desired = { type: 'TXT', name: at('x'), content: 'v=1', ttl: 600 };
    const wire: VultrRecord = { id: 'a', priority: 0, ...toVultr(desired, SEED_APEX) };
    expect(neutral(fromVultr(wire, SEED_APEX))).toEqual(desired);
  });

  it('refuses before writing what Vultr refuses: a quote or backslash in TXT, TTL under 60, CAA with a space', () => {
    const refuse = (type: string, content: string, ttl = 300) => {
      try {
        toVultr({ type, name: at('x'), content, ttl }, SEED_APEX);
        return 'accepted';
      } catch (error) {
        expect(error).toBeInstanceOf(ProviderError);
        return (error as ProviderError).kind;
      }
    };
    expect(refuse('TXT', 'say "hi"')).toBe('rejected');
    expect(refuse('TXT', 'a\\b')).toBe('rejected');
    expect(refuse('TXT', 'v=1', 59)).toBe('rejected');
    expect(refuse('TXT', 'v=1', 60)).toBe('accepted');
    expect(refuse('TXT', 'x'.repeat(1025))).toBe('rejected');
    expect(refuse('CAA', '0 issue "lets encrypt.org"')).toBe('rejected');
    expect(refuse('PTR', 'h.example.net')).toBe('rejected');
  });
});

describe('the fake follows Vultr', () => {
  it('refuses unquoted TXT, a quote inside it, a dotted CNAME target, and a TTL that differs from its set', async () => {
    const post = (body: unknown) => raw('POST', '/domains/example.com/records', body);
    expect((await post({ type: 'TXT', name: 'x', data: 'v=1', ttl: 300 })).status).toBe(400);
    expect((await post({ type: 'TXT', name: 'x', data: '"a"b"', ttl: 300 })).status).toBe(400);
    expect((await post({ type: 'CNAME', name: 'x', data: 'target.example.net.', ttl: 300 })).status).toBe(400);
    const ttl = await post({ type: 'TXT', name: '', data: '"v=other"', ttl: 60 });
    expect([ttl.status, ttl.json]).toEqual([400, { error: 'Unable to add record: New records TTL (60) must match the TTL of existing records (3600)', status: 400 }]);
  });

  it('a POST always creates (a repeat duplicates); PATCH answers 204 and keeps the type', async () => {
    const body = { type: 'TXT', name: '_dmarc', data: '"v=DMARC1; p=none"', ttl: 1800 };
    expect((await raw('POST', '/domains/example.com/records', body)).status).toBe(201);
    expect((await raw('POST', '/domains/example.com/records', body)).status).toBe(201);
    expect(fake.snapshot().filter((r) => r.name === '_dmarc' && r.data === body.data)).toHaveLength(2);
    const id = fake.snapshot().find((r) => r.name === 'www')!.id;
    expect((await raw('PATCH', `/domains/example.com/records/${id}`, { type: 'CNAME', data: '203.0.113.99' })).status).toBe(204);
    expect(fake.snapshot().find((r) => r.id === id)).toMatchObject({ type: 'A', data: '203.0.113.99', ttl: 300 });
  });
});

describe('applyChanges', () => {
  const SPF_MERGED = 'v=spf1 include:_spf.mailhost.example.net include:spf.esp.example.net ip4:203.0.113.0/24 -all';
  const cname = (label: string, target: string): RecordChange => ({ action: 'CREATE', record: { type: 'CNAME', name: at(label), content: target, ttl: 3600 } });

  it('applies a sender plan with one call per record, a PATCH for the SPF, and leaves every other record identical', async () => {
    const session = connect();
    const contents = await session.readZone(ZONE);
    const before = fake.snapshot();
    const spf = find(contents.records, 'TXT', at('@'), 'v=spf1');
    const changes: RecordChange[] = [
      cname('em1._domainkey', 's1.dkim.esp.example.net'),
      cname('em2._domainkey', 's2.dkim.esp.example.net'),
      cname('bounce', 'returns.esp.example.net'),
      { action: 'UPDATE', before: spf, record: { type: 'TXT', name: at('@'), content: SPF_MERGED, ttl: 3600 } },
    ];
    const start = fake.calls.length;
    await expect(session.applyChanges(ZONE, contents, changes)).resolves.toEqual({ applied: changes });
    expect(trace(start)).toEqual([
      'POST /v2/domains/example.com/records 201',
      'POST /v2/domains/example.com/records 201',
      'POST /v2/domains/example.com/records 201',
      `PATCH /v2/domains/example.com/records/${spf.id} 204`,
    ]);
    expect(writes()[0]?.body).toEqual({ type: 'CNAME', name: 'em1._domainkey', data: 's1.dkim.esp.example.net', ttl: 3600 });
    expect(writes()[3]?.body).toEqual({ name: '', data: `"${SPF_MERGED}"`, ttl: 3600 });
    const after = fake.snapshot();
    const untouched = before.filter((r) => r.id !== spf.id);
    expect(after.filter((r) => untouched.some((u) => u.id === r.id))).toEqual(untouched);
    expect(after.find((r) => r.id === spf.id)).toEqual({ ...before.find((r) => r.id === spf.id), data: `"${SPF_MERGED}"` });
    const reread = await session.readZone(ZONE);
    expect(find(reread.records, 'TXT', at('@'), 'v=spf1').content).toBe(SPF_MERGED);
  });

  it('a record created beside others of its name and type takes their TTL, and is reported with it', async () => {
    const session = connect();
    const contents = await session.readZone(ZONE);
    const verification: RecordChange = { action: 'CREATE', record: { type: 'TXT', name: at('@'), content: 'esp-verification=1234', ttl: 300 } };
    const result = await session.applyChanges(ZONE, contents, [verification]);
    expect(result.applied).toEqual([{ action: 'CREATE', record: { ...(verification as { record: object }).record, ttl: 3600 } }]);
    expect(writes().map((c) => c.status)).toEqual([201]);
    expect(fake.snapshot().find((r) => r.data === '"esp-verification=1234"')?.ttl).toBe(3600);
    // Beside records of differing TTLs (the apex MX: 3600 and 7200) nothing is sent.
    const mx: RecordChange = { action: 'CREATE', record: { type: 'MX', name: at('@'), content: 'mx3.esp.example.net', ttl: 3600, priority: 40 } };
    const error = await providerError(session.applyChanges(ZONE, contents, [mx]));
    expect(error.kind).toBe('rejected');
    expect(error.reason).toContain('different TTLs (3600, 7200)');
    expect(writes()).toHaveLength(1);
    // An update that keeps its TTL needs no match, even in that mixed set.
    const backup = find(contents.records, 'MX', at('@'), 'backup-mx.');
    const moved: RecordChange = { action: 'UPDATE', before: backup, record: { ...neutral(backup), content: 'backup-mx.example.net' } };
    await expect(session.applyChanges(ZONE, contents, [moved])).resolves.toEqual({ applied: [moved] });
    expect(writes()[1]?.body).toEqual({ name: '', data: 'backup-mx.example.net', ttl: 7200, priority: 30 });
  });

  it('refuses before any call a type change, a TXT with a quote, and a record not in the zone as read', async () => {
    const session = connect();
    const contents = await session.readZone(ZONE);
    const count = fake.calls.length;
    const www = find(contents.records, 'A', at('www'));
    const retype: RecordChange = { action: 'UPDATE', before: www, record: { type: 'CNAME', name: at('www'), content: 'hosting.example.net', ttl: 300 } };
    expect((await providerError(session.applyChanges(ZONE, contents, [cname('em1._domainkey', 'x.example.net'), retype]))).kind).toBe('rejected');
    const quoted: RecordChange = { action: 'CREATE', record: { type: 'TXT', name: at('q'), content: 'say "hi"', ttl: 300 } };
    expect((await providerError(session.applyChanges(ZONE, contents, [quoted]))).kind).toBe('rejected');
    const stale: RecordChange = { action: 'DELETE', before: { type: 'TXT', name: at('@'), content: 'v=spf1 -all', ttl: 3600 } };
    expect((await providerError(session.applyChanges(ZONE, contents, [stale]))).kind).toBe('conflict');
    expect(fake.calls).toHaveLength(count);
  });

  it('a lost POST reply is settled by reading the zone: it landed, so it is not sent again', async () => {
    const session = connect();
    const contents = await session.readZone(ZONE);
    const first = cname('em1._domainkey', 's1.dkim.esp.example.net');
    const second = cname('bounce', 'returns.esp.example.net');
    fake.failNext({ kind: 'lost-reply', on: 'write' });
    const start = fake.calls.length;
    await expect(session.applyChanges(ZONE, contents, [first, second])).resolves.toEqual({ applied: [first, second] });
    expect(trace(start)).toEqual(['POST /v2/domains/example.com/records 0', 'GET /v2/domains/example.com/records 200', 'POST /v2/domains/example.com/records 201']);
    expect(fake.snapshot().filter((r) => r.name === 'em1._domainkey')).toHaveLength(1);
  });

  it('a POST that failed before it ran (500) is found absent and sent once more', async () => {
    const session = connect();
    const contents = await session.readZone(ZONE);
    const change = cname('em1._domainkey', 's1.dkim.esp.example.net');
    fake.failNext({ kind: 'server-error', on: 'write' });
    await expect(session.applyChanges(ZONE, contents, [change])).resolves.toEqual({ applied: [change] });
    expect(fake.calls.slice(-3).map((c) => `${c.method} ${c.status}`)).toEqual(['POST 500', 'GET 200', 'POST 201']);
    expect(fake.snapshot().filter((r) => r.name === 'em1._domainkey')).toHaveLength(1);
  });

  it('says "unknown" when a lost POST reply cannot be checked', async () => {
    const session = connect();
    const contents = await session.readZone(ZONE);
    const change = cname('em1._domainkey', 's1.dkim.esp.example.net');
    fake.failNext({ kind: 'lost-reply', on: 'write' });
    fake.failNext({ kind: 'server-error', on: 'read', times: 'always' });
    const error = await providerError(session.applyChanges(ZONE, contents, [change]));
    expect([error.kind, error.applied]).toEqual(['unavailable', []]);
    expect(error.reason).toContain('unknown whether CREATE CNAME em1._domainkey.example.com was applied');
    expect(writes()).toHaveLength(1);
  });

  it('stops at a refused record: names what landed (with its TTL as written), never sends the rest', async () => {
    const session = connect();
    const contents = await session.readZone(ZONE);
    const before = fake.snapshot();
    const txt: RecordChange = { action: 'CREATE', record: { type: 'TXT', name: at('@'), content: 'esp-verification=1234', ttl: 300 } };
    const clash = cname('mail', 'elsewhere.example.net');
    const third = cname('bounce', 'returns.esp.example.net');
    const error = await providerError(session.applyChanges(ZONE, contents, [txt, clash, third]));
    expect(error.kind).toBe('rejected');
    expect(error.reason).toContain('cannot share its name');
    expect(error.reason).toContain('1 of 3 changes were applied (CREATE TXT example.com)');
    expect(error.reason).toContain('not applied: CREATE CNAME mail.example.com, CREATE CNAME bounce.example.com');
    expect(error.applied).toEqual([{ action: 'CREATE', record: { ...(txt as { record: object }).record, ttl: 3600 } }]);
    expect(writes().map((c) => c.status)).toEqual([201, 400]);
    expect(fake.snapshot()).toHaveLength(before.length + 1);
  });

  it('not guarded: a record added by someone else is kept; a record they deleted makes the PATCH a conflict', async () => {
    const session = connect();
    const contents = await session.readZone(ZONE);
    const spf = find(contents.records, 'TXT', at('@'), 'v=spf1');
    fake.beforeNextWrite(() => void fake.plant({ type: 'TXT', name: at('@'), content: 'their-verification=123', ttl: 3600 }));
    const update: RecordChange = { action: 'UPDATE', before: spf, record: { ...neutral(spf), content: SPF_MERGED } };
    await expect(session.applyChanges(ZONE, contents, [update])).resolves.toEqual({ applied: [update] });
    expect(fake.snapshot().map((r) => r.data)).toContain('"their-verification=123"');

    const again = await session.readZone(ZONE);
    const ms = find(again.records, 'TXT', at('@'), 'MS=');
    fake.beforeNextWrite(() => {
      const zone = fake.state.zones.get(SEED_APEX)!;
      zone.splice(zone.findIndex((r) => r.id === ms.id), 1);
    });
    const error = await providerError(session.applyChanges(ZONE, again, [{ action: 'UPDATE', before: ms, record: { ...neutral(ms), content: 'MS=changed' } }]));
    expect([error.kind, error.applied]).toEqual(['conflict', []]);
    expect(fake.snapshot().some((r) => r.data.startsWith('"MS='))).toBe(false);
  });

  it('retries an idempotent PATCH after a reset and a DELETE whose first reply was lost', async () => {
    const session = connect();
    const contents = await session.readZone(ZONE);
    const spf = find(contents.records, 'TXT', at('@'), 'v=spf1');
    const acme = find(contents.records, 'TXT', at('_acme-challenge'));
    fake.failNext({ kind: 'reset', on: 'write' });
    const update: RecordChange = { action: 'UPDATE', before: spf, record: { ...neutral(spf), content: SPF_MERGED } };
    await expect(session.applyChanges(ZONE, contents, [update])).resolves.toEqual({ applied: [update] });
    fake.failNext({ kind: 'lost-reply', on: 'write' });
    const del: RecordChange = { action: 'DELETE', before: acme };
    await expect(session.applyChanges(ZONE, contents, [del])).resolves.toEqual({ applied: [del] });
    expect(writes().map((c) => `${c.method} ${c.status}`)).toEqual(['PATCH 0', 'PATCH 204', 'DELETE 0', 'DELETE 404']);
  });
});

describe('credentials never reach a message', () => {
  it('a 401 that echoes the key is scrubbed', async () => {
    fake.failNext({ kind: 'echo-credentials' });
    const error = await providerError(connect().authorize(SEED_APEX));
    expect(error.kind).toBe('auth');
    expect(error.reason).toContain('[redacted]');
    fake.failNext({ kind: 'echo-credentials' });
    expect(String((await raw('GET', '/domains/example.com')).json?.error)).toContain(GOOD.apiKey);
  });

  it('a 400 text that repeats the key is scrubbed too', () => {
    const text = JSON.stringify({ error: `Unable to add record: ${GOOD.apiKey} is not valid`, status: 400 });
    const error = vultrError({ status: 400, headers: {}, text }, GOOD, 'record');
    expect([error.kind, error.reason]).toEqual(['rejected', 'refused the record: Unable to add record: [redacted] is not valid']);
  });
});
