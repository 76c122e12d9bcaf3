/**
 * The change journal: `dnsChanges(domain)` lists the applied changes of a domain, `revertDnsChange` undoes one
 * (REST: dns.changes / dns.revert). The journal entry is `DnsChange`; its lines are `DnsRecordChange`, the type
 * setDnsRecords' plan lines use.
 */
import { GraphQLError } from 'graphql';
import { builder } from './builder.js';
import { credentialFields, DnsCredentialsInput, resultUnion, DnsProviderName } from './dns-error.js';
import { DnsRecordChange, DnsRecordType } from './set-dns-records.js';
import { runForGraphql } from '../src/graphql/context.js';
import { dnsChanges } from '../src/procedures/dns-changes.js';
import { dnsRevert } from '../src/procedures/dns-revert.js';
import type { ChangeEntryView, ChangeView } from '../src/services/dns-service.js';
import type { ProviderId } from '../src/procedures/provider-table.js';

const DnsChangeStatus = builder.enumType('DnsChangeStatus', {
  description:
    'Where a journal entry stands. It is written PENDING before the first provider write and completed once the provider answered; one that stays PENDING was never completed (its command is still running, or its process stopped mid-write), so its writes may or may not be in the zone.',
  values: {
    PENDING: { value: 'pending', description: 'Not completed: `changes` are the planned writes, any of which may have landed.' },
    APPLIED: { value: 'applied', description: 'Every write landed.' },
    PARTIAL: { value: 'partial', description: 'The command failed after some writes landed: `changes` are those.' },
    FAILED: { value: 'failed', description: 'The command failed and the provider reported no write as landed.' },
  } as const,
});

const DnsChange = builder.objectRef<ChangeEntryView>('DnsChange').implement({
  description: 'One change of the journal: which records changed, when, and how. Never holds a credential.',
  fields: (t) => ({
    id: t.exposeID('id', { description: 'What revertDnsChange takes (REST: ChangeID).' }),
    domain: t.exposeString('domain'),
    provider: t.field({ type: DnsProviderName, resolve: (c) => c.provider as ProviderId }),
    recordType: t.field({ type: DnsRecordType, resolve: (c) => c.recordType as 'campaign' | 'email-gateway' }),
    createdAt: t.exposeString('createdAt', { description: 'ISO-8601 UTC.' }),
    status: t.field({ type: DnsChangeStatus, resolve: (c) => c.status }),
    applied: t.exposeBoolean('applied', { description: 'True when writes reached the provider: status APPLIED or PARTIAL.' }),
    revertOf: t.id({ nullable: true, description: 'The change this one reverted; null for a setDnsRecords.', resolve: (c) => c.revertOf }),
    changes: t.field({
      type: [DnsRecordChange],
      description:
        'The writes that landed, in the order the provider applied them (PENDING: the planned writes); `previous` is the content before.',
      resolve: (c) => [...c.changes],
    }),
    problem: t.string({
      nullable: true,
      description: 'Set only on an entry whose stored form cannot be read: why. Its `changes` are then empty and it cannot be reverted.',
      resolve: (c) => c.problem ?? null,
    }),
  }),
});

builder.queryField('dnsChanges', (t) =>
  t.field({
    type: [DnsChange],
    description: "The journal of the domain's changes, newest first, whatever their status (REST: dns.changes).",
    args: { domain: t.arg.string({ required: true }) },
    resolve: async (_root, args, ctx) => {
      const result = await runForGraphql(ctx, dnsChanges, { domain: args.domain });
      // A list has no room for a DnsError member: an invalid domain is a GraphQL error carrying the REST code.
      if ('__typename' in result) throw new GraphQLError(result.message, { extensions: { code: 'DNS_ERROR', restCode: result.code } });
      return result.changes;
    },
  }),
);

type RevertSuccess = { success: true; changes: readonly ChangeView[] };

const RevertDnsChangeSuccess = builder.objectRef<RevertSuccess>('RevertDnsChangeSuccess').implement({
  isTypeOf: (value) => (value as { success?: unknown }).success === true && Array.isArray((value as { changes?: unknown }).changes),
  fields: (t) => ({
    success: t.exposeBoolean('success'),
    changes: t.field({ type: [DnsRecordChange], description: 'The writes that restored the records.', resolve: (r) => [...r.changes] }),
  }),
});

const RevertDnsChangeInput = builder.inputType('RevertDnsChangeInput', {
  fields: (t) => ({
    id: t.id({ required: true }),
    credentials: t.field({ type: DnsCredentialsInput, required: true, description: "Credentials for the change's provider." }),
  }),
});

const RevertDnsChangeResult = resultUnion('RevertDnsChangeResult', RevertDnsChangeSuccess);

builder.mutationField('revertDnsChange', (t) =>
  t.field({
    type: RevertDnsChangeResult,
    description:
      'Restores exactly the records one change touched, through the same provider; refused (DnsError code 9, nothing written) when any of them was edited since (REST: dns.revert).',
    args: { input: t.arg({ type: RevertDnsChangeInput, required: true }) },
    resolve: (_root, { input }, ctx) => runForGraphql(ctx, dnsRevert, { changeId: String(input.id), ...credentialFields(input.credentials) }),
  }),
);
