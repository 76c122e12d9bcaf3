/**
 * The SPF lookup limit on dns.set, end to end: the gateway counts the DNS lookups (RFC 7208 §4.6.4) of the SPF record
 * it would write through its configured resolver, here a real DNS server on loopback (test/fakes/dns-server.ts).
 *
 * - Over 10 lookups: refused (code 9), nothing written, the dry run refused too.
 * - Count established, within the limit: applied, and the reply is exactly `{"success":true}` (no `warnings`).
 * - Count not established (the resolver times out on an include): applied, but never silently: the dry run's plan and
 *   the reply carry `warnings` (REST `{"success":true,"warnings":[…]}`, GraphQL `warnings`), and a log line says so.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDnsServer, type FakeDnsServer, type FakeRecord } from './fakes/dns-server.js';
import { bearer, graphql, postJson, startGateway, type Gateway } from './helpers/gateway.js';
import type { SandboxRecordFields } from '../src/storage/store.js';

/** The operator's include, merged into every customer's SPF record. Two lookups: itself and one nested include. */
const SPF_INCLUDE = '_spf.spf-test.net';
/** Per query; the resolver tries twice, so a silent server costs 2 × this per lookup. */
const DNS_TIMEOUT_MS = 200;

// TTL 0 everywhere: the gateway caches answers for their TTL, and each case changes what the server answers.
const txt = (name: string, data: string): FakeRecord => ({ name, type: 'TXT', ttl: 0, data });
const soa = (zone: string): FakeRecord => ({ name: zone, type: 'SOA', ttl: 0, data: { mname: `ns1.${zone}`, rname: `hostmaster.${zone}`, minimum: 0 } });
const NINE_LOOKUPS = Array.from({ length: 9 }, (_, i) => `a:h${i + 1}.customer.net`).join(' ');
const DNS_DATA: FakeRecord[] = [
  soa('spf-test.net'),
  txt(SPF_INCLUDE, 'v=spf1 ip4:192.0.2.0/24 include:_inner.spf-test.net -all'),
  txt('_inner.spf-test.net', 'v=spf1 ip4:198.51.100.0/24 -all'),
  soa('customer.net'),
  // 1 (this include) + 9: with the operator's 2 the merged record needs 12.
  txt('big.customer.net', `v=spf1 ${NINE_LOOKUPS} -all`),
];

let dns: FakeDnsServer;
let gw: Gateway;
let key: string;

beforeAll(async () => {
  dns = await startDnsServer({ records: DNS_DATA });
  gw = await startGateway({ DNS_RESOLVERS: dns.address, DNS_TIMEOUT_MS: String(DNS_TIMEOUT_MS), MAIL_SPF_INCLUDE: SPF_INCLUDE });
  key = await gw.createKey();
});
afterAll(async () => {
  await gw?.close();
  await dns?.close();
});

/** A sandbox zone with one SPF record at its apex (and an A record that must stay as it is). */
async function seedZone(domain: string, spf: string): Promise<void> {
  const records: SandboxRecordFields[] = [
    { type: 'A', name: domain, content: '203.0.113.10', ttl: 3600, priority: null },
    { type: 'TXT', name: domain, content: spf, ttl: 3600, priority: null },
  ];
  const outcome = await gw.running.services.store.applySandboxWrites(domain, records.map((record) => ({ op: 'insert' as const, id: randomUUID(), record })));
  expect(outcome.ok).toBe(true);
}

const spfAt = async (domain: string) =>
  (await gw.running.services.store.readSandboxZone(domain)).filter((r) => r.type === 'TXT' && r.name === domain).map((r) => r.content);

const dnsSet = (domain: string, extra: Record<string, unknown> = {}) =>
  postJson(gw, '/api/v1/dns.set', { Domain: domain, Provider: 'sandbox', ApiKey: 'sandbox-key-0001', RecordType: 'campaign', ...extra }, bearer(key));

const SET = `mutation($i: SetDnsRecordsInput!) { setDnsRecords(input: $i) {
  __typename ... on SetDnsRecordsSuccess { applied warnings changes { action type name content } } ... on DnsError { code message } } }`;
const gqlSet = (domain: string, dryRun: boolean) =>
  graphql(gw, SET, { i: { domain, provider: 'SANDBOX', recordType: 'CAMPAIGN', credentials: { apiKey: 'sandbox-key-0001' }, dryRun } }, key);

