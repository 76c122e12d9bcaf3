/**
 * The gateway as a child process (`src/cli.ts serve`, as `npm start` runs it), wired to the upstream fakes, with a
 * SQLite file in a temp dir and the rate limit raised out of the way.
 */
import type { ChildProcess } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { ROOT, collectOutput, freePort, spawnNode, stopChild, waitForHttp } from './children.js';
import { BENCH_CREDENTIALS, BENCH_MAIL } from './upstream-protocol.js';
import type { Upstream } from './upstream-client.js';

export interface GatewayProcess {
  readonly url: string;
  readonly pid: number;
  readonly child: ChildProcess;
  /** Spawn to the first 200 from /healthz. */
  readonly startupMs: number;
  /** The admin key printed on stdout by the first start on an empty database; null on later starts. */
  readonly initialKey: string | null;
  /** The file the gateway's stdout (its JSON log lines) goes to. */
  readonly logFile: string;
  /** SIGTERM, then SIGKILL after `graceMs` (@default 10 s; a --cpu-prof process needs longer: it writes its profile on exit). */
  stop(graceMs?: number): Promise<void>;
}

/**
 * The node flags `npm start` runs the server with (package.json `config.serverNodeFlags`, which its start script
 * expands), so that the bench measures the same process.
 */
const SERVER_NODE_FLAGS: readonly string[] = (
  (JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { config?: { serverNodeFlags?: string } }).config?.serverNodeFlags ?? ''
)
  .split(/\s+/)
  .filter(Boolean);

/** Extra variables for the gateway (`--env K=V` on the bench command line), applied over the defaults below. */
let overrides: Record<string, string> = {};
export function setGatewayEnvOverrides(values: Record<string, string>): void {
  overrides = { ...values };
}

export function gatewayEnv(upstream: Upstream, dataDir: string, port: number): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    // Production mode, as deployed; the sandbox provider is switched on explicitly for the dry-run scenario.
    NODE_ENV: 'production',
    SANDBOX_PROVIDER: 'true',
    HOST: '127.0.0.1',
    PORT: String(port),
    DATABASE_URL: `sqlite:${path.join(dataDir, 'bench.db')}`,
    LOG_LEVEL: 'info',
    // Out of the way: the bench measures the request path, not the limiter's refusals.
    RATE_LIMIT_MAX: '100000000',
    // A 1 s window keeps each key's log of counted requests (one key per connection, lib/keys.ts) to its last second:
    // the limiter's cost per request does not depend on it (src/rate-limit/store.ts), its memory does.
    RATE_LIMIT_WINDOW_SECONDS: '1',
    DNS_RESOLVERS: upstream.dnsAddress,
    CLOUDFLARE_API_URL: upstream.cloudflareUrl,
    GODADDY_API_URL: upstream.godaddyUrl,
    NAMECHEAP_API_URL: upstream.namecheapUrl,
    NAMECHEAP_CLIENT_IP: BENCH_CREDENTIALS.namecheapClientIp,
    MAIL_MASTER_DOMAIN: BENCH_MAIL.masterDomain,
    // Set so that dns.set merges an include into the seeded apex SPF (an UPDATE) and counts its lookups.
    MAIL_SPF_INCLUDE: BENCH_MAIL.spfInclude,
    // dns.verify asks the verified domain's name servers on loopback (bench/upstream.ts), on their port.
    DNS_AUTHORITATIVE_PORT: String(upstream.authoritativePort),
    DNS_AUTHORITATIVE_ALLOW_PRIVATE: 'true',
    // Metrics on, as a deployment that scrapes them runs: every request is counted and timed (src/services/metrics.ts).
    METRICS_TOKEN: 'bench-metrics-token-0123456789',
    ...overrides,
  };
}

/** Starts `node dist/cli.js serve` and waits for /healthz. `nodeFlags` e.g. `--cpu-prof`. */
export async function startGatewayProcess(upstream: Upstream, dataDir: string, options: { nodeFlags?: readonly string[]; expectKey?: boolean } = {}): Promise<GatewayProcess> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const startedAt = performance.now();
  // The built server (`npm start` runs `npm run build` then `node dist/cli.js serve`); run.ts builds it first.
  // stdout (one JSON log line per request) goes to a file, as a deployment writes it to a file or the journal. Piped
  // to this process instead, it would be read by the event loop that also runs autocannon: the load generator would
  // spend CPU on the gateway's logs, and the logging scenarios would be measured lower than they are.
  const logFile = path.join(dataDir, `gateway-${port}.log`);
  const stdout = openSync(logFile, 'a');
  const child = spawnNode('dist/cli.js', ['serve'], { env: gatewayEnv(upstream, dataDir, port), nodeFlags: [...SERVER_NODE_FLAGS, ...(options.nodeFlags ?? [])], stdout });
  closeSync(stdout); // the child holds its own copy
  const output = collectOutput(child);
  let startupMs: number;
  try {
    startupMs = await waitForHttp(`${url}/healthz`, child, startedAt);
  } catch (error) {
    child.kill('SIGKILL');
    throw new Error(`${(error as Error).message}\n--- gateway stderr ---\n${output.stderr()}`);
  }
  // The key is the only stdout line that is not a JSON log line. It is printed just after the server starts
  // listening, so it may trail the first /healthz answer by a moment.
  const findKey = () => readFileSync(logFile, 'utf8').split('\n').find((line) => line.startsWith('dgk_'));
  let keyLine = findKey();
  for (let waited = 0; options.expectKey && keyLine === undefined && waited < 5_000; waited += 10) {
    await new Promise((r) => setTimeout(r, 10));
    keyLine = findKey();
  }
  return {
    url,
    pid: child.pid!,
    child,
    startupMs,
    initialKey: keyLine?.trim() ?? null,
    logFile,
    stop: (graceMs) => stopChild(child, graceMs),
  };
}
