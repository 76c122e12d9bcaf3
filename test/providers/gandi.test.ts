/**
 * The Gandi LiveDNS adapter against its loopback fake (no gateway): paginated reading and normalising, rrset writes
 * that carry every value read (POST for a new rrset, PUT for an existing one, DELETE when it ends empty), errors and
 * their kinds, retries and the settling of lost writes.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { request, type Agent } from 'undici';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createGandiProvider, fromGandi, GANDI_CAPABILITIES, gandiErrorFromReply, unquoteTxt, encodeTxt, type GandiRaw, type GandiRrset } from '../../providers/gandi.js';
import { createHttpAgent } from '../../providers/http.js';
import { ProviderError, type DnsRecord, type ProviderSession, type RecordChange } from '../../providers/types.js';
import { GANDI_FAKE_TOKENS, startGandiFake, type GandiFake } from '../fakes/gandi-fake.js';
import { LONG_DKIM_TXT, SEED_APEX, seedRecords } from '../fakes/seed-zone.js';

const GOOD = { apiKey: GANDI_FAKE_TOKENS.good.token };
const OTHER = { apiKey: GANDI_FAKE_TOKENS.other.token };
const WRONG = { apiKey: 'pat_ffffffffffffffffffffffffffffffffffffffff' };
const SECRETS = [GOOD.apiKey, OTHER.apiKey, WRONG.apiKey];
const ZONE = { name: SEED_APEX, id: SEED_APEX };
const at = (label: string) => (label === '@' ? SEED_APEX : `${label}.${SEED_APEX}`);
const SPF_MERGED = 'v=spf1 include:_spf.mailhost.example.net include:spf.sender.example.net ip4:203.0.113.0/24 -all';

let fake: GandiFake;
let agent: Agent;
let sleeps: number[];

beforeEach(async () => {
  fake = await startGandiFake();
  agent = createHttpAgent({ keepAliveTimeoutMs: 100 });
  sleeps = [];
});

afterEach(async () => {
  await agent.close();
  await fake.close();
});

function connect(credentials: { apiKey: string } = GOOD, options: { deadlineMs?: number; pageSize?: number } = {}): ProviderSession {
  const sleep = async (ms: number) => void sleeps.push(ms);
  return createGandiProvider({ baseUrl: fake.baseUrl, dispatcher: agent, sleep, deadlineMs: options.deadlineMs }, { pageSize: options.pageSize }).connect(credentials);
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
const rrset = (name: string, type: string) => fake.snapshot().find((r) => r.rrset_name === name && r.rrset_type === type);

function find(records: readonly DnsRecord[], type: string, name: string, startsWith = ''): DnsRecord {
  const found = records.find((r) => r.type === type && r.name === name && r.content.startsWith(startsWith));
  if (!found) throw new Error(`no ${type} ${name}`);
  return found;
}

/** The seed as LiveDNS can hold it: one TTL per rrset, the smallest of its values, at least 300. */
function seedAsHeld() {
  const seed = seedRecords();
  const ttl = new Map<string, number>();
  for (const r of seed) ttl.set(`${r.type} ${r.name}`, Math.max(300, Math.min(ttl.get(`${r.type} ${r.name}`) ?? Infinity, r.ttl)));
  return seed.map((r) => neutral({ ...r, ttl: ttl.get(`${r.type} ${r.name}`)! }));
}

