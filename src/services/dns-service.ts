/**
 * The DNS service: detect, authorize, and set a record set — read, plan, then apply — through one provider adapter.
 * It knows nothing of HTTP or GraphQL; it throws `AppError` with the documented codes.
 */
import { AppError } from '../errors.js';
import type { Log, Logger } from '../logger.js';
import { registrableDomain } from '../domain.js';
import { planRecordSet, summariseConflicts, type Plan, type PlannedChange } from '../records/planner.js';
import { resolveTemplate, type RecordTemplate, type ResolvedRecord, type TemplateSet } from '../records/template.js';
import { isSpf } from '../records/spf.js';
import { SPF_LOOKUP_LIMIT, type SpfLookupCount } from '../records/spf-lookups.js';
import type { ProviderRegistry } from '../../providers/registry.js';
import {
  ProviderError,
  type DnsProvider,
  type ProviderCredentials,
  type ProviderId,
  type ProviderSession,
  type RecordChange,
  type Zone,
  type ZoneContents,
} from '../../providers/types.js';
import { LockLostError, type ZoneLock } from './zone-lock.js';
import { journalWrites, planRevert, type ChangeJournal, type JournalEntry, type JournalOutcome, type JournalWrite } from './journal.js';
import type { ChangeStatus } from '../storage/store.js';
import { visibleAccount, type Account } from '../auth/account.js';
import { isProviderId } from '../../providers/registry.js';
import { boundedMemo } from '../bounded-memo.js';

/** Resolved record sets remembered by `desiredRecords`. */
const MAX_RESOLVED_RECORD_SETS = 1000;

export type RecordSetName = 'campaign' | 'email-gateway';

export interface ProviderCommand {
  readonly domain: string;
  readonly provider: ProviderId;
  readonly credentials: ProviderCredentials;
  /** The request's logger (its lines carry the request id); the service's own when absent. */
  readonly logger?: Log | undefined;
}

export interface SetRecordsCommand extends ProviderCommand {
  readonly recordType: RecordSetName;
  readonly dryRun: boolean;
  readonly force: boolean;
  /** Who asks, for the journal (`key:<id>` / `user:<id>`, see `principalLabel`); never a credential. */
  readonly principal: string;
  /** The caller's account (`accountOf`): the journal entry belongs to it, and so does a sandbox zone. */
  readonly account: string;
}

export interface RevertCommand {
  readonly changeId: string;
  /** For the provider the journal entry names. */
  readonly credentials: ProviderCredentials;
  readonly principal: string;
  /** The caller's account: only its own entries can be reverted (any account's, for an Admin). */
  readonly account: Account;
  /** The request's logger (its lines carry the request id); the service's own when absent. */
  readonly logger?: Log | undefined;
}

/** One line of a plan or of a journal entry as callers see it (GraphQL `DnsRecordChange`, REST `changes[]`). */
export interface ChangeView {
  readonly action: PlannedChange['action'];
  readonly type: string;
  readonly name: string;
  readonly content: string;
  readonly ttl: number;
  readonly previous: string | null;
}

export interface SetRecordsResult {
  /** False for a dry run; true once the zone holds the record set (also when nothing had to be written). */
  readonly applied: boolean;
  readonly changes: readonly ChangeView[];
  /**
   * What the plan could not check, one sentence each; empty when everything was checked. Today: an SPF record whose
   * DNS-lookup count could not be established (a resolver timeout) is written, and said so here, never silently.
   */
  readonly warnings: readonly string[];
}

/** A journal entry as callers see it (GraphQL `DnsChange`, REST `dns.changes`). Never holds a credential. */
export interface ChangeEntryView {
  readonly id: string;
  readonly domain: string;
  readonly provider: string;
  readonly recordType: string;
  readonly createdAt: string;
  /** pending (not completed: still running, or its process stopped mid-write), applied, partial or failed. */
  readonly status: ChangeStatus;
  /** True when writes reached the provider (`status` applied or partial); kept for older callers. */
  readonly applied: boolean;
  /** The entry this one reverted; null for a dns.set. */
  readonly revertOf: string | null;
  /** pending: the planned writes; otherwise the writes that landed. */
  readonly changes: readonly ChangeView[];
  /** Only on an entry whose stored form cannot be read: why (its `changes` are then empty). */
  readonly problem?: string;
}

