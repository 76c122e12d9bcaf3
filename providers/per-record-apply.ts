/**
 * How an adapter applies a plan one record at a time, where the provider keeps one record per id and has no batch,
 * no version and no idempotency key (DigitalOcean, Vultr, Name.com, DNSimple, Porkbun): one write per change in the order planned, a
 * write whose reply was lost settled by reading the record (or the zone) again, and on the first failure an error
 * naming what was applied, what was not and what is unknown (providers/apply-progress.ts).
 *
 * What a write looks like on the wire, how a record is read back and compared, and which ids are known stay in each
 * adapter: this file only sequences and settles.
 */
import { partialApplyError } from './apply-progress.js';
import { ProviderError, type ApplyResult, type DesiredRecord, type DnsRecord, type ProviderId, type RecordChange, type ZoneContents } from './types.js';

/** One write's end: it landed, or it failed with `error` and it is `unknown` whether it reached the provider. */
export type WriteOutcome = { readonly ok: true } | { readonly ok: false; readonly error: ProviderError; readonly unknown: boolean };

export interface PlannedRecordWrite {
  readonly change: RecordChange;
  /** The change as written, when the adapter altered it (Vultr: the TTL its record set imposed). @default change */
  readonly reported?: RecordChange;
}

export interface PerRecordApplyOptions {
  /**
   * An error that refuses every write of the zone alike (Name.com: the domain's name servers are elsewhere): when it
   * stops the first write, it is thrown as it is, nothing having been applied. @default none
   */
  readonly refusesEveryWrite?: (error: ProviderError) => boolean;
}

/**
 * Runs `write` for each planned write in order and stops at the first failure with `partialApplyError`. `changes`
 * is the plan as the caller gave it (for the error's "not applied" part); the result lists each write's `reported`
 * change.
 */
export async function applyPerRecord<W extends PlannedRecordWrite>(
  changes: readonly RecordChange[],
  writes: readonly W[],
  write: (write: W) => Promise<WriteOutcome>,
  options: PerRecordApplyOptions = {},
): Promise<ApplyResult> {
  const landed: RecordChange[] = [];
  const written: RecordChange[] = [];
  for (const planned of writes) {
    const outcome = await write(planned);
    if (outcome.ok) {
      landed.push(planned.change);
      written.push(planned.reported ?? planned.change);
      continue;
    }
    if (landed.length === 0 && !outcome.unknown && options.refusesEveryWrite?.(outcome.error)) throw outcome.error;
    const error = partialApplyError(outcome.error, landed, changes, outcome.unknown ? [planned.change] : []);
    if (written.every((change, i) => change === landed[i])) throw error;
    // The message names the changes as planned; `applied` carries them as written, for the journal.
    throw new ProviderError(error.provider, error.kind, error.reason, { cause: outcome.error, retryAfterSeconds: error.retryAfterSeconds, applied: written });
  }
  return { applied: written };
}

/** A refusal, and a 429 (refused before it ran), mean that nothing was written. */
export const refusedBeforeRunning = (error: ProviderError): boolean => error.isCallerFault || error.kind === 'rate_limited';

/**
 * Sends one write, at most `sends` times, and settles a failure that may have reached the provider by reading:
 * `settle` answers true (the write is in the zone), false (it is not) or undefined (cannot tell). A failure
 * `isAnswer` names is taken as it is: nothing was written. A write proved not to have landed is sent again while
 * `sends` allows: 1 for an idempotent write (its retries are the call's own), more for a create, which must not be
 * repeated blindly.
 */
export async function settleWrite(
  sends: number,
  send: () => Promise<void>,
  settle: () => Promise<boolean | undefined>,
  isAnswer: (error: ProviderError) => boolean = refusedBeforeRunning,
): Promise<WriteOutcome> {
  for (let sent = 1; ; sent++) {
    try {
      await send();
      return { ok: true };
    } catch (error) {
      const failure = asProviderError(error);
      if (isAnswer(failure)) return { ok: false, error: failure, unknown: false };
      const landed = await settle();
      if (landed === true) return { ok: true };
      if (landed === false && sent < sends) continue;
      return { ok: false, error: failure, unknown: landed === undefined };
    }
  }
}

/**
 * For planning: the id of the record an UPDATE or DELETE names, as read (its own id, or the id of the record as read
 * that is the same). One that is not in the zone as read is refused (`conflict`), never guessed at; one the plan names
 * twice is refused (`rejected`).
 */
