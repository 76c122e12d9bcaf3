/**
 * The measured requests. Each scenario is checked once before it is measured (status and body), so a fast stream
 * of wrong answers — a 200 carrying a GraphQL error, say — cannot pass for throughput.
 */
import { print } from 'graphql';
import { DnsProviderDocument, SetDnsRecordsDocument } from '../../test/graphql/generated/graphql.js';
import type { RequestSpec } from './load.js';
import { BENCH_CREDENTIALS, DOMAINS } from './upstream-protocol.js';

/** The servers the bench runs, each in its own process: the bare baseline, the three peers, the gateway. */
export type ServerId = 'baseline' | PeerId | 'gateway';
/** The fastest peers (bench/peers/*.ts): fastify for REST, mercurius and yoga for GraphQL. */
export type PeerId = 'fastify' | 'mercurius' | 'yoga';
export const PEER_IDS: readonly PeerId[] = ['fastify', 'mercurius', 'yoga'];

export interface Scenario {
  readonly id: string;
  readonly title: string;
  /** Which server it is sent to. */
  readonly target: ServerId;
  /** A gateway scenario's peers: each of its rows is also reported as a share of theirs (paired at 50 connections). */
  readonly peers?: readonly PeerId[];
  /** True when each request calls an upstream (a provider fake, DNS servers): not a cached scenario, no p99 target. */
  readonly callsUpstream?: boolean;
  readonly request: RequestSpec;
  /** Null when the answer is right, else what is wrong with it. */
  check(status: number, body: string): string | null;
}

const json = (body: string): any => {
  try {
    return JSON.parse(body);
  } catch {
    return undefined;
  }
};

const expectJson = (want: (value: any) => boolean, what: string) => (status: number, body: string) =>
  status === 200 && want(json(body)) ? null : `expected 200 with ${what}, got ${status} ${body.slice(0, 300)}`;

const isCloudflare = (v: any) => v?.provider === 'cloudflare';