describe('dns.set and the SPF lookup limit, through a DNS server on loopback', () => {
  it('more than 10 lookups: refused with code 9 naming the count, dry run and apply alike, and nothing written', async () => {
    const domain = 'spf-over.com';
    const customerSpf = 'v=spf1 include:big.customer.net -all';
    await seedZone(domain, customerSpf);
    const before = await gw.running.services.store.readSandboxZone(domain);

    for (const extra of [{ DryRun: true }, {}]) {
      const res = await dnsSet(domain, extra);
      expect(res.status).toBe(422);
      expect(res.json.Errors).toEqual([
        { Code: 9, Message: `Failed to set DNS records: the merged SPF record at ${domain} needs 12 DNS lookups (RFC 7208 allows 10)` },
      ]);
      expect(res.json.changes.find((c: { name: string; type: string }) => c.type === 'TXT' && c.name === domain)).toMatchObject({ action: 'CONFLICT' });
    }
    const gql = await gqlSet(domain, false);
    expect(gql.json.data.setDnsRecords).toMatchObject({ __typename: 'DnsError', code: 9, message: expect.stringContaining('needs 12 DNS lookups') });
    expect(await gw.running.services.store.readSandboxZone(domain)).toEqual(before);
    expect(await gw.running.services.store.listChanges({ domain })).toEqual([]);
    // The count really went through the server: the customer's include and the operator's chain were asked.
    expect(dns.queries.map((q) => q.name)).toEqual(expect.arrayContaining(['big.customer.net', SPF_INCLUDE, '_inner.spf-test.net']));
  });

  it('a count within the limit: applied, and the reply is exactly {"success":true}; GraphQL warnings is empty', async () => {
    const domain = 'spf-fine.com';
    await seedZone(domain, 'v=spf1 ip4:203.0.113.5 -all');
    const dry = await dnsSet(domain, { DryRun: true });
    expect(dry.status).toBe(200);
    expect(Object.keys(dry.json)).toEqual(['success', 'changes']);
    const gqlDry = await gqlSet(domain, true);
    expect(gqlDry.json.data.setDnsRecords).toMatchObject({ __typename: 'SetDnsRecordsSuccess', applied: false, warnings: [] });

    const applied = await dnsSet(domain);
    expect(applied.text).toBe('{"success":true}');
    expect(await spfAt(domain)).toEqual([`v=spf1 ip4:203.0.113.5 include:${SPF_INCLUDE} -all`]);
  });

  describe('a count that cannot be established (the resolver times out)', () => {
    const domain = 'spf-slow.com';
    const gqlDomain = 'spf-slow-graphql.com';
    const customerSpf = 'v=spf1 include:big.customer.net -all';
    beforeAll(async () => {
      await seedZone(domain, customerSpf);
      await seedZone(gqlDomain, customerSpf);
      // Every answer later than the resolver waits: each lookup times out.
      dns.delayMs = DNS_TIMEOUT_MS * 10;
    });
    afterAll(() => {
      dns.delayMs = 0;
    });

    const warningFor = (name: string) =>
      new RegExp(
        `^the DNS lookup count of the SPF record at ${name.replace(/\./g, '\\.')} could not be established \\(include:big\\.customer\\.net: the lookup failed \\(.*timeout.*\\); include:_spf\\.spf-test\\.net: the lookup failed \\(.*timeout.*\\)\\): it needs at least 2 of the 10 lookups RFC 7208 allows; check it once DNS answers$`,
      );

    it('REST: the dry run shows the plan with the warning; the apply writes the merged record and answers {"success":true,"warnings":[…]}', async () => {
      const dry = await dnsSet(domain, { DryRun: true });
      expect(dry.status).toBe(200);
      expect(Object.keys(dry.json)).toEqual(['success', 'changes', 'warnings']);
      expect(dry.json.warnings).toEqual([expect.stringMatching(warningFor(domain))]);
      expect(dry.json.changes.find((c: { name: string; type: string }) => c.type === 'TXT' && c.name === domain)).toMatchObject({ action: 'UPDATE' });
      expect(await spfAt(domain)).toEqual([customerSpf]);

      const applied = await dnsSet(domain);
      expect(applied.status).toBe(200);
      expect(Object.keys(applied.json)).toEqual(['success', 'warnings']);
      expect(applied.json).toEqual({ success: true, warnings: [expect.stringMatching(warningFor(domain))] });
      expect(await spfAt(domain)).toEqual([`v=spf1 include:big.customer.net include:${SPF_INCLUDE} -all`]);
      // And the operator's log says so too.
      expect(gw.logLines.some((l) => l.includes('"msg":"SPF lookup count not established"') && l.includes(domain))).toBe(true);
    });

    it('GraphQL: warnings on the dry run and on the apply', async () => {
      const dry = await gqlSet(gqlDomain, true);
      expect(dry.json.data.setDnsRecords).toMatchObject({ __typename: 'SetDnsRecordsSuccess', applied: false, warnings: [expect.stringMatching(warningFor(gqlDomain))] });
      const applied = await gqlSet(gqlDomain, false);
      expect(applied.json.data.setDnsRecords).toMatchObject({ __typename: 'SetDnsRecordsSuccess', applied: true, warnings: [expect.stringMatching(warningFor(gqlDomain))] });
      expect(await spfAt(gqlDomain)).toEqual([`v=spf1 include:big.customer.net include:${SPF_INCLUDE} -all`]);
    });
  });
});
