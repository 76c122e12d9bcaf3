/**
 * The conformance driver for Gandi LiveDNS over its loopback fake (test/fakes/gandi-fake.ts). LiveDNS holds rrsets
 * (one TTL, several values); the suite compares records, so the wire form here is one item per value of an rrset, in
 * the fake's order: `{rrset_name, rrset_type, rrset_ttl, value}` (facts: ../shared/reference/providers-registrars.md §4).
 */
import { neutralValue, type GandiRrset } from '../../../providers/gandi.js';
import { GANDI_FAKE_TOKENS, gandiValue, startGandiFake, type GandiFake, type GandiFault } from '../../fakes/gandi-fake.js';
import { absolute, APEX, quoteStrings, relative, unquote, withPriority, type ConformanceDriver, type ConformanceFault } from '../driver.js';

/** One value of an rrset, with the rrset's name, type and TTL. */
export interface GandiWireValue {
  readonly rrset_name: string;
  readonly rrset_type: string;
  readonly rrset_ttl: number;
  readonly value: string;
}

export function gandiDriver(): ConformanceDriver {
  let fake: GandiFake | undefined;
  let initial: GandiRrset[] = [];
  const running = (): GandiFake => {
    if (!fake) throw new Error('the Gandi fake is not running');
    return fake;
  };
  const zone = () => running().state.zones.get(APEX)!;

  return {
    id: 'gandi',
    // LiveDNS name servers are ns-NNN-{a,b,c}.gandi.net (src/detection/nameserver-patterns.ts).
    nameservers: ['ns-197-a.gandi.net', 'ns-20-b.gandi.net'],
    credentials: { apiKey: GANDI_FAKE_TOKENS.good.token },
    refused: [
      { label: 'an unknown or expired token (401)', credentials: { apiKey: 'pat_ffffffffffffffffffffffffffffffffffffffff' }, reason: 'Gandi: invalid or expired personal access token' },
      {
        label: "a token of an organisation that does not hold the domain (403)",
        credentials: { apiKey: GANDI_FAKE_TOKENS.other.token },
        reason: "Gandi: the token has no access to this domain's DNS (its organisation or permissions)",
      },
    ],
    faults: true,

    async start() {
      fake = await startGandiFake();
      initial = fake.snapshot(APEX);
      return { GANDI_API_URL: fake.baseUrl };
    },
    async stop() {
      await fake?.close();
      fake = undefined;
    },
    async reset() {
      running().state.zones.set(APEX, structuredClone(initial));
      running().clearFaults();
    },
    snapshot: async () =>
      running()
        .snapshot(APEX)
        .flatMap((r) => r.rrset_values.map((value): GandiWireValue => ({ rrset_name: r.rrset_name, rrset_type: r.rrset_type, rrset_ttl: r.rrset_ttl, value }))),
    neutral(wire) {
      const w = wire as GandiWireValue;
      const { content, priority } = neutralValue(w.rrset_type, w.value, APEX);
      return withPriority({ type: w.rrset_type, name: absolute(w.rrset_name), content, ttl: w.rrset_ttl }, priority);
    },
    // No ids and nothing a correct write may change in a value it does not name.
    comparable: (wire) => wire,
    async add(record) {
      const name = relative(record.name);
      const rrsets = zone();
      const found = rrsets.find((r) => r.rrset_name === name && r.rrset_type === record.type);
      // An rrset has one TTL: a value added by hand to an existing rrset takes it.
      if (found) (found.rrset_values as string[]).push(gandiValue(record));
      else rrsets.push({ rrset_name: name, rrset_type: record.type, rrset_ttl: Math.max(300, record.ttl), rrset_values: [gandiValue(record)] });
    },
    // A quoted value is kept as entered, in its strings; an unquoted one is stored quoted whole, as the gateway writes
    // it (§4 wire format): the customer's own spelling is their split.
    txtAsEntered: (strings) => quoteStrings(strings),
    async seedRawTxt(name, content, wire) {
      const holds = () => zone().find((r) => r.rrset_name === relative(name) && r.rrset_type === 'TXT' && r.rrset_values.some((v) => unquote(v) === content));
      if (!holds()) await this.add({ type: 'TXT', name, content, ttl: 3600 });
      const rrset = holds()!;
      Object.assign(rrset, { rrset_values: rrset.rrset_values.map((v) => (unquote(v) === content ? (wire as string) : v)) });
    },
    calls: () => ({ total: running().calls.length, writes: running().calls.filter((c) => c.method !== 'GET').length }),
    fault(fault) {
      running().failNext(toGandiFault(fault));
    },
    clearFaults() {
      running().clearFaults();
    },
    beforeNextWrite(action) {
      running().beforeNextWrite(action);
    },
    checkWritten(wire) {
      const w = wire as GandiWireValue;
      // A target written without its trailing dot is relative to the zone (§4 trap 2).
      if (['CNAME', 'MX', 'NS', 'SRV'].includes(w.rrset_type) && !w.value.endsWith('.')) return `${w.rrset_type} ${w.rrset_name} target ${w.value} has no trailing dot`;
      if (w.rrset_type === 'TXT' && !w.value.startsWith('"')) return `TXT ${w.rrset_name} was written unquoted`;
      return undefined;
    },
  };
}

function toGandiFault(fault: ConformanceFault): GandiFault {
  switch (fault.kind) {
    case 'server-error':
      return { kind: 'status', status: 500, on: fault.on, times: fault.times ?? 1 };
    case 'rate-limited':
      return { kind: 'status', status: 429, retryAfter: fault.retryAfterSeconds, on: fault.on };
    case 'hang':
      return { kind: 'hang', on: fault.on, times: fault.times ?? 1 };
    case 'reset':
      return { kind: 'reset', on: fault.on };
    case 'malformed':
      return { kind: 'malformed', on: 'read' };
    case 'lost-reply':
      return { kind: 'lost-reply', on: 'write' };
    case 'echo-credentials':
      return { kind: 'echo-credentials' };
  }
}
