/**
 * The change journal and revert, end to end over loopback HTTP: dns.set → dns.changes lists it → dns.revert
 * restores the whole zone → a record edited since makes the revert refuse with nothing written. Through REST with
 * the sandbox and Namecheap fakes, and through GraphQL with the Cloudflare fake.
 */
import { randomUUID } from 'node:crypto';
import { print } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseApiKey } from '../src/auth/api-keys.js';
import { journalWrites, planRevert, principalLabel } from '../src/services/journal.js';
import type { DnsRecord } from '../providers/types.js';
import type { SandboxRecordFields } from '../src/storage/store.js';
import { DnsChangesDocument, RevertDnsChangeDocument, SetDnsRecordsDocument } from './graphql/generated/graphql.js';
import { bearer, graphql, postForm, postJson } from './helpers/gateway.js';
import { SECRETS, startWorld, type World } from './helpers/world.js';
import type { FakeRecord } from './fakes/cloudflare-fake.js';

/** The operator's SPF include: set, so that the campaign set UPDATEs the zone's existing SPF record. */
const SPF_INCLUDE = 'spf.sender-platform.net';

let world: World;
let gw: World['gateway'];
let key: string;
let keyId: string;

beforeAll(async () => {
  world = await startWorld({ MAIL_SPF_INCLUDE: SPF_INCLUDE });
  gw = world.gateway;
  key = await gw.createKey({ name: 'journal-writer' });
  keyId = parseApiKey(key)!.keyId;
});
afterAll(() => world.close());

const store = () => gw.running.services.store;

interface ChangeLine {
  action: string;
  type: string;
  name: string;
  content: string;
  ttl: number;
  previous: string | null;
}

const lines = (changes: ChangeLine[]) => changes.map((c) => `${c.action} ${c.type} ${c.name}`).sort();

// ------------------------------------------------------------------------------------------------------ sandbox

const SANDBOX_DOMAIN = 'journal-sandbox.com';
const SANDBOX_SPF = 'v=spf1 include:_spf.mailhost.example.net -all';

/** A customer zone: an SPF to merge into, an A record where the return-path CNAME goes (forced → DELETE), others. */
const sandboxSeed: SandboxRecordFields[] = [
  { type: 'A', name: SANDBOX_DOMAIN, content: '203.0.113.10', ttl: 3600, priority: null },
  { type: 'MX', name: SANDBOX_DOMAIN, content: 'mx1.mailhost.example.net', ttl: 3600, priority: 10 },
  { type: 'TXT', name: SANDBOX_DOMAIN, content: SANDBOX_SPF, ttl: 1800, priority: null },
  { type: 'TXT', name: `_dmarc.${SANDBOX_DOMAIN}`, content: 'v=DMARC1; p=reject', ttl: 3600, priority: null },
  { type: 'A', name: `sl.${SANDBOX_DOMAIN}`, content: '198.51.100.9', ttl: 600, priority: null },
  { type: 'CNAME', name: `www.${SANDBOX_DOMAIN}`, content: 'hosting.example.org', ttl: 300, priority: null },
];

/** The whole sandbox zone, without the ids a re-created record cannot keep, in a stable order. */
async function sandboxZone(): Promise<string[]> {
  const rows = await store().readSandboxZone(SANDBOX_DOMAIN);
  return rows.map(({ id: _id, ...rest }) => JSON.stringify(rest)).sort();
}

const sandboxSet = { Domain: SANDBOX_DOMAIN, Provider: 'sandbox', ApiKey: 'sandbox-provider-key-7f3a', RecordType: 'campaign', Force: true };

