/**
 * Domain Connect, synchronous flow, end to end on loopback: a recursive DNS server (127.0.0.1) holding the
 * `_domainconnect` records, the service provider's public key and the delegations; the fake DNS provider
 * (test/fakes/domain-connect-fake.ts) whose settings, template probe and apply page follow the spec; its zones served
 * by an authoritative DNS server on 127.0.0.2, which dns.verify asks. The fake onboards the templates the gateway
 * serves, verifies the gateway's signature with the key it reads from DNS, applies the template and redirects.
 *
 * Then discovery against each way it can fail (no TXT, 404, HTML, 5 MB, a hang; TXT records pointing at 127.0.0.1,
 * 10.0.0.1, [::1] or a name resolving to a private address on a gateway that does not allow private addresses):
 * each is code 11 with its reason, within the discovery deadline, and the refused ones never reach the fake.
 */
import { generateKeyPairSync } from 'node:crypto';
import { print } from 'graphql';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startDnsServer, type FakeDnsServer, type FakeRecord } from './fakes/dns-server.js';
import { startDomainConnectFake, type DomainConnectFake, type FakeTemplate } from './fakes/domain-connect-fake.js';
import { DnsProviderDomainConnectDocument, DomainConnectUrlDocument } from './graphql/generated/graphql.js';
import { bearer, getQuery, graphql, http, MASTER_DOMAIN, postJson, startGateway, type Gateway } from './helpers/gateway.js';
import { publicKeyTxtRecords } from '../src/domain-connect/keys.js';
import type { StartWatchCommand, WatchService } from '../src/services/watches.js';

const PROVIDER_ID = 'mail-platform.net';
const PUBKEY_DOMAIN = 'keys.mail-platform.net';
const REDIRECT_HOST = 'app.mail-platform.net';
const SPF_INCLUDE = '_spf.mail-platform.net';
const DC_HOST = 'dc.fake-dc-provider.net';
const NS_HOSTS = ['ns51.domaincontrol.com', 'ns52.domaincontrol.com'];
const AUTHORITATIVE_ADDRESS = '127.0.0.2';
/** The discovery deadline the gateways run with, and what the hang test allows beyond it (scheduling on a busy machine). */
const DISCOVERY_TIMEOUT_MS = 3000;
const SLACK_MS = 2000;

const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const PRIVATE_KEY_PEM = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();

const soa = (zone: string): FakeRecord => ({ name: zone, type: 'SOA', ttl: 3600, data: { mname: NS_HOSTS[0]!, rname: `hostmaster.${zone}`, serial: 1, minimum: 60 } });
const txt = (name: string, data: string): FakeRecord => ({ name, type: 'TXT', ttl: 300, data });
const a = (name: string, data: string): FakeRecord => ({ name, type: 'A', ttl: 300, data });
const delegation = (zone: string): FakeRecord[] => [soa(zone), ...NS_HOSTS.map((h): FakeRecord => ({ name: zone, type: 'NS', ttl: 3600, data: h }))];

/** A zone the fake hosts: SOA, NS and whatever else the customer has. */
const customerZone = (zone: string, ...extra: FakeRecord[]): FakeRecord[] => [...delegation(zone), ...extra];

/** What the recursive resolver knows besides the zones the fake serves. */
function recursiveBase(): FakeRecord[] {
  return [
    ...NS_HOSTS.map((h) => a(h, AUTHORITATIVE_ADDRESS)),
    a(DC_HOST, '127.0.0.1'),
    a('internal.fake-dc-provider.net', '10.0.0.1'),
    // The service provider's public key, as `domain-connect keygen` prints it.
    ...publicKeyTxtRecords(privateKey).map((r) => txt(`_dck1.${PUBKEY_DOMAIN}`, r)),
    txt(SPF_INCLUDE, 'v=spf1 ip4:198.51.100.0/24 -all'),
    // Discovery cases.
    ...delegation('no-txt.com'),
    ...['connect-me.com', 'has-dmarc.com', 'sync-only.com', 'async-only.com', 'settings-404.com', 'settings-html.com', 'settings-huge.com', 'settings-hang.com', 'settings-500.com', 'cache-me.com', 'not-onboarded.com', 'probe-500.com'].map((d) => txt(`_domainconnect.${d}`, DC_HOST)),
    txt('_domainconnect.to-loopback.com', '127.0.0.1'),
    txt('_domainconnect.to-private.com', '10.0.0.1'),
    txt('_domainconnect.to-v6.com', '[::1]'),
    txt('_domainconnect.to-private-name.com', 'internal.fake-dc-provider.net'),
    ...['to-loopback.com', 'to-private.com', 'to-v6.com', 'to-private-name.com', 'settings-404.com'].map(soa),
  ];
}

