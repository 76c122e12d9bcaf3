/**
 * The Route 53 adapter against its loopback fake (no gateway): normalising, reading every page, the zone lookup, SigV4,
 * the DELETE + CREATE compare-and-swap batch, the stale-write race, throttling, lost replies and error mapping.
 * Facts: ../shared/reference/providers-cloud.md §1, §8–§11.
 */
import { Hash } from '@smithy/hash-node';
import { SignatureV4 } from '@smithy/signature-v4';
import { request, type Agent } from 'undici';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createHttpAgent } from '../../providers/http.js';
import {
  ROUTE53_CAPABILITIES,
  createRoute53Provider,
  decodeName,
  decodeTxtValue,
  encodeTxtValue,
  fromRoute53,
  route53ErrorFromReply,
  route53Value,
  type Route53RecordSet,
} from '../../providers/route53.js';
import { ProviderError, type DnsRecord, type ProviderCredentials, type ProviderSession, type RecordChange } from '../../providers/types.js';
import {
  NEIGHBOUR_ZONE_ID,
  PRIVATE_ZONE_ID,
  ROUTE53_FAKE_ACCOUNTS,
  SEED_ZONE_ID,
  startRoute53Fake,
  type Route53Fake,
  type Route53FakeCall,
  type Route53FakeZone,
} from '../fakes/route53-fake.js';
import { LONG_DKIM_TXT, SEED_APEX, seedRecords } from '../fakes/seed-zone.js';

const { good, temporary, restricted } = ROUTE53_FAKE_ACCOUNTS;
const GOOD: ProviderCredentials = { apiKey: good.accessKeyId, apiSecret: good.secretAccessKey };
const TEMPORARY: ProviderCredentials = { apiKey: temporary.accessKeyId, apiSecret: temporary.secretAccessKey, apiUser: temporary.sessionToken };
const WRONG_SECRET = 'r53WRONGsecret/000000000000+zzzzzzzzzzzzzzz';
const SECRETS = [good.secretAccessKey, good.accessKeyId, temporary.secretAccessKey, temporary.sessionToken, temporary.accessKeyId, restricted.secretAccessKey, WRONG_SECRET];
const ZONE = { name: SEED_APEX, id: SEED_ZONE_ID };

let fake: Route53Fake;
let agent: Agent;
let sleeps: number[];

beforeEach(async () => {
  fake = await startRoute53Fake();
  agent = createHttpAgent({ keepAliveTimeoutMs: 100 });
  sleeps = [];
});

afterEach(async () => {
  await agent.close();
  await fake.close();
});

