/**
 * The Hetzner Cloud DNS adapter against its loopback fake (no gateway): the wire form both ways, the whole seed zone,
 * pagination, error mapping, each trap of ../shared/reference/providers-cloud.md §7, and what a write that fails
 * part-way reports.
 */
import { Dispatcher, request, type Agent } from 'undici';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createHttpAgent } from '../../providers/http.js';
import { createHetznerProvider, hetznerFailure, neutralContent, quoteTxt, toWireValue } from '../../providers/hetzner.js';
import { ProviderError, type DesiredRecord, type DnsRecord, type ProviderSession, type RecordChange, type Zone } from '../../providers/types.js';
import { joinTxt } from '../../src/records/txt.js';
import { HETZNER_FAKE_TOKENS, hetznerSeed, startHetznerFake, type HetznerFake, type HetznerWireRecord } from '../fakes/hetzner-fake.js';
import { LONG_DKIM_TXT, SEED_APEX } from '../fakes/seed-zone.js';

const GOOD = { apiKey: HETZNER_FAKE_TOKENS.good.token };
const READ_ONLY = { apiKey: HETZNER_FAKE_TOKENS.readOnly.token };
const OTHER_PROJECT = { apiKey: HETZNER_FAKE_TOKENS.otherProject.token };
const WRONG = { apiKey: 'hcloudTOKENwrong000000000000000000000000000000000000' };
const SECRETS = [GOOD.apiKey, READ_ONLY.apiKey, OTHER_PROJECT.apiKey, WRONG.apiKey];

let fake: HetznerFake;
let agent: Agent;
let sleeps: number[];

beforeEach(async () => {
  fake = await startHetznerFake();
  agent = createHttpAgent({ keepAliveTimeoutMs: 100 });
  sleeps = [];
});

afterEach(async () => {
  await agent.close();
  await fake.close();
});

