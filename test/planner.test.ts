import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import type { DnsRecord, RecordChange } from '../providers/types.js';
import { planRecordSet, summariseConflicts, type Plan } from '../src/records/planner.js';
import { loadTemplates, resolveTemplate, type ResolvedRecord, type TemplateSet } from '../src/records/template.js';
import { quoteTxt } from '../src/records/txt.js';
import { SEED_APEX, seedRecords } from './fakes/seed-zone.js';

const VARS = { MAIL_MASTER_DOMAIN: 'sender.example.net', MAIL_SUBDOMAIN: 'sl', MAIL_DKIM_SELECTOR: 'key1', MAIL_TRACK_PREFIX: 'track' };
const WITH_OPTIONAL = { ...VARS, MAIL_SPF_INCLUDE: 'spf.sender.example.net', MAIL_DMARC_RUA: 'dmarc@sender.example.net' };
const SEED_SPF = 'v=spf1 include:_spf.mailhost.example.net ip4:203.0.113.0/24 -all';
const SEED_DMARC = 'v=DMARC1; p=reject; rua=mailto:dmarc-reports@example.com; adkim=s; aspf=s';

let templates: TemplateSet;
beforeAll(async () => {
  templates = await loadTemplates();
});

/** The seed zone as a provider would read it: every record with an id, as fresh objects. */
const seedZone = (): DnsRecord[] => seedRecords().map((r, i) => ({ ...r, id: `seed-${i}` }));

const campaign = (variables: Record<string, string> = VARS, domain = SEED_APEX) =>
  resolveTemplate(templates.get('campaign'), { domain, variables });

/** Applies writes the way a provider does: UPDATE and DELETE must name a record that is in the zone. */
function applyWrites(records: readonly DnsRecord[], writes: readonly RecordChange[]): DnsRecord[] {
  const out = [...records];
  let n = 0;
  for (const write of writes) {
    if (write.action === 'CREATE') {
      out.push({ ...write.record, id: `new-${n++}` });
      continue;
    }
    const at = out.indexOf(write.before);
    expect(at, `${write.action} of a record not in the zone`).toBeGreaterThanOrEqual(0);
    if (write.action === 'UPDATE') out[at] = { ...write.record, id: write.before.id };
    else out.splice(at, 1);
  }
  return out;
}

const rows = (plan: Plan) => plan.changes.map((c) => [c.action, c.type, c.name, c.content]);
const cname = (name: string, content: string, ttl = 3600): DnsRecord => ({ type: 'CNAME', name, content, ttl, id: `x-${name}` });
const txt = (name: string, content: string, ttl = 3600): DnsRecord => ({ type: 'TXT', name, content, ttl, id: `x-${name}-${content.length}` });
const rec = (partial: Partial<ResolvedRecord> & Pick<ResolvedRecord, 'type' | 'name' | 'content'>): ResolvedRecord => ({
  ttl: 3600,
  txtConflictMatchingMode: 'None',
  essential: 'Always',
  ...partial,
});

