/** The DNSimple adapter against its loopback fake, without the gateway. */
import { setTimeout as pause } from 'node:timers/promises';
import type { Agent } from 'undici';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createDnsimpleProvider, decodeTxt, dnsimpleError, encodeTxt, fromDnsimple, planWrites } from '../../providers/dnsimple.js';
import { createHttpAgent } from '../../providers/http.js';
import { ProviderError, type DnsRecord, type ProviderCredentials, type ProviderSession, type RecordChange } from '../../providers/types.js';
import { DNSIMPLE_FAKE_TOKENS, serializeTxt, startDnsimpleFake, toDnsimpleWire, type DnsimpleFake, type DnsimpleWireRecord } from '../fakes/dnsimple-fake.js';
import { LONG_DKIM_TXT, SEED_APEX, seedRecords } from '../fakes/seed-zone.js';

const GOOD = { apiKey: DNSIMPLE_FAKE_TOKENS.account };
const USER = { apiKey: DNSIMPLE_FAKE_TOKENS.user };
const OTHER = { apiKey: DNSIMPLE_FAKE_TOKENS.otherAccount };
const WRONG = { apiKey: 'dnsimpleWRONGtoken0123456789abcdefghXYZ' };
const SECRETS = [GOOD.apiKey, USER.apiKey, OTHER.apiKey, WRONG.apiKey];
const ZONE_NAME = SEED_APEX;
const at = (label: string) => (label === '@' ? SEED_APEX : `${label}.${SEED_APEX}`);

let fake: DnsimpleFake;
let agent: Agent;
let sleeps: number[];

beforeEach(async () => {
  fake = await startDnsimpleFake();
  agent = createHttpAgent({ keepAliveTimeoutMs: 100 });
  sleeps = [];
});

afterEach(async () => {
  await agent.close();
  await fake.close();
});

function connect(credentials: ProviderCredentials = GOOD, options: { deadlineMs?: number; pageSize?: number } = {}): ProviderSession {
  // Retry waits are recorded and shortened; a spent quota is still waited for in real time (the fake counts it).
  const sleep = async (ms: number) => {
    sleeps.push(ms);
    await pause(Math.min(ms, 10));
  };
  return createDnsimpleProvider({ baseUrl: fake.baseUrl, dispatcher: agent, sleep, deadlineMs: options.deadlineMs, pageSize: options.pageSize }).connect(credentials);
}

async function providerError(promise: Promise<unknown>): Promise<ProviderError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ProviderError);
  const pe = error as ProviderError;
  for (const secret of SECRETS) expect(pe.message).not.toContain(secret);
  return pe;
}

const neutral = (r: DnsRecord) => ({ type: r.type, name: r.name, content: r.content, ttl: r.ttl, ...(r.priority === undefined ? {} : { priority: r.priority }) });
const byJson = <T>(list: readonly T[]) => [...list].map((x) => JSON.stringify(x)).sort();
const line = (c: { method: string; path: string; status: number }) => `${c.method} ${c.path} ${c.status}`;
const userRecords = (records: readonly DnsRecord[]) => records.filter((r) => (r.raw as DnsimpleWireRecord).system_record !== true);

function find(records: readonly DnsRecord[], type: string, name: string, startsWith = ''): DnsRecord {
  const found = records.find((r) => r.type === type && r.name === name && r.content.startsWith(startsWith));
  if (!found) throw new Error(`no ${type} ${name}`);
  return found;
}

async function zoneOf(session: ProviderSession) {
  return session.findZone(SEED_APEX);
}

