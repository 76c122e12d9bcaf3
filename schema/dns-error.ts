import type { ObjectRef } from '@pothos/core';
import { builder } from './builder.js';
import type { DnsErrorShape } from '../src/graphql/context.js';
import { describeCredential, PROVIDER_IDS, PROVIDER_NAMES, type ProviderId } from '../src/procedures/provider-table.js';

type BuilderTypes = typeof builder extends PothosSchemaTypes.SchemaBuilder<infer Types> ? Types : never;

/** An expected failure of a DNS command; `code` is the REST code for the same failure (the lowest, where several apply). */
export const DnsError = builder.objectRef<DnsErrorShape>('DnsError').implement({
  description: 'An expected failure of a DNS command. `code` is the platform REST API code for the same failure.',
  isTypeOf: (value) => (value as { __typename?: string }).__typename === 'DnsError',
  fields: (t) => ({
    code: t.exposeInt('code'),
    message: t.exposeString('message'),
  }),
});

/**
 * A command's result: its success type, or a DnsError. The union says which from `__typename`, which only DnsError
 * values carry, instead of leaving graphql to probe each member's isTypeOf. graphql-jit (the fast path's executor)
 * needs it too: it calls resolveType without the union as the fourth argument, which the default resolver reads.
 */
export function resultUnion<Success extends object>(name: string, success: ObjectRef<BuilderTypes, Success>) {
  return builder.unionType(name, {
    types: [success, DnsError],
    resolveType: (value) => ((value as { __typename?: unknown }).__typename === 'DnsError' ? DnsError : success),
  });
}

/** One value per provider the server has an adapter for (`PROVIDER_IDS`), upper case: `ROUTE53` is `route53`. */
export const DnsProviderName = builder.enumType('DnsProviderName', {
  values: {
    ...(Object.fromEntries(PROVIDER_IDS.map((id) => [id.toUpperCase(), { value: id, description: PROVIDER_NAMES[id] }])) as Record<
      Uppercase<ProviderId>,
      { value: ProviderId; description: string }
    >),
    // Not an adapter: setDnsRecords applies through the domain's stored Domain Connect authorization (no credentials),
    // and the journal names the changes it made so.
    DOMAINCONNECT: {
      value: 'domainconnect' as const,
      description: "Domain Connect: the domain's DNS provider applies the record set through the authorization granted with domainConnectUrl(flow: ASYNC).",
    },
  },
});

export const DnsCredentialsInput = builder.inputType('DnsCredentialsInput', {
  description: "The customer's DNS provider credentials: never stored, never logged.",
  fields: (t) => ({
    apiKey: t.string({ required: true, description: describeCredential('apiKey', 'REST `ApiKey`.') }),
    apiSecret: t.string({ required: false, description: describeCredential('apiSecret', 'REST `ApiSecret`.') }),
    apiUser: t.string({ required: false, description: describeCredential('apiUser', 'REST `ApiUser`.') }),
    username: t.string({ required: false, description: describeCredential('username', 'REST `Username`.') }),
  }),
});

/** GraphQL credentials → the procedures' flat input (the same names REST maps its parameters to). */
export function credentialFields(credentials: { apiKey: string; apiSecret?: string | null; apiUser?: string | null; username?: string | null }) {
  return {
    apiKey: credentials.apiKey,
    apiSecret: credentials.apiSecret ?? undefined,
    apiUser: credentials.apiUser ?? undefined,
    username: credentials.username ?? undefined,
  };
}
