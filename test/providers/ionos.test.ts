/**
 * The IONOS adapter against its loopback fake (no gateway): reading and normalising, the one-call-per-change writes
 * (never the rrset PATCH or the zone PUT), errors and their kinds, retries and the settling of lost writes.
 */
import { request, type Agent } from 'undici';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createHttpAgent } from '../../providers/http.js';
import { createIonosProvider, fromIonos, IONOS_CAPABILITIES, ionosErrorFromReply, unquoteTxt, type IonosRecord } from '../../providers/ionos.js';
import { ProviderError, type DnsRecord, type ProviderSession, type RecordChange } from '../../providers/types.js';
import { IONOS_FAKE_ACCOUNTS, ionosTxt, startIonosFake, type IonosFake } from '../fakes/ionos-fake.js';
import { LONG_DKIM_TXT, SEED_APEX, seedRecords } from '../fakes/seed-zone.js';

const GOOD = { apiKey: IONOS_FAKE_ACCOUNTS.good.key };
const OTHER = { apiKey: IONOS_FAKE_ACCOUNTS.other.key };
const WRONG = { apiKey: 'c0ffee00d15ea5e0123456789abcdef0.WRONGsecretWRONGsecretWRONGsecret1234' };
const SECRETS = [GOOD.apiKey, OTHER.apiKey, WRONG.apiKey, 'Q7vLx3Rw8Zp2mT9fHk4Nc6Yb1Je5Ua0Sg'];
const at = (label: string) => (label === '@' ? SEED_APEX : `${label}.${SEED_APEX}`);
const SPF_MERGED = 'v=spf1 include:_spf.mailhost.example.net include:spf.sender.example.net ip4:203.0.113.0/24 -all';

let fake: IonosFake;
let agent: Agent;
let sleeps: number[];

beforeEach(async () => {
  fake = await startIonosFake();
  agent = createHttpAgent({ keepAliveTimeoutMs: 100 });
  sleeps = [];
});

afterEach(async () => {
  await agent.close();
  await fake.close();
});

