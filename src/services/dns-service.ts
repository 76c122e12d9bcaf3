/**
 * The DNS service: detect, authorize, and set a record set — read, plan, then apply — through one provider adapter.
 * It knows nothing of HTTP or GraphQL; it throws `AppError` with the documented codes.
 */
import { AppError } from '../errors.js';
import type { Logger } from '../logger.js';
import { registrableDomain } from '../domain.js';
import { planRecordSet, summariseConflicts, type Plan, type PlannedChange } from '../records/planner.js';
import { resolveTemplate, type TemplateSet } from '../records/template.js';
import { isSpf } from '../records/spf.js';
import { countSpfLookups } from '../records/spf-lookups.js';
import type { ProviderRegistry } from '../../providers/registry.js';
import { ProviderError, type DnsProvider, type ProviderCredentials, type ProviderId } from '../../providers/types.js';
import type { ZoneLock } from './zone-lock.js';

export type RecordSetName = 'campaign' | 'email-gateway';

export interface ProviderCommand {
  readonly domain: string;
  readonly provider: ProviderId;
  readonly credentials: ProviderCredentials;
}

export interface SetRecordsCommand extends ProviderCommand {
  readonly recordType: RecordSetName;
  readonly dryRun: boolean;
  readonly force: boolean;
}

/** One line of a plan as callers see it (GraphQL `DnsChange`, REST dry-run `changes[]`). */
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
}

/** RFC 7208 §4.6.4: more DNS-querying terms than this make SPF evaluation a permerror. */
const SPF_LOOKUP_LIMIT = 10;

export interface DnsServiceDeps {
  readonly providers: ProviderRegistry;
  readonly templates: TemplateSet;
  readonly templateVariables: Readonly<Record<string, string>>;
  /** TXT lookups through the configured resolvers, for the SPF lookup count. */
  readonly resolveTxt: (name: string) => Promise<string[]>;
  readonly zoneLock: ZoneLock;
  readonly logger: Logger;
}

export interface DnsService {
  authorize(command: ProviderCommand): Promise<void>;
  setRecords(command: SetRecordsCommand): Promise<SetRecordsResult>;
}

export function createDnsService(deps: DnsServiceDeps): DnsService {
  const adapterFor = (id: ProviderId): DnsProvider => {
    const provider = deps.providers.get(id);
    // The sandbox is absent when SANDBOX_PROVIDER is off: then it is an unsupported provider like any unknown name.
    if (!provider) throw AppError.of('PROVIDER_UNSUPPORTED', `${id} is not enabled on this server`);
    return provider;
  };

  return {
    async authorize(command) {
      const session = adapterFor(command.provider).connect(command.credentials);
      try {
        await session.authorize(command.domain);
      } catch (error) {
        throw toAppError(error, 'authorize', deps.logger);
      }
    },

    async setRecords(command) {
      const provider = adapterFor(command.provider);
      const template = deps.templates.get(command.recordType);
      const session = provider.connect(command.credentials);
      // Read-merge-write on one zone is serialised: two requests must not both read the old zone and each write
      // back their own version of it (Namecheap's setHosts would silently drop the other's records).
      const lockKey = `${provider.id}:${registrableDomain(command.domain) ?? command.domain}`;
      try {
        return await deps.zoneLock.run(lockKey, async () => {
          const zone = await session.findZone(command.domain);
          const contents = await session.readZone(zone);
          const desired = resolveTemplate(template, { domain: command.domain, variables: deps.templateVariables });
          const plan = planRecordSet({
            existing: contents.records,
            records: desired,
            zoneApex: zone.name,
            force: command.force,
            minTtl: provider.capabilities.minTtl,
          });
          const spfProblem = await spfLookupProblem(plan, deps);
          const changes = plan.changes.map((c) => toView(c, spfProblem));
          if (spfProblem) {
            throw AppError.of('SET_FAILED', spfProblem.reason, { extra: { changes } });
          }
          if (plan.conflicts.length > 0 && !command.force) {
            throw AppError.of('SET_FAILED', summariseConflicts(plan), { extra: { changes } });
          }
          if (command.dryRun) return { applied: false, changes };
          if (plan.writes.length > 0) {
            const result = await session.applyChanges(zone, contents, plan.writes);
            deps.logger.info(
              { provider: provider.id, zone: zone.name, recordType: command.recordType, writes: result.applied.length },
              'dns records applied',
            );
          }
          return { applied: true, changes };
        });
      } catch (error) {
        throw toAppError(error, 'set', deps.logger);
      }
    },
  };
}

interface SpfProblem {
  readonly change: PlannedChange;
  readonly reason: string;
}

/** Counts the DNS lookups of an SPF record the plan would write; over the limit, the plan must not be applied. */
async function spfLookupProblem(plan: Plan, deps: DnsServiceDeps): Promise<SpfProblem | null> {
  for (const change of plan.changes) {
    if ((change.action !== 'CREATE' && change.action !== 'UPDATE') || change.type !== 'TXT' || !isSpf(change.content)) continue;
    try {
      const count = await countSpfLookups(change.content, deps.resolveTxt);
      if (count.lookups > SPF_LOOKUP_LIMIT) {
        return {
          change,
          reason: `the merged SPF record at ${change.name} needs ${count.lookups} DNS lookups (RFC 7208 allows ${SPF_LOOKUP_LIMIT})`,
        };
      }
    } catch (error) {
      // The count is a safety check on top of the merge; a resolver outage must not block every dns.set.
      deps.logger.warn({ name: change.name, err: (error as Error).message }, 'SPF lookup count failed');
    }
  }
  return null;
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
function toAppError(error: unknown, phase: 'authorize' | 'set', logger: Logger): AppError {
  if (error instanceof AppError) return error;
  if (error instanceof ProviderError) {
    const key = error.isCallerFault
      ? phase === 'authorize' ? 'AUTHORIZATION_FAILED' : 'SET_FAILED'
      : phase === 'authorize' ? 'AUTHORIZATION_ERROR' : 'SET_ERROR';
    const applied = error.applied.length > 0 ? ` (${error.applied.length} change(s) were applied before the failure)` : '';
    return AppError.of(key, `${error.message}${applied}`, { cause: error });
  }
  logger.error({ err: error }, `unexpected error during dns.${phase}`);
  return AppError.of('INTERNAL_ERROR', undefined, { cause: error });
}
