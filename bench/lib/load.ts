/**
 * One autocannon run, with latencies taken from autocannon's per-response events rather than its histogram: the
 * histogram's resolution is 1 ms, too coarse for a server that answers in a fraction of one.
 */
import autocannon from 'autocannon';
import { peakRssBytes, resetPeakRss } from './children.js';
import { processCpuSeconds, watchCpu } from './cpu.js';

export interface RequestSpec {
  readonly method: 'GET' | 'POST';
  /** Path and query. */
  readonly path: string;
  readonly headers: Record<string, string>;
  readonly body?: string;
  /** One request per connection (cycled): the same request with each connection's own API key. */
  readonly perConnection?: readonly RequestSpec[];
}

export interface RunResult {
  readonly connections: number;
  readonly durationSeconds: number;
  readonly requests: number;
  readonly reqPerSec: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  /** Connection errors and timeouts. */
  readonly errors: number;
  readonly non2xx: number;
  /** Peak resident set of the server process during this run, or null where it cannot be read. */
  readonly peakRssBytes: number | null;
  /** False where the peak could not be reset: then it is the peak since the process started (an upper bound). */
  readonly rssPerRun: boolean;
  /** Cores' worth of CPU that processes outside the bench used meanwhile (null off Linux). */
  readonly foreignCores: number | null;
  /**
   * The server process's CPU time (user + system, so its socket writes included) per answered request, in µs; null
   * off Linux. Unlike req/s it does not depend on how busy the load generator keeps the server, so it is the number
   * that shows what a change to the request path costs or saves.
   */
  readonly serverCpuUsPerRequest: number | null;
  /** The part of it spent on the server's main thread (the event loop); the rest is V8's and libuv's helper threads. */
  readonly serverMainThreadCpuUsPerRequest: number | null;
}

/** The value below which `fraction` of the sorted values lie (nearest rank). */
export function percentile(sorted: readonly number[], fraction: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil(fraction * sorted.length) - 1));
  return sorted[rank]!;
}

export function median(values: readonly number[]): number {
  return percentile([...values].sort((a, b) => a - b), 0.5);
}

/**
 * Drives `baseUrl` with `connections` keep-alive connections for `durationSeconds` (no pipelining: one request in
 * flight per connection, as real clients do). `serverPid` is the process whose peak RSS is reported;
 * `benchPids` are the bench's other processes (the upstream fakes), not counted as foreign load.
 */
export async function runLoad(baseUrl: string, spec: RequestSpec, options: { connections: number; durationSeconds: number; serverPid: number; benchPids?: readonly number[] }): Promise<RunResult> {
  const latencies: number[] = [];
  let nextClient = 0;
  const rssResettable = resetPeakRss(options.serverPid);
  const cpu = watchCpu([process.pid, options.serverPid, ...(options.benchPids ?? [])]);
  const serverCpuBefore = processCpuSeconds(options.serverPid);
  const result = await new Promise<autocannon.Result>((resolve, reject) => {
    const instance = autocannon(
      {
        url: `${baseUrl}${spec.path}`,
        method: spec.method,
        headers: spec.headers,
        ...(spec.body === undefined ? {} : { body: spec.body }),
        connections: options.connections,
        pipelining: 1,
        duration: options.durationSeconds,
        // A request that takes this long counts as an error (a timeout), not as a slow sample.
        timeout: 10,
        ...(spec.perConnection?.length
          ? {
              setupClient: (client: { setHeaders(h: Record<string, string>): void; setBody(b: string): void }) => {
                const own = spec.perConnection![nextClient++ % spec.perConnection!.length]!;
                client.setHeaders(own.headers);
                if (own.body !== undefined) client.setBody(own.body);
              },
            }
          : {}),
      },
      (error, finished) => (error ? reject(error) : resolve(finished)),
    );
    instance.on('response', (_client, _status, _bytes, responseTime) => {
      latencies.push(responseTime);
    });
  });
  const share = cpu();
  const serverCpuAfter = processCpuSeconds(options.serverPid);
  latencies.sort((a, b) => a - b);
  const seconds = result.duration;
  const cpuUsPerRequest = (threads: 'all' | 'mainThread'): number | null =>
    serverCpuBefore === null || serverCpuAfter === null || latencies.length === 0
      ? null
      : ((serverCpuAfter[threads] - serverCpuBefore[threads]) * 1e6) / latencies.length;
  return {
    connections: options.connections,
    durationSeconds: seconds,
    requests: latencies.length,
    reqPerSec: latencies.length / seconds,
    p50Ms: percentile(latencies, 0.5),
    p99Ms: percentile(latencies, 0.99),
    errors: result.errors + result.timeouts,
    non2xx: result.non2xx,
    peakRssBytes: peakRssBytes(options.serverPid),
    rssPerRun: rssResettable,
    foreignCores: share?.foreignCores ?? null,
    serverCpuUsPerRequest: cpuUsPerRequest('all'),
    serverMainThreadCpuUsPerRequest: cpuUsPerRequest('mainThread'),
  };
}
