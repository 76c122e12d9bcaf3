/**
 * Watches: a record set on a domain, re-verified on its authoritative name servers (the verify service) until it is
 * ready, then now and then to catch a record that breaks.
 *
 *   PENDING ──ready──▶ READY ──a record broke──▶ BROKEN ──ready──▶ READY
 *      └──deadline──▶ EXPIRED ◀──deadline──────────┘
 *
 * - An applied dns.set starts (or restarts) the watch of its domain and record set, first check after
 *   VERIFY_FIRST_CHECK_SECONDS; dns.watch does the same with a check at once. A restart makes it PENDING again.
 * - PENDING and BROKEN are checked with backoff: the k-th check is followed by the next one after
 *   min(VERIFY_FIRST_CHECK_SECONDS × 2^k, VERIFY_MAX_INTERVAL_SECONDS) — 15 s, 30 s, 1 min, … 30 min — and the last one
 *   falls on the deadline (VERIFY_WATCH_HOURS after the state began); still not ready then: EXPIRED, never checked
 *   again until restarted.
 * - READY is checked every VERIFY_RECHECK_HOURS (0: never); a check that finds it not ready makes it BROKEN. A check
 *   that could not be made at all (the resolvers or every name server failed), or one that failed only because a
 *   name server did not answer while the others answered every record (`checkOutcome`), is not a verdict on the
 *   records: a READY watch stays READY and tries again with the same backoff.
 *
 * Watches live in the store; any number of instances run this service, and `runDue` claims due watches with a lease
 * (Store.claimDueWatches), so each due watch is checked by one instance at a time. Every verification goes through
 * the one DNS concurrency limit (VERIFY_CONCURRENCY). A state change is written together with its webhook event
 * (durable outbox, src/services/webhooks.ts) and published to live subscribers (src/services/watch-events.ts).
 */
import { randomUUID } from 'node:crypto';
import { isAppError, type ErrorKey } from '../errors.js';
import type { Logger } from '../logger.js';
import type { NewOutboxEntry, Store, WatchRow, WatchStateName, WatchUpdate } from '../storage/store.js';
import type { RecordSetName } from './dns-service.js';
import { recordsAndMailChecksPass, type RecordStatus, type Verification, type VerifyService } from './verify-service.js';
import type { WatchEventBus, WatchListener } from './watch-events.js';

export type WatchState = WatchStateName;

/** One record of a check, as watches, webhooks and subscribers show it. */
export interface WatchRecordResult {
  readonly type: string;
  readonly name: string;
  readonly expected: string;
  readonly status: RecordStatus;
}

/** What one check found: the verification in brief. */
export interface WatchCheckResult {
  readonly checkedAt: string;
  readonly ready: boolean;
  /** Why the check could not be made (no name server answered, …); null when it was made. */
  readonly error: string | null;
  readonly records: readonly WatchRecordResult[];
  /** Each check of dns.verify passed or not; null when the check could not be made. */
  readonly checks: { readonly nameservers: boolean; readonly spf: boolean; readonly dmarc: boolean; readonly dkim: boolean } | null;
  /** One sentence per failing check (SPF, DMARC, DKIM, a name server). */
  readonly problems: readonly string[];
}

/** A watch as its owner sees it (REST dns.watch / dns.watches, GraphQL DnsWatch, subscription events). */
export interface WatchView {
  readonly id: string;
  readonly domain: string;
  readonly recordType: RecordSetName;
  readonly state: WatchState;
  /** Raised by every state change and restart. */
  readonly version: number;
  readonly createdAt: string;
  readonly stateChangedAt: string;
  /** When a PENDING or BROKEN watch expires; null for READY and EXPIRED. */
  readonly expiresAt: string | null;
  /** When it is checked next; null when no check is scheduled (EXPIRED; READY with VERIFY_RECHECK_HOURS=0). */
  readonly nextCheckAt: string | null;
  readonly lastCheckedAt: string | null;
  /** Checks made since the watch entered its state (the backoff exponent). */
  readonly checkCount: number;
  readonly lastResult: WatchCheckResult | null;
}

export interface WatchTimings {
  readonly firstCheckMs: number;
  readonly maxIntervalMs: number;
  readonly watchMs: number;
  /** 0: a READY watch is never checked again. */
  readonly recheckMs: number;
}

/** The webhook event types, by the state a watch enters. */
export const WEBHOOK_EVENT_TYPES: Partial<Record<WatchState, string>> = {
  READY: 'dns.records.ready',
  EXPIRED: 'dns.records.expired',
  BROKEN: 'dns.records.broken',
};

/** READY and EXPIRED end a subscription. */
export const isFinalForSubscribers = (state: WatchState): boolean => state === 'READY' || state === 'EXPIRED';

