import dgram from 'node:dgram';
import { PROVIDER_IDS } from '../providers/registry.js';
import * as packet from 'dns-packet';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createProviderDetector, namesUpTo, pickProvider } from '../src/detection/detect.js';
import { NAMESERVER_PATTERNS, matchNameserver } from '../src/detection/nameserver-patterns.js';
import { DnsLookupError, createResolver, parseServer } from '../src/detection/resolver.js';
import { startDnsServer } from './fakes/dns-server.js';
import type { FakeDnsServer, FakeRecord } from './fakes/dns-server.js';

let dns: FakeDnsServer;
let backup: FakeDnsServer;

beforeAll(async () => {
  dns = await startDnsServer();
  backup = await startDnsServer();
});
afterAll(async () => {
  await dns.close();
  await backup.close();
});
beforeEach(() => {
  dns.clear();
  dns.delayMs = 0;
  backup.clear();
  backup.delayMs = 0;
});

const soa = (zone: string, minimum = 300, ttl = 3600): FakeRecord => ({
  name: zone,
  type: 'SOA',
  ttl,
  data: { mname: `ns1.${zone}`, rname: `hostmaster.${zone}`, serial: 1, minimum },
});
const ns = (zone: string, ttl: number, ...hosts: string[]): FakeRecord[] =>
  hosts.map((data) => ({ name: zone, type: 'NS', ttl, data }));
/** A zone as an authoritative server holds it: SOA, NS and an address at the apex. */
const zone = (apex: string, hosts: string[], opts: { nsTtl?: number; minimum?: number } = {}): FakeRecord[] => [
  soa(apex, opts.minimum ?? 300),
  ...ns(apex, opts.nsTtl ?? 3600, ...hosts),
  { name: apex, type: 'A', ttl: 300, data: '192.0.2.10' },
];
const nsQueries = (server: FakeDnsServer): string[] => server.queries.filter((q) => q.type === 'NS').map((q) => q.name);

/**
 * How late a timer or a UDP reply may come on the shared, loaded 2-core machine the suite runs on. A timing bound
 * below is the deadline the resolver enforces (its timeout × attempts × servers) plus this margin; the fake server
 * then answers later than that bound, so a resolver that waited for the answer could not pass.
 */
const LATE_MS = 2000;
/** A timer never fires early, but clocks are read in whole milliseconds. */
const CLOCK_MS = 2;

