/**
 * How an adapter applies a plan one record at a time, where the provider keeps one record per id and has no batch,
 * no version and no idempotency key (DigitalOcean, Vultr, Name.com): one write per change in the order planned, a
 * write whose reply was lost settled by reading the record (or the zone) again, and on the first failure an error
 * naming what was applied, what was not and what is unknown (providers/apply-progress.ts).
 *
 * What a write looks like on the wire, how a record is read back and compared, and which ids are known stay in each
 * adapter: this file only sequences and settles.
 */
import { partialApplyError } from './apply-progress.js';
import { ProviderError, type ApplyResult, type DnsRecord, type ProviderId, type RecordChange, type ZoneContents } from './types.js';

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

/**
 * Sends one write, at most `sends` times, and settles a failure that may have reached the provider by reading:
 * `settle` answers true (the write is in the zone), false (it is not) or undefined (cannot tell). A refusal and a 429
 * are answers (nothing was written). A write proved not to have landed is sent again while `sends` allows: 1 for an
 * idempotent write (its retries are the call's own), more for a create, which must not be repeated blindly.
 */
export async function settleWrite(sends: number, send: () => Promise<void>, settle: () => Promise<boolean | undefined>): Promise<WriteOutcome> {
  for (let sent = 1; ; sent++) {
    try {
      await send();
      return { ok: true };
    } catch (error) {
      const failure = asProviderError(error);
      if (failure.isCallerFault || failure.kind === 'rate_limited') return { ok: false, error: failure, unknown: false };
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

/** Only a ProviderError is a provider's answer; anything else is a fault of ours and goes up as it is. */
function asProviderError(error: unknown): ProviderError {
  if (error instanceof ProviderError) return error;
  throw error;
}
