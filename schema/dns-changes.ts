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
import type { ProviderId } from '../providers/types.js';

const DnsChange = builder.objectRef<ChangeEntryView>('DnsChange').implement({
  description: 'One applied change of the journal: which records changed, when, and how. Never holds a credential.',
  fields: (t) => ({
    id: t.exposeID('id', { description: 'What revertDnsChange takes (REST: ChangeID).' }),
    domain: t.exposeString('domain'),
    provider: t.field({ type: DnsProviderName, resolve: (c) => c.provider as ProviderId }),
    recordType: t.field({ type: DnsRecordType, resolve: (c) => c.recordType as 'campaign' | 'email-gateway' }),
    createdAt: t.exposeString('createdAt', { description: 'ISO-8601 UTC.' }),
    applied: t.exposeBoolean('applied', { description: 'True once the writes reached the provider.' }),
    revertOf: t.id({ nullable: true, description: 'The change this one reverted; null for a setDnsRecords.', resolve: (c) => c.revertOf }),
    changes: t.field({
      type: [DnsRecordChange],
      description: 'The writes, in the order the provider applied them; `previous` is the content before.',
      resolve: (c) => [...c.changes],
    }),
  }),
});

builder.queryField('dnsChanges', (t) =>
  t.field({
    type: [DnsChange],
    description: "The journal of the domain's applied changes, newest first (REST: dns.changes).",
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
