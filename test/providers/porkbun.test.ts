/**
 * The Porkbun adapter against its loopback fake, without the gateway. The fake limits each API key to one request per
 * `INTERVAL` ms (Porkbun: one a second) and the adapter paces itself by the same interval, so these tests run fast
 * while the pacing is still what keeps every call under the fake's limit.
 */
import { setTimeout as pause } from 'node:timers/promises';
import { request, type Agent } from 'undici';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createHttpAgent } from '../../providers/http.js';
import { createPorkbunProvider, decodeTxt, fromPorkbun, planWrites, porkbunError, PORKBUN_CAPABILITIES } from '../../providers/porkbun.js';
import { ProviderError, type DnsRecord, type ProviderCredentials, type ProviderSession, type RecordChange } from '../../providers/types.js';
import { PORKBUN_FAKE_ACCOUNTS, startPorkbunFake, toPorkbunWire, type PorkbunFake, type PorkbunWireRecord } from '../fakes/porkbun-fake.js';
import { LONG_DKIM_TXT, SEED_APEX, seedRecords } from '../fakes/seed-zone.js';

const INTERVAL = 100;
const GOOD = { apiKey: PORKBUN_FAKE_ACCOUNTS.good.apikey, apiSecret: PORKBUN_FAKE_ACCOUNTS.good.secretapikey };
const OPTED_OUT = { apiKey: PORKBUN_FAKE_ACCOUNTS.optedOut.apikey, apiSecret: PORKBUN_FAKE_ACCOUNTS.optedOut.secretapikey };
const WRONG_SECRET = `sk1_${'e'.repeat(64)}`;
const SECRETS = [GOOD.apiKey, GOOD.apiSecret, OPTED_OUT.apiKey, OPTED_OUT.apiSecret, WRONG_SECRET];
const ZONE = { name: SEED_APEX, id: SEED_APEX };
const at = (label: string) => (label === '@' ? SEED_APEX : `${label}.${SEED_APEX}`);

let fake: PorkbunFake;
let agent: Agent;
let sleeps: number[];

beforeEach(async () => {
  fake = await startPorkbunFake({ behaviour: { minIntervalMs: INTERVAL } });
  agent = createHttpAgent({ keepAliveTimeoutMs: 100 });
  sleeps = [];
});

afterEach(async () => {
  await agent.close();
  await fake.close();
});

function provider(options: { deadlineMs?: number; minIntervalMs?: number; realBackoff?: boolean } = {}) {
  // Backoff and Retry-After waits are recorded and shortened (unless asked for real); the pacing between calls is
  // always real (it must be).
  const sleep = async (ms: number) => {
    sleeps.push(ms);
    await pause(options.realBackoff ? ms : Math.min(ms, 10));
  };
  return createPorkbunProvider({ baseUrl: fake.baseUrl, dispatcher: agent, sleep, deadlineMs: options.deadlineMs, minIntervalMs: options.minIntervalMs ?? INTERVAL });
}

