/**
 * The planner: given what a zone holds and the records a template wants, decide per record whether to CREATE,
 * UPDATE, DELETE, KEEP, or report a CONFLICT. Pure: no I/O, the same input always gives the same plan.
 *
 * Rules (DC-spec "Record Types and Conflicts" and "SPF Record Merging"; RFC 1034 §3.6.2; RFC 7208 §3.2;
 * background.md §2.3, §2.4, §5):
 * - Records are compared semantically: names and CNAME/MX targets case-insensitively without trailing dot, TXT by
 *   joined value, TTL ignored.
 * - Records planned earlier count as existing for later ones, so two DMARC variants never both get created.
 * - Zone records the template does not match are never touched; `force` replaces exactly the conflicting records the
 *   plan names, and never overrides a CNAME at the apex, a name outside the zone or below a delegation, or a
 *   conflict between two records of the same template.
 *
 * A plan with conflicts still lists the writes for the other records; the caller must not apply it unless
 * `conflicts` is empty (Domain Connect answers such a request with 409 and the conflicting records).
 */
import type { DesiredRecord, DnsRecord, RecordChange } from './model.js';
import { isAtOrBelow, isBelow, normaliseName } from './names.js';
import { SpfError, isSpf, isTerminal, mergeSpf, parseSpf } from './spf.js';
import type { ResolvedRecord } from './template.js';
import { joinTxt } from './txt.js';

export type PlannedAction = 'CREATE' | 'UPDATE' | 'DELETE' | 'KEEP' | 'CONFLICT';

export interface PlannedChange {
  readonly action: PlannedAction;
  readonly type: string;
  readonly name: string;
  /** CREATE/UPDATE/CONFLICT: the value wanted. KEEP: the value the zone keeps. DELETE: the value removed. */
  readonly content: string;
  readonly ttl: number;
  readonly priority?: number | undefined;
  /** The existing record's value this change is about, null when there is none (CREATE). */
  readonly previous: string | null;
  /** The zone record an UPDATE/DELETE/KEEP/CONFLICT is about. */
  readonly existing?: DnsRecord | undefined;
  readonly reason?: string | undefined;
}

export interface Plan {
  /** One entry per decision, in template order (a forced replacement lists its DELETEs before its CREATE). */
  readonly changes: readonly PlannedChange[];
  /** The CREATE/UPDATE/DELETE changes as provider writes, in the order they must be applied. */
  readonly writes: readonly RecordChange[];
  readonly conflicts: readonly PlannedChange[];
  /** True when the zone already holds the record set: nothing to write and nothing in the way. */
  readonly satisfied: boolean;
}

export interface PlanInput {
  readonly existing: readonly DnsRecord[];
  readonly records: readonly ResolvedRecord[];
  readonly zoneApex: string;
  /** Replace the records that conflict (DC `force=1`). @default false */
  readonly force?: boolean | undefined;
  /** The provider's lowest TTL: lower template TTLs are raised to it. @default 0 (no floor) */
  readonly minTtl?: number | undefined;
}

/**
 * The zone as the plan progresses: planned writes are applied here so later records see them. Records are indexed
 * by normalised name, and the NS records kept apart: each planned record looks up its name and the delegations
 * above it, and a whole-zone scan per lookup (normalising every name each time) was the planner's largest cost on a
 * zone of a few dozen records.
 */
class ZoneState {
  private readonly byName = new Map<string, DnsRecord[]>();
  private readonly nsRecords: DnsRecord[] = [];
  private readonly planned = new Set<DnsRecord>();

  constructor(existing: readonly DnsRecord[]) {
    for (const record of existing) this.insert(record);
  }

  /** Records at `name` (normalised), in the order the zone listed them, planned ones after. */
  at(name: string): DnsRecord[] {
    return [...(this.byName.get(name) ?? [])];
  }

  /** The zone's NS records, planned ones included. */
  nameServers(): readonly DnsRecord[] {
    return this.nsRecords;
  }

  /** True for records this plan itself created or rewrote. */
  isPlanned(record: DnsRecord): boolean {
    return this.planned.has(record);
  }

  add(record: DesiredRecord): void {
    const added = { ...record };
    this.insert(added);
    this.planned.add(added);
  }

  replace(before: DnsRecord, record: DesiredRecord): void {
    const replaced = { ...record };
    const here = this.byName.get(normaliseName(before.name));
    if (here && normaliseName(replaced.name) === normaliseName(before.name) && isNs(replaced) === isNs(before)) {
      // In place, so that the records at this name keep their order.
      here[here.indexOf(before)] = replaced;
      if (isNs(before)) this.nsRecords[this.nsRecords.indexOf(before)] = replaced;
    } else {
      this.remove(before);
      this.insert(replaced);
    }
    this.planned.add(replaced);
  }

