/**
 * The Hostinger adapter against its loopback fake (no gateway): reading and normalising the zone, rrset writes that
 * carry every value read (`PUT` with `overwrite: true` sent explicitly, `DELETE` filters when an rrset ends empty),
 * the fake's documented traps (`overwrite` defaulting to true, `overwrite: false` appending and resetting TTLs,
 * DNS:4008, `reset`), disabled records, errors and their kinds, retries and the settling of lost writes.
 */
import { request, type Agent } from 'undici';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  createHostingerProvider,
  encodeTxt,
  fromHostinger,
  HOSTINGER_CAPABILITIES,
  hostingerErrorFromReply,
  planRrsetWrites,
  unquoteTxt,
  wireContent,
  type HostingerRaw,
} from '../../providers/hostinger.js';
import { createHttpAgent } from '../../providers/http.js';
import { ProviderError, type DnsRecord, type ProviderSession, type RecordChange } from '../../providers/types.js';
import { HOSTINGER_DEFAULT_TTL, HOSTINGER_FAKE_ACCOUNTS, startHostingerFake, type HostingerFake, type HostingerFakeRrset } from '../fakes/hostinger-fake.js';
import { LONG_DKIM_TXT, SEED_APEX, seedRecords } from '../fakes/seed-zone.js';

const GOOD = { apiKey: HOSTINGER_FAKE_ACCOUNTS.good.token };
const OTHER = { apiKey: HOSTINGER_FAKE_ACCOUNTS.other.token };
const WRONG = { apiKey: 'hst_ffffffffffffffffffffffffffffffffff' };
const SECRETS = [GOOD.apiKey, OTHER.apiKey, WRONG.apiKey];
const ZONE = { name: SEED_APEX, id: SEED_APEX };
const ZONE_PATH = `/api/dns/v1/zones/${SEED_APEX}`;
const at = (label: string) => (label === '@' ? SEED_APEX : `${label}.${SEED_APEX}`);
const SPF_MERGED = 'v=spf1 include:_spf.mailhost.example.net include:spf.sender.example.net ip4:203.0.113.0/24 -all';

let fake: HostingerFake;
let agent: Agent;
let sleeps: number[];

beforeEach(async () => {
  fake = await startHostingerFake();
  agent = createHttpAgent({ keepAliveTimeoutMs: 100 });
  sleeps = [];
});

afterEach(async () => {
  await agent.close();
  await fake.close();
});