describe('finding the account and the zone', () => {
  it('an account token: whoami names the account, the zone is looked up in it, one record proves read access', async () => {
    const zone = await connect().authorize(SEED_APEX);
    expect(zone.name).toBe(ZONE_NAME);
    expect(fake.calls.map(line)).toEqual(['GET /whoami 200', 'GET /1010/zones/example.com 200', 'GET /1010/zones/example.com/records 200']);
    expect(fake.calls[2]!.query).toEqual({ page: '1', per_page: '1' });
  });

  it('a user token: whoami names only the user, so each of its accounts is tried until one holds the zone', async () => {
    const session = connect(USER);
    const zone = await session.findZone(SEED_APEX);
    await session.readZone(zone);
    expect(fake.calls.map(line)).toEqual([
      'GET /whoami 200',
      'GET /accounts 200',
      'GET /3030/zones/example.com 404',
      'GET /1010/zones/example.com 200',
      'GET /1010/zones/example.com/records 200',
    ]);
  });

  it('walks up from a sub-domain to the zone', async () => {
    await expect(connect().findZone('mail.Example.com.')).resolves.toMatchObject({ name: ZONE_NAME });
    expect(fake.calls.map(line)).toEqual(['GET /whoami 200', 'GET /1010/zones/mail.example.com 404', 'GET /1010/zones/example.com 200']);
  });

  it('maps a wrong token to auth, a 2FA demand to its own reason, and refuses a missing token without a call', async () => {
    const wrong = await providerError(connect(WRONG).authorize(SEED_APEX));
    expect([wrong.kind, wrong.reason]).toEqual(['auth', 'invalid API access token']);
    expect(fake.calls.map(line)).toEqual(['GET /whoami 401']);
    const otp = dnsimpleError({ status: 401, headers: { 'x-dnsimple-otp': 'required' }, text: '' }, 'Authentication failed', undefined, GOOD);
    expect([otp.kind, otp.reason]).toEqual(['auth', 'a two-factor code is required: use an API access token']);
    const missing = await providerError(connect({ apiKey: ' ' }).authorize(SEED_APEX));
    expect(missing.kind).toBe('auth');
    expect(fake.calls).toHaveLength(1);
  });

  it('maps a zone outside the account to not_found', async () => {
    const error = await providerError(connect(OTHER).authorize(SEED_APEX));
    expect([error.kind, error.reason]).toEqual(['not_found', 'zone not found in this account']);
  });

  it('never repeats a credential the provider echoes back', async () => {
    fake.failNext({ kind: 'echo-credentials' });
    const error = await providerError(connect().authorize(SEED_APEX));
    expect(error.kind).toBe('auth');
    const echoed = dnsimpleError({ status: 400, headers: {}, text: '' }, `bad ${GOOD.apiKey}`, { content: [`has ${GOOD.apiKey}`] }, GOOD);
    expect(echoed.reason).toBe('the change was refused: bad [redacted]: content has [redacted]');
  });
});

