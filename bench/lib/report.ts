/**
 * Turns measurements into the markdown the bench prints: the load table, the targets (met / not met), the upstream
 * call counts and the start-up times. Pure functions of the results, so the numbers in results.json and on screen
 * are the same numbers.
 */
import type { ProviderCallCount } from './call-counts.js';
import { median, type RunResult } from './load.js';

/** One row: a single run (1 and 10 connections) or the median of repeated runs (50 connections). */
export interface Row {
  readonly scenario: string;
  readonly title: string;
  readonly connections: number;
  readonly runs: number;
  readonly reqPerSec: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  /** Summed over the runs: any error in any run shows. */
  readonly errors: number;
  readonly non2xx: number;
  /** Highest over the runs. */
  readonly peakRssBytes: number | null;
  /** Highest foreign CPU load over the runs, in cores (see bench/lib/cpu.ts); null off Linux. */
  readonly foreignCores: number | null;
  /** Median over the runs of the server's CPU µs per request (bench/lib/load.ts); null off Linux. */
  readonly serverCpuUsPerRequest: number | null;
  /** The same for its main thread alone. */
  readonly serverMainThreadCpuUsPerRequest: number | null;
  /**
   * At 50 connections: the median, over the repeats, of each run's req/s over a baseline run made just before it
   * (bench/run.ts pairs them). Absent for the baseline itself and at other connection counts.
   */
  readonly pairedRatio?: number;
  /** `pairedRatio` where there is one, else reqPerSec / the baseline's reqPerSec at the same connection count. */
  readonly ratioToBaseline: number | null;
}

export interface Startup {
  /** Empty database: migrations and the admin key included. */
  readonly firstStartMs: number;
  /** Restarts on the existing database (median of these is the headline). */
  readonly restartsMs: readonly number[];
}

export interface Target {
  readonly name: string;
  readonly goal: string;
  readonly measured: string;
  readonly met: boolean;
}

/** Per-metric medians of repeated runs; errors summed, RSS the highest. */
export function combineRuns(scenario: string, title: string, runs: readonly RunResult[]): Omit<Row, 'ratioToBaseline'> {
  /** `combine` over the runs' readings of `metric`, leaving out runs without one; null when none has one. */
  const over = (metric: (r: RunResult) => number | null, combine: (values: number[]) => number): number | null => {
    const values = runs.map(metric).filter((v): v is number => v !== null);
    return values.length > 0 ? combine(values) : null;
  };
  const highest = (values: number[]) => Math.max(...values);
  return {
    scenario,
    title,
    connections: runs[0]!.connections,
    runs: runs.length,
    reqPerSec: median(runs.map((r) => r.reqPerSec)),
    p50Ms: median(runs.map((r) => r.p50Ms)),
    p99Ms: median(runs.map((r) => r.p99Ms)),
    errors: runs.reduce((n, r) => n + r.errors, 0),
    non2xx: runs.reduce((n, r) => n + r.non2xx, 0),
    peakRssBytes: over((r) => r.peakRssBytes, highest),
    foreignCores: over((r) => r.foreignCores, highest),
    serverCpuUsPerRequest: over((r) => r.serverCpuUsPerRequest, median),
    serverMainThreadCpuUsPerRequest: over((r) => r.serverMainThreadCpuUsPerRequest, median),
  };
}

export function withRatios(rows: readonly Omit<Row, 'ratioToBaseline'>[]): Row[] {
  return rows.map((row) => {
    const baseline = rows.find((r) => r.scenario === 'baseline' && r.connections === row.connections);
    if (row.pairedRatio !== undefined) return { ...row, ratioToBaseline: row.pairedRatio };
    return { ...row, ratioToBaseline: baseline && baseline.reqPerSec > 0 ? row.reqPerSec / baseline.reqPerSec : null };
  });
}

const mb = (bytes: number | null) => (bytes === null ? 'n/a' : `${(bytes / 1024 / 1024).toFixed(0)} MB`);
const ms = (v: number) => (v < 10 ? v.toFixed(2) : v.toFixed(1));

/** Foreign load above this (in cores) makes a row's numbers suspect: another process took CPU the bench needed. */
export const FOREIGN_LOAD_WARNING = 0.2;

const foreignCell = (cores: number | null) => (cores === null ? 'n/a' : `${cores.toFixed(2)}${cores > FOREIGN_LOAD_WARNING ? ' ⚠' : ''}`);

/** A warning line when other processes competed for CPU during any run, else null. */
export function contentionWarning(rows: readonly Row[]): string | null {
  const worst = Math.max(0, ...rows.map((r) => r.foreignCores ?? 0));
  if (worst <= FOREIGN_LOAD_WARNING) return null;
  return `**Warning: other processes used up to ${worst.toFixed(2)} cores during the runs marked ⚠; their numbers understate the gateway. Re-run on a quiet machine.**`;
}

/** `47 (33)`: all the server's threads, then its main thread alone. */
function cpuCell(r: Row): string {
  if (r.serverCpuUsPerRequest === null) return 'n/a';
  const main = r.serverMainThreadCpuUsPerRequest === null ? '' : ` (${r.serverMainThreadCpuUsPerRequest.toFixed(0)})`;
  return `${r.serverCpuUsPerRequest.toFixed(0)}${main}`;
}

