/**
 * `npm run bench`: load numbers for the gateway against a bare node:http baseline, upstream call counts per dns.set,
 * and start-up time. Servers run as child processes (baseline, gateway, upstream fakes); autocannon runs here.
 * Prints markdown and writes bench/results.json. See bench/README.md.
 *
 * Options: --duration S (seconds per run, default 3), --repeats N (runs at 50 connections, default 3),
 * --only a,b (scenario ids), --profile (also take a CPU profile of the gateway under --profile-scenario,
 * default graphql-provider, and summarise it), --env K=V (gateway setting, repeatable), --out FILE (default
 * bench/results.json).
 */
import { execFileSync } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { ROOT, collectOutput, currentRssBytes, freePort, spawnTs, stopChild, waitForHttp } from './lib/children.js';
import { countProviderCalls, type ProviderCallCount } from './lib/call-counts.js';
import { createScenarioKeys } from './lib/keys.js';
import { gatewayEnv, setGatewayEnvOverrides, startGatewayProcess, type GatewayProcess } from './lib/gateway-process.js';
import { median, runLoad, type RunResult } from './lib/load.js';
import { formatSummary, summariseProfile, type CpuProfile, type ProfileSummary } from './lib/profile-summary.js';
import { callCountTable, combineRuns, contentionWarning, judgeTargets, loadTable, targetTable, withRatios, type Row, type Startup } from './lib/report.js';
import { checkScenario, scenarios, type Scenario } from './lib/scenarios.js';
import { startUpstream, type Upstream } from './lib/upstream-client.js';
import { DOMAINS } from './lib/upstream-protocol.js';

const { values: args } = parseArgs({
  options: {
    duration: { type: 'string', default: '3' },
    repeats: { type: 'string', default: '3' },
    only: { type: 'string' },
    profile: { type: 'boolean', default: false },
    'profile-scenario': { type: 'string', default: 'graphql-provider' },
    env: { type: 'string', multiple: true, default: [] },
    out: { type: 'string', default: 'bench/results.json' },
  },
});
/** `--env K=V` (repeatable): gateway settings to compare, e.g. `--env RATE_LIMIT_WINDOW_SECONDS=1`. */
const ENV_OVERRIDES = Object.fromEntries(
  (args.env ?? []).map((pair) => {
    const at = pair.indexOf('=');
    if (at < 1) throw new Error(`--env expects KEY=VALUE, got "${pair}"`);
    return [pair.slice(0, at), pair.slice(at + 1)];
  }),
);
setGatewayEnvOverrides(ENV_OVERRIDES);
/** Seconds per measured run. @default 3 (6 scenarios × 5 runs × 3 s keeps the whole bench under 3 minutes even on a busy 2-core machine, where each gateway start takes seconds) */
const DURATION = Number(args.duration);
/** Runs at 50 connections; the row shows their median. @default 3 */
const REPEATS = Number(args.repeats);
/** Unrecorded run before each scenario, so the JIT has compiled the hot path before we measure it. */
const WARMUP = { connections: 10, durationSeconds: 1 };
const CONNECTIONS = [1, 10, 50] as const;
/** Restarts timed on the existing database; the median is the headline start-up time. */
const RESTARTS = 3;

/** CLOCK_MONOTONIC in microseconds, the clock V8 stamps profile samples with. */
const monotonicUs = () => Number(process.hrtime.bigint() / 1000n);

/** Every scenario, in the order they run (the ids are fixed by bench/lib/scenarios.ts; an empty key is enough here). */
const SCENARIO_IDS = scenarios('').map((s) => s.id);

const log = (line: string) => process.stderr.write(`${line}\n`);

async function startBaseline(): Promise<{ url: string; pid: number; stop: () => Promise<void> }> {
  const port = await freePort();
  const startedAt = performance.now();
  const child = spawnTs('bench/baseline-server.ts', [], { env: { ...process.env, PORT: String(port) } });
  collectOutput(child);
  const url = `http://127.0.0.1:${port}`;
  await waitForHttp(url, child, startedAt);
  return { url, pid: child.pid!, stop: () => stopChild(child) };
}

/** First start on an empty database (captures the admin key), then timed restarts; the last one stays up. */
async function startAndTime(
  upstream: Upstream,
  dataDir: string,
): Promise<{ gateway: GatewayProcess; apiKey: string; scenarioKeys: Record<string, string[]>; startup: Startup }> {
  const first = await startGatewayProcess(upstream, dataDir, { expectKey: true });
  if (!first.initialKey) throw new Error('the first start on an empty database printed no admin key');
  await first.stop();
  const scenarioKeys = await createScenarioKeys(gatewayEnv(upstream, dataDir, 0).DATABASE_URL!, SCENARIO_IDS);
  const restartsMs: number[] = [];
  let gateway: GatewayProcess | undefined;
  for (let i = 0; i < RESTARTS; i++) {
    await gateway?.stop();
    gateway = await startGatewayProcess(upstream, dataDir);
    restartsMs.push(gateway.startupMs);
  }
  return { gateway: gateway!, apiKey: first.initialKey, scenarioKeys, startup: { firstStartMs: first.startupMs, restartsMs } };
}

