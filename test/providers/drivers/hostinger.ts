/**
 * The conformance driver for Hostinger over its loopback fake (test/fakes/hostinger-fake.ts). Hostinger holds rrsets
 * (one TTL, several `content`s); the suite compares records, so the wire form here is one item per record of an rrset,
 * in the fake's order: `{name, type, ttl, content, is_disabled}` (facts: ../shared/reference/providers-registrars.md §7).
 */
import { neutralValue } from '../../../providers/hostinger.js';
import { HOSTINGER_FAKE_ACCOUNTS, hostingerContent, startHostingerFake, type HostingerFake, type HostingerFakeRrset, type HostingerFault } from '../../fakes/hostinger-fake.js';
import { absolute, APEX, quoteStrings, relative, unquote, withPriority, type ConformanceDriver, type ConformanceFault } from '../driver.js';

/** One record of an rrset, with the rrset's name, type and TTL. */
export interface HostingerWireValue {
  readonly name: string;
  readonly type: string;
  readonly ttl: number;
  readonly content: string;
  readonly is_disabled: boolean;
}

export function hostingerDriver(): ConformanceDriver {
  let fake: HostingerFake | undefined;
  let initial: HostingerFakeRrset[] = [];
  const running = (): HostingerFake => {
    if (!fake) throw new Error('the Hostinger fake is not running');
    return fake;
  };

  return {
    id: 'hostinger',
    // Hostinger's name servers are ns1/ns2.dns-parking.com (src/detection/nameserver-patterns.ts).
    nameservers: ['ns1.dns-parking.com', 'ns2.dns-parking.com'],
    credentials: { apiKey: HOSTINGER_FAKE_ACCOUNTS.good.token },
    refused: [
      { label: 'an unknown or revoked API token (401)', credentials: { apiKey: 'hst_0000000000000000000000000000000000' }, reason: 'Hostinger: invalid or revoked API token' },
      {
        label: "a token of an account whose portfolio does not hold the domain (an empty zone read)",
        credentials: { apiKey: HOSTINGER_FAKE_ACCOUNTS.other.token },
        reason: 'Hostinger: domain not found in this account (its DNS zone is empty or not reachable with this token)',
      },
    ],
    faults: true,

    async start() {
      fake = await startHostingerFake();
      initial = fake.snapshot(APEX);
      return { HOSTINGER_API_URL: fake.baseUrl };
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
        .flatMap((r) => r.records.map((record): HostingerWireValue => ({ name: r.name, type: r.type, ttl: r.ttl, content: record.content, is_disabled: record.is_disabled }))),
    neutral(wire) {
      const w = wire as HostingerWireValue;
      const { content, priority } = neutralValue(w.type, w.content, APEX);
      return withPriority({ type: w.type, name: absolute(w.name), content, ttl: w.ttl }, priority);
    },
    // No ids, and nothing a correct write may change in a record it does not name.
    comparable: (wire) => wire,
    async add(record) {
      const name = relative(record.name);
      const rrsets = running().state.zones.get(APEX)!;
      const found = rrsets.find((r) => r.name === name && r.type === record.type);
      // An rrset has one TTL: a record added by hand to an existing rrset takes it.
      if (found) found.records.push({ content: hostingerContent(record), is_disabled: false });
      else rrsets.push({ name, type: record.type, ttl: record.ttl, records: [{ content: hostingerContent(record), is_disabled: false }] });
    },
    // A quoted content is kept as entered, in its strings; an unquoted one is stored quoted whole, as the gateway writes
    // it (§7 wire format [infer]): the customer's own spelling is their split.
    txtAsEntered: (strings) => quoteStrings(strings),
    async seedRawTxt(name, content, wire) {
      const holds = () => running().state.zones.get(APEX)!.find((r) => r.name === relative(name) && r.type === 'TXT' && r.records.some((v) => unquote(v.content) === content));
      if (!holds()) await this.add({ type: 'TXT', name, content, ttl: 3600 });
      Object.assign(holds()!.records.find((v) => unquote(v.content) === content)!, { content: wire as string });
    },
    calls: () => ({ total: running().calls.length, writes: running().calls.filter((c) => c.method !== 'GET').length }),
    fault(fault) {
      running().failNext(toHostingerFault(fault));
    },
    clearFaults() {
      running().clearFaults();
    },
    beforeNextWrite(action) {
      running().beforeNextWrite(action);
    },
    checkWritten(wire) {
      const w = wire as HostingerWireValue;
      // A CNAME target written without its trailing dot is stored under the zone by the fake, so its neutral content no
      // longer equals the plan's: the suite's comparison of the zone catches it.
      if (w.type === 'TXT' && !w.content.startsWith('"')) return `TXT ${w.name} is not in Hostinger's quoted form`;
      if (w.is_disabled) return `${w.type} ${w.name} is disabled`;
      return undefined;
    },
  };
}

function toHostingerFault(fault: ConformanceFault): HostingerFault {
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
