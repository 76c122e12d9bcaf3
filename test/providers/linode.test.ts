/**
 * The Linode adapter against its loopback fake (no gateway): the wire form both ways, the whole seed zone, pagination,
 * error mapping, each trap of ../shared/reference/providers-cloud.md §5, and what a write that fails part-way reports.
 */
import { Dispatcher, request, type Agent } from 'undici';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createHttpAgent } from '../../providers/http.js';
import { createLinodeProvider, fromLinode, linodeError, linodeTtl, toRequest, type LinodeRecord } from '../../providers/linode.js';
import { ProviderError, type DnsRecord, type ProviderSession, type RecordChange, type Zone } from '../../providers/types.js';
import { LINODE_FAKE_TOKENS, linodeSeed, startLinodeFake, type LinodeFake } from '../fakes/linode-fake.js';
import { LONG_DKIM_TXT, SEED_APEX } from '../fakes/seed-zone.js';

const GOOD = { apiKey: LINODE_FAKE_TOKENS.good.token };
const READ_ONLY = { apiKey: LINODE_FAKE_TOKENS.readOnly.token };
const NO_DOMAINS = { apiKey: LINODE_FAKE_TOKENS.noDomains.token };
const OTHER_ACCOUNT = { apiKey: LINODE_FAKE_TOKENS.otherAccount.token };
const WRONG = { apiKey: 'lnTOKENwrong00000000000000000000000000000000000000000000000000000' };
const SECRETS = [GOOD, READ_ONLY, NO_DOMAINS, OTHER_ACCOUNT, WRONG].map((c) => c.apiKey);
const ZONE: Zone = { id: '2710001', name: SEED_APEX };

let fake: LinodeFake;
let agent: Agent;
let sleeps: number[];

beforeEach(async () => {
  fake = await startLinodeFake();
  agent = createHttpAgent({ keepAliveTimeoutMs: 100 });
  sleeps = [];
});

afterEach(async () => {
  await agent.close();
  await fake.close();
});

function connect(credentials: { apiKey: string } = GOOD, options: { deadlineMs?: number; pageSize?: number } = {}): ProviderSession {
  const sleep = async (ms: number) => void sleeps.push(ms);
  return createLinodeProvider({ baseUrl: fake.baseUrl, dispatcher: agent, sleep, deadlineMs: options.deadlineMs, pageSize: options.pageSize }).connect(credentials);
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
const trail = () => fake.calls.map((c) => `${c.method} ${c.path.replace(/\/\d{5,}/g, '/N')} ${c.status}`);

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

/** The zone minus the records with these ids, before vs now: untouched records are deep-equal. */
function untouched(before: readonly LinodeRecord[], after: readonly LinodeRecord[], ...ids: number[]) {
  const keep = (r: LinodeRecord) => !ids.includes(r.id);
  expect(after.filter(keep)).toEqual(before.filter(keep));
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
  it('rounds TTLs up to the allowed values (§5 trap 4)', () => {
    expect([1, 300, 301, 600, 1800, 3600, 3601, 86400, 9_999_999].map(linodeTtl)).toEqual([300, 300, 3600, 3600, 3600, 3600, 7200, 86400, 2419200]);
  });

  it('writes relative names with "" for the apex, raw TXT, targets without the dot, SRV and CAA as fields', () => {
    expect(toRequest({ type: 'TXT', name: SEED_APEX, content: 'v=spf1 "quoted" -all', ttl: 600 }, SEED_APEX)).toEqual({ type: 'TXT', name: '', target: 'v=spf1 "quoted" -all', ttl_sec: 3600 });
    expect(toRequest({ type: 'CNAME', name: `s1._domainkey.${SEED_APEX}`, content: 's1.dkim.esp.net.', ttl: 3600 }, SEED_APEX)).toEqual({ type: 'CNAME', name: 's1._domainkey', target: 's1.dkim.esp.net', ttl_sec: 3600 });
    expect(toRequest({ type: 'MX', name: SEED_APEX, content: 'mx.example.net', priority: 5, ttl: 300 }, SEED_APEX)).toEqual({ type: 'MX', name: '', target: 'mx.example.net', priority: 5, ttl_sec: 300 });
    expect(toRequest({ type: 'SRV', name: `_sip._tcp.${SEED_APEX}`, content: '10 5060 sip.example.com', priority: 1, ttl: 3600 }, SEED_APEX)).toEqual({
      type: 'SRV', name: '', service: 'sip', protocol: 'tcp', target: 'sip.example.com', priority: 1, weight: 10, port: 5060, ttl_sec: 3600,
    });
    expect(toRequest({ type: 'CAA', name: SEED_APEX, content: '0 issue "letsencrypt.org"', ttl: 3600 }, SEED_APEX)).toEqual({ type: 'CAA', name: '', tag: 'issue', target: 'letsencrypt.org', ttl_sec: 3600 });
    expect(() => toRequest({ type: 'CAA', name: SEED_APEX, content: '128 issue "ca.example"', ttl: 3600 }, SEED_APEX)).toThrow(/flag 0/);
    expect(() => toRequest({ type: 'SRV', name: `_sip._tcp.sub.${SEED_APEX}`, content: '1 2 x.example.com', ttl: 3600 }, SEED_APEX)).toThrow(/_service._protocol/);
  });

  it('reads targets, the apex, a default TTL, SRV from service/protocol and CAA from tag', () => {
    const r = (fields: Partial<LinodeRecord>): LinodeRecord => ({ id: 1, type: 'A', name: '', target: '', ttl_sec: 0, ...fields });
    expect(neutral(fromLinode(r({ type: 'CNAME', name: 'WWW', target: 'Hosting.Example.org' }), SEED_APEX, 86400))).toEqual({ type: 'CNAME', name: `www.${SEED_APEX}`, content: 'hosting.example.org', ttl: 86400 });
    expect(neutral(fromLinode(r({ type: 'MX', target: 'mx.example.net.', priority: 10, ttl_sec: 300 }), SEED_APEX, 86400))).toEqual({ type: 'MX', name: SEED_APEX, content: 'mx.example.net', ttl: 300, priority: 10 });
    expect(neutral(fromLinode(r({ type: 'SRV', service: '_sip', protocol: '_tcp', target: 'sip.example.com', priority: 1, weight: 2, port: 3 }), SEED_APEX, 3600))).toEqual({
      type: 'SRV', name: `_sip._tcp.${SEED_APEX}`, content: '2 3 sip.example.com', ttl: 3600, priority: 1,
    });
    expect(fromLinode(r({ type: 'CAA', tag: 'iodef', target: 'mailto:a@example.com' }), SEED_APEX, 3600).content).toBe('0 iodef "mailto:a@example.com"');
    expect(fromLinode(r({ type: 'TXT', name: 'x', target: 'raw "text"' }), SEED_APEX, 3600).content).toBe('raw "text"');
  });
});

