/**
 * Picks the store for `DATABASE_URL`. SQLite today; PostgreSQL arrives later behind the same `Store` interface and
 * the same migrations (src/storage/migrations.ts).
 */
import type { Config } from '../config.js';
import { openSqliteStore, type SqliteStoreOptions } from './sqlite.js';
import type { Store } from './store.js';

export type DatabaseUrl = Config['DATABASE_URL'];

/** Thrown for a DATABASE_URL this release cannot open; the message names the engine, never the URL (it may hold a password). */
export class UnsupportedDatabaseError extends Error {
  override readonly name = 'UnsupportedDatabaseError';
}

/**
 * Opens and migrates the database. Accepts the parsed `config.DATABASE_URL` or the raw `sqlite:<path>` text
 * (`sqlite::memory:` for an in-memory database).
 */
export async function openStore(database: DatabaseUrl | string, options: SqliteStoreOptions = {}): Promise<Store> {
  const target = typeof database === 'string' ? parseDatabaseUrl(database) : database;
  if (target.kind === 'postgres') {
    throw new UnsupportedDatabaseError('DATABASE_URL: PostgreSQL is not yet supported; use sqlite:<path> for now');
  }
  return openSqliteStore(target.path, options);
}

function parseDatabaseUrl(url: string): DatabaseUrl {
  if (url.startsWith('sqlite:')) return { kind: 'sqlite', path: url.slice('sqlite:'.length) || ':memory:', url };
  if (/^postgres(ql)?:\/\//.test(url)) return { kind: 'postgres', url };
  throw new UnsupportedDatabaseError('DATABASE_URL: expected sqlite:<path> or postgres://…');
}