describe('readZone and the neutral form', () => {
  it('reads every page: the seed zone back in neutral form, system records included and marked, ids as strings', async () => {
    fake.setBehaviour({ maxPerPage: 20 });
    const session = connect();
    const zone = await zoneOf(session);
    const { records } = await session.readZone(zone);
    const pages = fake.calls.filter((c) => c.path.endsWith('/records'));
    expect(pages.map((c) => c.query.page)).toEqual(['1', '2', '3', '4']);
    expect(byJson(userRecords(records).map(neutral))).toEqual(byJson(seedRecords()));
    expect(records.filter((r) => (r.raw as DnsimpleWireRecord).system_record).map((r) => r.type)).toEqual(['SOA', 'NS', 'NS', 'NS', 'NS']);
    expect(byJson(records.map((r) => r.raw))).toEqual(byJson(fake.snapshot()));
    expect(records.every((r) => r.id === String((r.raw as DnsimpleWireRecord).id))).toBe(true);
    expect(find(records, 'TXT', at('google._domainkey')).content).toBe(LONG_DKIM_TXT);
  });

  it('a record deleted from an earlier page while the pages are read shifts the later ones: read again, nothing skipped', async () => {
    fake.setBehaviour({ maxPerPage: 20 });
    const session = connect();
    const zone = await zoneOf(session);
    // Between page 1 and page 2 someone deletes the first record: page 2 then starts one record later.
    fake.beforeNextList(() => {});
    fake.beforeNextList(() => {
      const held = fake.state.zones.get(SEED_APEX)!;
      const first = held.filter((r) => !r.system_record).sort((a, b) => a.id - b.id)[0]!;
      held.splice(held.indexOf(first), 1);
    });
    const { records } = await session.readZone(zone);
    expect(byJson(records.map((r) => r.raw))).toEqual(byJson(fake.snapshot()));
  });

  it('one page of 100 holds the seed zone: whoami, zone, records', async () => {
    const session = connect();
    await session.readZone(await zoneOf(session));
    expect(fake.calls.map((c) => `${c.path} ${c.query.per_page ?? ''}`)).toEqual(['/whoami ', '/1010/zones/example.com ', '/1010/zones/example.com/records 100']);
  });

  it('decodes TXT in every form DNSimple returns: its own serialization, spaced strings, escapes, legacy plain text', () => {
    const wire = (content: string, type = 'TXT', extra: Partial<DnsimpleWireRecord> = {}) => ({
      id: 7, zone_id: SEED_APEX, parent_id: null, name: '', content, ttl: 3600, priority: null, type, regions: ['global'], system_record: false, ...extra,
    });
    const read = (w: object) => fromDnsimple(w, SEED_APEX);
    expect(read(wire('"v=DKIM1; k=rsa; ""p=AB\\"C\\\\D"')).content).toBe('v=DKIM1; k=rsa; p=AB"C\\D');
    expect(read(wire('"a" "b"')).content).toBe('ab');
    expect(read(wire('v=spf1 -all')).content).toBe('v=spf1 -all');
    expect(read(wire(serializeTxt(LONG_DKIM_TXT))).content).toBe(LONG_DKIM_TXT);
    expect(neutral(read(wire('Target.Example.net.', 'CNAME', { name: 'WWW' })))).toEqual({ type: 'CNAME', name: 'www.example.com', content: 'Target.Example.net', ttl: 3600 });
    expect(neutral(read(wire('5 5060 sip.example.com.', 'SRV', { name: '_sip._tcp', priority: 10 })))).toMatchObject({ content: '5 5060 sip.example.com', priority: 10 });
    expect(read(wire('192.0.2.1', 'A', { regions: ['SV1', 'IAD'] })).providerFields).toEqual({ regions: ['SV1', 'IAD'] });
    expect(read(wire('192.0.2.1', 'A')).providerFields).toBeUndefined();
    expect(() => read({ ...wire('x'), id: '7' })).toThrow(ProviderError);
  });

  it('encodes TXT as DNSimple serializes it: 253-character quoted strings, quotes and backslashes escaped, never split', () => {
    expect(encodeTxt(LONG_DKIM_TXT)).toBe(serializeTxt(LONG_DKIM_TXT));
    expect(encodeTxt(LONG_DKIM_TXT)).toBe(`"${LONG_DKIM_TXT.slice(0, 253)}""${LONG_DKIM_TXT.slice(253)}"`);
    expect(encodeTxt('say "hi" \\ there')).toBe('"say \\"hi\\" \\\\ there"');
    const escapes = `${'a'.repeat(252)}"b`;
    expect(encodeTxt(escapes)).toBe(`"${'a'.repeat(252)}""\\"b"`);
    for (const value of [LONG_DKIM_TXT, escapes, 'say "hi" \\ there', 'é'.repeat(300)]) expect(decodeTxt(encodeTxt(value))).toBe(value);
  });
});

