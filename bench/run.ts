/**
 * `npm run bench`: load numbers for the gateway against a bare node:http baseline and the fastest peers (fastify,
 * mercurius with graphql-jit, graphql-yoga), upstream call counts per dns.set, and start-up time. Servers run as
 * child processes (baseline, peers, gateway, upstream fakes); autocannon runs here. Prints markdown and writes
 * bench/results.json. See bench/README.md.
 *
 * Options: --duration S (seconds per run, default 3), --repeats N (runs at 50 connections, default 3),
 * --only a,b (scenario ids; the baseline and the chosen scenarios' peers always run), --peers a,b (only these peers:
 * fastify, mercurius, yoga), --connections 1,10,50 (connection counts to run), --profile (also take a CPU
 * profile of the gateway under --profile-scenario, default graphql-provider, at --profile-connections, default 10, and
 * summarise it), --env K=V (gateway setting, repeatable), --out FILE (default
 * bench/results.json).
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { build as esbuild } from 'esbuild';
import { bundleOptions } from '../scripts/build.mjs';
import { ROOT, collectOutput, currentRssBytes, freePort, spawnNode, spawnTs, stopChild, waitForHttp } from './lib/children.js';
import { countProviderCalls, type ProviderCallCount } from './lib/call-counts.js';
import { createScenarioKeys } from './lib/keys.js';
import { gatewayEnv, setGatewayEnvOverrides, startGatewayProcess, type GatewayProcess } from './lib/gateway-process.js';
import { median, runLoad, type RunResult } from './lib/load.js';
import { formatSummary, summariseProfile, type CpuProfile, type ProfileSummary } from './lib/profile-summary.js';
import { callCountTable, combineRuns, contentionWarning, judgeTargets, loadTable, targetTable, withRatios, type Comparator, type MeasuredRow, type Startup } from './lib/report.js';
import { checkScenario, PEER_IDS, scenarios, type PeerId, type Scenario, type ServerId } from './lib/scenarios.js';
import { startUpstream, type Upstream } from './lib/upstream-client.js';
import { DOMAINS } from './lib/upstream-protocol.js';

const { values: args } = parseArgs({
  options: {
    duration: { type: 'string', default: '3' },
    repeats: { type: 'string', default: '3' },
    only: { type: 'string' },
    peers: { type: 'string' },
    connections: { type: 'string', default: '1,10,50' },
    profile: { type: 'boolean', default: false },
    'profile-scenario': { type: 'string', default: 'graphql-provider' },
    'profile-connections': { type: 'string', default: '10' },
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
/**
 * Seconds per measured run. @default 3 (90 runs of 3 s: 9 scenarios × 5 runs, and the paired runs of the baseline
 * and the peers at 50 connections; about 5½ minutes in all on a 2-core machine)
 */
const DURATION = Number(args.duration);
/** Runs at 50 connections; the row shows their median. @default 3 */
const REPEATS = Number(args.repeats);
/** Unrecorded run before each scenario, so the JIT has compiled the hot path before we measure it. */
const WARMUP = { connections: 10, durationSeconds: 1 };
/** Connection counts run per scenario (`--connections 50` for a quick comparison: the targets are judged at 50). */
const CONNECTIONS = (args.connections ?? '1,10,50').split(',').map(Number);
if (CONNECTIONS.some((n) => !Number.isInteger(n) || n < 1)) throw new Error(`--connections expects counts like 1,10,50, got "${args.connections}"`);
/** Where the peers are bundled to (bench/peers/*.ts → dist/bench-peers/*.js). */
const PEERS_OUT_DIR = 'dist/bench-peers';
/** Restarts timed on the existing database; the median is the headline start-up time. */
const RESTARTS = 3;

/** CLOCK_MONOTONIC in microseconds, the clock V8 stamps profile samples with. */
const monotonicUs = () => Number(process.hrtime.bigint() / 1000n);