/** The baseline server and its request, for the runs paired with a gateway scenario's 50-connection repeats. */
interface PairedBaseline {
  readonly url: string;
  readonly pid: number;
  readonly request: Scenario['request'];
}

async function measureScenario(scenario: Scenario, url: string, pid: number, benchPids: readonly number[], paired?: PairedBaseline): Promise<Omit<Row, 'ratioToBaseline'>[]> {
  const problem = await checkScenario(url, scenario);
  if (problem) throw new Error(`scenario ${scenario.id}: wrong answer before measuring: ${problem}`);
  await runLoad(url, scenario.request, { ...WARMUP, serverPid: pid });
  const rows: Omit<Row, 'ratioToBaseline'>[] = [];
  for (const connections of CONNECTIONS) {
    const runs: RunResult[] = [];
    const pairRatios: number[] = [];
    for (let i = 0; i < (connections === 50 ? REPEATS : 1); i++) {
      // At 50 connections each run is paired with a baseline run just before it: a shared machine that slows down
      // or speeds up during the bench then moves both sides of each ratio alike.
      const before = connections === 50 && paired ? await runLoad(paired.url, paired.request, { connections, durationSeconds: DURATION, serverPid: paired.pid, benchPids }) : null;
      const run = await runLoad(url, scenario.request, { connections, durationSeconds: DURATION, serverPid: pid, benchPids });
      runs.push(run);
      if (before && before.reqPerSec > 0) pairRatios.push(run.reqPerSec / before.reqPerSec);
    }
    const row = { ...combineRuns(scenario.id, scenario.title, runs), ...(pairRatios.length > 0 ? { pairedRatio: median(pairRatios) } : {}) };
    log(`  ${scenario.id} @${connections}: ${row.reqPerSec.toFixed(0)} req/s, p99 ${row.p99Ms.toFixed(2)} ms, errors ${row.errors}/${row.non2xx}${row.serverCpuUsPerRequest === null ? '' : `, server CPU ${row.serverCpuUsPerRequest.toFixed(0)} µs/request`}${row.pairedRatio === undefined ? '' : `, ${(row.pairedRatio * 100).toFixed(0)} % of the paired baseline runs`}`);
    rows.push(row);
  }
  // Still right after the load: a server that degrades into errors under load must not go unnoticed.
  const after = await checkScenario(url, scenario);
  if (after) throw new Error(`scenario ${scenario.id}: wrong answer after measuring: ${after}`);
  return rows;
}

/** A second gateway with --cpu-prof, driven by one scenario; the profile is written when it exits. */
async function profileScenario(upstream: Upstream, dataDir: string, scenario: Scenario): Promise<ProfileSummary> {
  const profileDir = path.join(dataDir, 'profile');
  const window = { fromUs: 0, toUs: 0 };
  const gateway = await startGatewayProcess(upstream, dataDir, { nodeFlags: ['--cpu-prof', '--cpu-prof-dir', profileDir] });
  try {
    await checkScenario(gateway.url, scenario);
    await runLoad(gateway.url, scenario.request, { ...WARMUP, serverPid: gateway.pid });
    window.fromUs = monotonicUs();
    await runLoad(gateway.url, scenario.request, { connections: 10, durationSeconds: DURATION, serverPid: gateway.pid });
    window.toUs = monotonicUs();
  } finally {
    // Writing the profile on exit takes seconds (several for a dns.set run): more than the default grace.
    await gateway.stop(120_000);
  }
  const files = (await readdir(profileDir)).filter((f) => f.endsWith('.cpuprofile'));
  if (files.length === 0) throw new Error('the profiled gateway wrote no .cpuprofile (did it exit gracefully?)');
  const saved = path.join(ROOT, 'bench', `profile-${scenario.id}.cpuprofile`);
  const text = await readFile(path.join(profileDir, files[0]!), 'utf8');
  await writeFile(saved, text);
  await writeFile(saved.replace(/\.cpuprofile$/, '.window.json'), `${JSON.stringify(window)}\n`);
  log(`CPU profile saved to ${path.relative(ROOT, saved)} (open it in Chrome DevTools → Performance)`);
  // Only the measured run: start-up and warm-up (module loading, first compiles) are not the request path.
  const profile = JSON.parse(text) as CpuProfile;
  const windowed = summariseProfile(profile, ROOT, 20, window);
  if (windowed.totalMs > 0) return windowed;
  log('no profile samples inside the measured window (clock mismatch?): summarising the whole profile, start-up included');
  return summariseProfile(profile, ROOT, 20);
}