describe('journal and revert through REST with the sandbox', () => {
  let original: string[];
  let firstId: string;

  beforeAll(async () => {
    const outcome = await store().applySandboxWrites(
      SANDBOX_DOMAIN,
      sandboxSeed.map((record) => ({ op: 'insert' as const, id: randomUUID(), record })),
    );
    expect(outcome.ok).toBe(true);
    original = await sandboxZone();
  });

  it('journals an applied dns.set with each write and the record before it', async () => {
    const set = await postJson(gw, '/api/v1/dns.set', sandboxSet, bearer(key));
    expect(set.text).toBe('{"success":true}');

    const res = await postJson(gw, '/api/v1/dns.changes', { Domain: SANDBOX_DOMAIN.toUpperCase() }, bearer(key));
    expect(res.status).toBe(200);
    expect(Object.keys(res.json)).toEqual(['changes']);
    expect(res.json.changes).toHaveLength(1);
    const entry = res.json.changes[0];
    firstId = entry.id;
    expect(entry).toMatchObject({ domain: SANDBOX_DOMAIN, provider: 'sandbox', recordType: 'campaign', status: 'applied', applied: true, revertOf: null });
    expect(entry).not.toHaveProperty('problem');
    expect(Date.parse(entry.createdAt)).toBeGreaterThan(Date.now() - 60_000);
    expect(lines(entry.changes)).toEqual(
      [
        `CREATE CNAME key1._domainkey.${SANDBOX_DOMAIN}`,
        `CREATE CNAME key1._domainkey.sl.${SANDBOX_DOMAIN}`,
        `CREATE CNAME sl.${SANDBOX_DOMAIN}`,
        `CREATE CNAME track-sl.${SANDBOX_DOMAIN}`,
        `DELETE A sl.${SANDBOX_DOMAIN}`,
        `UPDATE TXT ${SANDBOX_DOMAIN}`,
      ].sort(),
    );
    const spf = entry.changes.find((c: ChangeLine) => c.action === 'UPDATE');
    expect(spf).toEqual({
      action: 'UPDATE',
      type: 'TXT',
      name: SANDBOX_DOMAIN,
      content: `v=spf1 include:_spf.mailhost.example.net include:${SPF_INCLUDE} -all`,
      ttl: 1800,
      previous: SANDBOX_SPF,
    });
    expect(entry.changes.find((c: ChangeLine) => c.action === 'DELETE')).toMatchObject({ content: '198.51.100.9', ttl: 600, previous: '198.51.100.9' });

    // The stored row keeps the full records before and after, and who made the change.
    const row = await store().getChange(firstId);
    expect(row?.principal).toBe(`key:${keyId}`);
    const writes = (row?.changes as { writes: { action: string; before: unknown; after: unknown }[] }).writes;
    expect(writes.find((w) => w.action === 'DELETE')).toEqual({
      action: 'DELETE',
      before: { type: 'A', name: `sl.${SANDBOX_DOMAIN}`, content: '198.51.100.9', ttl: 600, priority: null },
      after: null,
    });
    expect(writes.filter((w) => w.action === 'CREATE').every((w) => w.before === null)).toBe(true);
  });

  it('does not journal a dry run or an apply with nothing to write', async () => {
    await postJson(gw, '/api/v1/dns.set', { ...sandboxSet, DryRun: true }, bearer(key));
    const again = await postJson(gw, '/api/v1/dns.set', sandboxSet, bearer(key));
    expect(again.text).toBe('{"success":true}');
    const res = await postJson(gw, '/api/v1/dns.changes', { Domain: SANDBOX_DOMAIN }, bearer(key));
    expect(res.json.changes.map((c: { id: string }) => c.id)).toEqual([firstId]);
  });

  it('answers dns.changes on /api.php in the legacy envelope, as JSON and as XML', async () => {
    const json = await postJson(gw, '/api.php', { Command: 'dns.changes', APIKey: key, Domain: SANDBOX_DOMAIN });
    expect(json.json).toMatchObject({ Success: true, ErrorCode: 0, changes: [{ id: firstId, provider: 'sandbox' }] });
    const xml = await postForm(gw, '/api.php', { Command: 'dns.changes', APIKey: key, Domain: SANDBOX_DOMAIN, ResponseFormat: 'XML' });
    expect(xml.status).toBe(200);
    expect(xml.text).toContain(`<id>${firstId}</id>`);
    expect(xml.text).toContain(`<previous>${SANDBOX_SPF}</previous>`);
  });

  it('reverts: the whole zone is as before the dns.set, and the revert is journaled', async () => {
    expect(await sandboxZone()).not.toEqual(original);
    const res = await postForm(gw, '/api/v1/dns.revert', { ChangeID: firstId, ApiKey: 'sandbox-provider-key-7f3a' }, bearer(key));
    expect(res.status).toBe(200);
    expect(res.text).toBe('{"success":true}');
    expect(await sandboxZone()).toEqual(original);

    const list = await postJson(gw, '/api/v1/dns.changes', { Domain: SANDBOX_DOMAIN }, bearer(key));
    expect(list.json.changes).toHaveLength(2);
    const revert = list.json.changes[0];
    expect(revert).toMatchObject({ provider: 'sandbox', recordType: 'campaign', status: 'applied', applied: true, revertOf: firstId });
    expect(lines(revert.changes)).toEqual(
      [
        `DELETE CNAME key1._domainkey.${SANDBOX_DOMAIN}`,
        `DELETE CNAME key1._domainkey.sl.${SANDBOX_DOMAIN}`,
        `DELETE CNAME sl.${SANDBOX_DOMAIN}`,
        `DELETE CNAME track-sl.${SANDBOX_DOMAIN}`,
        `CREATE A sl.${SANDBOX_DOMAIN}`,
        `UPDATE TXT ${SANDBOX_DOMAIN}`,
      ].sort(),
    );
    expect((await store().getChange(revert.id))?.principal).toBe(`key:${keyId}`);
  });

  it('refuses to revert the same change twice: its records are gone', async () => {
    const before = await store().readSandboxZone(SANDBOX_DOMAIN);
    const res = await postJson(gw, '/api/v1/dns.revert', { ChangeID: firstId, ApiKey: 'k' }, bearer(key));
    expect(res.status).toBe(409);
    expect(res.json.Errors[0].Code).toBe(9);
    expect(await store().readSandboxZone(SANDBOX_DOMAIN)).toEqual(before);
  });

  it('refuses, naming the record and writing nothing, when a record the change wrote was edited since', async () => {
    await postJson(gw, '/api/v1/dns.set', sandboxSet, bearer(key));
    const list = await postJson(gw, '/api/v1/dns.changes', { Domain: SANDBOX_DOMAIN }, bearer(key));
    const latest = list.json.changes[0];
    expect(latest.revertOf).toBeNull();

    // Someone changes the TTL of the tracking CNAME by hand.
    const rows = await store().readSandboxZone(SANDBOX_DOMAIN);
    const track = rows.find((r) => r.name === `track-sl.${SANDBOX_DOMAIN}`)!;
    const { zone: _zone, id, ...fields } = track;
    expect((await store().applySandboxWrites(SANDBOX_DOMAIN, [{ op: 'update', id, record: { ...fields, ttl: 300 } }])).ok).toBe(true);
    const edited = await store().readSandboxZone(SANDBOX_DOMAIN);

    const res = await postJson(gw, '/api/v1/dns.revert', { ChangeID: latest.id, ApiKey: 'k' }, bearer(key));
    expect(res.status).toBe(409);
    expect(res.json.Errors).toHaveLength(1);
    expect(res.json.Errors[0].Code).toBe(9);
    expect(res.json.Errors[0].Message).toContain(`CNAME track-sl.${SANDBOX_DOMAIN}`);
    expect(res.json.Errors[0].Message).not.toContain(`key1._domainkey`);
    // Byte for byte, ids included: not one record was written.
    expect(await store().readSandboxZone(SANDBOX_DOMAIN)).toEqual(edited);
    const after = await postJson(gw, '/api/v1/dns.changes', { Domain: SANDBOX_DOMAIN }, bearer(key));
    expect(after.json.changes[0].id).toBe(latest.id);

    // /api.php answers the same refusal with HTTP 200 and Success:false.
    const legacy = await postJson(gw, '/api.php', { Command: 'dns.revert', APIKey: key, ChangeID: latest.id, ApiKey: 'k' });
    expect(legacy.status).toBe(200);
    expect(legacy.json).toMatchObject({ Success: false, ErrorCode: [9] });
  });

  it('answers 12 (HTTP 404) for an unknown change and 2 + 11 for missing parameters', async () => {
    const unknown = await postJson(gw, '/api/v1/dns.revert', { ChangeID: randomUUID(), ApiKey: 'k' }, bearer(key));
    expect(unknown.status).toBe(404);
    expect(unknown.json.Errors.map((e: { Code: number }) => e.Code)).toEqual([12]);
    const missing = await postJson(gw, '/api/v1/dns.revert', {}, bearer(key));
    expect(missing.status).toBe(400);
    expect(missing.json.Errors.map((e: { Code: number }) => e.Code)).toEqual([2, 11]);
    const noDomain = await postJson(gw, '/api/v1/dns.changes', {}, bearer(key));
    expect(noDomain.json.Errors.map((e: { Code: number }) => e.Code)).toEqual([1]);
  });

  it('needs an authenticated caller with User.Update for both commands', async () => {
    const readOnly = await gw.createKey({ name: 'no-update', permissions: ['Report.Read'] });
    for (const [command, body] of [
      ['dns.changes', { Domain: SANDBOX_DOMAIN }],
      ['dns.revert', { ChangeID: firstId, ApiKey: 'k' }],
    ] as const) {
      const denied = await postJson(gw, `/api/v1/${command}`, body, bearer(readOnly));
      expect(denied.status).toBe(403);
      expect(denied.json.Errors[0].Code).toBe(99999);
      const anonymous = await postJson(gw, `/api/v1/${command}`, body);
      expect(anonymous.status).toBe(401);
      expect(anonymous.json.Errors[0].Code).toBe(99998);
    }
  });
});