describe('findZone and authorize', () => {
  it('finds the domain with one filtered list call for an apex, and walks up from a sub-domain', async () => {
    await expect(connect().authorize(SEED_APEX)).resolves.toEqual(ZONE);
    expect(trail()).toEqual(['GET /domains 200']);
    expect(fake.calls[0]?.filter).toEqual({ domain: SEED_APEX });
    fake.calls.length = 0;
    await expect(connect().findZone('mail.news.example.com')).resolves.toEqual(ZONE);
    expect(fake.calls.map((c) => (c.filter as { domain: string }).domain)).toEqual(['mail.news.example.com', 'news.example.com', 'example.com']);
  });

  it('maps an unknown token to auth, a token without the Domains scope to forbidden, another account to not found', async () => {
    const wrong = await providerError(connect(WRONG).authorize(SEED_APEX));
    expect([wrong.kind, wrong.reason]).toEqual(['auth', 'invalid personal access token']);
    const noScope = await providerError(connect(NO_DOMAINS).authorize(SEED_APEX));
    expect([noScope.kind, noScope.reason]).toEqual(['forbidden', 'the personal access token lacks Domains read/write access']);
    const other = await providerError(connect(OTHER_ACCOUNT).authorize(SEED_APEX));
    expect([other.kind, other.reason]).toEqual(['not_found', 'domain not found in this account']);
  });

  it('keeps an echoed token out of the error', async () => {
    fake.failNext({ kind: 'echo-credentials' });
    const error = await providerError(connect().authorize(SEED_APEX));
    expect(error.kind).toBe('auth');
  });
});

