import { builder } from './builder.js';
import { resultUnion } from './dns-error.js';
import { DomainConnectInfo } from './domain-connect.js';
import { runForGraphql } from '../src/graphql/context.js';
import { dnsProvider, type DnsProviderOutput } from '../src/procedures/dns-provider.js';

export const DnsProviderDetection = builder.objectRef<DnsProviderOutput>('DnsProviderDetection').implement({
  description: "Which DNS host serves a domain, from its NS records.",
  isTypeOf: (value) => typeof (value as { provider?: unknown }).provider === 'string',
  fields: (t) => ({
    provider: t.exposeString('provider', { description: 'Lower-case provider id, as on REST (`cloudflare`, `route53`, …).' }),
    supported: t.exposeBoolean('supported', { description: 'Whether this service can manage records at that provider.' }),
    nameservers: t.exposeStringList('nameservers'),
    domainConnect: t.field({
      type: DomainConnectInfo,
      nullable: true,
      description:
        "Domain Connect at this DNS provider for the domain: null when it is not available (no `_domainconnect` record, settings unreachable) or not set up on this service. Only this field runs the discovery.",
      resolve: (detection) => detection.domainConnect(),
    }),
  }),
});

const DnsProviderResult = resultUnion('DnsProviderResult', DnsProviderDetection);

builder.queryField('dnsProvider', (t) =>
  t.field({
    type: DnsProviderResult,
    description: 'Detects the DNS provider of a domain (REST: dns.provider).',
    args: { domain: t.arg.string({ required: true }) },
    resolve: (_root, args, ctx) => runForGraphql(ctx, dnsProvider, { domain: args.domain }),
  }),
);