function connect(credentials: { apiKey: string } = GOOD, options: { deadlineMs?: number; pageSize?: number } = {}): ProviderSession {
  const sleep = async (ms: number) => void sleeps.push(ms);
  return createHetznerProvider({ baseUrl: fake.baseUrl, dispatcher: agent, sleep, deadlineMs: options.deadlineMs, pageSize: options.pageSize }).connect(credentials);
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

const neutral = (r: Pick<DnsRecord, 'type' | 'name' | 'content' | 'ttl' | 'priority'>) => ({
  type: r.type,
  name: r.name,
  content: r.content,
  ttl: r.ttl,
  ...(r.priority === undefined ? {} : { priority: r.priority }),
});
const byJson = <T>(list: readonly T[]) => [...list].map((x) => JSON.stringify(x)).sort();
const writes = () => fake.calls.filter((c) => c.method !== 'GET');
const trail = () => fake.calls.map((c) => `${c.method} ${c.path.replace(/\/actions\/\d+$/, '/actions/N')}`);
const key = (r: HetznerWireRecord) => JSON.stringify(r);

/** Everything in the zone but the records at these rrsets (`name/TYPE`), before vs now. */
function untouched(before: readonly HetznerWireRecord[], after: readonly HetznerWireRecord[], ...rrsets: string[]) {
  const keep = (r: HetznerWireRecord) => !rrsets.includes(`${r.name}/${r.type}`);
  expect(byJson(after.filter(keep).map(key))).toEqual(byJson(before.filter(keep).map(key)));
}

async function readSeed(session: ProviderSession): Promise<{ zone: Zone; records: readonly DnsRecord[] }> {
  const zone = await session.findZone(SEED_APEX);
  const { records } = await session.readZone(zone);
  return { zone, records };
}

function find(records: readonly DnsRecord[], type: string, name: string, startsWith = ''): DnsRecord {
  const found = records.find((r) => r.type === type && r.name === name && r.content.startsWith(startsWith));
  if (!found) throw new Error(`no ${type} ${name} ${startsWith}`);
  return found;
}

async function fakeRequest(method: 'GET' | 'POST' | 'PUT' | 'DELETE', path: string, body?: unknown, token: string = GOOD.apiKey) {
  const reply = await request(`${fake.baseUrl}${path}`, {
    dispatcher: agent,
    method,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await reply.body.text();
  return { status: reply.statusCode, headers: reply.headers, json: text ? (JSON.parse(text) as { error?: { code: string; message: string }; action?: { id: number } }) : undefined };
}

const SPF_INCLUDE = 'include:_spf.sender-platform.net';

/** The test's agent, calling `before(path)` as each request is dispatched (a second writer between two page reads). */
class HookedDispatcher extends Dispatcher {
  constructor(
    private readonly inner: Dispatcher,
    private readonly before: (path: string) => void,
  ) {
    super();
  }
  override dispatch(options: Dispatcher.DispatchOptions, handler: Dispatcher.DispatchHandler): boolean {
    this.before(String(options.path));
    return this.inner.dispatch(options, handler);
  }
}

describe('wire form', () => {
  it('quotes TXT in chunks of at most 255 bytes, escaping " and \\, never splitting an escape or a character', () => {
    expect(quoteTxt('v=spf1 -all')).toBe('"v=spf1 -all"');
    expect(quoteTxt('say "hi" \\ bye')).toBe('"say \\"hi\\" \\\\ bye"');
    expect(quoteTxt('')).toBe('""');
    const long = quoteTxt(LONG_DKIM_TXT);
    const chunks = [...long.matchAll(/"((?:[^"\\]|\\.)*)"/g)].map((m) => m[1]!);
    expect(chunks.length).toBe(2);
    expect(chunks[0]!.length).toBe(255);
    expect(joinTxt(long)).toBe(LONG_DKIM_TXT);
    // 254 plain bytes then a quote: the escape (2 bytes) starts the next chunk instead of being cut.
    const edge = quoteTxt(`${'a'.repeat(254)}"b`);
    expect(edge).toBe(`"${'a'.repeat(254)}" "\\"b"`);
    expect(joinTxt(edge)).toBe(`${'a'.repeat(254)}"b`);
    const utf8 = quoteTxt('é'.repeat(200));
    for (const chunk of utf8.matchAll(/"([^"]*)"/g)) expect(Buffer.byteLength(chunk[1]!)).toBeLessThanOrEqual(255);
    expect(joinTxt(utf8)).toBe('é'.repeat(200));
  });

  it('writes targets as FQDNs with the trailing dot, MX and SRV with their priority first', () => {
    expect(toWireValue({ type: 'CNAME', content: 's1.dkim.esp.net' })).toBe('s1.dkim.esp.net.');
    expect(toWireValue({ type: 'MX', content: 'mx.example.net', priority: 10 })).toBe('10 mx.example.net.');
    expect(toWireValue({ type: 'SRV', content: '5 993 mail.example.com', priority: 1 })).toBe('1 5 993 mail.example.com.');
    expect(toWireValue({ type: 'TXT', content: 'v=DMARC1; p=none' })).toBe('"v=DMARC1; p=none"');
    expect(toWireValue({ type: 'A', content: '192.0.2.1' })).toBe('192.0.2.1');
  });

  it('reads absolute, relative and apex targets, quoted TXT with escapes, MX and SRV', () => {
    expect(neutralContent('CNAME', 'Hosting.Example.org.', SEED_APEX)).toEqual({ content: 'hosting.example.org' });
    expect(neutralContent('CNAME', 'www', SEED_APEX)).toEqual({ content: 'www.example.com' });
    expect(neutralContent('CNAME', '@', SEED_APEX)).toEqual({ content: SEED_APEX });
    expect(neutralContent('TXT', '"v=DKIM1; k=rsa; " "p=ABC\\"D"', SEED_APEX)).toEqual({ content: 'v=DKIM1; k=rsa; p=ABC"D' });
    expect(neutralContent('TXT', 'unquoted legacy', SEED_APEX)).toEqual({ content: 'unquoted legacy' });
    expect(neutralContent('MX', '10 mx1.mailhost.example.net.', SEED_APEX)).toEqual({ content: 'mx1.mailhost.example.net', priority: 10 });
    expect(neutralContent('MX', '20 mail', SEED_APEX)).toEqual({ content: 'mail.example.com', priority: 20 });
    expect(neutralContent('SRV', '10 10 5060 sip.example.com.', SEED_APEX)).toEqual({ content: '10 5060 sip.example.com', priority: 10 });
  });
});

describe('findZone and authorize', () => {
  it('reads the zone by name once for an apex, and walks up from a sub-domain', async () => {
    const zone = await connect().authorize('Example.com.');
    expect(zone).toEqual({ id: '4200001', name: SEED_APEX });
    expect(trail()).toEqual(['GET /zones/example.com']);
    fake.calls.length = 0;
    await expect(connect().findZone('mail.news.example.com')).resolves.toEqual(zone);
    expect(fake.calls.map((c) => `${c.path} ${c.status}`)).toEqual([
      '/zones/mail.news.example.com 404',
      '/zones/news.example.com 404',
      '/zones/example.com 200',
    ]);
  });

  it('maps an unknown token to auth with the provider reason, and echoes no token', async () => {
    const error = await providerError(connect(WRONG).authorize(SEED_APEX));
    expect([error.kind, error.reason]).toEqual(['auth', 'invalid API token']);
    expect(fake.calls[0]?.status).toBe(401);
    fake.failNext({ kind: 'echo-credentials' });
    const echoed = await providerError(connect(GOOD).authorize(SEED_APEX));
    expect(echoed.kind).toBe('auth');
  });

  it('reports a zone in another project, or nowhere, as not found', async () => {
    const other = await providerError(connect(OTHER_PROJECT).authorize(SEED_APEX));
    expect([other.kind, other.reason]).toEqual(['not_found', 'zone not found in this project']);
    const nowhere = await providerError(connect().authorize('not-mine.com'));
    expect(nowhere.kind).toBe('not_found');
  });

  it('refuses an empty token before calling', async () => {
    const error = await providerError(connect({ apiKey: ' ' }).authorize(SEED_APEX));
    expect(error.kind).toBe('auth');
    expect(fake.calls).toHaveLength(0);
  });
});

describe('readZone', () => {
  it('returns the whole seed zone in neutral form, each value kept in raw, in one page', async () => {
    const wire = fake.snapshot();
    const { records } = await readSeed(connect());
    expect(trail()).toEqual(['GET /zones/example.com', 'GET /zones/4200001/rrsets']);
    expect(fake.calls[1]?.query).toMatchObject({ page: '1', per_page: '100' });
    expect(byJson(records.map(neutral))).toEqual(byJson(hetznerSeed()));
    expect(byJson(records.map((r) => r.raw))).toEqual(byJson(wire));
    expect(find(records, 'TXT', 'google._domainkey.example.com').content).toBe(LONG_DKIM_TXT);
  });

  it('follows meta.pagination.next_page through every page', async () => {
    fake.setBehaviour({ pageLimit: 10 });
    const rrsets = fake.state.zones.get(SEED_APEX)!.rrsets.length;
    const { records } = await readSeed(connect(GOOD, { pageSize: 10 }));
    expect(byJson(records.map(neutral))).toEqual(byJson(hetznerSeed()));
    const pages = fake.calls.filter((c) => c.path.endsWith('/rrsets')).map((c) => c.query.page);
    expect(pages).toEqual(Array.from({ length: Math.ceil(rrsets / 10) }, (_, i) => String(i + 1)));
  });

  it('an rrset that moves across a page boundary while the zone is read (someone edits it meanwhile) is neither lost nor doubled', async () => {
    // Pages are offsets into the list (`page`, `per_page`): an rrset created or deleted before the boundary between two
    // page reads shifts the rest, so one rrset shows twice (two SPF records, a bogus conflict) or not at all.
    fake.setBehaviour({ pageLimit: 10 });
    const rrsets = () => fake.state.zones.get(SEED_APEX)!.rrsets;
    for (const edit of ['insert', 'delete'] as const) {
      let edited = false;
      const hooked = new HookedDispatcher(agent, (path) => {
        if (edited || !/\/rrsets\?page=2&/.test(path)) return;
        edited = true;
        if (edit === 'insert') rrsets().unshift({ ...rrsets()[0]!, id: 'aaa/A', name: 'aaa', type: 'A', records: [{ value: '192.0.2.250' }] });
        else rrsets().shift();
      });
      const session = createHetznerProvider({ baseUrl: fake.baseUrl, dispatcher: hooked, sleep: async () => {}, pageSize: 10 }).connect(GOOD);
      const { records } = await readSeed(session);
      expect(edited).toBe(true);
      const keys = records.map((r) => `${r.name} ${r.type} ${r.content}`);
      expect(new Set(keys).size, `${edit}: a value read twice`).toBe(keys.length);
      const now = fake.snapshot().map((r) => `${r.name === '@' ? SEED_APEX : `${r.name}.${SEED_APEX}`} ${r.type} ${neutralContent(r.type, r.value, SEED_APEX).content}`);
      expect(keys.sort(), `${edit}: the zone as it is`).toEqual(now.sort());
    }
  });

  it('gives an rrset without a TTL the zone default', async () => {
    const zone = fake.state.zones.get(SEED_APEX)!;
    zone.ttl = 7200;
    zone.rrsets.find((r) => r.name === 'www')!.ttl = null;
    const { records } = await readSeed(connect());
    expect(find(records, 'A', 'www.example.com').ttl).toBe(7200);
  });

  it('waits out a 429 until RateLimit-Reset, then reads', async () => {
    fake.failNext({ kind: 'rate-limited', retryAfterSeconds: 3, on: 'read' });
    const { records } = await readSeed(connect());
    expect(records.length).toBe(hetznerSeed().length);
    expect(fake.calls.map((c) => c.status)).toEqual([200, 429, 200]);
    // RateLimit-Reset is whole unix seconds: the wait is the 3 s asked for, plus less than one second.
    expect(sleeps).toHaveLength(1);
    expect(sleeps[0]).toBeGreaterThanOrEqual(2000);
    expect(sleeps[0]).toBeLessThanOrEqual(4000);
  });

  it('reports rate_limited with the wait when it would pass the deadline', async () => {
    fake.failNext({ kind: 'rate-limited', retryAfterSeconds: 60, on: 'read' });
    const error = await providerError(readSeed(connect(GOOD, { deadlineMs: 5000 })));
    expect(error.kind).toBe('rate_limited');
    expect(error.retryAfterSeconds).toBeGreaterThan(58);
    expect(sleeps).toEqual([]);
  });

  it('retries a 502 HTML page; reports a malformed 200 body as a protocol failure', async () => {
    fake.failNext({ kind: 'status', status: 502, html: true, on: 'read' });
    const { records } = await readSeed(connect());
    expect(records.length).toBe(hetznerSeed().length);
    expect(fake.calls.filter((c) => c.path.endsWith('/rrsets')).map((c) => c.status)).toEqual([502, 200]);
    fake.failNext({ kind: 'malformed', on: 'read' });
    const error = await providerError(readSeed(connect()));
    expect([error.kind, error.reason]).toEqual(['protocol', 'HTTP 200 with a malformed body instead of JSON']);
  });
});

describe('applyChanges', () => {
  it('merges SPF with add_records then remove_records, each polled, never set_records; the rest stays', async () => {
    const session = connect();
    const { zone, records } = await readSeed(session);
    const before = fake.snapshot();
    const spf = find(records, 'TXT', SEED_APEX, 'v=spf1');
    const merged = spf.content.replace(' -all', ` ${SPF_INCLUDE} -all`);
    fake.calls.length = 0;
    const change: RecordChange = { action: 'UPDATE', before: spf, record: { type: 'TXT', name: SEED_APEX, content: merged, ttl: spf.ttl } };
    await expect(session.applyChanges(zone, { records }, [change])).resolves.toEqual({ applied: [change] });
    expect(trail()).toEqual([
      'POST /zones/4200001/rrsets/@/TXT/actions/add_records',
      'GET /actions/N',
      'POST /zones/4200001/rrsets/@/TXT/actions/remove_records',
      'GET /actions/N',
    ]);
    expect(fake.calls[0]?.body).toEqual({ records: [{ value: `"${merged}"` }] });
    expect(fake.calls[2]?.body).toEqual({ records: [{ value: (spf.raw as { value: string }).value }] });
    const after = fake.snapshot();
    untouched(before, after, '@/TXT');
    const apexTxt = after.filter((r) => r.name === '@' && r.type === 'TXT').map((r) => joinTxt(r.value));
    expect(apexTxt.sort()).toEqual([merged, ...records.filter((r) => r.type === 'TXT' && r.name === SEED_APEX && r !== spf).map((r) => r.content)].sort());
    expect(sleeps).toEqual([200, 200]);
  });

  it("an UPDATE keeps the comment the customer gave the value it replaces (hcloud-go ZoneRRSetRecord.Comment)", async () => {
    const apexTxt = fake.state.zones.get(SEED_APEX)!.rrsets.find((r) => r.name === '@' && r.type === 'TXT')!;
    const spfValue = apexTxt.records.find((v) => v.value.startsWith('"v=spf1'))!;
    spfValue.comment = 'SPF: mail host and office range, ticket OPS-1432';
    const session = connect();
    const { zone, records } = await readSeed(session);
    const spf = find(records, 'TXT', SEED_APEX, 'v=spf1');
    const merged = spf.content.replace(' -all', ` ${SPF_INCLUDE} -all`);
    const change: RecordChange = { action: 'UPDATE', before: spf, record: { type: 'TXT', name: SEED_APEX, content: merged, ttl: spf.ttl } };
    await session.applyChanges(zone, { records }, [change]);
    const now = fake.snapshot().find((r) => r.name === '@' && r.type === 'TXT' && r.value.startsWith('"v=spf1'))!;
    expect(joinTxt(now.value)).toBe(merged);
    expect(now.comment).toBe('SPF: mail host and office range, ticket OPS-1432');
  });

  it('creates new rrsets with POST …/rrsets: CNAME with the trailing dot, a long TXT in quoted chunks', async () => {
    const session = connect();
    const { zone, records } = await readSeed(session);
    const before = fake.snapshot();
    const changes: RecordChange[] = [
      { action: 'CREATE', record: { type: 'CNAME', name: `s1._domainkey.mail.${SEED_APEX}`, content: 's1.dkim.esp.net', ttl: 3600 } },
      { action: 'CREATE', record: { type: 'TXT', name: `s2._domainkey.${SEED_APEX}`, content: LONG_DKIM_TXT, ttl: 600 } },
    ];
    fake.calls.length = 0;
    await session.applyChanges(zone, { records }, changes);
    expect(writes().map((c) => c.body)).toEqual([
      { name: 's1._domainkey.mail', type: 'CNAME', ttl: 3600, records: [{ value: 's1.dkim.esp.net.' }] },
      { name: 's2._domainkey', type: 'TXT', ttl: 600, records: [{ value: quoteTxt(LONG_DKIM_TXT) }] },
    ]);
    const { records: now } = await connect().readZone(zone);
    expect(byJson(now.map(neutral))).toEqual(byJson([...hetznerSeed(), ...changes.map((c) => neutral(c.action === 'CREATE' ? c.record : c.before))]));
    untouched(before, fake.snapshot(), 's1._domainkey.mail/CNAME', 's2._domainkey/TXT');
  });

  it('deletes by removing the value as read; the emptied rrset goes with it', async () => {
    const session = connect();
    const { zone, records } = await readSeed(session);
    const before = fake.snapshot();
    const challenge = find(records, 'TXT', `_acme-challenge.${SEED_APEX}`);
    fake.calls.length = 0;
    await session.applyChanges(zone, { records }, [{ action: 'DELETE', before: challenge }]);
    expect(trail()).toEqual(['POST /zones/4200001/rrsets/_acme-challenge/TXT/actions/remove_records', 'GET /actions/N']);
    const after = fake.snapshot();
    expect(after.some((r) => r.name === '_acme-challenge')).toBe(false);
    untouched(before, after, '_acme-challenge/TXT');
  });

  it('replaces a CNAME by removing the old value, then adding the new one with its TTL', async () => {
    const session = connect();
    const { zone, records } = await readSeed(session);
    const blog = find(records, 'CNAME', `blog.${SEED_APEX}`);
    fake.calls.length = 0;
    await session.applyChanges(zone, { records }, [
      { action: 'UPDATE', before: blog, record: { type: 'CNAME', name: blog.name, content: 'blog.hosting.example.net', ttl: 300 } },
    ]);
    expect(writes().map((c) => [c.path.split('/').pop(), c.body])).toEqual([
      ['remove_records', { records: [{ value: 'hosting.example.org.' }] }],
      ['add_records', { records: [{ value: 'blog.hosting.example.net.' }], ttl: 300 }],
    ]);
    expect(fake.snapshot().filter((r) => r.name === 'blog')).toEqual([{ name: 'blog', type: 'CNAME', ttl: 300, value: 'blog.hosting.example.net.' }]);
  });
});

describe('Hetzner traps (providers-cloud.md §7)', () => {
  it('trap 1: POST on an existing rrset is 409 and PUT cannot change records; a create that races one is a stale read', async () => {
    const exists = await fakeRequest('POST', '/zones/example.com/rrsets', { name: 'www', type: 'A', ttl: 300, records: [{ value: '192.0.2.1' }] });
    expect([exists.status, exists.json?.error?.code]).toEqual([409, 'uniqueness_error']);
    const put = await fakeRequest('PUT', '/zones/example.com/rrsets/www/A', { records: [{ value: '192.0.2.1' }] });
    expect([put.status, put.json?.error?.code]).toEqual([422, 'invalid_input']);

    const session = connect();
    const { zone, records } = await readSeed(session);
    fake.beforeNextWrite(() => {
      fake.state.zones.get(SEED_APEX)!.rrsets.push({
        id: '_dmarc.shop/TXT', name: '_dmarc.shop', type: 'TXT', ttl: 3600, labels: {}, protection: { change: false },
        records: [{ value: '"v=DMARC1; p=quarantine"' }], zone: 4200001,
      });
    });
    const before = fake.snapshot();
    const error = await providerError(
      session.applyChanges(zone, { records }, [{ action: 'CREATE', record: { type: 'TXT', name: `_dmarc.shop.${SEED_APEX}`, content: 'v=DMARC1; p=none', ttl: 3600 } }]),
    );
    expect([error.kind, error.staleRead, error.applied]).toEqual(['conflict', true, []]);
    // Their record stays as they wrote it, and nothing else changed.
    expect(fake.snapshot()).toEqual([...before, { name: '_dmarc.shop', type: 'TXT', ttl: 3600, value: '"v=DMARC1; p=quarantine"' }]);
  });

  it('trap 2: set_records overwrites blindly in the fake; the adapter adds and removes values, so a value added meanwhile survives', async () => {
    const blind = await fakeRequest('POST', '/zones/example.com/rrsets/@/A/actions/set_records', { records: [{ value: '192.0.2.99' }] });
    expect(blind.status).toBe(201);
    expect(fake.snapshot().filter((r) => r.name === '@' && r.type === 'A').map((r) => r.value)).toEqual(['192.0.2.99']);
    fake.resetZone();

    const session = connect();
    const { zone, records } = await readSeed(session);
    const spf = find(records, 'TXT', SEED_APEX, 'v=spf1');
    // A second writer (the customer's panel) adds a value to the same rrset between our read and our write.
    fake.beforeNextWrite(() => void fake.state.zones.get(SEED_APEX)!.rrsets.find((r) => r.name === '@' && r.type === 'TXT')!.records.push({ value: '"apple-domain-verification=xyz"' }));
    const merged = spf.content.replace(' -all', ` ${SPF_INCLUDE} -all`);
    await session.applyChanges(zone, { records }, [{ action: 'UPDATE', before: spf, record: { type: 'TXT', name: SEED_APEX, content: merged, ttl: spf.ttl } }]);
    const apexTxt = fake.snapshot().filter((r) => r.name === '@' && r.type === 'TXT').map((r) => joinTxt(r.value));
    expect(apexTxt).toContain('apple-domain-verification=xyz');
    expect(apexTxt).toContain(merged);
    expect(apexTxt).not.toContain(spf.content);
    expect(fake.calls.filter((c) => c.path.endsWith('/set_records'))).toHaveLength(1); // only the direct request above
  });

  it('trap 3: the TTL of an rrset that holds only our values changes with change_ttl; a customer value beside ours keeps its TTL', async () => {
    const refused = await fakeRequest('POST', '/zones/example.com/rrsets/@/TXT/actions/add_records', { records: [{ value: '"x"' }], ttl: 60 });
    expect([refused.status, refused.json?.error?.code]).toEqual([422, 'invalid_input']);

    const session = connect();
    const { zone, records } = await readSeed(session);
    const dmarc = find(records, 'TXT', `_dmarc.${SEED_APEX}`);
    expect(dmarc.ttl).toBe(1800);
    fake.calls.length = 0;
    // A forced DMARC replacement: the rrset ends holding only our value, at the template's TTL.
    const replace: RecordChange[] = [
      { action: 'DELETE', before: dmarc },
      { action: 'CREATE', record: { type: 'TXT', name: dmarc.name, content: 'v=DMARC1; p=none', ttl: 3600 } },
    ];
    await session.applyChanges(zone, { records }, replace);
    expect(writes().map((c) => c.path.split('/').pop())).toEqual(['add_records', 'remove_records', 'change_ttl']);
    expect(fake.snapshot().filter((r) => r.name === '_dmarc')).toEqual([{ name: '_dmarc', type: 'TXT', ttl: 3600, value: '"v=DMARC1; p=none"' }]);

    // A value added beside the customer's apex TXT values takes the rrset's TTL; theirs are not changed.
    fake.calls.length = 0;
    const { records: now } = await session.readZone(zone);
    await session.applyChanges(zone, { records: now }, [{ action: 'CREATE', record: { type: 'TXT', name: SEED_APEX, content: 'sender-verification=1', ttl: 300 } }]);
    expect(writes().map((c) => [c.path.split('/').pop(), c.body])).toEqual([['add_records', { records: [{ value: '"sender-verification=1"' }] }]]);
    expect(new Set(fake.snapshot().filter((r) => r.name === '@' && r.type === 'TXT').map((r) => r.ttl))).toEqual(new Set([3600]));
  });

  it('trap 4: a write while an action runs is locked; the adapter polls each action to success before the next write', async () => {
    const first = await fakeRequest('POST', '/zones/example.com/rrsets/www/A/actions/add_records', { records: [{ value: '192.0.2.50' }] });
    expect(first.status).toBe(201);
    const second = await fakeRequest('POST', '/zones/example.com/rrsets/www/A/actions/remove_records', { records: [{ value: '192.0.2.50' }] });
    expect([second.status, second.json?.error?.code]).toEqual([423, 'locked']);
    await fakeRequest('GET', `/actions/${first.json?.action?.id}`);
    fake.resetZone();

    fake.setBehaviour({ pollsUntilDone: 3 });
    const session = connect();
    const { zone, records } = await readSeed(session);
    const spf = find(records, 'TXT', SEED_APEX, 'v=spf1');
    fake.calls.length = 0;
    await session.applyChanges(zone, { records }, [
      { action: 'UPDATE', before: spf, record: { type: 'TXT', name: SEED_APEX, content: spf.content.replace(' -all', ` ${SPF_INCLUDE} -all`), ttl: spf.ttl } },
    ]);
    const polls = (n: number) => Array.from({ length: n }, () => 'GET poll 200');
    expect(fake.calls.map((c) => `${c.method} ${c.path.startsWith('/actions/') ? 'poll' : c.path.split('/').pop()} ${c.status}`)).toEqual([
      'POST add_records 201',
      ...polls(3),
      'POST remove_records 201',
      ...polls(3),
    ]);
    expect(sleeps).toEqual([200, 500, 500, 200, 500, 500]);
  });

  it('trap 4: a write refused as locked waits for the zone’s running actions, then is sent again', async () => {
    const session = connect();
    const { zone, records } = await readSeed(session);
    // Someone else's action is running on the zone when we write.
    const theirs = await fakeRequest('POST', '/zones/example.com/rrsets/www/A/actions/add_records', { records: [{ value: '192.0.2.51' }] });
    fake.calls.length = 0;
    await session.applyChanges(zone, { records }, [{ action: 'CREATE', record: { type: 'CNAME', name: `em.${SEED_APEX}`, content: 'em.sender.net', ttl: 3600 } }]);
    expect(fake.calls.map((c) => `${c.method} ${c.path.replace(/\d{4,}/g, 'N')} ${c.status}`)).toEqual([
      'POST /zones/N/rrsets 423',
      'GET /zones/N/actions 200',
      `GET /actions/N 200`,
      'POST /zones/N/rrsets 201',
      'GET /actions/N 200',
    ]);
    expect(fake.calls[2]?.path).toBe(`/actions/${theirs.json?.action?.id}`);
    expect(fake.snapshot().filter((r) => r.name === 'em')).toHaveLength(1);
  });

  it('trap 5: the fake refuses unquoted TXT and a string over 255; the adapter writes both forms right', async () => {
    const unquoted = await fakeRequest('POST', '/zones/example.com/rrsets', { name: 'x', type: 'TXT', records: [{ value: 'v=spf1 -all' }] });
    expect([unquoted.status, unquoted.json?.error?.message]).toEqual([422, "invalid input in field 'records': TXT record value must be enclosed in double quotes"]);
    const long = await fakeRequest('POST', '/zones/example.com/rrsets', { name: 'x', type: 'TXT', records: [{ value: `"${'a'.repeat(256)}"` }] });
    expect([long.status, long.json?.error?.message]).toEqual([422, "invalid input in field 'records': a TXT string exceeds 255 characters"]);

    const session = connect();
    const { zone, records } = await readSeed(session);
    const value = `${'k'.repeat(300)} "quoted" \\ end`;
    await session.applyChanges(zone, { records }, [{ action: 'CREATE', record: { type: 'TXT', name: `x.${SEED_APEX}`, content: value, ttl: 3600 } }]);
    const { records: now } = await session.readZone(zone);
    expect(find(now, 'TXT', `x.${SEED_APEX}`).content).toBe(value);
  });
});

describe('failures', () => {
  it('maps a read-only token to forbidden at the first write, nothing applied', async () => {
    const session = connect(READ_ONLY);
    const { zone, records } = await readSeed(session);
    const error = await providerError(
      session.applyChanges(zone, { records }, [{ action: 'CREATE', record: { type: 'CNAME', name: `em.${SEED_APEX}`, content: 'em.sender.net', ttl: 3600 } }]),
    );
    expect([error.kind, error.applied]).toEqual(['forbidden', []]);
    expect(error.reason).toMatch(/^the API token is read-only; no change was applied$/);
  });

  it('maps invalid_input to rejected with the field and message, and the error body parser to kinds', () => {
    const reply = (status: number, body: unknown, headers: Record<string, string> = {}) => ({ status, headers, text: JSON.stringify(body) });
    const invalid = hetznerFailure(reply(422, { error: { code: 'invalid_input', message: 'invalid input', details: { fields: [{ name: 'ttl', messages: ['too low'] }] } } }));
    expect([invalid.error.kind, invalid.error.reason]).toEqual(['rejected', 'invalid_input: ttl: too low']);
    expect(hetznerFailure(reply(401, { error: { code: 'unauthorized', message: 'unable to authenticate' } })).error.kind).toBe('auth');
    expect(hetznerFailure(reply(403, { error: { code: 'forbidden', message: 'insufficient permissions' } })).error.kind).toBe('forbidden');
    expect(hetznerFailure(reply(423, { error: { code: 'locked', message: 'there is already an Action running' } })).error.kind).toBe('unavailable');
    expect(hetznerFailure(reply(409, { error: { code: 'uniqueness_error', message: 'exists' } })).error.kind).toBe('conflict');
    const limited = hetznerFailure(reply(429, { error: { code: 'rate_limit_exceeded', message: 'limit' } }, { 'ratelimit-reset': String(Math.floor(Date.now() / 1000) + 10) }));
    expect(limited.error.kind).toBe('rate_limited');
    expect(limited.error.retryAfterSeconds).toBeGreaterThan(8);
    expect(hetznerFailure({ status: 502, headers: {}, text: '<html>bad gateway</html>' }).error.reason).toBe('HTTP 502 with an HTML page');
  });

  it('scrubs an error code it repeats, not only the message', () => {
    const redact = (text: string) => text.split(GOOD.apiKey).join('[redacted]');
    for (const status of [400, 418, 422, 500]) {
      const text = JSON.stringify({ error: { code: `code_${GOOD.apiKey}`, message: 'no' } });
      expect(hetznerFailure({ status, headers: {}, text }, redact).error.reason, `HTTP ${status}`).not.toContain(GOOD.apiKey);
    }
  });

  it('refuses before any write what Hetzner would refuse: a CNAME beside other records, a TTL under 60, a type it cannot hold', async () => {
    const session = connect();
    const { zone, records } = await readSeed(session);
    fake.calls.length = 0;
    const cases: RecordChange[][] = [
      [{ action: 'CREATE', record: { type: 'CNAME', name: `mail.${SEED_APEX}`, content: 'x.example.net', ttl: 3600 } }],
      [{ action: 'CREATE', record: { type: 'TXT', name: `_dmarc.x.${SEED_APEX}`, content: 'v=DMARC1; p=none', ttl: 30 } }],
      [{ action: 'CREATE', record: { type: 'LOC', name: `x.${SEED_APEX}`, content: '1 2 3', ttl: 3600 } }],
      [{ action: 'CREATE', record: { type: 'A', name: 'elsewhere.org', content: '192.0.2.1', ttl: 3600 } }],
    ];
    for (const changes of cases) expect((await providerError(session.applyChanges(zone, { records }, changes))).kind).toBe('rejected');
    expect(fake.calls).toHaveLength(0);
  });

  it('a lost reply is settled by waiting for the zone’s actions and re-reading the rrset: landed → not sent again', async () => {
    const session = connect();
    const { zone, records } = await readSeed(session);
    const before = fake.snapshot();
    fake.failNext({ kind: 'lost-reply', on: 'write' });
    const create: RecordChange = { action: 'CREATE', record: { type: 'CNAME', name: `em.${SEED_APEX}`, content: 'em.sender.net', ttl: 3600 } };
    fake.calls.length = 0;
    await expect(session.applyChanges(zone, { records }, [create])).resolves.toEqual({ applied: [create] });
    expect(fake.calls.map((c) => `${c.method} ${c.path.replace(/\d{4,}/g, 'N')}`)).toEqual([
      'POST /zones/N/rrsets',
      'GET /zones/N/actions',
      'GET /actions/N',
      'GET /zones/N/rrsets/em/CNAME',
    ]);
    expect(fake.snapshot()).toEqual([...before, { name: 'em', type: 'CNAME', ttl: 3600, value: 'em.sender.net.' }]);
  });

  it('a write answered with a 5xx that did not land is sent once more', async () => {
    const session = connect();
    const { zone, records } = await readSeed(session);
    fake.failNext({ kind: 'status', status: 503, on: 'write' });
    const create: RecordChange = { action: 'CREATE', record: { type: 'CNAME', name: `em.${SEED_APEX}`, content: 'em.sender.net', ttl: 3600 } };
    fake.calls.length = 0;
    await session.applyChanges(zone, { records }, [create]);
    expect(fake.calls.map((c) => `${c.method} ${c.path.replace(/\d{4,}/g, 'N')} ${c.status}`)).toEqual([
      'POST /zones/N/rrsets 503',
      'GET /zones/N/actions 200',
      'GET /zones/N/rrsets/em/CNAME 404',
      'POST /zones/N/rrsets 201',
      'GET /actions/N 200',
    ]);
    expect(fake.snapshot().filter((r) => r.name === 'em')).toHaveLength(1);
  });

  it('stops part-way with a partial-apply error naming what landed, what did not, and what is unknown', async () => {
    const session = connect();
    const { zone, records } = await readSeed(session);
    const spf = find(records, 'TXT', SEED_APEX, 'v=spf1');
    const changes: RecordChange[] = [
      { action: 'CREATE', record: { type: 'CNAME', name: `em.${SEED_APEX}`, content: 'em.sender.net', ttl: 3600 } },
      { action: 'UPDATE', before: spf, record: { type: 'TXT', name: SEED_APEX, content: spf.content.replace(' -all', ` ${SPF_INCLUDE} -all`), ttl: spf.ttl } },
      { action: 'CREATE', record: { type: 'TXT', name: `_dmarc.em.${SEED_APEX}`, content: 'v=DMARC1; p=none', ttl: 3600 } },
    ];
    // The CNAME lands; the SPF's add_records lands; its remove_records ends in an action error.
    let writesSeen = 0;
    const countWrites = () => {
      writesSeen++;
      if (writesSeen === 2) fake.failNext({ kind: 'action-error', on: 'write' });
      else fake.beforeNextWrite(countWrites);
    };
    fake.beforeNextWrite(countWrites);
    const error = await providerError(session.applyChanges(zone, { records }, changes));
    expect(error.kind).toBe('rejected');
    expect(error.applied).toEqual([changes[0]]);
    expect(error.reason).toBe(
      'the change failed: Action failed (action_failed); the TXT record set at example.com was left part-way; ' +
        '1 of 3 changes were applied (CREATE CNAME em.example.com); unknown whether UPDATE TXT example.com was applied; ' +
        'not applied: CREATE TXT _dmarc.em.example.com; run dns.set again to finish',
    );
    // Nothing of the customer's was lost: the old SPF is still there beside the merged one.
    const apexTxt = fake.snapshot().filter((r) => r.name === '@' && r.type === 'TXT').map((r) => joinTxt(r.value));
    expect(apexTxt).toContain(spf.content);
  });

  it('a record the plan names that is no longer in the zone as read is a conflict before any write', async () => {
    const session = connect();
    const { zone, records } = await readSeed(session);
    const ghost: DnsRecord = { type: 'TXT', name: SEED_APEX, content: 'not there', ttl: 3600 };
    fake.calls.length = 0;
    const error = await providerError(session.applyChanges(zone, { records }, [{ action: 'DELETE', before: ghost }]));
    expect(error.kind).toBe('conflict');
    expect(fake.calls).toHaveLength(0);
  });

  it('keeps credentials out of every message, even when the API echoes them', async () => {
    const session = connect();
    const { zone, records } = await readSeed(session);
    fake.failNext({ kind: 'echo-credentials' });
    const desired: DesiredRecord = { type: 'CNAME', name: `em.${SEED_APEX}`, content: 'em.sender.net', ttl: 3600 };
    const error = await providerError(session.applyChanges(zone, { records }, [{ action: 'CREATE', record: desired }]));
    expect(error.kind).toBe('auth');
    expect(fake.calls.at(-1)?.status).toBe(401);
  });
});