let recursive: FakeDnsServer;
let authoritative: FakeDnsServer;
let fake: DomainConnectFake;
let gw: Gateway;
let strict: Gateway;
/** The watches dns.connect started (the real watch service, wrapped); one domain's watch fails to start. */
const watches: StartWatchCommand[] = [];
const watchHook = (service: WatchService): WatchService => ({
  ...service,
  async start(command) {
    watches.push(command);
    if (command.domain === 'sync-only.com') throw new Error('watch store unavailable');
    return service.start(command);
  },
});

const gatewayEnv = (allowPrivate: boolean): Record<string, string> => ({
  DNS_RESOLVERS: recursive.address,
  DNS_AUTHORITATIVE_PORT: String(authoritative.port),
  DNS_AUTHORITATIVE_ALLOW_PRIVATE: 'true',
  MAIL_SPF_INCLUDE: SPF_INCLUDE,
  RATE_LIMIT_MAX: '100000',
  DOMAIN_CONNECT_PROVIDER_ID: PROVIDER_ID,
  DOMAIN_CONNECT_PRIVATE_KEY: PRIVATE_KEY_PEM,
  DOMAIN_CONNECT_SYNC_PUBKEY_DOMAIN: PUBKEY_DOMAIN,
  DOMAIN_CONNECT_SYNC_REDIRECT_DOMAIN: REDIRECT_HOST,
  DOMAIN_CONNECT_SETTINGS_URL: `http://{host}:${fake.port}/v2/{domain}/settings`,
  DOMAIN_CONNECT_ALLOW_PRIVATE: String(allowPrivate),
  DOMAIN_CONNECT_TIMEOUT_MS: String(DISCOVERY_TIMEOUT_MS),
});

beforeAll(async () => {
  recursive = await startDnsServer({ records: recursiveBase() });
  authoritative = await startDnsServer({ host: AUTHORITATIVE_ADDRESS });
  fake = await startDomainConnectFake({
    hostName: DC_HOST,
    keyResolver: recursive.address,
    // The provider's zones are what both DNS servers answer (the recursive one as a cache would).
    publishTo: () => [authoritative, recursive],
    baseRecords: recursiveBase,
  });
  fake.hostZone('connect-me.com', customerZone('connect-me.com', a('connect-me.com', '203.0.113.10'), txt('connect-me.com', 'v=spf1 include:_spf.mailhost.example.net -all')));
  fake.hostZone('has-dmarc.com', customerZone('has-dmarc.com', txt('_dmarc.has-dmarc.com', 'v=DMARC1; p=reject; rua=mailto:d@has-dmarc.com')));
  fake.hostZone('sync-only.com', customerZone('sync-only.com'), { async: false });
  fake.hostZone('async-only.com', customerZone('async-only.com'), { sync: false });
  fake.hostZone('settings-html.com', customerZone('settings-html.com'), { settings: 'html' });
  fake.hostZone('settings-huge.com', customerZone('settings-huge.com'), { settings: 'huge' });
  fake.hostZone('settings-hang.com', customerZone('settings-hang.com'), { settings: 'hang' });
  fake.hostZone('settings-500.com', customerZone('settings-500.com'), { settings: 'error500' });
  fake.hostZone('cache-me.com', customerZone('cache-me.com'));
  fake.hostZone('not-onboarded.com', customerZone('not-onboarded.com'));
  fake.hostZone('probe-500.com', customerZone('probe-500.com'), { probes: 'error500' });
  gw = await startGateway(gatewayEnv(true), { watches: watchHook });
  strict = await startGateway(gatewayEnv(false));
  // Onboarding: the fake takes the very template files the gateway serves.
  for (const serviceId of ['campaign', 'email-gateway']) {
    const res = await http(`${gw.url}/domain-connect/templates/${serviceId}.json`);
    expect(res.status, res.text).toBe(200);
    fake.onboard(res.json as FakeTemplate);
  }
});

