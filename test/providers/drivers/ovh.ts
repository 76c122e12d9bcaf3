/** OVHcloud's conformance driver, over test/fakes/ovh-fake.ts (facts: ../shared/reference/providers-registrars.md §2). */
import type { OvhRecord } from '../../../providers/ovh.js';
import { OVH_FAKE, startOvhFake, toOvhWire, type OvhFake, type OvhFault } from '../../fakes/ovh-fake.js';
import { absolute, APEX, canonicalTxt, unquote, withPriority, type ConformanceDriver, type ConformanceFault, type Credentials, type Neutral } from '../driver.js';

/** No `Username`: the region defaults to ovh-eu, and OVH_API_URL points the adapter at the fake. */
const GOOD: Credentials = { apiKey: OVH_FAKE.app.key, apiSecret: OVH_FAKE.app.secret, apiUser: OVH_FAKE.consumer };

const NATIVE_TXT = new Set(['SPF', 'DKIM', 'DMARC']);
const host = (target: string) => target.replace(/\.$/, '').toLowerCase();

/** The fake's wire record in the suite's neutral form, read independently of the adapter. */
export function ovhNeutral(wire: unknown): Neutral {
  const r = wire as OvhRecord;
  const name = absolute(r.subDomain);
  const ttl = r.ttl === 0 ? 3600 : r.ttl;
  if (NATIVE_TXT.has(r.fieldType) || r.fieldType === 'TXT') return { type: 'TXT', name, content: unquote(r.target), ttl };
  if (r.fieldType === 'CNAME' || r.fieldType === 'NS') return { type: r.fieldType, name, content: host(r.target), ttl };
  if (r.fieldType === 'MX') {
    const [priority, target] = r.target.split(' ');
    return withPriority({ type: 'MX', name, content: host(target ?? ''), ttl }, Number(priority));
  }
  if (r.fieldType === 'SRV') {
    const [priority, weight, port, target] = r.target.split(' ');
    return withPriority({ type: 'SRV', name, content: `${weight} ${port} ${host(target ?? '')}`, ttl }, Number(priority));
  }
  return { type: r.fieldType, name, content: r.target, ttl };
}

export function ovhDriver(): ConformanceDriver {
  let fake: OvhFake;
  let initial: OvhRecord[] = [];
  const zone = () => fake.state.zones.get(APEX)!;
  return {
    id: 'ovh',
    // nameserver-patterns.ts matches `ovh.net` (test/detection.test.ts uses this pair).
    nameservers: ['dns10.ovh.net', 'ns10.ovh.net'],
    credentials: GOOD,
    refused: [
      {
        label: 'a wrong application secret (400 Invalid signature)',
        credentials: { ...GOOD, apiSecret: 'Wr0ngS3cr3tW1thTh1rtyTw0Ch4rs00' },
        reason: 'OVHcloud: invalid signature: the application secret does not belong to this application key',
      },
      {
        label: 'an unknown application key',
        credentials: { ...GOOD, apiKey: 'Unkn0wnAppK3y000' },
        reason: 'OVHcloud: invalid application key',
      },
      {
        label: 'a consumer key never validated',
        credentials: { ...GOOD, apiUser: OVH_FAKE.pending },
        reason: 'OVHcloud: unknown consumer key, or one not validated for this application key',
      },
      {
        label: 'an expired consumer key',
        credentials: { ...GOOD, apiUser: OVH_FAKE.expired },
        reason: 'OVHcloud: the consumer key is no longer valid (revoked or expired)',
      },
      {
        label: 'a consumer key granted another zone only',
        credentials: { ...GOOD, apiUser: OVH_FAKE.otherZone },
        reason: 'OVHcloud: the consumer key is not granted this call: its rules must allow GET, POST, PUT and DELETE on /domain/zone/*',
      },
      {
        label: 'an account without this zone',
        credentials: { ...GOOD, apiUser: OVH_FAKE.stranger },
        reason: 'OVHcloud: no DNS zone for this domain in this account',
      },
      {
        label: 'an unknown region',
        credentials: { ...GOOD, username: 'eu.api.ovh.com' },
        reason: 'OVHcloud: unknown region: Username must be ovh-eu, ovh-ca or ovh-us (empty means ovh-eu)',
      },
    ],
    faults: true,
    async start() {
      fake = await startOvhFake();
      initial = fake.snapshot(APEX);
      return { OVH_API_URL: fake.baseUrl };
    },
    stop: () => fake.close(),
    async reset() {
      const z = zone();
      z.records = structuredClone(initial);
      z.published = structuredClone(initial);
      fake.clearFaults();
      fake.clearHooks();
    },
    snapshot: async () => fake.snapshot(APEX),
    neutral: ovhNeutral,
    // A record re-created by a revert has a new id; nothing else may differ.
    comparable(wire, purpose) {
      if (purpose !== 'revert') return wire;
      const { id: _id, ...rest } = wire as OvhRecord;
      return rest;
    },
    ...canonicalTxt,
    async add(record) {
      // As the panel adds a plain record (the wire form OVH stores: test/fakes/ovh-fake.ts toOvhWire).
      zone().records.push(toOvhWire(record, APEX, fake.nextId()));
    },
    calls: () => ({
      total: fake.calls.filter((c) => !c.token).length,
      writes: fake.calls.filter((c) => !c.token && c.method !== 'GET').length,
    }),
    fault(fault: ConformanceFault) {
      // `read` = the record list (GET …/record), `write` = a POST, PUT or DELETE of a record (not the refresh).
      fake.failNext(fault as OvhFault);
    },
    clearFaults: () => {
      fake.clearFaults();
      fake.clearHooks();
    },
    beforeNextWrite: (action) => fake.beforeNextWrite(action),
    checkWritten(wire) {
      const r = wire as OvhRecord;
      // TXT as one quoted string (§2: OVH quotes TXT since late 2025, no multi-string); native DKIM/DMARC raw.
      if (r.fieldType === 'TXT' && !/^"[^"]*"$/.test(r.target)) return `the TXT target at '${r.subDomain}' is not one quoted string: ${r.target}`;
      if ((r.fieldType === 'DKIM' || r.fieldType === 'DMARC') && r.target.includes('"')) return `the ${r.fieldType} target at '${r.subDomain}' was quoted`;
      if ((r.fieldType === 'CNAME' || r.fieldType === 'NS') && !r.target.endsWith('.')) return `the ${r.fieldType} target at '${r.subDomain}' is relative: ${r.target}`;
      // Everything written is published: the plan ended with a refresh.
      const served = fake.published(APEX).some((p) => p.id === r.id && JSON.stringify(p) === JSON.stringify(r));
      if (!served) return `the ${r.fieldType} record at '${r.subDomain}' is stored but not published (no refresh after the write)`;
      return undefined;
    },
  };
}