export interface RevertResult {
  /** The writes that restored the records, as journaled in the revert's own entry. */
  readonly changes: readonly ChangeView[];
}


export interface DnsServiceDeps {
  readonly providers: ProviderRegistry;
  readonly templates: TemplateSet;
  readonly templateVariables: Readonly<Record<string, string>>;
  /**
   * The DNS lookup count (RFC 7208 §4.6.4) of an SPF record, through the configured resolvers
   * (src/records/spf-lookups.ts: `spfLookupCounter` in the service, `countSpfLookups` over any resolver in tests).
   */
  readonly countSpfLookups: (spfRecord: string) => Promise<SpfLookupCount>;
  readonly zoneLock: ZoneLock;
  readonly journal: ChangeJournal;
  readonly logger: Logger;
}

export interface DnsService {
  authorize(command: ProviderCommand): Promise<void>;
  setRecords(command: SetRecordsCommand): Promise<SetRecordsResult>;
  /** The journal of `domain` that `account` sees (its own entries; an Admin, every account's), newest first. */
  listChanges(domain: string, account: Account): Promise<ChangeEntryView[]>;
  /**
   * One journal entry `account` sees; CHANGE_NOT_FOUND (12) when there is none, and exactly the same for another
   * account's entry (it is not read: nothing tells that it exists).
   */
  getChange(id: string, account: Account): Promise<ChangeEntryView>;
  /**
   * Undoes exactly the writes of one journal entry, if every record it wrote is still as it left it; otherwise
   * REVERT_REFUSED (9, HTTP 409) naming the records that differ, and nothing is written. The revert is journaled.
   */
  revert(command: RevertCommand): Promise<RevertResult>;
}

