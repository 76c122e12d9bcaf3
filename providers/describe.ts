/**
 * The README's provider table, rendered from the adapters' own data (capabilities, the credentials table), so the
 * documentation cannot drift from the code: `npm run docs` rewrites it and test/readme.test.ts fails when it is stale.
 */
import { PROVIDER_CREDENTIALS } from './credentials.js';
import { fewestCalls, PROVIDER_NAMES, type CredentialField, type DnsProvider, type PlanShape, type UpstreamCalls } from './types.js';

const PARAMETER: Record<CredentialField, string> = { apiKey: 'ApiKey', apiSecret: 'ApiSecret', apiUser: 'ApiUser', username: 'Username' };

/** The `campaign` record set on a zone that already has an SPF record: 4 CNAMEs created, the SPF updated. */
const TYPICAL_PLAN: PlanShape = { changes: 5, rrsets: 5, updates: 1 };

/** Upstream calls of a dns.set as a sentence, with the count for the typical plan and for a re-apply. */
export function describeCalls(calls: UpstreamCalls): string {
  const { perPlan, perRrset, perRecord, perUpdate = 0 } = calls.write;
  const parts = [
    ...(perPlan > 0 ? [`${perPlan}`] : []),
    ...(perRrset > 0 ? [`${perRrset} per changed rrset`] : []),
    ...(perRecord > 0 ? [`${perRecord} per changed record`] : []),
    ...(perUpdate > 0 ? [`${perUpdate} more per updated record`] : []),
  ];
  const polls = calls.pollsPerWrite ? ` (+ ${calls.pollsPerWrite} poll per write)` : '';
  // A read that grows with the zone (one call per record, OVH): `+ N`, N being the records in the zone.
  const perZone = calls.readPerRecord ? ` + ${calls.readPerRecord === 1 ? '' : `${calls.readPerRecord}×`}N` : '';
  const note = perZone ? ', N = records in the zone' : '';
  return `${calls.read}${perZone} + ${parts.join(' + ')}${polls} = **${fewestCalls(calls, TYPICAL_PLAN).total}${perZone}** (${calls.read}${perZone})${note}`;
}

export function providerTable(providers: readonly DnsProvider[]): string {
  const lines = [
    '| provider | `Provider` | credentials | how it writes | atomic | a concurrent edit is caught by | min TTL | longest TXT (bytes) | calls: reads + writes = campaign (re-apply) |',
    '|---|---|---|---|---|---|---:|---:|---|',
  ];
  for (const provider of providers) {
    const c = provider.capabilities;
    const credentials = (Object.entries(PROVIDER_CREDENTIALS[provider.id]) as [CredentialField, { meaning: string; required: boolean }][])
      .map(([field, use]) => `\`${PARAMETER[field]}\` ${use.meaning}${use.required ? '' : ' (optional)'}`)
      .join('; ');
    const guard = c.guardedWrite ? 'the provider (a stale write is refused; the gateway re-reads)' : 'the zone lock only';
    lines.push(
      `| ${PROVIDER_NAMES[provider.id]} | \`${provider.id}\` | ${credentials} | ${c.writes} | ${c.atomicApply ? 'yes' : 'no'} | ${guard} | ${c.minTtl} | ${c.maxTxtLength} | ${describeCalls(c.upstreamCalls)} |`,
    );
  }
  return lines.join('\n');
}

export const PROVIDER_TABLE_START = '<!-- provider-table:start (npm run docs) -->';
export const PROVIDER_TABLE_END = '<!-- provider-table:end -->';

/** `readme` with the text between the markers replaced by `table`; throws when the markers are missing. */
export function withProviderTable(readme: string, table: string): string {
  const start = readme.indexOf(PROVIDER_TABLE_START);
  const end = readme.indexOf(PROVIDER_TABLE_END);
  if (start < 0 || end < start) throw new Error(`README.md lacks the ${PROVIDER_TABLE_START} … ${PROVIDER_TABLE_END} markers`);
  return `${readme.slice(0, start + PROVIDER_TABLE_START.length)}\n${table}\n${readme.slice(end)}`;
}
