/** Azure DNS's conformance driver, over test/fakes/azure-fake.ts (facts: ../shared/reference/providers-cloud.md §3). */
import type { AzureRecordSet } from '../../../providers/azure.js';
import { AZURE_FAKE, RECORD_PROPS, recordSet, startAzureFake, toAzureValue, type AzureFake, type AzureFault } from '../../fakes/azure-fake.js';
import { absolute, APEX, relative, withPriority, type ConformanceDriver, type ConformanceFault, type Credentials } from '../driver.js';

/**
 * One record of a record set, as the driver shows the fake's zone: Azure's unit is the set (one TTL, one etag, its
 * metadata), so each record carries its set's fields.
 */
export interface AzureWireRecord {
  /** Relative name, `@` for the apex. */
  readonly name: string;
  readonly type: string;
  /** The set's TTL. */
  readonly ttl: number;
  /** The element of the set's records array (dns.json `TxtRecord`, `MxRecord`, …). */
  readonly value: Readonly<Record<string, unknown>>;
  /** Changes on every write of the set, so a set the plan rewrote has a new one. */
  readonly etag: string | undefined;
  /** The set's other properties: metadata, targetResource, fqdn, provisioningState. */
  readonly set: Readonly<Record<string, unknown>>;
}

const GOOD: Credentials = {
  apiKey: AZURE_FAKE.contributor.clientId,
  apiSecret: AZURE_FAKE.contributor.secret,
  apiUser: AZURE_FAKE.tenant,
  username: AZURE_FAKE.subscription,
};

const typeOf = (set: AzureRecordSet) => (set.type.split('/').pop() ?? '').toUpperCase();
const stripDot = (host: string) => host.replace(/\.$/, '');

/** The fake's record sets → one wire record per value, in the fake's order. */
export function flatten(sets: readonly AzureRecordSet[]): AzureWireRecord[] {
  return sets.flatMap((s) => {
    const type = typeOf(s);
    const { prop, single } = RECORD_PROPS[type]!;
    const { TTL, [prop]: values, ...set } = s.properties;
    const list = single ? (values ? [values] : []) : ((values as unknown[] | undefined) ?? []);
    return list.map((value) => ({ name: s.name, type, ttl: TTL as number, value: sorted(value as Record<string, unknown>), etag: s.etag, set: sorted(set) }));
  });
}

/** Keys in one order, so that a record compares equal however the fake or a PUT body ordered its fields. */
function sorted(object: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.keys(object).sort().map((k) => [k, object[k]]));
}

export function azureNeutral(wire: unknown) {
  const r = wire as AzureWireRecord;
  const v = r.value;
  const name = absolute(r.name);
  const at = (content: string, priority?: number) => withPriority({ type: r.type, name, content, ttl: r.ttl }, priority);
  switch (r.type) {
    case 'A':
      return at(String(v.ipv4Address));
    case 'AAAA':
      return at(String(v.ipv6Address));
    case 'CNAME':
      return at(stripDot(String(v.cname)));
    case 'MX':
      return at(stripDot(String(v.exchange)), Number(v.preference));
    case 'NS':
      return at(stripDot(String(v.nsdname)));
    case 'PTR':
      return at(stripDot(String(v.ptrdname)));
    case 'SRV':
      return at(`${String(v.weight)} ${String(v.port)} ${stripDot(String(v.target))}`, Number(v.priority));
    case 'TXT':
      return at((v.value as string[]).join(''));
    case 'CAA':
      return at(`${String(v.flags)} ${String(v.tag)} "${String(v.value)}"`);
    default:
      return at(JSON.stringify(v));
  }
}

