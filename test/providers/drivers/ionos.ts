/**
 * The conformance driver for IONOS over its loopback fake (test/fakes/ionos-fake.ts), seeded with the whole shared
 * zone (IONOS holds every seed type: ionos-spec `recordTypes`, ../shared/reference/providers-registrars.md §1).
 */
import type { IonosRecord } from '../../../providers/ionos.js';
import { IONOS_FAKE_ACCOUNTS, ionosTxt, startIonosFake, type IonosFake, type IonosFault } from '../../fakes/ionos-fake.js';
import { APEX, canonicalTxt, unquote, withPriority, type ConformanceDriver, type ConformanceFault } from '../driver.js';

/** Shaped like a real key (32-hex prefix, dot, secret) so it reaches IONOS, which refuses it. */
const WRONG_KEY = 'c0ffee00d15ea5e0123456789abcdef0.WRONGsecretWRONGsecretWRONGsecret1234';

export function ionosDriver(): ConformanceDriver {
  let fake: IonosFake | undefined;
  let initial: IonosRecord[] = [];
  const running = (): IonosFake => {
    if (!fake) throw new Error('the IONOS fake is not running');
    return fake;
  };
  const zone = () => running().state.zones.get(APEX)!;

  return {
    id: 'ionos',
    // IONOS's name servers are nsNNNN.ui-dns.{com,org,de,biz} (src/detection/nameserver-patterns.ts).
    nameservers: ['ns1045.ui-dns.com', 'ns1105.ui-dns.de'],
    credentials: { apiKey: IONOS_FAKE_ACCOUNTS.good.key },
    refused: [
      { label: 'an unknown API key (401 UNAUTHORIZED)', credentials: { apiKey: WRONG_KEY }, reason: 'IONOS: invalid API key (unknown, revoked, or not prefix.secret)' },
      { label: 'a key whose account does not hold the zone', credentials: { apiKey: IONOS_FAKE_ACCOUNTS.other.key }, reason: 'IONOS: zone not found in this account' },
      { label: 'a key that is not prefix.secret', credentials: { apiKey: 'c0ffee00d15ea5e0123456789abcdef0' }, reason: 'IONOS: the API key must be given as prefix.secret' },
    ],
    faults: true,

    async start() {
      fake = await startIonosFake();
      initial = fake.snapshot(APEX);
      return { IONOS_API_URL: fake.baseUrl };
    },
    async stop() {
      await fake?.close();
      fake = undefined;
    },
    async reset() {
      zone().records = structuredClone(initial);
      running().clearFaults();
    },
    snapshot: async () => running().snapshot(APEX),
    neutral(wire) {
      const r = wire as IonosRecord;
      const type = r.type.toUpperCase();
      const content = type === 'TXT' ? unquote(r.content) : ['CNAME', 'MX', 'NS'].includes(type) ? r.content.toLowerCase().replace(/\.$/, '') : r.content;
      return withPriority({ type, name: r.name, content, ttl: r.ttl }, type === 'MX' || type === 'SRV' ? (r.prio ?? 0) : undefined);
    },
    comparable(wire, purpose = 'apply') {
      if (purpose === 'apply') return wire;
      // A re-created record gets a new id and change date from IONOS.
      const { id: _id, changeDate: _changed, ...rest } = wire as IonosRecord;
      return rest;
    },
    ...canonicalTxt,
    async add(record) {
      const type = record.type.toUpperCase();
      zone().records.push({
        id: crypto.randomUUID(),
        name: record.name,
        rootName: APEX,
        type,
        content: type === 'TXT' ? ionosTxt(record.content) : record.content,
        changeDate: '2025-02-01T00:00:00.000Z',
        ttl: record.ttl,
        prio: record.priority ?? 0,
        disabled: false,
      });
    },
    calls: () => ({ total: running().calls.length, writes: running().calls.filter((c) => c.method !== 'GET').length }),
    fault(fault) {
      running().failNext(toIonosFault(fault));
    },
    clearFaults() {
      running().clearFaults();
    },
    beforeNextWrite(action) {
      running().beforeNextWrite(action);
    },
  };
}

function toIonosFault(fault: ConformanceFault): IonosFault {
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
