/**
 * Upstream calls per dns.set, per provider, counted from the fakes' own call logs: a first apply on the seeded zone,
 * then a re-apply on the now-satisfied zone. Compared with the fewest calls the provider's API allows:
 * Cloudflare zone lookup + record list + one batch (re-apply: the two reads); GoDaddy one zone read + one PUT per
 * changed rrset (re-apply: the read); Namecheap getHosts + setHosts (re-apply: getHosts).
 */
import { setBody } from './scenarios.js';
import type { Upstream } from './upstream-client.js';

export type CountedProvider = 'cloudflare' | 'godaddy' | 'namecheap';

export interface ApplyCount {
  /** HTTP status of the dns.set answer, and its body when it was not a success. */
  readonly status: number;
  readonly failure: string | null;
  readonly calls: readonly string[];
  readonly minimum: number;
  /** Name-server queries the gateway made meanwhile (SPF lookup counting), not provider calls. */
  readonly dnsQueries: number;
}

export interface ProviderCallCount {
  readonly provider: CountedProvider;
  /** CREATE/UPDATE/DELETE changes of the plan, and the distinct (type, name) rrsets they touch. */
  readonly writes: number;
  readonly changedRrsets: number;
  readonly firstApply: ApplyCount;
  readonly reapply: ApplyCount;
}

interface Change {
  action: string;
  type: string;
  name: string;
}

export function minimumCalls(provider: CountedProvider, changedRrsets: number, phase: 'first' | 'reapply'): number {
  switch (provider) {
    case 'cloudflare':
      return phase === 'first' && changedRrsets > 0 ? 3 : 2;
    case 'godaddy':
      return 1 + (phase === 'first' ? changedRrsets : 0);
    case 'namecheap':
      return phase === 'first' && changedRrsets > 0 ? 2 : 1;
  }
}

async function post(gatewayUrl: string, apiKey: string, body: Record<string, unknown>): Promise<{ status: number; text: string }> {
  const res = await fetch(`${gatewayUrl}/api/v1/dns.set`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${apiKey}` },
    body: JSON.stringify(body),
  });
  return { status: res.status, text: await res.text() };
}

async function countedApply(gatewayUrl: string, apiKey: string, upstream: Upstream, provider: CountedProvider, minimum: number): Promise<ApplyCount> {
  await upstream.reset();
  const res = await post(gatewayUrl, apiKey, setBody(provider));
  const logs = await upstream.calls();
  const ok = res.status === 200 && res.text === '{"success":true}';
  return { status: res.status, failure: ok ? null : res.text.slice(0, 500), calls: logs[provider], minimum, dnsQueries: logs.dns.length };
}

/** Runs a dry run (to learn the plan), the first apply and the re-apply for one provider. */
export async function countProviderCalls(gatewayUrl: string, apiKey: string, upstream: Upstream, provider: CountedProvider): Promise<ProviderCallCount> {
  const dry = await post(gatewayUrl, apiKey, setBody(provider, { DryRun: true }));
  const changes: Change[] = dry.status === 200 ? (JSON.parse(dry.text).changes ?? []) : [];
  const writes = changes.filter((c) => c.action === 'CREATE' || c.action === 'UPDATE' || c.action === 'DELETE');
  const changedRrsets = new Set(writes.map((c) => `${c.type} ${c.name}`)).size;
  const firstApply = await countedApply(gatewayUrl, apiKey, upstream, provider, minimumCalls(provider, changedRrsets, 'first'));
  const reapply = await countedApply(gatewayUrl, apiKey, upstream, provider, minimumCalls(provider, changedRrsets, 'reapply'));
  return { provider, writes: writes.length, changedRrsets, firstApply, reapply };
}