export function loadTable(rows: readonly Row[]): string {
  const lines = [
    '| scenario | conns | req/s | p50 ms | p99 ms | errors / non-2xx | server CPU µs/req (main thread) | server peak RSS | × baseline | other load |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
  ];
  for (const r of rows) {
    const name = r.runs > 1 ? `${r.title} (median of ${r.runs})` : r.title;
    const ratio = r.ratioToBaseline === null ? '' : `${(r.ratioToBaseline * 100).toFixed(0)} %`;
    lines.push(`| ${name} | ${r.connections} | ${r.reqPerSec.toFixed(0)} | ${ms(r.p50Ms)} | ${ms(r.p99Ms)} | ${r.errors} / ${r.non2xx} | ${cpuCell(r)} | ${mb(r.peakRssBytes)} | ${ratio} | ${foreignCell(r.foreignCores)} |`);
  }
  return lines.join('\n');
}

/** The targets, judged on the 50-connection rows (the ratios also hold or fail at 1 and 10: see the table). */
export function judgeTargets(rows: readonly Row[], startup: Startup): Target[] {
  const at50 = (id: string) => rows.find((r) => r.scenario === id && r.connections === 50);
  const gatewayRows = rows.filter((r) => r.scenario !== 'baseline');
  const ratioTarget = (id: string, title: string, goal: number): Target => {
    const ratio = at50(id)?.ratioToBaseline ?? 0;
    return { name: `${title} req/s vs baseline (50 conns)`, goal: `≥ ${goal * 100} %`, measured: `${(ratio * 100).toFixed(0)} %`, met: ratio >= goal };
  };
  // dns.verify is judged by its own target below: each request is some forty DNS round trips, not a request path.
  const slowP99 = gatewayRows.filter((r) => r.connections === 50 && r.p99Ms >= 20 && r.scenario !== 'rest-verify');
  const errored = rows.filter((r) => r.errors + r.non2xx > 0);
  const rssValues = gatewayRows.map((r) => r.peakRssBytes).filter((v): v is number => v !== null);
  const peakRss = rssValues.length > 0 ? Math.max(...rssValues) : null;
  const restart = median(startup.restartsMs);
  return [
    ratioTarget('rest-provider', 'REST cached dns.provider', 0.5),
    ratioTarget('graphql-provider', 'GraphQL dnsProvider', 0.35),
    {
      name: 'p99 at 50 connections, every gateway scenario but dns.verify',
      goal: '< 20 ms',
      measured: slowP99.length === 0 ? 'all below' : slowP99.map((r) => `${r.scenario} ${ms(r.p99Ms)} ms`).join(', '),
      met: slowP99.length === 0,
    },
    {
      name: 'errors and non-2xx, every run',
      goal: '0',
      measured: errored.length === 0 ? '0' : errored.map((r) => `${r.scenario}@${r.connections}: ${r.errors}/${r.non2xx}`).join(', '),
      met: errored.length === 0,
    },
    { name: 'gateway peak RSS', goal: '< 200 MB', measured: mb(peakRss), met: peakRss !== null && peakRss < 200 * 1024 * 1024 },
    verifyTarget(rows),
    {
      name: 'start-up to first served request (restart, median)',
      goal: '< 1 s',
      measured: `${restart.toFixed(0)} ms (first start on an empty database: ${startup.firstStartMs.toFixed(0)} ms)`,
      met: restart < 1000,
    },
  ];
}

/** dns.verify of a ready domain, every authoritative server on loopback: its median latency for one caller. */
function verifyTarget(rows: readonly Row[]): Target {
  const row = rows.find((r) => r.scenario === 'rest-verify' && r.connections === 1);
  return {
    name: 'dns.verify of a ready domain (4 name servers on loopback), median at 1 connection',
    goal: '< 50 ms',
    measured: row ? `${ms(row.p50Ms)} ms (p99 ${ms(row.p99Ms)} ms)` : 'not measured',
    met: row !== undefined && row.p50Ms < 50,
  };
}

export function targetTable(targets: readonly Target[]): string {
  return ['| target | goal | measured | |', '|---|---|---|---|', ...targets.map((t) => `| ${t.name} | ${t.goal} | ${t.measured} | ${t.met ? 'met' : '**not met**'} |`)].join('\n');
}

export function callCountTable(counts: readonly ProviderCallCount[]): string {
  const lines = ['| provider | phase | upstream calls | writes | declared minimum |', '|---|---|---:|---:|---:|'];
  for (const c of counts) {
    for (const [phase, a] of [
      [`first apply (${c.writes} writes, ${c.changedRrsets} rrsets)`, c.firstApply],
      ['re-apply', c.reapply],
    ] as const) {
      const over = a.calls !== undefined && a.calls > a.minimum ? ' **over**' : '';
      const verdict = a.failure !== null ? ` **failed: ${a.failure}**` : over;
      lines.push(`| ${c.provider} | ${phase} | ${a.calls ?? '— (no upstream)'}${verdict} | ${a.writes} | ${a.minimum} |`);
    }
  }
  return lines.join('\n');
}