export function createDnsService(deps: DnsServiceDeps): DnsService {
  const adapterFor = (id: ProviderId): DnsProvider => {
    const provider = deps.providers.get(id);
    // The sandbox is absent when SANDBOX_PROVIDER is off: then it is an unsupported provider like any unknown name.
    if (!provider) throw AppError.of('PROVIDER_UNSUPPORTED', `${id} is not enabled on this server`);
    return provider;
  };

  /** The entry `id` if `account` sees it; CHANGE_NOT_FOUND otherwise, the same whether it is another's or none. */
  const findEntry = async (id: string, account: Account): Promise<JournalEntry> => {
    const entry = await deps.journal.get(id, visibleAccount(account));
    if (!entry) throw AppError.of('CHANGE_NOT_FOUND', `no change ${JSON.stringify(id.length > 64 ? `${id.slice(0, 64)}…` : id)}`);
    return entry;
  };

  /**
   * Applies `changes` under a write-ahead journal entry: stored `pending` with the planned writes before the first
   * provider write (when it cannot be stored, nothing is sent: JOURNAL_FAILED, code 10), then completed with what
   * reached the provider: all of it, the part a non-atomic provider applied before failing (so that it can still be
   * listed and reverted), or nothing.
   */
  const applyAndJournal = async (
    session: ProviderSession,
    zone: Zone,
    contents: ZoneContents,
    changes: readonly RecordChange[],
    entry: { principal: string; account: string; domain: string; provider: ProviderId; recordType: string; revertOf: string | null },
    lease: AbortSignal | undefined,
    log: Log,
  ): Promise<readonly JournalWrite[]> => {
    // The zone was read under a lock that may have been lost since (its lease expired, another instance took it):
    // writing now could overwrite that instance's write. Nothing is sent; every provider call checks it too.
    if (lease?.aborted) throw lease.reason instanceof LockLostError ? lease.reason : new LockLostError('zone lock lost', { cause: lease.reason });
    let pending: JournalEntry;
    try {
      pending = await deps.journal.begin({ ...entry, writes: journalWrites(changes) });
    } catch (error) {
      log.error({ err: error, provider: entry.provider, domain: entry.domain }, 'could not journal the planned DNS changes; nothing was written');
      throw AppError.of('JOURNAL_FAILED', undefined, { cause: error });
    }
    let applied: readonly RecordChange[];
    try {
      applied = (await session.applyChanges(zone, contents, changes)).applied;
    } catch (error) {
      const landed = error instanceof ProviderError ? journalWrites(error.applied) : [];
      await complete({ status: landed.length > 0 ? 'partial' : 'failed', writes: landed });
      throw error;
    }
    const writes = journalWrites(applied);
    await complete({ status: 'applied', writes });
    return writes;

    async function complete(outcome: JournalOutcome): Promise<void> {
      try {
        await deps.journal.complete(pending, outcome);
      } catch (error) {
        // The provider has answered already: failing the request now would only invite a retry of a finished write.
        // The entry stays pending, which is what dns.changes then shows: its outcome was not recorded.
        log.error(
          { err: error, provider: entry.provider, domain: entry.domain, changeId: pending.id, status: outcome.status },
          'could not complete the journal entry of DNS changes; it stays pending',
        );
      }
    }
  };

  /**
   * A record set's records for a domain. Resolving substitutes every variable of every record and checks each name,
   * a tenth of a dry run's CPU profile, and depends only on the record set and the domain (templates and variables
   * are fixed for the service's life), so results are remembered: frozen, first-in-first-out bounded. A template
   * error is thrown again on every call, never remembered.
   */
  const desiredRecords = boundedMemo(
    MAX_RESOLVED_RECORD_SETS,
    (_recordType: string, template: RecordTemplate, domain: string): readonly ResolvedRecord[] =>
      Object.freeze(resolveTemplate(template, { domain, variables: deps.templateVariables }).map((r) => Object.freeze(r))),
    (recordType, _template, domain) => `${recordType}\u0000${domain}`,
  );

  return {
    async authorize(command) {
      const session = adapterFor(command.provider).connect(command.credentials);
      try {
        await session.authorize(command.domain);
      } catch (error) {
        throw toAppError(error, 'authorize', command.logger ?? deps.logger);
      }
    },

    async setRecords(command) {
      const log = command.logger ?? deps.logger;
      const provider = adapterFor(command.provider);
      const template = deps.templates.get(command.recordType);
      // Plans from a fresh read and, unless it is a dry run, applies. `signal` aborts every provider call of the
      // command (a lock lost mid-command: Redis lease expired).
      const planAndApply = (signal?: AbortSignal): Promise<SetRecordsResult> =>
        onceMoreIfStale(
          (session) => readPlanApply(session, signal),
          provider.connect(command.credentials, { account: command.account, ...(signal ? { signal } : {}) }),
        );
      const readPlanApply = async (session: ProviderSession, signal: AbortSignal | undefined): Promise<SetRecordsResult> => {
        const zone = await session.findZone(command.domain);
        const contents = await session.readZone(zone);
        const desired = desiredRecords(command.recordType, template, command.domain);
        const plan = planRecordSet({
          existing: contents.records,
          records: desired,
          zoneApex: zone.name,
          force: command.force,
          minTtl: provider.capabilities.minTtl,
        });
        const spf = await checkSpfLookups(plan, deps, log);
        const changes = plan.changes.map((c) => toView(c, spf.problem));
        if (spf.problem) {
          throw AppError.of('SET_FAILED', spf.problem.reason, { extra: { changes } });
        }
        if (plan.conflicts.length > 0 && !command.force) {
          throw AppError.of('SET_FAILED', summariseConflicts(plan), { extra: { changes } });
        }
        const { warnings } = spf;
        if (command.dryRun) return { applied: false, changes, warnings };
        if (plan.writes.length > 0) {
          const written = await applyAndJournal(session, zone, contents, plan.writes, {
            principal: command.principal,
            account: command.account,
            domain: command.domain,
            provider: provider.id,
            recordType: command.recordType,
            revertOf: null,
          }, signal, log);
          log.info(
            { provider: provider.id, zone: zone.name, recordType: command.recordType, writes: written.length },
            'dns records applied',
          );
        }
        return { applied: true, changes, warnings };
      };
      try {
        // A dry run only reads: it takes no zone lock, so previews never queue behind writes (or each other). Its
        // plan is the zone as read, exactly what a locked read would have seen a moment earlier or later.
        if (command.dryRun) return await planAndApply();
        // Connect inside the lock: the command's provider deadline starts there, not while waiting for the lock.
        return await deps.zoneLock.run(lockKey(provider, command.domain, command.account), (lease) => planAndApply(lease.signal));
      } catch (error) {
        throw toAppError(error, 'set', log);
      }
    },

    async listChanges(domain, account) {
      return (await deps.journal.list(domain, visibleAccount(account))).map(toEntryView);
    },

    async getChange(id, account) {
      return toEntryView(await findEntry(id, account));
    },

    async revert(command) {
      const log = command.logger ?? deps.logger;
      const found = await findEntry(command.changeId, command.account);
      if (found.provider === 'domainconnect') {
        throw AppError.of('REVERT_REFUSED', `change ${found.id} was applied by the DNS provider through Domain Connect, which this service cannot undo: change the records at the provider`);
      }
      // Entries are written by this service only; a provider it no longer knows is one it cannot write to.
      if (!isProviderId(found.provider)) throw AppError.of('PROVIDER_UNSUPPORTED', `${found.provider} is not a known provider`);
      const provider = adapterFor(found.provider);
      try {
        // The revert is part of the history of the entry's account: it belongs to that account (an Admin reverting
        // another account's change leaves it in that account's journal, `principal` saying who), and it writes that
        // account's sandbox zone.
        const owner = found.account;
        return await deps.zoneLock.run(lockKey(provider, found.domain, owner), async (lease) => {
          // Read again under the lock: a command that held it may have completed this entry meanwhile.
          const entry = await findEntry(found.id, command.account);
          if (entry.problem) throw AppError.of('REVERT_REFUSED', `change ${entry.id} cannot be read: ${entry.problem}`);
          if (entry.writes.length === 0) throw AppError.of('REVERT_REFUSED', `change ${entry.id} wrote nothing (${entry.status})`);
          return onceMoreIfStale(async (session) => {
            const zone = await session.findZone(entry.domain);
            const contents = await session.readZone(zone);
            const plan = planRevert(entry.writes, contents.records);
            if (!plan.ok) throw AppError.of('REVERT_REFUSED', `the zone was edited since change ${entry.id}: ${plan.problems.join('; ')}`);
            const written = await applyAndJournal(session, zone, contents, plan.changes, {
              principal: command.principal,
              account: owner,
              domain: entry.domain,
              provider: provider.id,
              recordType: entry.recordType,
              revertOf: entry.id,
            }, lease.signal, log);
            log.info({ provider: provider.id, zone: zone.name, revertOf: entry.id, writes: written.length }, 'dns change reverted');
            return { changes: written.map(writeView) };
          }, provider.connect(command.credentials, { signal: lease.signal, account: owner }));
        });
      } catch (error) {
        throw toAppError(error, 'set', log);
      }
    },
  };
}