  remove(before: DnsRecord): void {
    const here = this.byName.get(normaliseName(before.name));
    const at = here?.indexOf(before) ?? -1;
    if (at >= 0) here!.splice(at, 1);
    const ns = this.nsRecords.indexOf(before);
    if (ns >= 0) this.nsRecords.splice(ns, 1);
  }

  private insert(record: DnsRecord): void {
    const name = normaliseName(record.name);
    const here = this.byName.get(name);
    if (here) here.push(record);
    else this.byName.set(name, [record]);
    if (isNs(record)) this.nsRecords.push(record);
  }
}

interface Context {
  readonly apex: string;
  readonly zone: ZoneState;
  readonly force: boolean;
  readonly minTtl: number;
  readonly changes: PlannedChange[];
  readonly writes: RecordChange[];
}

export function planRecordSet(input: PlanInput): Plan {
  const ctx: Context = {
    apex: normaliseName(input.zoneApex),
    zone: new ZoneState(input.existing),
    force: input.force ?? false,
    minTtl: input.minTtl ?? 0,
    changes: [],
    writes: [],
  };
  for (const record of input.records) planRecord(ctx, record);
  const conflicts = ctx.changes.filter((c) => c.action === 'CONFLICT');
  return { changes: ctx.changes, writes: ctx.writes, conflicts, satisfied: ctx.writes.length === 0 && conflicts.length === 0 };
}

/** One line per conflict, e.g. "CNAME key1._domainkey.example.com already points to x.example.net". */
export function summariseConflicts(plan: Plan): string {
  return plan.conflicts.map((c) => c.reason ?? `${c.type} ${c.name} conflicts with an existing record`).join('; ');
}

// ---------------------------------------------------------------------------------------------------------------

const is = (type: string) => (record: DnsRecord) => record.type.toUpperCase() === type;
const isNs = is('NS');
const isCname = is('CNAME');
const isTxt = is('TXT');

/** Long values (DKIM keys) are cut in messages so a summary stays one readable line. */
function short(value: string): string {
  return value.length > 60 ? `${value.slice(0, 57)}...` : value;
}

function desired(type: string, name: string, content: string, ttl: number, priority?: number): DesiredRecord {
  return priority === undefined ? { type, name, content, ttl } : { type, name, content, ttl, priority };
}

function describe(record: DesiredRecord | DnsRecord): Pick<PlannedChange, 'type' | 'name' | 'content' | 'ttl' | 'priority'> {
  const base = { type: record.type.toUpperCase(), name: normaliseName(record.name), content: record.content, ttl: record.ttl };
  return record.priority === undefined ? base : { ...base, priority: record.priority };
}

function create(ctx: Context, want: DesiredRecord, reason?: string): void {
  ctx.zone.add(want);
  ctx.changes.push({ action: 'CREATE', ...describe(want), previous: null, ...(reason ? { reason } : {}) });
  ctx.writes.push({ action: 'CREATE', record: want });
}

function update(ctx: Context, before: DnsRecord, want: DesiredRecord, reason: string): void {
  ctx.zone.replace(before, want);
  ctx.changes.push({ action: 'UPDATE', ...describe(want), previous: before.content, existing: before, reason });
  ctx.writes.push({ action: 'UPDATE', before, record: want });
}

function remove(ctx: Context, before: DnsRecord, reason: string): void {
  ctx.zone.remove(before);
  ctx.changes.push({ action: 'DELETE', ...describe(before), previous: before.content, existing: before, reason });
  ctx.writes.push({ action: 'DELETE', before });
}

function keep(ctx: Context, existing: DnsRecord, reason?: string): void {
  ctx.changes.push({ action: 'KEEP', ...describe(existing), previous: existing.content, existing, ...(reason ? { reason } : {}) });
}

function conflict(ctx: Context, want: DesiredRecord, existing: DnsRecord | undefined, reason: string): void {
  ctx.changes.push({ action: 'CONFLICT', ...describe(want), previous: existing?.content ?? null, ...(existing ? { existing } : {}), reason });
}

/** Conflicts that `force` may resolve: only records that were in the zone, never ones this plan wrote. */
function forceable(ctx: Context, records: readonly DnsRecord[]): boolean {
  return ctx.force && !records.some((r) => ctx.zone.isPlanned(r));
}

