/**
 * The measured requests. Each scenario is checked once before it is measured (status and body), so a fast stream
 * of wrong answers — a 200 carrying a GraphQL error, say — cannot pass for throughput.
 */
import { print } from 'graphql';
import { DnsProviderDocument, SetDnsRecordsDocument } from '../../test/graphql/generated/graphql.js';
import type { RequestSpec } from './load.js';
import { BENCH_CREDENTIALS, DOMAINS } from './upstream-protocol.js';

export interface Scenario {
  readonly id: string;
  readonly title: string;
  readonly target: 'baseline' | 'gateway';
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
  return [
    {
      id: 'baseline',
      title: 'baseline node:http',
      target: 'baseline',
      request: { method: 'GET', path: `/api/v1/dns.provider?Domain=${DOMAINS.cloudflare}`, headers: {} },
      check: expectJson(isCloudflare, '{"provider":"cloudflare"}'),
    },
    {
      id: 'rest-provider',
      title: 'REST GET dns.provider (cached)',
      target: 'gateway',
      request: { method: 'GET', path: `/api/v1/dns.provider?Domain=${DOMAINS.cloudflare}`, headers: auth },
      check: expectJson(isCloudflare, 'provider cloudflare'),
    },
    {
      id: 'apiphp-provider',
      title: '/api.php form POST dns.provider',
      target: 'gateway',
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
      request: {
        method: 'POST',
        path: '/graphql',
        headers: jsonHeaders,
        body: JSON.stringify({ query: print(DnsProviderDocument), variables: { domain: DOMAINS.cloudflare } }),
      },
      check: expectJson((v) => v?.data?.dnsProvider?.provider === 'cloudflare' && v.errors === undefined, 'data.dnsProvider.provider cloudflare'),
    },
    {
      id: 'graphql-set-dry',
      title: 'GraphQL setDnsRecords dryRun (sandbox)',
      target: 'gateway',
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
      request: { method: 'GET', path: `/api/v1/dns.verify?Domain=${DOMAINS.verified}&RecordType=campaign`, headers: auth },
      check: expectJson((v) => v?.ready === true && Array.isArray(v.records) && v.records.every((r: { status: string }) => r.status === 'LIVE'), 'ready: true, every record LIVE'),
    },
    {
      id: 'rest-set-satisfied',
      title: 'REST dns.set, zone already satisfied (Cloudflare)',
      target: 'gateway',
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