describe('readZone', () => {
  it('returns the whole seed zone in neutral form with ids and raw records, in one page', async () => {
    const wire = fake.snapshot();
    const { records } = await readSeed(connect());
    expect(trail()).toEqual(['GET /domains 200', 'GET /domains/N/records 200']);
    expect(fake.calls[1]?.query).toEqual({ page: '1', page_size: '500' });
    expect(byJson(records.map(neutral))).toEqual(byJson(linodeSeed()));
    expect(records.map((r) => r.raw)).toEqual(wire);
    expect(records.map((r) => r.id)).toEqual(wire.map((r) => String(r.id)));
    expect(find(records, 'TXT', `google._domainkey.${SEED_APEX}`).content).toBe(LONG_DKIM_TXT);
  });

  it('reads every page', async () => {
    const { records } = await readSeed(connect(GOOD, { pageSize: 25 }));
    expect(byJson(records.map(neutral))).toEqual(byJson(linodeSeed()));
    const pages = fake.calls.filter((c) => c.path.endsWith('/records')).map((c) => c.query.page);
    expect(pages).toEqual(Array.from({ length: Math.ceil(linodeSeed().length / 25) }, (_, i) => String(i + 1)));
  });

  it('a record that moves across a page boundary while the zone is read (someone edits it meanwhile) is neither lost nor doubled', async () => {
    // Pages are offsets into the list (`page`, `page_size`): a record inserted or deleted before the boundary between
    // two page reads shifts the rest, so one record shows twice or not at all. The zone is then read again.
    const list = () => fake.state.domains[0]!.records;
    for (const edit of ['insert', 'delete'] as const) {
      let edited = false;
      const hooked = new HookedDispatcher(agent, (path) => {
        if (edited || !/\/records\?page=2&/.test(path)) return;
        edited = true;
        if (edit === 'insert') list().unshift({ ...list()[0]!, id: 30_999_999, name: 'early', target: '192.0.2.250' });
        else list().shift();
      });
      const session = createLinodeProvider({ baseUrl: fake.baseUrl, dispatcher: hooked, sleep: async () => {}, pageSize: 25 }).connect(GOOD);
      const zone = await session.findZone(SEED_APEX);
      const { records } = await session.readZone(zone);
      expect(edited).toBe(true);
      const ids = records.map((r) => Number(r.id));
      expect(new Set(ids).size, `${edit}: a record read twice`).toBe(ids.length);
      expect(ids.sort(), `${edit}: the zone as it is`).toEqual(list().map((r) => r.id).sort());
    }
  });

  it('gives a record with ttl_sec 0 the domain default', async () => {
    const list = fake.state.domains[0]!.records;
    const www = list.findIndex((r) => r.name === 'www');
    list[www] = { ...list[www]!, ttl_sec: 0 };
    const { records } = await readSeed(connect());
    expect(find(records, 'A', `www.${SEED_APEX}`).ttl).toBe(86400);
  });

  it('waits out a 429 (Retry-After, else X-RateLimit-Reset), then reads', async () => {
    fake.failNext({ kind: 'rate-limited', retryAfterSeconds: 2, on: 'read' });
    fake.failNext({ kind: 'rate-limited', retryAfterSeconds: 3, on: 'read', retryAfterHeader: false });
    const { records } = await readSeed(connect());
    expect(records.length).toBe(linodeSeed().length);
    expect(fake.calls.map((c) => c.status)).toEqual([200, 429, 429, 200]);
    expect(sleeps[0]).toBe(2000);
    expect(sleeps[1]).toBeGreaterThanOrEqual(2000);
    expect(sleeps[1]).toBeLessThanOrEqual(4000);
  });

  it('reports rate_limited with the wait when it would pass the deadline, and a malformed body as protocol', async () => {
    fake.failNext({ kind: 'rate-limited', retryAfterSeconds: 60, on: 'read' });
    const limited = await providerError(readSeed(connect(GOOD, { deadlineMs: 5000 })));
    expect([limited.kind, limited.retryAfterSeconds]).toEqual(['rate_limited', 60]);
    fake.failNext({ kind: 'malformed', on: 'read' });
    const malformed = await providerError(readSeed(connect()));
    expect([malformed.kind, malformed.reason]).toEqual(['protocol', 'HTTP 200 with a malformed body instead of JSON']);
  });
});

