import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createResolver } from '../src/detection/resolver.js';
import { SPF_LOOKUP_LIMIT, countSpfLookups, isSpfRecord, resolveTxtVia, sharedTxtLookupVia, spfLookupCounter } from '../src/records/spf-lookups.js';
import { startDnsServer } from './fakes/dns-server.js';
import type { FakeDnsServer, FakeRecord } from './fakes/dns-server.js';

let dns: FakeDnsServer;
let resolveTxt: (name: string) => Promise<string[]>;

beforeAll(async () => {
  dns = await startDnsServer();
});
afterAll(() => dns.close());
beforeEach(() => {
  dns.clear();
  // A fresh cache per test: each test seeds its own records under the same names.
  resolveTxt = resolveTxtVia(createResolver({ servers: [dns.address], timeoutMs: 500, attempts: 1 }));
});

const txt = (name: string, data: string): FakeRecord => ({ name, type: 'TXT', ttl: 300, data });
const soa: FakeRecord = { name: 'example.com', type: 'SOA', ttl: 300, data: { mname: 'ns1.example.com', rname: 'hostmaster.example.com', minimum: 300 } };
const txtQueries = () => dns.queries.filter((q) => q.type === 'TXT').map((q) => q.name);

describe('countSpfLookups (RFC 7208 §4.6.4) over real DNS', () => {
  it('recognises SPF records by their version tag', () => {
    expect(isSpfRecord('v=spf1 -all')).toBe(true);
    expect(isSpfRecord('V=SPF1')).toBe(true);
    expect(isSpfRecord('v=spf10 -all')).toBe(false);
    expect(isSpfRecord('google-site-verification=abc')).toBe(false);
  });

  it('counts nothing for ip4, ip6, all and exp, and makes no DNS query', async () => {
    const result = await countSpfLookups('v=spf1 ip4:192.0.2.0/24 ip6:2001:db8::/32 exp=explain.example.com -all', resolveTxt);
    expect(result).toEqual({ lookups: 0, voidLookups: 0, failedLookups: 0, errors: [] });
    expect(dns.queries).toHaveLength(0);
  });

  it('counts a, mx, ptr, exists and include once each, with qualifiers and CIDR lengths', async () => {
    dns.set([soa, txt('_spf.example.com', 'v=spf1 ip4:198.51.100.1 ~all')]);
    const result = await countSpfLookups('v=spf1 +a -mx/24 ?ptr exists:%{i}.bl.example.com a:mail.example.com/24//64 include:_spf.example.com ~all', resolveTxt);
    expect(result).toEqual({ lookups: 6, voidLookups: 0, failedLookups: 0, errors: [] });
  });

  it('follows nested includes and counts their terms', async () => {
    dns.set([
      soa,
      txt('_spf.example.com', 'v=spf1 include:_spf1.example.com include:_spf2.example.com -all'),
      txt('_spf1.example.com', 'v=spf1 a mx include:_spf3.example.com -all'),
      txt('_spf2.example.com', 'v=spf1 ip4:203.0.113.0/24 -all'),
      txt('_spf3.example.com', 'v=spf1 exists:x.example.com -all'),
      txt('_spf3.example.com', 'some-other-verification=1'),
    ]);
    const result = await countSpfLookups('v=spf1 mx include:_spf.example.com -all', resolveTxt);
    // mx, include(_spf) → include(_spf1) → a, mx, include(_spf3) → exists; include(_spf2)
    expect(result).toEqual({ lookups: 8, voidLookups: 0, failedLookups: 0, errors: [] });
    expect(txtQueries().sort()).toEqual(['_spf.example.com', '_spf1.example.com', '_spf2.example.com', '_spf3.example.com']);
  });

  it('joins a long include record split into 255-byte strings (and fetched over TCP)', async () => {
    const many = Array.from({ length: 40 }, (_, i) => `ip4:198.51.100.${i}`).join(' ');
    dns.set([soa, txt('_spf.example.com', `v=spf1 ${many} include:_tail.example.com -all`), txt('_tail.example.com', 'v=spf1 a -all')]);
    expect(`v=spf1 ${many}`.length).toBeGreaterThan(512);
    const result = await countSpfLookups('v=spf1 include:_spf.example.com -all', resolveTxt);
    expect(result).toEqual({ lookups: 3, voidLookups: 0, failedLookups: 0, errors: [] });
    expect(dns.queries.some((q) => q.transport === 'tcp')).toBe(true);
  });

  it('follows redirect= and counts it, but ignores it when the record has "all"', async () => {
    dns.set([soa, txt('_spf.example.com', 'v=spf1 a mx -all')]);
    expect(await countSpfLookups('v=spf1 ip4:192.0.2.1 redirect=_spf.example.com', resolveTxt)).toEqual({ lookups: 3, voidLookups: 0, failedLookups: 0, errors: [] });
    expect(await countSpfLookups('v=spf1 ip4:192.0.2.1 redirect=_spf.example.com -all', resolveTxt)).toEqual({ lookups: 0, voidLookups: 0, failedLookups: 0, errors: [] });
  });

  it('reports an include loop and stops following it', async () => {
    dns.set([
      soa,
      txt('example.com', 'v=spf1 include:a.example.com -all'),
      txt('a.example.com', 'v=spf1 include:b.example.com -all'),
      txt('b.example.com', 'v=spf1 include:a.example.com -all'),
    ]);
    const result = await countSpfLookups('v=spf1 include:a.example.com -all', resolveTxt, { domain: 'example.com' });
    expect(result.lookups).toBe(3);
    expect(result.errors).toEqual([expect.stringContaining('loop (example.com → a.example.com → b.example.com → a.example.com)')]);
    expect(txtQueries()).toEqual(['a.example.com', 'b.example.com']);
  });

  it('counts an include of a name without TXT as a void lookup, and flags more than two', async () => {
    dns.set([soa, txt('_spf.example.com', 'v=spf1 -all')]);
    const one = await countSpfLookups('v=spf1 include:gone.example.com include:_spf.example.com -all', resolveTxt);
    expect(one).toMatchObject({ lookups: 2, voidLookups: 1 });
    expect(one.errors).toEqual([expect.stringContaining('gone.example.com has no TXT record (void lookup)')]);
    const three = await countSpfLookups('v=spf1 include:g1.example.com include:g2.example.com redirect=g3.example.com', resolveTxt);
    expect(three.voidLookups).toBe(3);
    expect(three.errors).toContain('3 void lookups (the limit is 2)');
  });

  it('flags an include target with no SPF record, or with two, without counting a void lookup', async () => {
    dns.set([soa, txt('plain.example.com', 'hello'), txt('two.example.com', 'v=spf1 -all'), txt('two.example.com', 'v=spf1 a -all')]);
    const result = await countSpfLookups('v=spf1 include:plain.example.com include:two.example.com -all', resolveTxt);
    expect(result.voidLookups).toBe(0);
    expect(result.errors).toEqual([
      expect.stringContaining('plain.example.com has no SPF record'),
      expect.stringContaining('two.example.com has 2 SPF records'),
    ]);
  });

  it('flags more than 10 lookups', async () => {
    const record = `v=spf1 ${Array.from({ length: 11 }, (_, i) => `a:h${i}.example.com`).join(' ')} -all`;
    const result = await countSpfLookups(record, resolveTxt);
    expect(result.lookups).toBe(SPF_LOOKUP_LIMIT + 1);
    expect(result.errors).toEqual(['11 DNS lookups (the limit is 10)']);
  });

  it('stops past the hard cap instead of walking a huge include tree', async () => {
    // Each level includes the next twice: 2 + 4 + 8 + … terms, far beyond the cap if walked.
    const records: FakeRecord[] = [soa];
    for (let level = 0; level < 8; level++) {
      records.push(txt(`l${level}.example.com`, `v=spf1 include:l${level + 1}.example.com include:l${level + 1}.example.com -all`));
    }
    records.push(txt('l8.example.com', 'v=spf1 -all'));
    dns.set(records);
    const result = await countSpfLookups('v=spf1 include:l0.example.com -all', resolveTxt, { cap: 20 });
    expect(result.lookups).toBe(21);
    expect(result.errors).toEqual(['counting stopped after 20 DNS lookups', 'more than 20 DNS lookups (the limit is 10)']);
    expect(txtQueries().length).toBeLessThanOrEqual(20);
  });

  it('reports a failed lookup as an error, not as a void lookup', async () => {
    dns.failWithServfail('broken.example.com');
    const result = await countSpfLookups('v=spf1 include:broken.example.com -all', resolveTxt);
    expect(result).toMatchObject({ lookups: 1, voidLookups: 0, failedLookups: 1 });
    expect(result.errors).toEqual([expect.stringMatching(/^include:broken\.example\.com: the lookup failed .*servfail/)]);
  });

  it('counts a macro include without following it, and rejects unknown mechanisms and non-SPF input', async () => {
    expect(await countSpfLookups('v=spf1 include:%{d}.spf.example.com -all', resolveTxt)).toEqual({ lookups: 1, voidLookups: 0, failedLookups: 0, errors: [] });
    expect(dns.queries).toHaveLength(0);
    const unknown = await countSpfLookups('v=spf1 ip5:1.2.3.4 -all', resolveTxt);
    expect(unknown.errors).toEqual(['the record: unknown mechanism "ip5"']);
    expect((await countSpfLookups('hello world', resolveTxt)).errors).toEqual([expect.stringContaining('not an SPF record')]);
  });
});

