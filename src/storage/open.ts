/**
 * Picks the store for `DATABASE_URL`: SQLite (`sqlite:<path>`, the single-machine default) or PostgreSQL
 * (`postgres://…`, for several instances). Both run the same migrations (src/storage/migrations.ts) behind the same
 * `Store` interface.
 */
import type { Config } from '../config.js';
import type { PostgresStoreOptions } from './postgres.js';

export { DatabaseUnavailableError } from './errors.js';
import { openSqliteStore, type SqliteStoreOptions } from './sqlite.js';
import type { Store } from './store.js';

export type DatabaseUrl = Config['DATABASE_URL'];

export type OpenStoreOptions = SqliteStoreOptions & PostgresStoreOptions;

/** Thrown for a DATABASE_URL this release cannot open; the message names the engine, never the URL (it may hold a password). */
export class UnsupportedDatabaseError extends Error {
  override readonly name = 'UnsupportedDatabaseError';
}

/**
 * Opens and migrates the database. Accepts the parsed `config.DATABASE_URL` or the raw text (`sqlite:<path>`,
 * `sqlite::memory:` for an in-memory database, or `postgres://user:password@host:port/database`).
 */
export async function openStore(database: DatabaseUrl | string, options: OpenStoreOptions = {}): Promise<Store> {
  const target = typeof database === 'string' ? parseDatabaseUrl(database) : database;
  if (target.kind === 'postgres') {
    // Loaded only when configured: the embedded default does not pay for the driver at start-up.
    const { openPostgresStore } = await import('./postgres.js');
    return openPostgresStore(target.url, options);
  }
  return openSqliteStore(target.path, options);
}

function parseDatabaseUrl(url: string): DatabaseUrl {
  if (url.startsWith('sqlite:')) return { kind: 'sqlite', path: url.slice('sqlite:'.length) || ':memory:', url };
  if (/^postgres(ql)?:\/\//.test(url)) return { kind: 'postgres', url };
  throw new UnsupportedDatabaseError('DATABASE_URL: expected sqlite:<path> or postgres://…');
}
