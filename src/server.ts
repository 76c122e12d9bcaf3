/**
 * The HTTP server: one node:http listener routing to the two transports (REST compatibility, GraphQL) and a few
 * operational endpoints. Both transports are thin layers over the procedures in src/procedures.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Config } from './config.js';
import { createServices, type ServiceOverrides, type Services } from './app.js';
import { serveGraphiqlAsset } from './graphql/graphiql.js';
import { qualifiesForFastPath } from './graphql/fast-path.js';
import { handleRest, isRestPath, LEGACY_PATH, V1_PREFIX, type RestTarget } from './rest/handler.js';
import { createMetricsEndpoint, type MetricsEndpoint } from './metrics-endpoint.js';
import type { Metrics, RequestTransport } from './services/metrics.js';
import { isApiDocsPath, serveApiDocs } from './rest/api-docs.js';
import { callerFromBearer } from './procedures/caller.js';
import { createAccessLog, RequestLog, type AccessEntry } from './logger.js';
import { assignRequestId, REQUEST_ID_HEADER } from './request-id.js';
import { endReply } from './reply-batch.js';
import { isPromise, type MaybePromise } from './maybe-promise.js';
import { CALLBACK_PATH } from './domain-connect/service.js';

export interface RunningServer {
  readonly url: string;
  readonly server: Server;
  readonly services: Services;
  /** Where METRICS_PORT's listener serves /metrics; null without METRICS_PORT. */
  readonly metricsUrl: string | null;
  /** The admin key created on first start (empty database), to print once; null otherwise. */
  readonly initialApiKey: string | null;
  close(): Promise<void>;
}

export interface RequestListener {
  (req: IncomingMessage, res: ServerResponse): void;
  /** Loads the GraphQL transport (yoga, the Pothos schema); resolves when /graphql can be served. */
  warmUp(): Promise<void>;
}

/**
 * The GraphQL transport is the heaviest part to load (yoga, Pothos, graphql-armor: about half of start-up), so it is
 * loaded right after the server listens, not before: health checks and REST are served meanwhile, /readyz answers
 * ready only once it is loaded, and a /graphql request that comes first simply waits for it.
 */
function lazyGraphql(services: Services) {
  let loading: Promise<{ yoga: Awaited<ReturnType<typeof import('./graphql/yoga.js')['createGraphqlHandler']>>; fastPath: ReturnType<typeof import('./graphql/fast-path.js')['createGraphqlFastPath']> }> | undefined;
  return () =>
    (loading ??= Promise.all([import('./graphql/yoga.js'), import('./graphql/fast-path.js')]).then(([{ createGraphqlHandler }, { createGraphqlFastPath }]) => {
      const yoga = createGraphqlHandler(services);
      return { yoga, fastPath: createGraphqlFastPath(yoga, { maxBodyBytes: services.config.MAX_BODY_BYTES, compileAfterUses: services.config.GRAPHQL_COMPILE_AFTER }) };
    }));
}

function createRequestListener(services: Services): RequestListener {
  const graphql = lazyGraphql(services);
  const { logger, metrics, config } = services;
  const accessLog = createAccessLog(logger);
  // On the API port only with METRICS_TOKEN alone: METRICS_PORT moves it to its own listener (startServer).
  const metricsEndpoint = config.METRICS_TOKEN !== undefined && config.METRICS_PORT === undefined ? createMetricsEndpoint(services) : null;

  const route = async (req: IncomingMessage, res: ServerResponse, target: RestTarget, requestId: string): Promise<void> => {
    const { path } = target;
    // The REST API's description and reference page live under /api/v1/ but are files, not commands.
    if (req.method === 'GET' && isApiDocsPath(path)) {
      if (await serveApiDocs(path, req.headers['if-none-match'], res)) return;
      return sendJson(res, 404, { Errors: [{ Code: 404, Message: 'Not found' }] });
    }
    if (isRestPath(path)) return handleRest(services, req, res, target, requestId);
    if (path === '/graphql') {
      const caller = callerFromBearer(req);
      const { yoga, fastPath } = await graphql();
      if (qualifiesForFastPath(req)) return fastPath(req, res, caller, requestId);
      // yoga writes its own head, merged with this one (its replies are streamed or rare: GET, GraphiQL, errors).
      res.setHeader(REQUEST_ID_HEADER, requestId);
      // requestListener = handle + write the response; the extra object is merged into yoga's server context.
      await (yoga.requestListener as (...args: unknown[]) => Promise<void>)(req, res, { caller, state: {}, requestId });
      return;
    }
    if (req.method === 'GET' && (await serveGraphiqlAsset(path, req.headers['if-none-match'], res))) return;
    if (path === CALLBACK_PATH && req.method === 'GET') return domainConnectCallback(services, target.search, res, requestId);
    if (path.startsWith(DOMAIN_CONNECT_TEMPLATES) && (req.method === 'GET' || req.method === 'HEAD')) return serveDomainConnectTemplate(services, path, res);
    if (path === '/healthz') return sendJson(res, 200, { status: 'ok' });
    if (path === METRICS_PATH && metricsEndpoint && req.method === 'GET') return metricsEndpoint(req, res);
    if (path === '/readyz') {
      // Ready = the database and (when configured) Redis answer; a load balancer stops sending work otherwise.
      const [{ ready, ...checks }, graphqlLoaded] = await Promise.all([services.ready(), graphql().then(() => true, () => false)]);
      if (!graphqlLoaded) return sendJson(res, 503, { status: 'unavailable', ...checks, graphql: 'unavailable' });
      return sendJson(res, ready ? 200 : 503, { status: ready ? 'ready' : 'unavailable', ...checks });
    }
    sendJson(res, 404, { Errors: [{ Code: 404, Message: 'Not found' }] });
  };

  const listener = (req: IncomingMessage, res: ServerResponse) => {
    const target = splitTarget(req.url);
    const requestId = assignRequestId(req, res);
    logRequest(accessLog, metrics, req, res, target, requestId);
    const unhandled = (error: unknown) => {
      logger.error({ err: error, path: target.path, requestId }, 'unhandled request error');
      // The id in the body too (as REST's internal errors carry it), for a caller that quotes bodies, not headers.
      if (!res.headersSent) sendJson(res, 500, { Errors: [{ Code: 500, Message: 'Internal server error' }], RequestID: requestId });
      else res.destroy();
    };
    // A REST command goes straight to its transport, which answers without a promise when nothing waits (a cached
    // GET: src/maybe-promise.ts); everything else goes through `route`.
    let handled: MaybePromise<void>;
    try {
      handled = isRestPath(target.path) && !isApiDocsPath(target.path) ? handleRest(services, req, res, target, requestId) : route(req, res, target, requestId);
    } catch (error) {
      unhandled(error);
      return;
    }
    if (isPromise(handled)) handled.catch(unhandled);
  };
  return Object.assign(listener, { warmUp: () => graphql().then(() => undefined) });
}

