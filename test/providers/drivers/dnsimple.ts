/** DNSimple's conformance driver, over test/fakes/dnsimple-fake.ts (facts: ../shared/reference/providers-registrars.md §5). */
import { SEED_APEX } from '../../fakes/seed-zone.js';
import { DNSIMPLE_FAKE_TOKENS, startDnsimpleFake, type DnsimpleFake, type DnsimpleWireRecord } from '../../fakes/dnsimple-fake.js';
import { absolute, quoteStrings, unquote, withPriority, type ConformanceDriver } from '../driver.js';

const HOST_TARGETS = new Set(['CNAME', 'MX', 'NS', 'ALIAS', 'PTR']);

export function dnsimpleDriver(): ConformanceDriver {
  let fake: DnsimpleFake | undefined;
  let initial: DnsimpleWireRecord[] = [];
  const running = (): DnsimpleFake => {
    if (!fake) throw new Error('the DNSimple fake is not running');
    return fake;
  };
  return {
    id: 'dnsimple',
    // DNSimple's name servers (dnscontrol providers/dnsimple `defaultNameServerNames`; dnsimple-edge.net, §5 detection).
    nameservers: ['ns1.dnsimple.com', 'ns2.dnsimple-edge.net'],
    credentials: { apiKey: DNSIMPLE_FAKE_TOKENS.account },
    refused: [
      { label: 'a wrong API access token', credentials: { apiKey: 'dnsimpleWRONGtoken0123456789abcdefghXYZ' }, reason: 'DNSimple: invalid API access token' },
      {
        label: "a valid token of an account that does not hold the zone",
        credentials: { apiKey: DNSIMPLE_FAKE_TOKENS.otherAccount },
        reason: 'DNSimple: zone not found in this account',
      },
    ],
    faults: true,
    async start() {
      fake = await startDnsimpleFake();
      initial = fake.snapshot(SEED_APEX);
      return { DNSIMPLE_API_URL: fake.baseUrl };
    },
    async stop() {
      await fake?.close();
      fake = undefined;
    },
    async reset() {
      const f = running();
      f.state.zones.set(SEED_APEX, structuredClone(initial));
      f.clearFaults();
    },
    snapshot: async () => running().snapshot(SEED_APEX),
    neutral(wire) {
      const r = wire as DnsimpleWireRecord;
      const type = r.type.toUpperCase();
      const content = type === 'TXT' ? unquote(r.content) : HOST_TARGETS.has(type) || type === 'SRV' ? r.content.replace(/\.$/, '') : r.content;
      const priority = type === 'MX' || type === 'SRV' ? (r.priority ?? 0) : undefined;
      return withPriority({ type, name: absolute(r.name), content, ttl: r.ttl }, priority);
    },
    comparable(wire, purpose) {
      // `updated_at` moves with every correct PATCH; a re-created record also gets a new id and `created_at`.
      const { updated_at: _updated, ...rest } = wire as DnsimpleWireRecord;
      if (purpose !== 'revert') return rest;
      const { id: _id, created_at: _created, ...kept } = rest;
      return kept;
    },
    async add(record) {
      running().add(record, SEED_APEX);
    },
    // Quoted content is kept as entered; plain content is serialized as the gateway writes it (§5): the customer's
    // own spelling is quoted strings split where they liked, with a space between them.
    txtAsEntered: (strings) => quoteStrings(strings),
    async seedRawTxt(name, content, wire) {
      const holds = () => running().snapshot(SEED_APEX).find((r) => r.type === 'TXT' && absolute(r.name) === name && unquote(r.content) === content);
      if (!holds()) await this.add({ type: 'TXT', name, content, ttl: 3600 });
      const id = holds()!.id;
      Object.assign(running().state.zones.get(SEED_APEX)!.find((r) => r.id === id)!, { content: wire as string });
    },
    calls() {
      const calls = running().calls;
      return { total: calls.length, writes: calls.filter((c) => c.write).length };
    },
    fault: (fault) => running().failNext(fault),
    clearFaults: () => running().clearFaults(),
    beforeNextWrite: (action) => running().beforeNextWrite(action),
    checkWritten(wire) {
      const r = wire as DnsimpleWireRecord;
      // A TXT goes in DNSimple's serialized form: quoted strings of at most 255 characters with their quotes.
      if (r.type === 'TXT' && !/^(?:"(?:[^"\\]|\\.){0,253}")+$/s.test(r.content)) return `TXT ${r.name} is not stored as quoted strings: ${r.content.slice(0, 60)}`;
      if (r.regions.join(',') !== 'global') return `${r.type} ${r.name} was written with regions ${r.regions.join(',')}`;
      return undefined;
    },
  };
}
