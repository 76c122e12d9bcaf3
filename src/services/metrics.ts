/**
 * Prometheus metrics (`GET /metrics`, text format 0.0.4), off unless METRICS_TOKEN or METRICS_PORT is set:
 * `createMetrics` then returns the recorder below, else `NO_METRICS`, whose methods do nothing.
 *
 * Series (every label from a fixed set; a value outside it is counted under `unknown` / `other`, so no caller can add
 * a series: no domain, key, path or raw command is ever a label):
 * - `dns_gateway_http_requests_total{transport,command,status}` and `dns_gateway_http_request_duration_seconds{transport,command}`:
 *   transport `rest` (/api/v1), `legacy` (/api.php), `graphql`, `other`; command a router name or `unknown`;
 *   status the HTTP status;
 * - `dns_gateway_procedure_calls_total{transport,command,outcome}`: outcome `ok` or the error catalogue key;
 * - `dns_gateway_upstream_calls_total{provider,operation,outcome}` and `dns_gateway_upstream_call_duration_seconds{provider,operation}`:
 *   outcome the provider's HTTP status or, when no reply came, the ProviderError kind;
 * - `dns_gateway_rate_limited_total{limit}`: `requests` (RATE_LIMIT_MAX) or `auth_failures` (AUTH_FAILURE_LIMIT);
 * - `dns_gateway_zone_lock_wait_seconds{outcome}`: every zone lock taken (`acquired`) or not (`timeout`, `failed`);
 * - `dns_gateway_watches{state}`: read from the store at scrape time;
 * - `dns_gateway_webhook_deliveries_total{outcome}`: `delivered`, `retry`, `failed`;
 * - prom-client's default process metrics (`process_*`, `nodejs_*`), on this registry only (never the global one:
 *   two servers in one process keep apart).
 *
 * Recording is on the hot path, so it does not go through prom-client's labelled children: those hash the label
 * object and validate it on every call (measured at several µs per `inc` + `observe` on this machine). Each series is a
 * plain object found by one Map lookup per label (children created once per label set) and is handed to the
 * registry as prom-client metric objects at scrape time (`Family.get`, the shape `Registry` renders).
 */
import { collectDefaultMetrics, Gauge, Registry, type Metric, type MetricObjectWithValues, type MetricValueWithName } from 'prom-client';
import type { Config } from '../config.js';
import { ERROR_CATALOGUE } from '../errors.js';
import { PROVIDER_IDS } from '../../providers/registry.js';
import type { UpstreamObserver, UpstreamOperation } from '../../providers/http.js';
import type { ProviderId } from '../../providers/types.js';
import type { WatchStateName, WebhookAttempt } from '../storage/store.js';
import type { LockWaitOutcome } from './zone-lock.js';

export type RequestTransport = 'rest' | 'legacy' | 'graphql' | 'other';
export type ProcedureTransport = Exclude<RequestTransport, 'other'>;
export type RateLimitKind = 'requests' | 'auth_failures';

export interface Metrics {
  readonly enabled: boolean;
  /** One HTTP request answered (`command` undefined: not a known command). */
  request(transport: RequestTransport, command: string | undefined, status: number, seconds: number): void;
  /** One procedure call ended: `outcome` is `'ok'` or the error catalogue key. */
  procedureCall(transport: ProcedureTransport, command: string, outcome: string): void;
  readonly upstreamCall: UpstreamObserver;
  rateLimited(limit: RateLimitKind): void;
  zoneLockWait(outcome: LockWaitOutcome, seconds: number): void;
  webhookDelivery(outcome: WebhookAttempt['outcome']): void;
  /** The exposition text. */
  scrape(): Promise<string>;
  readonly contentType: string;
}

const nothing = (): void => undefined;

/** Metrics off: every method does nothing, and nothing is allocated per request. */
export const NO_METRICS: Metrics = {
  enabled: false,
  request: nothing,
  procedureCall: nothing,
  upstreamCall: nothing,
  rateLimited: nothing,
  zoneLockWait: nothing,
  webhookDelivery: nothing,
  scrape: async () => '',
  contentType: Registry.PROMETHEUS_CONTENT_TYPE,
};

/** Metrics are kept when /metrics is served: METRICS_TOKEN or METRICS_PORT set. */
export function metricsEnabled(config: Pick<Config, 'METRICS_TOKEN' | 'METRICS_PORT'>): boolean {
  return config.METRICS_TOKEN !== undefined || config.METRICS_PORT !== undefined;
}

export interface MetricsOptions {
  /** The router's command names: the only `command` label values besides `unknown`. */
  readonly commands: readonly string[];
  /** Watches per state, asked at each scrape. */
  readonly watchesByState: () => Promise<Readonly<Record<WatchStateName, number>>>;
  /** @default true (tests of cardinality leave process metrics out of their series count) */
  readonly processMetrics?: boolean;
}

