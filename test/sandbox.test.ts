import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createSandboxProvider } from '../providers/sandbox.js';
import { ProviderError, type DnsRecord, type ProviderSession, type RecordChange, type Zone } from '../providers/types.js';
import { openStore } from '../src/storage/open.js';
import type { Store } from '../src/storage/store.js';
import { SEED_APEX, seedRecords } from './fakes/seed-zone.js';

let store: Store;
let session: ProviderSession;
beforeEach(async () => {
  store = await openStore('sqlite::memory:');
  // Any credentials work: the sandbox has no account to check them against.
  session = createSandboxProvider({ store }).connect({ apiKey: 'anything at all' }, { account: 'key:sandbox-test' });
});
afterEach(async () => {
  await store.close();
});

const neutral = (r: { type: string; name: string; content: string; ttl: number; priority?: number | undefined }) =>
  `${r.type} ${r.name} ${r.ttl} ${r.priority ?? '-'} ${r.content}`;

async function seededZone(): Promise<{ zone: Zone; records: readonly DnsRecord[] }> {
  const zone = await session.findZone(SEED_APEX);
  const seed = seedRecords();
  const contents = await session.readZone(zone);
  await session.applyChanges(zone, contents, seed.map((record): RecordChange => ({ action: 'CREATE', record })));
  return { zone, records: (await session.readZone(zone)).records };
}

async function expectProviderError(promise: Promise<unknown>, kind: string): Promise<ProviderError> {
  const error = await promise.catch((e: unknown) => e);
  expect(error).toBeInstanceOf(ProviderError);
  expect((error as ProviderError).kind).toBe(kind);
  expect((error as ProviderError).provider).toBe('sandbox');
  return error as ProviderError;
}

