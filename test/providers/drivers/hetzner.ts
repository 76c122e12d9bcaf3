/**
 * Conformance driver for Hetzner Cloud DNS over its loopback fake (test/fakes/hetzner-fake.ts). One wire item is one
 * value of an rrset, flattened with its rrset's name, type and TTL (`HetznerWireRecord`); the neutral view is worked
 * out here from the zone-file presentation form, independently of the adapter.
 */
import type { DesiredRecord } from '../../../providers/types.js';
import {
  HETZNER_FAKE_TOKENS,
  HETZNER_FAKE_ZONE_TTL,
  startHetznerFake,
  wireValue,
  type HetznerFake,
  type HetznerWireRecord,
} from '../../fakes/hetzner-fake.js';
import { absolute, APEX, quoteStrings, relative, unquote, withPriority, type ConformanceDriver, type Neutral } from '../driver.js';

/** A target in presentation form: absolute with the trailing dot, else relative to the zone (`@` = the apex). */
const target = (value: string): string => (value.endsWith('.') ? value.slice(0, -1).toLowerCase() : absolute(value));

export function hetznerDriver(): ConformanceDriver {
  let fake: HetznerFake | undefined;
  const running = (): HetznerFake => {
    if (!fake) throw new Error('the Hetzner fake is not started');
    return fake;
  };

  return {
    id: 'hetzner',
    // Hetzner's Cloud DNS name servers (lego fixture zone.json); src/detection/nameserver-patterns.ts matches them.
    nameservers: ['hydrogen.ns.hetzner.com', 'helium.ns.hetzner.de'],
    credentials: { apiKey: HETZNER_FAKE_TOKENS.good.token },
    refused: [
      { label: 'unknown API token', credentials: { apiKey: 'hcloudTOKENwrong4f8e2a1c9b7d5e3f1a0b2c4d6e8f0a1b3c5' }, reason: 'Hetzner: invalid API token' },
      // Tokens belong to one project: the zone of another project is simply not there (§11).
      { label: 'token of another project', credentials: { apiKey: HETZNER_FAKE_TOKENS.otherProject.token }, reason: 'Hetzner: zone not found in this project' },
    ],
    faults: true,

    async start() {
      fake = await startHetznerFake();
      return { HETZNER_API_URL: fake.baseUrl };
    },
    async stop() {
      await fake?.close();
      fake = undefined;
    },
    async reset() {
      const f = running();
      f.clearFaults();
      f.setBehaviour({ pageLimit: 100, pollsUntilDone: 1 });
      f.resetZone();
    },
    async snapshot() {
      return running().snapshot();
    },
    neutral(wire: unknown): Neutral {
      const r = wire as HetznerWireRecord;
      const base = { type: r.type, name: absolute(r.name), ttl: r.ttl ?? HETZNER_FAKE_ZONE_TTL };
      const value = r.value.trim();
      switch (r.type) {
        case 'TXT':
          return { ...base, content: unquote(value) };
        case 'CNAME':
        case 'NS':
          return { ...base, content: target(value) };
        case 'MX': {
          const [priority, host] = value.split(/\s+/);
          return withPriority({ ...base, content: target(host ?? '') }, Number(priority));
        }
        case 'SRV': {
          const [priority, weight, port, host] = value.split(/\s+/);
          return withPriority({ ...base, content: `${weight} ${port} ${target(host ?? '.')}` }, Number(priority));
        }
        default:
          return { ...base, content: value };
      }
    },
    // A value has no id of its own: what identifies it is all there is, and a re-created one is the same.
    comparable: (wire) => wire,
    async add(record: DesiredRecord) {
      const zone = running().state.zones.get(APEX)!;
      const name = relative(record.name);
      const rrset = zone.rrsets.find((r) => r.name === name && r.type === record.type);
      // One TTL per rrset: a value planted into an existing rrset takes its TTL.
      if (rrset) rrset.records.push({ value: wireValue(record) });
      else {
        zone.rrsets.push({
          id: `${name}/${record.type}`,
          name,
          type: record.type,
          ttl: record.ttl,
          labels: {},
          protection: { change: false },
          records: [{ value: wireValue(record) }],
          zone: zone.id,
        });
      }
    },
    // Values are quoted strings, kept as entered (§7 record format): the customer's own is split otherwise.
    txtAsEntered: (strings) => quoteStrings(strings),
    async seedRawTxt(name, content, wire) {
      const holds = () => running().state.zones.get(APEX)!.rrsets.find((r) => r.name === relative(name) && r.type === 'TXT' && r.records.some((v) => unquote(v.value) === content));
      if (!holds()) await this.add({ type: 'TXT', name, content, ttl: 3600 });
      const value = holds()!.records.find((v) => unquote(v.value) === content)!;
      value.value = wire as string;
    },
    calls() {
      const calls = running().calls;
      return { total: calls.length, writes: calls.filter((c) => c.method !== 'GET').length };
    },
    fault(fault) {
      const f = running();
      switch (fault.kind) {
        case 'server-error':
          return f.failNext({ kind: 'status', status: 500, on: fault.on, times: fault.times ?? 1 });
        case 'rate-limited':
          return f.failNext({ kind: 'rate-limited', on: fault.on, retryAfterSeconds: fault.retryAfterSeconds });
        case 'hang':
          return f.failNext({ kind: 'hang', on: fault.on, times: fault.times ?? 1 });
        case 'reset':
          return f.failNext({ kind: 'reset', on: fault.on });
        case 'malformed':
          return f.failNext({ kind: 'malformed', on: 'read' });
        case 'lost-reply':
          return f.failNext({ kind: 'lost-reply', on: 'write' });
        case 'echo-credentials':
          return f.failNext({ kind: 'echo-credentials', on: 'any' });
      }
    },
    beforeNextWrite(action) {
      running().beforeNextWrite(action);
    },
    clearFaults() {
      running().clearFaults();
    },
    checkWritten(wire: unknown) {
      const r = wire as HetznerWireRecord;
      // §7 trap 5: quoted strings of at most 255 bytes; targets absolute with the trailing dot.
      if (r.type === 'TXT' && !/^"(?:[^"\\]|\\.){0,255}"(?: "(?:[^"\\]|\\.){0,255}")*$/.test(r.value)) return `TXT not in quoted chunks: ${r.value}`;
      if ((r.type === 'CNAME' || r.type === 'MX' || r.type === 'SRV') && !r.value.endsWith('.')) return `${r.type} target without the trailing dot: ${r.value}`;
      return undefined;
    },
  };
}