function connect(credentials: ProviderCredentials = GOOD, options: { deadlineMs?: number; pageSize?: number; zonePageSize?: number } = {}): ProviderSession {
  const sleep = async (ms: number) => void sleeps.push(ms);
  return createRoute53Provider({ baseUrl: fake.baseUrl, dispatcher: agent, sleep, ...options }).connect(credentials);
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
const sorted = <T>(list: readonly T[]) => [...list].map((x) => JSON.stringify(x)).sort();
const of = (action: Route53FakeCall['action']) => fake.calls.filter((c) => c.action === action);
const batches = () => of('ChangeResourceRecordSets');
const seedZone = () => fake.state.zones.get(SEED_ZONE_ID)!;
const rrset = (name: string, type: string) => fake.snapshot().find((r) => r.Name === name && r.Type === type);
/** A zone owned by the `good` account (its account entry replaced, the shared constant left alone). */
function addZone(zone: Route53FakeZone): void {
  fake.state.zones.set(zone.id, zone);
  const index = fake.state.accounts.findIndex((a) => a.accessKeyId === good.accessKeyId);
  fake.state.accounts[index] = { ...fake.state.accounts[index]!, zones: [...fake.state.accounts[index]!.zones, zone.id] };
}
/** The seed as Route 53 holds it: one TTL per rrset, so the apex MX values all take the first one's (3600). */
const seedAsHeld = () => seedRecords().map((r) => (r.type === 'MX' && r.name === SEED_APEX ? { ...r, ttl: 3600 } : r));

async function read(session = connect()): Promise<{ session: ProviderSession; records: readonly DnsRecord[] }> {
  const contents = await session.readZone(ZONE);
  return { session, records: contents.records };
}

function find(records: readonly DnsRecord[], type: string, name: string, startsWith = ''): DnsRecord {
  const record = records.find((r) => r.type === type && r.name === name && r.content.startsWith(startsWith));
  if (!record) throw new Error(`no ${type} ${name} ${startsWith}`);
  return record;
}

/** The seed's SPF update as the planner makes it (UPDATE of the read record, same TTL). */
function spfUpdate(records: readonly DnsRecord[]): RecordChange {
  const before = find(records, 'TXT', SEED_APEX, 'v=spf1');
  return { action: 'UPDATE', before, record: { type: 'TXT', name: SEED_APEX, content: before.content.replace(' -all', ' include:_spf.esp.example -all'), ttl: before.ttl } };
}

// ------------------------------------------------------------------------------------------------ normalising

describe('record forms', () => {
  it('writes TXT as quoted strings of at most 255 bytes, escaping " and \\ and non-ASCII bytes, and reads them back', () => {
    expect(encodeTxtValue('v=spf1 -all')).toBe('"v=spf1 -all"');
    expect(encodeTxtValue('say "hi" \\ bye')).toBe('"say \\"hi\\" \\\\ bye"');
    expect(encodeTxtValue('café')).toBe('"caf\\303\\251"');
    const long = encodeTxtValue(LONG_DKIM_TXT);
    const chunks = [...long.matchAll(/"([^"]*)"/g)].map((m) => m[1]!);
    expect(chunks.map((c) => c.length)).toEqual([255, LONG_DKIM_TXT.length - 255]);
    expect(long).toBe(`"${LONG_DKIM_TXT.slice(0, 255)}" "${LONG_DKIM_TXT.slice(255)}"`);
    // A character is never split between strings: 254 ASCII bytes then a two-byte é starts the second string.
    const edge = `${'a'.repeat(254)}é`;
    expect(encodeTxtValue(edge)).toBe(`"${'a'.repeat(254)}" "\\303\\251"`);
    for (const value of [LONG_DKIM_TXT, 'say "hi" \\ bye', 'café ☕ 𝄞', edge, '', 'x'.repeat(600)]) expect(decodeTxtValue(encodeTxtValue(value))).toBe(value);
  });

  it('reads quoted TXT values, joined, with escapes and octal codes; an unquoted value stays as it is', () => {
    expect(decodeTxtValue('"v=DKIM1; p=abc" "def"')).toBe('v=DKIM1; p=abcdef');
    expect(decodeTxtValue('"a \\"quoted\\" word"')).toBe('a "quoted" word');
    expect(decodeTxtValue('"caf\\303\\251"')).toBe('café');
    expect(decodeTxtValue('unquoted')).toBe('unquoted');
  });

  it('decodes the octal escapes of names (\\052 = *)', () => {
    expect(decodeName('\\052.example.com.')).toBe('*.example.com.');
    expect(decodeName('_sip._tcp.example.com.')).toBe('_sip._tcp.example.com.');
  });

  it('writes CNAME and NS targets as FQDNs with one trailing dot, MX and SRV with the priority inside the value', () => {
    expect(route53Value({ type: 'CNAME', name: 'a.example.com', content: 'target.example.net', ttl: 300 })).toBe('target.example.net.');
    expect(route53Value({ type: 'CNAME', name: 'a.example.com', content: 'target.example.net.', ttl: 300 })).toBe('target.example.net.');
    expect(route53Value({ type: 'MX', name: 'example.com', content: 'mx.example.net', ttl: 300, priority: 10 })).toBe('10 mx.example.net.');
    expect(route53Value({ type: 'SRV', name: '_sip._tcp.example.com', content: '5 5060 sip.example.com', ttl: 300, priority: 10 })).toBe('10 5 5060 sip.example.com.');
    expect(route53Value({ type: 'TXT', name: 'example.com', content: 'v=spf1 -all', ttl: 300 })).toBe('"v=spf1 -all"');
  });

  it('reads MX and SRV priorities out of the value, and an alias record as one record naming its target', () => {
    const mx = fromRoute53({ Name: 'example.com.', Type: 'MX', TTL: 300, ResourceRecords: ['10 MX1.example.net.', '20 mx2.example.net.'] });
    expect(mx.map(neutral)).toEqual([
      { type: 'MX', name: 'example.com', content: 'mx1.example.net', ttl: 300, priority: 10 },
      { type: 'MX', name: 'example.com', content: 'mx2.example.net', ttl: 300, priority: 20 },
    ]);
    const srv = fromRoute53({ Name: '_sip._tcp.example.com.', Type: 'SRV', TTL: 60, ResourceRecords: ['10 5 5060 sip.example.com.'] });
    expect(srv.map(neutral)).toEqual([{ type: 'SRV', name: '_sip._tcp.example.com', content: '5 5060 sip.example.com', ttl: 60, priority: 10 }]);
    const alias: Route53RecordSet = { Name: 'example.com.', Type: 'A', AliasTarget: { HostedZoneId: 'Z2FDTNDATAQYW2', DNSName: 'd111111abcdef8.cloudfront.net.', EvaluateTargetHealth: false } };
    const [record] = fromRoute53(alias);
    expect(record).toMatchObject({ type: 'A', name: 'example.com', content: 'd111111abcdef8.cloudfront.net', providerFields: { AliasTarget: alias.AliasTarget } });
  });
});

// ------------------------------------------------------------------------------------------------ reading

describe('readZone', () => {
  it('reads the whole seed zone back equal to the seed, every page of a small page size, the wildcard decoded', async () => {
    // A page size that makes the wildcard (`\\052.example.com.`) the first rrset of a page.
    const size = fake.snapshot().findIndex((r) => r.Name === '\\052.example.com.');
    expect(size).toBeGreaterThan(1);
    const session = connect(GOOD, { pageSize: size });
    const { records } = await read(session);
    expect(sorted(records.map(neutral))).toEqual(sorted(seedAsHeld().map(neutral)));
    expect(records.some((r) => r.name === `*.${SEED_APEX}`)).toBe(true);
    const pages = of('ListResourceRecordSets');
    expect(pages.length).toBeGreaterThanOrEqual(3);
    expect(pages).toHaveLength(Math.ceil(seedZone().rrsets.length / size));
    // Each next page starts where Route 53 said, by the name as Route 53 returned it (escaped) and the type.
    expect(pages[0]!.query).toEqual({ maxitems: String(size) });
    for (const [i, call] of pages.slice(1).entries()) {
      const next = fake.snapshot()[(i + 1) * size]!;
      expect(call.query).toEqual({ maxitems: String(size), name: next.Name, type: next.Type });
    }
    expect(pages[1]!.query.name).toBe('\\052.example.com.');
  });

  it('reads the zone in one call at the default page size', async () => {
    await read();
    expect(of('ListResourceRecordSets').map((c) => c.query)).toEqual([{ maxitems: '300' }]);
  });

  it("keeps Route 53's own SOA and apex NS, alias and routing-policy records as read", async () => {
    await fake.close();
    fake = await startRoute53Fake({ apexSoaNs: true });
    seedZone().rrsets.push(
      { Name: 'cdn.example.com.', Type: 'A', AliasTarget: { HostedZoneId: 'Z2FDTNDATAQYW2', DNSName: 'd111111abcdef8.cloudfront.net.', EvaluateTargetHealth: false } },
      { Name: 'w.example.com.', Type: 'TXT', SetIdentifier: 'blue', Weight: 70, TTL: 60, ResourceRecords: ['"blue"'] },
    );
    const { records } = await read();
    expect(records.filter((r) => r.type === 'SOA' || (r.type === 'NS' && r.name === SEED_APEX))).toHaveLength(5);
    expect(find(records, 'A', 'cdn.example.com')).toMatchObject({ content: 'd111111abcdef8.cloudfront.net', providerFields: { AliasTarget: { DNSName: 'd111111abcdef8.cloudfront.net.' } } });
    expect(find(records, 'TXT', 'w.example.com')).toMatchObject({ content: 'blue', ttl: 60, providerFields: { SetIdentifier: 'blue', Weight: '70' } });
  });
});

// ------------------------------------------------------------------------------------------------ the zone lookup

describe('findZone', () => {
  it('takes the public zone named exactly so from one lexicographic listing, skipping the private one of the same name and the neighbour', async () => {
    const session = connect();
    await expect(session.findZone('Example.com.')).resolves.toEqual(ZONE);
    expect(of('ListHostedZonesByName').map((c) => c.query)).toEqual([{ dnsname: SEED_APEX, maxitems: '100' }]);
    // The id without its `/hostedzone/` prefix (boto#448).
    expect(ZONE.id).not.toContain('/');
    await expect(connect().findZone('example2.com')).resolves.toEqual({ name: 'example2.com', id: NEIGHBOUR_ZONE_ID });
  });

  it('walks up from a sub-domain to the most specific public zone, still in one call', async () => {
    addZone({ id: 'Z0SUB0EU0EXAMPLE0003', name: 'eu.example.com.', private: false, rrsets: [] });
    await expect(connect().findZone('mail.eu.example.com')).resolves.toEqual({ name: 'eu.example.com', id: 'Z0SUB0EU0EXAMPLE0003' });
    await expect(connect().findZone('www.example.com')).resolves.toEqual(ZONE);
    expect(of('ListHostedZonesByName')).toHaveLength(2);
    // Pages of one zone: the listing is followed (NextDNSName / NextHostedZoneId) until past the domain.
    fake.calls.splice(0);
    await expect(connect(GOOD, { zonePageSize: 1 }).findZone('mail.eu.example.com')).resolves.toEqual({ name: 'eu.example.com', id: 'Z0SUB0EU0EXAMPLE0003' });
    expect(of('ListHostedZonesByName').map((c) => c.query.dnsname)).toEqual([SEED_APEX, 'example.com.', 'eu.example.com.']);
  });

  it('refuses two public zones of one name (kind rejected, saying so) and reads neither', async () => {
    addZone({ id: 'Z0TWIN0EXAMPLE0COM09', name: 'example.com.', private: false, rrsets: [] });
    const error = await providerError(connect().findZone(SEED_APEX));
    expect([error.kind, error.reason]).toEqual([
      'rejected',
      'this account has 2 public hosted zones named example.com; which one the domain is delegated to cannot be told, so none is changed',
    ]);
    expect(of('ListResourceRecordSets')).toHaveLength(0);
  });

  it('answers not_found when only a private zone or only neighbours carry the name', async () => {
    fake.state.zones.delete(SEED_ZONE_ID);
    const error = await providerError(connect().findZone(SEED_APEX));
    expect([error.kind, error.reason]).toEqual(['not_found', 'only a private hosted zone is named example.com in this account; public DNS is not served from it']);
    fake.state.zones.delete(PRIVATE_ZONE_ID);
    const none = await providerError(connect().findZone('www.example.com'));
    expect([none.kind, none.reason]).toEqual(['not_found', 'no public hosted zone for www.example.com in this account']);
  });

  it('answers not_found, not a malformed reply, when no zone of the account sorts at or after the name (an empty <HostedZones/>)', async () => {
    const error = await providerError(connect().findZone('zz-no-zone-here.com'));
    expect([error.kind, error.reason]).toEqual(['not_found', 'no public hosted zone for zz-no-zone-here.com in this account']);
    expect(of('ListHostedZonesByName')).toHaveLength(1);
  });
});

// ------------------------------------------------------------------------------------------------ credentials

describe('authorize and SigV4', () => {
  it('proves read access with the zone lookup and one ListResourceRecordSets of one item, writing nothing', async () => {
    await expect(connect().authorize(SEED_APEX)).resolves.toEqual(ZONE);
    expect(fake.calls.map((c) => [c.action, c.status, c.query.maxitems])).toEqual([
      ['ListHostedZonesByName', 200, '100'],
      ['ListResourceRecordSets', 200, '1'],
    ]);
  });

  it('signs every request with SigV4 for route53 in us-east-1 (the fake re-signs with the secret and compares)', async () => {
    await connect().authorize(SEED_APEX);
    for (const call of fake.calls) {
      expect(call.authorization).toMatch(
        new RegExp(`^AWS4-HMAC-SHA256 Credential=${good.accessKeyId}/\\d{8}/us-east-1/route53/aws4_request, SignedHeaders=host;x-amz-content-sha256;x-amz-date, Signature=[0-9a-f]{64}$`),
      );
      expect(call.securityToken).toBeUndefined();
    }
  });

  it('sends the session token of temporary credentials as x-amz-security-token', async () => {
    await expect(connect(TEMPORARY).authorize(SEED_APEX)).resolves.toEqual(ZONE);
    expect(fake.calls.map((c) => c.securityToken)).toEqual([temporary.sessionToken, temporary.sessionToken]);
    expect(fake.calls[0]!.authorization).toContain('SignedHeaders=host;x-amz-content-sha256;x-amz-date;x-amz-security-token');
  });

  it.each([
    ['a wrong secret', { apiKey: good.accessKeyId, apiSecret: WRONG_SECRET }, 'the secret access key does not match the access key id (SignatureDoesNotMatch)'],
    ['an unknown key id', { apiKey: 'AKIAFAKEUNKNOWNKEY09', apiSecret: good.secretAccessKey }, 'unknown access key id (InvalidClientTokenId)'],
    ['temporary credentials without their token', { apiKey: temporary.accessKeyId, apiSecret: temporary.secretAccessKey }, 'unknown access key id (InvalidClientTokenId)'],
    [
      'temporary credentials with a wrong token',
      { ...TEMPORARY, apiUser: 'FwoGZXIvYXdzEFAKEwrongTOKEN' },
      'unknown access key id, or the session token is invalid (InvalidClientTokenId)',
    ],
  ])('maps %s to auth with the reason', async (_label, credentials, reason) => {
    const error = await providerError(connect(credentials).authorize(SEED_APEX));
    expect([error.kind, error.reason]).toEqual(['auth', reason]);
    expect(fake.calls.map((c) => c.status)).toEqual([403]);
  });

  it.each([
    ['ahead', 6 * 60_000],
    ['behind', -6 * 60_000],
  ])('reports clock skew when the request is dated more than 5 minutes off (fake clock %s)', async (_label, skew) => {
    fake.setBehaviour({ clockSkewMs: skew });
    const error = await providerError(connect().authorize(SEED_APEX));
    expect(error.kind).toBe('auth');
    expect(error.reason).toContain('clock skew');
    // Four minutes off is inside the window.
    fake.setBehaviour({ clockSkewMs: Math.sign(skew) * 4 * 60_000 });
    await expect(connect().authorize(SEED_APEX)).resolves.toEqual(ZONE);
  });

  it('maps AccessDenied on the zone to forbidden, naming the action the IAM policy lacks', async () => {
    const error = await providerError(connect({ apiKey: restricted.accessKeyId, apiSecret: restricted.secretAccessKey }).authorize(SEED_APEX));
    expect([error.kind, error.reason]).toEqual(['forbidden', "the key's IAM policy does not allow route53:ListResourceRecordSets on this hosted zone (AccessDenied)"]);
    expect(error.reason).not.toContain('arn:');
  });

  it('maps NoSuchHostedZone to not_found', async () => {
    const error = await providerError(connect().readZone({ name: SEED_APEX, id: 'Z0NOSUCHZONE0000001' }));
    expect([error.kind, error.reason]).toEqual(['not_found', 'the hosted zone is not in this account (NoSuchHostedZone)']);
  });

  it('refuses missing or unusable credentials before any call', async () => {
    for (const credentials of [{ apiKey: good.accessKeyId }, { apiKey: '', apiSecret: 'x' }, { apiKey: 'AKIA with space', apiSecret: 'x' }]) {
      const error = await providerError(connect(credentials).authorize(SEED_APEX));
      expect(error.kind).toBe('auth');
    }
    expect(fake.calls).toHaveLength(0);
  });

  it('keeps every credential out of the error when the provider echoes them', async () => {
    fake.failNext({ kind: 'echo-credentials' });
    const error = await providerError(connect(TEMPORARY).authorize(SEED_APEX));
    expect(error.kind).toBe('auth');
    // The echo did happen: the fake's reply held them.
    expect(fake.calls[0]!.status).toBe(403);
  });

  it('the fake refuses a request whose body was changed after signing', async () => {
    const session = connect();
    const { records } = await read(session);
    fake.calls.splice(0);
    // Sign a batch, then alter its body on the way: the signature covers the body hash.
    const original = agent.dispatch.bind(agent);
    agent.dispatch = ((options, handler) => original({ ...options, body: typeof options.body === 'string' ? options.body.replace('dns-gateway', 'dns-gatewaX') : options.body }, handler)) as typeof agent.dispatch;
    try {
      const error = await providerError(session.applyChanges(ZONE, { records }, [spfUpdate(records)]));
      expect(error.kind).toBe('protocol');
      expect(batches()[0]!.status).toBe(400);
    } finally {
      agent.dispatch = original;
    }
  });
});

// ------------------------------------------------------------------------------------------------ writing

describe('applyChanges', () => {
  it('merges the apex TXT as ONE batch: DELETE of the rrset exactly as read, then CREATE of every value read plus ours; nothing else changes', async () => {
    const before = fake.snapshot();
    const { session, records } = await read();
    const change = spfUpdate(records);
    await expect(session.applyChanges(ZONE, { records }, [change])).resolves.toEqual({ applied: [change] });
    expect(batches()).toHaveLength(1);
    const read0 = before.find((r) => r.Name === 'example.com.' && r.Type === 'TXT')!;
    expect(batches()[0]!.changes).toEqual([
      { action: 'DELETE', name: 'example.com.', type: 'TXT', ttl: 3600, values: read0.ResourceRecords },
      {
        action: 'CREATE',
        name: 'example.com.',
        type: 'TXT',
        ttl: 3600,
        values: [`"${(change as { record: { content: string } }).record.content}"`, ...read0.ResourceRecords!.slice(1)],
      },
    ]);
    const after = fake.snapshot();
    expect(after.filter((r) => !(r.Name === 'example.com.' && r.Type === 'TXT'))).toEqual(before.filter((r) => !(r.Name === 'example.com.' && r.Type === 'TXT')));
    expect(fake.calls.every((c) => !c.body.includes('UPSERT'))).toBe(true);
  });

  it('writes untouched values back byte for byte, however they were stored', async () => {
    // Stored by another tool: split strings and a double space between them; the TTL of the rrset as read.
    const odd = '"v=DKIM1; k=rsa; " "p=MIGfMA0"';
    const name = 'sel._domainkey.example.com.';
    seedZone().rrsets.push({ Name: name, Type: 'TXT', TTL: 900, ResourceRecords: [odd, '"keep-me"'] });
    const { session, records } = await read();
    const removed = find(records, 'TXT', 'sel._domainkey.example.com', 'keep-me');
    await session.applyChanges(ZONE, { records }, [{ action: 'DELETE', before: removed }]);
    expect(batches()[0]!.changes).toEqual([
      { action: 'DELETE', name, type: 'TXT', ttl: 900, values: [odd, '"keep-me"'] },
      { action: 'CREATE', name, type: 'TXT', ttl: 900, values: [odd] },
    ]);
    expect(rrset(name, 'TXT')).toEqual({ Name: name, Type: 'TXT', TTL: 900, ResourceRecords: [odd] });
  });

  it('creates a new rrset with CREATE only (CNAME as an FQDN with the dot), deletes an emptied one with DELETE only', async () => {
    const { session, records } = await read();
    const acme = find(records, 'TXT', '_acme-challenge.example.com');
    const changes: RecordChange[] = [
      { action: 'CREATE', record: { type: 'CNAME', name: 'key1._domainkey.example.com', content: 'key1._domainkey.esp.example', ttl: 3600 } },
      { action: 'CREATE', record: { type: 'TXT', name: '_dmarc.sub.example.com', content: 'v=DMARC1; p=none', ttl: 3600 } },
      { action: 'DELETE', before: acme },
    ];
    await session.applyChanges(ZONE, { records }, changes);
    expect(batches()).toHaveLength(1);
    expect(batches()[0]!.changes!.map((c) => [c.action, c.name, c.type, c.values])).toEqual([
      ['DELETE', '_acme-challenge.example.com.', 'TXT', ['"bW9jay1hY21lLWNoYWxsZW5nZS10b2tlbi12YWx1ZQ"']],
      ['CREATE', 'key1._domainkey.example.com.', 'CNAME', ['key1._domainkey.esp.example.']],
      ['CREATE', '_dmarc.sub.example.com.', 'TXT', ['"v=DMARC1; p=none"']],
    ]);
    expect(rrset('_acme-challenge.example.com.', 'TXT')).toBeUndefined();
    expect(rrset('key1._domainkey.example.com.', 'CNAME')).toEqual({ Name: 'key1._domainkey.example.com.', Type: 'CNAME', TTL: 3600, ResourceRecords: ['key1._domainkey.esp.example.'] });
  });

  it('puts every DELETE before every CREATE, so a forced CNAME replaces the TXT at its name in the same batch', async () => {
    seedZone().rrsets.push({ Name: 'sl.example.com.', Type: 'TXT', TTL: 3600, ResourceRecords: ['"sl-site-verification=4b1d9c"'] });
    const { session, records } = await read();
    await session.applyChanges(ZONE, { records }, [
      { action: 'CREATE', record: { type: 'CNAME', name: 'sl.example.com', content: 'esp.example', ttl: 3600 } },
      { action: 'DELETE', before: find(records, 'TXT', 'sl.example.com') },
    ]);
    expect(batches()[0]!.changes!.map((c) => `${c.action} ${c.type}`)).toEqual(['DELETE TXT', 'CREATE CNAME']);
    expect(rrset('sl.example.com.', 'CNAME')?.ResourceRecords).toEqual(['esp.example.']);
  });

  it('keeps the TTL of an rrset whose values it keeps (one TTL per rrset), and touches the wildcard by its name as read', async () => {
    const { session, records } = await read();
    const wildcard = find(records, 'A', '*.example.com');
    await session.applyChanges(ZONE, { records }, [
      { action: 'CREATE', record: { type: 'TXT', name: '_dmarc.example.com', content: 'v=DMARC1; p=none', ttl: 3600 } },
      { action: 'UPDATE', before: wildcard, record: { type: 'A', name: '*.example.com', content: '203.0.113.99', ttl: 600 } },
    ]);
    expect(rrset('_dmarc.example.com.', 'TXT')).toMatchObject({ TTL: 1800, ResourceRecords: [expect.stringContaining('p=reject'), '"v=DMARC1; p=none"'] });
    expect(batches()[0]!.changes!.filter((c) => c.type === 'A').map((c) => [c.action, c.name, c.values])).toEqual([
      ['DELETE', '\\052.example.com.', ['203.0.113.12']],
      ['CREATE', '\\052.example.com.', ['203.0.113.99']],
    ]);
    expect(rrset('\\052.example.com.', 'A')).toEqual({ Name: '\\052.example.com.', Type: 'A', TTL: 600, ResourceRecords: ['203.0.113.99'] });
  });

  it('writes a TXT value of exactly maxTxtLength bytes and refuses one byte more before any write', async () => {
    const { session, records } = await read();
    const max = ROUTE53_CAPABILITIES.maxTxtLength;
    const value = `v=test ${'x'.repeat(max - 7)}`;
    await session.applyChanges(ZONE, { records }, [{ action: 'CREATE', record: { type: 'TXT', name: 'big.example.com', content: value, ttl: 300 } }]);
    const { records: again } = await read();
    expect(find(again, 'TXT', 'big.example.com').content).toBe(value);
    expect(rrset('big.example.com.', 'TXT')!.ResourceRecords![0]!.length).toBe(4000);
    const error = await providerError(session.applyChanges(ZONE, { records: again }, [{ action: 'CREATE', record: { type: 'TXT', name: 'bigger.example.com', content: `${value}x`, ttl: 300 } }]));
    expect(error.kind).toBe('rejected');
    expect(batches()).toHaveLength(1);
  });

  it.each<[string, (records: readonly DnsRecord[]) => RecordChange[], RegExp]>([
    ['a CNAME at the apex', () => [{ action: 'CREATE', record: { type: 'CNAME', name: SEED_APEX, content: 'x.example.net', ttl: 300 } }], /zone apex/],
    ['a CNAME beside a TXT', () => [{ action: 'CREATE', record: { type: 'CNAME', name: 'mail.example.com', content: 'x.example.net', ttl: 300 } }], /cannot coexist/],
    ['a TXT beside a CNAME', () => [{ action: 'CREATE', record: { type: 'TXT', name: 'blog.example.com', content: 'hello', ttl: 300 } }], /cannot coexist/],
    ['a name outside the zone', () => [{ action: 'CREATE', record: { type: 'TXT', name: 'example.org', content: 'hello', ttl: 300 } }], /not in the hosted zone/],
    ['the apex NS', (r) => [{ action: 'DELETE', before: find(r, 'NS', 'lab.example.com') }, { action: 'CREATE', record: { type: 'NS', name: SEED_APEX, content: 'ns.example.net', ttl: 300 } }], /apex/],
    ['an unsupported type', () => [{ action: 'CREATE', record: { type: 'PTR', name: 'p.example.com', content: 'x.example.net', ttl: 300 } }], /PTR/],
  ])('refuses %s before any write (rejected)', async (_label, make, reason) => {
    const { session, records } = await read();
    const error = await providerError(session.applyChanges(ZONE, { records }, make(records)));
    expect(error.kind).toBe('rejected');
    expect(error.reason).toMatch(reason);
    expect(batches()).toHaveLength(0);
  });

  describe('alias and routing-policy records', () => {
    const alias: Route53RecordSet = {
      Name: 'cdn.example.com.',
      Type: 'A',
      AliasTarget: { HostedZoneId: 'Z2FDTNDATAQYW2', DNSName: 'd111111abcdef8.cloudfront.net.', EvaluateTargetHealth: false },
    };
    const weighted: Route53RecordSet[] = [
      { Name: 'w.example.com.', Type: 'TXT', SetIdentifier: 'blue', Weight: 70, TTL: 60, ResourceRecords: ['"blue"'] },
      { Name: 'w.example.com.', Type: 'TXT', SetIdentifier: 'green', Weight: 30, TTL: 60, ResourceRecords: ['"green"'] },
    ];
    beforeEach(() => void seedZone().rrsets.push(structuredClone(alias), ...structuredClone(weighted)));

    it.each<[string, (records: readonly DnsRecord[]) => RecordChange[]]>([
      ['deleting an alias', (r) => [{ action: 'DELETE', before: find(r, 'A', 'cdn.example.com') }]],
      ['updating a weighted value', (r) => [{ action: 'UPDATE', before: find(r, 'TXT', 'w.example.com', 'blue'), record: { type: 'TXT', name: 'w.example.com', content: 'red', ttl: 60 } }]],
      ['adding a value beside weighted ones', () => [{ action: 'CREATE', record: { type: 'TXT', name: 'w.example.com', content: 'red', ttl: 60 } }]],
      ['adding an A beside an alias A', () => [{ action: 'CREATE', record: { type: 'A', name: 'cdn.example.com', content: '192.0.2.1', ttl: 60 } }]],
    ])('refuses a plan %s (rejected, nothing written)', async (_label, make) => {
      const { session, records } = await read();
      const error = await providerError(session.applyChanges(ZONE, { records }, make(records)));
      expect(error.kind).toBe('rejected');
      expect(error.reason).toMatch(/alias|routing-policy/);
      expect(batches()).toHaveLength(0);
    });

    it('leaves them exactly as they are when the plan is elsewhere', async () => {
      const { session, records } = await read();
      await session.applyChanges(ZONE, { records }, [spfUpdate(records)]);
      expect(batches()[0]!.changes!.every((c) => c.name === 'example.com.')).toBe(true);
      expect(fake.snapshot().filter((r) => r.Name === 'cdn.example.com.' || r.Name === 'w.example.com.')).toEqual([alias, ...weighted]);
    });
  });

  describe('stale writes (guarded)', () => {
    it('a second writer adds a value to the apex TXT between our read and our batch: refused as stale, nothing lost', async () => {
      const { session, records } = await read();
      const theirs = '"their-verification=42"';
      fake.beforeNextWrite(() => {
        const apexTxt = seedZone().rrsets.find((r) => r.Name === 'example.com.' && r.Type === 'TXT')!;
        seedZone().rrsets[seedZone().rrsets.indexOf(apexTxt)] = { ...apexTxt, ResourceRecords: [...apexTxt.ResourceRecords!, theirs] };
      });
      const afterTheirs = () => fake.snapshot();
      const error = await providerError(session.applyChanges(ZONE, { records }, [spfUpdate(records)]));
      expect(error).toMatchObject({ kind: 'conflict', staleRead: true, reason: 'the zone changed while it was being written; nothing was applied' });
      expect(error.applied).toEqual([]);
      expect(batches()).toHaveLength(1);
      const txt = rrset('example.com.', 'TXT')!;
      expect(txt.ResourceRecords).toContain(theirs);
      expect(txt.ResourceRecords!.some((v) => v.includes('_spf.esp.example'))).toBe(false);
      expect(afterTheirs()).toEqual(fake.snapshot());
      // The service's second run (read again, plan afresh) keeps their value and adds ours.
      const { records: fresh } = await read(session);
      await session.applyChanges(ZONE, { records: fresh }, [spfUpdate(fresh)]);
      expect(rrset('example.com.', 'TXT')!.ResourceRecords).toEqual([expect.stringContaining('_spf.esp.example'), expect.any(String), expect.any(String), theirs]);
    });

    it.each(['error-response', 'messages'] as const)('maps "already exists" and "not found" to a stale read (%s body form)', async (form) => {
      fake.setBehaviour({ invalidChangeBatchForm: form });
      const { session, records } = await read();
      fake.beforeNextWrite(() => void seedZone().rrsets.push({ Name: 'new.example.com.', Type: 'TXT', TTL: 300, ResourceRecords: ['"someone else"'] }));
      const created = await providerError(session.applyChanges(ZONE, { records }, [{ action: 'CREATE', record: { type: 'TXT', name: 'new.example.com', content: 'ours', ttl: 300 } }]));
      expect(created).toMatchObject({ kind: 'conflict', staleRead: true });
      expect(rrset('new.example.com.', 'TXT')!.ResourceRecords).toEqual(['"someone else"']);
      fake.beforeNextWrite(() => void (seedZone().rrsets = seedZone().rrsets.filter((r) => r.Name !== '_acme-challenge.example.com.')));
      const deleted = await providerError(session.applyChanges(ZONE, { records }, [{ action: 'DELETE', before: find(records, 'TXT', '_acme-challenge.example.com') }]));
      expect(deleted).toMatchObject({ kind: 'conflict', staleRead: true });
      expect(batches().map((c) => c.status)).toEqual([400, 400]);
    });
  });

  describe('throttling, lost replies and faults', () => {
    it.each([
      ['Throttling (HTTP 400)', { code: 'Throttling', status: 400 }],
      ['PriorRequestNotComplete (HTTP 400)', { code: 'PriorRequestNotComplete', status: 400 }],
      ['HTTP 429', { code: 'Throttling', status: 429 }],
    ] as const)('retries a batch refused with %s, with growing backoff, and applies it once', async (_label, fault) => {
      const { session, records } = await read();
      fake.failNext({ kind: 'throttling', on: 'write', times: 2, ...fault });
      await session.applyChanges(ZONE, { records }, [spfUpdate(records)]);
      expect(batches().map((c) => c.status)).toEqual([fault.status, fault.status, 200]);
      expect(sleeps).toHaveLength(2);
      expect(sleeps[1]!).toBeGreaterThanOrEqual(400);
      expect(sleeps[0]!).toBeGreaterThanOrEqual(200);
      expect(rrset('example.com.', 'TXT')!.ResourceRecords![0]).toContain('_spf.esp.example');
    });

    it('retries throttled reads, and reports rate_limited when Route 53 keeps throttling', async () => {
      fake.failNext({ kind: 'throttling', on: 'read', code: 'Throttling', status: 400, times: 1 });
      await read();
      expect(of('ListResourceRecordSets').map((c) => c.status)).toEqual([400, 200]);
      fake.failNext({ kind: 'throttling', on: 'read', times: 'always' });
      const error = await providerError(connect().readZone(ZONE));
      expect(error.kind).toBe('rate_limited');
      expect(error.reason).toMatch(/rate limit/);
      expect(of('ListResourceRecordSets').filter((c) => c.status === 400)).toHaveLength(1 + 6);
    });

    it('waits out a throttled window with real time (the fake throttles for retryAfterSeconds)', async () => {
      const session = createRoute53Provider({ baseUrl: fake.baseUrl, dispatcher: agent }).connect(GOOD);
      fake.failNext({ kind: 'rate-limited', on: 'read', retryAfterSeconds: 0.5 });
      const started = Date.now();
      await session.readZone(ZONE);
      expect(Date.now() - started).toBeGreaterThanOrEqual(500);
      expect(of('ListResourceRecordSets').at(-1)!.status).toBe(200);
    });

    it('retries a read that failed with HTTP 500 or a reset; reports a malformed reply as protocol', async () => {
      fake.failNext({ kind: 'server-error', on: 'read' });
      fake.failNext({ kind: 'reset', on: 'read' });
      await read();
      expect(of('ListResourceRecordSets')).toHaveLength(3);
      fake.failNext({ kind: 'malformed', on: 'read' });
      const error = await providerError(connect().readZone(ZONE));
      expect(error.kind).toBe('protocol');
    });

    it('after a lost reply re-reads the zone, finds the batch applied and reports success without sending it again', async () => {
      const { session, records } = await read();
      fake.failNext({ kind: 'lost-reply', on: 'write' });
      await expect(session.applyChanges(ZONE, { records }, [spfUpdate(records)])).resolves.toMatchObject({ applied: [expect.anything()] });
      expect(fake.calls.map((c) => c.action)).toEqual(['ListResourceRecordSets', 'ChangeResourceRecordSets', 'ListResourceRecordSets']);
      expect(rrset('example.com.', 'TXT')!.ResourceRecords![0]).toContain('_spf.esp.example');
    });

    it('after a reset before the batch ran re-reads, finds the zone unchanged and sends it once more', async () => {
      const { session, records } = await read();
      fake.failNext({ kind: 'reset', on: 'write' });
      await session.applyChanges(ZONE, { records }, [spfUpdate(records)]);
      expect(fake.calls.map((c) => c.action)).toEqual(['ListResourceRecordSets', 'ChangeResourceRecordSets', 'ListResourceRecordSets', 'ChangeResourceRecordSets']);
      expect(batches().map((c) => c.status)).toEqual([0, 200]);
    });

    it('a batch that ran but answered 503 is sent again, refused as stale, and the re-read shows it applied: success', async () => {
      const { session, records } = await read();
      fake.failNext({ kind: 'error-after-commit', on: 'write', status: 503 });
      await expect(session.applyChanges(ZONE, { records }, [spfUpdate(records)])).resolves.toMatchObject({ applied: [expect.anything()] });
      expect(batches().map((c) => c.status)).toEqual([503, 400]);
      expect(of('ListResourceRecordSets')).toHaveLength(2);
      expect(rrset('example.com.', 'TXT')!.ResourceRecords![0]).toContain('_spf.esp.example');
    });

    it('a batch that ran but answered 500 is not sent again: the re-read shows it applied', async () => {
      const { session, records } = await read();
      fake.failNext({ kind: 'error-after-commit', on: 'write', status: 500 });
      await session.applyChanges(ZONE, { records }, [spfUpdate(records)]);
      expect(batches().map((c) => c.status)).toEqual([500]);
    });

    it('a hanging batch times out, the re-read shows nothing ran, the second send applies it within the deadline', async () => {
      const session = connect(GOOD, { deadlineMs: 4000 });
      const { records } = await read(session);
      fake.failNext({ kind: 'hang', on: 'write' });
      await session.applyChanges(ZONE, { records }, [spfUpdate(records)]);
      expect(batches().map((c) => c.status)).toEqual([0, 200]);
    });

    it('when the re-read after a lost reply also fails, says that it could not tell whether the change applied', async () => {
      const { session, records } = await read();
      fake.failNext({ kind: 'server-error', on: 'write' });
      fake.failNext({ kind: 'server-error', on: 'read', times: 'always' });
      const error = await providerError(session.applyChanges(ZONE, { records }, [spfUpdate(records)]));
      expect(error.kind).toBe('unavailable');
      expect(error.reason).toContain('whether the change was applied could not be checked');
    });
  });

  it('a dns.set reads with 2 calls and writes with 1', async () => {
    const session = connect();
    const zone = await session.findZone(SEED_APEX);
    const { records } = await session.readZone(zone);
    expect(fake.calls).toHaveLength(ROUTE53_CAPABILITIES.upstreamCalls.read);
    await session.applyChanges(zone, { records }, [
      spfUpdate(records),
      { action: 'CREATE', record: { type: 'CNAME', name: 'key1._domainkey.example.com', content: 'key1._domainkey.esp.example', ttl: 3600 } },
      { action: 'CREATE', record: { type: 'CNAME', name: 'sl.example.com', content: 'esp.example', ttl: 3600 } },
    ]);
    expect(fake.calls).toHaveLength(ROUTE53_CAPABILITIES.upstreamCalls.read + ROUTE53_CAPABILITIES.upstreamCalls.write.perPlan);
  });
});

// ------------------------------------------------------------------------------------------------ error mapping

describe('route53ErrorFromReply', () => {
  const reply = (status: number, text: string) => ({ status, headers: {}, text });
  const errorResponse = (code: string, message: string) =>
    `<?xml version="1.0"?><ErrorResponse xmlns="https://route53.amazonaws.com/doc/2013-04-01/"><Error><Type>Sender</Type><Code>${code}</Code><Message>${message}</Message></Error><RequestId>r</RequestId></ErrorResponse>`;

  it('maps an InvalidChangeBatch that is not about a stale read to rejected, with the message and no credential', () => {
    const error = route53ErrorFromReply(
      reply(400, errorResponse('InvalidChangeBatch', `[Invalid Resource Record: FATAL problem: InvalidCharacterString (Value should be enclosed in quotation marks) encountered with '${GOOD.apiSecret}']`)),
      GOOD,
    );
    expect(error.kind).toBe('rejected');
    expect(error.staleRead).toBe(false);
    expect(error.reason).toBe("the change was refused: Invalid Resource Record: FATAL problem: InvalidCharacterString (Value should be enclosed in quotation marks) encountered with '[redacted]'");
  });

  it('maps throttling codes and statuses to rate_limited, honouring a Retry-After header if one comes', () => {
    expect(route53ErrorFromReply(reply(400, errorResponse('Throttling', 'Rate exceeded')), GOOD).kind).toBe('rate_limited');
    expect(route53ErrorFromReply(reply(400, errorResponse('PriorRequestNotComplete', 'busy')), GOOD).kind).toBe('rate_limited');
    expect(route53ErrorFromReply({ status: 503, headers: { 'retry-after': '3' }, text: '' }, GOOD)).toMatchObject({ kind: 'rate_limited', retryAfterSeconds: 3 });
  });

  it('maps an HTML 502 to unavailable and an unreadable 4xx to protocol', () => {
    expect(route53ErrorFromReply(reply(502, '<html><body>Bad Gateway</body></html>'), GOOD).kind).toBe('unavailable');
    expect(route53ErrorFromReply(reply(400, 'not xml'), GOOD).kind).toBe('protocol');
  });

  it('maps RequestExpired to auth with clock skew', () => {
    expect(route53ErrorFromReply(reply(403, errorResponse('RequestExpired', 'Request has expired.')), GOOD).reason).toContain('clock skew');
  });

  it('scrubs the credentials from an error code it repeats, not only from the message', () => {
    const secrets = [GOOD.apiKey, GOOD.apiSecret!];
    for (const secret of secrets) {
      for (const status of [400, 403, 404, 409, 500]) {
        const error = route53ErrorFromReply(reply(status, errorResponse(`Bad.${secret}`, 'refused')), GOOD);
        expect(error.reason, `HTTP ${status}`).not.toContain(secret);
        expect(error.message, `HTTP ${status}`).not.toContain(secret);
      }
      expect(route53ErrorFromReply(reply(400, errorResponse(`InvalidInput`, `bad ${secret}`)), GOOD).reason).not.toContain(secret);
    }
  });
});

describe('the fake itself', () => {
  /** A batch signed as the SDKs sign it, sent straight to the fake (what a careless client would send). */
  async function sendBatch(changes: string): Promise<{ status: number; text: string }> {
    const url = new URL(`${fake.baseUrl}/2013-04-01/hostedzone/${SEED_ZONE_ID}/rrset/`);
    const body = `<?xml version="1.0" encoding="UTF-8"?><ChangeResourceRecordSetsRequest xmlns="https://route53.amazonaws.com/doc/2013-04-01/"><ChangeBatch><Changes>${changes}</Changes></ChangeBatch></ChangeResourceRecordSetsRequest>`;
    const signer = new SignatureV4({ service: 'route53', region: 'us-east-1', sha256: Hash.bind(null, 'sha256'), credentials: { accessKeyId: good.accessKeyId, secretAccessKey: good.secretAccessKey } });
    const signed = await signer.sign({ method: 'POST', protocol: 'http:', hostname: url.hostname, port: Number(url.port), path: url.pathname, query: {}, headers: { host: url.host }, body });
    const res = await request(url, { dispatcher: agent, method: 'POST', headers: signed.headers, body });
    const text = (await res.body.text()).replace(/&(apos|quot|lt|gt|amp);/g, (_, e: string) => ({ apos: "'", quot: '"', lt: '<', gt: '>', amp: '&' })[e]!);
    return { status: res.statusCode, text };
  }
  const change = (action: string, name: string, type: string, ttl: number, values: string[]) =>
    `<Change><Action>${action}</Action><ResourceRecordSet><Name>${name}</Name><Type>${type}</Type><TTL>${ttl}</TTL><ResourceRecords>${values
      .map((v) => `<ResourceRecord><Value>${v.replace(/&/g, '&amp;').replace(/</g, '&lt;')}</Value></ResourceRecord>`)
      .join('')}</ResourceRecords></ResourceRecordSet></Change>`;

  it('answers a request without a signature with MissingAuthenticationToken', async () => {
    const res = await request(`${fake.baseUrl}/2013-04-01/hostedzonesbyname?dnsname=example.com`, { dispatcher: agent });
    expect(res.statusCode).toBe(403);
    expect(await res.body.text()).toContain('<Code>MissingAuthenticationToken</Code>');
  });

  it('replaces the whole rrset on UPSERT: the trap the adapter avoids', async () => {
    const res = await sendBatch(change('UPSERT', 'example.com.', 'TXT', 3600, ['"v=spf1 -all"']));
    expect(res.status).toBe(200);
    expect(rrset('example.com.', 'TXT')!.ResourceRecords).toEqual(['"v=spf1 -all"']);
  });

  it('refuses a DELETE whose TTL differs from the stored one, and applies a batch all or nothing', async () => {
    const txt = rrset('example.com.', 'TXT')!;
    const before = fake.snapshot();
    const res = await sendBatch(
      change('CREATE', 'fresh.example.com.', 'TXT', 300, ['"fresh"']) + change('DELETE', 'example.com.', 'TXT', 300, txt.ResourceRecords!.map(String)),
    );
    expect(res.status).toBe(400);
    expect(res.text).toContain("Tried to delete resource record set [name='example.com.', type='TXT'] but the values provided do not match the current values");
    expect(fake.snapshot()).toEqual(before);
  });

  it('refuses an unquoted TXT value and a string over 255 bytes with the observed messages', async () => {
    const unquoted = await sendBatch(change('CREATE', 'u.example.com.', 'TXT', 300, ['v=spf1 -all']));
    expect(unquoted.text).toContain('InvalidCharacterString (Value should be enclosed in quotation marks)');
    const long = await sendBatch(change('CREATE', 'l.example.com.', 'TXT', 300, [`"${'x'.repeat(256)}"`]));
    expect(long.text).toContain('CharacterStringTooLong (Value is too long)');
    expect(rrset('u.example.com.', 'TXT')).toBeUndefined();
  });
});
