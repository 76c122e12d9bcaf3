/**
 * The OVHcloud adapter against its loopback fake (test/fakes/ovh-fake.ts), without the gateway: the signature over the
 * server's clock, regions, the N+1 zone read, the neutral form (quoted and unquoted TXT, panel-made SPF/DKIM/DMARC
 * records), writes by id ending with the refresh, lost and part-way writes, and the error mapping.
 */
import { createHash } from 'node:crypto';
import type { Agent } from 'undici';
import { request } from 'undici';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createHttpAgent } from '../../providers/http.js';
import {
  createOvhProvider,
  fromOvh,
  ovhEndpoint,
  ovhErrorFromReply,
  ovhSignature,
  planOvhWrites,
  toTarget,
  unquoteTxt,
  OVH_CAPABILITIES,
  type OvhRecord,
} from '../../providers/ovh.js';
import { ProviderError, type DnsRecord, type ProviderCredentials, type ProviderSession, type RecordChange, type Zone } from '../../providers/types.js';
import { OVH_FAKE, startOvhFake, toOvhWire, type OvhFake } from '../fakes/ovh-fake.js';
import { LONG_DKIM_TXT, SEED_APEX, seedRecords } from '../fakes/seed-zone.js';

const APEX = SEED_APEX;
const ZONE: Zone = { name: APEX, id: APEX };
const GOOD: ProviderCredentials = { apiKey: OVH_FAKE.app.key, apiSecret: OVH_FAKE.app.secret, apiUser: OVH_FAKE.consumer };
/** Every value a reason must never show. */
const SECRETS = [OVH_FAKE.app.key, OVH_FAKE.app.secret, OVH_FAKE.consumer, OVH_FAKE.readOnly, OVH_FAKE.narrow, OVH_FAKE.pending, OVH_FAKE.expired];

let fake: OvhFake;
let agent: Agent;
let sleeps: number[];

beforeEach(async () => {
  fake = await startOvhFake();
  agent = createHttpAgent({ keepAliveTimeoutMs: 100 });
  sleeps = [];
});

afterEach(async () => {
  await agent.close();
  await fake.close();
});

function provider(options: { deadlineMs?: number; readConcurrency?: number; baseUrl?: string | undefined } = {}) {
  const { readConcurrency, ...deps } = options;
  return createOvhProvider(
    { baseUrl: fake.baseUrl, dispatcher: agent, sleep: async (ms) => void sleeps.push(ms), ...deps },
    readConcurrency === undefined ? {} : { readConcurrency },
  );
}