describe('resolver against the loopback DNS server', () => {
  const resolver = () => createResolver({ servers: [dns.address], timeoutMs: 500, attempts: 1 });

  it('parses the server forms DNS_RESOLVERS accepts', () => {
    expect(parseServer('192.0.2.1')).toMatchObject({ host: '192.0.2.1', port: 53 });
    expect(parseServer('192.0.2.1:5353')).toMatchObject({ host: '192.0.2.1', port: 5353 });
    expect(parseServer('[2001:db8::1]:5353')).toMatchObject({ host: '2001:db8::1', port: 5353, label: '[2001:db8::1]:5353' });
    expect(parseServer('2001:db8::1')).toMatchObject({ host: '2001:db8::1', port: 53 });
    expect(() => parseServer('dns.example.com')).toThrow(TypeError);
    expect(() => parseServer('192.0.2.1:70000')).toThrow(TypeError);
  });

  it('tells NODATA from NXDOMAIN and takes the negative TTL from the SOA (RFC 2308)', async () => {
    dns.set([...zone('example.com', ['a.ns.cloudflare.com'], { minimum: 120 }), { name: 'a.b.example.com', type: 'A', ttl: 60, data: '192.0.2.1' }]);
    const r = resolver();
    const nodata = await r.query('example.com', 'TXT');
    expect(nodata).toMatchObject({ rcode: 'NOERROR', answers: [], negativeTtl: 120 });
    expect(nodata.authority[0]).toMatchObject({ type: 'SOA', name: 'example.com' });
    // An empty non-terminal exists (RFC 8020): NODATA, not NXDOMAIN.
    expect((await r.query('b.example.com', 'A')).rcode).toBe('NOERROR');
    const nx = await r.query('missing.example.com', 'A');
    expect(nx).toMatchObject({ rcode: 'NXDOMAIN', answers: [], negativeTtl: 120 });
    // The negative TTL is the smaller of the SOA's own TTL and its minimum.
    dns.set([soa('example.org', 900, 30)]);
    expect((await r.query('nope.example.org', 'A')).negativeTtl).toBe(30);
  });

  it('decodes answers with their TTLs', async () => {
    dns.set([
      ...zone('example.com', ['ns1.domaincontrol.com', 'ns2.domaincontrol.com'], { nsTtl: 7200 }),
      { name: 'example.com', type: 'MX', ttl: 300, data: { preference: 10, exchange: 'mx.example.com' } },
    ]);
    const r = resolver();
    const answer = await r.query('EXAMPLE.com.', 'NS');
    expect(answer.answers.map((a) => [a.type, a.data, a.ttl]).sort()).toEqual([
      ['NS', 'ns1.domaincontrol.com', 7200],
      ['NS', 'ns2.domaincontrol.com', 7200],
    ]);
    expect(await r.resolveNs('example.com')).toEqual(expect.arrayContaining(['ns1.domaincontrol.com', 'ns2.domaincontrol.com']));
    expect((await r.query('example.com', 'MX')).answers[0]).toMatchObject({ data: { preference: 10, exchange: 'mx.example.com' } });
    expect(await r.resolveTxt('missing.example.com')).toEqual([]);
  });

  it('retries over TCP when the UDP answer is truncated, and joins 255-byte TXT chunks', async () => {
    const dkim = `v=DKIM1; k=rsa; p=${'MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA'.repeat(9)}`;
    expect(dkim.length).toBeGreaterThan(300);
    dns.set([
      soa('example.com'),
      { name: 'key1._domainkey.example.com', type: 'TXT', ttl: 300, data: dkim },
      { name: 'key1._domainkey.example.com', type: 'TXT', ttl: 300, data: `second ${dkim}` },
    ]);
    const r = resolver();
    const response = await r.query('key1._domainkey.example.com', 'TXT');
    expect(response.transport).toBe('tcp');
    const first = response.answers.find((a) => a.type === 'TXT');
    expect(first?.type === 'TXT' && first.data.length).toBeGreaterThan(1);
    expect((await r.resolveTxt('key1._domainkey.example.com')).sort()).toEqual([dkim, `second ${dkim}`].sort());
    expect(dns.queries.map((q) => q.transport)).toEqual(['udp', 'tcp', 'udp', 'tcp']);
  });

  it('follows a CNAME chain for TXT', async () => {
    dns.set([
      soa('example.com'),
      { name: '_dmarc.example.com', type: 'CNAME', ttl: 300, data: '_dmarc.sender.example.net' },
      { name: '_dmarc.sender.example.net', type: 'TXT', ttl: 300, data: 'v=DMARC1; p=none' },
    ]);
    expect(await resolver().resolveTxt('_dmarc.example.com')).toEqual(['v=DMARC1; p=none']);
  });

  it('fails with a timeout within its bound when the server answers late, and closes its sockets', async () => {
    const timeoutMs = 120;
    const attempts = 2;
    const enforced = timeoutMs * attempts; // one server
    dns.set(zone('example.com', ['a.ns.cloudflare.com']));
    dns.delayMs = enforced + LATE_MS + 1000;
    const r = createResolver({ servers: [dns.address], timeoutMs, attempts });
    const started = Date.now();
    const error = await r.query('example.com', 'NS').catch((e: unknown) => e);
    const elapsed = Date.now() - started;
    expect(error).toBeInstanceOf(DnsLookupError);
    expect((error as DnsLookupError).reason).toBe('timeout');
    expect((error as DnsLookupError).failures).toHaveLength(2);
    // Each attempt waited its whole timeout (never less), and the query gave up at the enforced deadline.
    expect(elapsed).toBeGreaterThanOrEqual(enforced - CLOCK_MS);
    expect(elapsed).toBeLessThan(enforced + LATE_MS);
  });

  it('moves to the next server on timeout and on SERVFAIL', async () => {
    backup.set(zone('example.com', ['a.ns.cloudflare.com']));
    dns.set(zone('example.com', ['a.ns.cloudflare.com']));
    dns.failWithServfail('example.com');
    const r = createResolver({ servers: [dns.address, backup.address], timeoutMs: 150, attempts: 1 });
    expect((await r.query('example.com', 'NS')).server).toBe(backup.address);
    dns.clear();
    dns.delayMs = 1000;
    expect((await r.query('example.com', 'NS')).server).toBe(backup.address);
  });

  it('reports SERVFAIL as a typed error when every server fails', async () => {
    dns.failWithServfail('broken.com');
    const error = await createResolver({ servers: [dns.address], timeoutMs: 300, attempts: 2 })
      .query('broken.com', 'NS')
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DnsLookupError);
    expect((error as DnsLookupError).reason).toBe('servfail');
    expect(dns.queries).toHaveLength(2);
  });

  it('ignores a reply whose id does not match the query', async () => {
    // A server that answers every query with the id off by one: an off-path spoof must not be accepted.
    const rogue = dgram.createSocket('udp4');
    rogue.on('message', (msg, rinfo) => {
      const q = packet.decode(msg);
      const forged = packet.encode({
        type: 'response',
        id: ((q.id ?? 0) + 1) % 65536,
        questions: q.questions ?? [],
        answers: [{ name: 'example.com', type: 'NS', ttl: 60, data: 'evil.ns.cloudflare.com' }],
      });
      rogue.send(forged, rinfo.port, rinfo.address);
    });
    await new Promise<void>((resolve) => rogue.bind(0, '127.0.0.1', () => resolve()));
    try {
      const r = createResolver({ servers: [`127.0.0.1:${rogue.address().port}`], timeoutMs: 150, attempts: 1 });
      await expect(r.query('example.com', 'NS')).rejects.toMatchObject({ reason: 'timeout' });
    } finally {
      await new Promise<void>((resolve) => rogue.close(() => resolve()));
    }
  });
});