describe('resolveTxtVia: answers cached for their TTL', () => {
  const resolver = () => createResolver({ servers: [dns.address], timeoutMs: 500, attempts: 1 });

  it('asks once within the TTL, again after it; concurrent lookups share one query', async () => {
    let now = 1_000_000;
    const lookup = resolveTxtVia(resolver(), { now: () => now });
    dns.add({ name: '_spf.example.com', type: 'TXT', ttl: 60, data: 'v=spf1 ip4:192.0.2.1 -all' });
    const [a, b] = await Promise.all([lookup('_spf.example.com'), lookup('_SPF.example.com.')]);
    expect(a).toEqual(['v=spf1 ip4:192.0.2.1 -all']);
    expect(b).toEqual(a);
    now += 59_000;
    expect(await lookup('_spf.example.com')).toEqual(a);
    expect(txtQueries()).toEqual(['_spf.example.com']);
    now += 1_000;
    expect(await lookup('_spf.example.com')).toEqual(a);
    expect(txtQueries()).toEqual(['_spf.example.com', '_spf.example.com']);
  });

  it('keeps an empty answer for its negative TTL, and never keeps a failure or TTL 0', async () => {
    const lookup = resolveTxtVia(resolver());
    dns.add(soa);
    expect(await lookup('nothing.example.com')).toEqual([]);
    expect(await lookup('nothing.example.com')).toEqual([]);
    expect(txtQueries()).toEqual(['nothing.example.com']);

    dns.add({ name: 'fresh.example.com', type: 'TXT', ttl: 0, data: 'v=spf1 -all' });
    await lookup('fresh.example.com');
    await lookup('fresh.example.com');
    expect(txtQueries().filter((n) => n === 'fresh.example.com')).toHaveLength(2);

    dns.failWithServfail('broken.example.com');
    await expect(lookup('broken.example.com')).rejects.toThrow();
    await expect(lookup('broken.example.com')).rejects.toThrow();
    expect(txtQueries().filter((n) => n === 'broken.example.com')).toHaveLength(2);
  });
});