/**
 * Runs one read-plan-apply, and once more from a fresh read when a guarded provider refused the write because the
 * zone changed after it was read (someone edited it in the provider's panel meanwhile): the second plan keeps their
 * edit. Both runs share the session, so one command deadline bounds them. A second refusal is reported (code 9).
 */
async function onceMoreIfStale<T>(run: (session: ProviderSession) => Promise<T>, session: ProviderSession): Promise<T> {
  try {
    return await run(session);
  } catch (error) {
    if (!(error instanceof ProviderError) || !error.staleRead) throw error;
    return run(session);
  }
}

/**
 * Read-merge-write on one zone is serialised: two requests must not both read the old zone and each write back their
 * own version of it (Namecheap's setHosts would silently drop the other's records). Reverts take the same lock. A
 * lease lost while held stops the command before its next provider write (`applyAndJournal`, and every call's signal).
 */
function lockKey(provider: DnsProvider, domain: string, account: string): string {
  const zone = registrableDomain(domain) ?? domain;
  // A sandbox zone is one account's: another account's writes to the same domain are to another zone.
  return provider.capabilities.accountZones ? `${provider.id}:${account}:${zone}` : `${provider.id}:${zone}`;
}

/** A journal write in the plan's terms: `content` is the value written (for a DELETE, the value removed). */
function writeView(write: JournalWrite): ChangeView {
  const shown = (write.after ?? write.before)!;
  return { action: write.action, type: shown.type, name: shown.name, content: shown.content, ttl: shown.ttl, previous: write.before?.content ?? null };
}