/** What a check concluded: ready; not ready; or no verdict (the check itself could not be made). */
export type CheckOutcome = 'ready' | 'not-ready' | 'no-verdict';

/**
 * Pure: what a completed verification says of the records. Not ready only because a name server did not answer (a
 * timeout, SERVFAIL), with every record LIVE on the servers that did and every other check passing, is no verdict:
 * nothing shows a record broke, and a READY watch must not send `dns.records.broken` for one server's bad minute. It
 * stays READY and checks again soon (with backoff); a record that really is gone shows as MISSING or PROPAGATING.
 */
export function checkOutcome(verification: Pick<Verification, 'ready' | 'records' | 'checks'>): CheckOutcome {
  if (verification.ready) return 'ready';
  return !verification.checks.nameservers.ok && recordsAndMailChecksPass(verification) ? 'no-verdict' : 'not-ready';
}

/** Catalogue entries that say the check could not be made, not that the records are wrong. */
const NO_VERDICT: ReadonlySet<ErrorKey> = new Set(['VERIFY_LOOKUP_FAILED', 'VERIFY_FAILED', 'INTERNAL_ERROR']);

export const backoffMs = (checks: number, t: WatchTimings): number => Math.min(t.firstCheckMs * 2 ** Math.min(checks, 40), t.maxIntervalMs);

export interface Transition {
  readonly state: WatchState;
  readonly checks: number;
  readonly expiresAt: number | null;
  readonly nextCheckAt: number | null;
  readonly stateChanged: boolean;
}

/**
 * Pure: a watch's state, check count and deadline after a check with `outcome` finished at `now`.
 */
export function transition(watch: { state: WatchState; checks: number; expiresAt: number | null }, outcome: CheckOutcome, now: number, t: WatchTimings): Transition {
  const ready = (): Transition => ({ state: 'READY', checks: 0, expiresAt: null, nextCheckAt: t.recheckMs > 0 ? now + t.recheckMs : null, stateChanged: watch.state !== 'READY' });
  if (watch.state === 'READY') {
    if (outcome === 'ready') return ready();
    if (outcome === 'no-verdict') {
      const checks = watch.checks + 1;
      return { state: 'READY', checks, expiresAt: null, nextCheckAt: now + backoffMs(checks, t), stateChanged: false };
    }
    return { state: 'BROKEN', checks: 0, expiresAt: now + t.watchMs, nextCheckAt: now + t.firstCheckMs, stateChanged: true };
  }
  if (watch.state === 'EXPIRED') return { state: 'EXPIRED', checks: watch.checks, expiresAt: null, nextCheckAt: null, stateChanged: false };
  // PENDING or BROKEN.
  if (outcome === 'ready') return ready();
  const deadline = watch.expiresAt ?? now;
  if (now >= deadline) return { state: 'EXPIRED', checks: watch.checks + 1, expiresAt: null, nextCheckAt: null, stateChanged: true };
  const checks = watch.checks + 1;
  // The last check falls on the deadline, so a watch is checked for its whole time.
  return { state: watch.state, checks, expiresAt: deadline, nextCheckAt: Math.min(now + backoffMs(checks, t), deadline), stateChanged: false };
}

/** A live subscription to one watch: its state now, then each change, ending after READY or EXPIRED. */
export interface WatchFeed extends AsyncIterableIterator<WatchView> {
  return(): Promise<IteratorResult<WatchView>>;
}

export interface WatchServiceDeps {
  readonly store: Store;
  readonly verify: VerifyService;
  readonly events: WatchEventBus;
  readonly logger: Logger;
  readonly timings: WatchTimings;
  /** Queue webhook events (WEBHOOK_URL is configured). */
  readonly webhooks: boolean;
  /** This instance's id: the prefix of its claim tokens. */
  readonly instanceId: string;
  readonly leaseMs: number;
  /** Called with the time of a check this instance just scheduled (the scheduler wakes for it). */
  readonly onScheduled?: (at: number) => void;
  /** Called after a webhook event was queued (the delivery loop wakes). */
  readonly onEventQueued?: () => void;
  /** @default Date.now */
  readonly now?: () => number;
}

export interface StartWatchCommand {
  /** The caller's account (src/auth/account.ts `accountOf(...).id`): the watch belongs to it. */
  readonly principal: string;
  readonly domain: string;
  readonly recordType: RecordSetName;
  /** `now`: dns.watch (records may be live already); `later`: after VERIFY_FIRST_CHECK_SECONDS (an applied dns.set). */
  readonly firstCheck: 'now' | 'later';
}

export interface WatchService {
  start(command: StartWatchCommand): Promise<WatchView>;
  list(principal: string, domain?: string): Promise<WatchView[]>;
  /** The account's watch as it is now, then its changes; null when the account has no such watch. */
  follow(principal: string, domain: string, recordType: RecordSetName): Promise<WatchFeed | null>;
  /** Claims up to `limit` due watches, checks them, and returns how many it claimed. */
  runDue(limit: number): Promise<number>;
  /** Ends every live feed (shutdown). */
  endFeeds(): void;
}

