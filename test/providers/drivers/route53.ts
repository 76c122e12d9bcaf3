/**
 * The conformance driver for Amazon Route 53 over its loopback fake (test/fakes/route53-fake.ts). The wire form is one
 * item per value of an rrset (`Value`), with the rrset's Name, Type and TTL (and routing or alias fields where it has
 * them), in Route 53's order: that is what a record is to a caller comparing zones, while Route 53 itself stores rrsets.
 */
import type { Route53AliasTarget } from '../../../providers/route53.js';
import {
  ROUTE53_FAKE_ACCOUNTS,
  SEED_ZONE_ID,
  escapeName,
  route53WireValue,
  startRoute53Fake,
  unescapeName,
  type Route53Fake,
} from '../../fakes/route53-fake.js';
import { quoteStrings, withPriority, type ConformanceDriver, type Neutral } from '../driver.js';

/** One value of an rrset, with the rrset's other fields. */
export interface Route53WireValue {
  readonly Name: string;
  readonly Type: string;
  readonly TTL?: number | undefined;
  readonly Value?: string | undefined;
  readonly SetIdentifier?: string | undefined;
  readonly AliasTarget?: Route53AliasTarget | undefined;
  readonly [field: string]: unknown;
}

const WRONG_SECRET = 'r53WRONGsecret/000000000000+zzzzzzzzzzzzzzz';
const UNKNOWN_KEY = 'AKIAFAKEUNKNOWNKEY09';

/** `"a" "b"` → `ab`, with `\"`, `\\` and `\ddd` (octal) unescaped (Route 53 TXT format). */
function unquoteTxt(value: string): string {
  if (!/^\s*"/.test(value)) return value;
  const bytes: number[] = [];
  for (const m of value.matchAll(/"((?:[^"\\]|\\.)*)"/gs)) {
    for (const t of (m[1] ?? '').matchAll(/\\([0-7]{3})|\\([\s\S])|([\s\S])/gu)) {
      if (t[1] !== undefined) bytes.push(parseInt(t[1], 8));
      else bytes.push(...Buffer.from(t[2] ?? t[3] ?? '', 'utf8'));
    }
  }
  return Buffer.from(bytes).toString('utf8');
}

const host = (value: string) => value.toLowerCase().replace(/\.$/, '');