/** Served request durations: a cached command takes tens of µs, a provider write seconds. */
const REQUEST_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];
const UPSTREAM_BUCKETS = [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];
/** Up to LOCK_WAIT_MS (60 s by default). */
const LOCK_WAIT_BUCKETS = [0.001, 0.01, 0.1, 0.5, 1, 5, 15, 30, 60];

type Labels = Readonly<Record<string, string>>;

interface CounterSeries {
  readonly labels: Labels;
  value: number;
}

interface HistogramSeries {
  readonly labels: Labels;
  /** Observations per bucket (not cumulative); the last slot is past the largest bound. */
  readonly counts: Float64Array;
  sum: number;
  count: number;
}

/** One metric family: its series, and the prom-client metric shape the registry renders from them. */
class Family<S extends CounterSeries | HistogramSeries> {
  readonly series: S[] = [];
  constructor(
    readonly name: string,
    readonly help: string,
    readonly type: 'counter' | 'histogram',
    private readonly make: (labels: Labels) => S,
    private readonly bounds: readonly number[] = [],
  ) {}

  add(labels: Labels): S {
    const series = this.make(labels);
    this.series.push(series);
    return series;
  }

  /** What `Registry.metrics()` asks each metric for. */
  async get(): Promise<MetricObjectWithValues<MetricValueWithName<string>>> {
    const values: MetricValueWithName<string>[] = [];
    for (const series of this.series) {
      if (!('counts' in series)) {
        values.push({ labels: series.labels, value: series.value });
        continue;
      }
      let cumulative = 0;
      this.bounds.forEach((bound, i) => {
        cumulative += series.counts[i]!;
        values.push({ metricName: `${this.name}_bucket`, labels: { ...series.labels, le: bound }, value: cumulative });
      });
      values.push({ metricName: `${this.name}_bucket`, labels: { ...series.labels, le: '+Inf' }, value: series.count });
      values.push({ metricName: `${this.name}_sum`, labels: series.labels, value: series.sum });
      values.push({ metricName: `${this.name}_count`, labels: series.labels, value: series.count });
    }
    return { name: this.name, help: this.help, type: this.type as never, values, aggregator: 'sum', collect: () => undefined };
  }
}

function counter(name: string, help: string): Family<CounterSeries> {
  return new Family(name, help, 'counter', (labels) => ({ labels, value: 0 }));
}

function histogram(name: string, help: string, bounds: readonly number[]): Family<HistogramSeries> {
  return new Family(name, help, 'histogram', (labels) => ({ labels, counts: new Float64Array(bounds.length + 1), sum: 0, count: 0 }), bounds);
}

function observe(series: HistogramSeries, bounds: readonly number[], seconds: number): void {
  let i = 0;
  while (i < bounds.length && seconds > bounds[i]!) i++;
  series.counts[i]!++;
  series.sum += seconds;
  series.count++;
}

/**
 * `map.get(key)`, else the series for `bounded(key)`: made once and remembered under `key` only when the key is in
 * the bounded set, so that a caller's junk never grows the map (it shares the `unknown` / `other` series).
 */
function child<V>(map: Map<string, V>, key: string, bounded: (key: string) => string, make: (label: string) => V): V {
  const found = map.get(key);
  if (found !== undefined) return found;
  const label = bounded(key);
  let value = map.get(label);
  if (value === undefined) {
    value = make(label);
    map.set(label, value);
  }
  return value;
}

const UPSTREAM_KINDS = new Set(['timeout', 'unavailable', 'protocol', 'auth', 'forbidden', 'not_found', 'rejected', 'conflict', 'rate_limited']);
const OPERATIONS: readonly UpstreamOperation[] = ['read', 'write', 'auth', 'poll'];
const TRANSPORTS: readonly RequestTransport[] = ['rest', 'legacy', 'graphql', 'other'];

