/**
 * Upstream calls per dns.set, for every provider the conformance suite runs (test/providers/drivers/index.ts): each
 * driver's loopback fake, seeded with the realistic zone, behind one gateway in this process. For each provider a dry
 * run (the plan), a first apply on the seeded zone and a re-apply on the satisfied zone, counted from the fake's own
 * call log and compared with the adapter's declared fewest calls (`capabilities.upstreamCalls`), which the
 * conformance suite asserts too. Token grants (cached) are not counted, as there.
 */
import { fewestCalls } from '../../providers/types.js';
import type { ConformanceDriver } from '../../test/providers/driver.js';
import { APEX } from '../../test/providers/driver.js';
import { DRIVERS } from '../../test/providers/drivers/index.js';
import { startGateway, postJson, bearer, type Gateway } from '../../test/helpers/gateway.js';
import { allProviders } from '../../scripts/docs.js';
import { startDnsServer } from '../../test/fakes/dns-server.js';

const SPF_INCLUDE = '_spf.sender-platform.net';

export interface ApplyCount {
  /** Upstream calls of the command (undefined for the sandbox: it has no upstream). */
  readonly calls: number | undefined;
  readonly writes: number;
  readonly minimum: number;
  /** The dns.set answer when it was not a success. */
  readonly failure: string | null;
}

export interface ProviderCallCount {
  readonly provider: string;
  /** CREATE/UPDATE/DELETE changes of the plan, and the distinct (type, name) rrsets they touch. */
  readonly writes: number;
  readonly changedRrsets: number;
  readonly firstApply: ApplyCount;
  readonly reapply: ApplyCount;
}

interface Change {
  readonly action: string;
  readonly type: string;
  readonly name: string;
}

function restBody(driver: ConformanceDriver, extra: Record<string, string> = {}): Record<string, string> {
  const c = driver.credentials;
  return {
    Domain: APEX,
    Provider: driver.id,
    RecordType: 'campaign',
    ApiKey: c.apiKey,
    ...(c.apiSecret ? { ApiSecret: c.apiSecret } : {}),
    ...(c.apiUser ? { ApiUser: c.apiUser } : {}),
    ...(c.username ? { Username: c.username } : {}),
    ...extra,
  };
}

async function counted(gateway: Gateway, driver: ConformanceDriver, minimum: number): Promise<ApplyCount> {
  const before = driver.calls();
  const res = await postJson(gateway, '/api/v1/dns.set', restBody(driver), bearer(gateway.adminKey));
  const after = driver.calls();
  const ok = res.status === 200 && res.json?.success === true;
  return {
    calls: after.total === undefined || before.total === undefined ? undefined : after.total - before.total,
    writes: after.writes - before.writes,
    minimum,
    failure: ok ? null : `HTTP ${res.status} ${res.text.slice(0, 300)}`,
  };
}

/** Starts every driver's fake and one gateway in front of them, counts, and stops them all. */
export async function countProviderCalls(): Promise<ProviderCallCount[]> {
  let env: Record<string, string> = {};
  for (const driver of DRIVERS) env = { ...env, ...(await driver.start()) };
  // The SPF includes of the seed zone and of the platform, so the merged record's lookup count can be established.
  const dns = await startDnsServer({
    records: [
      { name: '_spf.mailhost.example.net', type: 'TXT', ttl: 3600, data: 'v=spf1 ip4:192.0.2.0/24 -all' },
      { name: SPF_INCLUDE, type: 'TXT', ttl: 3600, data: 'v=spf1 ip4:198.51.100.0/24 -all' },
    ],
  });
  const gateway = await startGateway({ ...env, DNS_RESOLVERS: dns.address, SANDBOX_PROVIDER: 'true', RATE_LIMIT_MAX: '100000', MAIL_SPF_INCLUDE: SPF_INCLUDE });
  try {
    const counts: ProviderCallCount[] = [];
    for (const driver of DRIVERS) {
      driver.attach?.(gateway);
      await driver.reset();
      const declared = allProviders().find((p) => p.id === driver.id)!.capabilities.upstreamCalls;
      const dry = await postJson(gateway, '/api/v1/dns.set', restBody(driver, { DryRun: 'true' }), bearer(gateway.adminKey));
      const changes: Change[] = dry.status === 200 ? (dry.json.changes ?? []) : [];
      const written = changes.filter((c) => c.action === 'CREATE' || c.action === 'UPDATE' || c.action === 'DELETE');
      const changedRrsets = new Set(written.map((c) => `${c.type} ${c.name}`)).size;
      const updates = written.filter((c) => c.action === 'UPDATE').length;
      // Records in the zone each command reads, for a provider that reads record by record (OVH `readPerRecord`).
      const records = declared.readPerRecord ? (await driver.snapshot()).length : 0;
      const firstApply = await counted(gateway, driver, fewestCalls(declared, { changes: written.length, rrsets: changedRrsets, updates, records }).total);
      const reapplyRecords = declared.readPerRecord ? (await driver.snapshot()).length : 0;
      const reapply = await counted(gateway, driver, fewestCalls(declared, { changes: 0, rrsets: 0, updates: 0, records: reapplyRecords }).total);
      counts.push({ provider: driver.id, writes: written.length, changedRrsets, firstApply, reapply });
    }
    return counts;
  } finally {
    await gateway.close();
    await Promise.all([...DRIVERS.map((d) => d.stop()), dns.close()]);
  }
}