// --------------------------------------------------------------------------------------------------- Namecheap

describe('journal and revert through REST with the Namecheap fake', () => {
  const credentials = { ApiKey: SECRETS.namecheapKey, ApiUser: SECRETS.namecheapUser, Username: SECRETS.namecheapUser };
  const zone = () => world.namecheap.state.zones.get('example.com')!;
  /** Every host without the HostId setHosts renumbers, in a stable order, and the zone's EmailType. */
  const snapshot = () => ({
    emailType: zone().emailType,
    hosts: zone().hosts.map(({ HostId: _id, ...rest }) => JSON.stringify(rest)).sort(),
  });

  it('restores the whole zone, and applies the provider credential rules to the revert', async () => {
    // A host where the return-path CNAME goes, so the forced plan DELETEs it.
    zone().hosts.push({ ...zone().hosts[0]!, HostId: '9001', Name: 'sl', Type: 'A', Address: '198.51.100.9', TTL: '600' });
    const original = snapshot();

    const set = await postJson(gw, '/api/v1/dns.set', { Domain: 'example.com', Provider: 'namecheap', RecordType: 'email-gateway', Force: '1', ...credentials }, bearer(key));
    expect(set.text).toBe('{"success":true}');
    expect(snapshot()).not.toEqual(original);

    const list = await postJson(gw, '/api/v1/dns.changes', { Domain: 'example.com' }, bearer(key));
    const entry = list.json.changes.find((c: { provider: string }) => c.provider === 'namecheap');
    expect(entry).toMatchObject({ recordType: 'email-gateway', applied: true });
    expect(lines(entry.changes)).toEqual(
      ['CREATE CNAME key1._domainkey.example.com', 'CREATE CNAME key1._domainkey.sl.example.com', 'CREATE CNAME sl.example.com', 'DELETE A sl.example.com', 'UPDATE TXT example.com'].sort(),
    );

    const setHostsBefore = world.namecheap.calls.filter((c) => c.command === 'namecheap.domains.dns.sethosts').length;
    const noUser = await postJson(gw, '/api/v1/dns.revert', { ChangeID: entry.id, ApiKey: SECRETS.namecheapKey }, bearer(key));
    expect(noUser.status).toBe(400);
    expect(noUser.json.Errors.map((e: { Code: number }) => e.Code)).toEqual([6, 7]);
    const wrongKey = await postJson(gw, '/api/v1/dns.revert', { ChangeID: entry.id, ...credentials, ApiKey: 'ncWRONGkey' }, bearer(key));
    expect(wrongKey.json.Errors[0].Code).toBe(9);
    expect(world.namecheap.calls.filter((c) => c.command === 'namecheap.domains.dns.sethosts').length).toBe(setHostsBefore);

    const revert = await postJson(gw, '/api/v1/dns.revert', { ChangeID: entry.id, ...credentials }, bearer(key));
    expect(revert.text).toBe('{"success":true}');
    expect(snapshot()).toEqual(original);
  });
});