describe('applyChanges', () => {
  it('writes one call per record: POST for the CNAMEs, PUT on the SPF record id; nothing else changes', async () => {
    const session = connect();
    const { zone, records } = await readSeed(session);
    const before = fake.snapshot();
    const spf = find(records, 'TXT', SEED_APEX, 'v=spf1');
    const merged = spf.content.replace(' -all', ` ${SPF_INCLUDE} -all`);
    const changes: RecordChange[] = [
      { action: 'CREATE', record: { type: 'CNAME', name: `key1._domainkey.${SEED_APEX}`, content: 'key1.dkim.esp.net', ttl: 3600 } },
      { action: 'UPDATE', before: spf, record: { type: 'TXT', name: SEED_APEX, content: merged, ttl: spf.ttl } },
    ];
    fake.calls.length = 0;
    await expect(session.applyChanges(zone, { records }, changes)).resolves.toEqual({ applied: changes });
    expect(fake.calls.map((c) => [c.method, c.path.replace(/\/\d{5,}/g, '/N'), c.body])).toEqual([
      ['POST', '/domains/N/records', { type: 'CNAME', name: 'key1._domainkey', target: 'key1.dkim.esp.net', ttl_sec: 3600 }],
      ['PUT', '/domains/N/records/N', { type: 'TXT', name: '', target: merged, ttl_sec: 3600 }],
    ]);
    expect(fake.calls[1]?.path).toBe(`/domains/${zone.id}/records/${spf.id}`);
    const after = fake.snapshot();
    untouched(before, after.slice(0, before.length), Number(spf.id));
    expect(after.find((r) => r.id === Number(spf.id))?.target).toBe(merged);
    expect(after.at(-1)).toMatchObject({ type: 'CNAME', name: 'key1._domainkey', target: 'key1.dkim.esp.net', ttl_sec: 3600 });
  });

  it('an UPDATE that keeps the TTL of a record following the domain default (ttl_sec 0) leaves it following the default', async () => {
    const list = fake.state.domains[0]!.records;
    const at = list.findIndex((r) => r.type === 'TXT' && r.name === '' && r.target.startsWith('v=spf1'));
    list[at] = { ...list[at]!, ttl_sec: 0 };
    const session = connect();
    const { zone, records } = await readSeed(session);
    const spf = find(records, 'TXT', SEED_APEX, 'v=spf1');
    expect(spf.ttl).toBe(86400);
    const merged = spf.content.replace(' -all', ` ${SPF_INCLUDE} -all`);
    // The planner keeps the TTL it read (src/records/planner.ts: the merged SPF takes the current record's TTL).
    const change: RecordChange = { action: 'UPDATE', before: spf, record: { type: 'TXT', name: SEED_APEX, content: merged, ttl: spf.ttl } };
    await session.applyChanges(zone, { records }, [change]);
    const now = fake.snapshot().find((r) => r.id === Number(spf.id))!;
    expect([now.target, now.ttl_sec]).toEqual([merged, 0]);
    // A TTL the plan does change is written as asked.
    const { records: again } = await session.readZone(zone);
    const spf2 = find(again, 'TXT', SEED_APEX, 'v=spf1');
    await session.applyChanges(zone, { records: again }, [{ action: 'UPDATE', before: spf2, record: { type: 'TXT', name: SEED_APEX, content: merged, ttl: 3600 } }]);
    expect(fake.snapshot().find((r) => r.id === Number(spf.id))!.ttl_sec).toBe(3600);
  });

  it('deletes by record id and writes a long TXT raw, read back whole', async () => {
    const session = connect();
    const { zone, records } = await readSeed(session);
    const challenge = find(records, 'TXT', `_acme-challenge.${SEED_APEX}`);
    await session.applyChanges(zone, { records }, [
      { action: 'DELETE', before: challenge },
      { action: 'CREATE', record: { type: 'TXT', name: `s2._domainkey.${SEED_APEX}`, content: LONG_DKIM_TXT, ttl: 3600 } },
    ]);
    const { records: now } = await session.readZone(zone);
    expect(now.some((r) => r.id === challenge.id)).toBe(false);
    expect(find(now, 'TXT', `s2._domainkey.${SEED_APEX}`).content).toBe(LONG_DKIM_TXT);
  });

  it('refuses before any write what Linode would refuse', async () => {
    const session = connect();
    const { zone, records } = await readSeed(session);
    fake.calls.length = 0;
    const cases: RecordChange[][] = [
      [{ action: 'CREATE', record: { type: 'CNAME', name: `mail.${SEED_APEX}`, content: 'x.example.net', ttl: 3600 } }],
      [{ action: 'CREATE', record: { type: 'LOC', name: `x.${SEED_APEX}`, content: '1 2 3', ttl: 3600 } }],
      [{ action: 'CREATE', record: { type: 'A', name: 'elsewhere.org', content: '192.0.2.1', ttl: 3600 } }],
      [{ action: 'CREATE', record: { type: 'TXT', name: `x.${SEED_APEX}`, content: 'x'.repeat(3000), ttl: 3600 } }],
    ];
    for (const changes of cases) expect((await providerError(session.applyChanges(zone, { records }, changes))).kind).toBe('rejected');
    const ghost = await providerError(session.applyChanges(zone, { records }, [{ action: 'DELETE', before: { type: 'TXT', name: SEED_APEX, content: 'x', ttl: 3600, id: '99' } }]));
    expect(ghost.kind).toBe('conflict');
    expect(fake.calls).toHaveLength(0);
  });
});