/**
 * The path and the query string (with its `?`) of an origin-form request target (RFC 9112 §3.2.1), which is what
 * node's server hands over. A `new URL()` per request would also normalise dot segments and percent-encoding that no
 * route here depends on: the REST layer decodes the command itself, and the other routes are exact matches.
 */
function splitTarget(url: string | undefined): RestTarget {
  const target = url ?? '/';
  if (!target.startsWith('/')) {
    // absolute-form (`GET http://host/path`, as sent to proxies) or asterisk-form: let the URL parser take it apart.
    try {
      const parsed = new URL(target, 'http://gateway.invalid');
      return { path: parsed.pathname, search: parsed.search, command: undefined };
    } catch {
      return { path: target, search: '', command: undefined };
    }
  }
  const query = target.indexOf('?');
  return query < 0 ? { path: target, search: '', command: undefined } : { path: target.slice(0, query), search: target.slice(query), command: undefined };
}

/**
 * One info line per request once the reply is sent: method, path, status, duration. Never the query string (it may
 * carry `APIKey` or `SessionID`), never headers or bodies. The same duration goes to the request metrics, with the
 * command the REST transport found (`target.command`).
 */
function logRequest(log: (entry: AccessEntry) => void, metrics: Metrics, req: IncomingMessage, res: ServerResponse, target: RestTarget, requestId: string): void {
  const started = process.hrtime.bigint();
  res.once('close', () => {
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    log({
      method: req.method,
      path: target.path.slice(0, 200),
      status: res.statusCode,
      durationMs: Math.round(seconds * 1e4) / 10,
      aborted: !res.writableFinished || undefined,
      requestId,
    });
    if (metrics.enabled) metrics.request(transportOf(target.path), target.command, res.statusCode, seconds);
  });
}

/** The transport label of a request path (a fixed set: never the path itself). */
function transportOf(path: string): RequestTransport {
  if (path === '/graphql') return 'graphql';
  if (path === LEGACY_PATH) return 'legacy';
  return path.startsWith(V1_PREFIX) ? 'rest' : 'other';
}

const METRICS_PATH = '/metrics';

/** METRICS_PORT's listener: `GET /metrics` and nothing else (404, as on the API port). */
function metricsOnlyListener(endpoint: MetricsEndpoint) {
  return (req: IncomingMessage, res: ServerResponse) => {
    if (req.method !== 'GET' || splitTarget(req.url).path !== METRICS_PATH) return sendJson(res, 404, { Errors: [{ Code: 404, Message: 'Not found' }] });
    endpoint(req, res).catch(() => res.destroy());
  };
}

const DOMAIN_CONNECT_TEMPLATES = '/domain-connect/templates/';

/**
 * GET /domain-connect/callback: where the DNS provider sends the browser back with the OAuth code (the asynchronous
 * flow). The sealed `state` is its only credential. The reply is never cached and sends no Referer onwards: its URL
 * holds the code.
 */