async function main(): Promise<void> {
  const benchStarted = performance.now();
  const loadBefore = os.loadavg();
  // Measure what `npm start` runs: the bundled server on plain node.
  log('building dist/ (npm run build)…');
  execFileSync('npm', ['run', '--silent', 'build'], { cwd: ROOT, stdio: 'inherit' });
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'dns-gateway-bench-'));
  const upstream = await startUpstream();
  const baseline = await startBaseline();
  try {
    log('timing start-up…');
    const { gateway, apiKey, scenarioKeys, startup } = await startAndTime(upstream, dataDir);

    log('counting upstream calls per dns.set…');
    const callCounts: ProviderCallCount[] = await countProviderCalls();

    // Warm the detection cache: the dns.provider scenarios measure the cached path.
    await fetch(`${gateway.url}/api/v1/dns.provider?Domain=${DOMAINS.cloudflare}`, { headers: { authorization: `Bearer ${apiKey}` } }).then((r) => r.text());

    const idleRssBytes = currentRssBytes(gateway.pid);
    const only = args.only?.split(',');
    const withKeys = (id: string): Scenario => {
        const keys = scenarioKeys[id]!;
        const forKey = (key: string) => scenarios(key).find((s) => s.id === id)!;
        const scenario = forKey(keys[0]!);
        return { ...scenario, request: { ...scenario.request, perConnection: keys.map((key) => forKey(key).request) } };
    };
    const selected = SCENARIO_IDS.filter((id) => !only || only.includes(id) || id === 'baseline').map(withKeys);
    const measured: Omit<Row, 'ratioToBaseline'>[] = [];
    const baselineScenario = withKeys('baseline');
    for (const scenario of selected) {
      log(`measuring ${scenario.id}…`);
      const server = scenario.target === 'baseline' ? baseline : gateway;
      const paired = scenario.target === 'baseline' ? undefined : { url: baseline.url, pid: baseline.pid, request: baselineScenario.request };
      measured.push(...(await measureScenario(scenario, server.url, server.pid, [upstream.pid, baseline.pid], paired)));
    }
    await gateway.stop();

    let profile: ProfileSummary | null = null;
    if (args.profile) {
      const scenario = SCENARIO_IDS.includes(args['profile-scenario'] ?? '') ? withKeys(args['profile-scenario']!) : undefined;
      if (!scenario || scenario.target !== 'gateway') throw new Error(`--profile-scenario: no gateway scenario "${args['profile-scenario']}"`);
      log(`profiling ${scenario.id}…`);
      profile = await profileScenario(upstream, dataDir, scenario);
    }

    const rows = withRatios(measured);
    const targets = judgeTargets(rows, startup);
    const machine = {
      cpuModel: os.cpus()[0]?.model ?? 'unknown',
      cores: os.cpus().length,
      totalMemoryMb: Math.round(os.totalmem() / 1024 / 1024),
      platform: `${os.platform()} ${os.release()}`,
      node: process.version,
      loadAverageBefore: loadBefore,
      loadAverageAfter: os.loadavg(),
      date: new Date().toISOString(),
    };
    const output = [
      `## Benchmark (${machine.date})`,
      '',
      `${machine.cpuModel}, ${machine.cores} cores, ${machine.totalMemoryMb} MB, Node ${machine.node}. ${DURATION} s per run; 50-connection rows are the median of ${REPEATS} runs. autocannon, the gateway and the upstream fakes share the machine.`,
      '',
      loadTable(rows),
      '',
      ...[contentionWarning(rows)].filter((w): w is string => w !== null).flatMap((w) => [w, '']),
      `Load average before / after: ${loadBefore.map((v) => v.toFixed(1)).join(' ')} / ${os.loadavg().map((v) => v.toFixed(1)).join(' ')}.`,
      '',
      '### Targets',
      '',
      targetTable(targets),
      '',
      '### Upstream calls per dns.set (campaign record set, seeded zone)',
      '',
      callCountTable(callCounts),
      '',
      `Start-up (spawn → first 200 from /healthz): first start ${startup.firstStartMs.toFixed(0)} ms; restarts ${startup.restartsMs.map((v) => v.toFixed(0)).join(', ')} ms. Gateway RSS before the load: ${idleRssBytes === null ? 'n/a' : `${(idleRssBytes / 1024 / 1024).toFixed(0)} MB`}.`,
      ...(Object.keys(ENV_OVERRIDES).length > 0 ? ['', `Gateway settings changed for this run: ${Object.entries(ENV_OVERRIDES).map(([k, v]) => `${k}=${v}`).join(', ')}.`] : []),
      ...(profile ? ['', `### CPU profile: ${args['profile-scenario']} at 10 connections`, '', formatSummary(profile)] : []),
      '',
      `Bench took ${((performance.now() - benchStarted) / 1000).toFixed(0)} s.`,
    ].join('\n');
    process.stdout.write(`${output}\n`);
    await writeFile(
      path.resolve(ROOT, args.out),
      `${JSON.stringify({ machine, settings: { durationSeconds: DURATION, repeatsAt50: REPEATS, warmup: WARMUP, gatewayEnvOverrides: ENV_OVERRIDES }, rows, targets, callCounts, startup: { ...startup, idleRssBytes }, profile }, null, 2)}\n`,
    );
    log(`wrote ${args.out}`);
  } finally {
    await baseline.stop();
    await upstream.stop();
    await rm(dataDir, { recursive: true, force: true });
  }
}

await main();