const iso = (ms: number) => new Date(ms).toISOString();
const RECORD_SETS: readonly RecordSetName[] = ['campaign', 'email-gateway'];

export function createWatchService(deps: WatchServiceDeps): WatchService {
  const now = deps.now ?? Date.now;
  const { timings } = deps;
  const feeds = new Set<WatchFeed>();
  /** Set by endFeeds: a feed asked for while shutting down ends at once. */
  let closing = false;

  /** One check of one claimed watch, its outcome written if the claim still holds. */
  async function check(row: WatchRow, token: string): Promise<void> {
    if (!RECORD_SETS.includes(row.recordType as RecordSetName)) {
      deps.logger.error({ watch: row.id, recordType: row.recordType }, 'watch of an unknown record set: not checked');
      return;
    }
    let verification: Verification | null = null;
    let outcome: CheckOutcome;
    let error: string | null = null;
    try {
      verification = await deps.verify.verify(row.domain, row.recordType as RecordSetName);
      outcome = checkOutcome(verification);
    } catch (failure) {
      if (isAppError(failure)) {
        error = failure.primary.message;
        outcome = NO_VERDICT.has(failure.primary.key) ? 'no-verdict' : 'not-ready';
      } else {
        deps.logger.error({ err: failure, watch: row.id }, 'unexpected error while checking a watch');
        error = 'Internal error';
        outcome = 'no-verdict';
      }
    }
    const finished = now();
    const result = summarise(verification, error, iso(finished));
    const next = transition({ state: row.state, checks: row.checks, expiresAt: row.expiresAt === null ? null : Date.parse(row.expiresAt) }, outcome, finished, timings);
    const update: WatchUpdate = {
      state: next.state,
      version: next.stateChanged ? row.version + 1 : row.version,
      stateChangedAt: next.stateChanged ? iso(finished) : row.stateChangedAt,
      expiresAt: next.expiresAt === null ? null : iso(next.expiresAt),
      checks: next.checks,
      nextCheckAt: next.nextCheckAt === null ? null : iso(next.nextCheckAt),
      lastCheckedAt: iso(finished),
      lastResult: result,
    };
    const eventType = next.stateChanged ? WEBHOOK_EVENT_TYPES[next.state] : undefined;
    const event: NewOutboxEntry | undefined =
      eventType && deps.webhooks
        ? {
            // Standard Webhooks: the message id is the receiver's idempotency key, the same on every attempt.
            id: `msg_${randomUUID()}`,
            eventType,
            payload: JSON.stringify(webhookEvent(eventType, row, next.state, result)),
            createdAt: iso(finished),
            nextAttemptAt: iso(finished),
          }
        : undefined;
    const written = await deps.store.finishWatchCheck(row.id, token, update, event);
    if (!written) {
      // Restarted meanwhile, or the lease ran out and another instance has it: its outcome counts, not this one.
      deps.logger.debug({ watch: row.id }, 'watch claim lost before its check finished: outcome dropped');
      return;
    }
    if (next.stateChanged) {
      deps.logger.info({ watch: row.id, domain: row.domain, recordType: row.recordType, from: row.state, to: next.state }, 'watch state changed');
      await publish(written);
    }
    if (event) deps.onEventQueued?.();
    if (next.nextCheckAt !== null) deps.onScheduled?.(next.nextCheckAt);
  }

  async function publish(row: WatchRow): Promise<void> {
    try {
      await deps.events.publish(toView(row));
    } catch (error) {
      // Live subscribers miss this one; the watch itself and its webhook are stored already.
      deps.logger.warn({ err: { message: (error as Error).message }, watch: row.id }, 'could not publish a watch event');
    }
  }

  return {
    async start(command) {
      const at = now();
      const nextCheckAt = command.firstCheck === 'now' ? at : at + Math.min(timings.firstCheckMs, timings.watchMs);
      const { watch, previousState } = await deps.store.startWatch({
        id: randomUUID(),
        principal: command.principal,
        domain: command.domain,
        recordType: command.recordType,
        at: iso(at),
        expiresAt: iso(at + timings.watchMs),
        nextCheckAt: iso(nextCheckAt),
      });
      if (previousState !== null && previousState !== 'PENDING') await publish(watch);
      deps.onScheduled?.(nextCheckAt);
      return toView(watch);
    },

    async list(principal, domain) {
      return (await deps.store.listWatches({ principal, domain })).map(toView);
    },

    async follow(principal, domain, recordType) {
      const found = await deps.store.findWatch(principal, domain, recordType);
      if (!found) return null;
      // Listen first, then read: a change committed in between arrives as an event (dropped if the read saw it).
      const listener = await deps.events.listen<WatchView>(found.id);
      const current = await deps.store.findWatch(principal, domain, recordType);
      if (!current || current.id !== found.id) {
        await listener.return();
        return null;
      }
      const feed = createFeed(toView(current), listener, () => feeds.delete(feed));
      feeds.add(feed);
      if (closing) void feed.return();
      return feed;
    },

    async runDue(limit) {
      const at = now();
      const token = `${deps.instanceId}/${randomUUID()}`;
      const claimed = await deps.store.claimDueWatches({ now: iso(at), until: iso(at + deps.leaseMs), token, limit });
      await Promise.all(
        claimed.map((row) =>
          check(row, token).catch((error: unknown) => deps.logger.error({ err: error, watch: row.id }, 'watch check failed')),
        ),
      );
      return claimed.length;
    },

    endFeeds() {
      closing = true;
      for (const feed of [...feeds]) void feed.return();
    },
  };
}