function connect(credentials: ProviderCredentials = GOOD, options: Parameters<typeof provider>[0] = {}): ProviderSession {
  return provider(options).connect(credentials);
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

const apiCalls = () => fake.calls.filter((c) => !c.token);
const timeCalls = () => fake.calls.filter((c) => c.token);
const writes = () => apiCalls().filter((c) => c.method !== 'GET');
const stored = () => fake.state.zones.get(APEX)!.records;
const neutral = (r: DnsRecord) => ({ type: r.type, name: r.name, content: r.content, ttl: r.ttl, ...(r.priority === undefined ? {} : { priority: r.priority }) });
const byJson = <T>(list: readonly T[]) => list.map((x) => JSON.stringify(x)).sort();
const spfOf = (records: readonly DnsRecord[]) => records.filter((r) => r.type === 'TXT' && r.name === APEX && r.content.startsWith('v=spf1'));
const merged = (spf: DnsRecord) => spf.content.replace(' -all', ' include:_spf.sender-platform.net -all');
const cname = (label: string, target: string): RecordChange => ({ action: 'CREATE', record: { type: 'CNAME', name: `${label}.${APEX}`, content: target, ttl: 3600 } });

/** A request signed as OVH wants, with `timestamp` chosen by the test (to probe the fake). */
async function signedCall(method: 'GET' | 'PUT', path: string, options: { timestamp: number; body?: string; secret?: string }) {
  const url = `${fake.baseUrl}${path}`;
  const body = options.body ?? '';
  const signature = `$1$${createHash('sha1')
    .update([options.secret ?? OVH_FAKE.app.secret, OVH_FAKE.consumer, method, url, body, String(options.timestamp)].join('+'))
    .digest('hex')}`;
  const reply = await request(url, {
    dispatcher: agent,
    method,
    headers: {
      'x-ovh-application': OVH_FAKE.app.key,
      'x-ovh-consumer': OVH_FAKE.consumer,
      'x-ovh-timestamp': String(options.timestamp),
      'x-ovh-signature': signature,
      ...(options.body ? { 'content-type': 'application/json' } : {}),
    },
    ...(options.body ? { body: options.body } : {}),
  });
  return { status: reply.statusCode, json: (await reply.body.json()) as unknown };
}

async function serverTime(): Promise<number> {
  const reply = await request(`${fake.baseUrl}/auth/time`, { dispatcher: agent });
  return (await reply.body.json()) as number;
}

// ------------------------------------------------------------------------------------------------ signing and clock

describe('the signature and the server clock', () => {
  it('signs as python-ovh does: "$1$" + SHA1(AS+CK+METHOD+URL+BODY+TIMESTAMP)', () => {
    const expected = createHash('sha1').update('AS+CK+GET+https://eu.api.ovh.com/1.0/domain/zone?x=1++1700000000').digest('hex');
    expect(ovhSignature('AS', 'CK', 'get', 'https://eu.api.ovh.com/1.0/domain/zone?x=1', '', 1700000000)).toBe(`$1$${expected}`);
  });

  it('the fake refuses a well-signed call stamped with the local clock, and takes it stamped with the server clock', async () => {
    const local = Math.floor(Date.now() / 1000);
    const refused = await signedCall('GET', `/domain/zone/${APEX}/status`, { timestamp: local });
    expect(refused).toEqual({ status: 400, json: { class: 'Client::BadRequest', message: 'Invalid signature' } });
    const accepted = await signedCall('GET', `/domain/zone/${APEX}/status`, { timestamp: await serverTime() });
    expect(accepted.status).toBe(200);
    const forged = await signedCall('GET', `/domain/zone/${APEX}/status`, { timestamp: await serverTime(), secret: 'not-the-secret' });
    expect(forged.status).toBe(400);
  });

  it('reads /auth/time once per API base URL and signs every call over it', async () => {
    const ovh = provider();
    await ovh.connect(GOOD).authorize(APEX);
    await ovh.connect(GOOD).readZone(ZONE);
    expect(timeCalls()).toHaveLength(1);
    expect(timeCalls()[0]).toMatchObject({ method: 'GET', path: '/auth/time' });
    const now = await serverTime();
    for (const call of apiCalls()) {
      expect(call.status).toBe(200);
      expect(Math.abs(call.timestamp! - now)).toBeLessThanOrEqual(30);
    }
    // The test machine's clock is minutes away from the server's: the timestamps are the server's.
    expect(Math.abs(apiCalls()[0]!.timestamp! - Math.floor(Date.now() / 1000))).toBeGreaterThan(300);
  });

  it('fetches the server time again once when the clock moved and the signature is refused, then succeeds', async () => {
    const ovh = provider();
    await ovh.connect(GOOD).authorize(APEX);
    fake.setClockOffset(+611);
    await expect(ovh.connect(GOOD).authorize(APEX)).resolves.toEqual(ZONE);
    expect(timeCalls()).toHaveLength(2);
    expect(apiCalls().map((c) => c.status)).toEqual([200, 400, 200]);
  });

  describe('the server clock is shared by commands, its wait is each command\'s own', () => {
    /** Command A reads the zone; its `GET /auth/time` hangs. Resolves once that request reached the fake. */
    async function hungClock(options: { deadline: number; signal?: AbortSignal }, dispatcher: Agent) {
      const ovh = createOvhProvider({ baseUrl: fake.baseUrl, dispatcher, sleep: async () => {} });
      fake.failNext({ kind: 'hang', on: 'time' });
      let settled = false;
      const first = ovh
        .connect(GOOD, options)
        .readZone(ZONE)
        .then(
          () => undefined,
          (e: unknown) => e,
        )
        .finally(() => (settled = true));
      while (timeCalls().length === 0) await new Promise((resolve) => setTimeout(resolve, 5));
      return { ovh, first, settled: () => settled };
    }

    it('a command waiting for another command\'s hung clock read gives up at its own deadline', async () => {
      // An agent that never gives up on headers by itself: A's clock read ends only when A's attempt times out (24 s).
      const patient = createHttpAgent({ headersTimeoutMs: 120_000, keepAliveTimeoutMs: 100 });
      const cancel = new AbortController();
      try {
        const a = await hungClock({ deadline: Date.now() + 60_000, signal: cancel.signal }, patient);
        const error = await providerError(a.ovh.connect(GOOD, { deadline: Date.now() + 300 }).readZone(ZONE));
        expect(error.kind).toBe('timeout');
        expect(a.settled()).toBe(false);
        cancel.abort();
        await a.first;
      } finally {
        cancel.abort();
        await patient.destroy();
      }
    });

    it('a command is not failed by the cancellation of the command whose clock read it was waiting for', async () => {
      const cancel = new AbortController();
      const a = await hungClock({ deadline: Date.now() + 60_000, signal: cancel.signal }, agent);
      const second = a.ovh.connect(GOOD, { deadline: Date.now() + 10_000 }).readZone(ZONE);
      await new Promise((resolve) => setTimeout(resolve, 50));
      cancel.abort();
      expect(await a.first).toBeInstanceOf(ProviderError);
      const { records } = await second;
      expect(records.length).toBeGreaterThan(50);
    });
  });

  it('a wrong application secret is refused as such after one clock refresh, not in a loop', async () => {
    const error = await providerError(connect({ ...GOOD, apiSecret: 'Wr0ngS3cr3tW1thTh1rtyTw0Ch4rs00' }).authorize(APEX));
    expect([error.kind, error.reason]).toEqual(['auth', 'invalid signature: the application secret does not belong to this application key']);
    expect(apiCalls().map((c) => c.status)).toEqual([400, 400]);
    expect(timeCalls()).toHaveLength(2);
  });
});

// ------------------------------------------------------------------------------------------------ regions

describe('regions', () => {
  it.each([
    [undefined, 'https://eu.api.ovh.com/1.0'],
    ['', 'https://eu.api.ovh.com/1.0'],
    ['ovh-eu', 'https://eu.api.ovh.com/1.0'],
    [' OVH-CA ', 'https://ca.api.ovh.com/1.0'],
    ['ovh-us', 'https://api.us.ovhcloud.com/1.0'],
  ])('Username %j selects %s', (region, url) => {
    expect(ovhEndpoint(region)).toBe(url);
  });

  it.each([['kimsufi-eu'], ['eu.api.ovh.com'], ['https://evil.example/1.0']])('refuses region %j with auth naming the allowed ones, never the value', (region) => {
    const error = (() => {
      try {
        ovhEndpoint(region);
      } catch (e) {
        return e as ProviderError;
      }
      throw new Error('no error');
    })();
    expect([error.kind, error.reason]).toEqual(['auth', 'unknown region: Username must be ovh-eu, ovh-ca or ovh-us (empty means ovh-eu)']);
    expect(error.message).not.toContain(region);
  });

  it('never calls a URL given as the region, even without OVH_API_URL; a valid region works with the override', async () => {
    const error = await providerError(connect({ ...GOOD, username: fake.baseUrl }, { baseUrl: undefined }).authorize(APEX));
    expect(error.kind).toBe('auth');
    expect(error.message).not.toContain('127.0.0.1');
    expect(fake.calls).toHaveLength(0);
    await expect(connect({ ...GOOD, username: 'ovh-ca' }).authorize(APEX)).resolves.toEqual(ZONE);
  });

  it('refuses missing keys before any call', async () => {
    const error = await providerError(connect({ apiKey: OVH_FAKE.app.key, apiSecret: OVH_FAKE.app.secret }).authorize(APEX));
    expect([error.kind, error.reason]).toEqual(['auth', 'application key, application secret and consumer key are all required']);
    expect(fake.calls).toHaveLength(0);
  });
});

// ------------------------------------------------------------------------------------------------ finding and reading

describe('findZone, authorize and readZone', () => {
  it('finds the registrable domain with no call; authorize proves it with one GET …/status', async () => {
    await expect(connect().findZone('Example.com.')).resolves.toEqual(ZONE);
    expect(fake.calls).toHaveLength(0);
    await expect(connect().authorize(APEX)).resolves.toEqual(ZONE);
    expect(apiCalls().map((c) => `${c.method} ${c.path}`)).toEqual([`GET /domain/zone/${APEX}/status`]);
  });

  it('walks up from a subdomain to the most specific zone the account holds', async () => {
    await expect(connect().findZone(`mail.shop.${APEX}`)).resolves.toEqual(ZONE);
    expect(apiCalls().map((c) => `${c.path} ${c.status}`)).toEqual([`/domain/zone/mail.shop.${APEX}/status 404`, `/domain/zone/shop.${APEX}/status 404`]);
    fake.state.zones.set(`shop.${APEX}`, { name: `shop.${APEX}`, account: OVH_FAKE.account, records: [], published: [], refreshes: 0 });
    await expect(connect().authorize(`mail.shop.${APEX}`)).resolves.toEqual({ name: `shop.${APEX}`, id: `shop.${APEX}` });
  });

  it('works with a consumer key narrowed to the zone (/domain/zone/example.com/*): authorize, read, write, refresh', async () => {
    const session = connect({ ...GOOD, apiUser: OVH_FAKE.narrow });
    await session.authorize(APEX);
    const contents = await session.readZone(ZONE);
    await session.applyChanges(ZONE, contents, [cname('sl', 'mail.sender.example')]);
    expect(apiCalls().every((c) => c.status === 200)).toBe(true);
    expect(fake.published().some((r) => r.subDomain === 'sl' && r.target === 'mail.sender.example.')).toBe(true);
  });

  it('reads the whole seed zone back equal to the seed, in 1 + N calls, at most 8 record reads at a time', async () => {
    await fake.close();
    fake = await startOvhFake({ recordReadDelayMs: 25 });
    const contents = await connect().readZone(ZONE);
    expect(byJson(contents.records.map(neutral))).toEqual(byJson(seedRecords().map((r) => ({ ...r, name: r.name }))));
    const records = stored();
    expect(apiCalls()).toHaveLength(1 + records.length);
    expect(apiCalls()[0]).toMatchObject({ method: 'GET', path: `/domain/zone/${APEX}/record`, query: {} });
    expect(fake.maxConcurrentRecordReads()).toBeLessThanOrEqual(8);
    expect(fake.maxConcurrentRecordReads()).toBeGreaterThan(1);
    // Ids beyond 32 bits survive; raw is the record as OVH sent it.
    expect(contents.records.every((r) => Number(r.id) > 2 ** 32 && (r.raw as OvhRecord).id === Number(r.id))).toBe(true);
    expect(contents.records.find((r) => r.name === `google._domainkey.${APEX}`)!.content).toBe(LONG_DKIM_TXT);
  });

  it('bounds the record reads by readConcurrency', async () => {
    await fake.close();
    fake = await startOvhFake({ recordReadDelayMs: 25 });
    await connect(GOOD, { readConcurrency: 2 }).readZone(ZONE);
    expect(fake.maxConcurrentRecordReads()).toBe(2);
  });

  it('leaves out a record deleted between the list and its read', async () => {
    const victim = stored().find((r) => r.subDomain === 'host07')!;
    const count = stored().length;
    fake.afterNextList(() => {
      fake.state.zones.get(APEX)!.records = stored().filter((r) => r.id !== victim.id);
    });
    const contents = await connect().readZone(ZONE);
    expect(apiCalls().filter((c) => c.path.endsWith(`/record/${victim.id}`)).map((c) => c.status)).toEqual([404]);
    expect(contents.records.map((r) => r.name)).not.toContain(`host07.${APEX}`);
    expect(contents.records).toHaveLength(count - 1);
  });

  it('maps a zone the account does not hold to not_found', async () => {
    const error = await providerError(connect({ ...GOOD, apiUser: OVH_FAKE.stranger }).readZone(ZONE));
    expect([error.kind, error.reason]).toEqual(['not_found', 'no DNS zone for this domain in this account']);
  });
});

// ------------------------------------------------------------------------------------------------ neutral form

describe('the neutral form', () => {
  const at = (fieldType: string, subDomain: string, target: string, ttl = 3600): OvhRecord => ({ id: 5390038375, zone: APEX, subDomain, fieldType, target, ttl });

  it.each([
    ['quoted (since late 2025)', '"v=spf1 -all"', 'v=spf1 -all'],
    ['unquoted (older records)', 'v=spf1 -all', 'v=spf1 -all'],
    ['several quoted strings', '"v=DKIM1; p=abc" "def"', 'v=DKIM1; p=abcdef'],
    ['escaped inside quotes', '"a\\"b"', 'a"b'],
  ])('reads a TXT target %s', (_label, target, content) => {
    expect(fromOvh(at('TXT', 'x', target), APEX).content).toBe(content);
    expect(unquoteTxt(target)).toBe(content);
  });

  it('reads panel-made SPF, DKIM and DMARC records as TXT, keeping the field type in raw and providerFields', () => {
    const spf = fromOvh(at('SPF', '', '"v=spf1 include:mx.ovh.com -all"'), APEX);
    const dkim = fromOvh(at('DKIM', 'ovh._domainkey', 'v=DKIM1; k=rsa; p=MIGf'), APEX);
    const dmarc = fromOvh(at('DMARC', '_dmarc', 'v=DMARC1; p=none; rua=mailto:a@example.com'), APEX);
    expect([spf, dkim, dmarc].map((r) => [r.type, r.name, r.content, (r.raw as OvhRecord).fieldType, r.providerFields])).toEqual([
      ['TXT', APEX, 'v=spf1 include:mx.ovh.com -all', 'SPF', { fieldType: 'SPF' }],
      ['TXT', `ovh._domainkey.${APEX}`, 'v=DKIM1; k=rsa; p=MIGf', 'DKIM', { fieldType: 'DKIM' }],
      ['TXT', `_dmarc.${APEX}`, 'v=DMARC1; p=none; rua=mailto:a@example.com', 'DMARC', { fieldType: 'DMARC' }],
    ]);
    expect(fromOvh(at('TXT', 'x', '"a"'), APEX).providerFields).toBeUndefined();
  });

  it('reads host names with or without the final dot (relative to the zone without), MX and SRV priorities, ttl 0', () => {
    expect(neutral(fromOvh(at('CNAME', 'www', 'Host.Example.NET.'), APEX))).toEqual({ type: 'CNAME', name: `www.${APEX}`, content: 'host.example.net', ttl: 3600 });
    expect(fromOvh(at('CNAME', 'www', 'web'), APEX).content).toBe(`web.${APEX}`);
    expect(neutral(fromOvh(at('MX', '', '10 mx1.mailhost.example.net.', 0), APEX))).toEqual({ type: 'MX', name: APEX, content: 'mx1.mailhost.example.net', ttl: 3600, priority: 10 });
    expect(neutral(fromOvh(at('SRV', '_sip._tcp', '10 5 5060 sip.example.com.'), APEX))).toEqual({
      type: 'SRV',
      name: `_sip._tcp.${APEX}`,
      content: '5 5060 sip.example.com',
      ttl: 3600,
      priority: 10,
    });
  });

  it('writes TXT as one quoted string (whatever its length), native DKIM/DMARC raw, hosts with the dot, priorities in the target', () => {
    const txt = { type: 'TXT', name: APEX, content: LONG_DKIM_TXT, ttl: 3600 };
    expect(toTarget(txt)).toBe(`"${LONG_DKIM_TXT}"`);
    expect(toTarget(txt, 'SPF')).toBe(`"${LONG_DKIM_TXT}"`);
    expect(toTarget(txt, 'DKIM')).toBe(LONG_DKIM_TXT);
    expect(toTarget({ type: 'TXT', name: `_dmarc.${APEX}`, content: 'v=DMARC1; p=none', ttl: 3600 }, 'DMARC')).toBe('v=DMARC1; p=none');
    expect(toTarget({ type: 'CNAME', name: `sl.${APEX}`, content: 'mail.sender.example', ttl: 3600 })).toBe('mail.sender.example.');
    expect(toTarget({ type: 'MX', name: APEX, content: 'mx.example.net', ttl: 3600, priority: 5 })).toBe('5 mx.example.net.');
    expect(toTarget({ type: 'SRV', name: `_sip._tcp.${APEX}`, content: '5 5060 sip.example.com', ttl: 3600, priority: 10 })).toBe('10 5 5060 sip.example.com.');
  });
});

// ------------------------------------------------------------------------------------------------ writes

describe('applyChanges', () => {
  it('the panel-made SPF is merged into, never doubled: a PUT by id without fieldType; the record stays an SPF record', async () => {
    const session = connect();
    const contents = await session.readZone(ZONE);
    const [spf] = spfOf(contents.records);
    expect(spfOf(contents.records)).toHaveLength(1);
    expect((spf!.raw as OvhRecord).fieldType).toBe('SPF');
    const before = fake.snapshot();
    await session.applyChanges(ZONE, contents, [{ action: 'UPDATE', before: spf!, record: { type: 'TXT', name: APEX, content: merged(spf!), ttl: 3600 } }]);
    const put = writes()[0]!;
    expect([put.method, put.path]).toEqual(['PUT', `/domain/zone/${APEX}/record/${spf!.id}`]);
    expect(put.body).toEqual({ subDomain: '', target: `"${merged(spf!)}"`, ttl: 3600 });
    const after = fake.snapshot();
    const now = after.find((r) => r.id === Number(spf!.id))!;
    expect(now).toEqual({ ...(spf!.raw as OvhRecord), target: `"${merged(spf!)}"` });
    expect(after.filter((r) => r.subDomain === '' && /v=spf1/.test(r.target))).toHaveLength(1);
    // Nothing else changed.
    expect(after.filter((r) => r.id !== now.id)).toEqual(before.filter((r) => r.id !== now.id));
  });

  it('an update that keeps the TTL of a record at the zone default (ttl 0) leaves it at the zone default', async () => {
    const records = stored();
    const index = records.findIndex((r) => r.fieldType === 'SPF');
    const record = { ...records[index]!, ttl: 0 };
    records[index] = record;
    const session = connect();
    const contents = await session.readZone(ZONE);
    const [spf] = spfOf(contents.records);
    // Read as 3600 (dnscontrol's reading of 0); the planner keeps the TTL it read.
    expect(spf!.ttl).toBe(3600);
    await session.applyChanges(ZONE, contents, [{ action: 'UPDATE', before: spf!, record: { type: 'TXT', name: APEX, content: merged(spf!), ttl: spf!.ttl } }]);
    expect(writes()[0]!.body).toEqual({ subDomain: '', target: `"${merged(spf!)}"`, ttl: 0 });
    expect(stored().find((r) => r.id === record.id)).toMatchObject({ ttl: 0, target: `"${merged(spf!)}"` });
    // A TTL the plan does change is written as asked.
    const again = await session.readZone(ZONE);
    const [now] = spfOf(again.records);
    await session.applyChanges(ZONE, again, [{ action: 'UPDATE', before: now!, record: { type: 'TXT', name: APEX, content: now!.content, ttl: 600 } }]);
    expect(stored().find((r) => r.id === record.id)).toMatchObject({ ttl: 600 });
  });

  it('the fake refuses a PUT that changes fieldType, as OVH does', async () => {
    const spf = stored().find((r) => r.fieldType === 'SPF')!;
    const body = JSON.stringify({ fieldType: 'TXT', target: '"v=spf1 -all"' });
    const reply = await signedCall('PUT', `/domain/zone/${APEX}/record/${spf.id}`, { timestamp: await serverTime(), body });
    expect(reply).toEqual({ status: 400, json: { class: 'Client::BadRequest', message: 'Try to alter read-only properties: fieldType' } });
  });

  it('updates a panel-made DMARC record with its target unquoted (OVH refuses a quoted one)', async () => {
    const session = connect();
    const contents = await session.readZone(ZONE);
    const dmarc = contents.records.find((r) => r.name === `_dmarc.${APEX}`)!;
    expect((dmarc.raw as OvhRecord).fieldType).toBe('DMARC');
    await session.applyChanges(ZONE, contents, [{ action: 'UPDATE', before: dmarc, record: { ...neutral(dmarc), content: 'v=DMARC1; p=quarantine' } }]);
    expect(writes()[0]!.body).toEqual({ subDomain: '_dmarc', target: 'v=DMARC1; p=quarantine', ttl: 1800 });
    expect(stored().find((r) => r.id === Number(dmarc.id))).toMatchObject({ fieldType: 'DMARC', target: 'v=DMARC1; p=quarantine' });
  });

  it('a revert re-creates a deleted panel-made SPF record with its own field type', async () => {
    const session = connect();
    const contents = await session.readZone(ZONE);
    const [spf] = spfOf(contents.records);
    await session.applyChanges(ZONE, contents, [{ action: 'DELETE', before: spf! }]);
    const again = await connect().readZone(ZONE);
    await connect().applyChanges(ZONE, again, [{ action: 'CREATE', record: { ...neutral(spf!), restoreFields: spf!.providerFields } }]);
    const post = writes().find((c) => c.method === 'POST' && c.path.endsWith('/record'))!;
    expect(post.body).toEqual({ fieldType: 'SPF', subDomain: '', target: `"${spf!.content}"`, ttl: 3600 });
  });

  it('a revert re-creates a deleted record that was at the zone default TTL (ttl 0) at the zone default again', async () => {
    const records = stored();
    const index = records.findIndex((r) => r.fieldType === 'TXT' && r.subDomain === 'mail');
    const mail = { ...records[index]!, ttl: 0 };
    records[index] = mail;
    const session = connect();
    const contents = await session.readZone(ZONE);
    const record = contents.records.find((r) => r.id === String(mail.id))!;
    expect(record.ttl).toBe(3600);
    await session.applyChanges(ZONE, contents, [{ action: 'DELETE', before: record }]);
    const again = await connect().readZone(ZONE);
    await connect().applyChanges(ZONE, again, [{ action: 'CREATE', record: { ...neutral(record), restoreFields: record.providerFields } }]);
    const post = writes().find((c) => c.method === 'POST' && c.path.endsWith('/record'))!;
    expect(post.body).toEqual({ fieldType: 'TXT', subDomain: 'mail', target: `"${record.content}"`, ttl: 0 });
    // A record created by a plan (no restoreFields) gets the TTL asked.
    expect(planOvhWrites(APEX, [], [{ action: 'CREATE', record: neutral(record) }])[0]).toMatchObject({ body: { ttl: 3600 } });
  });

  it('one call per change, then one refresh; nothing is served before the refresh, everything after', async () => {
    const session = connect();
    const contents = await session.readZone(ZONE);
    const [spf] = spfOf(contents.records);
    const www = contents.records.find((r) => r.name === `www.${APEX}`)!;
    const servedBefore = fake.published();
    let servedMidway: OvhRecord[] = [];
    fake.beforeNextWrite(() => undefined);
    fake.beforeNextWrite(() => void (servedMidway = fake.published()));
    const changes: RecordChange[] = [
      cname('sl', 'mail.sender.example'),
      { action: 'UPDATE', before: spf!, record: { type: 'TXT', name: APEX, content: merged(spf!), ttl: 3600 } },
      { action: 'DELETE', before: www },
    ];
    const mark = apiCalls().length;
    const result = await session.applyChanges(ZONE, contents, changes);
    expect(result.applied).toEqual(changes);
    expect(apiCalls().slice(mark).map((c) => `${c.method} ${c.path}`)).toEqual([
      `POST /domain/zone/${APEX}/record`,
      `PUT /domain/zone/${APEX}/record/${spf!.id}`,
      `DELETE /domain/zone/${APEX}/record/${www.id}`,
      `POST /domain/zone/${APEX}/refresh`,
    ]);
    expect(writes()[0]!.body).toEqual({ fieldType: 'CNAME', subDomain: 'sl', target: 'mail.sender.example.', ttl: 3600 });
    expect(servedMidway).toEqual(servedBefore);
    expect(fake.published()).toEqual(fake.snapshot());
    expect(fake.state.zones.get(APEX)!.refreshes).toBe(1);
    const declared = OVH_CAPABILITIES.upstreamCalls.write;
    expect(apiCalls().length - mark).toBe(declared.perPlan + declared.perRecord * changes.length);
  });

  it('a plan that stops part-way names what landed, and what landed is refreshed', async () => {
    const session = connect();
    const contents = await session.readZone(ZONE);
    const changes = [cname('sl', 'mail.sender.example'), cname('track-sl', 'track.sender.example'), cname('key1._domainkey', 'key1.sender.example')];
    // The second write is refused for good: the key loses its write rules while the first is handled (after its checks).
    fake.beforeNextWrite(() => {
      fake.state.consumers.find((c) => c.consumerKey === OVH_FAKE.consumer)!.rules = [{ method: 'GET', path: '/domain/zone/*' }, { method: 'POST', path: '/domain/zone/*/refresh' }];
    });
    const error = await providerError(session.applyChanges(ZONE, contents, changes));
    expect(error.kind).toBe('forbidden');
    expect(error.applied).toEqual([changes[0]]);
    expect(error.reason).toMatch(/1 of 3 changes were applied \(CREATE CNAME sl\.example\.com\); not applied: CREATE CNAME track-sl\.example\.com, CREATE CNAME key1\._domainkey\.example\.com/);
    expect(fake.published().some((r) => r.subDomain === 'sl')).toBe(true);
    expect(apiCalls().at(-1)).toMatchObject({ method: 'POST', path: `/domain/zone/${APEX}/refresh`, status: 200 });
  });

  it('a refresh that keeps failing: the changes are stored and journaled as applied, the error says they are not served', async () => {
    const session = connect();
    const contents = await session.readZone(ZONE);
    fake.failNext({ kind: 'server-error', on: 'refresh', times: 'always' });
    const changes = [cname('sl', 'mail.sender.example')];
    const error = await providerError(session.applyChanges(ZONE, contents, changes));
    expect(error.kind).toBe('unavailable');
    expect(error.applied).toEqual(changes);
    expect(error.reason).toMatch(/^all 1 changes were stored, but the zone refresh that publishes them failed \(HTTP 500\)/);
    expect(stored().some((r) => r.subDomain === 'sl')).toBe(true);
    expect(fake.published().some((r) => r.subDomain === 'sl')).toBe(false);
    expect(writes().filter((c) => c.path.endsWith('/refresh')).length).toBeGreaterThan(1);
  });

  it('nothing landed: no refresh', async () => {
    const session = connect({ ...GOOD, apiUser: OVH_FAKE.readOnly });
    const contents = await session.readZone(ZONE);
    const error = await providerError(session.applyChanges(ZONE, contents, [cname('sl', 'mail.sender.example')]));
    expect(error.kind).toBe('forbidden');
    expect(error.applied).toEqual([]);
    expect(writes().map((c) => c.path)).toEqual([`/domain/zone/${APEX}/record`]);
    expect(fake.published()).toEqual(fake.snapshot());
  });

  it('a lost create reply is checked by re-reading the name, not repeated', async () => {
    const session = connect();
    const contents = await session.readZone(ZONE);
    fake.failNext({ kind: 'lost-reply', on: 'write' });
    const mark = apiCalls().length;
    const result = await session.applyChanges(ZONE, contents, [cname('sl', 'mail.sender.example')]);
    expect(result.applied).toHaveLength(1);
    const calls = apiCalls().slice(mark);
    expect(calls.filter((c) => c.method === 'POST' && c.path.endsWith('/record'))).toHaveLength(1);
    expect(calls.some((c) => c.method === 'GET' && c.query.fieldType === 'CNAME' && c.query.subDomain === 'sl')).toBe(true);
    expect(stored().filter((r) => r.subDomain === 'sl')).toHaveLength(1);
    expect(fake.published().filter((r) => r.subDomain === 'sl')).toHaveLength(1);
  });

  it('a create answered 500 that did not land is sent again once the re-read shows it missing', async () => {
    const session = connect();
    const contents = await session.readZone(ZONE);
    fake.failNext({ kind: 'server-error', on: 'write' });
    await session.applyChanges(ZONE, contents, [cname('sl', 'mail.sender.example')]);
    expect(writes().filter((c) => c.path.endsWith('/record')).map((c) => c.status)).toEqual([500, 200]);
    expect(stored().filter((r) => r.subDomain === 'sl')).toHaveLength(1);
  });

  it('a lost create reply whose re-read fails too is reported as unknown, with a refresh', async () => {
    const session = connect();
    const contents = await session.readZone(ZONE);
    fake.failNext({ kind: 'lost-reply', on: 'write' });
    fake.failNext({ kind: 'server-error', on: 'read', times: 'always' });
    const error = await providerError(session.applyChanges(ZONE, contents, [cname('sl', 'mail.sender.example'), cname('track-sl', 'track.sender.example')]));
    expect(error.kind).toBe('unavailable');
    expect(error.reason).toMatch(/unknown whether CREATE CNAME sl\.example\.com was applied/);
    expect(error.applied).toEqual([]);
    expect(writes().filter((c) => c.path.endsWith('/record'))).toHaveLength(1);
    expect(writes().at(-1)!.path).toBe(`/domain/zone/${APEX}/refresh`);
  });

  it('a DELETE whose reply was lost is retried and its 404 taken as done', async () => {
    const session = connect();
    const contents = await session.readZone(ZONE);
    const www = contents.records.find((r) => r.name === `www.${APEX}`)!;
    fake.failNext({ kind: 'lost-reply', on: 'write' });
    await expect(session.applyChanges(ZONE, contents, [{ action: 'DELETE', before: www }])).resolves.toMatchObject({ applied: [{ action: 'DELETE' }] });
    expect(writes().filter((c) => c.method === 'DELETE').map((c) => c.status)).toEqual([200, 404]);
  });

  it('a record deleted by someone else since the read: the first write is a stale read, nothing applied', async () => {
    const session = connect();
    const contents = await session.readZone(ZONE);
    const [spf] = spfOf(contents.records);
    fake.state.zones.get(APEX)!.records = stored().filter((r) => r.id !== Number(spf!.id));
    const error = await providerError(session.applyChanges(ZONE, contents, [{ action: 'UPDATE', before: spf!, record: { ...neutral(spf!), content: merged(spf!) } }]));
    expect([error.kind, error.staleRead]).toEqual(['conflict', true]);
    expect(writes().map((c) => c.method)).toEqual(['PUT']);
  });

  it('retries a PUT answered 429, honouring Retry-After', async () => {
    const session = connect();
    const contents = await session.readZone(ZONE);
    const [spf] = spfOf(contents.records);
    fake.failNext({ kind: 'rate-limited', on: 'write', retryAfterSeconds: 2 });
    await session.applyChanges(ZONE, contents, [{ action: 'UPDATE', before: spf!, record: { ...neutral(spf!), content: merged(spf!) } }]);
    expect(sleeps).toEqual([2000]);
    expect(writes().map((c) => c.status)).toEqual([429, 200, 200]);
  });

  it.each<[string, (records: readonly DnsRecord[]) => RecordChange, RegExp]>([
    ['a TXT value with a double quote', () => ({ action: 'CREATE', record: { type: 'TXT', name: `x.${APEX}`, content: 'a"b', ttl: 3600 } }), /double quote or a backslash/],
    ['a TXT value with a backslash', () => ({ action: 'CREATE', record: { type: 'TXT', name: `x.${APEX}`, content: 'a\\b', ttl: 3600 } }), /double quote or a backslash/],
    ['a CNAME beside an existing record', () => cname('www', 'other.example.net'), /cannot sit beside its A record/],
    ['a TTL OVH would raise to 60', () => ({ action: 'CREATE', record: { type: 'TXT', name: `x.${APEX}`, content: 'a', ttl: 30 } }), /TTL 30/],
    [
      'a type change',
      (records) => {
        const www = records.find((r) => r.name === `www.${APEX}`)!;
        return { action: 'UPDATE', before: www, record: { type: 'CNAME', name: www.name, content: 'x.example.net', ttl: 300 } };
      },
      /cannot change the type/,
    ],
    ['a name outside the zone', () => ({ action: 'CREATE', record: { type: 'CNAME', name: 'sl.example.org', content: 'x.example.net', ttl: 3600 } }), /not inside the zone/],
  ])('refuses %s before any write', async (_label, make, reason) => {
    const session = connect();
    const contents = await session.readZone(ZONE);
    const first = cname('sl', 'mail.sender.example');
    const error = await providerError(session.applyChanges(ZONE, contents, [first, make(contents.records)]));
    expect(error.kind).toBe('rejected');
    expect(error.reason).toMatch(reason);
    expect(writes()).toEqual([]);
  });

  it('a CNAME may take the name of a record the plan deletes first (Force)', () => {
    const records = seedRecords().map((r, i) => fromOvh(toOvhWire(r, APEX, 1000 + i), APEX));
    const www = records.find((r) => r.name === `www.${APEX}`)!;
    const plan = planOvhWrites(APEX, records, [{ action: 'DELETE', before: www }, cname('www', 'x.example.net')]);
    expect(plan.map((w) => w.kind)).toEqual(['delete', 'create']);
  });
});

// ------------------------------------------------------------------------------------------------ errors

describe('errors', () => {
  it.each([
    ['an unknown application key', { apiKey: 'Unkn0wnAppK3y000' }, 'auth', 'invalid application key'],
    ['a consumer key never validated', { apiUser: OVH_FAKE.pending }, 'auth', 'unknown consumer key, or one not validated for this application key'],
    ['an expired consumer key', { apiUser: OVH_FAKE.expired }, 'auth', 'the consumer key is no longer valid (revoked or expired)'],
    [
      'a key granted another zone only',
      { apiUser: OVH_FAKE.otherZone },
      'forbidden',
      'the consumer key is not granted this call: its rules must allow GET, POST, PUT and DELETE on /domain/zone/*',
    ],
    ['an account without the zone', { apiUser: OVH_FAKE.stranger }, 'not_found', 'no DNS zone for this domain in this account'],
  ])('maps %s', async (_label, change, kind, reason) => {
    const error = await providerError(connect({ ...GOOD, ...change }).authorize(APEX));
    expect([error.kind, error.reason]).toEqual([kind, reason]);
    expect(error.isCallerFault).toBe(true);
  });

  it.each([
    [400, { errorCode: 'INVALID_SIGNATURE', httpCode: '400 Bad Request', message: 'Invalid signature' }, 'auth'],
    [403, { errorCode: 'INVALID_CREDENTIAL', httpCode: '403 Forbidden', message: 'This credential is not valid' }, 'auth'],
    [403, { errorCode: 'NOT_CREDENTIAL', message: 'This credential does not exist' }, 'auth'],
    [403, { errorCode: 'INVALID_KEY', message: 'Invalid application key' }, 'auth'],
    [401, { message: 'Invalid application key' }, 'auth'],
    [403, { class: 'Client::Forbidden', message: 'This call has not been granted' }, 'forbidden'],
    [404, { class: 'Client::NotFound', message: 'This service does not exist' }, 'not_found'],
    [400, { class: 'Client::BadRequest', message: 'Invalid subfield found in DMARC' }, 'rejected'],
    [500, { message: 'Internal server error' }, 'unavailable'],
  ])('maps HTTP %i %j (both envelopes)', (status, body, kind) => {
    expect(ovhErrorFromReply({ status, headers: {}, text: JSON.stringify(body) }, GOOD).kind).toBe(kind);
  });

  it('maps 429 to rate_limited with Retry-After, an HTML page to unavailable or protocol', () => {
    const limited = ovhErrorFromReply({ status: 429, headers: { 'retry-after': '7' }, text: '{}' }, GOOD);
    expect([limited.kind, limited.retryAfterSeconds]).toEqual(['rate_limited', 7]);
    expect(ovhErrorFromReply({ status: 502, headers: {}, text: '<html>' }, GOOD).kind).toBe('unavailable');
    expect(ovhErrorFromReply({ status: 400, headers: {}, text: '<html>' }, GOOD).kind).toBe('protocol');
  });

  it('repeats OVH\'s own message with every credential field scrubbed (the region included)', async () => {
    const credentials = { ...GOOD, username: 'ovh-eu' };
    const session = connect(credentials);
    const contents = await session.readZone(ZONE);
    fake.failNext({ kind: 'echo-rejected', on: 'write' });
    const error = await providerError(session.applyChanges(ZONE, contents, [cname('sl', 'mail.sender.example')]));
    expect(error.kind).toBe('rejected');
    expect(error.reason).toMatch(/^refused: Invalid target for application \[redacted\] and consumer \[redacted\]/);
    const scrubbed = ovhErrorFromReply({ status: 400, headers: {}, text: JSON.stringify({ message: 'bad region ovh-eu' }) }, credentials);
    expect(scrubbed.reason).toBe('refused: bad region [redacted]');
  });

  it('an authentication error that echoes the keys says only its own reason', async () => {
    fake.failNext({ kind: 'echo-credentials' });
    const error = await providerError(connect().authorize(APEX));
    expect([error.kind, error.reason]).toEqual(['auth', 'unknown consumer key, or one not validated for this application key']);
  });

  it('retries a read answered 500 or an HTML 502, and reports a read that keeps failing as unavailable', async () => {
    fake.failNext({ kind: 'server-error', on: 'read' });
    fake.failNext({ kind: 'html', on: 'read' });
    await expect(connect().readZone(ZONE)).resolves.toMatchObject({ records: expect.any(Array) });
    expect(sleeps).toHaveLength(2);
    fake.failNext({ kind: 'server-error', on: 'record', times: 'always' });
    const error = await providerError(connect().readZone(ZONE));
    expect(error.kind).toBe('unavailable');
  });
});