function toEntryView(entry: JournalEntry): ChangeEntryView {
  return {
    id: entry.id,
    domain: entry.domain,
    provider: entry.provider,
    recordType: entry.recordType,
    createdAt: entry.createdAt,
    status: entry.status,
    applied: entry.applied,
    revertOf: entry.revertOf,
    changes: entry.writes.map(writeView),
    ...(entry.problem === null ? {} : { problem: entry.problem }),
  };
}

interface SpfProblem {
  readonly change: PlannedChange;
  readonly reason: string;
}

interface SpfCheck {
  /** A record over the limit: the plan must not be applied (code 9). */
  readonly problem: SpfProblem | null;
  /** Records whose count could not be established: applied, with this said in the reply. */
  readonly warnings: string[];
}

/**
 * Counts the DNS lookups (RFC 7208 §4.6.4) of each SPF record the plan would write, through the configured resolvers.
 * More than 10 → refused; that holds for a partial count too, which is a lower bound. A count that cannot be
 * established (an include whose lookup failed: a resolver timeout, SERVFAIL) does not block the write, since a
 * resolver outage would otherwise block every dns.set, but it is never silent: it becomes a warning in the plan and
 * in the reply, and a log line.
 */
async function checkSpfLookups(plan: Plan, deps: DnsServiceDeps, log: Log): Promise<SpfCheck> {
  const warnings: string[] = [];
  for (const change of plan.changes) {
    if ((change.action !== 'CREATE' && change.action !== 'UPDATE') || change.type !== 'TXT' || !isSpf(change.content)) continue;
    let warning: string | undefined;
    try {
      const count = await deps.countSpfLookups(change.content);
      if (count.lookups > SPF_LOOKUP_LIMIT) {
        const needs = count.failedLookups > 0 ? `at least ${count.lookups}` : String(count.lookups);
        return {
          problem: { change, reason: `the merged SPF record at ${change.name} needs ${needs} DNS lookups (RFC 7208 allows ${SPF_LOOKUP_LIMIT})` },
          warnings,
        };
      }
      if (count.failedLookups > 0) {
        const failures = count.errors.filter((e) => e.includes('the lookup failed'));
        warning =
          `the DNS lookup count of the SPF record at ${change.name} could not be established (${failures.join('; ')}): ` +
          `it needs at least ${count.lookups} of the ${SPF_LOOKUP_LIMIT} lookups RFC 7208 allows; check it once DNS answers`;
      }
    } catch (error) {
      warning = `the DNS lookups of the SPF record at ${change.name} could not be counted (${error instanceof Error ? error.message : String(error)}); check it once DNS answers`;
    }
    if (warning !== undefined) {
      log.warn({ name: change.name, warning }, 'SPF lookup count not established');
      warnings.push(warning);
    }
  }
  return { problem: null, warnings };
}

function toView(change: PlannedChange, spfProblem: SpfProblem | null): ChangeView {
  return {
    action: spfProblem?.change === change ? 'CONFLICT' : change.action,
    type: change.type,
    name: change.name,
    content: change.content,
    ttl: change.ttl,
    previous: change.previous ?? null,
  };
}

/** Provider failures → code 9 (the caller's credentials, account or zone) or 10 (the provider failed; we failed). */
function toAppError(error: unknown, phase: 'authorize' | 'set', logger: Log): AppError {
  if (error instanceof AppError) return error;
  if (error instanceof LockLostError) {
    logger.warn({ err: { message: error.message } }, `zone lock lost during dns.${phase}; nothing more was written`);
    return AppError.of('LOCK_LOST', undefined, { cause: error });
  }
  if (error instanceof ProviderError) {
    const key = error.isCallerFault
      ? phase === 'authorize' ? 'AUTHORIZATION_FAILED' : 'SET_FAILED'
      : phase === 'authorize' ? 'AUTHORIZATION_ERROR' : 'SET_ERROR';
    return AppError.of(key, `${error.message}`, { cause: error });
  }
  logger.error({ err: error }, `unexpected error during dns.${phase}`);
  return AppError.of('INTERNAL_ERROR', undefined, { cause: error });
}
