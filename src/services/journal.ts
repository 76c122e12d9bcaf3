/**
 * The change journal: every plan sent to a provider is stored (who, when, domain, provider, record set, and each
 * change with the record before and after it), so that it can be listed and reverted.
 *
 * It is written ahead: the entry is stored `pending`, holding the planned writes, before the first provider write
 * (if that fails, nothing is sent to the provider), and completed once the provider has answered: `applied` with
 * every write, `partial` with the writes that landed, or `failed` (none landed). An entry left `pending` belongs to a
 * command still running or to a process that stopped mid-write: its writes may or may not be in the zone.
 *
 * What is stored is the normalised record (type, name, content, ttl, priority) and the provider fields a restored copy
 * needs (`DnsRecord.providerFields`: Cloudflare's proxied flag, comment, tags): never a credential, never the
 * provider's raw wire form. Dry runs and applies that had nothing to write are not journaled: nothing changed.
 *
 * The pure part (journal writes from applied changes, and the inverse of an entry against the zone as it is now)
 * is exported for the service; the store part is `createChangeJournal`.
 */
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { normaliseName } from '../records/names.js';
import { CHANGE_STATUSES, type ChangeEntry, type ChangeStatus, type Store } from '../storage/store.js';
import type { DesiredRecord, DnsRecord, ProviderFields, RecordChange } from '../records/model.js';

/** A record as the journal keeps it: the neutral form of providers/types.ts without ids or raw wire data. */
export interface JournalRecord {
  readonly type: string;
  readonly name: string;
  readonly content: string;
  readonly ttl: number;
  /** MX preference / SRV priority; null for other types. */
  readonly priority: number | null;
  /** What the provider keeps beside the neutral fields (`DnsRecord.providerFields`), for a revert to restore. */
  readonly providerFields?: ProviderFields;
}

/** One written change: `before` is null for a CREATE, `after` is null for a DELETE. */
export interface JournalWrite {
  readonly action: 'CREATE' | 'UPDATE' | 'DELETE';
  readonly before: JournalRecord | null;
  readonly after: JournalRecord | null;
}

export interface JournalEntry {
  readonly id: string;
  /** ISO-8601 UTC. */
  readonly createdAt: string;
  /** `key:<api key id>` or `user:<user id>`: never a key, a session id or a provider credential. */
  readonly principal: string;
  readonly domain: string;
  readonly provider: string;
  readonly recordType: string;
  readonly status: ChangeStatus;
  /** True when writes reached the provider: `status` is `applied` or `partial`. */
  readonly applied: boolean;
  /** The entry this one reverted, or null for a dns.set. */
  readonly revertOf: string | null;
  /**
   * `pending`: the planned writes (any of them may have landed). Completed: the writes that landed, in the order the
   * provider applied them (none for `failed`).
   */
  readonly writes: readonly JournalWrite[];
  /** Why the stored entry could not be read (its writes are then empty); null for every readable entry. */
  readonly problem: string | null;
}

/** What `begin` stores: the entry and the writes it is about to make. */
export type NewJournalEntry = Omit<JournalEntry, 'id' | 'createdAt' | 'status' | 'applied' | 'problem'>;

/** How a pending entry ended: what the provider applied of it. */
export interface JournalOutcome {
  readonly status: Exclude<ChangeStatus, 'pending'>;
  /** The writes that landed: all of them (`applied`), some (`partial`), none (`failed`). */
  readonly writes: readonly JournalWrite[];
}

// ------------------------------------------------------------------------------------------------- pure logic

function journalRecord(record: DesiredRecord | DnsRecord): JournalRecord {
  // A record read from the zone carries its provider fields; one a revert wrote carries those it restored.
  const providerFields = 'providerFields' in record ? record.providerFields : 'restoreFields' in record ? record.restoreFields : undefined;
  return {
    type: record.type.toUpperCase(),
    name: normaliseName(record.name),
    content: record.content,
    ttl: record.ttl,
    priority: record.priority ?? null,
    ...(providerFields ? { providerFields } : {}),
  };
}