export function azureDriver(): ConformanceDriver {
  let fake: AzureFake;
  let initial: AzureRecordSet[] = [];
  const zone = () => fake.state.zones.find((z) => z.name === APEX)!;
  return {
    id: 'azure',
    // ListZonesBySubscription.json's name servers [doc]; nameserver-patterns.ts matches `azure-dns.(com|net|org|info)`.
    nameservers: ['ns1-01.azure-dns.com', 'ns2-01.azure-dns.net'],
    credentials: GOOD,
    refused: [
      {
        label: 'a wrong client secret (AADSTS7000215)',
        credentials: { ...GOOD, apiSecret: 'Wr0Q~wrongSecretValue0123456789abcdefgh' },
        reason: "Azure DNS: invalid client secret: send the secret's value, not its id (AADSTS7000215)",
      },
      {
        label: 'an expired client secret (AADSTS7000222)',
        credentials: { ...GOOD, apiKey: AZURE_FAKE.expired.clientId, apiSecret: AZURE_FAKE.expired.secret },
        reason: 'Azure DNS: the client secret has expired (AADSTS7000222)',
      },
      {
        label: 'a client id unknown to the tenant (AADSTS700016)',
        credentials: { ...GOOD, apiKey: '0b1c2d3e-4f5a-4b6c-8d7e-9f0a1b2c3d4e' },
        reason: 'Azure DNS: no application with this client id in the tenant (AADSTS700016)',
      },
      {
        label: 'an unknown tenant (AADSTS90002)',
        credentials: { ...GOOD, apiUser: '9e8d7c6b-5a4f-4e3d-8c2b-1a0f9e8d7c6b' },
        reason: 'Azure DNS: tenant not found (AADSTS90002)',
      },
      {
        label: 'a service principal without a role on the subscription (AuthorizationFailed)',
        credentials: { ...GOOD, apiKey: AZURE_FAKE.noRole.clientId, apiSecret: AZURE_FAKE.noRole.secret },
        reason:
          'Azure DNS: the service principal may not perform Microsoft.Network/dnszones/read here (AuthorizationFailed); a role granted in the last few minutes may not apply yet',
      },
      {
        label: 'a subscription that does not exist (SubscriptionNotFound)',
        credentials: { ...GOOD, username: '1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d' },
        reason: 'Azure DNS: the subscription was not found (SubscriptionNotFound)',
      },
    ],
    faults: true,
    async start() {
      fake = await startAzureFake();
      initial = structuredClone(zone().recordSets);
      return { AZURE_API_URL: fake.baseUrl, AZURE_AUTHORITY_URL: fake.authorityUrl };
    },
    stop: () => fake.close(),
    async reset() {
      zone().recordSets = structuredClone(initial);
      fake.clearFaults();
      fake.clearHooks();
    },
    snapshot: async () => structuredClone(flatten(zone().recordSets)),
    neutral: azureNeutral,
    // Every write of a set gives it a new etag, the untouched values of a rewritten set included (dns-zones-records
    // "Etags" [doc]); nothing else may differ.
    comparable(wire) {
      const { etag: _etag, ...rest } = wire as AzureWireRecord;
      return rest;
    },
    async add(record) {
      const z = zone();
      const name = relative(record.name);
      const set = z.recordSets.find((s) => typeOf(s) === record.type && s.name === name);
      const value = toAzureValue(record);
      if (!set) {
        z.recordSets.push(recordSet(z, record.type, name, record.ttl, [value]));
        return;
      }
      // As the portal adds a record to a set: the set's TTL stays, its etag changes.
      const { prop, single } = RECORD_PROPS[record.type]!;
      const properties = set.properties as Record<string, unknown>;
      properties[prop] = single ? value : [...((properties[prop] as unknown[] | undefined) ?? []), value];
      fake.touch(set);
    },
    // A TXT record is an array of raw strings, kept as entered (§3): the customer's own is split otherwise.
    txtAsEntered: (strings) => [...strings],
    async seedRawTxt(name, content, wire) {
      const txt = () => zone().recordSets.find((s) => typeOf(s) === 'TXT' && s.name === relative(name));
      const records = () => ((txt()?.properties as Record<string, unknown> | undefined)?.TXTRecords ?? []) as { value: string[] }[];
      if (!records().some((r) => r.value.join('') === content)) await this.add({ type: 'TXT', name, content, ttl: 3600 });
      records().find((r) => r.value.join('') === content)!.value = wire as string[];
    },
    calls: () => ({
      total: fake.calls.filter((c) => !c.token).length,
      writes: fake.calls.filter((c) => !c.token && c.method !== 'GET').length,
    }),
    fault(fault: ConformanceFault) {
      // `read` = the record-set list, `write` = a PUT or DELETE of a record set (test/fakes/azure-fake.ts targetOf).
      fake.failNext(fault as AzureFault);
    },
    clearFaults: () => {
      fake.clearFaults();
      fake.clearHooks();
    },
    beforeNextWrite: (action) => fake.beforeNextWrite(action),
    checkWritten(wire) {
      const r = wire as AzureWireRecord;
      // Raw chunks of at most 255 bytes, never quoted (§3, §9).
      if (r.type === 'TXT') {
        const chunks = r.value.value as string[];
        if (chunks.some((c) => Buffer.byteLength(c) > 255)) return `a TXT string at ${r.name} is longer than 255 bytes`;
        if (chunks.some((c) => c.startsWith('"'))) return `the TXT value at ${r.name} was written quoted`;
      }
      if (r.type === 'CNAME' && String(r.value.cname).startsWith('"')) return `the CNAME ${r.name} was written quoted`;
      return undefined;
    },
  };
}