// -------------------------------------------------------------------------------------------------- Cloudflare

describe('journal and revert through GraphQL with the Cloudflare fake', () => {
  const SET = print(SetDnsRecordsDocument);
  const CHANGES = print(DnsChangesDocument);
  const REVERT = print(RevertDnsChangeDocument);
  const cf = () => world.cloudflare;
  const zone = () => [...cf().state.zones.values()].find((z) => z.name === 'example.com')!;
  /** Every field of every record but the ones a provider assigns (id, timestamps), in a stable order. */
  const snapshot = () =>
    cf()
      .records('example.com')
      .map(({ id: _id, created_on: _c, modified_on: _m, ...rest }) => JSON.stringify(rest))
      .sort();
  const batches = () => cf().calls.filter((c) => c.path.endsWith('/dns_records/batch')).length;
  const setInput = { domain: 'example.com', provider: 'CLOUDFLARE', recordType: 'CAMPAIGN', force: true, credentials: { apiKey: SECRETS.cloudflareToken } };
  const revertInput = (id: string) => ({ input: { id, credentials: { apiKey: SECRETS.cloudflareToken } } });
  const cloudflareEntries = async () => {
    const res = await graphql(gw, CHANGES, { domain: 'example.com' }, key);
    expect(res.json.errors).toBeUndefined();
    return res.json.data.dnsChanges.filter((c: { provider: string }) => c.provider === 'CLOUDFLARE');
  };

  let original: string[];

  beforeAll(() => {
    const host = zone().records.find((r) => r.name === 'host01.example.com')!;
    // Proxied, commented and tagged: a forced replacement deletes it, and the revert must bring all of that back.
    const extra: FakeRecord = {
      ...structuredClone(host),
      id: randomUUID().replace(/-/g, ''),
      name: 'sl.example.com',
      content: '198.51.100.9',
      proxiable: true,
      proxied: true,
      comment: 'old mail landing page (agency)',
      tags: ['team:web', 'owner:agency'],
    };
    zone().records.push(extra);
    original = snapshot();
  });

  it('setDnsRecords (the unchanged client document) is journaled and listed by dnsChanges', async () => {
    const set = await graphql(gw, SET, { input: setInput }, key);
    expect(set.json.data.setDnsRecords).toMatchObject({ __typename: 'SetDnsRecordsSuccess', success: true, applied: true });
    const [entry, ...rest] = await cloudflareEntries();
    expect(rest).toEqual([]);
    expect(entry).toMatchObject({ domain: 'example.com', recordType: 'CAMPAIGN', applied: true, revertOf: null });
    // The write-ahead status, and no read problem, on the GraphQL type too.
    const statuses = await graphql(gw, '{ dnsChanges(domain: "example.com") { id status problem } }', {}, key);
    expect(statuses.json.data.dnsChanges.find((c: { id: string }) => c.id === entry.id)).toEqual({ id: entry.id, status: 'APPLIED', problem: null });
    expect(lines(entry.changes)).toEqual(
      [
        'CREATE CNAME key1._domainkey.example.com',
        'CREATE CNAME key1._domainkey.sl.example.com',
        'CREATE CNAME sl.example.com',
        'CREATE CNAME track-sl.example.com',
        'DELETE A sl.example.com',
        'UPDATE TXT example.com',
      ].sort(),
    );
  });

  it('revertDnsChange restores the zone record for record, field for field', async () => {
    const [entry] = await cloudflareEntries();
    const res = await graphql(gw, REVERT, revertInput(entry.id), key);
    expect(res.json.data.revertDnsChange.__typename).toBe('RevertDnsChangeSuccess');
    expect(res.json.data.revertDnsChange.success).toBe(true);
    expect(lines(res.json.data.revertDnsChange.changes)).toContain('CREATE A sl.example.com');
    // The SPF record kept its comment: the UPDATE was undone in place, not by delete and re-create.
    expect(snapshot()).toEqual(original);
    const [revert] = await cloudflareEntries();
    expect(revert.revertOf).toBe(entry.id);
  });

  it('refuses with DnsError 9, writing nothing, when a record was edited since', async () => {
    await graphql(gw, SET, { input: setInput }, key);
    const [latest] = await cloudflareEntries();
    const dkim = zone().records.find((r) => r.name === 'key1._domainkey.example.com')!;
    dkim.content = 'key1._domainkey.another-platform.example';
    const edited = cf().records('example.com');
    const batchCount = batches();

    const res = await graphql(gw, REVERT, revertInput(latest.id), key);
    expect(res.json.data.revertDnsChange).toMatchObject({ __typename: 'DnsError', code: 9 });
    expect(res.json.data.revertDnsChange.message).toContain('CNAME key1._domainkey.example.com');
    expect(cf().records('example.com')).toEqual(edited);
    expect(batches()).toBe(batchCount);
  });

  it('answers DnsError 12 for an unknown id, and FORBIDDEN without User.Update', async () => {
    const unknown = await graphql(gw, REVERT, revertInput('no-such-change'), key);
    expect(unknown.json.data.revertDnsChange).toMatchObject({ __typename: 'DnsError', code: 12 });
    const readOnly = await gw.createKey({ name: 'gql-no-update', permissions: ['Report.Read'] });
    const list = await graphql(gw, CHANGES, { domain: 'example.com' }, readOnly);
    expect(list.json.errors[0].extensions.code).toBe('FORBIDDEN');
    const revert = await graphql(gw, REVERT, revertInput('no-such-change'), readOnly);
    expect(revert.json.errors[0].extensions.code).toBe('FORBIDDEN');
    const invalid = await graphql(gw, CHANGES, { domain: 'not a domain' }, key);
    expect(invalid.json.errors[0].extensions).toMatchObject({ code: 'DNS_ERROR', restCode: 1 });
  });
});

