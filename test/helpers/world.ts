/**
 * A small world for end-to-end tests: a loopback DNS server delegating test domains to real provider name servers,
 * the three provider fakes, and a gateway wired to all of them.
 */
import { startDnsServer, type FakeDnsServer, type FakeRecord } from '../fakes/dns-server.js';
import { startCloudflareFake, type CloudflareFake } from '../fakes/cloudflare-fake.js';
import { GODADDY_FAKE_ACCOUNTS, startGodaddyFake, type GodaddyFake } from '../fakes/godaddy-fake.js';
import { startNamecheapFake, type NamecheapFake } from '../fakes/namecheap-fake.js';
import { startGateway, type Gateway } from './gateway.js';

/** Credentials the fakes accept. Distinctive, so a scan of replies and logs can look for them. */
export const SECRETS = {
  cloudflareToken: 'cfTOKENsecret0123456789abcdefghijklmnopq',
  cloudflareReadOnly: 'cfREADONLYsecret0123456789abcdefghijklm',
  godaddyKey: GODADDY_FAKE_ACCOUNTS.good.key,
  godaddySecret: GODADDY_FAKE_ACCOUNTS.good.secret,
  godaddyDeniedKey: GODADDY_FAKE_ACCOUNTS.denied.key,
  godaddyDeniedSecret: GODADDY_FAKE_ACCOUNTS.denied.secret,
  namecheapKey: 'ncKEYsecret0123456789abcdef',
  namecheapUser: 'acmeuser',
} as const;

/** The address the Namecheap fake has whitelisted, given to the gateway as NAMECHEAP_CLIENT_IP. */
export const NAMECHEAP_WHITELISTED_IP = '198.51.100.1';

const soa = (zone: string): FakeRecord => ({
  name: zone,
  type: 'SOA',
  ttl: 3600,
  data: { mname: `ns1.${zone}`, rname: `hostmaster.${zone}`, serial: 1, minimum: 300 },
});

const ns = (zone: string, ...hosts: string[]): FakeRecord[] => hosts.map((data) => ({ name: zone, type: 'NS' as const, ttl: 3600, data }));

/** Delegations the detection tests rely on. */
export const DELEGATIONS: FakeRecord[] = [
  soa('example.com'),
  ...ns('example.com', 'ada.ns.cloudflare.com', 'bob.ns.cloudflare.com'),
  soa('godaddy-customer.com'),
  ...ns('godaddy-customer.com', 'ns51.domaincontrol.com', 'ns52.domaincontrol.com'),
  soa('namecheap-customer.com'),
  ...ns('namecheap-customer.com', 'dns1.registrar-servers.com', 'dns2.registrar-servers.com'),
  soa('example.co.uk'),
  ...ns('example.co.uk', 'ns-1234.awsdns-12.org', 'ns-99.awsdns-01.com'),
  soa('obscure-host.com'),
  ...ns('obscure-host.com', 'ns1.tiny-dns-company.net', 'ns2.tiny-dns-company.net'),
];

export interface World {
  readonly dns: FakeDnsServer;
  readonly cloudflare: CloudflareFake;
  readonly godaddy: GodaddyFake;
  readonly namecheap: NamecheapFake;
  readonly gateway: Gateway;
  close(): Promise<void>;
}

export async function startWorld(env: Record<string, string> = {}): Promise<World> {
  const dns = await startDnsServer({ records: DELEGATIONS });
  const cloudflare = await startCloudflareFake({
    tokens: {
      [SECRETS.cloudflareToken]: {},
      [SECRETS.cloudflareReadOnly]: { permissions: ['zone:read', 'dns:read'] },
    },
  });
  const godaddy = await startGodaddyFake();
  const namecheap = await startNamecheapFake({ apiKey: SECRETS.namecheapKey, apiUser: SECRETS.namecheapUser, whitelistedIps: [NAMECHEAP_WHITELISTED_IP] });
  const gateway = await startGateway({
    DNS_RESOLVERS: dns.address,
    CLOUDFLARE_API_URL: cloudflare.baseUrl,
    GODADDY_API_URL: godaddy.baseUrl,
    NAMECHEAP_API_URL: namecheap.baseUrl,
    NAMECHEAP_CLIENT_IP: NAMECHEAP_WHITELISTED_IP,
    ...env,
  });
  return {
    dns,
    cloudflare,
    godaddy,
    namecheap,
    gateway,
    async close() {
      await gateway.close();
      await Promise.all([dns.close(), cloudflare.close(), godaddy.close(), namecheap.close()]);
    },
  };
}