/** The changes an adapter reported as applied, in the journal's form. */
export function journalWrites(applied: readonly RecordChange[]): JournalWrite[] {
  return applied.map((change): JournalWrite => {
    switch (change.action) {
      case 'CREATE':
        return { action: 'CREATE', before: null, after: journalRecord(change.record) };
      case 'UPDATE':
        return { action: 'UPDATE', before: journalRecord(change.before), after: journalRecord(change.record) };
      case 'DELETE':
        return { action: 'DELETE', before: journalRecord(change.before), after: null };
    }
  });
}

/** Host-valued contents compare as DNS compares names: case-insensitively, without the trailing dot. */
const HOST_VALUED = new Set(['CNAME', 'MX', 'NS', 'PTR', 'ALIAS']);

/** True when the zone record is the journal record: same type, name, content, TTL and priority. */
export function sameRecord(record: DnsRecord | JournalRecord, wanted: JournalRecord): boolean {
  const type = record.type.toUpperCase();
  if (type !== wanted.type || normaliseName(record.name) !== wanted.name) return false;
  if (record.ttl !== wanted.ttl || (record.priority ?? null) !== wanted.priority) return false;
  return HOST_VALUED.has(type) ? normaliseName(record.content) === normaliseName(wanted.content) : record.content === wanted.content;
}

function describeRecord(record: JournalRecord): string {
  const content = record.content.length > 60 ? `${record.content.slice(0, 57)}...` : record.content;
  return `${record.type} ${record.name} "${content}" (TTL ${record.ttl}${record.priority === null ? '' : `, priority ${record.priority}`})`;
}

function desired(record: JournalRecord): DesiredRecord {
  return {
    type: record.type,
    name: record.name,
    content: record.content,
    ttl: record.ttl,
    ...(record.priority === null ? {} : { priority: record.priority }),
    ...(record.providerFields ? { restoreFields: record.providerFields } : {}),
  };
}

export type RevertPlan =
  | { readonly ok: true; readonly changes: readonly RecordChange[] }
  | { readonly ok: false; readonly problems: readonly string[] };

/**
 * The writes that undo `writes`, given the zone as it is now. Every record the entry wrote must still be exactly as
 * written (CREATE/UPDATE: present and equal to `after`; DELETE: `before` absent again); otherwise the revert would
 * overwrite someone's later edit, so it is refused with one problem per record that differs.
 * The inverses come in reverse order, so a forced replacement (DELETE A, CREATE CNAME) is undone CNAME first.
 */
export function planRevert(writes: readonly JournalWrite[], current: readonly DnsRecord[]): RevertPlan {
  const claimed = new Set<DnsRecord>();
  const problems: string[] = [];
  const changes: RecordChange[] = [];
  for (const write of [...writes].reverse()) {
    if (write.after) {
      const now = current.find((r) => !claimed.has(r) && sameRecord(r, write.after!));
      if (!now) {
        problems.push(`${describeRecord(write.after)} was changed or removed since`);
        continue;
      }
      claimed.add(now);
      changes.push(write.before ? { action: 'UPDATE', before: now, record: desired(write.before) } : { action: 'DELETE', before: now });
    } else if (write.before) {
      if (current.some((r) => sameRecord(r, write.before!))) {
        problems.push(`${describeRecord(write.before)}, deleted by this change, exists again`);
        continue;
      }
      changes.push({ action: 'CREATE', record: desired(write.before) });
    }
  }
  return problems.length > 0 ? { ok: false, problems: problems.reverse() } : { ok: true, changes };
}

// ------------------------------------------------------------------------------------------------ stored form

const storedRecord = z.object({
  type: z.string(),
  name: z.string(),
  content: z.string(),
  ttl: z.number(),
  priority: z.number().nullable(),
  // Absent in entries written before it was kept.
  providerFields: z.record(z.string(), z.unknown()).optional(),
});

const storedWrite = z.object({
  action: z.enum(['CREATE', 'UPDATE', 'DELETE']),
  before: storedRecord.nullable(),
  after: storedRecord.nullable(),
});

/** The `changes` column: an object, so that fields can be added later without breaking rows written before. */
const storedChanges = z.object({
  revertOf: z.string().nullable().default(null),
  writes: z.array(storedWrite),
});

