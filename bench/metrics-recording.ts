/**
 * What metrics cost one request: the recording a cached REST `dns.provider` request makes with metrics on (one HTTP
 * request sample, one procedure call), 1e6 times, best of 5 rounds, against prom-client's own labelled children doing
 * the same (counter + histogram + counter). `npx tsx bench/metrics-recording.ts`
 */
import { Counter, Histogram, Registry } from 'prom-client';
import { createMetrics, NO_METRICS, type Metrics } from '../src/services/metrics.js';
import { router } from '../src/procedures/router.js';

const N = 1_000_000;
const ROUNDS = 5;

function nsPerOp(run: () => void): number {
  let best = Infinity;
  for (let round = 0; round < ROUNDS; round++) {
    const started = process.hrtime.bigint();
    run();
    best = Math.min(best, Number(process.hrtime.bigint() - started) / N);
  }
  return best;
}

function perRequest(metrics: Metrics): () => void {
  return () => {
    for (let i = 0; i < N; i++) {
      // What src/server.ts and src/rest/handler.ts call for one request.
      metrics.procedureCall('rest', 'dns.provider', 'ok');
      if (metrics.enabled) metrics.request('rest', 'dns.provider', 200, 0.00004 + (i & 7) * 1e-5);
    }
  };
}

const ours = createMetrics({ commands: Object.keys(router), watchesByState: async () => ({ PENDING: 0, READY: 0, BROKEN: 0, EXPIRED: 0 }), processMetrics: false });

const registry = new Registry();
const requests = new Counter({ name: 'r', help: 'r', labelNames: ['transport', 'command', 'status'], registers: [registry] });
const durations = new Histogram({ name: 'd', help: 'd', labelNames: ['transport', 'command'], buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30], registers: [registry] });
const calls = new Counter({ name: 'c', help: 'c', labelNames: ['transport', 'command', 'outcome'], registers: [registry] });
const request = requests.labels('rest', 'dns.provider', '200');
const duration = durations.labels('rest', 'dns.provider');
const call = calls.labels('rest', 'dns.provider', 'ok');

const rows = {
  'metrics off (NO_METRICS)': nsPerOp(perRequest(NO_METRICS)),
  'metrics on (createMetrics)': nsPerOp(perRequest(ours)),
  "prom-client's labelled children": nsPerOp(() => {
    for (let i = 0; i < N; i++) {
      call.inc();
      request.inc();
      duration.observe(0.00004 + (i & 7) * 1e-5);
    }
  }),
};
for (const [name, ns] of Object.entries(rows)) console.log(`${name.padEnd(34)} ${ns.toFixed(1)} ns/request`);