export function scenarios(apiKey: string): Scenario[] {
  const auth = { authorization: `Bearer ${apiKey}` };
  const jsonHeaders = { 'content-type': 'application/json', ...auth };
  // The GraphQL dnsProvider request, as the gateway's scenario and the GraphQL peers are sent it (the peers without
  // a key: they check none).
  const dnsProviderBody = JSON.stringify({ query: print(DnsProviderDocument), variables: { domain: DOMAINS.cloudflare } });
  const isDetection = (v: any) => v?.data?.dnsProvider?.provider === 'cloudflare' && v.errors === undefined;
  const REST_PEERS: readonly PeerId[] = ['fastify'];
  const GRAPHQL_PEERS: readonly PeerId[] = ['mercurius', 'yoga'];
  return [
    {
      id: 'baseline',
      title: 'baseline node:http',
      target: 'baseline',
      request: { method: 'GET', path: `/api/v1/dns.provider?Domain=${DOMAINS.cloudflare}`, headers: {} },
      check: expectJson(isCloudflare, '{"provider":"cloudflare"}'),
    },
    {
      id: 'fastify',
      title: 'peer: fastify 5, trivial GET route',
      target: 'fastify',
      request: { method: 'GET', path: `/api/v1/dns.provider?Domain=${DOMAINS.cloudflare}`, headers: {} },
      check: expectJson(isCloudflare, '{"provider":"cloudflare"}'),
    },
    {
      id: 'mercurius',
      title: 'peer: mercurius 16 + graphql-jit, dnsProvider',
      target: 'mercurius',
      request: { method: 'POST', path: '/graphql', headers: { 'content-type': 'application/json' }, body: dnsProviderBody },
      check: expectJson(isDetection, 'data.dnsProvider.provider cloudflare'),
    },
    {
      id: 'yoga',
      title: 'peer: graphql-yoga 5 defaults, dnsProvider',
      target: 'yoga',
      request: { method: 'POST', path: '/graphql', headers: { 'content-type': 'application/json' }, body: dnsProviderBody },
      check: expectJson(isDetection, 'data.dnsProvider.provider cloudflare'),
    },
    {
      id: 'rest-provider',
      title: 'REST GET dns.provider (cached)',
      target: 'gateway',
      peers: REST_PEERS,
      request: { method: 'GET', path: `/api/v1/dns.provider?Domain=${DOMAINS.cloudflare}`, headers: auth },
      check: expectJson(isCloudflare, 'provider cloudflare'),
    },
    {
      id: 'apiphp-provider',
      title: '/api.php form POST dns.provider',
      target: 'gateway',
      peers: REST_PEERS,
      request: {
        method: 'POST',
        path: '/api.php',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        // The legacy clients' way: command and the platform key as form fields.
        body: new URLSearchParams({ Command: 'dns.provider', Domain: DOMAINS.cloudflare, APIKey: apiKey }).toString(),
      },
      check: expectJson(isCloudflare, 'provider cloudflare'),
    },
    {
      id: 'graphql-provider',
      title: 'GraphQL dnsProvider',
      target: 'gateway',
      peers: GRAPHQL_PEERS,
      request: { method: 'POST', path: '/graphql', headers: jsonHeaders, body: dnsProviderBody },
      check: expectJson(isDetection, 'data.dnsProvider.provider cloudflare'),
    },
    {
      id: 'graphql-set-dry',
      title: 'GraphQL setDnsRecords dryRun (sandbox)',
      target: 'gateway',
      peers: GRAPHQL_PEERS,
      request: {
        method: 'POST',
        path: '/graphql',
        headers: jsonHeaders,
        body: JSON.stringify({
          query: print(SetDnsRecordsDocument),
          variables: {
            input: { domain: DOMAINS.sandbox, provider: 'SANDBOX', recordType: 'CAMPAIGN', credentials: { apiKey: 'sandbox' }, dryRun: true },
          },
        }),
      },
      check: expectJson((v) => {
        const r = v?.data?.setDnsRecords;
        return r?.__typename === 'SetDnsRecordsSuccess' && r.applied === false && r.changes.length > 0;
      }, 'a SetDnsRecordsSuccess plan, not applied'),
    },
    {
      id: 'rest-verify',
      title: 'REST dns.verify, ready domain (4 name servers on loopback)',
      target: 'gateway',
      // About forty DNS questions to the name servers per request, by design never answered from a cache: judged by
      // its own target (median at 1 connection), not by the p99 of cached request paths.
      callsUpstream: true,
      request: { method: 'GET', path: `/api/v1/dns.verify?Domain=${DOMAINS.verified}&RecordType=campaign`, headers: auth },
      check: expectJson((v) => v?.ready === true && Array.isArray(v.records) && v.records.every((r: { status: string }) => r.status === 'LIVE'), 'ready: true, every record LIVE'),
    },
    {
      id: 'rest-set-satisfied',
      title: 'REST dns.set, zone already satisfied (Cloudflare)',
      target: 'gateway',
      peers: REST_PEERS,
      callsUpstream: true,
      request: {
        method: 'POST',
        path: '/api/v1/dns.set',
        headers: jsonHeaders,
        body: JSON.stringify(setBody('cloudflare')),
      },
      check: expectJson((v) => v?.success === true, '{"success":true}'),
    },
  ];
}

/** The REST dns.set body for one provider, with the credentials its fake accepts. */
export function setBody(provider: 'cloudflare' | 'godaddy' | 'namecheap', extra: Record<string, unknown> = {}): Record<string, unknown> {
  const base = { Domain: DOMAINS.cloudflare, Provider: provider, RecordType: 'campaign', ...extra };
  switch (provider) {
    case 'cloudflare':
      return { ...base, ApiKey: BENCH_CREDENTIALS.cloudflareToken };
    case 'godaddy':
      return { ...base, ApiKey: BENCH_CREDENTIALS.godaddyKey, ApiSecret: BENCH_CREDENTIALS.godaddySecret };
    case 'namecheap':
      return { ...base, ApiKey: BENCH_CREDENTIALS.namecheapKey, ApiUser: BENCH_CREDENTIALS.namecheapUser, Username: BENCH_CREDENTIALS.namecheapUser };
  }
}

/** One request of a scenario, outside autocannon, returning the check's verdict. */
export async function checkScenario(baseUrl: string, scenario: Scenario): Promise<string | null> {
  const { method, path, headers, body } = scenario.request;
  const res = await fetch(`${baseUrl}${path}`, { method, headers, ...(body === undefined ? {} : { body }) });
  return scenario.check(res.status, await res.text());
}