function connect(credentials: { apiKey: string } = GOOD, deadlineMs?: number): ProviderSession {
  const sleep = async (ms: number) => void sleeps.push(ms);
  return createIonosProvider({ baseUrl: fake.baseUrl, dispatcher: agent, sleep, deadlineMs }).connect(credentials);
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
const seedZone = () => fake.state.zones.get(SEED_APEX)!;

async function zoneOf(session: ProviderSession) {
  const zone = await session.findZone(SEED_APEX);
  return { zone, contents: await session.readZone(zone) };
}

function find(records: readonly DnsRecord[], type: string, name: string, startsWith = ''): DnsRecord {
  const found = records.find((r) => r.type === type && r.name === name && r.content.startsWith(startsWith));
  if (!found) throw new Error(`no ${type} ${name}`);
  return found;
}

async function fakeRequest(method: string, path: string, body?: unknown, key: string | null = GOOD.apiKey) {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (key !== null) headers['x-api-key'] = key;
  const reply = await request(`${fake.baseUrl}${path}`, { dispatcher: agent, method: method as 'GET', headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await reply.body.text();
  return { status: reply.statusCode, headers: reply.headers, text, json: text ? (JSON.parse(text) as unknown) : undefined };
}

describe('findZone and authorize', () => {
  it('reads the zone list once, sends the key exactly as given, and picks the zone for a sub-domain', async () => {
    const session = connect();
    const zone = await session.authorize('mail.Example.com.');
    expect(zone).toEqual({ name: SEED_APEX, id: seedZone().id });
    expect(fake.calls.map((c) => `${c.method} ${c.path} ${c.status}`)).toEqual(['GET /v1/zones 200']);
  });

  it('maps 401 UNAUTHORIZED to auth, a zone missing from the list to not_found, a SLAVE zone to forbidden', async () => {
    const wrong = await providerError(connect(WRONG).authorize(SEED_APEX));
    expect([wrong.kind, wrong.reason]).toEqual(['auth', 'invalid API key (unknown, revoked, or not prefix.secret)']);
    expect(fake.calls[0]?.status).toBe(401);
    const other = await providerError(connect(OTHER).authorize(SEED_APEX));
    expect([other.kind, other.reason]).toEqual(['not_found', 'zone not found in this account']);
    const slave = await providerError(connect().authorize('secondary-zone.com'));
    expect(slave.kind).toBe('forbidden');
    expect(slave.reason).toMatch(/secondary \(SLAVE\) zone/);
  });

  it('refuses a key that is not prefix.secret without calling IONOS', async () => {
    for (const apiKey of ['c0ffee00d15ea5e0123456789abcdef0', 'prefix. secret', '']) {
      const error = await providerError(connect({ apiKey }).authorize(SEED_APEX));
      expect(error.kind).toBe('auth');
    }
    expect(fake.calls).toHaveLength(0);
  });

  it('the fake answers a missing key with the documented 401 array body', async () => {
    const reply = await fakeRequest('GET', '/v1/zones', undefined, null);
    expect([reply.status, reply.json]).toEqual([401, [{ code: 'UNAUTHORIZED', message: 'The customer is not authorized to do this operation.' }]]);
    expect(ionosErrorFromReply(reply, GOOD).kind).toBe('auth');
  });

  it('never lets the key through: an error body that echoes it is scrubbed', async () => {
    fake.failNext({ kind: 'echo-credentials' });
    const echoed = await providerError(connect().authorize(SEED_APEX));
    expect(echoed.kind).toBe('auth');
    expect(fake.calls[0]?.status).toBe(401);
    const reply = { status: 400, headers: {}, text: JSON.stringify([{ code: 'INVALID_DATA', message: `bad key ${GOOD.apiKey} and ${encodeURIComponent(GOOD.apiKey)}` }]) };
    const mapped = ionosErrorFromReply(reply, GOOD);
    expect(mapped.kind).toBe('rejected');
    expect(mapped.reason).toContain('INVALID_DATA: bad key [redacted]');
    expect(mapped.reason).not.toContain(GOOD.apiKey);
  });

  it('scrubs the error code it repeats too: a 5xx or an unexpected status whose code echoes the key', () => {
    for (const status of [500, 418]) {
      const reply = { status, headers: {}, text: JSON.stringify([{ code: `BAD_KEY_${GOOD.apiKey}` }]) };
      const mapped = ionosErrorFromReply(reply, GOOD);
      expect(mapped.reason).toContain('BAD_KEY_[redacted]');
      expect(mapped.reason).not.toContain(GOOD.apiKey);
    }
  });
});

describe('readZone', () => {
  it('returns the whole seed zone in one call, normalised, each wire record kept in raw', async () => {
    const session = connect();
    const zone = await session.findZone(SEED_APEX);
    const wire = fake.snapshot();
    const { records } = await session.readZone(zone);
    expect(fake.calls.map((c) => `${c.method} ${c.path}`)).toEqual(['GET /v1/zones', `GET /v1/zones/${zone.id}`]);
    // IONOS has no pagination (ionos-spec getZone): no page parameters are sent.
    expect(fake.calls[1]?.query).toEqual({});
    expect(byJson(records.map(neutral))).toEqual(byJson(seedRecords()));
    expect(byJson(records.map((r) => r.raw))).toEqual(byJson(wire));
    expect(records.map((r) => r.id)).toEqual(wire.map((r) => r.id));
    expect(find(records, 'TXT', at('google._domainkey')).content).toBe(LONG_DKIM_TXT);
    // The fake holds TXT as IONOS returns it: quoted, a long value in 255-byte strings.
    expect(wire.find((r) => r.name === at('google._domainkey'))?.content).toMatch(/^"v=DKIM1; k=rsa; p=[^"]{200,}" "[^"]+"$/);
  });

  it('normalises IONOS spellings: quoted and escaped TXT, chunks, RFC 1035 escapes, a dotted CNAME, MX prio', () => {
    const raw = (type: string, content: string, prio = 0): IonosRecord => ({ id: 'x', name: 'WWW.Example.com', type, content, ttl: 600, prio, disabled: false });
    expect(neutral(fromIonos(raw('TXT', '"v=spf1 -all"')))).toEqual({ type: 'TXT', name: 'www.example.com', content: 'v=spf1 -all', ttl: 600 });
    expect(fromIonos(raw('TXT', '"say \\"hi\\" \\\\o/"')).content).toBe('say "hi" \\o/');
    expect(fromIonos(raw('TXT', '"v=DKIM1; k=rsa; " "p=ABC"')).content).toBe('v=DKIM1; k=rsa; p=ABC');
    expect(fromIonos(raw('TXT', '"caf\\195\\169"')).content).toBe('café');
    expect(fromIonos(raw('TXT', 'plain value')).content).toBe('plain value');
    expect(fromIonos(raw('CNAME', 'Target.Example.net.')).content).toBe('Target.Example.net');
    expect(neutral(fromIonos(raw('MX', 'mx.example.net', 5)))).toMatchObject({ content: 'mx.example.net', priority: 5 });
    expect(fromIonos(raw('A', '192.0.2.1', 7)).priority).toBeUndefined();
    expect(unquoteTxt(ionosTxt(LONG_DKIM_TXT))).toBe(LONG_DKIM_TXT);
    expect(unquoteTxt(ionosTxt('a "quoted" \\ value'))).toBe('a "quoted" \\ value');
  });

  it('leaves disabled records out of what is planned, and never touches them', async () => {
    const disabled: IonosRecord = { ...fake.snapshot().find((r) => r.type === 'TXT' && r.name === SEED_APEX)!, id: 'disabled-1', content: '"v=spf1 old -all"', disabled: true };
    seedZone().records.push(disabled);
    const session = connect();
    const { zone, contents } = await zoneOf(session);
    expect(contents.records.some((r) => r.id === 'disabled-1')).toBe(false);
    const spf = find(contents.records, 'TXT', SEED_APEX, 'v=spf1 include');
    await session.applyChanges(zone, contents, [{ action: 'UPDATE', before: spf, record: { type: 'TXT', name: SEED_APEX, content: SPF_MERGED, ttl: 3600 } }]);
    expect(fake.snapshot().find((r) => r.id === 'disabled-1')).toEqual(disabled);
  });

  it('retries a 500 on the zone read, and gives up on a lasting 503 after a bounded number of tries', async () => {
    fake.failNext({ kind: 'status', status: 500, on: 'read' });
    const session = connect();
    const { contents } = await zoneOf(session);
    expect(contents.records.length).toBe(seedRecords().length);
    expect(fake.calls.map((c) => c.status)).toEqual([200, 500, 200]);
    expect(sleeps).toHaveLength(1);
    fake.failNext({ kind: 'status', status: 503, on: 'read', times: 'always' });
    const error = await providerError(session.readZone({ name: SEED_APEX, id: seedZone().id }));
    expect([error.kind, error.reason]).toEqual(['unavailable', 'HTTP 503 INTERNAL_SERVER_ERROR']);
    expect(fake.calls.filter((c) => c.status === 503)).toHaveLength(4);
  });

  it('waits out a 429 for its Retry-After, and reports it at once when the wait would pass the deadline', async () => {
    fake.failNext({ kind: 'status', status: 429, retryAfter: 2, on: 'read' });
    await zoneOf(connect());
    expect(sleeps).toEqual([2000]);
    fake.failNext({ kind: 'status', status: 429, retryAfter: 5 });
    const error = await providerError(connect(GOOD, 3000).authorize(SEED_APEX));
    expect([error.kind, error.retryAfterSeconds]).toEqual(['rate_limited', 5]);
    expect(sleeps).toEqual([2000]);
  });

  it('reports a cut JSON body as a protocol error, an HTML 502 as unavailable', async () => {
    fake.failNext({ kind: 'malformed', on: 'read' });
    const session = connect();
    const zone = await session.findZone(SEED_APEX);
    const malformed = await providerError(session.readZone(zone));
    expect([malformed.kind, malformed.reason]).toEqual(['protocol', 'HTTP 200 with a malformed body instead of JSON']);
    fake.failNext({ kind: 'status', status: 502, html: true, times: 'always' });
    const html = await providerError(session.readZone(zone));
    expect([html.kind, html.reason]).toEqual(['unavailable', 'HTTP 502 with an HTML page']);
  });

  it('the fake enforces a per-key quota with Retry-After when asked to', async () => {
    fake.setBehaviour({ rateLimitPerMinute: 2 });
    await zoneOf(connect());
    const error = await providerError(connect(GOOD, 2000).authorize(SEED_APEX));
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

  it('makes one call per change (POST one record, PUT by id), never PATCH or a zone PUT, and leaves every other record identical', async () => {
    const session = connect();
    const { zone, contents } = await zoneOf(session);
    const before = fake.snapshot();
    const changes = senderPlan(contents.records);
    const spf = changes[2] as Extract<RecordChange, { action: 'UPDATE' }>;
    const mark = fake.calls.length;
    await expect(session.applyChanges(zone, contents, changes)).resolves.toEqual({ applied: changes });
    const made = fake.calls.slice(mark);
    expect(made.map((c) => `${c.method} ${c.path} ${c.status}`)).toEqual([
      `POST /v1/zones/${zone.id}/records 201`,
      `POST /v1/zones/${zone.id}/records 201`,
      `PUT /v1/zones/${zone.id}/records/${spf.before.id} 200`,
      `POST /v1/zones/${zone.id}/records 201`,
      `POST /v1/zones/${zone.id}/records 201`,
    ]);
    expect(made.length).toBe(changes.length * IONOS_CAPABILITIES.upstreamCalls.write.perRecord);
    // Names are FQDNs, TXT plain text, a CNAME target without its trailing dot, every new record enabled.
    expect(made[1]?.body).toEqual([{ name: at('bounce'), type: 'CNAME', content: 'returns.sender.example.net', ttl: 3600, prio: 0, disabled: false }]);
    expect(made[2]?.body).toEqual({ content: SPF_MERGED, ttl: 3600, prio: 0, disabled: false });
    expect(made[4]?.body).toEqual([{ name: at('k1._domainkey'), type: 'TXT', content: LONG_DKIM_TXT, ttl: 3600, prio: 0, disabled: false }]);

    const after = fake.snapshot();
    const spfWire = spf.before.raw as IonosRecord;
    // Every record but the SPF is exactly as it was (ids, change dates and all), the SPF kept its id.
    expect(after.slice(0, before.length)).toEqual(before.map((r) => (r.id === spfWire.id ? { ...r, content: `"${SPF_MERGED}"`, changeDate: expect.any(String) } : r)));
    expect(after).toHaveLength(before.length + 4);
    const reread = await session.readZone(zone);
    expect(find(reread.records, 'TXT', at('k1._domainkey')).content).toBe(LONG_DKIM_TXT);
    expect(find(reread.records, 'TXT', at('_dmarc2')).content).toBe('v=DMARC1; p=none; rua="mailto:d@sender.example.net"');
    expect(reread.records.filter((r) => r.type === 'TXT' && r.name === SEED_APEX).map((r) => r.content)).toEqual(
      contents.records.filter((r) => r.type === 'TXT' && r.name === SEED_APEX).map((r) => (r.id === spfWire.id ? SPF_MERGED : r.content)),
    );
    const count = fake.calls.length;
    await expect(session.applyChanges(zone, reread, [])).resolves.toEqual({ applied: [] });
    expect(fake.calls).toHaveLength(count);
  });

  it('trap: the fake replaces a whole rrset on PATCH, as documented, so sending only the new value loses the others', async () => {
    const id = seedZone().id;
    const apexTxt = () => fake.snapshot().filter((r) => r.type === 'TXT' && r.name === SEED_APEX);
    expect(apexTxt()).toHaveLength(3);
    const reply = await fakeRequest('PATCH', `/v1/zones/${id}`, [{ name: SEED_APEX, type: 'TXT', content: SPF_MERGED, ttl: 3600 }]);
    expect(reply.status).toBe(200);
    expect(apexTxt().map((r) => r.content)).toEqual([`"${SPF_MERGED}"`]);
    // ... and a PUT by id that leaves out `disabled` enables the record (schema default false, §1 trap 3).
    const record = apexTxt()[0]!;
    seedZone().records = seedZone().records.map((r) => (r.id === record.id ? { ...r, disabled: true } : r));
    await fakeRequest('PUT', `/v1/zones/${id}/records/${record.id}`, { content: 'v=spf1 -all' });
    expect(fake.snapshot().find((r) => r.id === record.id)).toMatchObject({ content: '"v=spf1 -all"', disabled: false });
  });

  it('DELETE removes exactly one record by id; its rrset keeps the other values', async () => {
    const session = connect();
    const { zone, contents } = await zoneOf(session);
    const before = fake.snapshot();
    const mx2 = find(contents.records, 'MX', SEED_APEX, 'mx2.');
    await expect(session.applyChanges(zone, contents, [{ action: 'DELETE', before: mx2 }])).resolves.toEqual({ applied: [{ action: 'DELETE', before: mx2 }] });
    expect(writes().map((c) => `${c.method} ${c.path} ${c.status}`)).toEqual([`DELETE /v1/zones/${zone.id}/records/${mx2.id} 200`]);
    expect(fake.snapshot()).toEqual(before.filter((r) => r.id !== mx2.id));
  });

  it('a Force plan deletes the record in the way before creating the CNAME there (plan order)', async () => {
    seedZone().records.push({ id: 'theirs', name: at('sl'), rootName: SEED_APEX, type: 'TXT', content: '"sl-site-verification=4b1d9c"', changeDate: 'x', ttl: 3600, prio: 0, disabled: false });
    const session = connect();
    const { zone, contents } = await zoneOf(session);
    const theirs = find(contents.records, 'TXT', at('sl'));
    const changes: RecordChange[] = [
      { action: 'DELETE', before: theirs },
      { action: 'CREATE', record: { type: 'CNAME', name: at('sl'), content: 'mta.sender-platform.net', ttl: 3600 } },
    ];
    await expect(session.applyChanges(zone, contents, changes)).resolves.toEqual({ applied: changes });
    expect(fake.snapshot().filter((r) => r.name === at('sl')).map((r) => [r.type, r.content])).toEqual([['CNAME', 'mta.sender-platform.net']]);
  });

  it('refuses before the first write what IONOS would refuse', async () => {
    const session = connect();
    const { zone, contents } = await zoneOf(session);
    const spf = find(contents.records, 'TXT', SEED_APEX, 'v=spf1');
    const ok: RecordChange = { action: 'CREATE', record: { type: 'CNAME', name: at('fine'), content: 'target.example.net', ttl: 3600 } };
    const cases: [RecordChange, RegExp][] = [
      [{ action: 'CREATE', record: { type: 'TXT', name: at('x'), content: 'v', ttl: 30 } }, /TTL 30 .* outside IONOS's 60–86400 seconds/],
      [{ action: 'CREATE', record: { type: 'TXT', name: at('x'), content: 'v', ttl: 172_800 } }, /TTL 172800/],
      [{ action: 'CREATE', record: { type: 'TXT', name: at('x'), content: 'x'.repeat(1025), ttl: 3600 } }, /longer than 1024 bytes/],
      [{ action: 'CREATE', record: { type: 'PTR', name: at('x'), content: 'host', ttl: 3600 } }, /cannot write PTR records/],
      [{ action: 'CREATE', record: { type: 'TXT', name: 'x.example.org', content: 'v', ttl: 3600 } }, /not inside the zone example\.com/],
      [{ action: 'UPDATE', before: spf, record: { type: 'CNAME', name: SEED_APEX, content: 'x.example.net', ttl: 3600 } }, /cannot change a record's name or type/],
      [{ action: 'DELETE', before: { ...spf, id: undefined, content: 'v=spf1 gone -all' } }, /no longer in the zone as read/],
    ];
    for (const [change, reason] of cases) {
      const error = await providerError(session.applyChanges(zone, contents, [ok, change]));
      expect(['rejected', 'conflict']).toContain(error.kind);
      expect(error.reason).toMatch(reason);
    }
    expect(writes()).toHaveLength(0);
  });

  it('maps a 400 INVALID_RECORD to rejected with its fields, and stops there', async () => {
    const session = connect();
    const { zone, contents } = await zoneOf(session);
    const changes: RecordChange[] = [
      { action: 'CREATE', record: { type: 'CNAME', name: at('one'), content: 'a.example.net', ttl: 3600 } },
      { action: 'CREATE', record: { type: 'CNAME', name: at('two'), content: 'b.example.net', ttl: 3600 } },
      { action: 'CREATE', record: { type: 'CNAME', name: at('three'), content: 'c.example.net', ttl: 3600 } },
    ];
    // Someone adds a TXT at `two` in the IONOS panel meanwhile: a CNAME cannot join it (RFC 1034), and IONOS refuses it.
    fake.beforeNextWrite(() => void seedZone().records.push({ ...(find(contents.records, 'TXT', at('mail')).raw as IonosRecord), id: 'panel', name: at('two') }));
    const error = await providerError(session.applyChanges(zone, contents, changes));
    expect(error.kind).toBe('rejected');
    expect(error.reason).toBe(
      'the change was refused: INVALID_RECORD: Record is invalid.: invalid type; 1 of 3 changes were applied (CREATE CNAME one.example.com); ' +
        'not applied: CREATE CNAME two.example.com, CREATE CNAME three.example.com; run dns.set again to finish',
    );
    expect(error.applied).toEqual([changes[0]]);
    expect(writes().map((c) => c.status)).toEqual([201, 400]);
  });

  it('refuses a plan that would leave a CNAME beside another record, before any write', async () => {
    const session = connect();
    const { zone, contents } = await zoneOf(session);
    const error = await providerError(
      session.applyChanges(zone, contents, [
        { action: 'CREATE', record: { type: 'CNAME', name: at('ok'), content: 'a.example.net', ttl: 3600 } },
        { action: 'CREATE', record: { type: 'CNAME', name: at('mail'), content: 'b.example.net', ttl: 3600 } },
      ]),
    );
    expect([error.kind, error.reason]).toEqual(['rejected', 'a CNAME at mail.example.com cannot share its name with other records']);
    expect(writes()).toHaveLength(0);
  });

  it('a PUT to a record deleted since the read is a conflict; nothing else is written', async () => {
    const session = connect();
    const { zone, contents } = await zoneOf(session);
    const spf = find(contents.records, 'TXT', SEED_APEX, 'v=spf1');
    seedZone().records = seedZone().records.filter((r) => r.id !== spf.id);
    const changes: RecordChange[] = [
      { action: 'UPDATE', before: spf, record: { type: 'TXT', name: SEED_APEX, content: SPF_MERGED, ttl: 3600 } },
      { action: 'CREATE', record: { type: 'CNAME', name: at('next'), content: 'c.example.net', ttl: 3600 } },
    ];
    const error = await providerError(session.applyChanges(zone, contents, changes));
    expect(error.kind).toBe('conflict');
    expect(error.reason).toMatch(/^a record to change no longer exists .*; no change was applied$/);
    expect(writes().map((c) => `${c.method} ${c.status}`)).toEqual(['PUT 404']);
  });

  describe('a POST create is never blindly repeated', () => {
    const create: RecordChange = { action: 'CREATE', record: { type: 'TXT', name: at('_dmarc2'), content: 'v=DMARC1; p=none', ttl: 3600 } };
    const landed = () => fake.snapshot().filter((r) => r.name === at('_dmarc2'));

    it('reply lost after it committed: re-read finds it, not sent again', async () => {
      const session = connect();
      const { zone, contents } = await zoneOf(session);
      fake.failNext({ kind: 'lost-reply', on: 'write' });
      await expect(session.applyChanges(zone, contents, [create])).resolves.toEqual({ applied: [create] });
      expect(fake.calls.slice(2).map((c) => `${c.method} ${c.path}${c.query.recordName ? `?${c.query.recordName} ${c.query.recordType}` : ''}`)).toEqual([
        `POST /v1/zones/${zone.id}/records`,
        `GET /v1/zones/${zone.id}?${at('_dmarc2')} TXT`,
      ]);
      expect(landed()).toHaveLength(1);
    });

    it.each([
      ['HTTP 500 before it ran', { kind: 'status', status: 500 } as const],
      ['connection reset before it ran', { kind: 'reset' } as const],
      ['no answer (hang)', { kind: 'hang' } as const],
    ])('%s: re-read finds nothing, sent once more, one record', async (_label, fault) => {
      const session = connect(GOOD, 4000);
      const { zone, contents } = await zoneOf(session);
      fake.failNext({ ...fault, on: 'write' });
      await expect(session.applyChanges(zone, contents, [create])).resolves.toEqual({ applied: [create] });
      expect(fake.calls.slice(2).map((c) => c.method)).toEqual(['POST', 'GET', 'POST']);
      expect(landed()).toHaveLength(1);
    });

    it('a disabled record with the same values is not taken for the create that failed: sent once more', async () => {
      // The customer keeps a disabled copy of the record (readZone leaves it out, so it is not among the ids read).
      seedZone().records.push({ id: 'disabled-twin', name: at('_dmarc2'), rootName: SEED_APEX, type: 'TXT', content: '"v=DMARC1; p=none"', changeDate: 'x', ttl: 3600, prio: 0, disabled: true });
      const session = connect();
      const { zone, contents } = await zoneOf(session);
      fake.failNext({ kind: 'status', status: 500, on: 'write' });
      await expect(session.applyChanges(zone, contents, [create])).resolves.toEqual({ applied: [create] });
      expect(fake.calls.slice(2).map((c) => `${c.method} ${c.status}`)).toEqual(['POST 500', 'GET 200', 'POST 201']);
      expect(landed().map((r) => r.disabled)).toEqual([true, false]);
    });

    it('a 429 is refused before it runs: waited out and sent again without a re-read', async () => {
      const session = connect();
      const { zone, contents } = await zoneOf(session);
      fake.failNext({ kind: 'status', status: 429, retryAfter: 1, on: 'write' });
      await session.applyChanges(zone, contents, [create]);
      expect(fake.calls.slice(2).map((c) => `${c.method} ${c.status}`)).toEqual(['POST 429', 'POST 201']);
      expect(sleeps).toEqual([1000]);
      expect(landed()).toHaveLength(1);
    });

    it('the re-read fails too: the error says it is unknown whether the record was created', async () => {
      const session = connect();
      const { zone, contents } = await zoneOf(session);
      fake.failNext({ kind: 'lost-reply', on: 'write' });
      fake.failNext({ kind: 'status', status: 503, method: 'GET', times: 'always' });
      const error = await providerError(session.applyChanges(zone, contents, [create]));
      expect(error.kind).toBe('unavailable');
      expect(error.reason).toBe('connection reset; no change was applied; unknown whether CREATE TXT _dmarc2.example.com was applied; run dns.set again to finish');
      expect(error.applied).toEqual([]);
      expect(fake.calls.slice(2).map((c) => `${c.method} ${c.status}`)).toEqual(['POST 201', 'GET 503', 'GET 503', 'GET 503', 'GET 503']);
    });
  });

  it('PUT and DELETE are repeated after a failure (idempotent); a DELETE that finds the record gone on the repeat is done', async () => {
    const session = connect();
    const { zone, contents } = await zoneOf(session);
    const spf = find(contents.records, 'TXT', SEED_APEX, 'v=spf1');
    const acme = find(contents.records, 'TXT', at('_acme-challenge'));
    fake.failNext({ kind: 'status', status: 500, method: 'PUT' });
    fake.failNext({ kind: 'lost-reply', method: 'DELETE' });
    const changes: RecordChange[] = [
      { action: 'UPDATE', before: spf, record: { type: 'TXT', name: SEED_APEX, content: SPF_MERGED, ttl: 3600 } },
      { action: 'DELETE', before: acme },
    ];
    await expect(session.applyChanges(zone, contents, changes)).resolves.toEqual({ applied: changes });
    expect(writes().map((c) => `${c.method} ${c.status}`)).toEqual(['PUT 500', 'PUT 200', 'DELETE 200', 'DELETE 404']);
    expect(fake.snapshot().some((r) => r.id === acme.id)).toBe(false);
  });

  it('a lasting failure part-way names what was applied and what was not', async () => {
    const session = connect(GOOD, 5000);
    const { zone, contents } = await zoneOf(session);
    const changes = senderPlan(contents.records);
    const before = fake.snapshot();
    fake.failNext({ kind: 'status', status: 500, method: 'PUT', times: 'always' });
    const error = await providerError(session.applyChanges(zone, contents, changes));
    expect(error.kind).toBe('unavailable');
    expect(error.reason).toBe(
      'HTTP 500 INTERNAL_SERVER_ERROR; 2 of 5 changes were applied (CREATE CNAME s2._domainkey.example.com, CREATE CNAME bounce.example.com); ' +
        'not applied: UPDATE TXT example.com, CREATE TXT _dmarc2.example.com, CREATE TXT k1._domainkey.example.com; run dns.set again to finish',
    );
    expect(error.applied).toEqual(changes.slice(0, 2));
    // Retried, then the record was re-read: it still holds the old SPF.
    expect(fake.calls.slice(-5).map((c) => `${c.method} ${c.status}`)).toEqual(['PUT 500', 'PUT 500', 'PUT 500', 'PUT 500', 'GET 200']);
    const after = fake.snapshot();
    expect(after.slice(0, before.length)).toEqual(before);
    expect(after).toHaveLength(before.length + 2);
  });
});
