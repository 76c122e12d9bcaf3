/**
 * The per-record applier shared by DigitalOcean, Vultr and Name.com, without any wire: which failures are settled by
 * reading, which are answers, how often a write is sent, and what the error and the result say was applied. The
 * adapters' own files prove the same against their fakes.
 */
import { describe, expect, it } from 'vitest';
import { applyPerRecord, idAsRead, landedInZone, recordIdClaimer, recordMatch, settleWrite } from '../../providers/per-record-apply.js';
import { ProviderError, type DnsRecord, type RecordChange } from '../../providers/types.js';

const failure = (kind: ProviderError['kind']) => new ProviderError('vultr', kind, `a ${kind} failure`);
const txt = (name: string, content: string): DnsRecord => ({ type: 'TXT', name, content, ttl: 300 });
const create = (name: string): RecordChange => ({ action: 'CREATE', record: txt(name, 'v') });

/** A write that fails with each error given, in turn, then succeeds; counts its sends and its settling reads. */
function scripted(...errors: ProviderError[]) {
  const calls = { sent: 0, settled: 0 };
  const send = async () => {
    const error = errors[calls.sent++];
    if (error) throw error;
  };
  return { calls, send };
}

describe('settleWrite', () => {
  it('takes a refusal and a 429 as answers: nothing is read again or sent again', async () => {
    for (const kind of ['rejected', 'rate_limited'] as const) {
      const { calls, send } = scripted(failure(kind));
      const outcome = await settleWrite(2, send, async () => (calls.settled++, false));
      expect(outcome).toEqual({ ok: false, error: failure(kind), unknown: false });
      expect(calls).toEqual({ sent: 1, settled: 0 });
    }
  });

  it('takes only the failures a given `isAnswer` names as answers (Porkbun settles a 429 by reading)', async () => {
    const { calls, send } = scripted(failure('rate_limited'));
    const outcome = await settleWrite(2, send, async () => (calls.settled++, true), (e) => e.isCallerFault);
    expect(outcome).toEqual({ ok: true });
    expect(calls).toEqual({ sent: 1, settled: 1 });
  });

  it('sends again, within `sends`, a write a read proved absent, and counts a write a read found as landed', async () => {
    const absent = scripted(failure('unavailable'), failure('unavailable'));
    const outcome = await settleWrite(2, absent.send, async () => (absent.calls.settled++, false));
    expect(outcome).toMatchObject({ ok: false, unknown: false });
    expect(absent.calls).toEqual({ sent: 2, settled: 2 });

    const found = scripted(failure('timeout'));
    expect(await settleWrite(2, found.send, async () => (found.calls.settled++, true))).toEqual({ ok: true });
    expect(found.calls).toEqual({ sent: 1, settled: 1 });
  });

  it('reports a write it cannot settle as unknown, and lets a fault of ours go up as it is', async () => {
    const lost = scripted(failure('timeout'));
    expect(await settleWrite(2, lost.send, async () => undefined)).toMatchObject({ ok: false, unknown: true });
    await expect(settleWrite(2, async () => Promise.reject(new TypeError('bug')), async () => true)).rejects.toThrow(TypeError);
  });
});

describe('applyPerRecord', () => {
  it('stops at the first failure, naming what landed and what is unknown, with the changes as written', async () => {
    const [a, b, c] = [create('a.example.com'), create('b.example.com'), create('c.example.com')];
    const written: RecordChange = { action: 'CREATE', record: { ...txt('a.example.com', 'v'), ttl: 600 } };
    const writes = [
      { change: a, reported: written },
      { change: b, reported: b },
      { change: c, reported: c },
    ];
    const sent: RecordChange[] = [];
    const error = await applyPerRecord([a, b, c], writes, async (w) => {
      sent.push(w.change);
      return w.change === b ? { ok: false, error: failure('timeout'), unknown: true } : { ok: true };
    }).catch((e: unknown) => e);
    expect(sent).toEqual([a, b]);
    expect(error).toBeInstanceOf(ProviderError);
    expect((error as ProviderError).applied).toEqual([written]);
    expect((error as ProviderError).message).toMatch(/1 of 3 changes were applied.*unknown whether CREATE TXT b\.example\.com/);
  });

  it('throws an error that refuses every write as it is when it stops the first write, and only then', async () => {
    const [a, b] = [create('a.example.com'), create('b.example.com')];
    const forbidden = failure('forbidden');
    const refusesEveryWrite = (e: ProviderError) => e.kind === 'forbidden';
    const first = await applyPerRecord([a], [{ change: a }], async () => ({ ok: false, error: forbidden, unknown: false }), { refusesEveryWrite }).catch((e: unknown) => e);
    expect(first).toBe(forbidden);
    const second = await applyPerRecord([a, b], [{ change: a }, { change: b }], async (w) => (w.change === a ? { ok: true } : { ok: false, error: forbidden, unknown: false }), {
      refusesEveryWrite,
    }).catch((e: unknown) => e);
    expect(second).not.toBe(forbidden);
    expect((second as ProviderError).applied).toEqual([a]);
  });
});

