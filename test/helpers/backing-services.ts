/**
 * The machine's PostgreSQL and Redis for the suites that need them (storage on PostgreSQL, two-instance tests).
 * Each run gets its own database (and its own Redis key prefix), dropped afterwards, so runs never see each other.
 *
 * Skipping: where a service is absent the suites skip with a warning naming it, except when CI=true, where they run
 * and fail (CI must never silently skip them).
 */
import { randomBytes } from 'node:crypto';
import net from 'node:net';
import pg from 'pg';

/** Admin connection (trust auth on 127.0.0.1); override with TEST_POSTGRES_URL. */
export const POSTGRES_ADMIN_URL = process.env.TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
/** Override with TEST_REDIS_URL. */
export const REDIS_TEST_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

const inCi = process.env.CI === 'true';

const hostOf = (url: string): string => {
  const { hostname, port } = new URL(url);
  return `${hostname}:${port}`;
};
/** How skip messages name the services (host and port only: a URL may hold a password). */
export const POSTGRES_LABEL = `PostgreSQL (${hostOf(POSTGRES_ADMIN_URL)})`;
export const REDIS_LABEL = `Redis (${hostOf(REDIS_TEST_URL)})`;

/** Resolves true when PostgreSQL answers a query within a second. */
export async function postgresReachable(): Promise<boolean> {
  const client = new pg.Client({ connectionString: POSTGRES_ADMIN_URL, connectionTimeoutMillis: 1000 });
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.query('SELECT 1');
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** Resolves true when something at REDIS_TEST_URL answers PING with PONG (raw RESP, so no client library is needed). */
export function redisReachable(): Promise<boolean> {
  const url = new URL(REDIS_TEST_URL);
  return new Promise((resolve) => {
    const socket = net.connect({ host: url.hostname, port: Number(url.port || 6379) });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(1000, () => done(false));
    socket.once('error', () => done(false));
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.once('data', (data) => done(data.toString().startsWith('+PONG')));
  });
}

/**
 * Whether a suite needing `missing` services should skip: false when nothing is missing or when CI=true (then the
 * suite runs and fails loudly). Warns, naming what is missing, when it skips.
 */
export function shouldSkip(suite: string, missing: readonly string[]): boolean {
  if (missing.length === 0) return false;
  if (inCi) {
    console.error(`[${suite}] CI=true: NOT skipping although ${missing.join(' and ')} is unreachable; these tests will fail`);
    return false;
  }
  console.warn(`[${suite}] SKIPPED: ${missing.join(' and ')} not reachable (start it, or set TEST_POSTGRES_URL / TEST_REDIS_URL)`);
  return true;
}

export interface TestDatabase {
  /** Connection string of the new, empty database. */
  readonly url: string;
  readonly name: string;
  drop(): Promise<void>;
}

/**
 * `CREATE DATABASE dnsgw_test_<random>` through the admin connection; `drop` removes it even with open sessions.
 * The database sorts text by ICU en-US rules where the server has ICU, like many production databases (and unlike
 * a C-locale test server), so that a query relying on the server's collation shows up as a failure.
 */
export async function createTestDatabase(): Promise<TestDatabase> {
  const name = `dnsgw_test_${randomBytes(6).toString('hex')}`;
  try {
    await adminQuery(`CREATE DATABASE ${name} TEMPLATE template0 LOCALE_PROVIDER icu ICU_LOCALE 'en-US' LOCALE 'C.UTF-8'`);
  } catch {
    await adminQuery(`CREATE DATABASE ${name}`); // no ICU (or PostgreSQL < 15): the server's default collation
  }
  const url = new URL(POSTGRES_ADMIN_URL);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    name,
    drop: async () => {
      await adminQuery(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    },
  };
}

/**
 * A connection string for `databaseUrl` whose unqualified tables live in a new schema `schema` (libpq `options`,
 * which node-postgres forwards): a fresh, empty "database" in a few milliseconds.
 */
export async function createTestSchema(databaseUrl: string): Promise<string> {
  const schema = `s_${randomBytes(6).toString('hex')}`;
  await adminQuery(`CREATE SCHEMA ${schema}`, databaseUrl);
  const url = new URL(databaseUrl);
  url.searchParams.set('options', `-c search_path=${schema}`);
  return url.toString();
}

/** Runs one statement on a short-lived connection (admin database by default) and returns its rows. */
export async function adminQuery<R extends pg.QueryResultRow = pg.QueryResultRow>(sql: string, databaseUrl = POSTGRES_ADMIN_URL, params: unknown[] = []): Promise<R[]> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const result = await client.query<R>(sql, params);
    return result.rows;
  } finally {
    await client.end();
  }
}