describe('Linode traps (providers-cloud.md §5)', () => {
  it('trap 1: when a create does not keep its TTL, the adapter sets it with a PUT', async () => {
    fake.setBehaviour({ ttlIgnoredOnCreate: true });
    const session = connect();
    const { zone, records } = await readSeed(session);
    fake.calls.length = 0;
    await session.applyChanges(zone, { records }, [{ action: 'CREATE', record: { type: 'CNAME', name: `em.${SEED_APEX}`, content: 'em.sender.net', ttl: 300 } }]);
    expect(writes().map((c) => c.method)).toEqual(['POST', 'PUT']);
    expect(fake.snapshot().find((r) => r.name === 'em')?.ttl_sec).toBe(300);
  });

  it('trap 1 (default): a create that kept its TTL is not followed by a PUT', async () => {
    const session = connect();
    const { zone, records } = await readSeed(session);
    fake.calls.length = 0;
    await session.applyChanges(zone, { records }, [{ action: 'CREATE', record: { type: 'CNAME', name: `em.${SEED_APEX}`, content: 'em.sender.net', ttl: 300 } }]);
    expect(writes().map((c) => c.method)).toEqual(['POST']);
  });

  it('trap 3: a POST sent twice duplicates at Linode; after a lost reply the adapter re-reads and does not repeat it', async () => {
    const direct = async () =>
      (await request(`${fake.baseUrl}/domains/${ZONE.id}/records`, {
        dispatcher: agent,
        method: 'POST',
        headers: { authorization: `Bearer ${GOOD.apiKey}`, 'content-type': 'application/json' },
        body: JSON.stringify({ type: 'TXT', name: 'dup', target: 'same', ttl_sec: 300 }),
      }).then((r) => r.body.text()));
    await direct();
    await direct();
    expect(fake.snapshot().filter((r) => r.name === 'dup')).toHaveLength(2);
    fake.resetZone();

    const session = connect();
    const { zone, records } = await readSeed(session);
    fake.failNext({ kind: 'lost-reply', on: 'write' });
    fake.calls.length = 0;
    const create: RecordChange = { action: 'CREATE', record: { type: 'CNAME', name: `em.${SEED_APEX}`, content: 'em.sender.net', ttl: 3600 } };
    await expect(session.applyChanges(zone, { records }, [create])).resolves.toEqual({ applied: [create] });
    expect(trail()).toEqual(['POST /domains/N/records 200', 'GET /domains/N/records 200']);
    expect(fake.calls[1]?.filter).toEqual({ type: 'CNAME' });
    expect(fake.snapshot().filter((r) => r.name === 'em')).toHaveLength(1);
  });

  it('trap 3: a POST answered 5xx that did not land is sent once more, once', async () => {
    const session = connect();
    const { zone, records } = await readSeed(session);
    fake.failNext({ kind: 'status', status: 503, on: 'write' });
    fake.calls.length = 0;
    await session.applyChanges(zone, { records }, [{ action: 'CREATE', record: { type: 'CNAME', name: `em.${SEED_APEX}`, content: 'em.sender.net', ttl: 3600 } }]);
    expect(trail()).toEqual(['POST /domains/N/records 503', 'GET /domains/N/records 200', 'POST /domains/N/records 200']);
    expect(fake.snapshot().filter((r) => r.name === 'em')).toHaveLength(1);
  });

  it('trap 4: a TTL Linode does not allow is sent rounded, so the read-back equals what was sent', async () => {
    const session = connect();
    const { zone, records } = await readSeed(session);
    await session.applyChanges(zone, { records }, [{ action: 'CREATE', record: { type: 'TXT', name: `_dmarc.em.${SEED_APEX}`, content: 'v=DMARC1; p=none', ttl: 1800 } }]);
    expect(writes()[0]?.body).toMatchObject({ ttl_sec: 3600 });
    const { records: now } = await session.readZone(zone);
    expect(find(now, 'TXT', `_dmarc.em.${SEED_APEX}`).ttl).toBe(3600);
  });

  it('a record added by someone else between read and write is untouched: writes name record ids', async () => {
    const session = connect();
    const { zone, records } = await readSeed(session);
    const spf = find(records, 'TXT', SEED_APEX, 'v=spf1');
    fake.beforeNextWrite(() => void fake.plant({ type: 'TXT', name: '', target: 'apple-domain-verification=xyz', ttl_sec: 3600 }));
    await session.applyChanges(zone, { records }, [
      { action: 'UPDATE', before: spf, record: { type: 'TXT', name: SEED_APEX, content: spf.content.replace(' -all', ` ${SPF_INCLUDE} -all`), ttl: spf.ttl } },
    ]);
    expect(fake.snapshot().filter((r) => r.type === 'TXT' && r.name === '').map((r) => r.target)).toContain('apple-domain-verification=xyz');
  });
});

