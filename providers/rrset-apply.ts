/**
 * How an adapter applies a plan one rrset at a time, where the provider's unit of writing is the whole record set
 * (name + type, one TTL, every value) and a write replaces all of it (Gandi LiveDNS, Hostinger): the plan's changes
 * grouped by rrset, each rrset rebuilt from the zone as read with every value it keeps written back as read, then one
 * call per rrset in the order the plan first names it.
 *
 * The wire format of a value, which rrsets exist as read, and what each provider refuses (TTL rules, CNAME rules,
 * Hostinger's disabled records) stay in each adapter: this file only groups and sequences.
 */
import { partialApplyError, UncertainWrite } from './apply-progress.js';
import { PROVIDER_NAMES, ProviderError, type ApplyResult, type DesiredRecord, type DnsRecord, type ProviderId, type RecordChange } from './types.js';

/** One value of an rrset being rebuilt: as read (`kept`) or the plan's, with the TTL it came with. */
export interface RrsetValue {
  readonly value: string;
  readonly kept: boolean;
  readonly ttl: number;
}

/** One rrset as the plan leaves it, before the adapter turns it into a call. */
export interface RrsetDraft<R> {
  /** Upper case. */
  readonly type: string;
  /** Relative, as the adapter spells it. */
  readonly name: string;
  /** The rrset as read (undefined: there was none). */
  readonly existing: R | undefined;
  /** Values in order: kept ones as read, then the plan's. `null` = deleted. */
  readonly values: (RrsetValue | null)[];
  /** The changes that touch this rrset. */
  readonly changes: RecordChange[];
}

export interface RrsetPlanner<R> {
  readonly provider: ProviderId;
  /** Record types the adapter writes; a change of another type is refused. */
  readonly recordTypes: ReadonlySet<string>;
  /** A full name → the rrset name as the adapter spells it, refusing a name outside the zone. */
  relativeName(fullName: string): string;
  /** The rrset (upper-case type, relative name) as read and the values it holds that a rewrite keeps, each `kept: true`. */
  open(type: string, name: string): { readonly existing: R | undefined; readonly values: RrsetValue[] };
  /** The value string a record as read came from, where the record carries it (then it is matched byte for byte). */
  valueAsRead(record: DnsRecord): string | undefined;
  /** An rrset value → neutral content and priority, to match a record that does not carry its value string. */
  neutralValue(type: string, value: string): { readonly content: string; readonly priority?: number };
  /** Refuses a record the provider would refuse, before any call. */
  checkWritable(record: DesiredRecord): void;
  /** The value string the provider takes for `record`. */
  wireValue(type: string, record: DesiredRecord): string;
}

/**
 * Pure: the changes grouped by rrset, in the order the plan first names each. A DELETE or UPDATE must name a value of
 * the rrset as read (`conflict` otherwise); an UPDATE within its rrset is made in place, so the rrset keeps its order.
 */
export function draftRrsets<R>(planner: RrsetPlanner<R>, changes: readonly RecordChange[]): RrsetDraft<R>[] {
  const sets = new Map<string, RrsetDraft<R>>();
  const rrset = (type: string, fullName: string): RrsetDraft<R> => {
    const t = type.toUpperCase();
    if (!planner.recordTypes.has(t)) throw new ProviderError(planner.provider, 'rejected', `${PROVIDER_NAMES[planner.provider]}'s API cannot write ${t} records here`);
    const name = planner.relativeName(fullName);
    const key = `${t} ${name}`;
    let set = sets.get(key);
    if (!set) {
      const { existing, values } = planner.open(t, name);
      set = { type: t, name, existing, values: [...values], changes: [] };
      sets.set(key, set);
    }
    return set;
  };
  const isRecord = (type: string, value: string, before: DnsRecord): boolean => {
    const asRead = planner.valueAsRead(before);
    if (asRead !== undefined) return value === asRead;
    const read = planner.neutralValue(type, value);
    return read.content === before.content && (read.priority ?? undefined) === (before.priority ?? undefined);
  };
  const take = (set: RrsetDraft<R>, before: DnsRecord): number => {
    const index = set.values.findIndex((v) => v !== null && v.kept && isRecord(set.type, v.value, before));
    if (index < 0) throw new ProviderError(planner.provider, 'conflict', `the ${before.type} record at ${before.name} is no longer in the zone as read`);
    return index;
  };
  for (const change of changes) {
    if (change.action === 'DELETE') {
      const set = rrset(change.before.type, change.before.name);
      set.values[take(set, change.before)] = null;
      set.changes.push(change);
      continue;
    }
    planner.checkWritable(change.record);
    const target = rrset(change.record.type, change.record.name);
    const value = { value: planner.wireValue(target.type, change.record), kept: false, ttl: change.record.ttl };
    if (change.action === 'UPDATE') {
      const source = rrset(change.before.type, change.before.name);
      const index = take(source, change.before);
      if (source === target) target.values[index] = value;
      else {
        source.values[index] = null;
        target.values.push(value);
        source.changes.push(change);
      }
    } else {
      target.values.push(value);
    }
    // An UPDATE within one rrset is attached to it once; one that moves a value, to both.
    target.changes.push(change);
  }
  return [...sets.values()];
}

/** The values of a draft that stay after the plan. */
export function liveValues(draft: RrsetDraft<unknown>): RrsetValue[] {
  return draft.values.filter((v): v is RrsetValue => v !== null);
}

/**
 * Runs `write` for each rrset write in order and stops at the first failure with `partialApplyError`. A change that
 * moves a value between rrsets counts as applied once both are written; an `UncertainWrite` leaves the changes of its
 * rrset not yet applied unknown.
 */
export async function applyRrsetWrites<W extends { readonly changes: readonly RecordChange[] }>(
  changes: readonly RecordChange[],
  plan: readonly W[],
  write: (write: W) => Promise<void>,
): Promise<ApplyResult> {
  const pending = new Map<RecordChange, number>();
  for (const w of plan) for (const change of w.changes) pending.set(change, (pending.get(change) ?? 0) + 1);
  const applied: RecordChange[] = [];
  for (const w of plan) {
    try {
      await write(w);
    } catch (error) {
      if (!(error instanceof ProviderError)) throw error;
      const uncertain = error instanceof UncertainWrite;
      throw partialApplyError(uncertain ? error.error : error, applied, changes, uncertain ? w.changes.filter((c) => !applied.includes(c)) : []);
    }
    for (const change of w.changes) {
      const left = (pending.get(change) ?? 1) - 1;
      pending.set(change, left);
      if (left === 0) applied.push(change);
    }
  }
  return { applied };
}

/** Whether an rrset read back holds exactly the values sent, each compared by `key` (order and spelling aside). */
export function sameValues(read: readonly string[], sent: readonly string[], key: (value: string) => string): boolean {
  const a = read.map(key).sort();
  const b = sent.map(key).sort();
  return a.length === b.length && a.every((v, i) => v === b[i]);
}