describe('sandbox provider', () => {
  it('declares its capabilities and needs no extra credentials', () => {
    const provider = createSandboxProvider({ store });
    expect(provider.id).toBe('sandbox');
    expect(provider.requiredCredentials).toEqual([]);
    expect(provider.capabilities.minTtl).toBe(60);
    expect(provider.capabilities.atomicApply).toBe(true);
    for (const type of ['A', 'AAAA', 'CNAME', 'MX', 'TXT', 'NS', 'SRV', 'CAA']) expect(provider.capabilities.recordTypes.has(type)).toBe(true);
  });

  it('finds the zone at the registrable domain and refuses names that have none', async () => {
    expect(await session.findZone('Mail.Example.co.uk.')).toEqual({ name: 'example.co.uk', id: 'example.co.uk' });
    expect(await session.authorize('_dmarc.example.com')).toEqual({ name: 'example.com', id: 'example.com' });
    await expectProviderError(session.findZone('co.uk'), 'not_found');
    await expectProviderError(session.findZone('localhost'), 'not_found');
  });

  it("keeps one zone per account: another account's session neither sees nor edits it", async () => {
    const { zone, records } = await seededZone();
    const other = createSandboxProvider({ store }).connect({ apiKey: 'anything at all' }, { account: 'user:someone-else' });
    expect((await other.readZone(zone)).records).toEqual([]);
    // Naming one of the first account's records (as if its id had leaked) changes nothing in either zone.
    const target = records.find((r) => r.type === 'MX')!;
    await expectProviderError(other.applyChanges(zone, { records: [] }, [{ action: 'DELETE', before: target }]), 'conflict');
    await expectProviderError(other.applyChanges(zone, { records: [] }, [{ action: 'UPDATE', before: target, record: { ...target, ttl: 60 } }]), 'conflict');
    expect((await session.readZone(zone)).records).toEqual(records);
    expect((await other.readZone(zone)).records).toEqual([]);
    // A session without an account can still find a zone (dns.authorize) but never read or write one.
    const anonymous = createSandboxProvider({ store }).connect({ apiKey: 'x' });
    expect(await anonymous.findZone(SEED_APEX)).toEqual(zone);
    await expect(anonymous.readZone(zone)).rejects.toThrow(/only for an account/);
  });

  it('starts empty, then holds exactly the records written, with ids', async () => {
    const zone = await session.findZone(SEED_APEX);
    expect((await session.readZone(zone)).records).toEqual([]);
    const { records } = await seededZone();
    expect(records.map(neutral).sort()).toEqual(seedRecords().map(neutral).sort());
    expect(new Set(records.map((r) => r.id)).size).toBe(records.length);
    expect(records.filter((r) => r.type === 'MX').every((r) => typeof r.priority === 'number')).toBe(true);
    expect(records.filter((r) => r.type === 'TXT').every((r) => r.priority === undefined)).toBe(true);
    // Zones are separate.
    expect((await session.readZone(await session.findZone('other.org'))).records).toEqual([]);
  });

  it('updates and deletes by id and leaves every other record untouched', async () => {
    const { zone, records } = await seededZone();
    const dmarc = records.find((r) => r.name === `_dmarc.${SEED_APEX}`)!;
    const spf = records.find((r) => r.name === SEED_APEX && r.type === 'TXT' && r.content.startsWith('v=spf1'))!;
    const changes: RecordChange[] = [
      { action: 'UPDATE', before: dmarc, record: { type: 'TXT', name: dmarc.name, content: 'v=DMARC1; p=none', ttl: 300 } },
      { action: 'DELETE', before: spf },
      { action: 'CREATE', record: { type: 'CNAME', name: `track.${SEED_APEX}`, content: 'track.sender.example.net', ttl: 3600 } },
    ];
    const result = await session.applyChanges(zone, { records }, changes);
    expect(result.applied).toEqual(changes);

    const after = (await session.readZone(zone)).records;
    const untouched = records.filter((r) => r.id !== dmarc.id && r.id !== spf.id);
    for (const record of untouched) expect(after).toContainEqual(record);
    expect(after.find((r) => r.id === dmarc.id)).toMatchObject({ content: 'v=DMARC1; p=none', ttl: 300 });
    expect(after.find((r) => r.id === spf.id)).toBeUndefined();
    expect(after.find((r) => r.name === `track.${SEED_APEX}`)).toMatchObject({ type: 'CNAME', content: 'track.sender.example.net' });
    expect(after).toHaveLength(records.length);
  });

  it('applies nothing when one UPDATE or DELETE names a record that is gone (conflict)', async () => {
    const { zone, records } = await seededZone();
    const victim = records[0]!;
    // Someone else deletes the record between our read and our write.
    await session.applyChanges(zone, { records }, [{ action: 'DELETE', before: victim }]);
    const before = (await session.readZone(zone)).records;

    const error = await expectProviderError(
      session.applyChanges(zone, { records }, [
        { action: 'CREATE', record: { type: 'TXT', name: `new.${SEED_APEX}`, content: 'x', ttl: 300 } },
        { action: 'UPDATE', before: records[1]!, record: { ...records[1]!, content: 'changed' } },
        { action: 'DELETE', before: victim },
      ]),
      'conflict',
    );
    expect(error.message).toContain(victim.id);
    expect((await session.readZone(zone)).records).toEqual(before);
  });

  it('rejects records a provider would refuse, before writing anything', async () => {
    const zone = await session.findZone(SEED_APEX);
    const ok = { type: 'TXT', name: `ok.${SEED_APEX}`, content: 'fine', ttl: 300 };
    const bad = [
      { type: 'PTR', name: `x.${SEED_APEX}`, content: 'y', ttl: 300 },
      { type: 'TXT', name: 'x.elsewhere.com', content: 'y', ttl: 300 },
      { type: 'TXT', name: `x.${SEED_APEX}`, content: 'y', ttl: 59 },
      { type: 'MX', name: SEED_APEX, content: 'mx.example.net', ttl: 300 },
      { type: 'TXT', name: `x.${SEED_APEX}`, content: '', ttl: 300 },
    ];
    for (const record of bad) {
      await expectProviderError(session.applyChanges(zone, { records: [] }, [{ action: 'CREATE', record: ok }, { action: 'CREATE', record }]), 'rejected');
    }
    await expectProviderError(
      session.applyChanges(zone, { records: [] }, [{ action: 'DELETE', before: { type: 'TXT', name: SEED_APEX, content: 'x', ttl: 300 } }]),
      'conflict',
    );
    expect((await session.readZone(zone)).records).toEqual([]);
  });
});
