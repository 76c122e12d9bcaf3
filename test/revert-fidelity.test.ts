/**
 * Revert fidelity, end to end over loopback HTTP with the Cloudflare fake: a revert writes back each record exactly
 * as it was read. The conformance scenario "dns.revert writes back each record as it was read" holds every provider
 * to the zone coming back value for value; this file keeps what it does not check: the journal's copy of each value
 * as read, an UPDATE undone in place (the same record id), and a re-created record's comment and tags. Cloudflare keeps a TXT value as it was entered (providers.md §1 "Record semantics": content comes
 * back as entered), so a customer's unquoted SPF record (`v=spf1 … -all`) must come back unquoted, not as the quoted
 * `"v=spf1 … -all"` the gateway writes for its own records: equal on the wire, but the customer's dashboard would
 * show a record changed that the revert was meant to restore. The same holds for a TXT value split into chunks where
 * the customer split it, on a record that `Force` deleted and the revert re-creates.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FakeRecord } from './fakes/cloudflare-fake.js';
import { bearer, postJson } from './helpers/gateway.js';
import { SECRETS, startWorld, type World } from './helpers/world.js';

/** The operator's SPF include: set, so that the campaign set UPDATEs the zone's existing SPF record. */
const SPF_INCLUDE = 'spf.sender-platform.net';
const APEX = 'example.com';
const UNQUOTED_SPF = 'v=spf1 include:_spf.mailhost.example.net ip4:203.0.113.0/24 -all';
/** A TXT at the return-path name, where the campaign set puts a CNAME: `Force` deletes it. Chunked as typed. */
const CHUNKED_TXT = '"old-landing-page " "verification=7f3a"';

let world: World;
let gw: World['gateway'];

beforeAll(async () => {
  world = await startWorld({ MAIL_SPF_INCLUDE: SPF_INCLUDE });
  gw = world.gateway;
  const zone = [...world.cloudflare.state.zones.values()].find((z) => z.name === APEX)!;
  // The customer typed the apex SPF record without quotes (the seed has it quoted).
  const spf = zone.records.find((r) => r.type === 'TXT' && r.name === APEX && r.content.includes('v=spf1'))!;
  spf.content = UNQUOTED_SPF;
  const template = zone.records.find((r) => r.type === 'TXT' && r.name === `mail.${APEX}`)!;
  zone.records.push({ ...structuredClone(template), id: 'c0ffee0000000000000000000000beef', name: `sl.${APEX}`, content: CHUNKED_TXT, comment: 'verification, do not remove', tags: ['owner:web'] });
});
afterAll(() => world?.close());

const wire = () => world.cloudflare.records(APEX);
const byId = (records: readonly FakeRecord[], id: string) => records.find((r) => r.id === id);

describe('dns.revert writes back each record exactly as it was read (Cloudflare)', () => {
  it('restores an unquoted SPF record unquoted, in place, and a chunked TXT as it was chunked, field for field', async () => {
    const original = wire();
    const spf = original.find((r) => r.type === 'TXT' && r.name === APEX && r.content.includes('v=spf1'))!;
    expect(spf.content).toBe(UNQUOTED_SPF);

    const set = await postJson(gw, '/api/v1/dns.set', { Domain: APEX, Provider: 'cloudflare', ApiKey: SECRETS.cloudflareToken, RecordType: 'campaign', Force: true }, bearer(gw.adminKey));
    expect(set.text).toBe('{"success":true}');
    // The forward write merged the include into the customer's record (the gateway writes TXT quoted) and replaced
    // the chunked TXT by the return-path CNAME.
    expect(byId(wire(), spf.id)!.content).toBe(`"v=spf1 include:_spf.mailhost.example.net ip4:203.0.113.0/24 include:${SPF_INCLUDE} -all"`);
    expect(byId(wire(), 'c0ffee0000000000000000000000beef')).toBeUndefined();

    const listed = await postJson(gw, '/api/v1/dns.changes', { Domain: APEX }, bearer(gw.adminKey));
    const entry = (listed.json.changes as { id: string; revertOf: string | null }[]).find((c) => c.revertOf === null)!;
    // The journal keeps each record's value as Cloudflare returned it, beside the joined value.
    const row = await gw.running.services.store.getChange(entry.id, null);
    const writes = (row!.changes as { writes: { action: string; before: { content: string; wireValue?: unknown } | null }[] }).writes;
    expect(writes.find((w) => w.action === 'UPDATE')!.before).toMatchObject({ content: UNQUOTED_SPF, wireValue: UNQUOTED_SPF });
    expect(writes.find((w) => w.action === 'DELETE')!.before).toMatchObject({ content: 'old-landing-page verification=7f3a', wireValue: CHUNKED_TXT });

    const reverted = await postJson(gw, '/api/v1/dns.revert', { ChangeID: entry.id, ApiKey: SECRETS.cloudflareToken }, bearer(gw.adminKey));
    expect(reverted.text).toBe('{"success":true}');

    const after = wire();
    // Updated in place: same record, every field as it was but the modification time Cloudflare sets on any write.
    const { modified_on: _m, ...spfNow } = byId(after, spf.id)!;
    const { modified_on: _o, ...spfThen } = spf;
    expect(spfNow).toEqual(spfThen);
    // Re-created: a new id and timestamps, every other field as it was.
    const strip = ({ id: _id, created_on: _c, modified_on: _mod, ...rest }: FakeRecord) => rest;
    const chunked = after.filter((r) => r.type === 'TXT' && r.name === `sl.${APEX}`);
    expect(chunked.map(strip)).toEqual([strip(byId(original, 'c0ffee0000000000000000000000beef')!)]);
    expect(chunked[0]).toMatchObject({ content: CHUNKED_TXT, comment: 'verification, do not remove', tags: ['owner:web'] });
  });
});