function connect(credentials: ProviderCredentials = GOOD, options: { deadlineMs?: number; minIntervalMs?: number; realBackoff?: boolean } = {}): ProviderSession {
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

const neutral = (r: DnsRecord) => ({ type: r.type, name: r.name, content: r.content, ttl: r.ttl, ...(r.priority === undefined ? {} : { priority: r.priority }) });
const byJson = <T>(list: readonly T[]) => [...list].map((x) => JSON.stringify(x)).sort();
const writes = () => fake.calls.filter((c) => c.write);
const line = (c: { path: string; status: number }) => `${c.path} ${c.status}`;

function find(records: readonly DnsRecord[], type: string, name: string, startsWith = ''): DnsRecord {
  const found = records.find((r) => r.type === type && r.name === name && r.content.startsWith(startsWith));
  if (!found) throw new Error(`no ${type} ${name}`);
  return found;
}

describe('authorize', () => {
  it('reads that domain’s records once, with the key pair in the JSON body; findZone makes no call', async () => {
    const session = connect();
    await expect(session.findZone('Mail.Example.com.')).resolves.toEqual(ZONE);
    expect(fake.calls).toHaveLength(0);
    await expect(session.authorize('news.example.com')).resolves.toEqual(ZONE);
    expect(fake.calls.map((c) => `${c.method} ${line(c)}`)).toEqual(['POST /dns/retrieve/example.com 200']);
    expect(fake.calls[0]!.query).toEqual({});
    expect(fake.calls[0]!.body).toEqual({ apikey: GOOD.apiKey, secretapikey: GOOD.apiSecret });
  });

  it('a domain not opted in to API access is refused, although the same key pair passes /ping', async () => {
    const ping = await request(`${fake.baseUrl}/ping`, {
      dispatcher: agent,
      method: 'POST',
      body: JSON.stringify({ apikey: OPTED_OUT.apiKey, secretapikey: OPTED_OUT.apiSecret }),
    });
    expect(await ping.body.json()).toMatchObject({ status: 'SUCCESS' });
    await pause(INTERVAL);
    const error = await providerError(connect(OPTED_OUT).authorize(SEED_APEX));
    expect([error.kind, error.message]).toEqual(['forbidden', 'Porkbun: API access is not enabled for this domain']);
    expect(error.isCallerFault).toBe(true);
    expect(fake.calls.at(-1)?.status).toBe(400);
  });

  it('maps a wrong secret and an unknown key to auth, and refuses a missing secret without a call', async () => {
    const wrong = await providerError(connect({ apiKey: GOOD.apiKey, apiSecret: WRONG_SECRET }).authorize(SEED_APEX));
    expect([wrong.kind, wrong.reason]).toEqual(['auth', 'invalid API key or secret API key']);
    const unknown = await providerError(connect({ apiKey: `pk1_${'f'.repeat(64)}`, apiSecret: WRONG_SECRET }).authorize(SEED_APEX));
    expect([unknown.kind, unknown.reason]).toEqual(['auth', 'invalid API key or secret API key']);
    expect(fake.calls.map((c) => (c.body as { apikey: string }).apikey === GOOD.apiKey)).toEqual([true, false]);
    const calls = fake.calls.length;
    const missing = await providerError(connect({ apiKey: GOOD.apiKey }).authorize(SEED_APEX));
    expect(missing.kind).toBe('auth');
    expect(fake.calls).toHaveLength(calls);
  });

  it('maps a domain outside the account to not_found', async () => {
    const error = await providerError(connect().authorize('not-mine.com'));
    expect([error.kind, error.reason]).toEqual(['not_found', 'domain not found in this account']);
  });

  it('never repeats a credential the provider echoes back', async () => {
    fake.failNext({ kind: 'echo-credentials' });
    const error = await providerError(connect().authorize(SEED_APEX));
    expect(error.kind).toBe('auth');
    // An unrecognised message is repeated, scrubbed of every credential field.
    const scrubbed = porkbunError(`Record ${GOOD.apiKey} refused for ${GOOD.apiSecret}`, GOOD);
    expect(scrubbed.kind).toBe('rejected');
    expect(scrubbed.reason).toBe('the change was refused: Record [redacted] refused for [redacted]');
  });
});

describe('readZone and the neutral form', () => {
  it('returns the whole seed zone in neutral form, ids as strings, the wire record kept in raw, in one call', async () => {
    const { records } = await connect().readZone(ZONE);
    expect(fake.calls).toHaveLength(1);
    expect(byJson(records.map(neutral))).toEqual(byJson(seedRecords()));
    expect(byJson(records.map((r) => r.raw))).toEqual(byJson(fake.snapshot()));
    expect(records.every((r) => typeof r.id === 'string' && r.id === (r.raw as PorkbunWireRecord).id)).toBe(true);
    expect(find(records, 'TXT', at('google._domainkey')).content).toBe(LONG_DKIM_TXT);
    expect(find(records, 'SRV', at('_sip._tcp'))).toMatchObject({ content: '10 5060 sip.example.com', priority: 10 });
  });

  it('normalises Porkbun spellings: quoted and chunked TXT, escapes, targets with a dot, numeric ids, upper-case names', () => {
    const wire = [
      { id: 7, name: 'WWW.Example.com', type: 'cname', content: 'Target.Example.net.', ttl: '600', prio: '0', notes: '' },
      { id: '8', name: 'example.com', type: 'TXT', content: '"v=DKIM1; k=rsa; " "p=AB\\"C\\\\D"', ttl: 3600, prio: null, notes: 'dkim' },
      { id: '9', name: 'example.com', type: 'TXT', content: 'v=spf1 -all', ttl: '600', prio: '0' },
      { id: '10', name: 'example.com', type: 'MX', content: 'mx.example.net.', ttl: '600', prio: '5', notes: '' },
    ];
    expect(wire.map((w) => fromPorkbun(w, SEED_APEX)).map((r) => ({ ...neutral(r), id: r.id, providerFields: r.providerFields }))).toEqual([
      { type: 'CNAME', name: 'www.example.com', content: 'Target.Example.net', ttl: 600, id: '7', providerFields: undefined },
      { type: 'TXT', name: 'example.com', content: 'v=DKIM1; k=rsa; p=AB"C\\D', ttl: 3600, id: '8', providerFields: { notes: 'dkim' } },
      { type: 'TXT', name: 'example.com', content: 'v=spf1 -all', ttl: 600, id: '9', providerFields: undefined },
      { type: 'MX', name: 'example.com', content: 'mx.example.net', ttl: 600, priority: 5, id: '10', providerFields: undefined },
    ]);
    expect(decodeTxt('"a" "b"')).toBe('ab');
    expect(decodeTxt('say "hi" there')).toBe('say "hi" there');
    expect(() => fromPorkbun({ name: 'x', type: 'A', content: '1.2.3.4' }, SEED_APEX)).toThrow(ProviderError);
  });

  it('writes a TXT as one joined unquoted string, a CNAME without its dot, relative names (apex empty), TTL and prio as strings', () => {
    const records = toPorkbunWire(seedRecords(), SEED_APEX).map((w) => fromPorkbun(w, SEED_APEX));
    const mx = find(records, 'MX', SEED_APEX, 'mx1.');
    const plan = planWrites(SEED_APEX, records, [
      { action: 'CREATE', record: { type: 'TXT', name: at('k1._domainkey'), content: LONG_DKIM_TXT, ttl: 3600 } },
      { action: 'CREATE', record: { type: 'TXT', name: SEED_APEX, content: 'has "quotes" and \\ inside', ttl: 600 } },
      { action: 'CREATE', record: { type: 'CNAME', name: at('sl'), content: 'mta.sender.example.net.', ttl: 3600 } },
      { action: 'UPDATE', before: mx, record: { type: 'MX', name: SEED_APEX, content: 'mx9.example.net.', ttl: 3600, priority: 15 } },
      { action: 'DELETE', before: mx },
    ]);
    expect(plan.map((w) => [w.path, w.fields])).toEqual([
      ['/dns/create/example.com', { name: 'k1._domainkey', type: 'TXT', content: LONG_DKIM_TXT, ttl: '3600' }],
      ['/dns/create/example.com', { name: '', type: 'TXT', content: 'has "quotes" and \\ inside', ttl: '600' }],
      ['/dns/create/example.com', { name: 'sl', type: 'CNAME', content: 'mta.sender.example.net', ttl: '3600' }],
      [`/dns/edit/example.com/${mx.id}`, { name: '', type: 'MX', content: 'mx9.example.net', ttl: '3600', prio: '15', notes: '' }],
      [`/dns/delete/example.com/${mx.id}`, {}],
    ]);
  });

  it('refuses before any call what Porkbun would refuse or silently change', () => {
    const records = toPorkbunWire(seedRecords(), SEED_APEX).map((w) => fromPorkbun(w, SEED_APEX));
    const refused = (record: { type: string; name: string; content: string; ttl: number }) => {
      try {
        planWrites(SEED_APEX, records, [{ action: 'CREATE', record }]);
      } catch (error) {
        return [(error as ProviderError).kind, (error as ProviderError).reason];
      }
      return undefined;
    };
    expect(refused({ type: 'TXT', name: at('a'), content: 'x', ttl: 300 })).toEqual(['rejected', 'the TXT record at a.example.com has TTL 300, outside the allowed 600–604800 seconds']);
    expect(refused({ type: 'TXT', name: at('a'), content: '', ttl: 600 })?.[0]).toBe('rejected');
    expect(refused({ type: 'TXT', name: at('a'), content: 'v=spf1 -all ', ttl: 600 })?.[1]).toMatch(/ends with a space/);
    expect(refused({ type: 'TXT', name: at('a'), content: '"v=spf1 -all"', ttl: 600 })?.[1]).toMatch(/in quotes/);
    expect(refused({ type: 'TXT', name: at('a'), content: 'x'.repeat(PORKBUN_CAPABILITIES.maxTxtLength + 1), ttl: 600 })?.[1]).toMatch(/longer than/);
    expect(refused({ type: 'SOA', name: SEED_APEX, content: 'x', ttl: 600 })?.[0]).toBe('rejected');
    expect(refused({ type: 'A', name: 'www.other.com', content: '192.0.2.1', ttl: 600 })?.[1]).toMatch(/not inside the zone/);
    const stranger: DnsRecord = { type: 'A', name: at('gone'), content: '192.0.2.99', ttl: 600 };
    expect(() => planWrites(SEED_APEX, records, [{ action: 'DELETE', before: stranger }])).toThrow(/no longer in the zone as read/);
  });

  it('the fake raises a TTL under 600 silently, as Porkbun does: the reason the adapter refuses it', async () => {
    const reply = await request(`${fake.baseUrl}/dns/create/example.com`, {
      dispatcher: agent,
      method: 'POST',
      body: JSON.stringify({ apikey: GOOD.apiKey, secretapikey: GOOD.apiSecret, name: 'short', type: 'TXT', content: 'x', ttl: '300' }),
    });
    expect(await reply.body.json()).toMatchObject({ status: 'SUCCESS', id: expect.any(Number) });
    expect(fake.snapshot().find((r) => r.name === at('short'))?.ttl).toBe('600');
  });
});

describe('applyChanges', () => {
  const SPF = 'v=spf1 include:_spf.mailhost.example.net include:spf.sender.example.net ip4:203.0.113.0/24 -all';

  it('creates, edits by id and deletes by id, one call each; every other record stays exactly as it was', async () => {
    const mx2 = fake.snapshot().find((r) => r.type === 'MX' && r.content.startsWith('mx2.'))!;
    mx2.notes = 'second mx';
    fake.state.zones.get(SEED_APEX)!.splice(fake.state.zones.get(SEED_APEX)!.findIndex((r) => r.id === mx2.id), 1, mx2);
    const session = connect();
    const contents = await session.readZone(ZONE);
    const before = fake.snapshot();
    const spf = find(contents.records, 'TXT', SEED_APEX, 'v=spf1');
    const acme = find(contents.records, 'TXT', at('_acme-challenge'));
    const mx = find(contents.records, 'MX', SEED_APEX, 'mx2.');
    const changes: RecordChange[] = [
      { action: 'CREATE', record: { type: 'CNAME', name: at('s2._domainkey'), content: 's2.dkim.sender.example.net', ttl: 3600 } },
      { action: 'UPDATE', before: spf, record: { type: 'TXT', name: SEED_APEX, content: SPF, ttl: 3600 } },
      { action: 'UPDATE', before: mx, record: { type: 'MX', name: SEED_APEX, content: 'mx3.mailhost.example.net', ttl: 3600, priority: 20 } },
      { action: 'DELETE', before: acme },
      { action: 'CREATE', record: { type: 'TXT', name: at('k1._domainkey'), content: LONG_DKIM_TXT, ttl: 3600 } },
    ];
    const mark = fake.calls.length;
    await expect(session.applyChanges(ZONE, contents, changes)).resolves.toEqual({ applied: changes });
    expect(fake.calls.slice(mark).map(line)).toEqual([
      '/dns/create/example.com 200',
      `/dns/edit/example.com/${spf.id} 200`,
      `/dns/edit/example.com/${mx.id} 200`,
      `/dns/delete/example.com/${acme.id} 200`,
      '/dns/create/example.com 200',
    ]);
    expect(fake.calls.some((c) => c.path.includes('ByNameType') || c.rateLimited)).toBe(false);
    const after = fake.snapshot();
    const touched = new Set([spf.id, mx.id, acme.id]);
    // Untouched records: identical, in the same order.
    expect(after.filter((r) => before.some((b) => b.id === r.id) && !touched.has(r.id))).toEqual(before.filter((r) => !touched.has(r.id)));
    // The other apex TXT records (site verifications) are still there.
    expect(after.filter((r) => r.type === 'TXT' && r.name === SEED_APEX).map((r) => r.content)).toEqual(
      before.filter((r) => r.type === 'TXT' && r.name === SEED_APEX).map((r) => (r.id === spf.id ? SPF : r.content)),
    );
    expect(after.find((r) => r.id === mx.id)).toEqual({ ...mx2, content: 'mx3.mailhost.example.net', notes: 'second mx' });
    expect(after.find((r) => r.id === acme.id)).toBeUndefined();
    // Read back: exactly what was asked.
    const again = await session.readZone(ZONE);
    expect(find(again.records, 'TXT', at('k1._domainkey')).content).toBe(LONG_DKIM_TXT);
    expect(neutral(find(again.records, 'CNAME', at('s2._domainkey')))).toEqual(changes[0]!.action === 'CREATE' ? changes[0]!.record : undefined);
  });

  it('editByNameType, which the adapter never calls, would rewrite every apex TXT record (the fake is unforgiving)', async () => {
    const reply = await request(`${fake.baseUrl}/dns/editByNameType/example.com/TXT`, {
      dispatcher: agent,
      method: 'POST',
      body: JSON.stringify({ apikey: GOOD.apiKey, secretapikey: GOOD.apiSecret, content: SPF, ttl: '600' }),
    });
    expect(await reply.body.json()).toEqual({ status: 'SUCCESS' });
    const apexTxt = fake.snapshot().filter((r) => r.type === 'TXT' && r.name === SEED_APEX);
    expect(apexTxt.length).toBeGreaterThan(1);
    expect(new Set(apexTxt.map((r) => r.content))).toEqual(new Set([SPF]));
  });

  it('a record another writer adds between the read and the write is left alone', async () => {
    const session = connect();
    const contents = await session.readZone(ZONE);
    const spf = find(contents.records, 'TXT', SEED_APEX, 'v=spf1');
    fake.beforeNextWrite(() => void fake.add({ type: 'TXT', name: SEED_APEX, content: 'their-verification=1', ttl: 600 }));
    await session.applyChanges(ZONE, contents, [{ action: 'UPDATE', before: spf, record: { type: 'TXT', name: SEED_APEX, content: SPF, ttl: 3600 } }]);
    const apexTxt = fake.snapshot().filter((r) => r.type === 'TXT' && r.name === SEED_APEX).map((r) => r.content);
    expect(apexTxt).toContain('their-verification=1');
    expect(apexTxt).toContain(SPF);
  });

  it('a revert re-creating a deleted record sends back its notes', async () => {
    const session = connect();
    const contents = await session.readZone(ZONE);
    await session.applyChanges(ZONE, contents, [
      { action: 'CREATE', record: { type: 'TXT', name: at('kept'), content: 'v=1', ttl: 600, restoreFields: { notes: 'from the panel' } } },
    ]);
    expect(fake.snapshot().find((r) => r.name === at('kept'))).toMatchObject({ content: 'v=1', notes: 'from the panel', ttl: '600' });
  });

  it('a refused create stops the plan before anything else is written, and says nothing was applied', async () => {
    const session = connect();
    const contents = await session.readZone(ZONE);
    const before = fake.snapshot();
    const changes: RecordChange[] = [
      // blog already holds a CNAME: Porkbun refuses a second record there.
      { action: 'CREATE', record: { type: 'TXT', name: at('blog'), content: 'v=1', ttl: 600 } },
      { action: 'CREATE', record: { type: 'TXT', name: at('later'), content: 'v=1', ttl: 600 } },
    ];
    const error = await providerError(session.applyChanges(ZONE, contents, changes));
    expect(error.kind).toBe('rejected');
    expect(error.reason).toBe('the change was refused: Create error: We were unable to create the DNS record.; no change was applied');
    expect(error.applied).toEqual([]);
    expect(fake.snapshot()).toEqual(before);
    expect(writes()).toHaveLength(1);
  });
});

describe('pacing and Porkbun’s rate limit', () => {
  it('keeps one key’s calls at least the interval apart, across sessions running at once', async () => {
    fake.setBehaviour({ minIntervalMs: 300 });
    const shared = provider({ minIntervalMs: 300 });
    const started = Date.now();
    await Promise.all([1, 2, 3].map(() => shared.connect(GOOD).readZone(ZONE)));
    expect(fake.calls).toHaveLength(3);
    expect(fake.calls.every((c) => c.status === 200 && !c.rateLimited)).toBe(true);
    // Three calls, two pauses: the fake saw them at least 300 ms apart.
    expect(Date.now() - started).toBeGreaterThanOrEqual(600);
  });

  it('a call queued behind another command\'s hung call of the same key gives up at its own deadline, unsent', async () => {
    // An agent that never gives up on headers by itself: A's hung call ends only when A's own attempt times out (24 s).
    const patient = createHttpAgent({ headersTimeoutMs: 120_000, keepAliveTimeoutMs: 100 });
    const shared = createPorkbunProvider({ baseUrl: fake.baseUrl, dispatcher: patient, minIntervalMs: INTERVAL });
    const cancel = new AbortController();
    try {
      // Command A: its read hangs, and its own deadline is far off.
      fake.failNext({ kind: 'hang', on: 'read' });
      let settled = false;
      const first = shared
        .connect(GOOD, { deadline: Date.now() + 60_000, signal: cancel.signal })
        .readZone(ZONE)
        .then(
          () => undefined,
          (e: unknown) => e,
        )
        .finally(() => (settled = true));
      while (fake.calls.length === 0) await pause(5);
      // Command B, same key, a short deadline: it gives up at that deadline, while A's call still hangs.
      const error = await providerError(shared.connect(GOOD, { deadline: Date.now() + 300 }).readZone(ZONE));
      expect(error.kind).toBe('timeout');
      expect(settled).toBe(false);
      expect(fake.calls).toHaveLength(1);
      // A cancelled command does not wait for anything either.
      cancel.abort();
      expect(await first).toBeInstanceOf(ProviderError);
    } finally {
      cancel.abort();
      await patient.destroy();
    }
  });

  it('without pacing the fake answers 503 and 202 HTML pages; neither is taken for a success, reads are retried', async () => {
    // Unpaced, with the policy's real backoff (125–250 ms, more than the fake's 100 ms) between attempts.
    const session = connect(GOOD, { minIntervalMs: 0, realBackoff: true });
    const first = await session.readZone(ZONE);
    const second = await session.readZone(ZONE);
    const third = await session.readZone(ZONE);
    expect(second.records).toHaveLength(first.records.length);
    expect(third.records).toHaveLength(first.records.length);
    const limited = fake.calls.filter((c) => c.rateLimited);
    expect(limited.map((c) => c.status)).toEqual(limited.map((_, i) => (i % 2 === 0 ? 503 : 202)));
    expect(limited.length).toBeGreaterThanOrEqual(2);
    expect(sleeps.length).toBe(limited.length);
  });

  it('a 202 WAF challenge on a create is sent again without a re-read (it never reached Porkbun); one record results', async () => {
    const session = connect();
    const contents = await session.readZone(ZONE);
    fake.failNext({ kind: 'waf-challenge', on: 'write' });
    const change: RecordChange = { action: 'CREATE', record: { type: 'CNAME', name: at('sl'), content: 'mta.sender.example.net', ttl: 3600 } };
    await expect(session.applyChanges(ZONE, contents, [change])).resolves.toEqual({ applied: [change] });
    expect(fake.calls.slice(1).map(line)).toEqual(['/dns/create/example.com 202', '/dns/create/example.com 200']);
    expect(fake.snapshot().filter((r) => r.name === at('sl'))).toHaveLength(1);
  });

  it('honours a Retry-After on a read, then succeeds', async () => {
    fake.failNext({ kind: 'rate-limited', on: 'read', retryAfterSeconds: 1 });
    const started = Date.now();
    const { records } = await connect().readZone(ZONE);
    expect(records.length).toBeGreaterThan(50);
    expect(fake.calls.map((c) => c.status)).toEqual([503, 200]);
    expect(Date.now() - started).toBeGreaterThanOrEqual(1000);
  });

  it('reports rate_limited at once when the wait asked for would pass the deadline', async () => {
    fake.failNext({ kind: 'rate-limited', on: 'read', retryAfterSeconds: 30 });
    const error = await providerError(connect(GOOD, { deadlineMs: 3000 }).readZone(ZONE));
    expect([error.kind, error.retryAfterSeconds]).toEqual(['rate_limited', 30]);
    expect(fake.calls).toHaveLength(1);
    expect(sleeps).toEqual([]);
  });
});

describe('failures of a write', () => {
  const CNAME: RecordChange = { action: 'CREATE', record: { type: 'CNAME', name: at('sl'), content: 'mta.sender.example.net', ttl: 3600 } };

  async function readThen(fault: Parameters<PorkbunFake['failNext']>[0], options: { deadlineMs?: number } = {}) {
    const session = connect(GOOD, options);
    const contents = await session.readZone(ZONE);
    fake.failNext(fault);
    const mark = fake.calls.length;
    return { session, contents, made: () => fake.calls.slice(mark).map(line) };
  }

  it('a create whose reply is lost is found by re-reading and not repeated', async () => {
    const { session, contents, made } = await readThen({ kind: 'lost-reply', on: 'write' });
    await expect(session.applyChanges(ZONE, contents, [CNAME])).resolves.toEqual({ applied: [CNAME] });
    expect(made()).toEqual(['/dns/create/example.com 0', '/dns/retrieve/example.com 200']);
    expect(fake.snapshot().filter((r) => r.name === at('sl'))).toHaveLength(1);
  });

  it('a create refused with HTTP 500 is re-read, found missing, and sent once more', async () => {
    const { session, contents, made } = await readThen({ kind: 'server-error', on: 'write' });
    await expect(session.applyChanges(ZONE, contents, [CNAME])).resolves.toEqual({ applied: [CNAME] });
    expect(made()).toEqual(['/dns/create/example.com 500', '/dns/retrieve/example.com 200', '/dns/create/example.com 200']);
    expect(fake.snapshot().filter((r) => r.name === at('sl'))).toHaveLength(1);
  });

  it('a create that hangs times out, is re-read, and sent once more within the deadline', async () => {
    const { session, contents, made } = await readThen({ kind: 'hang', on: 'write' }, { deadlineMs: 4000 });
    await expect(session.applyChanges(ZONE, contents, [CNAME])).resolves.toEqual({ applied: [CNAME] });
    expect(made()).toEqual(['/dns/create/example.com 0', '/dns/retrieve/example.com 200', '/dns/create/example.com 200']);
  });

  it('a delete whose reply is lost counts as applied once the re-read shows the record gone', async () => {
    const { session, contents, made } = await readThen({ kind: 'lost-reply', on: 'write' });
    const acme = find(contents.records, 'TXT', at('_acme-challenge'));
    const change: RecordChange = { action: 'DELETE', before: acme };
    await expect(session.applyChanges(ZONE, contents, [change])).resolves.toEqual({ applied: [change] });
    expect(made()).toEqual([`/dns/delete/example.com/${acme.id} 0`, '/dns/retrieve/example.com 200']);
  });

  it('a lasting failure part-way names what was applied and what was not', async () => {
    const session = connect();
    const contents = await session.readZone(ZONE);
    const spf = find(contents.records, 'TXT', SEED_APEX, 'v=spf1');
    fake.failNext({ kind: 'server-error', on: 'write', times: 'always', pathIncludes: '/dns/edit/' });
    const changes: RecordChange[] = [CNAME, { action: 'UPDATE', before: spf, record: { type: 'TXT', name: SEED_APEX, content: 'v=spf1 -all', ttl: 3600 } }];
    const error = await providerError(session.applyChanges(ZONE, contents, changes));
    expect(error.kind).toBe('unavailable');
    expect(error.reason).toBe(
      'HTTP 500 with an HTML page; 1 of 2 changes were applied (CREATE CNAME sl.example.com); not applied: UPDATE TXT example.com; run dns.set again to finish',
    );
    expect(error.applied).toEqual([CNAME]);
    expect(fake.snapshot().find((r) => r.id === spf.id)?.content).toBe(spf.content);
  });

  it('a write the pacing cannot fit before the deadline is not sent, and is reported as not applied', async () => {
    // One call every 1.5 s, 3 s for the command (0.75 s of it kept to re-read after a write): read, one create, no more.
    const session = connect(GOOD, { minIntervalMs: 1500, deadlineMs: 3000 });
    const contents = await session.readZone(ZONE);
    const second: RecordChange = { action: 'CREATE', record: { type: 'TXT', name: at('later'), content: 'v=1', ttl: 600 } };
    const error = await providerError(session.applyChanges(ZONE, contents, [CNAME, second]));
    expect(error.kind).toBe('timeout');
    expect(error.reason).toBe(
      'no time left for the next call (one call a second per API key); 1 of 2 changes were applied (CREATE CNAME sl.example.com); not applied: CREATE TXT later.example.com; run dns.set again to finish',
    );
    expect(writes().map(line)).toEqual(['/dns/create/example.com 200']);
  });

  it('a malformed 200 on the read is reported as a protocol error, not retried', async () => {
    fake.failNext({ kind: 'malformed', on: 'read' });
    const error = await providerError(connect().readZone(ZONE));
    expect([error.kind, error.reason]).toEqual(['protocol', 'HTTP 200 with a malformed body instead of JSON']);
    expect(fake.calls).toHaveLength(1);
  });

  it('a reset read is retried', async () => {
    fake.failNext({ kind: 'reset', on: 'read' });
    const { records } = await connect().readZone(ZONE);
    expect(records.length).toBeGreaterThan(50);
    expect(fake.calls.map((c) => c.status)).toEqual([0, 200]);
  });
});