/** Every scenario, in the order they run (the ids are fixed by bench/lib/scenarios.ts; an empty key is enough here). */
const SCENARIO_IDS = scenarios('').map((s) => s.id);
const SCENARIO_BY_ID = new Map(scenarios('').map((s) => [s.id, s]));
/** The gateway's scenarios: the ones that get API keys, and whose rows the targets judge. */
const GATEWAY_IDS = SCENARIO_IDS.filter((id) => SCENARIO_BY_ID.get(id)!.target === 'gateway');
const peersOf = (id: string): readonly PeerId[] => SCENARIO_BY_ID.get(id)?.peers ?? [];

const log = (line: string) => process.stderr.write(`${line}\n`);

/** An installed package's version, for the report. */
const version = (name: string): string => (JSON.parse(readFileSync(path.join(ROOT, 'node_modules', name, 'package.json'), 'utf8')) as { version: string }).version;

interface HelperServer {
  readonly url: string;
  readonly pid: number;
  stop(): Promise<void>;
}

/**
 * The servers the gateway is compared with, each in its own process: how it is started, and a GET that answers 200
 * once it is up (fastify's only route; a GraphQL GET for mercurius and yoga, which serve queries over GET by default).
 * The peers run as the gateway does: bundled by esbuild (packages left external, so each loads its own installed
 * code), on plain node, NODE_ENV=production. Not under tsx's loader, whose hooks answer every dynamic import() on
 * another thread; the baseline, which imports nothing after start-up, keeps running from its source.
 */
const HELPER_SERVERS: Record<'baseline' | PeerId, { script: string; built: boolean; probe: string }> = {
  baseline: { script: 'bench/baseline-server.ts', built: false, probe: '/' },
  fastify: { script: `${PEERS_OUT_DIR}/fastify.js`, built: true, probe: '/api/v1/dns.provider' },
  mercurius: { script: `${PEERS_OUT_DIR}/mercurius.js`, built: true, probe: '/graphql?query=%7B__typename%7D' },
  yoga: { script: `${PEERS_OUT_DIR}/yoga.js`, built: true, probe: '/graphql?query=%7B__typename%7D' },
};

/** Bundles bench/peers/<id>.ts into PEERS_OUT_DIR (after `npm run build`, which empties dist/). */
async function buildPeers(): Promise<void> {
  await esbuild({
    ...bundleOptions,
    entryPoints: PEER_IDS.map((id) => path.join(ROOT, 'bench', 'peers', `${id}.ts`)),
    outdir: path.join(ROOT, PEERS_OUT_DIR),
  });
}

async function startHelperServer(id: 'baseline' | PeerId): Promise<HelperServer> {
  const { script, built, probe } = HELPER_SERVERS[id];
  const port = await freePort();
  const startedAt = performance.now();
  const env = { ...process.env, PORT: String(port), NODE_ENV: 'production' };
  const child = built ? spawnNode(script, [], { env }) : spawnTs(script, [], { env });
  const output = collectOutput(child);
  const url = `http://127.0.0.1:${port}`;
  try {
    await waitForHttp(`${url}${probe}`, child, startedAt);
  } catch (error) {
    child.kill('SIGKILL');
    throw new Error(`${id}: ${(error as Error).message}\n${output.stderr()}`);
  }
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
  const scenarioKeys = await createScenarioKeys(gatewayEnv(upstream, dataDir, 0).DATABASE_URL!, GATEWAY_IDS);
  const restartsMs: number[] = [];
  let gateway: GatewayProcess | undefined;
  for (let i = 0; i < RESTARTS; i++) {
    await gateway?.stop();
    gateway = await startGatewayProcess(upstream, dataDir);
    restartsMs.push(gateway.startupMs);
  }
  return { gateway: gateway!, apiKey: first.initialKey, scenarioKeys, startup: { firstStartMs: first.startupMs, restartsMs } };
}

/** A server a scenario is compared with (the baseline, or a peer) and its request, for the paired runs. */
interface PairedServer {
  readonly id: Comparator;
  readonly url: string;
  readonly pid: number;
  readonly request: Scenario['request'];
}