export function recordIdClaimer<Id>(
  provider: ProviderId,
  contents: ZoneContents,
  idOf: (record: DnsRecord | undefined) => Id | undefined,
  same: (a: DnsRecord, b: DnsRecord) => boolean,
): (before: DnsRecord) => Id {
  const claimed = new Set<Id>();
  return (before) => {
    const id = idOf(before) ?? idOf(contents.records.find((r) => same(r, before)));
    if (id === undefined || !contents.records.some((r) => idOf(r) === id)) {
      throw new ProviderError(provider, 'conflict', `the ${before.type.toUpperCase()} record at ${before.name} is not in the zone as read`);
    }
    if (claimed.has(id)) throw new ProviderError(provider, 'rejected', `the plan names the ${before.type.toUpperCase()} record at ${before.name} twice`);
    claimed.add(id);
    return id;
  };
}

/**
 * How a record read back is compared with a change, for an adapter whose neutral records carry the provider's ids and
 * whose targets may come back in another case or with a trailing dot (DNSimple, Porkbun). `hostTargets`: the types
 * whose content is a host name.
 */
export interface RecordMatch {
  /** The same record (type, name, content, priority), TTL aside. */
  sameRecord(a: DnsRecord, b: DnsRecord): boolean;
  /** A record read back holds what was desired (content, TTL and priority). */
  matchesDesired(record: DnsRecord, desired: DesiredRecord): boolean;
}

export function recordMatch(hostTargets: ReadonlySet<string>): RecordMatch {
  const comparable = (type: string, content: string): string => {
    if (hostTargets.has(type)) return content.trim().toLowerCase().replace(/\.$/, '');
    return type === 'SRV' ? content.trim().replace(/\.$/, '') : content;
  };
  return {
    sameRecord: (a, b) => {
      const type = a.type.toUpperCase();
      return (
        type === b.type.toUpperCase() &&
        normaliseName(a.name) === normaliseName(b.name) &&
        comparable(type, a.content) === comparable(type, b.content) &&
        a.priority === b.priority
      );
    },
    matchesDesired: (record, desired) => {
      const type = desired.type.toUpperCase();
      const priority = type === 'MX' || type === 'SRV' ? (desired.priority ?? 0) : undefined;
      return (
        record.type === type &&
        record.name === normaliseName(desired.name) &&
        comparable(type, record.content) === comparable(type, desired.content) &&
        record.ttl === desired.ttl &&
        record.priority === priority
      );
    },
  };
}

/** For planning: the id of the record a change names, its own or that of the same record in the zone as read. */
export function idAsRead(provider: ProviderId, records: readonly DnsRecord[], before: DnsRecord, match: RecordMatch): string {
  if (before.id) return before.id;
  const same = records.find((r) => r.id && match.sameRecord(r, before));
  if (!same?.id) throw new ProviderError(provider, 'conflict', `the ${before.type} record at ${before.name} is no longer in the zone as read`);
  return same.id;
}

/**
 * After a failed write, with the zone read again (`now`): true when the write is in it, false when it is not, undefined
 * when it cannot be told (the record changed otherwise, or is gone before an UPDATE). A create is found by an id not
 * in `known` (the ids before it), which it then joins, so that one record is never taken for two creates.
 */
export function landedInZone(
  now: readonly DnsRecord[],
  write: { readonly change: RecordChange; readonly id?: string | undefined },
  known: Set<string>,
  match: RecordMatch,
): boolean | undefined {
  const change = write.change;
  if (change.action === 'CREATE') {
    const created = now.find((r) => r.id !== undefined && !known.has(r.id) && match.matchesDesired(r, change.record));
    if (!created?.id) return false;
    known.add(created.id);
    return true;
  }
  const current = now.find((r) => r.id === write.id);
  if (change.action === 'DELETE') return !current;
  if (!current) return undefined;
  if (match.matchesDesired(current, change.record)) return true;
  return match.sameRecord(current, change.before) && current.ttl === change.before.ttl ? false : undefined;
}

const normaliseName = (name: string) => name.trim().toLowerCase().replace(/\.$/, '');

/** Only a ProviderError is a provider's answer; anything else is a fault of ours and goes up as it is. */
function asProviderError(error: unknown): ProviderError {
  if (error instanceof ProviderError) return error;
  throw error;
}
