/**
 * A Domain Connect world on loopback for the asynchronous-flow tests and the secret scan: a recursive DNS server
 * (127.0.0.1) with the `_domainconnect` records and the service provider's public key, an authoritative server on
 * 127.0.0.2 that serves the fake provider's zones (for dns.verify), the fake DNS provider (its OAuth client registered)
 * and a gateway configured for both flows, with its templates onboarded at the fake.
 */
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { startDnsServer, type FakeDnsServer, type FakeRecord } from '../fakes/dns-server.js';
import { startDomainConnectFake, type DomainConnectFake, type FakeTemplate, type ZoneOptions } from '../fakes/domain-connect-fake.js';
import { http, startGateway, type Gateway } from './gateway.js';
import { publicKeyTxtRecords } from '../../src/domain-connect/keys.js';

export const DC = {
  providerId: 'mail-platform.net',
  pubkeyDomain: 'keys.mail-platform.net',
  redirectHost: 'app.mail-platform.net',
  spfInclude: '_spf.mail-platform.net',
  dcHost: 'dc.fake-dc-provider.net',
  nsHosts: ['ns51.domaincontrol.com', 'ns52.domaincontrol.com'],
  authoritativeAddress: '127.0.0.2',
  /** Distinctive, so that scans can look for it. */
  clientId: 'mail-platform.net',
  clientSecret: 'dcCLIENTsecret-0123456789abcdefghijklmnop',
} as const;

export interface DcWorld {
  readonly recursive: FakeDnsServer;
  readonly authoritative: FakeDnsServer;
  readonly fake: DomainConnectFake;
  readonly gateway: Gateway;
  /** The token-sealing key the gateway runs with (base64). */
  readonly tokenKey: string;
  /** The signing key the gateway runs with (PKCS#8 PEM), for secret scans. */
  readonly signingKeyPem: string;
  /** The gateway's environment, minus `env` given to startDcWorld: to start another gateway in the same world. */
  readonly gatewayEnv: Readonly<Record<string, string>>;
  /** A browser's GET of a URL at the fake (its host name resolved to 127.0.0.1 here); redirects not followed. */
  open(url: string): ReturnType<typeof http>;
  /** Hosts a customer zone at the fake, with `_domainconnect` pointing at it. */
  host(zone: string, extra?: FakeRecord[], options?: ZoneOptions): void;
  close(): Promise<void>;
}

const soa = (zone: string): FakeRecord => ({ name: zone, type: 'SOA', ttl: 3600, data: { mname: DC.nsHosts[0], rname: `hostmaster.${zone}`, serial: 1, minimum: 60 } });
export const txt = (name: string, data: string): FakeRecord => ({ name, type: 'TXT', ttl: 300, data });
export const cname = (name: string, data: string): FakeRecord => ({ name, type: 'CNAME', ttl: 300, data });
const a = (name: string, data: string): FakeRecord => ({ name, type: 'A', ttl: 300, data });

export async function startDcWorld(env: Record<string, string> = {}): Promise<DcWorld> {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const tokenKey = randomBytes(32).toString('base64');
  const pointers: FakeRecord[] = [];
  const base = (): FakeRecord[] => [
    ...DC.nsHosts.map((h) => a(h, DC.authoritativeAddress)),
    a(DC.dcHost, '127.0.0.1'),
    ...publicKeyTxtRecords(privateKey).map((r) => txt(`_dck1.${DC.pubkeyDomain}`, r)),
    txt(DC.spfInclude, 'v=spf1 ip4:198.51.100.0/24 -all'),
    ...pointers,
  ];
  const recursive = await startDnsServer({ records: base() });
  const authoritative = await startDnsServer({ host: DC.authoritativeAddress });
  const fake = await startDomainConnectFake({ hostName: DC.dcHost, keyResolver: recursive.address, publishTo: () => [authoritative, recursive], baseRecords: base });
  const signingKeyPem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  const gatewayEnv: Record<string, string> = {
    DNS_RESOLVERS: recursive.address,
    DNS_AUTHORITATIVE_PORT: String(authoritative.port),
    DNS_AUTHORITATIVE_ALLOW_PRIVATE: 'true',
    MAIL_SPF_INCLUDE: DC.spfInclude,
    RATE_LIMIT_MAX: '100000',
    DOMAIN_CONNECT_PROVIDER_ID: DC.providerId,
    DOMAIN_CONNECT_PRIVATE_KEY: signingKeyPem,
    DOMAIN_CONNECT_SYNC_PUBKEY_DOMAIN: DC.pubkeyDomain,
    DOMAIN_CONNECT_SYNC_REDIRECT_DOMAIN: DC.redirectHost,
    DOMAIN_CONNECT_SETTINGS_URL: `http://{host}:${fake.port}/v2/{domain}/settings`,
    DOMAIN_CONNECT_ALLOW_PRIVATE: 'true',
    DOMAIN_CONNECT_OAUTH_CLIENTS: JSON.stringify({ [fake.providerId]: { clientId: DC.clientId, clientSecret: DC.clientSecret, apiUrl: `${fake.url}/api` } }),
    DOMAIN_CONNECT_TOKEN_KEY: tokenKey,
  };
  const gateway = await startGateway({ ...gatewayEnv, ...env });
  fake.registerClient({ clientId: DC.clientId, clientSecret: DC.clientSecret, redirectPrefix: `${gateway.url}/domain-connect/callback` });
  for (const serviceId of ['campaign', 'email-gateway']) {
    const res = await http(`${gateway.url}/domain-connect/templates/${serviceId}.json`);
    if (res.status !== 200) throw new Error(`template ${serviceId} not served: ${res.text}`);
    fake.onboard(res.json as FakeTemplate);
  }
  return {
    recursive,
    authoritative,
    fake,
    gateway,
    tokenKey,
    signingKeyPem,
    gatewayEnv,
    open: (url) => http(url.replace(`//${DC.dcHost}:`, '//127.0.0.1:')),
    host(zone, extra = [], options = {}) {
      pointers.push(txt(`_domainconnect.${zone}`, DC.dcHost));
      fake.hostZone(zone, [soa(zone), ...DC.nsHosts.map((h): FakeRecord => ({ name: zone, type: 'NS', ttl: 3600, data: h })), ...extra], options);
    },
    async close() {
      await gateway.close();
      await Promise.all([fake.close(), recursive.close(), authoritative.close()]);
    },
  };
}