/** The feed of one watch: `first`, then every event with a higher version, ending after READY or EXPIRED. */
function createFeed(first: WatchView, listener: WatchListener<WatchView>, onEnd: () => void): WatchFeed {
  let sentFirst = false;
  let lastVersion = first.version;
  let finished = false;
  const done = (): IteratorResult<WatchView> => ({ done: true, value: undefined });
  const end = async () => {
    if (finished) return;
    finished = true;
    onEnd();
    await listener.return();
  };
  const feed: WatchFeed = {
    [Symbol.asyncIterator]() {
      return feed;
    },
    async next() {
      if (finished) return done();
      if (!sentFirst) {
        sentFirst = true;
        if (isFinalForSubscribers(first.state)) void end();
        return { done: false, value: first };
      }
      for (;;) {
        const event = await listener.next();
        if (finished || event.done) {
          await end();
          return done();
        }
        if (event.value.version <= lastVersion) continue;
        lastVersion = event.value.version;
        if (isFinalForSubscribers(event.value.state)) void end();
        return { done: false, value: event.value };
      }
    },
    async return() {
      await end();
      return done();
    },
  };
  return feed;
}

export function toView(row: WatchRow): WatchView {
  return {
    id: row.id,
    domain: row.domain,
    recordType: row.recordType as RecordSetName,
    state: row.state,
    version: row.version,
    createdAt: row.createdAt,
    stateChangedAt: row.stateChangedAt,
    expiresAt: row.expiresAt,
    nextCheckAt: row.nextCheckAt,
    lastCheckedAt: row.lastCheckedAt,
    checkCount: row.checks,
    lastResult: (row.lastResult as WatchCheckResult | null) ?? null,
  };
}

/** A verification (or the reason there is none) in brief. */
export function summarise(v: Verification | null, error: string | null, checkedAt: string): WatchCheckResult {
  if (!v) return { checkedAt, ready: false, error, records: [], checks: null, problems: error ? [error] : [] };
  const problems = [
    ...v.checks.nameservers.servers.filter((s) => !s.ok).map((s) => `name server ${s.host} (${s.address}): ${s.error ?? 'no answer'}`),
    ...(v.checks.spf.ok ? [] : [`SPF: ${v.checks.spf.problem ?? 'not as expected'}`]),
    ...(v.checks.dmarc.ok ? [] : [`DMARC: ${v.checks.dmarc.problem ?? 'not as expected'}`]),
    ...v.checks.dkim.filter((d) => !d.ok).map((d) => `DKIM ${d.name}: ${d.problem ?? 'not as expected'}`),
  ];
  return {
    checkedAt,
    ready: v.ready,
    error: null,
    records: v.records.map((r) => ({ type: r.type, name: r.name, expected: r.expected, status: r.status })),
    checks: { nameservers: v.checks.nameservers.ok, spf: v.checks.spf.ok, dmarc: v.checks.dmarc.ok, dkim: v.checks.dkim.every((d) => d.ok) },
    problems,
  };
}

/**
 * The webhook body (Standard Webhooks' recommended `{type, timestamp, data}`): the watch, its new and previous
 * status and the check that decided it. `account` is the owner's account (`key:<id>` / `user:<id>`), never a key.
 */
export function webhookEvent(type: string, before: WatchRow, state: WatchState, result: WatchCheckResult) {
  return {
    type,
    timestamp: result.checkedAt,
    data: {
      watchId: before.id,
      account: before.principal,
      domain: before.domain,
      recordType: before.recordType,
      status: state,
      previousStatus: before.state,
      checkedAt: result.checkedAt,
      ready: result.ready,
      error: result.error,
      records: result.records,
      checks: result.checks,
      problems: result.problems,
    },
  };
}