async function domainConnectCallback(services: Services, search: string, res: ServerResponse, requestId: string): Promise<void> {
  const outcome = await services.domainConnect.callback(new URLSearchParams(search), new RequestLog(services.logger, requestId));
  const privacy = { 'cache-control': 'no-store', 'referrer-policy': 'no-referrer' };
  if (outcome.kind === 'redirect') {
    endReply(res, 302, { location: outcome.location, 'content-length': 0, ...privacy }, '');
    return;
  }
  const text = JSON.stringify(outcome.body);
  endReply(res, outcome.status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text), ...privacy }, text);
}

/**
 * GET /domain-connect/templates/<serviceId>.json: a record set as the complete Domain Connect template to onboard at
 * DNS providers (src/domain-connect/template.ts). Public, like the templates in the Domain-Connect/Templates
 * repository; 404 when Domain Connect is off or the record set is unknown.
 */
function serveDomainConnectTemplate(services: Services, path: string, res: ServerResponse): void {
  const file = path.slice(DOMAIN_CONNECT_TEMPLATES.length);
  const serviceId = file.endsWith('.json') ? file.slice(0, -'.json'.length) : null;
  const template = serviceId !== null && /^[a-z0-9-]+$/.test(serviceId) ? services.domainConnect.servedTemplate(serviceId) : null;
  if (!template) {
    sendJson(res, 404, { Errors: [{ Code: 404, Message: services.domainConnect.enabled ? 'No such template' : 'Domain Connect is not set up on this server' }] });
    return;
  }
  sendJson(res, 200, template, 2);
}

function sendJson(res: ServerResponse, status: number, body: unknown, indent?: number): void {
  const text = indent === undefined ? JSON.stringify(body) : `${JSON.stringify(body, null, indent)}\n`;
  endReply(res, status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text) }, text);
}

function listen(server: Server, port: number, host: string): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

export async function startServer(config: Config, overrides: ServiceOverrides = {}): Promise<RunningServer> {
  const services = await createServices(config, overrides);
  const listener = createRequestListener(services);
  const server = createServer({ keepAliveTimeout: 65_000 }, listener);
  // Slow-loris bounds: a client gets this long to send its headers and its whole request.
  server.headersTimeout = 20_000;
  server.requestTimeout = 60_000;
  await listen(server, config.PORT, config.HOST);
  const metricsServer = config.METRICS_PORT === undefined ? null : createServer(metricsOnlyListener(createMetricsEndpoint(services)));
  if (metricsServer) {
    metricsServer.headersTimeout = 20_000;
    metricsServer.requestTimeout = 60_000;
    await listen(metricsServer, config.METRICS_PORT!, config.HOST).catch(async (error: unknown) => {
      server.close();
      await services.close();
      throw error;
    });
  }
  // Load the GraphQL transport now that health checks can be answered (see lazyGraphql).
  listener.warmUp().catch((error: unknown) => services.logger.error({ err: error }, 'GraphQL transport failed to load'));
  // Due watch checks and webhook deliveries (unless WATCH_SCHEDULER=false).
  services.startScheduler();
  const { port } = server.address() as AddressInfo;
  const host = config.HOST.includes(':') ? `[${config.HOST}]` : config.HOST;
  const metricsUrl = metricsServer ? `http://${host}:${(metricsServer.address() as AddressInfo).port}/metrics` : null;
  services.setListeningUrl(`http://${host}:${port}`);
  let closing: Promise<void> | undefined;
  // While stopping, every reply ends its connection, so keep-alive clients move to another instance and the
  // server's close completes as soon as the in-flight requests are answered.
  const inFlight = new Set<ServerResponse>();
  server.prependListener('request', (_req: IncomingMessage, res: ServerResponse) => {
    if (closing) res.shouldKeepAlive = false;
    inFlight.add(res);
    res.once('close', () => inFlight.delete(res));
    // A reply that had already started keep-alive when stopping began leaves an idle connection behind: close it.
    res.once('finish', () => {
      if (closing) setImmediate(() => server.closeIdleConnections());
    });
  });
  return {
    url: `http://${host}:${port}`,
    server,
    services,
    metricsUrl,
    initialApiKey: services.initialApiKey,
    close() {
      closing ??= (async () => {
        // Stop accepting, let in-flight requests finish (cut after SHUTDOWN_GRACE_MS), then release the zone locks,
        // Redis, the database and the upstream pool. Live subscriptions end first (their streams complete), and the
        // scheduler stops, so that nothing long-lived holds the drain up.
        const drained = new Promise<void>((resolve) => server.close(() => resolve()));
        // A scrape in flight is cut: nothing about it needs draining.
        metricsServer?.close();
        metricsServer?.closeAllConnections();
        // Replies not yet started say `Connection: close` and end their connection once sent (node's http server
        // closes the socket after a reply that does not keep it alive). Done before the first await: a request in
        // flight may be answered while the background work stops.
        for (const res of inFlight) if (!res.headersSent) res.shouldKeepAlive = false;
        await services.stopBackground();
        server.closeIdleConnections();
        const grace = setTimeout(() => server.closeAllConnections(), config.SHUTDOWN_GRACE_MS);
        grace.unref();
        await drained;
        clearTimeout(grace);
        await services.close();
      })();
      return closing;
    },
  };
}