describe('failures', () => {
  it('maps a read-only token to forbidden at the first write, nothing applied', async () => {
    const session = connect(READ_ONLY);
    const { zone, records } = await readSeed(session);
    const error = await providerError(session.applyChanges(zone, { records }, [{ action: 'CREATE', record: { type: 'CNAME', name: `em.${SEED_APEX}`, content: 'em.sender.net', ttl: 3600 } }]));
    expect([error.kind, error.applied]).toEqual(['forbidden', []]);
  });

  it('maps a field error to rejected with the field and reason', () => {
    const reply = (status: number, body: unknown) => ({ status, headers: {}, text: JSON.stringify(body) });
    expect(linodeError(reply(400, { errors: [{ field: 'target', reason: 'Must be a valid IPv4 address' }] })).reason).toBe('target: Must be a valid IPv4 address');
    expect(linodeError(reply(401, { errors: [{ reason: 'Invalid OAuth token' }] })).kind).toBe('auth');
    expect(linodeError(reply(403, { errors: [{ reason: 'Unauthorized' }] })).kind).toBe('forbidden');
    expect(linodeError({ status: 502, headers: {}, text: '<html>bad gateway</html>' }).reason).toBe('HTTP 502 with an HTML page');
  });

  it('stops part-way with a partial-apply error naming what landed and what did not', async () => {
    const session = connect();
    const { zone, records } = await readSeed(session);
    const spf = find(records, 'TXT', SEED_APEX, 'v=spf1');
    const changes: RecordChange[] = [
      { action: 'CREATE', record: { type: 'CNAME', name: `em.${SEED_APEX}`, content: 'em.sender.net', ttl: 3600 } },
      { action: 'UPDATE', before: spf, record: { type: 'TXT', name: SEED_APEX, content: spf.content.replace(' -all', ` ${SPF_INCLUDE} -all`), ttl: spf.ttl } },
      { action: 'CREATE', record: { type: 'TXT', name: `_dmarc.em.${SEED_APEX}`, content: 'v=DMARC1; p=none', ttl: 3600 } },
    ];
    fake.beforeNextWrite(() => fake.failNext({ kind: 'status', status: 500, on: 'write', times: 'always' }));
    // The first write passes (the hook runs before it and queues the lasting 500 for the ones after).
    const error = await providerError(session.applyChanges(zone, { records }, changes));
    expect(error.kind).toBe('unavailable');
    expect(error.applied).toEqual([changes[0]]);
    expect(error.reason).toBe(
      'HTTP 500: Please try again; 1 of 3 changes were applied (CREATE CNAME em.example.com); not applied: UPDATE TXT example.com, CREATE TXT _dmarc.em.example.com; run dns.set again to finish',
    );
    expect(fake.snapshot().find((r) => r.id === Number(spf.id))?.target).toBe(spf.content);
  });

  it('a PUT whose reply is lost is checked on the record itself and not reported as a failure', async () => {
    const session = connect();
    const { zone, records } = await readSeed(session);
    const spf = find(records, 'TXT', SEED_APEX, 'v=spf1');
    const merged = spf.content.replace(' -all', ` ${SPF_INCLUDE} -all`);
    fake.failNext({ kind: 'lost-reply', on: 'write', times: 'always' });
    fake.calls.length = 0;
    await session.applyChanges(zone, { records }, [{ action: 'UPDATE', before: spf, record: { type: 'TXT', name: SEED_APEX, content: merged, ttl: spf.ttl } }]);
    expect(trail()[0]).toBe('PUT /domains/N/records/N 200');
    expect(trail().at(-1)).toBe('GET /domains/N/records/N 200');
    expect(fake.snapshot().find((r) => r.id === Number(spf.id))?.target).toBe(merged);
  });
});