describe('nameserver patterns', () => {
  it('match by suffix on a label boundary, any case, with or without the trailing dot', () => {
    expect(matchNameserver('BOB.NS.CLOUDFLARE.COM.')?.id).toBe('cloudflare');
    expect(matchNameserver('ns-1536.awsdns-00.co.uk')?.id).toBe('route53');
    expect(matchNameserver('ns.cloudflare.com.attacker.net')).toBeUndefined();
    expect(matchNameserver('notdomaincontrol.com')).toBeUndefined();
    expect(matchNameserver('dns1.myname.com')).toBeUndefined();
    expect(matchNameserver('ns1.name.com')?.id).toBe('namecom');
  });

  it('has unique lower-case ids and exactly the supported providers', () => {
    const ids = NAMESERVER_PATTERNS.map((p) => p.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids.every((id) => /^[a-z0-9]+$/.test(id))).toBe(true);
    // Detection calls supported exactly the providers that have an adapter (providers/registry.ts).
    expect(NAMESERVER_PATTERNS.filter((p) => p.supported).map((p) => p.id).sort()).toEqual(PROVIDER_IDS.filter((id) => id !== 'sandbox').sort());
  });

  it('picks the provider most NS hosts match; a tie goes to a supported one', () => {
    expect(pickProvider(['ns-1.awsdns-01.com', 'ns-2.awsdns-02.net', 'a.ns.cloudflare.com'])?.id).toBe('route53');
    expect(pickProvider(['ns-1.awsdns-01.com', 'a.ns.cloudflare.com'])?.id).toBe('cloudflare');
    expect(pickProvider(['ns1.vanity.example.com', 'a.ns.cloudflare.com'])?.id).toBe('cloudflare');
    expect(pickProvider(['ns1.unknown-host.org'])).toBeNull();
  });

  it('lists the names to walk from a subdomain up to the registrable domain only', () => {
    expect(namesUpTo('a.mail.example.co.uk', 'example.co.uk')).toEqual(['a.mail.example.co.uk', 'mail.example.co.uk', 'example.co.uk']);
    expect(namesUpTo('example.com', 'example.com')).toEqual(['example.com']);
    expect(namesUpTo('example.com', 'other.com')).toEqual([]);
  });
});