// ------------------------------------------------------------------------------------------------- pure logic

describe('planRevert', () => {
  const a: DnsRecord = { id: '1', type: 'A', name: 'sl.x.com', content: '198.51.100.9', ttl: 600 };
  const cname: DnsRecord = { id: '2', type: 'CNAME', name: 'sl.x.com', content: 'mta.example.net', ttl: 3600 };
  const mx: DnsRecord = { id: '3', type: 'MX', name: 'x.com', content: 'mx1.example.net', ttl: 3600, priority: 10 };
  const writes = journalWrites([
    { action: 'DELETE', before: a },
    { action: 'CREATE', record: { type: 'CNAME', name: 'SL.x.com.', content: 'mta.example.net', ttl: 3600 } },
    { action: 'UPDATE', before: mx, record: { ...mx, content: 'mx9.example.net', priority: 5 } },
  ]);

  it('inverts every write in reverse order, naming the records as they are now', () => {
    const now: DnsRecord[] = [{ ...cname, content: 'MTA.example.net.' }, { ...mx, id: '4', content: 'mx9.example.net', priority: 5 }];
    const plan = planRevert(writes, now);
    expect(plan).toEqual({
      ok: true,
      changes: [
        { action: 'UPDATE', before: now[1], record: { type: 'MX', name: 'x.com', content: 'mx1.example.net', ttl: 3600, priority: 10 } },
        { action: 'DELETE', before: now[0] },
        { action: 'CREATE', record: { type: 'A', name: 'sl.x.com', content: '198.51.100.9', ttl: 600 } },
      ],
    });
  });

  it('refuses on a changed TTL, a changed priority, a missing record, or a deleted record that is back', () => {
    const mxNow = { ...mx, content: 'mx9.example.net', priority: 5 };
    const cases: [DnsRecord[], string][] = [
      [[{ ...cname, ttl: 300 }, mxNow], 'CNAME sl.x.com'],
      [[cname, { ...mxNow, priority: 6 }], 'MX x.com'],
      [[mxNow], 'CNAME sl.x.com'],
      [[cname, mxNow, a], 'A sl.x.com'],
    ];
    for (const [now, named] of cases) {
      const plan = planRevert(writes, now);
      expect(plan.ok).toBe(false);
      if (!plan.ok) {
        expect(plan.problems).toHaveLength(1);
        expect(plan.problems[0]).toContain(named);
      }
    }
  });

  it('labels callers by key id or user id only', () => {
    expect(principalLabel({ keyId: 'k1', userId: 'u1' })).toBe('key:k1');
    expect(principalLabel({ keyId: null, userId: 'u1' })).toBe('user:u1');
  });
});

// ------------------------------------------------------------------------------------------------------ secrets

describe('the stored journal', () => {
  it('holds no credential: not the provider keys, not the caller keys', async () => {
    const rows = await store().listChanges({ limit: 1000 });
    expect(rows.length).toBeGreaterThanOrEqual(8);
    const text = JSON.stringify(rows);
    for (const secret of [...Object.values(SECRETS), 'sandbox-provider-key-7f3a', key, gw.adminKey]) {
      expect(text).not.toContain(secret);
    }
    for (const row of rows) expect(row.principal).toMatch(/^(key|user):[\w-]+$/);
  });
});
