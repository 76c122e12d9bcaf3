/**
 * The gateway's upstreams in their own process: the loopback DNS server (delegating the bench domains to Cloudflare,
 * GoDaddy and Namecheap name servers) and the three provider fakes from test/fakes/, each seeded with the realistic
 * zone. Run with an IPC channel (bench/lib/children.ts `forkTs`): it sends `{ type: 'ready', … }` with the
 * addresses, then answers `{ type: 'calls' }` with each fake's call log (method + path or command) and
 * `{ type: 'reset' }` by emptying the logs.
 */
import { generateKeyPairSync } from 'node:crypto';
import { startDnsServer, type FakeDnsServer, type FakeRecord } from '../test/fakes/dns-server.js';
import { startCloudflareFake } from '../test/fakes/cloudflare-fake.js';
import { startGodaddyFake } from '../test/fakes/godaddy-fake.js';
import { startNamecheapFake } from '../test/fakes/namecheap-fake.js';
import { BENCH_CREDENTIALS, BENCH_MAIL, DOMAINS, type UpstreamCalls, type UpstreamReady, type UpstreamRequest } from './lib/upstream-protocol.js';

const delegation = (zone: string, ...hosts: string[]): FakeRecord[] => [
  { name: zone, type: 'SOA', ttl: 3600, data: { mname: `ns1.${zone}`, rname: `hostmaster.${zone}`, serial: 1, minimum: 300 } },
  // One hour, as real registries publish: the detection cache keeps it for the whole run.
  ...hosts.map((data) => ({ name: zone, type: 'NS' as const, ttl: 3600, data })),
];

/** The verified domain's name servers: four loopback addresses sharing one port, as dns.verify asks them. */
const AUTHORITATIVE = ['127.0.0.2', '127.0.0.3', '127.0.0.4', '127.0.0.5'].map((address, i) => ({ address, host: `ns${i + 1}.bench-dns.test` }));
const V = DOMAINS.verified;
const M = BENCH_MAIL.masterDomain;
/** The campaign record set as dns.set leaves it (with the platform's SPF include and a DMARC policy). */
const verifiedZone: FakeRecord[] = [
  ...delegation(V, ...AUTHORITATIVE.map((s) => s.host)),
  { name: V, type: 'TXT', ttl: 3600, data: `v=spf1 include:${BENCH_MAIL.spfInclude} ~all` },
  { name: `_dmarc.${V}`, type: 'TXT', ttl: 3600, data: 'v=DMARC1; p=none' },
  { name: `sl.${V}`, type: 'CNAME', ttl: 3600, data: M },
  { name: `key1._domainkey.sl.${V}`, type: 'CNAME', ttl: 3600, data: `key1._domainkey.${M}` },
  { name: `key1._domainkey.${V}`, type: 'CNAME', ttl: 3600, data: `key1._domainkey.${M}` },
  { name: `track-sl.${V}`, type: 'CNAME', ttl: 3600, data: `track.${M}` },
];
const dkim = generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey.export({ type: 'spki', format: 'der' }).toString('base64');

const dns = await startDnsServer({
  records: [
    ...delegation(DOMAINS.cloudflare, 'ada.ns.cloudflare.com', 'bob.ns.cloudflare.com'),
    ...delegation(DOMAINS.detectGodaddy, 'ns51.domaincontrol.com', 'ns52.domaincontrol.com'),
    ...delegation(DOMAINS.detectNamecheap, 'dns1.registrar-servers.com', 'dns2.registrar-servers.com'),
    // The recursive view of the verified domain, its name servers' addresses, the platform's key and SPF include.
    ...verifiedZone,
    ...AUTHORITATIVE.map((s): FakeRecord => ({ name: s.host, type: 'A', ttl: 3600, data: s.address })),
    { name: `key1._domainkey.${M}`, type: 'TXT', ttl: 3600, data: `v=DKIM1; k=rsa; p=${dkim}` },
    { name: BENCH_MAIL.spfInclude, type: 'TXT', ttl: 3600, data: 'v=spf1 ip4:198.51.100.0/24 -all' },
  ],
});
const authoritative: FakeDnsServer[] = [await startDnsServer({ host: AUTHORITATIVE[0]!.address, records: verifiedZone })];
for (const { address } of AUTHORITATIVE.slice(1)) authoritative.push(await startDnsServer({ host: address, port: authoritative[0]!.port, records: verifiedZone }));
// Nobody reads their query logs: keep them from growing for the whole run.
setInterval(() => {
  for (const server of authoritative) server.queries.length = 0;
}, 1000).unref();
const cloudflare = await startCloudflareFake({ tokens: { [BENCH_CREDENTIALS.cloudflareToken]: {} } });
const godaddy = await startGodaddyFake();
const namecheap = await startNamecheapFake({
  apiKey: BENCH_CREDENTIALS.namecheapKey,
  apiUser: BENCH_CREDENTIALS.namecheapUser,
  whitelistedIps: [BENCH_CREDENTIALS.namecheapClientIp],
});

function callLogs(): UpstreamCalls {
  return {
    type: 'calls',
    dns: dns.queries.map((q) => `${q.type} ${q.name}`),
    cloudflare: cloudflare.calls.map((c) => `${c.method} ${c.path}`),
    godaddy: godaddy.calls.map((c) => `${c.method} ${c.path}`),
    namecheap: namecheap.calls.map((c) => `${c.method} ${c.command}`),
  };
}

process.on('message', (message: UpstreamRequest) => {
  if (message.type === 'calls') process.send!(callLogs());
  if (message.type === 'reset') {
    dns.queries.length = 0;
    cloudflare.calls.length = 0;
    godaddy.calls.length = 0;
    namecheap.calls.length = 0;
    process.send!({ type: 'reset-done' });
  }
  if (message.type === 'stop') {
    void Promise.all([dns.close(), cloudflare.close(), godaddy.close(), namecheap.close(), ...authoritative.map((s) => s.close())]).then(() => process.exit(0));
  }
});
// The parent is gone: nothing is left to serve.
process.on('disconnect', () => process.exit(0));

const ready: UpstreamReady = {
  type: 'ready',
  dnsAddress: dns.address,
  cloudflareUrl: cloudflare.baseUrl,
  godaddyUrl: godaddy.baseUrl,
  namecheapUrl: namecheap.baseUrl,
  authoritativePort: authoritative[0]!.port,
};
process.send!(ready);
