/**
 * The DNS a watch test needs: a recursive resolver on 127.0.0.1 holding the delegations, the name servers' addresses,
 * the platform's DKIM key and SPF include; and authoritative servers on 127.0.0.2–5 sharing one port (the gateway's
 * DNS_AUTHORITATIVE_PORT), each serving the zones the test publishes to it.
 */
import { generateKeyPairSync } from 'node:crypto';
import { startDnsServer, type FakeDnsServer, type FakeRecord } from '../fakes/dns-server.js';
import type { Store } from '../../src/storage/store.js';
import { MASTER_DOMAIN } from './gateway.js';

export const SPF_INCLUDE = '_spf.sender-platform.net';
const ADDRESSES = ['127.0.0.2', '127.0.0.3', '127.0.0.4', '127.0.0.5'];
const hostOf = (i: number) => `ns${i + 1}.watch-dns.test`;

const { publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const DKIM = `v=DKIM1; k=rsa; p=${publicKey.export({ type: 'spki', format: 'der' }).toString('base64')}`;

export interface AuthoritativeWorld {
  readonly recursive: FakeDnsServer;
  readonly servers: FakeDnsServer[];
  /** The gateway settings that point dns.verify at this world. */
  readonly env: Record<string, string>;
  /** Delegates `domain` to the authoritative servers, which then serve only its SOA and NS records. */
  delegate(domain: string): void;
  /** The zone `domain` holds on every authoritative server (besides its SOA and NS), replacing what it held. */
  publish(domain: string, records: readonly FakeRecord[], servers?: readonly FakeDnsServer[]): void;
  /** The sandbox provider's zone of `domain` (what dns.set wrote into the gateway's store), as DNS records. */
  sandboxRecords(store: Store, domain: string): Promise<FakeRecord[]>;
  /** Authoritative questions received since the last reset, over every server. */
  questions(): number;
  resetQuestions(): void;
  close(): Promise<void>;
}

const soa = (zone: string): FakeRecord => ({ name: zone, type: 'SOA', ttl: 3600, data: { mname: hostOf(0), rname: `hostmaster.${zone}`, serial: 1, minimum: 60 } });

export async function startAuthoritativeWorld(count = 4): Promise<AuthoritativeWorld> {
  const recursiveBase: FakeRecord[] = [
    ...ADDRESSES.slice(0, count).map((data, i): FakeRecord => ({ name: hostOf(i), type: 'A', ttl: 3600, data })),
    { name: `key1._domainkey.${MASTER_DOMAIN}`, type: 'TXT', ttl: 3600, data: DKIM },
    { name: SPF_INCLUDE, type: 'TXT', ttl: 3600, data: 'v=spf1 ip4:198.51.100.0/24 -all' },
  ];
  const recursive = await startDnsServer({ records: recursiveBase });
  const first = await startDnsServer({ host: ADDRESSES[0]! });
  const servers = [first];
  for (const host of ADDRESSES.slice(1, count)) servers.push(await startDnsServer({ host, port: first.port }));
  const zones = new Map<string, Map<FakeDnsServer, FakeRecord[]>>();
  const delegations = new Set<string>();
  const apexRecords = (domain: string) => [soa(domain), ...servers.map((_, i): FakeRecord => ({ name: domain, type: 'NS', ttl: 3600, data: hostOf(i) }))];
  const refresh = () => {
    recursive.set([...recursiveBase, ...[...delegations].flatMap(apexRecords)]);
    for (const server of servers) server.set([...zones.values()].flatMap((byServer) => byServer.get(server) ?? []));
  };
  const world: AuthoritativeWorld = {
    recursive,
    servers,
    env: {
      DNS_RESOLVERS: recursive.address,
      DNS_AUTHORITATIVE_PORT: String(first.port),
      DNS_AUTHORITATIVE_TIMEOUT_MS: '400',
      DNS_AUTHORITATIVE_ALLOW_PRIVATE: 'true',
      MAIL_SPF_INCLUDE: SPF_INCLUDE,
    },
    delegate(domain) {
      delegations.add(domain);
      zones.set(domain, new Map(servers.map((s) => [s, apexRecords(domain)])));
      refresh();
    },
    publish(domain, records, only = servers) {
      const byServer = zones.get(domain) ?? new Map<FakeDnsServer, FakeRecord[]>();
      for (const server of only) byServer.set(server, [...apexRecords(domain), ...records]);
      zones.set(domain, byServer);
      refresh();
    },
    async sandboxRecords(store, domain) {
      return (await store.readSandboxZone(domain)).map((r): FakeRecord => {
        if (r.type === 'CNAME') return { name: r.name, type: 'CNAME', ttl: r.ttl, data: r.content.replace(/\.$/, '') };
        if (r.type === 'TXT') return { name: r.name, type: 'TXT', ttl: r.ttl, data: r.content };
        if (r.type === 'MX') return { name: r.name, type: 'MX', ttl: r.ttl, data: { preference: r.priority ?? 0, exchange: r.content.replace(/\.$/, '') } };
        return { name: r.name, type: r.type as 'A', ttl: r.ttl, data: r.content };
      });
    },
    questions: () => servers.reduce((n, s) => n + s.queries.length, 0),
    resetQuestions() {
      for (const server of servers) server.queries.length = 0;
    },
    async close() {
      await Promise.all([recursive, ...servers].map((s) => s.close()));
    },
  };
  return world;
}
