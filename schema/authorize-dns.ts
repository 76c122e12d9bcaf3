import { builder } from './builder.js';
import { credentialFields, DnsCredentialsInput, resultUnion, DnsProviderName } from './dns-error.js';
import { runForGraphql } from '../src/graphql/context.js';
import { dnsAuthorize } from '../src/procedures/dns-authorize.js';

const AuthorizeDnsSuccess = builder.objectRef<{ success: true }>('AuthorizeDnsSuccess').implement({
  isTypeOf: (value) => (value as { success?: unknown }).success === true && !('changes' in (value as object)),
  fields: (t) => ({ success: t.exposeBoolean('success') }),
});

const AuthorizeDnsInput = builder.inputType('AuthorizeDnsInput', {
  fields: (t) => ({
    domain: t.string({ required: true }),
    provider: t.field({ type: DnsProviderName, required: true }),
    credentials: t.field({ type: DnsCredentialsInput, required: true }),
  }),
});

const AuthorizeDnsResult = resultUnion('AuthorizeDnsResult', AuthorizeDnsSuccess);

builder.mutationField('authorizeDns', (t) =>
  t.field({
    type: AuthorizeDnsResult,
    description: 'Checks that the credentials can manage the domain at the provider, writing nothing (REST: dns.authorize).',
    args: { input: t.arg({ type: AuthorizeDnsInput, required: true }) },
    resolve: (_root, { input }, ctx) =>
      runForGraphql(ctx, dnsAuthorize, { domain: input.domain, provider: input.provider, ...credentialFields(input.credentials) }),
  }),
);