describe('recordIdClaimer', () => {
  const records = [{ ...txt('a.example.com', 'one'), id: '1' }, { ...txt('a.example.com', 'two'), id: '2' }];
  const idOf = (r: DnsRecord | undefined) => r?.id;
  const same = (x: DnsRecord, y: DnsRecord) => x.name === y.name && x.content === y.content;

  it('finds a record without an id by its content, refuses one not in the zone as read and one named twice', () => {
    const idFor = recordIdClaimer('vultr', { records }, idOf, same);
    expect(idFor(txt('a.example.com', 'two'))).toBe('2');
    expect(() => idFor(txt('a.example.com', 'three'))).toThrow(expect.objectContaining({ kind: 'conflict' }));
    expect(() => idFor({ ...txt('a.example.com', 'one'), id: '9' })).toThrow(expect.objectContaining({ kind: 'conflict' }));
    expect(() => idFor(txt('a.example.com', 'two'))).toThrow(expect.objectContaining({ kind: 'rejected' }));
  });
});

describe('landedInZone and recordMatch (DNSimple, Porkbun)', () => {
  const match = recordMatch(new Set(['CNAME']));
  const before: DnsRecord = { type: 'CNAME', name: 'sl.example.com', content: 'old.example.net', ttl: 300, id: '1' };
  const wanted = { ...before, content: 'new.example.net', id: undefined };
  const update: RecordChange = { action: 'UPDATE', before, record: wanted };

  it('finds a lost create only by an id that was not there before, once', () => {
    const create: RecordChange = { action: 'CREATE', record: { ...wanted, name: 'x.example.com' } };
    const now = [{ ...create.record, id: '7' }];
    expect(landedInZone(now, { change: create }, new Set(['7']), match)).toBe(false);
    const known = new Set<string>();
    expect(landedInZone(now, { change: create }, known, match)).toBe(true);
    expect(landedInZone(now, { change: create }, known, match)).toBe(false);
  });

  it('tells an update landed, not landed (as before, TTL included) or unknown (changed otherwise, or gone)', () => {
    const at = (record: Partial<DnsRecord>) => [{ ...before, ...record }];
    // A target read back in another case and with the trailing dot is the same host.
    expect(landedInZone(at({ content: 'NEW.example.net.' }), { change: update, id: '1' }, new Set(), match)).toBe(true);
    expect(landedInZone(at({ content: 'new.example.net', ttl: 60 }), { change: update, id: '1' }, new Set(), match)).toBeUndefined();
    expect(landedInZone(at({}), { change: update, id: '1' }, new Set(), match)).toBe(false);
    expect(landedInZone(at({ ttl: 60 }), { change: update, id: '1' }, new Set(), match)).toBeUndefined();
    expect(landedInZone(at({ priority: 5 }), { change: update, id: '1' }, new Set(), match)).toBeUndefined();
    expect(landedInZone([], { change: update, id: '1' }, new Set(), match)).toBeUndefined();
  });

  it('tells a delete landed when the record is gone', () => {
    const del: RecordChange = { action: 'DELETE', before };
    expect(landedInZone([], { change: del, id: '1' }, new Set(), match)).toBe(true);
    expect(landedInZone([before], { change: del, id: '1' }, new Set(), match)).toBe(false);
  });

  it('names a record by its own id, and one without an id by the same record as read', () => {
    expect(idAsRead('porkbun', [], { ...before, id: '9' }, match)).toBe('9');
    expect(idAsRead('porkbun', [before], { ...before, id: undefined, content: 'OLD.example.net.' }, match)).toBe('1');
    expect(() => idAsRead('porkbun', [before], { ...before, id: undefined, priority: 5 }, match)).toThrow(expect.objectContaining({ kind: 'conflict' }));
  });
});