async function fakeRequest(method: string, path: string, body?: unknown, token: string | null = GOOD.apiKey) {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (token !== null) headers.authorization = `Bearer ${token}`;
  const reply = await request(`${fake.baseUrl}${path}`, { dispatcher: agent, method: method as 'GET', headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await reply.body.text();
  return { status: reply.statusCode, headers: reply.headers, text, json: text ? (JSON.parse(text) as unknown) : undefined };
}

describe('findZone and authorize', () => {
  it('findZone makes no call; authorize reads the domain once with the token as a Bearer token', async () => {
    const session = connect();
    await expect(session.findZone('mail.Example.com.')).resolves.toEqual(ZONE);
    expect(fake.calls).toHaveLength(0);
    await expect(session.authorize('news.example.com')).resolves.toEqual(ZONE);
    expect(fake.calls.map((c) => `${c.method} ${c.path} ${c.status} ${c.authorization}`)).toEqual([`GET /domains/example.com 200 Bearer ${GOOD.apiKey}`]);
  });

  it('maps 401 to auth, 403 (no access to the domain) to forbidden, 404 (not on LiveDNS) to not_found', async () => {
    const wrong = await providerError(connect(WRONG).authorize(SEED_APEX));
    expect([wrong.kind, wrong.reason]).toEqual(['auth', 'invalid or expired personal access token']);
    const other = await providerError(connect(OTHER).authorize(SEED_APEX));
    expect([other.kind, other.reason]).toEqual(['forbidden', "the token has no access to this domain's DNS (its organisation or permissions)"]);
    expect(fake.calls.at(-1)?.status).toBe(403);
    const missing = await providerError(connect().authorize('not-on-livedns.com'));
    expect([missing.kind, missing.reason]).toEqual(['not_found', 'domain not found on LiveDNS in this account']);
  });

  it('refuses an empty or malformed token without calling Gandi', async () => {
    for (const apiKey of ['', 'pat with space']) expect((await providerError(connect({ apiKey }).authorize(SEED_APEX))).kind).toBe('auth');
    expect(fake.calls).toHaveLength(0);
  });

  it('the fake answers the documented 403 body, and an echoed token never reaches an error', async () => {
    const reply = await fakeRequest('GET', '/domains/example.com', undefined, OTHER.apiKey);
    expect([reply.status, reply.json]).toEqual([403, { code: 403, message: 'Access was denied to this resource.', object: 'HTTPForbidden', cause: 'Forbidden' }]);
    fake.failNext({ kind: 'echo-credentials' });
    const echoed = await providerError(connect().authorize(SEED_APEX));
    expect(echoed.kind).toBe('auth');
    expect(fake.calls.at(-1)?.status).toBe(401);
    const text = JSON.stringify({ code: 400, message: `bad token ${GOOD.apiKey}`, object: 'HTTPBadRequest', cause: 'Bad Request', errors: [{ location: 'body', name: 'rrset_values', description: `echo ${GOOD.apiKey}` }] });
    const mapped = gandiErrorFromReply({ status: 400, headers: {}, text }, GOOD);
    expect([mapped.kind, mapped.reason]).toEqual(['rejected', 'the change was refused: bad token [redacted]; rrset_values: echo [redacted]']);
  });
});

describe('readZone', () => {
  it('reads the whole seed zone in one call, one neutral record per value, the value kept byte for byte', async () => {
    const wire = fake.snapshot();
    const { records } = await connect().readZone(ZONE);
    expect(fake.calls.map((c) => `${c.method} ${c.path} ${JSON.stringify(c.query)}`)).toEqual(['GET /domains/example.com/records {"per_page":"500","page":"1"}']);
    expect(byJson(records.map(neutral))).toEqual(byJson(seedAsHeld()));
    expect(records.map((r) => (r.raw as GandiRaw).value)).toEqual(wire.flatMap((r) => r.rrset_values));
    expect(find(records, 'TXT', at('google._domainkey')).content).toBe(LONG_DKIM_TXT);
    // The fake holds TXT as LiveDNS does: quoted 255-byte strings.
    expect(rrset('google._domainkey', 'TXT')?.rrset_values[0]).toMatch(/^"v=DKIM1; [^"]{200,}" "[^"]+"$/);
  });

  it('follows Link: rel="next" through every page', async () => {
    fake.setBehaviour({ maxPerPage: 10 });
    const total = fake.snapshot().length;
    const { records } = await connect(GOOD, { pageSize: 10 }).readZone(ZONE);
    expect(byJson(records.map(neutral))).toEqual(byJson(seedAsHeld()));
    expect(fake.calls.map((c) => c.query.page)).toEqual(Array.from({ length: Math.ceil(total / 10) }, (_, i) => String(i + 1)));
    expect(fake.calls.length).toBeGreaterThan(3);
  });

  it.each([
    ['deleted', (held: GandiRrset[]): void => void held.splice(0, 1)],
    ['added', (held: GandiRrset[]): void => void held.unshift({ rrset_name: 'new', rrset_type: 'A', rrset_ttl: 300, rrset_values: ['192.0.2.99'] })],
  ] as const)('an rrset %s on an earlier page while the pages are read shifts the later ones: read again, nothing skipped or doubled', async (_label, edit) => {
    fake.setBehaviour({ maxPerPage: 10 });
    fake.beforeNextList(() => {});
    fake.beforeNextList(() => edit(fake.state.zones.get(SEED_APEX)!));
    const { records } = await connect(GOOD, { pageSize: 10 }).readZone(ZONE);
    expect(byJson(records.map((r) => (r.raw as GandiRaw).value + ' ' + (r.raw as GandiRaw).rrset.rrset_name))).toEqual(
      byJson(fake.snapshot().flatMap((r) => r.rrset_values.map((v) => `${v} ${r.rrset_name}`))),
    );
  });

  it('a Link rel="next" it cannot follow is an error, never taken for the end of the list', async () => {
    // A next page named otherwise than by `page` (a cursor): reading on from page 1 alone would plan over part of the zone.
    const server = createServer((_req, res) => {
      res.writeHead(200, {
        'content-type': 'application/json',
        'total-count': '2',
        link: `<http://127.0.0.1/v5/livedns/domains/${SEED_APEX}/records?cursor=b2Zmc2V0PTE>; rel="next"`,
      });
      res.end(JSON.stringify([{ rrset_name: '@', rrset_type: 'A', rrset_ttl: 300, rrset_values: ['203.0.113.10'] }]));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v5/livedns`;
      const session = createGandiProvider({ baseUrl, dispatcher: agent, sleep: async () => {} }).connect(GOOD);
      const error = await providerError(session.readZone(ZONE));
      expect(error.kind).toBe('protocol');
      expect(error.reason).toMatch(/next page/);
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('a next link without per_page is read at the page size asked, so pages neither overlap nor leave a gap', async () => {
    const held = Array.from({ length: 5 }, (_, i) => ({ rrset_name: `h${i}`, rrset_type: 'A', rrset_ttl: 300, rrset_values: [`192.0.2.${i}`] }));
    const asked: string[] = [];
    const server = createServer((req, res) => {
      const url = new URL(req.url ?? '/', 'http://x');
      const page = Number(url.searchParams.get('page') ?? '1');
      const perPage = Number(url.searchParams.get('per_page') ?? '100');
      asked.push(`${page}/${perPage}`);
      const headers: Record<string, string> = { 'content-type': 'application/json', 'total-count': String(held.length) };
      if (page * perPage < held.length) headers.link = `<http://127.0.0.1/v5/livedns/domains/${SEED_APEX}/records?page=${page + 1}>; rel="next"`;
      res.writeHead(200, headers).end(JSON.stringify(held.slice((page - 1) * perPage, page * perPage)));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v5/livedns`;
      const session = createGandiProvider({ baseUrl, dispatcher: agent, sleep: async () => {} }, { pageSize: 2 }).connect(GOOD);
      const { records } = await session.readZone(ZONE);
      expect(asked).toEqual(['1/2', '2/2', '3/2']);
      expect(records.map((r) => r.content)).toEqual(held.map((h) => h.rrset_values[0]));
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('normalises LiveDNS values: quoted chunks and escapes, relative and `@` targets, MX and SRV priorities', () => {
    const set = (type: string, values: string[], name = 'x') => fromGandi({ rrset_name: name, rrset_type: type, rrset_ttl: 300, rrset_values: values }, SEED_APEX).map(neutral);
    expect(set('TXT', ['"v=DKIM1; k=rsa; " "p=ABC"', '"say \\"hi\\" \\\\o/"', 'unquoted', '"caf\\195\\169"']).map((r) => r.content)).toEqual([
      'v=DKIM1; k=rsa; p=ABC',
      'say "hi" \\o/',
      'unquoted',
      'café',
    ]);
    expect(set('CNAME', ['www'])[0]?.content).toBe('www.example.com');
    expect(set('CNAME', ['Target.Example.NET.'])[0]?.content).toBe('target.example.net');
    expect(set('CNAME', ['@'])[0]?.content).toBe(SEED_APEX);
    expect(set('MX', ['10 mx.example.net.', '20 backup'], '@')).toEqual([
      { type: 'MX', name: SEED_APEX, content: 'mx.example.net', ttl: 300, priority: 10 },
      { type: 'MX', name: SEED_APEX, content: 'backup.example.com', ttl: 300, priority: 20 },
    ]);
    expect(set('SRV', ['10 5 5060 sip.example.com.'], '_sip._tcp')[0]).toMatchObject({ content: '5 5060 sip.example.com', priority: 10 });
    expect(unquoteTxt(encodeTxt(LONG_DKIM_TXT))).toBe(LONG_DKIM_TXT);
    expect(encodeTxt('a "b" \\')).toBe('"a \\"b\\" \\\\"');
  });

  it('retries a 500 on the read, honours a 429 Retry-After, reports a cut body as protocol', async () => {
    fake.failNext({ kind: 'status', status: 500, on: 'read' });
    fake.failNext({ kind: 'status', status: 429, retryAfter: 2, on: 'read' });
    await connect().readZone(ZONE);
    expect(fake.calls.map((c) => c.status)).toEqual([500, 429, 200]);
    expect(sleeps[1]).toBe(2000);
    fake.failNext({ kind: 'status', status: 429, retryAfter: 9, on: 'read' });
    const limited = await providerError(connect(GOOD, { deadlineMs: 3000 }).readZone(ZONE));
    expect([limited.kind, limited.retryAfterSeconds]).toEqual(['rate_limited', 9]);
    fake.failNext({ kind: 'malformed', on: 'read' });
    const malformed = await providerError(connect().readZone(ZONE));
    expect([malformed.kind, malformed.reason]).toEqual(['protocol', 'HTTP 200 with a malformed body instead of JSON']);
    fake.failNext({ kind: 'status', status: 503, on: 'read', times: 'always' });
    const down = await providerError(connect().readZone(ZONE));
    expect([down.kind, down.reason]).toEqual(['unavailable', 'HTTP 503']);
  });

  it('the fake enforces a per-token quota with Retry-After when asked to', async () => {
    fake.setBehaviour({ rateLimitPerMinute: 1 });
    await connect().readZone(ZONE);
    const error = await providerError(connect(GOOD, { deadlineMs: 2000 }).readZone(ZONE));
    expect(error.kind).toBe('rate_limited');
    expect(error.retryAfterSeconds).toBeGreaterThan(50);
  });
});

describe('applyChanges', () => {
  function senderPlan(records: readonly DnsRecord[]): RecordChange[] {
    const spf = find(records, 'TXT', SEED_APEX, 'v=spf1');
    return [
      { action: 'CREATE', record: { type: 'CNAME', name: at('s2._domainkey'), content: 's2.dkim.sender.example.net', ttl: 3600 } },
      { action: 'CREATE', record: { type: 'CNAME', name: at('bounce'), content: 'returns.sender.example.net.', ttl: 3600 } },
      { action: 'UPDATE', before: spf, record: { type: 'TXT', name: SEED_APEX, content: SPF_MERGED, ttl: 3600 } },
      { action: 'CREATE', record: { type: 'TXT', name: at('_dmarc2'), content: 'v=DMARC1; p=none; rua="mailto:d@sender.example.net"', ttl: 3600 } },
      { action: 'CREATE', record: { type: 'TXT', name: at('k1._domainkey'), content: LONG_DKIM_TXT, ttl: 3600 } },
    ];
  }

  it('writes one call per rrset: POST for a new one, PUT carrying every value read for an existing one; nothing else changes', async () => {
    const session = connect();
    const contents = await session.readZone(ZONE);
    const before = fake.snapshot();
    const changes = senderPlan(contents.records);
    const mark = fake.calls.length;
    await expect(session.applyChanges(ZONE, contents, changes)).resolves.toEqual({ applied: changes });
    const made = fake.calls.slice(mark);
    expect(made.map((c) => `${c.method} ${c.path} ${c.status}`)).toEqual([
      'POST /domains/example.com/records 201',
      'POST /domains/example.com/records 201',
      'PUT /domains/example.com/records/@/TXT 201',
      'POST /domains/example.com/records 201',
      'POST /domains/example.com/records 201',
    ]);
    expect(made.length).toBe(5 * GANDI_CAPABILITIES.upstreamCalls.write.perRrset);
    // A CNAME target as an FQDN with its dot (a target without one is relative to the zone, §4 trap 2).
    expect(made[1]?.body).toEqual({ rrset_name: 'bounce', rrset_type: 'CNAME', rrset_ttl: 3600, rrset_values: ['returns.sender.example.net.'] });
    // The apex TXT rrset: every value read, byte for byte and in order, the SPF replaced in place, the TTL kept.
    const apexTxt = before.find((r) => r.rrset_name === '@' && r.rrset_type === 'TXT')!;
    const spfRaw = (changes[2] as Extract<RecordChange, { action: 'UPDATE' }>).before.raw as GandiRaw;
    expect(made[2]?.body).toEqual({ rrset_ttl: apexTxt.rrset_ttl, rrset_values: apexTxt.rrset_values.map((v) => (v === spfRaw.value ? `"${SPF_MERGED}"` : v)) });
    expect((made[3]?.body as { rrset_values: string[] }).rrset_values).toEqual(['"v=DMARC1; p=none; rua=\\"mailto:d@sender.example.net\\""']);
    expect((made[4]?.body as { rrset_values: string[] }).rrset_values[0]).toMatch(/^"v=DKIM1[^"]+" "[^"]+"$/);

    const after = fake.snapshot();
    expect(after.slice(0, before.length)).toEqual(before.map((r) => (r === apexTxt ? { ...r, rrset_values: (made[2]?.body as { rrset_values: string[] }).rrset_values } : r)));
    expect(after).toHaveLength(before.length + 4);
    const reread = await session.readZone(ZONE);
    expect(find(reread.records, 'TXT', at('k1._domainkey')).content).toBe(LONG_DKIM_TXT);
    expect(find(reread.records, 'TXT', at('_dmarc2')).content).toBe('v=DMARC1; p=none; rua="mailto:d@sender.example.net"');
    expect(find(reread.records, 'CNAME', at('bounce')).content).toBe('returns.sender.example.net');
    const count = fake.calls.length;
    await expect(session.applyChanges(ZONE, reread, [])).resolves.toEqual({ applied: [] });
    expect(fake.calls).toHaveLength(count);
  });

  it('trap: the fake replaces the whole rrset on PUT, as documented, so a PUT of only the new value loses the others', async () => {
    expect(rrset('@', 'TXT')?.rrset_values).toHaveLength(3);
    const reply = await fakeRequest('PUT', '/domains/example.com/records/@/TXT', { rrset_ttl: 3600, rrset_values: [`"${SPF_MERGED}"`] });
    expect(reply.status).toBe(201);
    expect(rrset('@', 'TXT')?.rrset_values).toEqual([`"${SPF_MERGED}"`]);
    // ... and a target without its dot is kept relative: it points inside the zone.
    await fakeRequest('PUT', '/domains/example.com/records/rel/CNAME', { rrset_ttl: 3600, rrset_values: ['target.example.net'] });
    const { records } = await connect().readZone(ZONE);
    expect(find(records, 'CNAME', at('rel')).content).toBe('target.example.net.example.com');
  });

  it('deleting one value PUTs the rest of its rrset (TTL kept); deleting the last value DELETEs the rrset', async () => {
    const session = connect();
    const contents = await session.readZone(ZONE);
    const mx = rrset('@', 'MX')!;
    const mx2 = find(contents.records, 'MX', SEED_APEX, 'mx2.');
    const acme = find(contents.records, 'TXT', at('_acme-challenge'));
    const changes: RecordChange[] = [
      { action: 'DELETE', before: mx2 },
      { action: 'DELETE', before: acme },
    ];
    await expect(session.applyChanges(ZONE, contents, changes)).resolves.toEqual({ applied: changes });
    expect(writes().map((c) => `${c.method} ${c.path} ${c.status}`)).toEqual(['PUT /domains/example.com/records/@/MX 201', 'DELETE /domains/example.com/records/_acme-challenge/TXT 204']);
    expect(writes()[0]?.body).toEqual({ rrset_ttl: mx.rrset_ttl, rrset_values: mx.rrset_values.filter((v) => v !== (mx2.raw as GandiRaw).value) });
    expect(rrset('_acme-challenge', 'TXT')).toBeUndefined();
  });

  it('an rrset keeps its TTL while it keeps values the plan does not name; a new rrset takes the TTL asked', async () => {
    const session = connect();
    const contents = await session.readZone(ZONE);
    const changes: RecordChange[] = [
      { action: 'CREATE', record: { type: 'TXT', name: SEED_APEX, content: 'sender-verification=1', ttl: 600 } },
      { action: 'CREATE', record: { type: 'TXT', name: at('fresh'), content: 'v', ttl: 600 } },
    ];
    await session.applyChanges(ZONE, contents, changes);
    expect(rrset('@', 'TXT')?.rrset_ttl).toBe(3600);
    expect(rrset('@', 'TXT')?.rrset_values.at(-1)).toBe('"sender-verification=1"');
    expect(rrset('fresh', 'TXT')?.rrset_ttl).toBe(600);
  });

  it('a Force plan empties the TXT rrset before creating the CNAME there', async () => {
    fake.state.zones.get(SEED_APEX)!.push({ rrset_name: 'sl', rrset_type: 'TXT', rrset_ttl: 3600, rrset_values: ['"sl-site-verification=4b1d9c"'] });
    const session = connect();
    const contents = await session.readZone(ZONE);
    const changes: RecordChange[] = [
      { action: 'DELETE', before: find(contents.records, 'TXT', at('sl')) },
      { action: 'CREATE', record: { type: 'CNAME', name: at('sl'), content: 'mta.sender-platform.net', ttl: 3600 } },
    ];
    await expect(session.applyChanges(ZONE, contents, changes)).resolves.toEqual({ applied: changes });
    expect(writes().map((c) => `${c.method} ${c.path}`)).toEqual(['DELETE /domains/example.com/records/sl/TXT', 'POST /domains/example.com/records']);
    expect(fake.snapshot().filter((r) => r.rrset_name === 'sl')).toEqual([{ rrset_name: 'sl', rrset_type: 'CNAME', rrset_ttl: 3600, rrset_values: ['mta.sender-platform.net.'] }]);
  });

  it('refuses before the first write what LiveDNS would refuse', async () => {
    const session = connect();
    const contents = await session.readZone(ZONE);
    const ok: RecordChange = { action: 'CREATE', record: { type: 'CNAME', name: at('fine'), content: 'target.example.net', ttl: 3600 } };
    const cases: [RecordChange, RegExp][] = [
      [{ action: 'CREATE', record: { type: 'TXT', name: at('x'), content: 'v', ttl: 120 } }, /TTL 120 .* outside Gandi's 300–2592000 seconds/],
      [{ action: 'CREATE', record: { type: 'TXT', name: at('x'), content: 'v', ttl: 3_000_000 } }, /TTL 3000000/],
      [{ action: 'CREATE', record: { type: 'TXT', name: at('x'), content: 'x'.repeat(1025), ttl: 3600 } }, /longer than 1024 bytes/],
      [{ action: 'CREATE', record: { type: 'PTR', name: at('x'), content: 'h', ttl: 3600 } }, /cannot write PTR records/],
      [{ action: 'CREATE', record: { type: 'TXT', name: 'x.example.org', content: 'v', ttl: 3600 } }, /not inside the zone example\.com/],
      [{ action: 'CREATE', record: { type: 'CNAME', name: at('mail'), content: 'x.example.net', ttl: 3600 } }, /a CNAME at mail\.example\.com cannot share its name/],
      [{ action: 'CREATE', record: { type: 'CNAME', name: at('blog'), content: 'x.example.net', ttl: 3600 } }, /a CNAME at blog\.example\.com can hold one value only/],
      [{ action: 'CREATE', record: { type: 'TXT', name: at('blog'), content: 'v', ttl: 3600 } }, /a CNAME at blog\.example\.com cannot share its name/],
      [{ action: 'CREATE', record: { type: 'TXT', name: at('mail'), content: 'v=spf1 a -all', ttl: 3600 } }, /would hold the same value twice/],
      [{ action: 'DELETE', before: { type: 'TXT', name: SEED_APEX, content: 'v=spf1 gone -all', ttl: 3600 } }, /no longer in the zone as read/],
    ];
    for (const [change, reason] of cases) {
      const error = await providerError(session.applyChanges(ZONE, contents, [ok, change]));
      expect(['rejected', 'conflict']).toContain(error.kind);
      expect(error.reason).toMatch(reason);
    }
    expect(writes()).toHaveLength(0);
  });

  it('a POST meets an rrset someone created meanwhile: 409 conflict, their rrset untouched, nothing after it written', async () => {
    const session = connect();
    const contents = await session.readZone(ZONE);
    const theirs = { rrset_name: 'bounce', rrset_type: 'CNAME', rrset_ttl: 300, rrset_values: ['elsewhere.example.org.'] };
    fake.beforeNextWrite(() => void fake.state.zones.get(SEED_APEX)!.push(theirs));
    const changes: RecordChange[] = [
      { action: 'CREATE', record: { type: 'CNAME', name: at('bounce'), content: 'returns.sender.example.net', ttl: 3600 } },
      { action: 'CREATE', record: { type: 'CNAME', name: at('next'), content: 'n.example.net', ttl: 3600 } },
    ];
    const error = await providerError(session.applyChanges(ZONE, contents, changes));
    expect([error.kind, error.reason]).toEqual(['conflict', 'a record set to create exists already (the zone changed since it was read); no change was applied']);
    expect(rrset('bounce', 'CNAME')).toEqual(theirs);
    expect(writes().map((c) => c.status)).toEqual([409]);
  });

  it('maps a 400 validation error to rejected, naming the field, and stops there', async () => {
    const session = connect();
    const contents = await session.readZone(ZONE);
    // Someone adds a CNAME at `two` in Gandi's panel meanwhile: a TXT cannot join it, LiveDNS refuses.
    fake.beforeNextWrite(() => void fake.state.zones.get(SEED_APEX)!.push({ rrset_name: 'two', rrset_type: 'CNAME', rrset_ttl: 300, rrset_values: ['x.example.net.'] }));
    const changes: RecordChange[] = [
      { action: 'CREATE', record: { type: 'TXT', name: at('one'), content: 'a', ttl: 3600 } },
      { action: 'CREATE', record: { type: 'TXT', name: at('two'), content: 'b', ttl: 3600 } },
    ];
    const error = await providerError(session.applyChanges(ZONE, contents, changes));
    expect(error.kind).toBe('rejected');
    expect(error.reason).toBe(
      'the change was refused: Validation error; rrset_type: a CNAME record cannot coexist with other records at two; ' +
        '1 of 2 changes were applied (CREATE TXT one.example.com); not applied: CREATE TXT two.example.com; run dns.set again to finish',
    );
    expect(error.applied).toEqual([changes[0]]);
  });

  describe('a POST is never blindly repeated', () => {
    const create: RecordChange = { action: 'CREATE', record: { type: 'TXT', name: at('_dmarc2'), content: 'v=DMARC1; p=none', ttl: 3600 } };

    it('reply lost after it committed: the rrset is re-read, found as sent, not posted again', async () => {
      const session = connect();
      const contents = await session.readZone(ZONE);
      fake.failNext({ kind: 'lost-reply', on: 'write' });
      await expect(session.applyChanges(ZONE, contents, [create])).resolves.toEqual({ applied: [create] });
      expect(fake.calls.slice(1).map((c) => `${c.method} ${c.path}`)).toEqual(['POST /domains/example.com/records', 'GET /domains/example.com/records/_dmarc2/TXT']);
    });

    it.each([
      ['HTTP 500 before it ran', { kind: 'status', status: 500 } as const],
      ['connection reset before it ran', { kind: 'reset' } as const],
      ['no answer (hang)', { kind: 'hang' } as const],
    ])('%s: the re-read finds no rrset (404), posted once more', async (_label, fault) => {
      const session = connect(GOOD, { deadlineMs: 4000 });
      const contents = await session.readZone(ZONE);
      fake.failNext({ ...fault, on: 'write' });
      await expect(session.applyChanges(ZONE, contents, [create])).resolves.toEqual({ applied: [create] });
      expect(fake.calls.slice(1).map((c) => `${c.method} ${c.status}`).slice(1)).toEqual(['GET 404', 'POST 201']);
      expect(rrset('_dmarc2', 'TXT')?.rrset_values).toEqual(['"v=DMARC1; p=none"']);
    });

    it('the re-read fails too: unknown whether it was created', async () => {
      const session = connect();
      const contents = await session.readZone(ZONE);
      fake.failNext({ kind: 'lost-reply', on: 'write' });
      fake.failNext({ kind: 'status', status: 503, method: 'GET', times: 'always' });
      const error = await providerError(session.applyChanges(ZONE, contents, [create]));
      expect([error.kind, error.reason]).toEqual(['unavailable', 'connection reset; no change was applied; unknown whether CREATE TXT _dmarc2.example.com was applied; run dns.set again to finish']);
    });
  });

  it('PUT and DELETE are repeated after a failure; a DELETE that finds the rrset gone on the repeat is done', async () => {
    const session = connect();
    const contents = await session.readZone(ZONE);
    fake.failNext({ kind: 'status', status: 500, method: 'PUT' });
    fake.failNext({ kind: 'lost-reply', method: 'DELETE' });
    const changes: RecordChange[] = [
      { action: 'UPDATE', before: find(contents.records, 'TXT', SEED_APEX, 'v=spf1'), record: { type: 'TXT', name: SEED_APEX, content: SPF_MERGED, ttl: 3600 } },
      { action: 'DELETE', before: find(contents.records, 'TXT', at('_acme-challenge')) },
    ];
    await expect(session.applyChanges(ZONE, contents, changes)).resolves.toEqual({ applied: changes });
    expect(writes().map((c) => `${c.method} ${c.status}`)).toEqual(['PUT 500', 'PUT 201', 'DELETE 204', 'DELETE 404']);
  });

  it('a lasting failure part-way names what was applied and what was not; the zone holds exactly that', async () => {
    const session = connect(GOOD, { deadlineMs: 5000 });
    const contents = await session.readZone(ZONE);
    const before = fake.snapshot();
    fake.failNext({ kind: 'status', status: 500, method: 'PUT', times: 'always' });
    const changes = senderPlan(contents.records);
    const error = await providerError(session.applyChanges(ZONE, contents, changes));
    expect(error.reason).toBe(
      'HTTP 500; 2 of 5 changes were applied (CREATE CNAME s2._domainkey.example.com, CREATE CNAME bounce.example.com); ' +
        'not applied: UPDATE TXT example.com, CREATE TXT _dmarc2.example.com, CREATE TXT k1._domainkey.example.com; run dns.set again to finish',
    );
    expect(error.applied).toEqual(changes.slice(0, 2));
    expect(fake.calls.slice(-5).map((c) => `${c.method} ${c.status}`)).toEqual(['PUT 500', 'PUT 500', 'PUT 500', 'PUT 500', 'GET 200']);
    expect(fake.snapshot().slice(0, before.length)).toEqual(before);
  });
});
