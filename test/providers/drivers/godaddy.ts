/** GoDaddy's conformance driver, over test/fakes/godaddy-fake.ts (facts: ../shared/reference/providers.md §2). */
import type { GodaddyRecord } from '../../../providers/godaddy.js';
import { GODADDY_FAKE_ACCOUNTS, startGodaddyFake, type GodaddyFake, type GodaddyFault } from '../../fakes/godaddy-fake.js';
import { SECRETS } from '../../helpers/world.js';
import { absolute, APEX, quoteStrings, relative, unquote, withPriority, type ConformanceDriver, type ConformanceFault } from '../driver.js';

export function godaddyDriver(): ConformanceDriver {
  let fake: GodaddyFake;
  let initial: GodaddyRecord[] = [];
  const times = (n: number | 'always' | undefined) => (n === 'always' ? 1000 : (n ?? 1));
  return {
    id: 'godaddy',
    nameservers: ['ns51.domaincontrol.com', 'ns52.domaincontrol.com'],
    credentials: { apiKey: SECRETS.godaddyKey, apiSecret: SECRETS.godaddySecret },
    refused: [
      { label: 'a wrong secret', credentials: { apiKey: SECRETS.godaddyKey, apiSecret: 'gds_WRONGsecret_0000' }, reason: 'GoDaddy: invalid API key or secret' },
      {
        label: 'an account without API access (ACCESS_DENIED)',
        credentials: { apiKey: GODADDY_FAKE_ACCOUNTS.denied.key, apiSecret: GODADDY_FAKE_ACCOUNTS.denied.secret },
        reason: 'GoDaddy: account not eligible for API access',
      },
    ],
    faults: true,
    async start() {
      fake = await startGodaddyFake();
      initial = fake.snapshot(APEX);
      return { GODADDY_API_URL: fake.baseUrl };
    },
    stop: () => fake.close(),
    async reset() {
      fake.state.zones.set(APEX, structuredClone(initial));
      fake.clearFaults();
    },
    snapshot: async () => fake.snapshot(APEX),
    neutral(wire) {
      const r = wire as GodaddyRecord;
      const content = r.type === 'SRV' ? `${r.weight} ${r.port} ${r.data}` : r.type === 'TXT' ? unquote(r.data) : r.data;
      return withPriority({ type: r.type, name: absolute(r.name), content, ttl: r.ttl ?? 3600 }, r.priority);
    },
    comparable: (wire) => wire,
    async add(record) {
      fake.state.zones.get(APEX)!.push({ type: record.type, name: relative(record.name), data: record.content, ttl: record.ttl });
    },
    // GoDaddy keeps a TXT data as entered; the gateway writes it bare, a customer may have typed quotes (§2).
    txtAsEntered: (strings, style) => (style === 'plain' ? quoteStrings([strings.join('')]) : quoteStrings(strings)),
    async seedRawTxt(name, content, wire) {
      const holds = () => fake.state.zones.get(APEX)!.find((r) => r.type === 'TXT' && absolute(r.name) === name && unquote(r.data) === content);
      if (!holds()) await this.add({ type: 'TXT', name, content, ttl: 3600 });
      Object.assign(holds()!, { data: wire as string });
    },
    calls: () => ({ total: fake.calls.length, writes: fake.calls.filter((c) => c.method !== 'GET').length }),
    fault(fault: ConformanceFault) {
      if (fault.kind === 'echo-credentials') return fake.failNext({ kind: 'echo_credentials', status: 403 });
      // The zone read is `GET …/records`; every write of a plan is an rrset PUT (DELETE only when one ends empty).
      const where = fault.on === 'read' ? { method: 'GET', pathIncludes: '/records' } : { method: 'PUT' };
      const n = 'times' in fault ? times(fault.times) : 1;
      const failure: GodaddyFault =
        fault.kind === 'server-error' ? { status: 500, times: n, ...where }
        : fault.kind === 'rate-limited' ? { status: 429, retryAfterSec: fault.retryAfterSeconds, ...where }
        : fault.kind === 'hang' ? { kind: 'hang', times: n, ...where }
        : fault.kind === 'reset' ? { kind: 'reset', ...where }
        : fault.kind === 'malformed' ? { kind: 'malformed', ...where }
        : { kind: 'truncated', ...where };
      fake.failNext(failure);
    },
    clearFaults: () => fake.clearFaults(),
    beforeNextWrite: (action) => fake.beforeNextWrite(action),
  };
}
