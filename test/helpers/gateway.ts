/**
 * Starts the real gateway on a free loopback port (in-memory SQLite, quiet logs) and talks HTTP to it. Every
 * gateway test goes through this: no test calls a handler function directly.
 */
import { Writable } from 'node:stream';
import { request, Agent } from 'undici';
import { loadConfig } from '../../src/config.js';
import { createLogger } from '../../src/logger.js';
import { startServer, type RunningServer } from '../../src/server.js';
import type { ServiceOverrides } from '../../src/app.js';
import { createApiKey } from '../../src/auth/api-keys.js';

export interface Gateway {
  readonly url: string;
  readonly running: RunningServer;
  /** The admin key the first start created. */
  readonly adminKey: string;
  /** Everything the service logged, one JSON line per entry (for secret scans). */
  readonly logLines: string[];
  createKey(options?: { name?: string; permissions?: string[] }): Promise<string>;
  close(): Promise<void>;
}

export const MASTER_DOMAIN = 'mta.sender-platform.net';

/**
 * `env` over the test defaults (in-memory SQLite, quiet DNS, the watch scheduler off: tests of watches turn it on).
 * `existingDatabase`: the database already holds keys (a restart), so no admin key is created; `adminKey` is then ''.
 */
export async function startGateway(env: Record<string, string> = {}, overrides: ServiceOverrides = {}, options: { existingDatabase?: boolean } = {}): Promise<Gateway> {
  const config = loadConfig({
    NODE_ENV: 'test',
    PORT: '0',
    HOST: '127.0.0.1',
    DATABASE_URL: 'sqlite::memory:',
    LOG_LEVEL: 'info',
    MAIL_MASTER_DOMAIN: MASTER_DOMAIN,
    // Nothing in tests may reach the internet: unset resolvers would be the system's.
    DNS_RESOLVERS: '127.0.0.1:9',
    DNS_TIMEOUT_MS: '500',
    CLOUDFLARE_API_URL: 'http://127.0.0.1:9/client/v4',
    GODADDY_API_URL: 'http://127.0.0.1:9',
    NAMECHEAP_API_URL: 'http://127.0.0.1:9/xml.response',
    NAMECHEAP_CLIENT_IP: '192.0.2.55',
    WATCH_SCHEDULER: 'false',
    ...env,
  });
  const logLines: string[] = [];
  const sink = new Writable({
    write(chunk, _encoding, done) {
      logLines.push(...String(chunk).split('\n').filter(Boolean));
      done();
    },
  });
  const running = await startServer(config, { logger: createLogger({ level: config.LOG_LEVEL, destination: sink }), ...overrides });
  if (!running.initialApiKey && !options.existingDatabase) throw new Error('a fresh database must yield an initial admin key');
  let n = 0;
  return {
    url: running.url,
    running,
    adminKey: running.initialApiKey ?? '',
    logLines,
    async createKey(options = {}) {
      const created = await createApiKey(running.services.store, {
        name: options.name ?? `test-key-${++n}`,
        permissions: options.permissions ?? ['User.Update'],
      });
      return created.key;
    },
    close: () => running.close(),
  };
}

const agent = new Agent({ keepAliveTimeout: 10, keepAliveMaxTimeout: 10 });

export interface HttpResult {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly text: string;
  readonly json: any;
}

export async function http(
  url: string,
  options: { method?: 'GET' | 'POST' | 'PUT'; headers?: Record<string, string>; body?: string | Buffer } = {},
): Promise<HttpResult> {
  const reply = await request(url, { dispatcher: agent, method: options.method ?? 'GET', headers: options.headers, body: options.body });
  const text = await reply.body.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: reply.statusCode, headers: reply.headers, text, json };
}

/** POST JSON to a REST path. */
export function postJson(gw: { url: string }, path: string, body: unknown, headers: Record<string, string> = {}): Promise<HttpResult> {
  return http(`${gw.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
}

/** POST a form to a REST path. */
export function postForm(gw: { url: string }, path: string, fields: Record<string, string>, headers: Record<string, string> = {}): Promise<HttpResult> {
  return http(`${gw.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    body: new URLSearchParams(fields).toString(),
  });
}

/** POST multipart/form-data (built by hand so the exact wire format is under test). */
export function postMultipart(gw: { url: string }, path: string, fields: Record<string, string>, headers: Record<string, string> = {}): Promise<HttpResult> {
  const boundary = `----dnsgw${Math.random().toString(16).slice(2)}`;
  const parts = Object.entries(fields).map(
    ([name, value]) => `--${boundary}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`,
  );
  const body = Buffer.from(`${parts.join('')}--${boundary}--\r\n`);
  return http(`${gw.url}${path}`, { method: 'POST', headers: { 'content-type': `multipart/form-data; boundary=${boundary}`, ...headers }, body });
}

/** GET with a query string. */
export function getQuery(gw: { url: string }, path: string, query: Record<string, string>, headers: Record<string, string> = {}): Promise<HttpResult> {
  return http(`${gw.url}${path}?${new URLSearchParams(query).toString()}`, { headers });
}

/** A GraphQL POST. */
export function graphql(gw: { url: string }, query: string, variables: Record<string, unknown> = {}, key?: string): Promise<HttpResult> {
  return http(`${gw.url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(key ? { authorization: `Bearer ${key}` } : {}) },
    body: JSON.stringify({ query, variables }),
  });
}

export const bearer = (key: string) => ({ authorization: `Bearer ${key}` });
