/**
 * The sandbox provider: zones live in the service's own database (`sandbox_records`), so the whole flow (detect →
 * authorize → set) can be tried without a real DNS account. Any credentials are accepted. A plan is applied in one
 * database transaction: it lands whole or not at all.
 *
 * A sandbox zone belongs to the account the command acts for (`ConnectOptions.account`, src/auth/account.ts): it is
 * keyed by (account, domain), so two accounts trying the sandbox on one domain each see and edit only their own.
 *
 * Revert fidelity (providers/restore.ts) needs nothing here: the sandbox's zone is the gateway's own store, which
 * keeps the one neutral form.
 */
import { REQUIRED_CREDENTIALS } from './credentials.js';
import { randomUUID } from 'node:crypto';
import { registrableDomain } from '../src/domain.js';
import type { SandboxRecordFields, SandboxWrite, Store } from '../src/storage/store.js';
import {
  ProviderError,
  type ApplyResult,
  type DesiredRecord,
  type DnsProvider,
  type DnsRecord,
  type ProviderCapabilities,
  type ProviderSession,
  type RecordChange,
  type Zone,
  type ZoneContents,
} from './types.js';

export const SANDBOX_CAPABILITIES: ProviderCapabilities = {
  recordTypes: new Set(['A', 'AAAA', 'CAA', 'CNAME', 'MX', 'NS', 'SRV', 'TXT']),
  minTtl: 60,
  maxTtl: 86_400,
  atomicApply: true,
  // One store transaction under the zone lock.
  guardedWrite: false,
  accountZones: true,
  maxTxtLength: 4096,
  // No upstream API: the zone is read from the store, and written in one transaction.
  upstreamCalls: { read: 0, write: { perPlan: 1, perRrset: 0, perRecord: 0 } },
  writes: "one transaction in the service's own database",
};

/** Types whose records carry a priority (MX preference, SRV priority). */
const PRIORITISED_TYPES = new Set(['MX', 'SRV']);

export interface SandboxProviderDeps {
  readonly store: Store;
}

export function createSandboxProvider(deps: SandboxProviderDeps): DnsProvider {
  return {
    id: 'sandbox',
    capabilities: SANDBOX_CAPABILITIES,
    requiredCredentials: REQUIRED_CREDENTIALS.sandbox,
    // Credentials are not checked: the sandbox exists to try the flow without any provider account.
    connect: (_credentials, options) => createSession(deps.store, options?.account),
  };
}

function createSession(store: Store, account: string | undefined): ProviderSession {
  // Finding a zone needs no account (dns.authorize); reading or writing one does, and the service always gives it.
  const owner = (): string => {
    if (account === undefined) throw new Error('a sandbox zone is read or written only for an account');
    return account;
  };
  const findZone = async (domain: string): Promise<Zone> => {
    const apex = registrableDomain(domain);
    if (apex === null) throw new ProviderError('sandbox', 'not_found', 'the name is not a registrable domain');
    return { name: apex, id: apex };
  };

  return {
    findZone,
    authorize: findZone,

    async readZone(zone: Zone): Promise<ZoneContents> {
      const rows = await store.readSandboxZone(owner(), zone.id);
      return {
        records: rows.map((row): DnsRecord => ({
          id: row.id,
          type: row.type,
          name: row.name,
          content: row.content,
          ttl: row.ttl,
          ...(row.priority === null ? {} : { priority: row.priority }),
        })),
      };
    },

    async applyChanges(zone: Zone, _contents: ZoneContents, changes: readonly RecordChange[]): Promise<ApplyResult> {
      const writes = changes.map((change) => toWrite(zone, change));
      const outcome = await store.applySandboxWrites(owner(), zone.id, writes);
      if (!outcome.ok) {
        throw new ProviderError('sandbox', 'conflict', `record ${outcome.missingId} no longer exists in ${zone.name}; nothing was changed`);
      }
      return { applied: [...changes] };
    },
  };
}

function toWrite(zone: Zone, change: RecordChange): SandboxWrite {
  if (change.action === 'CREATE') return { op: 'insert', id: randomUUID(), record: checkRecord(zone, change.record) };
  const id = change.before.id;
  // A `before` without an id cannot be matched to a stored record: the caller's view of the zone is not ours.
  if (id === undefined) throw new ProviderError('sandbox', 'conflict', `the ${change.action} names a record without an id`);
  if (change.action === 'UPDATE') return { op: 'update', id, record: checkRecord(zone, change.record) };
  return { op: 'delete', id };
}

/** Refuses what a real provider would refuse, as `rejected`, before anything is written. */
function checkRecord(zone: Zone, record: DesiredRecord): SandboxRecordFields {
  const type = record.type.toUpperCase();
  const name = record.name.toLowerCase().replace(/\.$/, '');
  const reject = (reason: string) => new ProviderError('sandbox', 'rejected', reason);
  if (!SANDBOX_CAPABILITIES.recordTypes.has(type)) throw reject(`record type ${type} is not supported`);
  if (name !== zone.name && !name.endsWith(`.${zone.name}`)) throw reject(`${name} is not in the zone ${zone.name}`);
  if (!Number.isInteger(record.ttl) || record.ttl < SANDBOX_CAPABILITIES.minTtl || record.ttl > SANDBOX_CAPABILITIES.maxTtl) {
    throw reject(`TTL ${record.ttl} is outside ${SANDBOX_CAPABILITIES.minTtl}–${SANDBOX_CAPABILITIES.maxTtl}`);
  }
  if (record.content === '') throw reject(`the ${type} record for ${name} has no content`);
  const prioritised = PRIORITISED_TYPES.has(type);
  if (prioritised && (record.priority === undefined || !Number.isInteger(record.priority) || record.priority < 0 || record.priority > 65_535)) {
    throw reject(`the ${type} record for ${name} needs a priority from 0 to 65535`);
  }
  return { type, name, content: record.content, ttl: record.ttl, priority: prioritised ? record.priority! : null };
}