describe('campaign on the seed zone', () => {
  it('creates exactly the four CNAMEs and keeps the existing p=reject DMARC', () => {
    const zone = seedZone();
    const plan = planRecordSet({ existing: zone, records: campaign(), zoneApex: SEED_APEX });
    expect(rows(plan)).toEqual([
      ['CREATE', 'CNAME', 'sl.example.com', 'sender.example.net'],
      ['CREATE', 'CNAME', 'key1._domainkey.sl.example.com', 'key1._domainkey.sender.example.net'],
      ['CREATE', 'CNAME', 'key1._domainkey.example.com', 'key1._domainkey.sender.example.net'],
      ['CREATE', 'CNAME', 'track-sl.example.com', 'track.sender.example.net'],
      ['KEEP', 'TXT', '_dmarc.example.com', SEED_DMARC],
    ]);
    const dmarc = zone.find((r) => r.name === '_dmarc.example.com')!;
    expect(plan.changes[4]!.existing).toBe(dmarc);
    expect(plan.changes[4]!.reason).toContain('essential: OnApply');
    expect(plan.writes).toEqual(plan.changes.slice(0, 4).map((c) => ({ action: 'CREATE', record: { type: 'CNAME', name: c.name, content: c.content, ttl: 3600 } })));
    expect(plan.conflicts).toEqual([]);
    expect(plan.satisfied).toBe(false);
  });

  it('merges the SPF include before -all, keeps both DMARC variants out, and re-plans to zero writes', () => {
    const zone = seedZone();
    const spf = zone.find((r) => r.content === SEED_SPF)!;
    const plan = planRecordSet({ existing: zone, records: campaign(WITH_OPTIONAL), zoneApex: SEED_APEX });
    const spfChange = plan.changes.find((c) => c.type === 'TXT' && c.name === 'example.com')!;
    expect(spfChange).toMatchObject({
      action: 'UPDATE',
      content: 'v=spf1 include:_spf.mailhost.example.net ip4:203.0.113.0/24 include:spf.sender.example.net -all',
      previous: SEED_SPF,
      ttl: 3600,
      existing: spf,
    });
    expect(plan.changes.filter((c) => c.name === '_dmarc.example.com').map((c) => c.action)).toEqual(['KEEP', 'KEEP']);
    expect(plan.writes.map((w) => w.action)).toEqual(['CREATE', 'CREATE', 'CREATE', 'CREATE', 'UPDATE']);

    const after = applyWrites(zone, plan.writes);
    // Nothing the template does not match was touched: the zone only gained the CNAMEs and the SPF changed.
    expect(after.filter((r) => r.id?.startsWith('seed-') && r.id !== spf.id)).toEqual(zone.filter((r) => r !== spf));
    expect(after).toHaveLength(zone.length + 4);
    const again = planRecordSet({ existing: after, records: campaign(WITH_OPTIONAL), zoneApex: SEED_APEX });
    expect(again.writes).toEqual([]);
    expect(again.satisfied).toBe(true);
    expect(again.changes.every((c) => c.action === 'KEEP')).toBe(true);
  });

  it('lists only records it matched: every `existing` is a template-matched record', () => {
    const zone = seedZone();
    const plan = planRecordSet({ existing: zone, records: campaign(WITH_OPTIONAL), zoneApex: SEED_APEX });
    const touched = plan.changes.flatMap((c) => (c.existing ? [c.existing] : []));
    expect(new Set(touched.map((r) => `${r.type} ${r.name}`))).toEqual(new Set(['TXT example.com', 'TXT _dmarc.example.com']));
  });

  it('creates exactly one DMARC (the rua one) where there is none, and plain p=none without a report address', () => {
    const zone = seedZone().filter((r) => r.name !== '_dmarc.example.com');
    const withRua = planRecordSet({ existing: zone, records: campaign(WITH_OPTIONAL), zoneApex: SEED_APEX });
    expect(withRua.changes.filter((c) => c.name === '_dmarc.example.com').map((c) => [c.action, c.content])).toEqual([
      ['CREATE', 'v=DMARC1; p=none; rua=mailto:dmarc@sender.example.net'],
      ['KEEP', 'v=DMARC1; p=none; rua=mailto:dmarc@sender.example.net'],
    ]);
    const plain = planRecordSet({ existing: zone, records: campaign(), zoneApex: SEED_APEX });
    expect(plain.writes.filter((w) => w.action === 'CREATE' && w.record.type === 'TXT').map((w) => w.action === 'CREATE' && w.record.content)).toEqual([
      'v=DMARC1; p=none',
    ]);
  });

  it('creates the SPF record when the apex has none', () => {
    const zone = seedZone().filter((r) => r.content !== SEED_SPF);
    const plan = planRecordSet({ existing: zone, records: campaign(WITH_OPTIONAL), zoneApex: SEED_APEX });
    expect(plan.changes.find((c) => c.name === 'example.com')).toMatchObject({
      action: 'CREATE',
      type: 'TXT',
      content: 'v=spf1 include:spf.sender.example.net ~all',
      previous: null,
    });
  });

  it('compares semantically: quoted/chunked TXT, upper-case names and targets with a trailing dot', () => {
    const zone = seedZone().map((r) =>
      r.type === 'TXT' ? { ...r, content: quoteTxt(r.content), name: r.name.toUpperCase() } : r,
    );
    zone.push(cname('SL.Example.COM.', 'Sender.Example.NET.', 300));
    const plan = planRecordSet({ existing: zone, records: campaign(WITH_OPTIONAL), zoneApex: SEED_APEX });
    expect(plan.changes[0]).toMatchObject({ action: 'KEEP', name: 'sl.example.com', ttl: 300 });
    expect(plan.changes.filter((c) => c.name === '_dmarc.example.com').map((c) => c.action)).toEqual(['KEEP', 'KEEP']);
    expect(plan.changes.find((c) => c.name === 'example.com')).toMatchObject({ action: 'UPDATE', previous: quoteTxt(SEED_SPF) });
  });
});