afterAll(async () => {
  await Promise.all([gw?.close(), strict?.close()]);
  await Promise.all([fake?.close(), recursive?.close(), authoritative?.close()]);
});

beforeEach(() => {
  watches.length = 0;
  fake.requests.length = 0;
  fake.signatureChecks.length = 0;
});

const connect = (g: Gateway, params: Record<string, string>) => postJson(g, '/api/v1/dns.connect', params, bearer(g.adminKey));

/** What a browser does with the URL: one GET, no redirect followed (the provider's host name is resolved here). */
const open = (url: string) => http(url.replace(`//${DC_HOST}:`, '//127.0.0.1:'));

const zone = (apex: string) => fake.zones.get(apex)!;
const at = (apex: string, name: string, type: string) => zone(apex).filter((r) => r.name === name && r.type === type).map((r) => r.data);

describe('Domain Connect synchronous flow against the loopback provider', () => {
  it('signs an apply URL the provider verifies with the key from DNS; the provider applies it and redirects with state; dns.verify sees the records', async () => {
    const state = 'st-1 & more=stuff';
    const res = await connect(gw, { Domain: 'connect-me.com', RecordType: 'campaign', RedirectURI: `https://${REDIRECT_HOST}/dc/return`, State: state });
    expect(res.status, res.text).toBe(200);
    expect(Object.keys(res.json).sort()).toEqual(['height', 'providerDisplayName', 'providerName', 'url', 'width']);
    expect(res.json).toMatchObject({ providerName: 'Fake DC Provider', providerDisplayName: 'Fake DC Provider (brand)', width: 640, height: 480 });
    const url = new URL(res.json.url);
    expect(`${url.origin}${url.pathname}`).toBe(`${fake.url}/sync/v2/domainTemplates/providers/${PROVIDER_ID}/services/campaign/apply`);
    // The query: domain, host, the template's variables, redirect_uri, state, then sig and key last.
    expect([...url.searchParams.keys()]).toEqual([
      'domain', 'host', 'MAIL_DKIM_SELECTOR', 'MAIL_MASTER_DOMAIN', 'MAIL_SPF_INCLUDE', 'MAIL_SUBDOMAIN', 'MAIL_TRACK_PREFIX', 'redirect_uri', 'state', 'sig', 'key',
    ]);
    expect(url.searchParams.get('domain')).toBe('connect-me.com');
    expect(url.searchParams.get('host')).toBe('');
    expect(url.searchParams.get('MAIL_MASTER_DOMAIN')).toBe(MASTER_DOMAIN);
    expect(url.searchParams.get('key')).toBe('_dck1');
    expect(url.searchParams.has('groupId')).toBe(false);

    const opened = await open(res.json.url);
    expect(fake.signatureChecks).toEqual([{ ok: true }]);
    expect(opened.status, opened.text).toBe(302);
    const back = new URL(String(opened.headers.location));
    expect(`${back.origin}${back.pathname}`).toBe(`https://${REDIRECT_HOST}/dc/return`);
    expect(back.searchParams.get('state')).toBe(state);

    // The records dns.set would write, now in the provider's zone: the CNAMEs, the SPF include merged before the
    // customer's -all, a p=none DMARC.
    expect(at('connect-me.com', 'sl.connect-me.com', 'CNAME')).toEqual([MASTER_DOMAIN]);
    expect(at('connect-me.com', 'key1._domainkey.sl.connect-me.com', 'CNAME')).toEqual([`key1._domainkey.${MASTER_DOMAIN}`]);
    expect(at('connect-me.com', 'key1._domainkey.connect-me.com', 'CNAME')).toEqual([`key1._domainkey.${MASTER_DOMAIN}`]);
    expect(at('connect-me.com', 'track-sl.connect-me.com', 'CNAME')).toEqual([`track.${MASTER_DOMAIN}`]);
    expect(at('connect-me.com', 'connect-me.com', 'TXT')).toEqual([`v=spf1 include:_spf.mailhost.example.net include:${SPF_INCLUDE} -all`]);
    expect(at('connect-me.com', '_dmarc.connect-me.com', 'TXT')).toEqual(['v=DMARC1; p=none']);
    expect(at('connect-me.com', 'connect-me.com', 'A')).toEqual(['203.0.113.10']);

    // It started a watch of the domain, for whoever asked.
    expect(watches).toEqual([{ domain: 'connect-me.com', recordType: 'campaign', principal: expect.stringMatching(/^key:/), firstCheck: 'later' }]);

    const verified = await postJson(gw, '/api/v1/dns.verify', { Domain: 'connect-me.com', RecordType: 'campaign' }, bearer(gw.adminKey));
    expect(verified.status, verified.text).toBe(200);
    expect(Object.fromEntries((verified.json.records as { name: string; status: string }[]).map((r) => [r.name, r.status]))).toEqual({
      'sl.connect-me.com': 'LIVE',
      'key1._domainkey.sl.connect-me.com': 'LIVE',
      'key1._domainkey.connect-me.com': 'LIVE',
      'track-sl.connect-me.com': 'LIVE',
      'connect-me.com': 'LIVE',
      '_dmarc.connect-me.com': 'LIVE',
    });
  });

  it('a tampered URL (one variable changed) is refused by the provider and changes nothing', async () => {
    const res = await connect(gw, { Domain: 'connect-me.com', RecordType: 'email-gateway' });
    expect(res.status, res.text).toBe(200);
    const before = JSON.stringify(zone('connect-me.com'));
    const tampered = res.json.url.replace(`MAIL_MASTER_DOMAIN=${encodeURIComponent(MASTER_DOMAIN)}`, 'MAIL_MASTER_DOMAIN=attacker.example');
    expect(tampered).not.toBe(res.json.url);
    const opened = await open(tampered);
    expect(opened.status).toBe(403);
    expect(opened.text).toContain('the signature does not match');
    expect(fake.signatureChecks).toEqual([{ ok: false, reason: 'the signature does not match the query string' }]);
    expect(JSON.stringify(zone('connect-me.com'))).toBe(before);
    // The untouched URL still applies.
    expect((await open(res.json.url)).status).toBe(200);
  });

  it("a domain that already has a DMARC record keeps it: the URL applies every group but the DMARC one, as dns.set keeps it", async () => {
    const res = await connect(gw, { Domain: 'has-dmarc.com', RecordType: 'campaign' });
    expect(res.status, res.text).toBe(200);
    expect(new URL(res.json.url).searchParams.get('groupId')).toBe('delegation,spf');
    expect((await open(res.json.url)).status).toBe(200);
    expect(at('has-dmarc.com', '_dmarc.has-dmarc.com', 'TXT')).toEqual(['v=DMARC1; p=reject; rua=mailto:d@has-dmarc.com']);
    expect(at('has-dmarc.com', 'sl.has-dmarc.com', 'CNAME')).toEqual([MASTER_DOMAIN]);
    expect(at('has-dmarc.com', 'has-dmarc.com', 'TXT')).toEqual([`v=spf1 include:${SPF_INCLUDE} ~all`]);
  });

  it('a subdomain is applied as domain + host', async () => {
    const res = await connect(gw, { Domain: 'mail.connect-me.com', RecordType: 'email-gateway' });
    expect(res.status, res.text).toBe(200);
    const url = new URL(res.json.url);
    expect([url.searchParams.get('domain'), url.searchParams.get('host')]).toEqual(['connect-me.com', 'mail']);
    expect((await open(res.json.url)).status).toBe(200);
    expect(at('connect-me.com', 'sl.mail.connect-me.com', 'CNAME')).toEqual([MASTER_DOMAIN]);
  });

  it('a RedirectURI outside syncRedirectDomain is refused with code 1 before any lookup', async () => {
    for (const redirect of ['https://evil.example/return', 'https://app.mail-platform.net.evil.example/x', 'javascript:alert(1)', 'not a url']) {
      const res = await connect(gw, { Domain: 'connect-me.com', RecordType: 'campaign', RedirectURI: redirect });
      expect(res.status, redirect).toBe(400);
      expect(res.json.Errors[0].Code).toBe(1);
      expect(res.json.Errors[0].Message).toMatch(/^Invalid redirect URI: /);
    }
    expect(fake.requests).toEqual([]);
  });

  it('a provider offering only the other flow, or without the template onboarded, answers code 11 saying so', async () => {
    const asyncOnly = await connect(gw, { Domain: 'async-only.com', RecordType: 'campaign' });
    expect(asyncOnly.json.Errors).toEqual([{ Code: 11, Message: 'Domain Connect is not available for this domain: the DNS provider Fake DC Provider supports only the asynchronous flow for this domain' }]);
    expect(asyncOnly.status).toBe(422);
    // No URL, no watch.
    expect(watches).toEqual([]);

    fake.offboard(PROVIDER_ID, 'email-gateway');
    try {
      const missing = await connect(gw, { Domain: 'not-onboarded.com', RecordType: 'email-gateway' });
      expect(missing.json.Errors).toEqual([{ Code: 11, Message: `Domain Connect is not available for this domain: the DNS provider Fake DC Provider has not onboarded the template ${PROVIDER_ID}/email-gateway` }]);
      // The other record set is onboarded there: discovery probed both.
      expect((await connect(gw, { Domain: 'not-onboarded.com', RecordType: 'campaign' })).status).toBe(200);
    } finally {
      const served = await http(`${gw.url}/domain-connect/templates/email-gateway.json`);
      fake.onboard(served.json as FakeTemplate);
    }
  });

  it('REST dns.provider keeps its exact shape; GraphQL shows domainConnect and builds the URL', async () => {
    const rest = await getQuery(gw, '/api/v1/dns.provider', { Domain: 'connect-me.com' }, bearer(gw.adminKey));
    expect(rest.json).toEqual({ provider: 'godaddy' });
    const detection = await graphql(gw, print(DnsProviderDomainConnectDocument), { domain: 'connect-me.com' }, gw.adminKey);
    expect(detection.json.data.dnsProvider).toEqual({
      __typename: 'DnsProviderDetection',
      provider: 'godaddy',
      supported: true,
      domainConnect: {
        providerId: 'fake-dc-provider.net',
        providerName: 'Fake DC Provider',
        providerDisplayName: 'Fake DC Provider (brand)',
        syncSupported: true,
        asyncSupported: false,
        templates: ['CAMPAIGN', 'EMAIL_GATEWAY'],
      },
    });
    const none = await graphql(gw, print(DnsProviderDomainConnectDocument), { domain: 'no-txt.com' }, gw.adminKey);
    expect(none.json.data.dnsProvider).toEqual({ __typename: 'DnsProviderDetection', provider: 'godaddy', supported: true, domainConnect: null });

    const url = await graphql(gw, print(DomainConnectUrlDocument), { input: { domain: 'sync-only.com', recordType: 'CAMPAIGN', state: 's' } }, gw.adminKey);
    expect(url.json.data.domainConnectUrl).toMatchObject({ __typename: 'DomainConnectUrl', providerName: 'Fake DC Provider', width: 640, height: 480 });
    // The watch for sync-only.com failed to start: logged, and the URL is still answered.
    expect(watches.map((w) => w.domain)).toEqual(['sync-only.com']);
    expect(gw.logLines.some((l) => l.includes('could not start a watch after dns.connect') && l.includes('sync-only.com'))).toBe(true);
    expect((await open(url.json.data.domainConnectUrl.url)).status).toBe(200);
    const refused = await graphql(gw, print(DomainConnectUrlDocument), { input: { domain: 'no-txt.com', recordType: 'CAMPAIGN' } }, gw.adminKey);
    expect(refused.json.data.domainConnectUrl).toEqual({ __typename: 'DnsError', code: 11, message: 'Domain Connect is not available for this domain: no _domainconnect TXT record at _domainconnect.no-txt.com' });
  });
});

