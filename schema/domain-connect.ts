/**
 * Domain Connect: what a domain's DNS provider offers (`DnsProviderDetection.domainConnect`) and the URL that lets
 * the customer apply a record set there (`domainConnectUrl`, REST: dns.connect).
 */
import { builder } from './builder.js';
import { resultUnion } from './dns-error.js';
import { DnsRecordType } from './set-dns-records.js';
import { runForGraphql } from '../src/graphql/context.js';
import { dnsConnect } from '../src/procedures/dns-connect.js';
import type { ConnectUrl, DomainConnectInfo as Info } from '../src/domain-connect/service.js';

export const DomainConnectInfo = builder.objectRef<Info>('DomainConnectInfo').implement({
  description:
    "Domain Connect at the domain's DNS provider, from its `_domainconnect` TXT record and settings (Domain Connect 2.3 §3).",
  fields: (t) => ({
    providerId: t.exposeString('providerId', { description: "The DNS provider's Domain Connect id (usually its domain)." }),
    providerName: t.exposeString('providerName'),
    providerDisplayName: t.exposeString('providerDisplayName', { description: 'The name to show the customer (providerName when the provider gives none).' }),
    syncSupported: t.exposeBoolean('syncSupported', { description: 'The provider offers the synchronous flow (a signed apply URL) for this domain.' }),
    asyncSupported: t.exposeBoolean('asyncSupported', {
      description: 'The provider offers the asynchronous (OAuth) flow for this domain and this service holds OAuth client credentials for it.',
    }),
    templates: t.field({
      type: [DnsRecordType],
      description: 'The record sets the provider has onboarded (its template query answered 2xx).',
      resolve: (info) => [...info.templates],
    }),
  }),
});

const DomainConnectFlow = builder.enumType('DomainConnectFlow', {
  values: {
    SYNC: { value: 'sync', description: 'The customer applies the records in a window at the DNS provider (a signed apply URL).' },
    ASYNC: { value: 'async', description: 'The customer grants this service OAuth access; it then applies the records itself (and again later).' },
  } as const,
});

const DomainConnectUrl = builder.objectRef<ConnectUrl>('DomainConnectUrl').implement({
  description: 'Where to send the customer, and the size of the consent window the DNS provider asks for.',
  isTypeOf: (value) => typeof (value as { url?: unknown }).url === 'string',
  fields: (t) => ({
    url: t.exposeString('url'),
    providerName: t.exposeString('providerName'),
    providerDisplayName: t.exposeString('providerDisplayName'),
    width: t.exposeInt('width', { description: 'Pixels (750 when the provider says nothing).' }),
    height: t.exposeInt('height'),
  }),
});

const DomainConnectUrlInput = builder.inputType('DomainConnectUrlInput', {
  fields: (t) => ({
    domain: t.string({ required: true }),
    recordType: t.field({ type: DnsRecordType, required: true }),
    redirectUri: t.string({
      required: false,
      description: "Where the provider sends the browser back; its host must be one of the templates' syncRedirectDomain.",
    }),
    state: t.string({ required: false, description: 'Passed back on the redirect as `state`.' }),
    flow: t.field({ type: DomainConnectFlow, required: false, description: 'SYNC unless said otherwise.' }),
  }),
});

const DomainConnectUrlResult = resultUnion('DomainConnectUrlResult', DomainConnectUrl);

builder.mutationField('domainConnectUrl', (t) =>
  t.field({
    type: DomainConnectUrlResult,
    description:
      'The Domain Connect URL that applies a record set at the domain\'s DNS provider (DnsError code 11 when Domain Connect is not available, with the reason). A mutation: it also starts a watch of the domain (REST: dns.connect).',
    args: { input: t.arg({ type: DomainConnectUrlInput, required: true }) },
    resolve: (_root, { input }, ctx) =>
      runForGraphql(ctx, dnsConnect, {
        domain: input.domain,
        recordType: input.recordType,
        redirectUri: input.redirectUri ?? undefined,
        state: input.state ?? undefined,
        flow: input.flow ?? undefined,
      }),
  }),
);