describe('writing', () => {
  const SPF = 'v=spf1 include:_spf.mailhost.example.net include:spf.sender.example.net ip4:203.0.113.0/24 -all';
  const records = () => toDnsimpleWire(seedRecords(), SEED_APEX).map((w) => fromDnsimple(w, SEED_APEX));

  it('sends relative names (apex empty), serialized TXT, targets without a dot, priorities, and PATCHes without the type', () => {
    const zone = records();
    const mx = find(zone, 'MX', SEED_APEX, 'mx1.');
    const plan = planWrites(SEED_APEX, zone, [
      { action: 'CREATE', record: { type: 'TXT', name: at('k1._domainkey'), content: LONG_DKIM_TXT, ttl: 3600 } },
      { action: 'CREATE', record: { type: 'CNAME', name: at('sl'), content: 'mta.sender.example.net.', ttl: 3600 } },
      { action: 'UPDATE', before: mx, record: { type: 'MX', name: SEED_APEX, content: 'mx9.example.net.', ttl: 600, priority: 15 } },
      { action: 'DELETE', before: mx },
    ]);
    expect(plan.map((w) => [w.method, w.id, w.body])).toEqual([
      ['POST', undefined, { name: 'k1._domainkey', type: 'TXT', content: encodeTxt(LONG_DKIM_TXT), ttl: 3600 }],
      ['POST', undefined, { name: 'sl', type: 'CNAME', content: 'mta.sender.example.net', ttl: 3600 }],
      ['PATCH', mx.id, { name: '', content: 'mx9.example.net', ttl: 600, priority: 15 }],
      ['DELETE', mx.id, undefined],
    ]);
  });

  it('refuses before any call what DNSimple would refuse', () => {
    const zone = records();
    const refused = (change: RecordChange) => {
      try {
        planWrites(SEED_APEX, zone, [change]);
      } catch (error) {
        return [(error as ProviderError).kind, (error as ProviderError).reason];
      }
      return undefined;
    };
    const create = (content: string, ttl = 3600) => ({ action: 'CREATE' as const, record: { type: 'TXT', name: at('x'), content, ttl } });
    expect(refused(create('x', 30))?.[1]).toMatch(/TTL 30, outside/);
    expect(refused(create(''))?.[0]).toBe('rejected');
    expect(refused(create('v=spf1 -all '))?.[1]).toMatch(/ends with a space/);
    expect(refused(create('x'.repeat(993)))?.[1]).toMatch(/longer than DNSimple's 1000 characters once quoted/);
    expect(refused(create('x'.repeat(960)))).toBeUndefined();
    const soa = fromDnsimple({ id: 1, zone_id: SEED_APEX, parent_id: null, name: '', content: 'ns1.dnsimple.com admin.dnsimple.com 1 2 3 4 5', ttl: 3600, priority: null, type: 'SOA', regions: ['global'], system_record: true }, SEED_APEX);
    expect(refused({ action: 'DELETE', before: soa })?.[1]).toMatch(/system record/);
    const cname = find(zone, 'CNAME', at('blog'));
    expect(refused({ action: 'UPDATE', before: cname, record: { type: 'A', name: at('blog'), content: '192.0.2.1', ttl: 3600 } })?.[1]).toMatch(/cannot become an? A record/);
    const stranger: DnsRecord = { type: 'A', name: at('gone'), content: '192.0.2.99', ttl: 600 };
    expect(refused({ action: 'DELETE', before: stranger })?.[0]).toBe('conflict');
  });

  it('applies a plan with one call per change; every other record stays as it was, regions included', async () => {
    // A record served in two regions only: an update of another record must not touch it.
    const zoneWire = fake.state.zones.get(SEED_APEX)!;
    const host = zoneWire.find((r) => r.name === 'host01')!;
    host.regions = ['SV1', 'IAD'];
    const session = connect();
    const zone = await zoneOf(session);
    const contents = await session.readZone(zone);
    const before = fake.snapshot();
    const spf = find(contents.records, 'TXT', SEED_APEX, 'v=spf1');
    const acme = find(contents.records, 'TXT', at('_acme-challenge'));
    const changes: RecordChange[] = [
      { action: 'CREATE', record: { type: 'CNAME', name: at('s2._domainkey'), content: 's2.dkim.sender.example.net', ttl: 3600 } },
      { action: 'UPDATE', before: spf, record: { type: 'TXT', name: SEED_APEX, content: SPF, ttl: 3600 } },
      { action: 'DELETE', before: acme },
      { action: 'CREATE', record: { type: 'TXT', name: at('k1._domainkey'), content: LONG_DKIM_TXT, ttl: 3600 } },
    ];
    const mark = fake.calls.length;
    await expect(session.applyChanges(zone, contents, changes)).resolves.toEqual({ applied: changes });
    expect(fake.calls.slice(mark).map(line)).toEqual([
      'POST /1010/zones/example.com/records 201',
      `PATCH /1010/zones/example.com/records/${spf.id} 200`,
      `DELETE /1010/zones/example.com/records/${acme.id} 204`,
      'POST /1010/zones/example.com/records 201',
    ]);
    const after = fake.snapshot();
    const touched = new Set([Number(spf.id), Number(acme.id)]);
    expect(after.filter((r) => before.some((b) => b.id === r.id) && !touched.has(r.id))).toEqual(before.filter((r) => !touched.has(r.id)));
    expect(after.find((r) => r.name === 'host01')?.regions).toEqual(['SV1', 'IAD']);
    expect(after.find((r) => r.id === Number(spf.id))).toMatchObject({ content: `"${SPF}"`, regions: ['global'] });
    const again = await session.readZone(zone);
    expect(find(again.records, 'TXT', at('k1._domainkey')).content).toBe(LONG_DKIM_TXT);
    expect(find(again.records, 'TXT', SEED_APEX, 'v=spf1').content).toBe(SPF);
    expect(again.records.filter((r) => r.type === 'TXT' && r.name === SEED_APEX)).toHaveLength(3);
  });

  it('a revert re-creating a record served in some regions only sends them back', async () => {
    const session = connect();
    const zone = await zoneOf(session);
    const contents = await session.readZone(zone);
    await session.applyChanges(zone, contents, [
      { action: 'CREATE', record: { type: 'A', name: at('regional'), content: '192.0.2.50', ttl: 600, restoreFields: { regions: ['AMS'] } } },
    ]);
    expect(fake.snapshot().find((r) => r.name === 'regional')).toMatchObject({ content: '192.0.2.50', regions: ['AMS'] });
  });

  it('a duplicate create is refused with DNSimple’s reason, and nothing else is written', async () => {
    const session = connect();
    const zone = await zoneOf(session);
    const contents = await session.readZone(zone);
    const changes: RecordChange[] = [
      { action: 'CREATE', record: { type: 'A', name: at('www'), content: '203.0.113.10', ttl: 600 } },
      { action: 'CREATE', record: { type: 'A', name: at('later'), content: '192.0.2.1', ttl: 600 } },
    ];
    const error = await providerError(session.applyChanges(zone, contents, changes));
    expect([error.kind, error.reason]).toEqual([
      'rejected',
      'the change was refused: Validation failed: Matching record already exists for this zone; no change was applied',
    ]);
    expect(fake.calls.filter((c) => c.write)).toHaveLength(1);
  });

  it('a record deleted by someone else between the read and the write is a conflict, not a success', async () => {
    const session = connect();
    const zone = await zoneOf(session);
    const contents = await session.readZone(zone);
    const acme = find(contents.records, 'TXT', at('_acme-challenge'));
    fake.beforeNextWrite(() => {
      const wire = fake.state.zones.get(SEED_APEX)!;
      wire.splice(wire.findIndex((r) => r.id === Number(acme.id)), 1);
    });
    const error = await providerError(session.applyChanges(zone, contents, [{ action: 'DELETE', before: acme }]));
    expect([error.kind, error.reason]).toEqual(['conflict', 'a record to change is no longer in the zone; no change was applied']);
  });
});

describe('the hourly quota', () => {
  it('a spent quota (X-RateLimit-Remaining 0) holds the next call until X-RateLimit-Reset, without spending a 429', async () => {
    fake.setBehaviour({ quota: 3, windowMs: 1500 });
    const session = connect();
    const zone = await zoneOf(session);
    await session.readZone(zone);
    // Within the window the fourth call would be refused (429): it is held until the reset instead.
    await session.readZone(zone);
    expect(fake.calls.map((c) => c.status)).toEqual([200, 200, 200, 200]);
  });

  it('a spent quota whose reset is past the deadline is reported at once, with the wait, and no call is made', async () => {
    fake.setBehaviour({ quota: 3, windowMs: 60_000 });
    const session = connect(GOOD, { deadlineMs: 3000 });
    const zone = await zoneOf(session);
    await session.readZone(zone);
    const error = await providerError(session.readZone(zone));
    expect(error.kind).toBe('rate_limited');
    expect(error.retryAfterSeconds).toBeGreaterThan(50);
    expect(fake.calls).toHaveLength(3);
  });

  it('a 429 waits for X-RateLimit-Reset within the deadline, then the read is repeated', async () => {
    fake.failNext({ kind: 'rate-limited', on: 'read', retryAfterSeconds: 1 });
    const session = connect();
    const zone = await zoneOf(session);
    const { records } = await session.readZone(zone);
    expect(records.length).toBeGreaterThan(50);
    expect(fake.calls.map((c) => c.status)).toEqual([200, 200, 429, 200]);
    // The wait asked for is the time to X-RateLimit-Reset (1–2 s: the reset is whole seconds).
    expect(sleeps).toHaveLength(1);
    expect(sleeps[0]).toBeGreaterThanOrEqual(1000);
  });

  it('a 429 whose reset is past the deadline is reported as rate_limited with the wait', async () => {
    fake.failNext({ kind: 'rate-limited', on: 'read', retryAfterSeconds: 600 });
    const session = connect(GOOD, { deadlineMs: 3000 });
    const error = await providerError(session.readZone(await zoneOf(session)));
    expect(error.kind).toBe('rate_limited');
    expect(error.retryAfterSeconds).toBeGreaterThanOrEqual(599);
    expect(sleeps).toEqual([]);
  });
});

describe('failures of a write', () => {
  const CNAME: RecordChange = { action: 'CREATE', record: { type: 'CNAME', name: at('sl'), content: 'mta.sender.example.net', ttl: 3600 } };

  async function readThen(fault: Parameters<DnsimpleFake['failNext']>[0], options: { deadlineMs?: number } = {}) {
    const session = connect(GOOD, options);
    const zone = await zoneOf(session);
    const contents = await session.readZone(zone);
    fake.failNext(fault);
    const mark = fake.calls.length;
    return { session, zone, contents, made: () => fake.calls.slice(mark).map(line) };
  }

  it('a create whose reply is lost is found by re-reading and not repeated', async () => {
    const { session, zone, contents, made } = await readThen({ kind: 'lost-reply', on: 'write' });
    await expect(session.applyChanges(zone, contents, [CNAME])).resolves.toEqual({ applied: [CNAME] });
    expect(made()).toEqual(['POST /1010/zones/example.com/records 0', 'GET /1010/zones/example.com/records 200']);
    expect(fake.snapshot().filter((r) => r.name === 'sl')).toHaveLength(1);
  });

  it('a create refused with HTTP 500 is re-read, found missing, and sent once more', async () => {
    const { session, zone, contents, made } = await readThen({ kind: 'server-error', on: 'write' });
    await expect(session.applyChanges(zone, contents, [CNAME])).resolves.toEqual({ applied: [CNAME] });
    expect(made()).toEqual(['POST /1010/zones/example.com/records 500', 'GET /1010/zones/example.com/records 200', 'POST /1010/zones/example.com/records 201']);
  });

  it('an update that hangs times out, is re-read, and sent once more within the deadline', async () => {
    const { session, zone, contents, made } = await readThen({ kind: 'hang', on: 'write' }, { deadlineMs: 3000 });
    const spf = find(contents.records, 'TXT', SEED_APEX, 'v=spf1');
    const change: RecordChange = { action: 'UPDATE', before: spf, record: { type: 'TXT', name: SEED_APEX, content: 'v=spf1 -all', ttl: 3600 } };
    await expect(session.applyChanges(zone, contents, [change])).resolves.toEqual({ applied: [change] });
    expect(made()).toEqual([
      `PATCH /1010/zones/example.com/records/${spf.id} 0`,
      'GET /1010/zones/example.com/records 200',
      `PATCH /1010/zones/example.com/records/${spf.id} 200`,
    ]);
  });

  it('a lasting failure part-way names what was applied and what was not', async () => {
    const { session, zone, contents } = await readThen({ kind: 'server-error', on: 'write', times: 'always', pathIncludes: '/records/' });
    const acme = find(contents.records, 'TXT', at('_acme-challenge'));
    const error = await providerError(session.applyChanges(zone, contents, [CNAME, { action: 'DELETE', before: acme }]));
    expect(error.kind).toBe('unavailable');
    expect(error.reason).toBe(
      'HTTP 500 with an HTML page; 1 of 2 changes were applied (CREATE CNAME sl.example.com); not applied: DELETE TXT _acme-challenge.example.com; run dns.set again to finish',
    );
    expect(error.applied).toEqual([CNAME]);
  });

  it('a malformed 200 on the record list is a protocol error, not retried', async () => {
    const session = connect();
    const zone = await zoneOf(session);
    fake.failNext({ kind: 'malformed', on: 'read' });
    const error = await providerError(session.readZone(zone));
    expect([error.kind, error.reason]).toEqual(['protocol', 'HTTP 200 with a malformed body instead of JSON']);
  });
});