export function route53Driver(): ConformanceDriver {
  let fake: Route53Fake | undefined;
  const running = (): Route53Fake => {
    if (!fake) throw new Error('the Route 53 fake is not started');
    return fake;
  };
  const { good, temporary, restricted } = ROUTE53_FAKE_ACCOUNTS;
  return {
    id: 'route53',
    // src/detection/nameserver-patterns.ts `awsdns-NN.(com|net|org|co.uk)`.
    nameservers: ['ns-1536.awsdns-00.co.uk', 'ns-512.awsdns-00.net'],
    credentials: { apiKey: good.accessKeyId, apiSecret: good.secretAccessKey },
    refused: [
      {
        label: 'a wrong secret access key',
        credentials: { apiKey: good.accessKeyId, apiSecret: WRONG_SECRET },
        reason: 'Amazon Route 53: the secret access key does not match the access key id (SignatureDoesNotMatch)',
      },
      {
        label: 'an unknown access key id',
        credentials: { apiKey: UNKNOWN_KEY, apiSecret: good.secretAccessKey },
        reason: 'Amazon Route 53: unknown access key id (InvalidClientTokenId)',
      },
      {
        label: 'temporary credentials with a wrong session token',
        credentials: { apiKey: temporary.accessKeyId, apiSecret: temporary.secretAccessKey, apiUser: 'FwoGZXIvYXdzEFAKEwrongTOKEN' },
        reason: 'Amazon Route 53: unknown access key id, or the session token is invalid (InvalidClientTokenId)',
      },
      {
        label: "a key whose IAM policy does not cover the hosted zone",
        credentials: { apiKey: restricted.accessKeyId, apiSecret: restricted.secretAccessKey },
        reason: "Amazon Route 53: the key's IAM policy does not allow route53:ListResourceRecordSets on this hosted zone (AccessDenied)",
      },
    ],
    faults: true,
    async start() {
      fake = await startRoute53Fake();
      return { ROUTE53_API_URL: fake.baseUrl };
    },
    async stop() {
      await fake?.close();
      fake = undefined;
    },
    async reset() {
      running().resetZones();
      running().clearFaults();
    },
    async snapshot() {
      return running()
        .snapshot(SEED_ZONE_ID)
        .flatMap(({ ResourceRecords, ...rrset }): Route53WireValue[] => (ResourceRecords ? ResourceRecords.map((Value) => ({ ...rrset, Value })) : [rrset]));
    },
    neutral(wire): Neutral {
      const r = wire as Route53WireValue;
      const name = host(unescapeName(r.Name));
      const ttl = r.TTL ?? 0;
      const value = r.Value ?? r.AliasTarget?.DNSName ?? '';
      switch (r.Type) {
        case 'TXT':
          return { type: r.Type, name, content: unquoteTxt(value), ttl };
        case 'CNAME':
        case 'NS':
          return { type: r.Type, name, content: host(value), ttl };
        case 'MX': {
          const [priority, target] = value.split(' ');
          return withPriority({ type: r.Type, name, content: host(target ?? ''), ttl }, Number(priority));
        }
        case 'SRV': {
          const [priority, weight, port, target] = value.split(' ');
          return withPriority({ type: r.Type, name, content: `${weight} ${port} ${host(target ?? '')}`, ttl }, Number(priority));
        }
        default:
          return { type: r.Type, name, content: value, ttl };
      }
    },
    // Route 53 records have no id: a re-created record is the same record.
    comparable: (wire) => wire,
    async add(record) {
      const zone = running().state.zones.get(SEED_ZONE_ID)!;
      const name = escapeName(record.name);
      const type = record.type.toUpperCase();
      const value = route53WireValue({ ...record, type });
      const index = zone.rrsets.findIndex((r) => r.Name === name && r.Type === type && r.SetIdentifier === undefined);
      // As in the console: a value added to an existing rrset takes that rrset's TTL (one TTL per rrset).
      if (index >= 0) zone.rrsets[index] = { ...zone.rrsets[index]!, ResourceRecords: [...(zone.rrsets[index]!.ResourceRecords ?? []), value] };
      else zone.rrsets.push({ Name: name, Type: type, TTL: record.ttl, ResourceRecords: [value] });
    },
    // Every TXT Value is quoted strings, kept as entered (§1 wire format): the customer's own is split otherwise.
    txtAsEntered: (strings) => quoteStrings(strings),
    async seedRawTxt(name, content, wire) {
      const zone = running().state.zones.get(SEED_ZONE_ID)!;
      const index = zone.rrsets.findIndex((r) => r.Name === escapeName(name) && r.Type === 'TXT' && r.SetIdentifier === undefined);
      if (index < 0) return void zone.rrsets.push({ Name: escapeName(name), Type: 'TXT', TTL: 3600, ResourceRecords: [wire as string] });
      const values = [...(zone.rrsets[index]!.ResourceRecords ?? [])];
      const at = values.findIndex((v) => unquoteTxt(v) === content);
      if (at >= 0) values[at] = wire as string;
      else values.push(wire as string);
      zone.rrsets[index] = { ...zone.rrsets[index]!, ResourceRecords: values };
    },
    calls: () => ({
      total: running().calls.length,
      writes: running().calls.filter((c) => c.action === 'ChangeResourceRecordSets').length,
    }),
    fault: (fault) => running().failNext(fault),
    clearFaults: () => running().clearFaults(),
    beforeNextWrite: (action) => running().beforeNextWrite(action),
    checkWritten(wire) {
      const r = wire as Route53WireValue;
      // CNAME targets are FQDNs with the trailing dot; TXT values are quoted strings of at most 255 bytes (§1).
      if (r.Type === 'CNAME' && !r.Value?.endsWith('.')) return `CNAME ${r.Name} was written without the trailing dot: ${r.Value}`;
      if (r.Type === 'TXT' && !/^"(?:[^"\\]|\\[0-7]{3}|\\.){0,255}"(?: "(?:[^"\\]|\\[0-7]{3}|\\.){0,255}")*$/.test(r.Value ?? '')) {
        return `TXT ${r.Name} was not written as quoted 255-byte strings: ${r.Value}`;
      }
      return undefined;
    },
  };
}
