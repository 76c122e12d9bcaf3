/** Namecheap's conformance driver, over test/fakes/namecheap-fake.ts (facts: ../shared/reference/providers.md §3). */
import { startNamecheapFake, type FakeFailure, type FakeHost, type FakeZone, type NamecheapFake } from '../../fakes/namecheap-fake.js';
import { NAMECHEAP_WHITELISTED_IP, SECRETS } from '../../helpers/world.js';
import { absolute, APEX, canonicalTxt, relative, withPriority, type ConformanceDriver, type ConformanceFault } from '../driver.js';

/** An address the fake has not whitelisted (providers.md §3 trap 5). */
const UNLISTED_IP = '203.0.113.77';
const IIS_500 = '<html><body>500 - Internal server error.</body></html>';

export function namecheapDriver(): ConformanceDriver {
  let fake: NamecheapFake;
  let initial: FakeZone | undefined;
  const zone = () => fake.state.zones.get(APEX)!;
  const credentials = { apiKey: SECRETS.namecheapKey, apiUser: SECRETS.namecheapUser, username: SECRETS.namecheapUser };
  return {
    id: 'namecheap',
    nameservers: ['dns1.registrar-servers.com', 'dns2.registrar-servers.com'],
    credentials,
    refused: [
      {
        label: 'a wrong API key',
        credentials: { ...credentials, apiKey: 'ncWRONGsecret0123456789abcdef' },
        reason: 'Namecheap: the API key is invalid or API access has not been enabled',
      },
      {
        label: 'good credentials from an IP that is not whitelisted',
        credentials,
        reason: "Namecheap: this server's IP address is not whitelisted for API access",
        env: { NAMECHEAP_CLIENT_IP: UNLISTED_IP },
      },
    ],
    faults: true,
    async start() {
      fake = await startNamecheapFake({ apiKey: SECRETS.namecheapKey, apiUser: SECRETS.namecheapUser, whitelistedIps: [NAMECHEAP_WHITELISTED_IP] });
      initial = structuredClone(zone());
      return { NAMECHEAP_API_URL: fake.baseUrl, NAMECHEAP_CLIENT_IP: NAMECHEAP_WHITELISTED_IP };
    },
    stop: () => fake.close(),
    async reset() {
      fake.state.zones.set(APEX, structuredClone(initial!));
      fake.clearFaults();
    },
    snapshot: async () => structuredClone(zone().hosts),
    neutral(wire) {
      const h = wire as FakeHost;
      const content = ['CNAME', 'MX', 'NS'].includes(h.Type) ? h.Address.toLowerCase().replace(/\.$/, '') : h.Address;
      return withPriority({ type: h.Type, name: absolute(h.Name), content, ttl: Number(h.TTL) }, h.Type === 'MX' ? Number(h.MXPref) : undefined);
    },
    // setHosts re-creates every host, so HostIds renumber: the only field a correct write may change (setHosts doc).
    comparable: (wire) => {
      const { HostId: _renumbered, ...rest } = wire as FakeHost;
      return rest;
    },
    ...canonicalTxt,
    async add(record) {
      zone().hosts.push({
        HostId: String(90_000 + zone().hosts.length), Name: relative(record.name), Type: record.type, Address: record.content,
        MXPref: String(record.priority ?? 10), TTL: String(record.ttl), AssociatedAppTitle: '', FriendlyName: '', IsActive: 'true', IsDDNSEnabled: 'false',
      });
    },
    calls: () => ({
      total: fake.calls.length,
      writes: fake.calls.filter((c) => c.command === 'namecheap.domains.dns.sethosts').length,
    }),
    fault(fault: ConformanceFault) {
      if (fault.kind === 'echo-credentials') return fake.failNext({ kind: 'echo_credentials' });
      const command = fault.on === 'read' ? 'namecheap.domains.dns.getHosts' : 'namecheap.domains.dns.setHosts';
      const n = 'times' in fault ? (fault.times === 'always' ? 1000 : (fault.times ?? 1)) : 1;
      // Rate limit is HTTP 405 without Retry-After (dnscontrol namecheapProvider.go doWithRetry).
      const failure: FakeFailure =
        fault.kind === 'server-error' ? { kind: 'http', status: 500, body: IIS_500 }
        : fault.kind === 'rate-limited' ? { kind: 'rate_limit' }
        : fault.kind === 'hang' ? { kind: 'hang' }
        : fault.kind === 'reset' ? { kind: 'reset' }
        : fault.kind === 'malformed' ? { kind: 'malformed' }
        : { kind: 'truncated' };
      fake.failNext(failure, n, { command });
    },
    clearFaults: () => fake.clearFaults(),
    beforeNextWrite: (action) => fake.beforeNextWrite(action),
  };
}