function sameSetReason(want: DesiredRecord, other: DnsRecord): string {
  return `${want.type} ${want.name} conflicts with ${other.type} "${short(other.content)}" of the same record set`;
}

function planRecord(ctx: Context, record: ResolvedRecord): void {
  const name = normaliseName(record.name);
  const ttl = Math.max(record.ttl, ctx.minTtl);
  const first = record.type === 'SPFM' ? spfFirstDraft(record.content) : record.content;
  const draft = desired(record.type === 'SPFM' ? 'TXT' : record.type, name, first, ttl, record.priority);
  if (!isAtOrBelow(name, ctx.apex)) {
    conflict(ctx, draft, undefined, `${draft.type} ${name} is outside the zone ${ctx.apex}`);
    return;
  }
  // DC-spec: NS conflicts with everything at or below it; records there belong to the delegated zone.
  const delegation = ctx.zone.nameServers().find((r) => isBelow(normaliseName(r.name), ctx.apex) && isAtOrBelow(name, normaliseName(r.name)));
  if (delegation) {
    conflict(ctx, draft, delegation, `${draft.type} ${name} is in ${normaliseName(delegation.name)}, delegated to other name servers (${delegation.content})`);
    return;
  }
  switch (record.type) {
    case 'CNAME':
      return planCname(ctx, desired('CNAME', name, normaliseName(record.content), ttl));
    case 'SPFM':
      return planSpf(ctx, record, draft);
    case 'TXT':
      return planTxt(ctx, record, draft);
    case 'MX':
      return planAdd(ctx, desired('MX', name, normaliseName(record.content), ttl, record.priority));
    case 'AAAA':
      return planAdd(ctx, desired('AAAA', name, record.content.toLowerCase(), ttl));
    case 'A':
      return planAdd(ctx, draft);
  }
}

function spfFirstDraft(rules: string): string {
  try {
    return mergeSpf(null, rules).record;
  } catch {
    return `v=spf1 ${rules} ~all`;
  }
}

function planCname(ctx: Context, want: DesiredRecord): void {
  if (want.name === ctx.apex) {
    // Never forced: the apex always holds SOA and NS, which a CNAME may not sit beside (RFC 1034 §3.6.2).
    conflict(ctx, want, undefined, `no CNAME at the zone apex (${want.name})`);
    return;
  }
  const here = ctx.zone.at(want.name);
  const cnames = here.filter(isCname);
  const same = cnames.find((c) => normaliseName(c.content) === want.content);
  if (same) return keep(ctx, same);
  const others = here.filter((r) => !isCname(r));
  if (cnames.length === 0 && others.length === 0) return create(ctx, want);
  if (!forceable(ctx, [...cnames, ...others])) {
    for (const c of [...cnames, ...others]) {
      const reason = ctx.zone.isPlanned(c)
        ? sameSetReason(want, c)
        : isCname(c)
          ? `CNAME ${want.name} already points to ${normaliseName(c.content)}`
          : `${want.name} already has a ${c.type.toUpperCase()} record ("${short(c.content)}"); a CNAME cannot coexist with other records`;
      conflict(ctx, want, c, reason);
    }
    return;
  }
  const [firstCname, ...extraCnames] = cnames;
  for (const other of others) remove(ctx, other, `forced: a CNAME at ${want.name} cannot coexist with other records`);
  for (const extra of extraCnames) remove(ctx, extra, `forced: only one CNAME may exist at ${want.name}`);
  if (firstCname) update(ctx, firstCname, want, `forced: CNAME ${want.name} pointed to ${normaliseName(firstCname.content)}`);
  else create(ctx, want, `forced: replaces the records at ${want.name}`);
}

/**
 * A non-CNAME record may not be added where a CNAME is (RFC 1034 §3.6.2). Returns true when planning may go on
 * (no CNAME, or it was removed under force).
 */
function clearCname(ctx: Context, want: DesiredRecord): boolean {
  const cnames = ctx.zone.at(want.name).filter(isCname);
  if (cnames.length === 0) return true;
  if (!forceable(ctx, cnames)) {
    for (const c of cnames) {
      const reason = ctx.zone.isPlanned(c)
        ? sameSetReason(want, c)
        : `${want.name} is a CNAME to ${normaliseName(c.content)}; a ${want.type} record cannot be added beside it`;
      conflict(ctx, want, c, reason);
    }
    return false;
  }
  for (const c of cnames) remove(ctx, c, `forced: a ${want.type} record is wanted at ${want.name}`);
  return true;
}