describe('conflicts', () => {
  it('reports a DKIM CNAME that points elsewhere, and force updates exactly that record', () => {
    const zone = seedZone();
    const other = cname('key1._domainkey.example.com', 'key1.dkim.other-esp.example.org');
    zone.push(other);
    const plan = planRecordSet({ existing: zone, records: campaign(), zoneApex: SEED_APEX });
    expect(plan.conflicts).toHaveLength(1);
    expect(plan.conflicts[0]).toMatchObject({ action: 'CONFLICT', previous: 'key1.dkim.other-esp.example.org', existing: other });
    expect(summariseConflicts(plan)).toBe('CNAME key1._domainkey.example.com already points to key1.dkim.other-esp.example.org');
    expect(plan.writes.some((w) => w.action !== 'CREATE')).toBe(false);

    const forced = planRecordSet({ existing: zone, records: campaign(), zoneApex: SEED_APEX, force: true });
    expect(forced.conflicts).toEqual([]);
    const nonCreates = forced.writes.filter((w) => w.action !== 'CREATE');
    expect(nonCreates).toEqual([
      { action: 'UPDATE', before: other, record: { type: 'CNAME', name: 'key1._domainkey.example.com', content: 'key1._domainkey.sender.example.net', ttl: 3600 } },
    ]);
    const again = planRecordSet({ existing: applyWrites(zone, forced.writes), records: campaign(), zoneApex: SEED_APEX });
    expect(again.satisfied).toBe(true);
  });

  it('reports other records at a CNAME name; force deletes exactly those, then creates', () => {
    const zone = seedZone();
    const a = { type: 'A', name: 'sl.example.com', content: '192.0.2.99', ttl: 300, id: 'sl-a' };
    const t = txt('sl.example.com', 'v=spf1 -all');
    zone.push(a, t);
    const plan = planRecordSet({ existing: zone, records: campaign(), zoneApex: SEED_APEX });
    expect(plan.conflicts.map((c) => c.existing)).toEqual([a, t]);
    expect(summariseConflicts(plan)).toBe(
      'sl.example.com already has a A record ("192.0.2.99"); a CNAME cannot coexist with other records; ' +
        'sl.example.com already has a TXT record ("v=spf1 -all"); a CNAME cannot coexist with other records',
    );
    const forced = planRecordSet({ existing: zone, records: campaign(), zoneApex: SEED_APEX, force: true });
    expect(forced.writes.slice(0, 3)).toEqual([
      { action: 'DELETE', before: a },
      { action: 'DELETE', before: t },
      { action: 'CREATE', record: { type: 'CNAME', name: 'sl.example.com', content: 'sender.example.net', ttl: 3600 } },
    ]);
    expect(forced.writes.filter((w) => w.action === 'DELETE')).toHaveLength(2);
  });

  it('refuses a CNAME at the zone apex, even with force', () => {
    const records = [rec({ type: 'CNAME', name: 'example.com', content: 'sender.example.net' })];
    for (const force of [false, true]) {
      const plan = planRecordSet({ existing: seedZone(), records, zoneApex: SEED_APEX, force });
      expect(plan.writes).toEqual([]);
      expect(plan.conflicts).toHaveLength(1);
      expect(summariseConflicts(plan)).toContain('no CNAME at the zone apex');
    }
  });

  it('refuses a TXT beside an existing CNAME; force deletes the CNAME first', () => {
    const zone = seedZone();
    const blog = zone.find((r) => r.name === 'blog.example.com')!;
    const records = [rec({ type: 'TXT', name: 'blog.example.com', content: 'verify=1' })];
    expect(summariseConflicts(planRecordSet({ existing: zone, records, zoneApex: SEED_APEX }))).toBe(
      'blog.example.com is a CNAME to hosting.example.org; a TXT record cannot be added beside it',
    );
    const forced = planRecordSet({ existing: zone, records, zoneApex: SEED_APEX, force: true });
    expect(forced.writes).toEqual([
      { action: 'DELETE', before: blog },
      { action: 'CREATE', record: { type: 'TXT', name: 'blog.example.com', content: 'verify=1', ttl: 3600 } },
    ]);
  });

  it('reports two SPF records; force combines them into the first and deletes the second', () => {
    const zone = seedZone();
    const second = txt('example.com', 'v=spf1 include:other.example.org ~all');
    zone.push(second);
    const records = campaign(WITH_OPTIONAL);
    const plan = planRecordSet({ existing: zone, records, zoneApex: SEED_APEX });
    expect(plan.conflicts.map((c) => c.previous)).toEqual([SEED_SPF, second.content]);
    expect(summariseConflicts(plan)).toContain('example.com has 2 SPF records');
    const forced = planRecordSet({ existing: zone, records, zoneApex: SEED_APEX, force: true });
    const spf = zone.find((r) => r.content === SEED_SPF)!;
    expect(forced.writes.filter((w) => w.action !== 'CREATE')).toEqual([
      {
        action: 'UPDATE',
        before: spf,
        record: {
          type: 'TXT',
          name: 'example.com',
          content: 'v=spf1 include:_spf.mailhost.example.net ip4:203.0.113.0/24 include:other.example.org include:spf.sender.example.net -all',
          ttl: 3600,
        },
      },
      { action: 'DELETE', before: second },
    ]);
  });

  it('matches an existing DMARC record whatever the case of its tag (V=DMARC1): kept, never a second one', () => {
    // RFC 7489 §6.4 tags are case-insensitive in practice: receivers read `V=DMARC1` as a DMARC record, so a second
    // one beside it would make the domain's policy undefined (two records: no DMARC at all).
    for (const tag of ['V=DMARC1', 'v=dmarc1', 'V=Dmarc1']) {
      const customer = `${tag}; P=reject; rua=mailto:dmarc-reports@example.com`;
      const zone = seedZone().map((r) => (r.name === '_dmarc.example.com' ? { ...r, content: customer } : r));
      const plan = planRecordSet({ existing: zone, records: campaign(WITH_OPTIONAL), zoneApex: SEED_APEX });
      expect(plan.writes.filter((w) => w.action !== 'DELETE' && w.record.name === '_dmarc.example.com'), tag).toEqual([]);
      expect(plan.changes.filter((c) => c.name === '_dmarc.example.com').map((c) => [c.action, c.content]), tag).toEqual([
        ['KEEP', customer],
        ['KEEP', customer],
      ]);
      expect(plan.conflicts, tag).toEqual([]);
    }
  });

  it('an Always TXT conflicts by prefix; force updates the first match and deletes the rest', () => {
    const zone = seedZone();
    const dmarc = zone.find((r) => r.name === '_dmarc.example.com')!;
    const extra = txt('_dmarc.example.com', 'v=DMARC1; p=quarantine');
    zone.push(extra);
    const records = [rec({ type: 'TXT', name: '_dmarc.example.com', content: 'v=DMARC1; p=none', txtConflictMatchingMode: 'Prefix', txtConflictMatchingPrefix: 'v=DMARC1' })];
    expect(planRecordSet({ existing: zone, records, zoneApex: SEED_APEX }).conflicts.map((c) => c.existing)).toEqual([dmarc, extra]);
    const forced = planRecordSet({ existing: zone, records, zoneApex: SEED_APEX, force: true });
    expect(forced.writes).toEqual([
      { action: 'UPDATE', before: dmarc, record: { type: 'TXT', name: '_dmarc.example.com', content: 'v=DMARC1; p=none', ttl: 3600 } },
      { action: 'DELETE', before: extra },
    ]);
    // Mode None never conflicts; mode All conflicts with any TXT at the host.
    const none = planRecordSet({ existing: zone, records: [{ ...records[0]!, txtConflictMatchingMode: 'None' }], zoneApex: SEED_APEX });
    expect(none.writes.map((w) => w.action)).toEqual(['CREATE']);
    const all = [rec({ type: 'TXT', name: 'example.com', content: 'site-verify=1', txtConflictMatchingMode: 'All' })];
    expect(planRecordSet({ existing: zone, records: all, zoneApex: SEED_APEX }).conflicts.map((c) => c.previous)).toEqual([
      SEED_SPF,
      'google-site-verification=rXOxyZounnZasA8Z7oaD3c14JdjS9aKSWvsR1EbUSIQ',
      'MS=ms51923412',
    ]);
  });

  it('refuses names outside the zone or below a delegation, even with force', () => {
    const records = [
      rec({ type: 'TXT', name: 'x.lab.example.com', content: 'v=1' }),
      rec({ type: 'TXT', name: 'example.org', content: 'v=1' }),
    ];
    const plan = planRecordSet({ existing: seedZone(), records, zoneApex: SEED_APEX, force: true });
    expect(plan.writes).toEqual([]);
    expect(summariseConflicts(plan)).toBe(
      'TXT x.lab.example.com is in lab.example.com, delegated to other name servers (ns1.lab-hosting.example.net); TXT example.org is outside the zone example.com',
    );
  });

  it('never forces over a record the same plan created', () => {
    const records = [
      rec({ type: 'TXT', name: 'v.example.com', content: 'a=1', txtConflictMatchingMode: 'Prefix', txtConflictMatchingPrefix: 'a=' }),
      rec({ type: 'TXT', name: 'v.example.com', content: 'a=2', txtConflictMatchingMode: 'Prefix', txtConflictMatchingPrefix: 'a=' }),
    ];
    const plan = planRecordSet({ existing: [], records, zoneApex: SEED_APEX, force: true });
    expect(plan.writes).toHaveLength(1);
    expect(summariseConflicts(plan)).toBe('TXT v.example.com conflicts with TXT "a=1" of the same record set');
  });
});

