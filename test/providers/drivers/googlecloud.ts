/**
 * Conformance driver for Google Cloud DNS over its loopback fake (test/fakes/googlecloud-fake.ts). The wire form the
 * suite sees is one item per rrdata (`{name, type, ttl, rrdata}`, the rrset's name, type and TTL), in the fake's
 * rrsets.list order, so an untouched value of a rewritten rrset is compared byte for byte like any other record.
 */
import type { DesiredRecord } from '../../../providers/types.js';
import { quoteTxt } from '../../../src/records/txt.js';
import { FAKE_PROJECT, fakeKeyFile, startGoogleCloudFake, type GoogleFake, type GoogleFakeFault } from '../../fakes/googlecloud-fake.js';
import { quoteStrings, unquote, withPriority, type ConformanceDriver, type ConformanceFault, type Neutral } from '../driver.js';

/** One rrdata of one rrset, as the driver lists the fake's zone. */
export interface GoogleWireItem {
  readonly name: string;
  readonly type: string;
  readonly ttl: number;
  readonly rrdata: string;
}

const stripDot = (s: string) => s.replace(/\.$/, '');

export function googlecloudDriver(): ConformanceDriver {
  let fake: GoogleFake | undefined;
  const need = () => {
    if (!fake) throw new Error('googlecloud driver not started');
    return fake;
  };
  const writerKey = fakeKeyFile('writer');
  return {
    id: 'googlecloud',
    // src/detection/nameserver-patterns.ts: ns-cloud-[a-e]N.googledomains.com
    nameservers: ['ns-cloud-a1.googledomains.com', 'ns-cloud-a2.googledomains.com'],
    credentials: { apiKey: FAKE_PROJECT, apiSecret: writerKey },
    refused: [
      {
        label: 'a key file that is not JSON',
        credentials: { apiKey: FAKE_PROJECT, apiSecret: 'not a key file {' },
        reason: 'Google Cloud DNS: the service-account key file (ApiSecret) is not valid JSON',
      },
      {
        label: 'a deleted (rotated) key',
        credentials: { apiKey: FAKE_PROJECT, apiSecret: fakeKeyFile('rotated') },
        reason: 'Google Cloud DNS: the service-account key was refused (Invalid JWT Signature): it was deleted or rotated, or client_email does not match it',
      },
      {
        label: 'a service account without access to the project',
        credentials: { apiKey: FAKE_PROJECT, apiSecret: fakeKeyFile('outsider') },
        reason: 'Google Cloud DNS: the service account has no Cloud DNS access in this project (roles/dns.admin or a zone-level role is needed)',
      },
      {
        label: 'an unknown project id',
        credentials: { apiKey: 'no-such-project-000', apiSecret: writerKey },
        reason: 'Google Cloud DNS: project not found: check the project id (ApiKey)',
      },
    ],
    faults: true,

    async start() {
      fake = await startGoogleCloudFake();
      return { GOOGLE_DNS_API_URL: fake.apiUrl, GOOGLE_OAUTH_TOKEN_URL: fake.tokenUrl };
    },
    async stop() {
      await fake?.close();
      fake = undefined;
    },
    async reset() {
      need().reset();
    },
    async snapshot() {
      return need()
        .zone()
        .rrsets.flatMap((r) => (r.rrdatas ?? []).map((rrdata): GoogleWireItem => ({ name: r.name, type: r.type, ttl: r.ttl, rrdata })));
    },
    neutral(wire) {
      const w = wire as GoogleWireItem;
      const base = { type: w.type, name: stripDot(w.name.toLowerCase()), ttl: w.ttl };
      if (w.type === 'TXT') return { ...base, content: unquote(w.rrdata) };
      if (w.type === 'CNAME' || w.type === 'NS') return { ...base, content: stripDot(w.rrdata) };
      if (w.type === 'MX') {
        const [pref, host] = w.rrdata.split(' ');
        return withPriority({ ...base, content: stripDot(host ?? '') }, Number(pref));
      }
      if (w.type === 'SRV') {
        const [priority, weight, port, target] = w.rrdata.split(' ');
        return withPriority({ ...base, content: `${weight} ${port} ${stripDot(target ?? '')}` }, Number(priority));
      }
      return { ...base, content: w.rrdata } satisfies Neutral;
    },
    comparable: (wire) => wire,
    async add(record: DesiredRecord) {
      const zone = need().zone();
      const type = record.type.toUpperCase();
      const name = `${record.name.toLowerCase()}.`;
      const rrdata =
        type === 'TXT'
          ? quoteTxt(record.content)
          : type === 'CNAME' || type === 'NS'
            ? `${stripDot(record.content)}.`
            : type === 'MX'
              ? `${record.priority ?? 0} ${stripDot(record.content)}.`
              : type === 'SRV'
                ? `${record.priority ?? 0} ${record.content.replace(/\.?$/, '.')}`
                : record.content;
      const rrset = zone.rrsets.find((r) => r.name === name && r.type === type);
      if (rrset) rrset.rrdatas = [...(rrset.rrdatas ?? []), rrdata];
      else {
        zone.rrsets.push({ kind: 'dns#resourceRecordSet', name, type, ttl: record.ttl, rrdatas: [rrdata] });
        zone.rrsets.sort((a, b) => (a.name === b.name ? (a.type < b.type ? -1 : a.type > b.type ? 1 : 0) : a.name < b.name ? -1 : 1));
      }
    },
    // A quoted rrdata is kept as entered, in its strings; an unquoted one is split at every space (§2 TXT), which
    // would be another value: the customer's own spelling is their split.
    txtAsEntered: (strings) => quoteStrings(strings),
    async seedRawTxt(name, content, wire) {
      const holds = () => need().zone().rrsets.find((r) => r.name === `${name}.` && r.type === 'TXT' && r.rrdatas?.some((d) => unquote(d) === content));
      if (!holds()) await this.add({ type: 'TXT', name, content, ttl: 3600 });
      const rrset = holds()!;
      rrset.rrdatas = rrset.rrdatas!.map((d) => (unquote(d) === content ? (wire as string) : d));
    },
    calls() {
      const api = need().calls.filter((c) => !c.grant);
      return { total: api.length, writes: api.filter((c) => c.method !== 'GET').length };
    },
    fault(fault: ConformanceFault) {
      need().failNext(toFakeFault(fault));
    },
    clearFaults() {
      need().clearFaults();
    },
    beforeNextWrite(action) {
      need().beforeNextWrite(action);
    },
    checkWritten(wire) {
      const w = wire as GoogleWireItem;
      // A TXT value written unquoted would have been split at its spaces by Google: it must be quoted strings.
      if (w.type === 'TXT' && !/^"(?:[^"\\]|\\.)*"(?: "(?:[^"\\]|\\.)*")*$/.test(w.rrdata)) return `TXT rrdata not in quoted form: ${w.rrdata}`;
      if ((w.type === 'CNAME' || w.type === 'MX') && !w.rrdata.endsWith('.')) return `${w.type} target without trailing dot: ${w.rrdata}`;
      return undefined;
    },
  };
}

function toFakeFault(fault: ConformanceFault): GoogleFakeFault {
  switch (fault.kind) {
    case 'server-error':
      return { kind: 'server-error', on: fault.on, ...(fault.times === undefined ? {} : { times: fault.times }) };
    case 'rate-limited':
      return { kind: 'rate-limited', on: fault.on, retryAfterSeconds: fault.retryAfterSeconds };
    case 'hang':
      return { kind: 'hang', on: fault.on, ...(fault.times === undefined ? {} : { times: fault.times }) };
    case 'reset':
      return { kind: 'reset', on: fault.on };
    case 'malformed':
      return { kind: 'malformed', on: 'read' };
    case 'lost-reply':
      return { kind: 'lost-reply', on: 'write' };
    case 'echo-credentials':
      // Twice: a token from the gateway's cache that the API refuses is dropped and granted again (once), so "the
      // credentials are refused" means the API call and the grant that follows it [infer].
      return { kind: 'echo-credentials', on: 'any', times: 2 };
  }
}