function planSpf(ctx: Context, record: ResolvedRecord, draft: DesiredRecord): void {
  if (!clearCname(ctx, draft)) return;
  const spfs = ctx.zone.at(draft.name).filter((r) => isTxt(r) && isSpf(joinTxt(r.content)));
  try {
    if (spfs.length === 0) return create(ctx, { ...draft, content: mergeSpf(null, record.content).record });
    if (spfs.length === 1) {
      const current = spfs[0]!;
      const merged = mergeSpf(joinTxt(current.content), record.content);
      if (merged.added.length === 0) return keep(ctx, current, `the SPF record already has ${record.content}`);
      // The user's TTL stays: the merged SPF is theirs, not the template's (DC-spec: SPF is non-essential).
      const want = desired('TXT', draft.name, merged.record, Math.max(current.ttl, ctx.minTtl));
      return update(ctx, current, want, `SPF merged: added ${merged.added.join(' ')}`);
    }
    if (!forceable(ctx, spfs)) {
      for (const s of spfs) {
        conflict(ctx, draft, s, `${draft.name} has ${spfs.length} SPF records; RFC 7208 §3.2 allows one (merge them, or force to combine them)`);
      }
      return;
    }
    // Forced: combine every SPF record's mechanisms into the first (its policy wins) and delete the others.
    const [first, ...rest] = spfs as [DnsRecord, ...DnsRecord[]];
    const extra = rest.flatMap((s) => parseSpf(joinTxt(s.content)).terms.filter((t) => !isTerminal(t)).map((t) => t.text));
    const merged = mergeSpf(joinTxt(first.content), [...extra, record.content].join(' '));
    if (merged.added.length > 0) {
      const want = desired('TXT', draft.name, merged.record, Math.max(first.ttl, ctx.minTtl));
      update(ctx, first, want, `forced: combined ${spfs.length} SPF records into one`);
    } else {
      keep(ctx, first, `the SPF record already has ${record.content}`);
    }
    for (const s of rest) remove(ctx, s, `forced: only one SPF record may exist at ${draft.name} (RFC 7208 §3.2)`);
  } catch (error) {
    if (!(error instanceof SpfError)) throw error;
    conflict(ctx, draft, spfs[0], `the SPF record at ${draft.name} cannot be merged: ${error.message}`);
  }
}

/** DC-spec txtConflictMatchingMode: None never conflicts, All conflicts with any TXT, Prefix with TXTs starting so. */
function matchesConflictMode(record: ResolvedRecord, value: string): boolean {
  switch (record.txtConflictMatchingMode) {
    case 'None':
      return false;
    case 'All':
      return true;
    case 'Prefix':
      // Case-insensitive, so `V=dmarc1; …` still counts as the DMARC record it is and no second one is created.
      return value.toLowerCase().startsWith((record.txtConflictMatchingPrefix ?? '').toLowerCase());
  }
}

function planTxt(ctx: Context, record: ResolvedRecord, want: DesiredRecord): void {
  if (!clearCname(ctx, want)) return;
  const txts = ctx.zone.at(want.name).filter(isTxt);
  const same = txts.find((t) => joinTxt(t.content) === want.content);
  if (same) return keep(ctx, same);
  const matching = txts.filter((t) => matchesConflictMode(record, joinTxt(t.content)));
  if (matching.length === 0) return create(ctx, want);
  const match = record.txtConflictMatchingMode === 'All' ? 'a TXT record' : `a TXT record starting "${record.txtConflictMatchingPrefix}"`;
  if (record.essential === 'OnApply') {
    return keep(ctx, matching[0]!, `kept: ${match} already exists at ${want.name} (essential: OnApply)`);
  }
  if (!forceable(ctx, matching)) {
    for (const m of matching) {
      const reason = ctx.zone.isPlanned(m) ? sameSetReason(want, m) : `TXT ${want.name} already has "${short(joinTxt(m.content))}" (${match})`;
      conflict(ctx, want, m, reason);
    }
    return;
  }
  const [first, ...rest] = matching as [DnsRecord, ...DnsRecord[]];
  update(ctx, first, want, `forced: replaces ${match} at ${want.name}`);
  for (const m of rest) remove(ctx, m, `forced: ${match} at ${want.name}`);
}

/** A, AAAA, MX: added beside what is there unless the same value exists (DC-spec: these only conflict with CNAME). */
function planAdd(ctx: Context, want: DesiredRecord): void {
  if (!clearCname(ctx, want)) return;
  const same = ctx.zone
    .at(want.name)
    .find((r) => r.type.toUpperCase() === want.type && (want.type === 'A' ? r.content : normaliseName(r.content)) === want.content);
  if (same) return keep(ctx, same);
  create(ctx, want);
}