function connect(credentials: { apiKey: string } = GOOD, options: { deadlineMs?: number } = {}): ProviderSession {
  const sleep = async (ms: number) => void sleeps.push(ms);
  return createHostingerProvider({ baseUrl: fake.baseUrl, dispatcher: agent, sleep, deadlineMs: options.deadlineMs }).connect(credentials);
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
const zone = () => fake.state.zones.get(SEED_APEX)!;
const rrset = (name: string, type: string) => fake.snapshot().find((r) => r.name === name && r.type === type);

function find(records: readonly DnsRecord[], type: string, name: string, startsWith = ''): DnsRecord {
  const found = records.find((r) => r.type === type && r.name === name && r.content.startsWith(startsWith));
  if (!found) throw new Error(`no ${type} ${name}`);
  return found;
}

/** The seed as Hostinger holds it: one TTL per rrset, the smallest of its values. */
function seedAsHeld() {
  const seed = seedRecords();
  const ttl = new Map<string, number>();
  for (const r of seed) ttl.set(`${r.type} ${r.name}`, Math.min(ttl.get(`${r.type} ${r.name}`) ?? Infinity, r.ttl));
  return seed.map((r) => neutral({ ...r, ttl: ttl.get(`${r.type} ${r.name}`)! }));
}

async function fakeRequest(method: string, path: string, body?: unknown, token: string | null = GOOD.apiKey) {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (token !== null) headers.authorization = `Bearer ${token}`;
  const reply = await request(`${fake.baseUrl}${path}`, { dispatcher: agent, method: method as 'GET', headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await reply.body.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: reply.statusCode, headers: reply.headers, text, json };
}

describe('findZone and authorize', () => {
  it('findZone makes no call; authorize is the zone read, with the API token as a Bearer token', async () => {
    const session = connect();
    await expect(session.findZone('mail.Example.com.')).resolves.toEqual(ZONE);
    expect(fake.calls).toHaveLength(0);
    await expect(session.authorize('news.example.com')).resolves.toEqual(ZONE);
    expect(fake.calls.map((c) => `${c.method} ${c.path} ${c.status} ${c.authorization}`)).toEqual([`GET ${ZONE_PATH} 200 Bearer ${GOOD.apiKey}`]);
    expect(writes()).toHaveLength(0);
  });

  it('maps 401 Unauthenticated to auth, and the empty read of a domain outside the account to not_found', async () => {
    const reply = await fakeRequest('GET', ZONE_PATH, undefined, WRONG.apiKey);
    expect(reply.status).toBe(401);
    expect(reply.json).toMatchObject({ message: 'Unauthenticated', correlation_id: expect.any(String) });
    const wrong = await providerError(connect(WRONG).authorize(SEED_APEX));
    expect([wrong.kind, wrong.reason]).toEqual(['auth', 'invalid or revoked API token']);
    // The other account's token reads example.com as an empty list: nothing proves access, so it is refused.
    expect((await fakeRequest('GET', ZONE_PATH, undefined, OTHER.apiKey)).json).toEqual([]);
    const other = await providerError(connect(OTHER).authorize(SEED_APEX));
    expect([other.kind, other.reason]).toEqual(['not_found', 'domain not found in this account (its DNS zone is empty or not reachable with this token)']);
  });

  it('refuses an empty or malformed token without calling Hostinger', async () => {
    for (const apiKey of ['', 'hst with space']) expect((await providerError(connect({ apiKey }).authorize(SEED_APEX))).kind).toBe('auth');
    expect(fake.calls).toHaveLength(0);
  });

  it('a token echoed in an error message never reaches an error', async () => {
    fake.failNext({ kind: 'echo-credentials' });
    const echoed = await providerError(connect().authorize(SEED_APEX));
    expect(echoed.kind).toBe('auth');
    expect(fake.calls.at(-1)?.status).toBe(401);
    const text = JSON.stringify({
      message: `The token ${GOOD.apiKey} is invalid. (and 1 more error)`,
      errors: { [`zone.0.records.0.${GOOD.apiKey}`]: [`echo ${GOOD.apiKey}`] },
      correlation_id: '26a91bd9-f8c8-4a83-9df9-83e23d696fe3',
    });
    const mapped = hostingerErrorFromReply({ status: 422, headers: {}, text }, GOOD);
    expect([mapped.kind, mapped.reason]).toEqual([
      'rejected',
      'the change was refused: The token [redacted] is invalid. (and 1 more error); zone.0.records.0.[redacted]: echo [redacted]',
    ]);
    expect(mapped.reason).not.toContain('26a91bd9');
  });
});

describe('readZone', () => {
  it('reads the whole seed zone in one call (no pagination), one neutral record per value, each kept byte for byte', async () => {
    const wire = fake.snapshot();
    const { records } = await connect().readZone(ZONE);
    expect(fake.calls.map((c) => `${c.method} ${c.path} ${JSON.stringify(c.query)}`)).toEqual([`GET ${ZONE_PATH} {}`]);
    expect(byJson(records.map(neutral))).toEqual(byJson(seedAsHeld()));
    expect(records.map((r) => (r.raw as HostingerRaw).content)).toEqual(wire.flatMap((r) => r.records.map((x) => x.content)));
    expect(find(records, 'TXT', at('google._domainkey')).content).toBe(LONG_DKIM_TXT);
    // The fake holds TXT as Hostinger returns it: quoted, in 255-byte strings.
    expect(rrset('google._domainkey', 'TXT')?.records[0]?.content).toMatch(/^"v=DKIM1; [^"]{200,}" "[^"]+"$/);
  });

  it('normalises Hostinger contents: quoted or plain TXT, escapes, CNAME with or without its dot, `@`, MX and SRV priorities', () => {
    const set = (type: string, contents: string[], name = 'x') =>
      fromHostinger({ name, type, ttl: 300, records: contents.map((content) => ({ content, is_disabled: false })) }, SEED_APEX).map(neutral);
    expect(set('TXT', ['"v=DKIM1; k=rsa; " "p=ABC"', '"say \\"hi\\" \\\\o/"', 'unquoted', '"caf\\195\\169"']).map((r) => r.content)).toEqual([
      'v=DKIM1; k=rsa; p=ABC',
      'say "hi" \\o/',
      'unquoted',
      'café',
    ]);
    expect(set('CNAME', ['Target.Example.NET.'])[0]?.content).toBe('target.example.net');
    expect(set('CNAME', ['target.example.net'])[0]?.content).toBe('target.example.net');
    expect(set('CNAME', ['@'])[0]?.content).toBe(SEED_APEX);
    expect(set('MX', ['10 mx1.example.net', '20 mx2.example.net.'], '@')).toEqual([
      { type: 'MX', name: SEED_APEX, content: 'mx1.example.net', ttl: 300, priority: 10 },
      { type: 'MX', name: SEED_APEX, content: 'mx2.example.net', ttl: 300, priority: 20 },
    ]);
    expect(set('SRV', ['10 5 5060 sip.example.com.'], '_sip._tcp')[0]).toMatchObject({ name: `_sip._tcp.${SEED_APEX}`, content: '5 5060 sip.example.com', priority: 10 });
    expect(set('A', ['192.0.2.1'], '*')[0]?.name).toBe(`*.${SEED_APEX}`);
    // Written: TXT quoted in 255-byte strings with `"` and `\` escaped, targets as FQDNs with the dot, MX `pref target.`.
    expect(unquoteTxt(encodeTxt(LONG_DKIM_TXT))).toBe(LONG_DKIM_TXT);
    expect(encodeTxt(LONG_DKIM_TXT).split('" "').length).toBe(2);
    expect(encodeTxt('a "b" \\')).toBe('"a \\"b\\" \\\\"');
    expect(wireContent('CNAME', { content: 'mta.sender.example.net' })).toBe('mta.sender.example.net.');
    expect(wireContent('MX', { content: 'mx.example.net', priority: 5 })).toBe('5 mx.example.net.');
    expect(wireContent('SRV', { content: '5 5060 sip.example.com', priority: 10 })).toBe('10 5 5060 sip.example.com.');
  });

  it('leaves disabled records out of the neutral records, but keeps them in the rrsets it read', async () => {
    zone().push({ name: 'old', type: 'TXT', ttl: 3600, records: [{ content: '"v=spf1 -all"', is_disabled: true }, { content: '"keep=me"', is_disabled: false }] });
    const contents = await connect().readZone(ZONE);
    expect(contents.records.filter((r) => r.name === at('old')).map((r) => r.content)).toEqual(['keep=me']);
    expect((contents.adapterState as { rrsets: HostingerFakeRrset[] }).rrsets.find((r) => r.name === 'old')?.records).toHaveLength(2);
  });

  it('retries a 500 on the read, honours a 429 Retry-After, reports a cut body as protocol and a lasting 5xx as unavailable', async () => {
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

  it("the fake's 429 is the edge's: Retry-After and a plain `error code: 1015` body; a per-token quota when asked", async () => {
    fake.setBehaviour({ rateLimitPerMinute: 1 });
    await connect().readZone(ZONE);
    const reply = await fakeRequest('GET', ZONE_PATH);
    expect([reply.status, reply.text, reply.headers['content-type']]).toEqual([429, 'error code: 1015', 'text/plain; charset=UTF-8']);
    // Seconds until the one-minute window ends.
    const wait = Number(reply.headers['retry-after']);
    expect(wait > 0 && wait <= 60, String(wait)).toBe(true);
    const error = await providerError(connect(GOOD, { deadlineMs: 2000 }).readZone(ZONE));
    expect(error.kind).toBe('rate_limited');
    expect(error.retryAfterSeconds! > 0 && error.retryAfterSeconds! <= 60, String(error.retryAfterSeconds)).toBe(true);
    // Longer than the command may wait: reported, not waited for.
    expect(sleeps).toEqual([]);
  });
});

describe('the fake keeps Hostinger\'s documented update semantics', () => {
  it('a PUT without `overwrite` OVERWRITES: the named rrset is replaced by exactly what the body carries', async () => {
    expect(rrset('@', 'TXT')?.records).toHaveLength(3);
    const reply = await fakeRequest('PUT', ZONE_PATH, { zone: [{ name: '@', type: 'TXT', records: [{ content: SPF_MERGED }] }] });
    expect([reply.status, reply.json]).toEqual([200, { message: 'Request accepted' }]);
    // The other apex TXT values are gone, and the rrset took the default TTL.
    expect(rrset('@', 'TXT')).toEqual({ name: '@', type: 'TXT', ttl: HOSTINGER_DEFAULT_TTL, records: [{ content: `"${SPF_MERGED}"`, is_disabled: false }] });
  });

  it('`overwrite: false` appends, rewrites the TTL of the whole rrset, and refuses a value already there with DNS:4008', async () => {
    const before = rrset('@', 'TXT')!;
    const reply = await fakeRequest('PUT', ZONE_PATH, { overwrite: false, zone: [{ name: '@', type: 'TXT', ttl: 600, records: [{ content: 'new=1' }] }] });
    expect(reply.status).toBe(200);
    const after = rrset('@', 'TXT')!;
    expect(after.records).toEqual([...before.records, { content: '"new=1"', is_disabled: false }]);
    expect([before.ttl, after.ttl]).toEqual([3600, 600]);
    const again = await fakeRequest('PUT', ZONE_PATH, { overwrite: false, zone: [{ name: '@', type: 'TXT', ttl: 600, records: [{ content: '"new=1"' }] }] });
    expect(again.status).toBe(422);
    expect(again.json).toMatchObject({ message: '[DNS:4008] DNS resource record is not valid or conflicts with another resource record' });
    expect(rrset('@', 'TXT')).toEqual(after);
  });

  it('`overwrite: true` re-enables a disabled record it writes back (the update schema has no is_disabled)', async () => {
    zone().push({ name: 'old', type: 'TXT', ttl: 3600, records: [{ content: '"off=1"', is_disabled: true }] });
    await fakeRequest('PUT', ZONE_PATH, { overwrite: true, zone: [{ name: 'old', type: 'TXT', ttl: 3600, records: [{ content: '"off=1"', is_disabled: true }] }] });
    expect(rrset('old', 'TXT')?.records).toEqual([{ content: '"off=1"', is_disabled: false }]);
  });

  it('DELETE filters remove whole rrsets; reset puts the default zone back; a CNAME without its dot is relative; 422 bodies', async () => {
    expect((await fakeRequest('DELETE', ZONE_PATH, { filters: [{ name: '@', type: 'MX' }] })).status).toBe(200);
    expect(rrset('@', 'MX')).toBeUndefined();
    expect((await fakeRequest('PUT', ZONE_PATH, { overwrite: true, zone: [{ name: 'rel', type: 'CNAME', ttl: 300, records: [{ content: 'target.example.net' }] }] })).status).toBe(200);
    expect(rrset('rel', 'CNAME')?.records[0]?.content).toBe('target.example.net.example.com.');
    const invalid = await fakeRequest('PUT', ZONE_PATH, { zone: [{ type: 'TXT', ttl: 5, records: [{ content: 'x' }] }] });
    expect([invalid.status, invalid.json]).toEqual([
      422,
      {
        message: 'The zone.0.name field is required. (and 1 more error)',
        errors: { 'zone.0.name': ['The zone.0.name field is required.'], 'zone.0.ttl': ['The zone.0.ttl field must be at least 60.'] },
        correlation_id: expect.any(String),
      },
    ]);
    expect((await fakeRequest('POST', `${ZONE_PATH}/reset`, {})).status).toBe(200);
    expect(fake.snapshot().map((r) => `${r.type} ${r.name}`)).toEqual(['A @', 'CNAME www', 'MX @', 'TXT @']);
    expect((await fakeRequest('PUT', '/api/dns/v1/zones/not-mine.com', { zone: [{ name: 'x', type: 'TXT', records: [{ content: 'v' }] }] })).json).toMatchObject({
      message: '[DNS:4009] Domain not found',
    });
  });
});

describe('applyChanges', () => {
  it('an rrset read under another spelling of its name (`""` for `@`, a final dot) is the one rewritten: its values are carried', () => {
    // fromHostinger reads `""` as the apex and drops a final dot; the rrset a write rebuilds must be that same one, or an
    // `overwrite: true` PUT of only the plan's value would replace the values read.
    for (const [spelling, full] of [['', SEED_APEX], ['Www.', `www.${SEED_APEX}`]] as const) {
      const rrsets = [{ name: spelling, type: 'TXT', ttl: 3600, records: [{ content: '"google-site-verification=abc"', is_disabled: false }, { content: '"MS=ms1"', is_disabled: false }] }];
      const contents = { records: rrsets.flatMap((r) => fromHostinger(r, SEED_APEX)), adapterState: { rrsets } };
      expect(contents.records.map((r) => r.name)).toEqual([full, full]);
      const [write] = planRrsetWrites(SEED_APEX, contents, [{ action: 'CREATE', record: { type: 'TXT', name: full, content: 'v=spf1 -all', ttl: 3600 } }]);
      expect(write).toMatchObject({ method: 'PUT', ttl: 3600, values: ['"google-site-verification=abc"', '"MS=ms1"', '"v=spf1 -all"'] });
    }
  });

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

  it('one PUT per changed rrset with overwrite: true sent explicitly, each rrset whole; nothing else changes; never reset or validate', async () => {
    const session = connect();
    const contents = await session.readZone(ZONE);
    const before = fake.snapshot();
    const changes = senderPlan(contents.records);
    const mark = fake.calls.length;
    await expect(session.applyChanges(ZONE, contents, changes)).resolves.toEqual({ applied: changes });
    const made = fake.calls.slice(mark);
    expect(made.map((c) => `${c.method} ${c.path} ${c.status}`)).toEqual(Array.from({ length: 5 }, () => `PUT ${ZONE_PATH} 200`));
    expect(made.length).toBe(5 * HOSTINGER_CAPABILITIES.upstreamCalls.write.perRrset);
    for (const call of made) {
      const body = call.body as { overwrite: unknown; zone: unknown[] };
      expect(body.overwrite).toBe(true);
      expect(body.zone).toHaveLength(1);
    }
    expect(made[1]?.body).toEqual({ overwrite: true, zone: [{ name: 'bounce', type: 'CNAME', ttl: 3600, records: [{ content: 'returns.sender.example.net.' }] }] });
    // The apex TXT rrset: every value read, byte for byte and in order, the SPF replaced in place, the TTL as read.
    const apexTxt = before.find((r) => r.name === '@' && r.type === 'TXT')!;
    const spfRaw = (changes[2] as Extract<RecordChange, { action: 'UPDATE' }>).before.raw as HostingerRaw;
    expect(made[2]?.body).toEqual({
      overwrite: true,
      zone: [{ name: '@', type: 'TXT', ttl: apexTxt.ttl, records: apexTxt.records.map((r) => ({ content: r.content === spfRaw.content ? `"${SPF_MERGED}"` : r.content })) }],
    });
    expect((made[3]?.body as { zone: { records: { content: string }[] }[] }).zone[0]?.records).toEqual([{ content: '"v=DMARC1; p=none; rua=\\"mailto:d@sender.example.net\\""' }]);
    expect((made[4]?.body as { zone: { records: { content: string }[] }[] }).zone[0]?.records[0]?.content).toMatch(/^"v=DKIM1[^"]+" "[^"]+"$/);

    const after = fake.snapshot();
    const spfAfter = { ...apexTxt, records: apexTxt.records.map((r) => (r.content === spfRaw.content ? { ...r, content: `"${SPF_MERGED}"` } : r)) };
    expect(after.slice(0, before.length)).toEqual(before.map((r) => (r === apexTxt ? spfAfter : r)));
    expect(after).toHaveLength(before.length + 4);
    expect(fake.calls.some((c) => c.path.endsWith('/reset') || c.path.endsWith('/validate'))).toBe(false);
    const reread = await session.readZone(ZONE);
    expect(find(reread.records, 'TXT', at('k1._domainkey')).content).toBe(LONG_DKIM_TXT);
    expect(find(reread.records, 'TXT', at('_dmarc2')).content).toBe('v=DMARC1; p=none; rua="mailto:d@sender.example.net"');
    expect(find(reread.records, 'CNAME', at('bounce')).content).toBe('returns.sender.example.net');
    const count = fake.calls.length;
    await expect(session.applyChanges(ZONE, reread, [])).resolves.toEqual({ applied: [] });
    expect(fake.calls).toHaveLength(count);
  });

  it('a value added to an rrset keeps the rrset TTL as read, so the values it does not name keep theirs; a new rrset takes the TTL asked', async () => {
    const session = connect();
    const contents = await session.readZone(ZONE);
    const changes: RecordChange[] = [
      { action: 'CREATE', record: { type: 'TXT', name: SEED_APEX, content: 'sender-verification=1', ttl: 600 } },
      { action: 'CREATE', record: { type: 'TXT', name: at('fresh'), content: 'v', ttl: 600 } },
    ];
    await session.applyChanges(ZONE, contents, changes);
    expect(rrset('@', 'TXT')?.ttl).toBe(3600);
    expect(rrset('@', 'TXT')?.records.at(-1)).toEqual({ content: '"sender-verification=1"', is_disabled: false });
    expect(rrset('fresh', 'TXT')?.ttl).toBe(600);
  });

  it('an rrset the plan empties is removed with DELETE filters (name and type); a value removed from a larger one is a PUT of the rest', async () => {
    const session = connect();
    const contents = await session.readZone(ZONE);
    const mx = rrset('@', 'MX')!;
    const mx2 = find(contents.records, 'MX', SEED_APEX, 'mx2.');
    const changes: RecordChange[] = [
      { action: 'DELETE', before: mx2 },
      { action: 'DELETE', before: find(contents.records, 'TXT', at('_acme-challenge')) },
    ];
    await expect(session.applyChanges(ZONE, contents, changes)).resolves.toEqual({ applied: changes });
    expect(writes().map((c) => `${c.method} ${c.path} ${c.status}`)).toEqual([`PUT ${ZONE_PATH} 200`, `DELETE ${ZONE_PATH} 200`]);
    expect(writes()[0]?.body).toEqual({
      overwrite: true,
      zone: [{ name: '@', type: 'MX', ttl: mx.ttl, records: mx.records.filter((r) => r.content !== (mx2.raw as HostingerRaw).content).map((r) => ({ content: r.content })) }],
    });
    expect(writes()[1]?.body).toEqual({ filters: [{ name: '_acme-challenge', type: 'TXT' }] });
    expect(rrset('_acme-challenge', 'TXT')).toBeUndefined();
    expect(rrset('@', 'MX')?.records.map((r) => r.content)).toEqual(['10 mx1.mailhost.example.net', '30 backup-mx.example.org']);
  });

  it('a Force plan deletes the TXT rrset before putting the CNAME there', async () => {
    zone().push({ name: 'sl', type: 'TXT', ttl: 3600, records: [{ content: '"sl-site-verification=4b1d9c"', is_disabled: false }] });
    const session = connect();
    const contents = await session.readZone(ZONE);
    const changes: RecordChange[] = [
      { action: 'DELETE', before: find(contents.records, 'TXT', at('sl')) },
      { action: 'CREATE', record: { type: 'CNAME', name: at('sl'), content: 'mta.sender-platform.net', ttl: 3600 } },
    ];
    await expect(session.applyChanges(ZONE, contents, changes)).resolves.toEqual({ applied: changes });
    expect(writes().map((c) => c.method)).toEqual(['DELETE', 'PUT']);
    expect(fake.snapshot().filter((r) => r.name === 'sl')).toEqual([{ name: 'sl', type: 'CNAME', ttl: 3600, records: [{ content: 'mta.sender-platform.net.', is_disabled: false }] }]);
  });

  it('trap: an rrset holding a disabled record is neither rewritten (re-enabled) nor deleted (dropped): rejected before any write', async () => {
    zone().push({ name: '_dmarc2', type: 'TXT', ttl: 3600, records: [{ content: '"v=DMARC1; p=quarantine"', is_disabled: true }, { content: '"other=1"', is_disabled: false }] });
    const before = fake.snapshot();
    const session = connect();
    const contents = await session.readZone(ZONE);
    const other = find(contents.records, 'TXT', at('_dmarc2'));
    const ok: RecordChange = { action: 'CREATE', record: { type: 'CNAME', name: at('fine'), content: 'target.example.net', ttl: 3600 } };
    for (const change of [
      { action: 'CREATE', record: { type: 'TXT', name: at('_dmarc2'), content: 'v=DMARC1; p=none', ttl: 3600 } },
      { action: 'UPDATE', before: other, record: { type: 'TXT', name: at('_dmarc2'), content: 'other=2', ttl: 3600 } },
      { action: 'DELETE', before: other },
    ] as RecordChange[]) {
      const error = await providerError(session.applyChanges(ZONE, contents, [ok, change]));
      expect([error.kind, error.reason]).toEqual([
        'rejected',
        "the TXT record set at _dmarc2.example.com holds a record disabled in hPanel, which Hostinger's API cannot write back disabled " +
          '(a rewrite would re-enable or drop it); enable or delete it in hPanel first',
      ]);
    }
    expect(writes()).toHaveLength(0);
    expect(fake.snapshot()).toEqual(before);
    // Other rrsets are written as usual.
    await expect(session.applyChanges(ZONE, contents, [ok])).resolves.toEqual({ applied: [ok] });
  });

  it('refuses before the first write what Hostinger would refuse', async () => {
    const session = connect();
    const contents = await session.readZone(ZONE);
    const ok: RecordChange = { action: 'CREATE', record: { type: 'CNAME', name: at('fine'), content: 'target.example.net', ttl: 3600 } };
    const cases: [RecordChange, RegExp][] = [
      [{ action: 'CREATE', record: { type: 'TXT', name: at('x'), content: 'v', ttl: 30 } }, /TTL 30 .* outside Hostinger's 60–604800 seconds/],
      [{ action: 'CREATE', record: { type: 'TXT', name: at('x'), content: 'v', ttl: 700_000 } }, /TTL 700000/],
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

  it('maps a 422 to rejected, naming the fields, and stops there; a 404 DNS:4009 to not_found', async () => {
    const session = connect();
    const contents = await session.readZone(ZONE);
    // Someone adds a CNAME at `two` in hPanel meanwhile: a TXT cannot join it, Hostinger refuses with DNS:4008.
    fake.beforeNextWrite(() => void zone().push({ name: 'two', type: 'CNAME', ttl: 300, records: [{ content: 'x.example.net.', is_disabled: false }] }));
    const changes: RecordChange[] = [
      { action: 'CREATE', record: { type: 'TXT', name: at('one'), content: 'a', ttl: 3600 } },
      { action: 'CREATE', record: { type: 'TXT', name: at('two'), content: 'b', ttl: 3600 } },
    ];
    const error = await providerError(session.applyChanges(ZONE, contents, changes));
    expect(error.kind).toBe('rejected');
    expect(error.reason).toBe(
      'the change was refused: [DNS:4008] DNS resource record is not valid or conflicts with another resource record; ' +
        '1 of 2 changes were applied (CREATE TXT one.example.com); not applied: CREATE TXT two.example.com; run dns.set again to finish',
    );
    expect(error.applied).toEqual([changes[0]]);
    expect(writes().map((c) => c.status)).toEqual([200, 422]);

    const missing = await providerError(connect(OTHER).applyChanges(ZONE, { records: [] }, [changes[0]!]));
    expect([missing.kind, missing.reason]).toEqual(['not_found', 'domain not found in this account; no change was applied']);
  });

  it('a PUT whose reply is lost after it applied is repeated and converges (idempotent whole-rrset write)', async () => {
    const session = connect();
    const contents = await session.readZone(ZONE);
    fake.failNext({ kind: 'lost-reply', on: 'write' });
    fake.failNext({ kind: 'lost-reply', method: 'DELETE' });
    const changes: RecordChange[] = [
      { action: 'UPDATE', before: find(contents.records, 'TXT', SEED_APEX, 'v=spf1'), record: { type: 'TXT', name: SEED_APEX, content: SPF_MERGED, ttl: 3600 } },
      { action: 'DELETE', before: find(contents.records, 'TXT', at('_acme-challenge')) },
    ];
    const before = rrset('@', 'TXT')!;
    await expect(session.applyChanges(ZONE, contents, changes)).resolves.toEqual({ applied: changes });
    expect(writes().map((c) => `${c.method} ${c.status}`)).toEqual(['PUT 200', 'PUT 200', 'DELETE 200', 'DELETE 200']);
    expect(rrset('@', 'TXT')).toEqual({ ...before, records: before.records.map((r) => (r.content.startsWith('"v=spf1') ? { ...r, content: `"${SPF_MERGED}"` } : r)) });
    expect(rrset('_acme-challenge', 'TXT')).toBeUndefined();
  });

  it('a write that keeps failing after it may have landed is settled by reading the zone again', async () => {
    const session = connect(GOOD, { deadlineMs: 4000 });
    const contents = await session.readZone(ZONE);
    const create: RecordChange = { action: 'CREATE', record: { type: 'TXT', name: at('_dmarc2'), content: 'v=DMARC1; p=none', ttl: 3600 } };
    // Applied, reply lost; then every later PUT answers 500: the re-read finds it landed.
    fake.failNext({ kind: 'lost-reply', on: 'write' });
    fake.failNext({ kind: 'status', status: 500, method: 'PUT', times: 'always' });
    await expect(session.applyChanges(ZONE, contents, [create])).resolves.toEqual({ applied: [create] });
    expect(fake.calls.at(-1)).toMatchObject({ method: 'GET', status: 200 });
    expect(rrset('_dmarc2', 'TXT')?.records).toEqual([{ content: '"v=DMARC1; p=none"', is_disabled: false }]);
  });

  it('the re-read fails too: unknown whether it was applied', async () => {
    const session = connect();
    const contents = await session.readZone(ZONE);
    const create: RecordChange = { action: 'CREATE', record: { type: 'TXT', name: at('_dmarc2'), content: 'v=DMARC1; p=none', ttl: 3600 } };
    fake.failNext({ kind: 'status', status: 503, times: 'always' });
    const error = await providerError(session.applyChanges(ZONE, contents, [create]));
    expect([error.kind, error.reason]).toEqual(['unavailable', 'HTTP 503; no change was applied; unknown whether CREATE TXT _dmarc2.example.com was applied; run dns.set again to finish']);
  });

  it('a 429 on a write is waited out as Retry-After says, and the write is not settled by a re-read (it never ran)', async () => {
    const session = connect();
    const contents = await session.readZone(ZONE);
    const create: RecordChange = { action: 'CREATE', record: { type: 'TXT', name: at('_dmarc2'), content: 'v=DMARC1; p=none', ttl: 3600 } };
    fake.failNext({ kind: 'status', status: 429, retryAfter: 3, on: 'write' });
    await expect(session.applyChanges(ZONE, contents, [create])).resolves.toEqual({ applied: [create] });
    expect(sleeps).toEqual([3000]);
    expect(writes().map((c) => c.status)).toEqual([429, 200]);
    fake.failNext({ kind: 'status', status: 429, retryAfter: 60, on: 'write' });
    const mark = fake.calls.length;
    const error = await providerError(connect(GOOD, { deadlineMs: 5000 }).applyChanges(ZONE, contents, [create]));
    expect([error.kind, error.retryAfterSeconds]).toEqual(['rate_limited', 60]);
    expect(fake.calls.slice(mark).map((c) => `${c.method} ${c.status}`)).toEqual(['PUT 429']);
  });

  it('a lasting failure part-way names what was applied and what was not; the zone holds exactly that', async () => {
    const session = connect(GOOD, { deadlineMs: 5000 });
    const contents = await session.readZone(ZONE);
    const changes = senderPlan(contents.records);
    let puts = 0;
    // The third PUT (the apex TXT rrset) and every one after it fail; the first two land.
    fake.beforeNextWrite(() => void puts++);
    fake.beforeNextWrite(() => {
      puts++;
      fake.failNext({ kind: 'status', status: 500, method: 'PUT', times: 'always' });
    });
    const before = fake.snapshot();
    const error = await providerError(session.applyChanges(ZONE, contents, changes));
    expect(puts).toBe(2);
    expect(error.reason).toBe(
      'HTTP 500; 2 of 5 changes were applied (CREATE CNAME s2._domainkey.example.com, CREATE CNAME bounce.example.com); ' +
        'not applied: UPDATE TXT example.com, CREATE TXT _dmarc2.example.com, CREATE TXT k1._domainkey.example.com; run dns.set again to finish',
    );
    expect(error.applied).toEqual(changes.slice(0, 2));
    expect(fake.calls.slice(-5).map((c) => `${c.method} ${c.status}`)).toEqual(['PUT 500', 'PUT 500', 'PUT 500', 'PUT 500', 'GET 200']);
    expect(fake.snapshot().slice(0, before.length)).toEqual(before);
    expect(fake.snapshot().slice(before.length).map((r) => r.name)).toEqual(['s2._domainkey', 'bounce']);
  });
});