describe('provider detection over real DNS', () => {
  let clock = 1_000_000;
  const now = () => clock;
  const detector = (opts: { maxCacheEntries?: number; timeoutMs?: number } = {}) =>
    createProviderDetector({
      resolver: createResolver({ servers: [dns.address], timeoutMs: opts.timeoutMs ?? 500, attempts: 1 }),
      now,
      ...(opts.maxCacheEntries ? { maxCacheEntries: opts.maxCacheEntries } : {}),
    });

  it.each([
    ['cloudflare', 'shop-cf.com', ['bob.ns.cloudflare.com', 'lola.ns.cloudflare.com']],
    ['godaddy', 'shop-gd.com', ['ns11.domaincontrol.com', 'ns12.domaincontrol.com']],
    ['namecheap', 'shop-nc.com', ['dns1.registrar-servers.com', 'dns2.registrar-servers.com']],
    ['namecheap', 'shop-nch.net', ['ns1.namecheaphosting.com', 'ns2.namecheaphosting.com']],
    ['googlecloud', 'shop-gc.com', ['ns-cloud-a1.googledomains.com', 'ns-cloud-a2.googledomains.com']],
    ['azure', 'shop-az.com', ['ns1-01.azure-dns.com', 'ns2-01.azure-dns.net']],
    ['route53', 'shop-r53.com', ['ns-1536.awsdns-00.co.uk', 'ns-512.awsdns-00.net']],
    ['ionos', 'shop-ionos.de', ['ns1045.ui-dns.com', 'ns1045.ui-dns.de']],
    ['gandi', 'shop-gandi.fr', ['ns-1-a.gandi.net', 'ns-2-b.gandi.net']],
    ['digitalocean', 'shop-do.com', ['ns1.digitalocean.com', 'ns2.digitalocean.com']],
    ['vultr', 'shop-vultr.com', ['ns1.vultr.com', 'ns2.vultr.com']],
    ['hetzner', 'shop-hz.com', ['helium.ns.hetzner.de', 'hydrogen.ns.hetzner.com', 'oxygen.ns.hetzner.com']],
    ['linode', 'shop-ln.com', ['ns1.linode.com', 'ns2.linode.com', 'ns3.linode.com']],
    ['porkbun', 'shop-pb.com', ['curitiba.ns.porkbun.com', 'fortaleza.ns.porkbun.com']],
    ['dnsimple', 'shop-ds.com', ['ns1.dnsimple.com', 'ns2.dnsimple-edge.net']],
    ['ovh', 'shop-ovh.com', ['dns10.ovh.net', 'ns10.ovh.net']],
    ['namecom', 'shop-ncom.com', ['ns1rdr.name.com', 'ns2kgy.name.com']],
    ['hostinger', 'shop-hst.com', ['ns1.dns-parking.com', 'ns2.dns-parking.com']],
  ])('detects supported provider %s', async (provider, domain, hosts) => {
    dns.set(zone(domain, hosts.map((h) => `${h.toUpperCase()}`)));
    const result = await detector().detect(domain);
    expect(result).toEqual({
      provider,
      providerName: expect.any(String),
      supported: true,
      nameservers: [...hosts].sort(),
      zone: domain,
    });
  });

  it.each([
    ['vercel', ['ns1.vercel-dns.com', 'ns2.vercel-dns.com']],
    ['squarespace', ['ns-cloud-d1.squarespacedns.com']],
    ['wix', ['ns0.wixdns.net', 'ns1.wixdns.net']],
    ['ns1', ['dns1.p01.nsone.net', 'dns2.p01.nsone.net']],
    ['dnsmadeeasy', ['ns0.dnsmadeeasy.com', 'ns1.dnsmadeeasy.com']],
    ['hurricane', ['ns1.he.net', 'ns2.he.net']],
    ['bluehost', ['ns1.bluehost.com', 'ns2.bluehost.com']],
    ['alibaba', ['dns1.hichina.com', 'dns2.hichina.com']],
  ])('reports %s as recognised but unsupported', async (provider, hosts) => {
    const domain = `site-${provider}.org`;
    dns.set(zone(domain, hosts));
    expect(await detector().detect(domain)).toMatchObject({ provider, supported: false, zone: domain });
  });

  it('walks up from a subdomain to the zone apex and never queries the public suffix', async () => {
    dns.set([...zone('example.co.uk', ['ns1.domaincontrol.com', 'ns2.domaincontrol.com']), { name: 'mail.example.co.uk', type: 'A', ttl: 60, data: '192.0.2.2' }]);
    const result = await detector().detect('mail.example.co.uk');
    expect(result).toMatchObject({ provider: 'godaddy', zone: 'example.co.uk' });
    // mail.example.co.uk exists (NODATA for NS), so the walk goes one label up.
    expect(nsQueries(dns)).toEqual(['mail.example.co.uk', 'example.co.uk']);
  });

  it('walks up through NXDOMAIN names as well', async () => {
    dns.set(zone('example.com', ['a.ns.cloudflare.com', 'b.ns.cloudflare.com']));
    expect(await detector().detect('x.y.example.com')).toMatchObject({ provider: 'cloudflare', zone: 'example.com' });
    expect(nsQueries(dns)).toEqual(['x.y.example.com', 'y.example.com', 'example.com']);
  });

  it('uses the nearest delegation: a delegated subdomain is its own zone', async () => {
    dns.set([
      ...zone('example.com', ['a.ns.cloudflare.com', 'b.ns.cloudflare.com']),
      ...ns('eu.example.com', 3600, 'ns-1.awsdns-01.com', 'ns-2.awsdns-02.org'),
    ]);
    expect(await detector().detect('mail.eu.example.com')).toMatchObject({ provider: 'route53', supported: true, zone: 'eu.example.com' });
  });

  it('returns null when no NS is found up to the registrable domain, without asking the TLD', async () => {
    // The SOA lives at "com" (as on the real Internet), yet the detector must not ask "com" for its NS.
    dns.set([soa('com'), ...ns('com', 86400, 'a.gtld-servers.net'), { name: 'www.nodelegation.com', type: 'A', ttl: 60, data: '192.0.2.3' }]);
    expect(await detector().detect('www.nodelegation.com')).toBeNull();
    expect(nsQueries(dns)).toEqual(['www.nodelegation.com', 'nodelegation.com']);
  });

  it('returns null when the NS hosts match no known provider', async () => {
    dns.set(zone('selfhosted.net', ['ns1.selfhosted.net', 'ns2.selfhosted.net']));
    expect(await detector().detect('selfhosted.net')).toBeNull();
  });

  it('answers from the cache for the NS TTL, then asks again', async () => {
    dns.set(zone('cached.com', ['a.ns.cloudflare.com'], { nsTtl: 600 }));
    const d = detector();
    expect(await d.detect('cached.com')).toMatchObject({ provider: 'cloudflare' });
    expect(dns.queries).toHaveLength(1);
    clock += 599_000;
    expect(await d.detect('cached.com')).toMatchObject({ provider: 'cloudflare' });
    expect(dns.queries).toHaveLength(1);
    clock += 2_000;
    dns.set(zone('cached.com', ['ns1.domaincontrol.com'], { nsTtl: 600 }));
    expect(await d.detect('cached.com')).toMatchObject({ provider: 'godaddy' });
    expect(dns.queries).toHaveLength(2);
  });

  it('caches negative answers for the SOA negative TTL, and nothing longer than an hour', async () => {
    dns.set([
      ...zone('neg.com', ['a.ns.cloudflare.com'], { nsTtl: 86_400, minimum: 60 }),
      { name: 'www.neg.com', type: 'A', ttl: 60, data: '192.0.2.4' },
    ]);
    const d = detector();
    await d.detect('www.neg.com');
    expect(nsQueries(dns)).toEqual(['www.neg.com', 'neg.com']);
    await d.detect('www.neg.com');
    expect(nsQueries(dns)).toHaveLength(2);
    clock += 61_000; // past the negative TTL only
    await d.detect('www.neg.com');
    expect(nsQueries(dns)).toEqual(['www.neg.com', 'neg.com', 'www.neg.com']);
    clock += 3_600_000; // past the one-hour cap on the day-long NS TTL
    await d.detect('neg.com');
    expect(nsQueries(dns).slice(3)).toEqual(['neg.com']);
  });

  it('evicts the least recently used entry past maxCacheEntries', async () => {
    dns.set([...zone('one.com', ['a.ns.cloudflare.com']), ...zone('two.com', ['a.ns.cloudflare.com']), ...zone('three.com', ['a.ns.cloudflare.com'])]);
    const d = detector({ maxCacheEntries: 2 });
    await d.detect('one.com');
    await d.detect('two.com');
    await d.detect('one.com'); // one.com is now the most recently used
    await d.detect('three.com'); // evicts two.com
    dns.queries.length = 0;
    await d.detect('one.com');
    await d.detect('three.com');
    expect(dns.queries).toHaveLength(0);
    await d.detect('two.com');
    expect(nsQueries(dns)).toEqual(['two.com']);
  });

  it('coalesces concurrent lookups of the same name into one query', async () => {
    dns.set(zone('busy.com', ['ns1.registrar-servers.com']));
    dns.delayMs = 40;
    const d = detector();
    const results = await Promise.all(Array.from({ length: 8 }, () => d.detect('busy.com')));
    expect(results.every((r) => r?.provider === 'namecheap')).toBe(true);
    expect(dns.queries).toHaveLength(1);
  });

  it('throws on SERVFAIL and does not cache the failure as "no provider"', async () => {
    dns.set(zone('flaky.com', ['a.ns.cloudflare.com']));
    dns.failWithServfail('flaky.com');
    const d = detector();
    await expect(d.detect('flaky.com')).rejects.toBeInstanceOf(DnsLookupError);
    dns.clear(); // the server recovers
    dns.set(zone('flaky.com', ['a.ns.cloudflare.com']));
    expect(await d.detect('flaky.com')).toMatchObject({ provider: 'cloudflare' });
  });

  it('fails within the timeout bound when the server is slow', async () => {
    // One NS query (slow.com is registrable), one server, one attempt: the enforced deadline is the timeout.
    const timeoutMs = 100;
    dns.set(zone('slow.com', ['a.ns.cloudflare.com']));
    dns.delayMs = timeoutMs + LATE_MS + 1000;
    const started = Date.now();
    await expect(detector({ timeoutMs }).detect('slow.com')).rejects.toMatchObject({ reason: 'timeout' });
    expect(Date.now() - started).toBeLessThan(timeoutMs + LATE_MS);
  });
});
