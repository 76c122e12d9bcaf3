/** Cloudflare's conformance driver, over test/fakes/cloudflare-fake.ts (facts: ../shared/reference/providers.md §1). */
import { randomBytes } from 'node:crypto';
import { startCloudflareFake, type CloudflareFake, type FakeFailure, type FakeRecord } from '../../fakes/cloudflare-fake.js';
import { SECRETS } from '../../helpers/world.js';
import { APEX, quoteStrings, unquote, withPriority, type ConformanceDriver, type ConformanceFault } from '../driver.js';

/** Shaped like a real token, so the fake's format check passes and its token check refuses it. */
const WRONG_TOKEN = 'cfWRONGsecret0123456789abcdefghijklmnopq';

export function cloudflareDriver(): ConformanceDriver {
  let fake: CloudflareFake;
  let initial: FakeRecord[] = [];
  const zone = () => [...fake.state.zones.values()].find((z) => z.name === APEX)!;
  // The record list is `/zones/{id}/dns_records`, the batch `/zones/{id}/dns_records/batch` (§1 endpoints): the read
  // comes first in every command, so the first `/dns_records` call after a fault is queued is the read.
  const target = (on: 'read' | 'write') => (on === 'read' ? '/dns_records' : '/batch');
  const times = (n: number | 'always' | undefined) => (n === 'always' ? 1000 : (n ?? 1));
  return {
    id: 'cloudflare',
    nameservers: ['ada.ns.cloudflare.com', 'bob.ns.cloudflare.com'],
    credentials: { apiKey: SECRETS.cloudflareToken },
    refused: [{ label: 'a wrong token', credentials: { apiKey: WRONG_TOKEN }, reason: 'Cloudflare: invalid API token' }],
    faults: true,
    async start() {
      fake = await startCloudflareFake({ tokens: { [SECRETS.cloudflareToken]: {} } });
      initial = structuredClone(zone().records);
      return { CLOUDFLARE_API_URL: fake.baseUrl };
    },
    stop: () => fake.close(),
    async reset() {
      zone().records = structuredClone(initial);
      fake.clearFaults();
    },
    snapshot: async () => fake.records(APEX),
    neutral(wire) {
      const r = wire as FakeRecord;
      return withPriority({ type: r.type, name: r.name, content: r.type === 'TXT' ? unquote(r.content) : r.content, ttl: r.ttl }, r.priority);
    },
    // A re-created record gets a new id and timestamps; everything that makes it what it is stays.
    comparable(wire, purpose) {
      if (purpose !== 'revert') return wire;
      const { id: _id, created_on: _c, modified_on: _m, ...rest } = wire as FakeRecord;
      return rest;
    },
    async add(record) {
      const z = zone();
      const stamp = '2025-01-01T00:00:00.000000Z';
      z.records.push({
        id: randomBytes(16).toString('hex'), zone_id: z.id, zone_name: z.name, name: record.name, type: record.type, content: record.content,
        ...(record.priority === undefined ? {} : { priority: record.priority }),
        proxiable: ['A', 'AAAA', 'CNAME'].includes(record.type), proxied: false, ttl: record.ttl, comment: null, tags: [], settings: {}, meta: {},
        created_on: stamp, modified_on: stamp,
      });
    },
    // Cloudflare keeps a TXT content as entered, quoted or not, in its chunks (providers.md §1 "Record semantics").
    txtAsEntered: (strings, style) => (style === 'plain' ? strings.join('') : quoteStrings(strings)),
    async seedRawTxt(name, content, wire) {
      const holds = () => zone().records.find((r) => r.type === 'TXT' && r.name === name && unquote(r.content) === content);
      if (!holds()) await this.add({ type: 'TXT', name, content, ttl: 3600 });
      holds()!.content = wire as string;
    },
    calls: () => ({ total: fake.calls.length, writes: fake.calls.filter((c) => c.method !== 'GET').length }),
    fault(fault: ConformanceFault) {
      if (fault.kind === 'echo-credentials') return fake.failNext({ kind: 'echo_credentials' });
      const failure: FakeFailure =
        fault.kind === 'server-error' ? { kind: 'html', status: 500 }
        : fault.kind === 'rate-limited' ? { kind: 'rate_limit', retryAfter: fault.retryAfterSeconds }
        : fault.kind === 'hang' ? { kind: 'hang' }
        : fault.kind === 'reset' ? { kind: 'drop' }
        : fault.kind === 'malformed' ? { kind: 'malformed' }
        : { kind: 'drop_after_apply' };
      fake.failNext(failure, { pathPart: target(fault.on), times: 'times' in fault ? times(fault.times) : 1 });
    },
    clearFaults: () => fake.clearFaults(),
    beforeNextWrite: (action) => fake.beforeNextWrite(action),
    checkWritten(wire) {
      const r = wire as FakeRecord;
      // A proxied CNAME is served as A/AAAA: the DKIM and return-path CNAMEs would not exist (§1 trap 6).
      return r.type === 'CNAME' && r.proxied ? `the CNAME ${r.name} was written proxied` : undefined;
    },
  };
}