describe('spfLookupCounter: a count remembered while its answers are the cached ones', () => {
  const resolverFor = () => createResolver({ servers: [dns.address], timeoutMs: 500, attempts: 1 });

  it('counts a record seen before without a query or a walk, until one of its answers expires', async () => {
    let now = 1_000_000;
    const count = spfLookupCounter(sharedTxtLookupVia(resolverFor(), { now: () => now }));
    dns.set([
      soa,
      { name: '_spf.example.com', type: 'TXT', ttl: 300, data: 'v=spf1 include:_a.example.com -all' },
      { name: '_a.example.com', type: 'TXT', ttl: 60, data: 'v=spf1 ip4:192.0.2.1 -all' },
    ]);
    const record = 'v=spf1 include:_spf.example.com ~all';
    const first = await count(record);
    expect(first).toEqual({ lookups: 2, voidLookups: 0, failedLookups: 0, errors: [] });
    expect(txtQueries()).toEqual(['_spf.example.com', '_a.example.com']);

    now += 59_000;
    expect(await count(record)).toBe(first);
    expect(txtQueries()).toHaveLength(2);

    // _a.example.com expires and now includes two more names: the count follows DNS, not the memory.
    dns.set([
      soa,
      { name: '_spf.example.com', type: 'TXT', ttl: 300, data: 'v=spf1 include:_a.example.com -all' },
      { name: '_a.example.com', type: 'TXT', ttl: 60, data: 'v=spf1 a:x.example.com mx -all' },
    ]);
    now += 1_000;
    expect(await count(record)).toEqual({ lookups: 4, voidLookups: 0, failedLookups: 0, errors: [] });
    expect(txtQueries()).toEqual(['_spf.example.com', '_a.example.com', '_a.example.com']);
  });

  it('keeps counts per record and per publishing domain (loops are judged against the domain)', async () => {
    const count = spfLookupCounter(sharedTxtLookupVia(resolverFor()));
    dns.set([soa, txt('a.example.com', 'v=spf1 include:example.com -all')]);
    const record = 'v=spf1 include:a.example.com -all';
    expect((await count(record)).errors).toEqual([expect.stringContaining('example.com has no TXT record (void lookup)')]);
    expect((await count(record, 'example.com')).errors).toEqual([expect.stringContaining('loop (example.com → a.example.com → example.com)')]);
    expect((await count('v=spf1 -all')).lookups).toBe(0);
  });

  it('never remembers a count in which a lookup failed', async () => {
    const count = spfLookupCounter(sharedTxtLookupVia(resolverFor()));
    dns.failWithServfail('broken.example.com');
    const record = 'v=spf1 include:broken.example.com -all';
    expect(await count(record)).toMatchObject({ lookups: 1, failedLookups: 1 });
    dns.clear();
    dns.set([soa, txt('broken.example.com', 'v=spf1 mx -all')]);
    expect(await count(record)).toEqual({ lookups: 2, voidLookups: 0, failedLookups: 0, errors: [] });
  });
});
