/**
 * The Name.com adapter against its loopback fake (no gateway): Basic authentication and the credential check
 * (hello + one records page), reading every page by `nextPage`, normalising (unquoted TXT, dot-less targets, apex
 * without host), each error mapped (bad token, two-step verification, no such domain, the domain's name servers
 * elsewhere), the rate limit honoured, the provider's traps (page parameters always sent, `nextPage` not `next_page`,
 * an update is one PUT with every field, a lost POST reply re-read before any resend, quotes inside TXT, TTL under
 * 300), partial application, and credentials kept out of every message.
 */
import { setTimeout as delay } from 'node:timers/promises';
import { request, type Agent } from 'undici';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createHttpAgent } from '../../providers/http.js';
import {
  createNamecomProvider,
  CREDENTIALS_REFUSED,
  encodedTxtLength,
  fromNamecom,
  NAMECOM_CAPABILITIES,
  NAMECOM_MAX_TXT,
  NAMESERVERS_ELSEWHERE,
  namecomError,
  toNamecom,
  unquoteTxt,
  type NamecomRecord,
} from '../../providers/namecom.js';
import { ProviderError, type DnsRecord, type ProviderSession, type RecordChange } from '../../providers/types.js';
import { NAMECOM_FAKE_ACCOUNTS, startNamecomFake, type NamecomFake, type NamecomFakeOptions } from '../fakes/namecom-fake.js';
import { LONG_DKIM_TXT, SEED_APEX, seedRecords } from '../fakes/seed-zone.js';

type Credentials = { apiKey: string; apiUser?: string };
const account = (a: { username: string; token: string }): Credentials => ({ apiKey: a.token, apiUser: a.username });
const GOOD = account(NAMECOM_FAKE_ACCOUNTS.good);
const WRONG: Credentials = { apiKey: '0000000000000000000000000000000000000bad', apiUser: NAMECOM_FAKE_ACCOUNTS.good.username };
const SECRETS: string[] = [
  ...Object.values(NAMECOM_FAKE_ACCOUNTS).flatMap((a) => [a.token, a.username, Buffer.from(`${a.username}:${a.token}`).toString('base64')]),
  WRONG.apiKey,
];
const ZONE = { name: SEED_APEX, id: SEED_APEX };
const at = (label: string) => (label === '@' ? SEED_APEX : `${label}.${SEED_APEX}`);
/** The seed zone as Name.com holds it: no CAA, no TTL under 300. */
const SEED = seedRecords({ caa: false }).map((r) => ({ ...r, ttl: Math.max(300, r.ttl) }));

let fake: NamecomFake;
let agent: Agent;
let sleeps: number[];

async function restart(options: NamecomFakeOptions): Promise<void> {
  await fake.close();
  fake = await startNamecomFake(options);
}

beforeEach(async () => {
  // The 20-a-second limit is tested on its own below; here it would only slow the tests down.
  fake = await startNamecomFake({ limits: false });
  agent = createHttpAgent({ keepAliveTimeoutMs: 100 });
  sleeps = [];
});

afterEach(async () => {
  await agent.close();
  await fake.close();
});