describe('Domain Connect discovery failures: code 11 with the reason, within the deadline', () => {
  const cases: [string, number, RegExp][] = [
    ['no-txt.com', 422, /no _domainconnect TXT record at _domainconnect\.no-txt\.com$/],
    ['settings-404.com', 422, /answered 404 for settings-404\.com \(it does not host the zone\)$/],
    ['settings-html.com', 502, /are unusable: an HTML page instead of JSON$/],
    ['settings-huge.com', 502, /are unreachable: the reply is larger than 64 KiB$/],
    ['settings-500.com', 502, /are unreachable: HTTP 500$/],
    ['settings-hang.com', 502, new RegExp(`are unreachable: no answer within \\d+ ms$`)],
    // A template query without a usable answer is not "not onboarded": the reason says what happened.
    ['probe-500.com', 502, /the template query at dc\.fake-dc-provider\.net:\d+ is unreachable: HTTP 500$/],
  ];
  for (const [domain, status, reason] of cases) {
    it(domain, async () => {
      const started = Date.now();
      const res = await connect(gw, { Domain: domain, RecordType: 'campaign' });
      expect(Date.now() - started).toBeLessThan(DISCOVERY_TIMEOUT_MS + SLACK_MS);
      expect(res.status, res.text).toBe(status);
      expect(res.json.Errors).toHaveLength(1);
      expect(res.json.Errors[0].Code).toBe(11);
      expect(res.json.Errors[0].Message).toMatch(/^Domain Connect is not available for this domain: /);
      expect(res.json.Errors[0].Message).toMatch(reason);
    });
  }

  it('a TXT record naming 127.0.0.1, 10.0.0.1, [::1] or a name resolving to a private address is never followed', async () => {
    const expected: [string, RegExp][] = [
      ['to-loopback.com', /points to the IP address 127\.0\.0\.1; only host names are followed$/],
      ['to-private.com', /points to the IP address 10\.0\.0\.1; only host names are followed$/],
      ['to-v6.com', /points to the IP address ::1; only host names are followed$/],
      ['to-private-name.com', /internal\.fake-dc-provider\.net resolves to 10\.0\.0\.1, which is not a public address$/],
      ['connect-me.com', /dc\.fake-dc-provider\.net resolves to 127\.0\.0\.1, which is not a public address$/],
    ];
    for (const [domain, reason] of expected) {
      const started = Date.now();
      const res = await connect(strict, { Domain: domain, RecordType: 'campaign' });
      expect(Date.now() - started).toBeLessThan(DISCOVERY_TIMEOUT_MS + SLACK_MS);
      expect(res.status, res.text).toBe(422);
      expect(res.json.Errors[0].Code).toBe(11);
      expect(res.json.Errors[0].Message).toMatch(reason);
    }
    // Nothing reached the provider (which listens on 127.0.0.1): the name was refused before connecting.
    expect(fake.requests).toEqual([]);

    // With DOMAIN_CONNECT_ALLOW_PRIVATE=true the same IP literal is followed: the provider is asked, and says 404.
    const allowed = await connect(gw, { Domain: 'to-loopback.com', RecordType: 'campaign' });
    expect(allowed.json.Errors).toEqual([{ Code: 11, Message: expect.stringMatching(/the DNS provider at 127\.0\.0\.1:\d+ answered 404 for to-loopback\.com/) }]);
    expect(fake.requests).toEqual([{ method: 'GET', path: '/v2/to-loopback.com/settings' }]);
  });

  it('discovery is remembered per domain: a second call asks neither DNS nor the provider again', async () => {
    const txtQueries = () => recursive.queries.filter((q) => q.name === '_domainconnect.cache-me.com').length;
    const first = await connect(gw, { Domain: 'cache-me.com', RecordType: 'email-gateway' });
    expect(first.status, first.text).toBe(200);
    const requests = fake.requests.length;
    // Settings and one probe per record set.
    expect(requests).toBe(3);
    expect(txtQueries()).toBe(1);
    const second = await connect(gw, { Domain: 'cache-me.com', RecordType: 'campaign' });
    expect(second.status).toBe(200);
    expect(fake.requests.length).toBe(requests);
    expect(txtQueries()).toBe(1);
  });
});
