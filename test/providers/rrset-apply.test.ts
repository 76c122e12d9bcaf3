/**
 * The rrset grouping and applier shared by Gandi and Hostinger, without any wire: a change that moves a value between
 * two rrsets is applied only once both are written, an uncertain write leaves its rrset's changes unknown, and a
 * read-back holding fewer values than were sent is not taken as landed. The adapters' own files prove the rest
 * against their fakes.
 */
import { describe, expect, it } from 'vitest';
import { UncertainWrite } from '../../providers/apply-progress.js';
import { applyRrsetWrites, draftRrsets, liveValues, sameValues, type RrsetPlanner } from '../../providers/rrset-apply.js';
import { ProviderError, type DnsRecord, type RecordChange } from '../../providers/types.js';

const APEX = 'example.com';
const txt = (name: string, content: string): DnsRecord => ({ type: 'TXT', name, content, ttl: 300 });

/** A zone as read of plain TXT values, written as they are. */
function planner(records: readonly DnsRecord[]): RrsetPlanner<true> {
  const rel = (full: string) => (full === APEX ? '@' : full.slice(0, -(APEX.length + 1)));
  return {
    provider: 'gandi',
    recordTypes: new Set(['TXT']),
    relativeName: rel,
    open: (type, name) => {
      const read = records.filter((r) => r.type === type && rel(r.name) === name);
      return { existing: read.length > 0 ? true : undefined, values: read.map((r) => ({ value: typeof r.raw === 'string' ? r.raw : r.content, kept: true, ttl: r.ttl })) };
    },
    // A record carrying its value string as `raw` is matched by it; any other by its content.
    valueAsRead: (record) => (typeof record.raw === 'string' ? record.raw : undefined),
    // `10 x` is priority 10, content x; quotes are spelling only.
    neutralValue: (_type, value) => {
      const match = /^(\d+) (.*)$/.exec(value);
      return match ? { priority: Number(match[1]), content: match[2]! } : { content: value.replace(/"/g, '') };
    },
    checkWritable: () => undefined,
    wireValue: (_type, record) => record.content,
  };
}

describe('draftRrsets', () => {
  it('updates a value in place within its rrset, and moves one between rrsets with the change on both', () => {
    const read = [txt('a.example.com', 'one'), txt('a.example.com', 'two')];
    const inPlace: RecordChange = { action: 'UPDATE', before: read[0]!, record: txt('a.example.com', 'uno') };
    const move: RecordChange = { action: 'UPDATE', before: read[1]!, record: txt('b.example.com', 'two') };
    const [a, b] = draftRrsets(planner(read), [inPlace, move]);
    expect(liveValues(a!).map((v) => v.value)).toEqual(['uno']);
    expect(a!.changes).toEqual([inPlace, move]);
    expect(liveValues(b!).map((v) => v.value)).toEqual(['two']);
    expect(b!.changes).toEqual([move]);
  });

  it('refuses a change naming a value that is not in the zone as read, and a type the adapter does not write', () => {
    const read = [{ ...txt('a.example.com', 'one'), raw: '"one"' }];
    const gone: RecordChange = { action: 'DELETE', before: txt('a.example.com', 'gone') };
    expect(() => draftRrsets(planner(read), [gone])).toThrow(expect.objectContaining({ kind: 'conflict' }));
    // Read with its value string `"one"`: the same content spelled otherwise is not that record.
    const respelled: RecordChange = { action: 'DELETE', before: { ...txt('a.example.com', 'one'), raw: 'one' } };
    expect(() => draftRrsets(planner(read), [respelled])).toThrow(expect.objectContaining({ kind: 'conflict' }));
    // Matched by content and priority where the record does not carry its value string.
    const ranked = [{ ...txt('a.example.com', 'x'), priority: 10, raw: '10 x' }];
    const otherRank: RecordChange = { action: 'DELETE', before: { ...txt('a.example.com', 'x'), priority: 20 } };
    expect(() => draftRrsets(planner(ranked), [otherRank])).toThrow(expect.objectContaining({ kind: 'conflict' }));
    const sameRank: RecordChange = { action: 'DELETE', before: { ...txt('a.example.com', 'x'), priority: 10 } };
    expect(liveValues(draftRrsets(planner(ranked), [sameRank])[0]!)).toEqual([]);
    const mx: RecordChange = { action: 'CREATE', record: { ...txt('a.example.com', 'mail.example.com'), type: 'MX' } };
    expect(() => draftRrsets(planner(read), [mx])).toThrow("Gandi's API cannot write MX records here");
  });
});

describe('applyRrsetWrites', () => {
  const created: RecordChange = { action: 'CREATE', record: txt('c.example.com', 'v') };
  const move: RecordChange = { action: 'UPDATE', before: txt('a.example.com', 'x'), record: txt('b.example.com', 'x') };
  const plan = [{ changes: [created, move] }, { changes: [move] }];

  it('counts a change that moves a value between rrsets as applied only once both are written', async () => {
    const error = await applyRrsetWrites([created, move], plan, async (w) => {
      if (w === plan[1]) throw new ProviderError('gandi', 'rejected', 'refused');
    }).catch((e: unknown) => e);
    expect((error as ProviderError).applied).toEqual([created]);
    expect(await applyRrsetWrites([created, move], plan, async () => undefined)).toEqual({ applied: [created, move] });
  });

  it("leaves an uncertain rrset's changes not yet applied unknown", async () => {
    const lost = new ProviderError('gandi', 'timeout', 'no reply');
    const error = await applyRrsetWrites([created, move], plan, async (w) => {
      if (w === plan[1]) throw new UncertainWrite(lost);
    }).catch((e: unknown) => e);
    expect((error as ProviderError).message).toMatch(/unknown whether UPDATE TXT b\.example\.com was applied/);
    expect((error as ProviderError).cause).toBe(lost);
  });
});

describe('sameValues', () => {
  it('compares values by key, in any order, and never takes fewer values for the whole rrset', () => {
    const key = (v: string) => v.toLowerCase();
    expect(sameValues(['B', 'a'], ['a', 'b'], key)).toBe(true);
    expect(sameValues(['a'], ['a', 'b'], key)).toBe(false);
    expect(sameValues(['a', 'b'], ['a'], key)).toBe(false);
  });
});