/**
 * A stored row as an entry. A row whose change list this code cannot read (written by hand, cut short, or by a newer
 * release) is still an entry, with its columns, no writes and a `problem` saying why: it is reported in listings, not
 * dropped from them, and it cannot be reverted.
 */
function fromRow(row: ChangeEntry): JournalEntry {
  const parsed = storedChanges.safeParse(row.changes);
  const status = CHANGE_STATUSES.includes(row.status) ? row.status : null;
  const problem = !parsed.success
    ? `the stored change list of this entry cannot be read (${typeof row.changes === 'string' ? 'not JSON' : (parsed.error.issues[0]?.message ?? 'unexpected shape')})`
    : status === null
      ? `this entry has an unknown status ${JSON.stringify(row.status)}`
      : null;
  return {
    id: row.id,
    createdAt: row.createdAt,
    principal: row.principal,
    domain: row.domain,
    provider: row.provider,
    recordType: row.recordType,
    // An unknown status cannot be trusted to mean the writes landed, or that they did not: as if never completed.
    status: status ?? 'pending',
    applied: status === null ? false : row.applied,
    revertOf: parsed.success ? parsed.data.revertOf : null,
    writes: parsed.success && status !== null ? parsed.data.writes : [],
    problem,
  };
}

// -------------------------------------------------------------------------------------------------- the store

export interface ChangeJournal {
  /**
   * Write-ahead: stores the entry as `pending` with the writes about to be sent. Called before the first provider
   * write; when it throws, nothing may be sent.
   */
  begin(entry: NewJournalEntry): Promise<JournalEntry>;
  /** Completes the pending entry `begin` returned with what landed. Throws when the store fails or it is not pending. */
  complete(entry: JournalEntry, outcome: JournalOutcome): Promise<JournalEntry>;
  /** Newest first; unreadable rows included, with their `problem`. */
  list(domain: string, limit?: number): Promise<JournalEntry[]>;
  get(id: string): Promise<JournalEntry | null>;
}

export interface ChangeJournalDeps {
  readonly store: Store;
  /** @default () => new Date() */
  readonly now?: () => Date;
  /** @default randomUUID */
  readonly newId?: () => string;
}

/** Most entries a listing returns. @default 50 (the store's own default) */
export const DEFAULT_LIST_LIMIT = 50;

export function createChangeJournal(deps: ChangeJournalDeps): ChangeJournal {
  const now = deps.now ?? (() => new Date());
  const newId = deps.newId ?? randomUUID;
  return {
    async begin(entry) {
      const stored: JournalEntry = { ...entry, id: newId(), createdAt: now().toISOString(), status: 'pending', applied: false, problem: null };
      await deps.store.insertChange({
        id: stored.id,
        createdAt: stored.createdAt,
        principal: stored.principal,
        domain: stored.domain,
        provider: stored.provider,
        recordType: stored.recordType,
        status: stored.status,
        applied: stored.applied,
        changes: { revertOf: stored.revertOf, writes: stored.writes },
      });
      return stored;
    },
    async complete(entry, outcome) {
      const applied = outcome.status !== 'failed';
      const completed = await deps.store.completeChange(entry.id, {
        status: outcome.status,
        applied,
        changes: { revertOf: entry.revertOf, writes: outcome.writes },
      });
      if (!completed) throw new Error(`journal entry ${entry.id} is not pending`);
      return { ...entry, status: outcome.status, applied, writes: outcome.writes };
    },
    async list(domain, limit = DEFAULT_LIST_LIMIT) {
      const rows = await deps.store.listChanges({ domain, limit });
      return rows.map(fromRow);
    },
    async get(id) {
      const row = await deps.store.getChange(id);
      return row ? fromRow(row) : null;
    },
  };
}

/** Who to journal for a caller: the API key's id, else the session's user id. Never the key or the session id. */
export function principalLabel(principal: { readonly keyId: string | null; readonly userId: string | null }): string {
  if (principal.keyId) return `key:${principal.keyId}`;
  if (principal.userId) return `user:${principal.userId}`;
  return 'unknown';
}
