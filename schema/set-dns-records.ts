import { builder } from './builder.js';
import { credentialFields, DnsCredentialsInput, resultUnion, DnsProviderName } from './dns-error.js';
import { runForGraphql } from '../src/graphql/context.js';
import { dnsSet } from '../src/procedures/dns-set.js';
import type { ChangeView, SetRecordsResult } from '../src/services/dns-service.js';

export const DnsRecordType = builder.enumType('DnsRecordType', {
  values: { CAMPAIGN: { value: 'campaign' }, EMAIL_GATEWAY: { value: 'email-gateway' } } as const,
});

export const DnsChangeAction = builder.enumType('DnsChangeAction', {
  values: ['CREATE', 'UPDATE', 'DELETE', 'KEEP', 'CONFLICT'] as const,
});

/**
 * Named `DnsRecordChange` (it was `DnsChange` before the journal took that name): selection sets never name it, so
 * client documents written against the old name keep working.
 */
export const DnsRecordChange = builder.objectRef<ChangeView>('DnsRecordChange').implement({
  description: 'One line of a plan or of a journal entry: what happens (or would happen, or happened) to one record.',
  fields: (t) => ({
    action: t.field({ type: DnsChangeAction, resolve: (c) => c.action }),
    type: t.string({ resolve: (c) => c.type }),
    name: t.string({ description: 'The full domain name of the record.', resolve: (c) => c.name }),
    content: t.string({ resolve: (c) => c.content }),
    ttl: t.int({ resolve: (c) => c.ttl }),
    previous: t.string({ nullable: true, description: 'The content this change replaces or conflicts with.', resolve: (c) => c.previous }),
  }),
});

type SetSuccess = SetRecordsResult & { success: true };

const SetDnsRecordsSuccess = builder.objectRef<SetSuccess>('SetDnsRecordsSuccess').implement({
  isTypeOf: (value) => Array.isArray((value as { changes?: unknown }).changes),
  fields: (t) => ({
    success: t.exposeBoolean('success'),
    applied: t.exposeBoolean('applied', { description: 'False for a dry run; true once the zone holds the record set.' }),
    changes: t.field({ type: [DnsRecordChange], resolve: (r) => [...r.changes] }),
    warnings: t.stringList({
      description:
        'What the plan could not check, one sentence each; empty when everything was checked (e.g. an SPF record whose DNS-lookup count could not be established because a lookup failed: it is written, and said so here).',
      resolve: (r) => [...r.warnings],
    }),
  }),
});

const SetDnsRecordsInput = builder.inputType('SetDnsRecordsInput', {
  fields: (t) => ({
    domain: t.string({ required: true }),
    provider: t.field({ type: DnsProviderName, required: true }),
    recordType: t.field({ type: DnsRecordType, required: true }),
    credentials: t.field({
      type: DnsCredentialsInput,
      required: false,
      description: 'Required for every provider but DOMAINCONNECT (a missing apiKey is DnsError code 2).',
    }),
    dryRun: t.boolean({ required: false, description: 'Plan only: return the changes and write nothing.' }),
    force: t.boolean({ required: false, description: 'Replace exactly the conflicting records the plan names.' }),
  }),
});

const SetDnsRecordsResult = resultUnion('SetDnsRecordsResult', SetDnsRecordsSuccess);

builder.mutationField('setDnsRecords', (t) =>
  t.field({
    type: SetDnsRecordsResult,
    description: 'Writes the record set through the provider: read, plan, then apply (REST: dns.set).',
    args: { input: t.arg({ type: SetDnsRecordsInput, required: true }) },
    resolve: async (_root, { input }, ctx) => {
      const result = await runForGraphql(ctx, dnsSet, {
        domain: input.domain,
        provider: input.provider,
        recordType: input.recordType,
        dryRun: input.dryRun ?? false,
        force: input.force ?? false,
        ...(input.credentials ? credentialFields(input.credentials) : {}),
      });
      return '__typename' in result ? result : { ...result, success: true as const };
    },
  }),
);