export function createMetrics(options: MetricsOptions): Metrics {
  const registry = new Registry();
  if (options.processMetrics ?? true) collectDefaultMetrics({ register: registry });
  const commandSet = new Set(options.commands);
  const boundedCommand = (command: string) => (commandSet.has(command) ? command : 'unknown');
  const boundedOutcome = (outcome: string) => (outcome === 'ok' || Object.hasOwn(ERROR_CATALOGUE, outcome) ? outcome : 'other');
  const providerSet = new Set<string>(PROVIDER_IDS);
  const boundedProvider = (provider: string) => (providerSet.has(provider) ? provider : 'other');
  const boundedUpstreamOutcome = (outcome: string) => (/^[1-5]\d\d$/.test(outcome) || UPSTREAM_KINDS.has(outcome) ? outcome : 'other');
  const identity = (value: string) => value;

  const requests = counter('dns_gateway_http_requests_total', 'HTTP requests answered, by transport, command and HTTP status.');
  const requestDurations = histogram('dns_gateway_http_request_duration_seconds', 'Time from a request to the end of its reply, by transport and command.', REQUEST_BUCKETS);
  const procedureCalls = counter('dns_gateway_procedure_calls_total', 'Procedure calls, by transport, command and outcome (ok or the error catalogue key).');
  const upstreamCalls = counter('dns_gateway_upstream_calls_total', 'Calls to DNS provider APIs, by provider, operation and outcome (HTTP status, or the error kind when no reply came).');
  const upstreamDurations = histogram('dns_gateway_upstream_call_duration_seconds', 'Duration of calls to DNS provider APIs, by provider and operation.', UPSTREAM_BUCKETS);
  const rateLimited = counter('dns_gateway_rate_limited_total', 'Requests refused by a rate limit (requests: the per-caller budget; auth_failures: the failed-authentication throttle).');
  const lockWaits = histogram('dns_gateway_zone_lock_wait_seconds', 'Waits for a zone lock, by outcome (acquired, timeout, failed).', LOCK_WAIT_BUCKETS);
  const webhooks = counter('dns_gateway_webhook_deliveries_total', 'Webhook delivery attempts, by outcome (delivered, retry, failed: given up).');
  const families = [requests, requestDurations, procedureCalls, upstreamCalls, upstreamDurations, rateLimited, lockWaits, webhooks];
  // A metric object the registry renders by its `get()`; not one of prom-client's classes, hence the cast.
  for (const family of families) registry.registerMetric(family as unknown as Metric);
  new Gauge({
    name: 'dns_gateway_watches',
    help: 'Watches by state, read from the store at scrape time.',
    labelNames: ['state'],
    registers: [registry],
    async collect() {
      const counts = await options.watchesByState();
      this.reset();
      for (const [state, count] of Object.entries(counts)) this.set({ state }, count);
    },
  });

  interface RequestSlots {
    readonly duration: HistogramSeries;
    /** By HTTP status (100–599; anything else at 0, labelled `other`). */
    readonly statuses: (CounterSeries | undefined)[];
  }
  const requestSlots = new Map(TRANSPORTS.map((transport) => [transport, new Map<string, RequestSlots>()]));
  const procedureSlots = new Map(TRANSPORTS.map((transport) => [transport, new Map<string, { readonly label: string; readonly outcomes: Map<string, CounterSeries> }>()]));
  const upstreamSlots = new Map<string, Map<string, { duration: HistogramSeries; outcomes: Map<string, CounterSeries> }>>();
  const once = <K extends string>(family: Family<CounterSeries | HistogramSeries>, label: string, values: readonly K[]) =>
    new Map(values.map((value) => [value, family.add({ [label]: value })]));
  const rateLimitSlots = once(rateLimited, 'limit', ['requests', 'auth_failures']) as Map<string, CounterSeries>;
  const webhookSlots = once(webhooks, 'outcome', ['delivered', 'retry', 'failed']) as Map<string, CounterSeries>;
  const lockSlots = once(lockWaits, 'outcome', ['acquired', 'timeout', 'failed']) as Map<string, HistogramSeries>;

  return {
    enabled: true,
    contentType: registry.contentType,
    request(transport, command, status, seconds) {
      const slots = child(requestSlots.get(transport) ?? requestSlots.get('other')!, command ?? 'unknown', boundedCommand, (label) => ({
        duration: requestDurations.add({ transport, command: label }),
        statuses: [],
      }));
      const code = status >= 100 && status <= 599 ? status | 0 : 0;
      const series = slots.statuses[code] ?? (slots.statuses[code] = requests.add({ transport, command: slots.duration.labels.command!, status: code === 0 ? 'other' : String(code) }));
      series.value++;
      observe(slots.duration, REQUEST_BUCKETS, seconds);
    },
    procedureCall(transport, command, outcome) {
      const byCommand = child(procedureSlots.get(transport) ?? procedureSlots.get('other')!, command, boundedCommand, (label) => ({ label, outcomes: new Map<string, CounterSeries>() }));
      child(byCommand.outcomes, outcome, boundedOutcome, (label) => procedureCalls.add({ transport, command: byCommand.label, outcome: label })).value++;
    },
    upstreamCall(provider: ProviderId, operation, outcome, seconds) {
      const providerLabel = boundedProvider(provider);
      const operationLabel = OPERATIONS.includes(operation) ? operation : 'other';
      const byOperation = child(upstreamSlots, providerLabel, identity, () => new Map());
      const slots = child(byOperation, operationLabel, identity, (label) => ({
        duration: upstreamDurations.add({ provider: providerLabel, operation: label }),
        outcomes: new Map<string, CounterSeries>(),
      }));
      child(slots.outcomes, outcome, boundedUpstreamOutcome, (label) => upstreamCalls.add({ provider: providerLabel, operation: operationLabel, outcome: label })).value++;
      observe(slots.duration, UPSTREAM_BUCKETS, seconds);
    },
    rateLimited(limit) {
      const series = rateLimitSlots.get(limit);
      if (series) series.value++;
    },
    zoneLockWait(outcome, seconds) {
      const series = lockSlots.get(outcome);
      if (series) observe(series, LOCK_WAIT_BUCKETS, seconds);
    },
    webhookDelivery(outcome) {
      const series = webhookSlots.get(outcome);
      if (series) series.value++;
    },
    scrape: () => registry.metrics(),
  };
}