async function measureScenario(scenario: Scenario, url: string, pid: number, benchPids: readonly number[], paired: readonly PairedServer[]): Promise<MeasuredRow[]> {
  const problem = await checkScenario(url, scenario);
  if (problem) throw new Error(`scenario ${scenario.id}: wrong answer before measuring: ${problem}`);
  await runLoad(url, scenario.request, { ...WARMUP, serverPid: pid });
  const rows: MeasuredRow[] = [];
  for (const connections of CONNECTIONS) {
    const runs: RunResult[] = [];
    const pairRatios: Partial<Record<Comparator, number[]>> = {};
    for (let i = 0; i < (connections === 50 ? REPEATS : 1); i++) {
      // At 50 connections each run is paired with a run of each server it is compared with (the baseline, then its
      // peers) just before it: a shared machine that slows down or speeds up during the bench then moves both sides
      // of each ratio alike.
      const before = new Map<Comparator, RunResult>();
      if (connections === 50) {
        for (const other of paired) before.set(other.id, await runLoad(other.url, other.request, { connections, durationSeconds: DURATION, serverPid: other.pid, benchPids }));
      }
      const run = await runLoad(url, scenario.request, { connections, durationSeconds: DURATION, serverPid: pid, benchPids });
      runs.push(run);
      for (const [id, other] of before) if (other.reqPerSec > 0) (pairRatios[id] ??= []).push(run.reqPerSec / other.reqPerSec);
    }
    const row: MeasuredRow = { ...combineRuns(scenario.id, scenario.title, runs), ...(Object.keys(pairRatios).length > 0 ? { pairedRatios: pairRatios } : {}) };
    const shares = Object.entries(pairRatios).map(([id, ratios]) => `${(median(ratios) * 100).toFixed(0)} % of ${id} (${ratios.map((r) => (r * 100).toFixed(0)).join(', ')})`);
    log(`  ${scenario.id} @${connections}: ${row.reqPerSec.toFixed(0)} req/s, p99 ${row.p99Ms.toFixed(2)} ms, errors ${row.errors}/${row.non2xx}${row.serverCpuUsPerRequest === null ? '' : `, server CPU ${row.serverCpuUsPerRequest.toFixed(0)} µs/request`}${shares.length === 0 ? '' : `, paired: ${shares.join('; ')}`}`);
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
    await runLoad(gateway.url, scenario.request, { connections: Number(args['profile-connections']), durationSeconds: DURATION, serverPid: gateway.pid });
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
  await buildPeers();
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'dns-gateway-bench-'));
  const upstream = await startUpstream();
  const only = args.only?.split(',');
  if (only) for (const id of only) if (!SCENARIO_BY_ID.has(id)) throw new Error(`--only: no scenario "${id}" (scenarios: ${SCENARIO_IDS.join(', ')})`);
  // The baseline always runs (every ratio needs it), and so do the peers of the chosen gateway scenarios.
  const peerFilter = args.peers?.split(',');
  if (peerFilter) for (const id of peerFilter) if (!PEER_IDS.includes(id as PeerId)) throw new Error(`--peers: no peer "${id}" (peers: ${PEER_IDS.join(', ')})`);
  const keptPeer = (id: string) => !PEER_IDS.includes(id as PeerId) || !peerFilter || peerFilter.includes(id);
  const selectedIds = SCENARIO_IDS.filter((id) => !only || id === 'baseline' || only.includes(id) || only.some((chosen) => peersOf(chosen).includes(id as PeerId))).filter(keptPeer);
  const helpers = new Map<'baseline' | PeerId, HelperServer>();
  try {
    for (const id of ['baseline', ...PEER_IDS] as const) if (selectedIds.includes(id)) helpers.set(id, await startHelperServer(id));
    log('timing start-up…');
    const { gateway, apiKey, scenarioKeys, startup } = await startAndTime(upstream, dataDir);

    log('counting upstream calls per dns.set…');
    const callCounts: ProviderCallCount[] = await countProviderCalls();

    // Warm the detection cache: the dns.provider scenarios measure the cached path.
    await fetch(`${gateway.url}/api/v1/dns.provider?Domain=${DOMAINS.cloudflare}`, { headers: { authorization: `Bearer ${apiKey}` } }).then((r) => r.text());

    const idleRssBytes = currentRssBytes(gateway.pid);
    /** A scenario with each load connection's own key (gateway scenarios; the others check no key). */
    const withKeys = (id: string): Scenario => {
      const keys = scenarioKeys[id];
      if (!keys) return SCENARIO_BY_ID.get(id)!;
      const forKey = (key: string) => scenarios(key).find((s) => s.id === id)!;
      const scenario = forKey(keys[0]!);
      return { ...scenario, request: { ...scenario.request, perConnection: keys.map((key) => forKey(key).request) } };
    };
    const servers = new Map<ServerId, { url: string; pid: number }>([...helpers, ['gateway', gateway]]);
    const measured: MeasuredRow[] = [];
    // The processes that are part of the bench, not foreign load, whichever is being measured.
    const benchPids = [upstream.pid, ...[...helpers.values()].map((h) => h.pid)];
    for (const scenario of selectedIds.map(withKeys)) {
      log(`measuring ${scenario.id}…`);
      const server = servers.get(scenario.target)!;
      const comparators: Comparator[] = scenario.target === 'baseline' ? [] : ['baseline', ...(scenario.peers ?? []).filter(keptPeer)];
      const paired = comparators.map((id): PairedServer => ({ id, ...servers.get(id)!, request: SCENARIO_BY_ID.get(id)!.request }));
      measured.push(...(await measureScenario(scenario, server.url, server.pid, benchPids.filter((pid) => pid !== server.pid), paired)));
    }
    await gateway.stop();

    let profile: ProfileSummary | null = null;
    if (args.profile) {
      const scenario = SCENARIO_IDS.includes(args['profile-scenario'] ?? '') ? withKeys(args['profile-scenario']!) : undefined;
      if (!scenario || scenario.target !== 'gateway') throw new Error(`--profile-scenario: no gateway scenario "${args['profile-scenario']}"`);
      log(`profiling ${scenario.id}…`);
      profile = await profileScenario(upstream, dataDir, scenario);
    }

    const rows = withRatios(measured, peersOf);
    const targets = judgeTargets(rows, startup, (id) => GATEWAY_IDS.includes(id), (id) => !SCENARIO_BY_ID.get(id)?.callsUpstream);
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
      `${machine.cpuModel}, ${machine.cores} cores, ${machine.totalMemoryMb} MB, Node ${machine.node}. ${DURATION} s per run at ${CONNECTIONS.join(', ')} connections; 50-connection rows are the median of ${REPEATS} runs, and their × columns the median of ${REPEATS} paired ratios (each run against a run of the baseline and of the scenario's peers just before it). Peers: fastify ${version('fastify')}, mercurius ${version('mercurius')} with graphql-jit ${version('graphql-jit')}, graphql-yoga ${version('graphql-yoga')}. autocannon, the servers and the upstream fakes share the machine.`,
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
      ...(profile ? ['', `### CPU profile: ${args['profile-scenario']} at ${args['profile-connections']} connections`, '', formatSummary(profile)] : []),
      '',
      `Bench took ${((performance.now() - benchStarted) / 1000).toFixed(0)} s.`,
    ].join('\n');
    process.stdout.write(`${output}\n`);
    await writeFile(
      path.resolve(ROOT, args.out),
      `${JSON.stringify({ machine, settings: { durationSeconds: DURATION, repeatsAt50: REPEATS, connections: CONNECTIONS, peers: PEER_IDS.filter(keptPeer), warmup: WARMUP, gatewayEnvOverrides: ENV_OVERRIDES }, rows, targets, callCounts, startup: { ...startup, idleRssBytes }, profile }, null, 2)}\n`,
    );
    log(`wrote ${args.out}`);
  } finally {
    for (const helper of helpers.values()) await helper.stop();
    await upstream.stop();
    await rm(dataDir, { recursive: true, force: true });
  }
}

await main();
