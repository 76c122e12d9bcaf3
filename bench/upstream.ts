/**
 * The gateway's upstreams in their own process: the loopback DNS server (delegating the bench domains to Cloudflare,
 * GoDaddy and Namecheap name servers) and the three provider fakes from test/fakes/, each seeded with the realistic
 * zone. Run with an IPC channel (bench/lib/children.ts `forkTs`): it sends `{ type: 'ready', … }` with the
 * addresses, then answers `{ type: 'calls' }` with each fake's call log (method + path or command) and
 * `{ type: 'reset' }` by emptying the logs.
 */
import { startDnsServer, type FakeRecord } from '../test/fakes/dns-server.js';
import { startCloudflareFake } from '../test/fakes/cloudflare-fake.js';
import { startGodaddyFake } from '../test/fakes/godaddy-fake.js';
import { startNamecheapFake } from '../test/fakes/namecheap-fake.js';
import { BENCH_CREDENTIALS, DOMAINS, type UpstreamCalls, type UpstreamReady, type UpstreamRequest } from './lib/upstream-protocol.js';

const delegation = (zone: string, ...hosts: string[]): FakeRecord[] => [
  { name: zone, type: 'SOA', ttl: 3600, data: { mname: `ns1.${zone}`, rname: `hostmaster.${zone}`, serial: 1, minimum: 300 } },
  // One hour, as real registries publish: the detection cache keeps it for the whole run.
  ...hosts.map((data) => ({ name: zone, type: 'NS' as const, ttl: 3600, data })),
];

const dns = await startDnsServer({
  records: [
    ...delegation(DOMAINS.cloudflare, 'ada.ns.cloudflare.com', 'bob.ns.cloudflare.com'),
    ...delegation(DOMAINS.detectGodaddy, 'ns51.domaincontrol.com', 'ns52.domaincontrol.com'),
    ...delegation(DOMAINS.detectNamecheap, 'dns1.registrar-servers.com', 'dns2.registrar-servers.com'),
  ],
});
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
    void Promise.all([dns.close(), cloudflare.close(), godaddy.close(), namecheap.close()]).then(() => process.exit(0));
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
};
process.send!(ready);