function connect(credentials: Credentials = GOOD, options: { deadlineMs?: number; pageSize?: number; realSleep?: boolean } = {}): ProviderSession {
  const sleep = async (ms: number) => {
    sleeps.push(ms);
    if (options.realSleep) await delay(ms);
  };
  return createNamecomProvider({ baseUrl: fake.baseUrl, dispatcher: agent, sleep, deadlineMs: options.deadlineMs, pageSize: options.pageSize }).connect(credentials);
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

const neutral = (r: { type: string; name: string; content: string; ttl: number; priority?: number | undefined }) => ({
  type: r.type,
  name: r.name,
  content: r.content,
  ttl: r.ttl,
  ...(r.priority === undefined ? {} : { priority: r.priority }),
});
const byJson = <T>(list: readonly T[]) => [...list].map((x) => JSON.stringify(x)).sort();
const writes = () => fake.calls.filter((c) => c.method !== 'GET');
const trace = (from = 0) => fake.calls.slice(from).map((c) => `${c.method} ${c.path} ${c.status}`);
const RECORDS = '/core/v1/domains/example.com/records';

async function raw(method: 'GET' | 'POST' | 'PUT' | 'DELETE', path: string, body?: unknown, options: { credentials?: Credentials | null; json?: boolean } = {}) {
  const credentials = options.credentials === undefined ? GOOD : options.credentials;
  const headers: Record<string, string> = {};
  if (options.json !== false) headers['content-type'] = 'application/json';
  if (credentials !== null) headers.authorization = `Basic ${Buffer.from(`${credentials.apiUser}:${credentials.apiKey}`).toString('base64')}`;
  const reply = await request(`${fake.baseUrl}${path}`, { dispatcher: agent, method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await reply.body.text();
  return { status: reply.statusCode, headers: reply.headers, json: text ? (JSON.parse(text) as Record<string, unknown>) : undefined };
}

function find(records: readonly DnsRecord[], type: string, name: string, startsWith = ''): DnsRecord {
  const found = records.find((r) => r.type === type && r.name === name && r.content.startsWith(startsWith));
  if (!found) throw new Error(`no ${type} ${name}`);
  return found;
}

describe('capabilities', () => {
  it('declares what Name.com is: TTL at least 300, no CAA, one call per record, neither atomic nor guarded', () => {
    expect(NAMECOM_CAPABILITIES).toMatchObject({ minTtl: 300, atomicApply: false, guardedWrite: false, maxTxtLength: 507 });
    expect([...NAMECOM_CAPABILITIES.recordTypes].sort()).toEqual(['A', 'AAAA', 'ANAME', 'CNAME', 'MX', 'NS', 'SRV', 'TXT']);
    expect(NAMECOM_CAPABILITIES.upstreamCalls).toEqual({ read: 1, write: { perPlan: 0, perRrset: 0, perRecord: 1 } });
  });
});

describe('findZone and authorize', () => {
  it('the zone is the registrable domain (no call); authorize is GET /core/v1/hello and one record page, with Basic username:token', async () => {
    const session = connect();
    await expect(session.findZone('Mail.Example.COM.')).resolves.toEqual(ZONE);
    expect(fake.calls).toHaveLength(0);
    await expect(session.authorize(SEED_APEX)).resolves.toEqual(ZONE);
    expect(trace()).toEqual(['GET /core/v1/hello 200', `GET ${RECORDS} 200`]);
    expect(fake.calls[1]?.query).toEqual({ perPage: '1', page: '1' });
    expect(writes()).toEqual([]);
  });

  it("maps an unknown token to auth, with Name.com's 401 body", async () => {
    const error = await providerError(connect(WRONG).authorize(SEED_APEX));
    expect([error.kind, error.reason]).toEqual(['auth', 'invalid username or API token']);
    expect(trace()).toEqual(['GET /core/v1/hello 401']);
    const reply = await raw('GET', '/core/v1/hello', undefined, { credentials: WRONG });
    expect([reply.status, reply.json]).toEqual([401, { message: 'Unauthorized' }]);
    expect((await raw('GET', '/core/v1/hello', undefined, { credentials: null })).status).toBe(401);
  });

  it('trap 4: an account with two-step verification is a clear credentials error, on the check and on a read', async () => {
    const twoStep = account(NAMECOM_FAKE_ACCOUNTS.twoStep);
    const error = await providerError(connect(twoStep).authorize(SEED_APEX));
    expect([error.kind, error.reason]).toEqual(['auth', CREDENTIALS_REFUSED]);
    expect(error.reason).toContain('two-step verification');
    const read = await providerError(connect(twoStep).readZone(ZONE));
    expect([read.kind, read.reason]).toEqual(['auth', CREDENTIALS_REFUSED]);
  });

  it('maps a domain of another account to not_found after the credential check', async () => {
    const missing = await providerError(connect(account(NAMECOM_FAKE_ACCOUNTS.otherAccount)).authorize(SEED_APEX));
    expect([missing.kind, missing.reason]).toEqual(['not_found', 'domain not found in this account']);
    expect(trace()).toEqual(['GET /core/v1/hello 200', `GET ${RECORDS} 404`]);
  });

  it('refuses a missing username, a username with a colon and an unprintable token before any call', async () => {
    expect((await providerError(connect({ apiKey: GOOD.apiKey }).authorize(SEED_APEX))).reason).toBe('no username given');
    expect((await providerError(connect({ apiKey: GOOD.apiKey, apiUser: 'a:b' }).authorize(SEED_APEX))).reason).toBe('invalid username (malformed)');
    expect((await providerError(connect({ apiKey: 'AB CD', apiUser: 'acme' }).authorize(SEED_APEX))).reason).toBe('invalid API token (malformed)');
    expect(fake.calls).toHaveLength(0);
  });
});

describe('readZone', () => {
  it('returns the whole seed zone in neutral form in one call of perPage=1000&page=1, the wire record kept in raw', async () => {
    const wire = fake.snapshot();
    const { records } = await connect().readZone(ZONE);
    expect(trace()).toEqual([`GET ${RECORDS} 200`]);
    expect(fake.calls[0]?.query).toEqual({ perPage: '1000', page: '1' });
    expect(byJson(records.map(neutral))).toEqual(byJson(SEED));
    expect(byJson(records.map((r) => r.raw))).toEqual(byJson(wire));
    expect(find(records, 'TXT', at('google._domainkey')).content).toBe(LONG_DKIM_TXT);
    expect(find(records, 'A', at('vpn')).ttl).toBe(300);
  });

  it('traps 1 and 2: sends page and perPage on every call and follows nextPage until it is absent', async () => {
    const total = fake.snapshot().length;
    const { records } = await connect(GOOD, { pageSize: 7 }).readZone(ZONE);
    expect(byJson(records.map(neutral))).toEqual(byJson(SEED));
    const pages = Math.ceil(total / 7);
    expect(fake.calls.map((c) => c.query)).toEqual(Array.from({ length: pages }, (_, i) => ({ perPage: '7', page: String(i + 1) })));
    // The fake names the next page `nextPage` only (ncom-spec), never lexicon's `next_page`.
    const first = await raw('GET', `${RECORDS}?perPage=7&page=1`);
    expect(first.json).toMatchObject({ nextPage: 2, lastPage: pages, totalCount: total, from: 1, to: 7 });
    expect(first.json).not.toHaveProperty('next_page');
    const last = await raw('GET', `${RECORDS}?perPage=7&page=${pages}`);
    expect(last.json).not.toHaveProperty('nextPage');
  });

  it('follows nextPage when Name.com returns fewer records than perPage asked for', async () => {
    await restart({ limits: false, maxPerPage: 10 });
    const { records } = await connect().readZone(ZONE);
    expect(records).toHaveLength(SEED.length);
    expect(fake.calls).toHaveLength(Math.ceil(SEED.length / 10));
    expect(fake.calls.every((c) => c.query.perPage === '1000')).toBe(true);
  });

  it('reads again when the zone changed between two pages, so no record is missed', async () => {
    fake.beforeNextRead(() => undefined);
    fake.beforeNextRead(() => void fake.state.zones.get(SEED_APEX)!.splice(0, 1));
    const { records } = await connect(GOOD, { pageSize: 25 }).readZone(ZONE);
    expect(byJson(records.map((r) => r.raw))).toEqual(byJson(fake.snapshot()));
    expect(fake.calls).toHaveLength(3 + Math.ceil((SEED.length - 1) / 25));
  });

  it('answers not_found for a domain Name.com does not hold, in one call', async () => {
    const error = await providerError(connect().readZone({ name: 'not-mine.com', id: 'not-mine.com' }));
    expect(error.kind).toBe('not_found');
    expect(fake.calls).toHaveLength(1);
  });

  it('normalises Name.com spellings: apex without host or as @, quoted legacy TXT, dotted targets, MX priority 0 left out, SRV', async () => {
    const rec = (id: number, type: string, host: string | undefined, answer: string, extra: Partial<NamecomRecord> = {}): NamecomRecord => ({
      id,
      domainName: 'empty-zone.com',
      ...(host === undefined ? {} : { host }),
      fqdn: `${host === undefined || host === '' || host === '@' ? '' : `${host}.`}empty-zone.com.`,
      type,
      answer,
      ttl: 300,
      ...extra,
    });
    fake.state.zones.set('empty-zone.com', [
      rec(1, 'TXT', undefined, 'v=spf1 -all'),
      rec(2, 'TXT', 'dkim', '"v=DKIM1; " "p=ABC"'),
      rec(3, 'CNAME', 'WWW', 'empty-zone.com.', { fqdn: 'WWW.empty-zone.com.' }),
      rec(4, 'MX', '@', 'mx.example.net'),
      rec(5, 'SRV', '_sip._udp', '2 5060 sip.example.net', { priority: 1 }),
      rec(6, 'ANAME', '', 'lb.example.net'),
    ]);
    const { records } = await connect().readZone({ name: 'empty-zone.com', id: 'empty-zone.com' });
    expect(records.map(neutral)).toEqual([
      { type: 'TXT', name: 'empty-zone.com', content: 'v=spf1 -all', ttl: 300 },
      { type: 'TXT', name: 'dkim.empty-zone.com', content: 'v=DKIM1; p=ABC', ttl: 300 },
      { type: 'CNAME', name: 'www.empty-zone.com', content: 'empty-zone.com', ttl: 300 },
      { type: 'MX', name: 'empty-zone.com', content: 'mx.example.net', ttl: 300, priority: 0 },
      { type: 'SRV', name: '_sip._udp.empty-zone.com', content: '2 5060 sip.example.net', ttl: 300, priority: 1 },
      { type: 'ANAME', name: 'empty-zone.com', content: 'lb.example.net', ttl: 300 },
    ]);
    expect(records.map((r) => r.id)).toEqual(['1', '2', '3', '4', '5', '6']);
    expect(unquoteTxt('not quoted; with "inner" words')).toBe('not quoted; with "inner" words');
  });

  it("waits out Name.com's 429 until x-ratelimit-reset, then reads", async () => {
    fake.failNext({ kind: 'rate-limited', on: 'read', retryAfterSeconds: 1 });
    const { records } = await connect(GOOD, { realSleep: true }).readZone(ZONE);
    expect(records).toHaveLength(SEED.length);
    expect(fake.calls.map((c) => c.status)).toEqual([429, 200]);
    expect(sleeps).toHaveLength(1);
    // The reset is in whole epoch seconds: between the one second asked for and the next second boundary.
    expect(sleeps[0]).toBeGreaterThan(500);
    expect(sleeps[0]).toBeLessThanOrEqual(2000);
  });

  it('the fake enforces 20 requests a second per account; the adapter waits for the next second and succeeds', async () => {
    await restart({ limits: { perSecond: 2, perHour: 3000 } });
    const { records } = await connect(GOOD, { realSleep: true, pageSize: 10 }).readZone(ZONE);
    expect(records).toHaveLength(SEED.length);
    expect(fake.calls.filter((c) => c.status === 429).length).toBeGreaterThan(0);
    expect(sleeps.every((ms) => ms > 0 && ms <= 1000)).toBe(true);
  });

  it('the hourly limit (3000) is reported as rate_limited with its wait, not waited for', async () => {
    await restart({ limits: { perSecond: 20, perHour: 1 } });
    await expect(connect().readZone(ZONE)).resolves.toMatchObject({ records: expect.any(Array) });
    const reply = await raw('GET', RECORDS);
    expect([reply.status, reply.json]).toEqual([429, { message: 'Rate Limit Exceeded' }]);
    expect(Number(reply.headers['x-ratelimit-reset'])).toBeGreaterThan(Date.now() / 1000 + 3000);
    const error = await providerError(connect().readZone(ZONE));
    expect(error.kind).toBe('rate_limited');
    expect(error.retryAfterSeconds).toBeGreaterThan(3000);
    expect(sleeps).toEqual([]);
  });

  it('retries a 500 and a malformed body; gives up on a lasting 503 as unavailable', async () => {
    fake.failNext({ kind: 'server-error', on: 'read' });
    fake.failNext({ kind: 'malformed', on: 'read' });
    await expect(connect().readZone(ZONE)).resolves.toMatchObject({ records: expect.any(Array) });
    expect(fake.calls.map((c) => c.status)).toEqual([500, 200, 200]);
    fake.clearFaults();
    const before = fake.calls.length;
    fake.failNext({ kind: 'server-error', on: 'read', status: 503, times: 'always' });
    expect((await providerError(connect().readZone(ZONE))).kind).toBe('unavailable');
    expect(fake.calls.length - before).toBe(4);
  });
});

describe('writing records in Name.com form', () => {
  it('TXT unquoted, targets without the dot, the apex as @, priority for MX and SRV only', () => {
    const body = (type: string, name: string, content: string, priority?: number) => toNamecom({ type, name, content, ttl: 300, priority }, SEED_APEX);
    expect(body('TXT', at('_dmarc'), 'v=DMARC1; p=none')).toEqual({ host: '_dmarc', type: 'TXT', answer: 'v=DMARC1; p=none', ttl: 300 });
    expect(body('TXT', at('@'), LONG_DKIM_TXT)).toEqual({ host: '@', type: 'TXT', answer: LONG_DKIM_TXT, ttl: 300 });
    expect(body('CNAME', at('em1._domainkey'), 's1.dkim.esp.net.')).toEqual({ host: 'em1._domainkey', type: 'CNAME', answer: 's1.dkim.esp.net', ttl: 300 });
    expect(body('MX', at('@'), 'mx.esp.net', 10)).toEqual({ host: '@', type: 'MX', answer: 'mx.esp.net', ttl: 300, priority: 10 });
    expect(body('SRV', at('_sip._tcp'), '5 5060 sip.example.com.', 10)).toEqual({ host: '_sip._tcp', type: 'SRV', answer: '5 5060 sip.example.com', ttl: 300, priority: 10 });
    expect(body('A', at('www'), '203.0.113.5', 10)).toEqual({ host: 'www', type: 'A', answer: '203.0.113.5', ttl: 300 });
    const desired = { type: 'TXT', name: at('x'), content: 'v=1', ttl: 600 };
    const { host, ...rest } = toNamecom(desired, SEED_APEX);
    expect(neutral(fromNamecom({ id: 9, fqdn: `${host}.${SEED_APEX}.`, host, ...rest }, SEED_APEX))).toEqual(desired);
  });

  it('refuses before writing what Name.com refuses: a double quote in TXT, a TTL under 300, an over-long TXT, CAA', () => {
    const refuse = (type: string, content: string, ttl = 300) => {
      try {
        toNamecom({ type, name: at('x'), content, ttl }, SEED_APEX);
        return 'accepted';
      } catch (error) {
        expect(error).toBeInstanceOf(ProviderError);
        return (error as ProviderError).kind;
      }
    };
    expect(refuse('TXT', 'say "hi"')).toBe('rejected');
    expect(refuse('TXT', 'v=1', 299)).toBe('rejected');
    expect(refuse('TXT', 'v=1', 300)).toBe('accepted');
    expect(refuse('TXT', '')).toBe('rejected');
    expect(refuse('TXT', 'v=1 ')).toBe('rejected');
    expect(encodedTxtLength('x'.repeat(NAMECOM_MAX_TXT))).toBe(512);
    expect(refuse('TXT', 'x'.repeat(NAMECOM_MAX_TXT))).toBe('accepted');
    expect(refuse('TXT', 'x'.repeat(NAMECOM_MAX_TXT + 1))).toBe('rejected');
    expect(refuse('CAA', '0 issue "letsencrypt.org"')).toBe('rejected');
    expect(refuse('SRV', '5060 sip.example.com')).toBe('rejected');
  });
});

describe('the fake follows Name.com', () => {
  it('refuses a double quote in TXT, a TTL under 300, a duplicate, and a write without Content-Type: application/json', async () => {
    const post = (body: unknown, json = true) => raw('POST', RECORDS, body, { json });
    const quoted = await post({ host: 'x', type: 'TXT', answer: 'say "hi"', ttl: 300 });
    expect([quoted.status, quoted.json?.message]).toEqual([400, 'Invalid Argument']);
    const short = await post({ host: 'x', type: 'TXT', answer: 'v=1', ttl: 299 });
    expect([short.status, short.json]).toEqual([400, { message: 'Invalid Argument', details: 'Parameter Value Error - TTL must be at least 300' }]);
    const dup = await post({ host: '@', type: 'TXT', answer: 'MS=ms51923412', ttl: 3600 });
    expect([dup.status, dup.json]).toEqual([400, { message: 'Invalid Argument', details: 'Parameter Value Error - Duplicate Record' }]);
    expect((await post({ host: 'x', type: 'TXT', answer: 'v=1', ttl: 300 }, false)).status).toBe(415);
    const made = await post({ host: 'x', type: 'CNAME', answer: 'target.example.net.', ttl: 300 });
    expect([made.status, made.json?.answer, made.json?.fqdn]).toEqual([200, 'target.example.net', 'x.example.com.']);
  });

  it('a PUT overwrites every field: what it leaves out is lost (why the adapter always sends them all)', async () => {
    const mx = fake.snapshot().find((r) => r.type === 'MX' && r.answer === 'backup-mx.example.org')!;
    expect(mx).toMatchObject({ ttl: 7200, priority: 30 });
    expect(mx).not.toHaveProperty('host');
    const put = await raw('PUT', `${RECORDS}/${mx.id}`, { type: 'MX', answer: 'backup-mx.example.org', host: '@' });
    expect(put.status).toBe(200);
    expect(fake.snapshot().find((r) => r.id === mx.id)).toEqual({ id: mx.id, domainName: SEED_APEX, fqdn: `${SEED_APEX}.`, type: 'MX', answer: 'backup-mx.example.org', ttl: 300 });
  });

  it("refuses every record write of a domain whose name servers are not Name.com's (403), and reads it", async () => {
    const id = fake.snapshot('elsewhere.com')[0]!.id;
    const refused = await raw('DELETE', `/core/v1/domains/elsewhere.com/records/${id}`);
    expect([refused.status, refused.json?.message]).toEqual([403, 'Permission Denied']);
    expect((await raw('GET', '/core/v1/domains/elsewhere.com/records')).status).toBe(200);
  });
});

describe('applyChanges', () => {
  const SPF_MERGED = 'v=spf1 include:_spf.mailhost.example.net include:spf.esp.example.net ip4:203.0.113.0/24 -all';
  const cname = (label: string, target: string): RecordChange => ({ action: 'CREATE', record: { type: 'CNAME', name: at(label), content: target, ttl: 3600 } });

  it('applies a sender plan with one call per record, one PUT carrying every field for the SPF, and leaves every other record identical', async () => {
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
    expect(trace(start)).toEqual([`POST ${RECORDS} 200`, `POST ${RECORDS} 200`, `POST ${RECORDS} 200`, `PUT ${RECORDS}/${spf.id} 200`]);
    expect(writes()[0]?.body).toEqual({ host: 'em1._domainkey', type: 'CNAME', answer: 's1.dkim.esp.example.net', ttl: 3600 });
    // Trap 3: an update is one PUT of the whole record, never a DELETE then a POST; the record keeps its id.
    expect(writes()[3]?.body).toEqual({ host: '@', type: 'TXT', answer: SPF_MERGED, ttl: 3600 });
    expect(writes()[3]?.contentType).toBe('application/json');
    const after = fake.snapshot();
    const untouched = before.filter((r) => String(r.id) !== spf.id);
    expect(after.filter((r) => untouched.some((u) => u.id === r.id))).toEqual(untouched);
    expect(after.find((r) => String(r.id) === spf.id)).toEqual({ ...before.find((r) => String(r.id) === spf.id), answer: SPF_MERGED });
    const reread = await session.readZone(ZONE);
    expect(find(reread.records, 'TXT', at('@'), 'v=spf1').content).toBe(SPF_MERGED);
  });

  it('an updated MX keeps its priority and TTL: the PUT sends host, type, answer, TTL and priority', async () => {
    const session = connect();
    const contents = await session.readZone(ZONE);
    const backup = find(contents.records, 'MX', at('@'), 'backup-mx.');
    const moved: RecordChange = { action: 'UPDATE', before: backup, record: { ...neutral(backup), content: 'backup-mx.example.net' } };
    await expect(session.applyChanges(ZONE, contents, [moved])).resolves.toEqual({ applied: [moved] });
    expect(writes().map((c) => [c.method, c.body])).toEqual([['PUT', { host: '@', type: 'MX', answer: 'backup-mx.example.net', ttl: 7200, priority: 30 }]]);
    expect(fake.snapshot().find((r) => String(r.id) === backup.id)).toMatchObject({ answer: 'backup-mx.example.net', ttl: 7200, priority: 30 });
  });

  it("reports a domain whose name servers are not Name.com's exactly so, as forbidden, with nothing applied", async () => {
    const zone = { name: 'elsewhere.com', id: 'elsewhere.com' };
    const session = connect();
    await expect(session.authorize('elsewhere.com')).resolves.toEqual(zone);
    const contents = await session.readZone(zone);
    const change: RecordChange = { action: 'CREATE', record: { type: 'CNAME', name: 'sl.elsewhere.com', content: 'sender.example.net', ttl: 3600 } };
    const error = await providerError(session.applyChanges(zone, contents, [change, { action: 'DELETE', before: contents.records[0]! }]));
    expect([error.kind, error.reason, error.applied]).toEqual(['forbidden', NAMESERVERS_ELSEWHERE, []]);
    expect(error.message).toBe("Name.com: the domain's name servers are not Name.com's: records can only be edited where its DNS is hosted");
    expect(writes().map((c) => `${c.method} ${c.status}`)).toEqual(['POST 403']);
  });

  it('refuses before any call a TXT with a double quote, a TTL under 300, and a record not in the zone as read', async () => {
    const session = connect();
    const contents = await session.readZone(ZONE);
    const count = fake.calls.length;
    const quoted: RecordChange = { action: 'CREATE', record: { type: 'TXT', name: at('q'), content: 'say "hi"', ttl: 300 } };
    const quotedError = await providerError(session.applyChanges(ZONE, contents, [cname('em1._domainkey', 'x.example.net'), quoted]));
    expect([quotedError.kind, quotedError.reason]).toEqual(['rejected', 'the TXT record at q.example.com contains a double quote, which the API does not accept']);
    const short: RecordChange = { action: 'CREATE', record: { type: 'TXT', name: at('q'), content: 'v=1', ttl: 60 } };
    expect((await providerError(session.applyChanges(ZONE, contents, [short]))).kind).toBe('rejected');
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
    expect(trace(start)).toEqual([`POST ${RECORDS} 0`, `GET ${RECORDS} 200`, `POST ${RECORDS} 200`]);
    expect(fake.snapshot().filter((r) => r.host === 'em1._domainkey')).toHaveLength(1);
  });

  it('a POST that failed before it ran (500) is read for, found absent and sent once more', async () => {
    const session = connect();
    const contents = await session.readZone(ZONE);
    const change = cname('em1._domainkey', 's1.dkim.esp.example.net');
    fake.failNext({ kind: 'server-error', on: 'write' });
    await expect(session.applyChanges(ZONE, contents, [change])).resolves.toEqual({ applied: [change] });
    expect(fake.calls.slice(-3).map((c) => `${c.method} ${c.status}`)).toEqual(['POST 500', 'GET 200', 'POST 200']);
    expect(fake.snapshot().filter((r) => r.host === 'em1._domainkey')).toHaveLength(1);
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

  it('waits out a 429 on a write (refused before it ran) and sends it again, without a re-read', async () => {
    const session = connect(GOOD, { realSleep: true });
    const contents = await session.readZone(ZONE);
    const change = cname('em1._domainkey', 's1.dkim.esp.example.net');
    fake.failNext({ kind: 'rate-limited', on: 'write', retryAfterSeconds: 1 });
    const start = fake.calls.length;
    await expect(session.applyChanges(ZONE, contents, [change])).resolves.toEqual({ applied: [change] });
    expect(trace(start)).toEqual([`POST ${RECORDS} 429`, `POST ${RECORDS} 200`]);
    expect(sleeps).toHaveLength(1);
  });

  it('stops at a refused record (non-atomic): names what landed, never sends the rest', async () => {
    const session = connect();
    const contents = await session.readZone(ZONE);
    const before = fake.snapshot();
    const txt: RecordChange = { action: 'CREATE', record: { type: 'TXT', name: at('@'), content: 'esp-verification=1234', ttl: 3600 } };
    const clash = cname('mail', 'elsewhere.example.net');
    const third = cname('bounce', 'returns.esp.example.net');
    const error = await providerError(session.applyChanges(ZONE, contents, [txt, clash, third]));
    expect(error.kind).toBe('rejected');
    expect(error.reason).toContain('CNAME records cannot share a host with other records');
    expect(error.reason).toContain('1 of 3 changes were applied (CREATE TXT example.com)');
    expect(error.reason).toContain('not applied: CREATE CNAME mail.example.com, CREATE CNAME bounce.example.com');
    expect(error.applied).toEqual([txt]);
    expect(writes().map((c) => c.status)).toEqual([200, 400]);
    expect(fake.snapshot()).toHaveLength(before.length + 1);
  });

  it('not guarded: a record added by someone else is kept; a record they deleted makes the PUT a conflict', async () => {
    const session = connect();
    const contents = await session.readZone(ZONE);
    const spf = find(contents.records, 'TXT', at('@'), 'v=spf1');
    fake.beforeNextWrite(() => void fake.plant({ type: 'TXT', name: at('@'), content: 'their-verification=123', ttl: 3600 }));
    const update: RecordChange = { action: 'UPDATE', before: spf, record: { ...neutral(spf), content: SPF_MERGED } };
    await expect(session.applyChanges(ZONE, contents, [update])).resolves.toEqual({ applied: [update] });
    expect(fake.snapshot().map((r) => r.answer)).toContain('their-verification=123');

    const again = await session.readZone(ZONE);
    const ms = find(again.records, 'TXT', at('@'), 'MS=');
    fake.beforeNextWrite(() => {
      const zone = fake.state.zones.get(SEED_APEX)!;
      zone.splice(zone.findIndex((r) => String(r.id) === ms.id), 1);
    });
    const error = await providerError(session.applyChanges(ZONE, again, [{ action: 'UPDATE', before: ms, record: { ...neutral(ms), content: 'MS=changed' } }]));
    expect([error.kind, error.applied]).toEqual(['conflict', []]);
    expect(fake.snapshot().some((r) => r.answer.startsWith('MS='))).toBe(false);
  });

  it('retries an idempotent PUT after a reset and a DELETE whose first reply was lost', async () => {
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
    expect(writes().map((c) => `${c.method} ${c.status}`)).toEqual(['PUT 0', 'PUT 200', 'DELETE 0', 'DELETE 404']);
    expect(fake.snapshot().some((r) => r.host === '_acme-challenge')).toBe(false);
  });
});

describe('credentials never reach a message', () => {
  it('a 401 that echoes the username and token is scrubbed', async () => {
    fake.failNext({ kind: 'echo-credentials' });
    const error = await providerError(connect().authorize(SEED_APEX));
    expect(error.kind).toBe('auth');
    expect(error.reason).toContain('[redacted]');
    fake.failNext({ kind: 'echo-credentials' });
    const read = await providerError(connect().readZone(ZONE));
    expect(read.kind).toBe('auth');
    fake.failNext({ kind: 'echo-credentials' });
    const echoed = String((await raw('GET', '/core/v1/hello')).json?.details);
    expect(echoed).toContain(GOOD.apiKey);
    expect(echoed).toContain(GOOD.apiUser);
  });

  it('a 400 text that repeats the token or the Basic header value is scrubbed too', () => {
    const basic = Buffer.from(`${GOOD.apiUser}:${GOOD.apiKey}`).toString('base64');
    const text = JSON.stringify({ message: 'Invalid Argument', details: `token ${GOOD.apiKey} in Basic ${basic} is not valid here` });
    const error = namecomError({ status: 400, headers: {}, text }, GOOD, { subject: 'domain', write: true });
    expect([error.kind, error.reason]).toEqual(['rejected', 'refused the record: Invalid Argument: token [redacted] in Basic [redacted] is not valid here']);
  });
});