describe('other record types and TTLs', () => {
  it('adds A/AAAA/MX when absent and keeps identical ones', () => {
    const records = [
      rec({ type: 'A', name: 'example.com', content: '203.0.113.10' }),
      rec({ type: 'A', name: 'example.com', content: '203.0.113.99' }),
      rec({ type: 'AAAA', name: 'example.com', content: '2001:DB8::10' }),
      rec({ type: 'MX', name: 'example.com', content: 'MX1.mailhost.example.net.', priority: 10 }),
      rec({ type: 'MX', name: 'example.com', content: 'mx.sender.example.net', priority: 50 }),
    ];
    const plan = planRecordSet({ existing: seedZone(), records, zoneApex: SEED_APEX });
    expect(plan.changes.map((c) => [c.action, c.type, c.content, c.priority])).toEqual([
      ['KEEP', 'A', '203.0.113.10', undefined],
      ['CREATE', 'A', '203.0.113.99', undefined],
      ['KEEP', 'AAAA', '2001:db8::10', undefined],
      ['KEEP', 'MX', 'mx1.mailhost.example.net', 10],
      ['CREATE', 'MX', 'mx.sender.example.net', 50],
    ]);
  });

  it('raises TTLs below the provider minimum', () => {
    const records = [rec({ type: 'CNAME', name: 'x.example.com', content: 't.example.net', ttl: 60 })];
    const plan = planRecordSet({ existing: [], records, zoneApex: SEED_APEX, minTtl: 600 });
    expect(plan.writes).toEqual([{ action: 'CREATE', record: { type: 'CNAME', name: 'x.example.com', content: 't.example.net', ttl: 600 } }]);
    expect(planRecordSet({ existing: [], records, zoneApex: SEED_APEX, minTtl: 30 }).changes[0]!.ttl).toBe(60);
  });

  it('property: for both templates on any subset of the seed zone, applying the plan then re-planning writes nothing', () => {
    const all = seedZone();
    fc.assert(
      fc.property(fc.subarray(all), fc.constantFrom('campaign', 'email-gateway' as const), fc.boolean(), (subset, type, optional) => {
        const records = resolveTemplate(templates.get(type), { domain: SEED_APEX, variables: optional ? WITH_OPTIONAL : VARS });
        const plan = planRecordSet({ existing: subset, records, zoneApex: SEED_APEX });
        expect(plan.conflicts).toEqual([]); // the seed zone has nothing at the CNAME names
        const after = applyWrites(subset, plan.writes);
        expect(after.filter((r) => /_dmarc/.test(r.name) && r.type === 'TXT')).toHaveLength(1);
        expect(after.filter((r) => r.name === 'example.com' && /^v=spf1 /.test(r.content)).length).toBeLessThanOrEqual(1);
        expect(planRecordSet({ existing: after, records, zoneApex: SEED_APEX }).writes).toEqual([]);
      }),
      { numRuns: 100 },
    );
  });
});
