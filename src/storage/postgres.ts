/**
 * The PostgreSQL `Store`, on `pg` (node-postgres). Same migrations (src/storage/migrations.ts, mapped by
 * `forEngine`), same columns and row encodings as the SQLite store, so both pass one test suite
 * (test/storage.test.ts). Several gateway instances may share one database: start-up migrations and the first-key
 * insert are serialised in the database, not in the process.
 */
import pg from 'pg';
import type { Pool, PoolClient, PoolConfig } from 'pg';
import { MIGRATIONS, SCHEMA_MIGRATIONS_TABLE, forEngine, pendingMigrations, type Migration } from './migrations.js';
import { KEY_COLUMNS, toChange, toKeyInfo, toSession, toUser, usernameKey, type ApiKeyDbRow, type ChangeDbRow, type SessionDbRow, type UserDbRow } from './sqlite.js';
import {
  StoreConflictError,
  type ApiKeyInfo,
  type ApiKeyRow,
  type ChangeCompletion,
  type ChangeEntry,
  type ListChangesQuery,
  type NewApiKey,
  type NewUser,
  type SandboxApplyOutcome,
  type SandboxRecordRow,
  type SandboxWrite,
  type SessionRow,
  type DomainConnectTokenRow,
  type Store,
  type UserRow,
} from './store.js';

export interface PostgresStoreOptions {
  /** Most pooled connections of this process. @default 10 */
  maxConnections?: number;
  /** How long a statement may run before PostgreSQL cancels it. @default 10000 */
  statementTimeoutMs?: number;
  /** How long to wait for a new connection. @default 5000 */
  connectTimeoutMs?: number;
  /** Only for tests of the migration runner. @default MIGRATIONS */
  migrations?: readonly Migration[];
  /** Errors of idle pooled connections (the server restarted, the network dropped). @default ignored: the pool reconnects on next use */
  onIdleError?: (error: Error) => void;
}

/** A PostgreSQL store; `pool` is exposed for database-backed locks (src/services/zone-lock.ts). */
export interface PostgresStore extends Store {
  readonly engine: 'postgres';
  readonly pool: Pool;
}

/**
 * Key of the transaction-scoped advisory lock taken while migrating, so that instances starting together run each
 * migration once (CREATE TABLE IF NOT EXISTS alone races on the catalog). Arbitrary, fixed: 'dnsgw' in ASCII.
 */
const MIGRATION_LOCK_KEY = 0x646e_7367_77;

const UNIQUE_VIOLATION = '23505';

import { DatabaseUnavailableError } from './errors.js';

export { DatabaseUnavailableError };

/** Connects, migrates, and returns the store. `url` is a `postgres://` connection string; it never appears in errors. */
export async function openPostgresStore(url: string, options: PostgresStoreOptions = {}): Promise<PostgresStore> {
  const config: PoolConfig = {
    connectionString: url,
    max: options.maxConnections ?? 10,
    statement_timeout: options.statementTimeoutMs ?? 10_000,
    connectionTimeoutMillis: options.connectTimeoutMs ?? 5000,
    application_name: 'dns-gateway',
  };
  const pool = new pg.Pool(config);
  // Without a listener an idle connection's error (server restart) would crash the process.
  pool.on('error', options.onIdleError ?? (() => undefined));
  try {
    // Connect once first, so an unreachable server or a refused login reads as such rather than as a failed migration.
    const probe = await pool.connect().catch((error: unknown) => {
      const reason = error instanceof Error ? error.message : 'unknown error';
      throw new DatabaseUnavailableError(`DATABASE_URL: cannot connect to PostgreSQL (${reason})`, { cause: error });
    });
    probe.release();
    await migrate(pool, options.migrations ?? MIGRATIONS);
  } catch (error) {
    await pool.end().catch(() => undefined);
    throw error;
  }
  return new PgStore(pool);
}

async function migrate(pool: Pool, migrations: readonly Migration[]): Promise<void> {
  await inTransaction(pool, async (client) => {
    await client.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK_KEY]);
    await client.query(forEngine(SCHEMA_MIGRATIONS_TABLE, 'postgres'));
    const { rows } = await client.query<{ version: number }>('SELECT version FROM schema_migrations');
    // PostgreSQL's DDL is transactional: a failing statement rolls the whole migration run back, as on SQLite.
    for (const migration of pendingMigrations(new Set(rows.map((r) => r.version)), migrations)) {
      for (const statement of migration.statements) await client.query(forEngine(statement, 'postgres'));
      await client.query('INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)', [
        migration.version,
        migration.name,
        new Date().toISOString(),
      ]);
    }
  });
}

/** Runs `work` in one transaction on one pooled connection; rolls back when it throws. */
async function inTransaction<T>(pool: Pool, work: (client: PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  let broken = false;
  try {
    await client.query('BEGIN');
    const result = await work(client);
    await client.query('COMMIT');
    return result;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => {
      broken = true; // the connection itself failed: do not hand it to the next caller
    });
    throw error;
  } finally {
    client.release(broken);
  }
}

const isUniqueViolation = (error: unknown): boolean => (error as { code?: unknown } | null)?.code === UNIQUE_VIOLATION;

/** Thrown inside a sandbox transaction to roll it back and report which write missed. */
class MissingRecord extends Error {
  constructor(readonly outcome: SandboxApplyOutcome) {
    super('missing sandbox record');
  }
}

class PgStore implements PostgresStore {
  readonly engine = 'postgres' as const;
  readonly pool: Pool;

  constructor(pool: Pool) {
    this.pool = pool;
  }

  async #rows<R extends object>(sql: string, params: readonly unknown[] = []): Promise<R[]> {
    return (await this.pool.query<R & pg.QueryResultRow>(sql, params as unknown[])).rows;
  }

  async #count(sql: string, params: readonly unknown[]): Promise<number> {
    return (await this.pool.query(sql, params as unknown[])).rowCount ?? 0;
  }

  async ping(): Promise<void> {
    await this.pool.query('SELECT 1');
  }

  async createUser(user: NewUser): Promise<UserRow> {
    try {
      await this.pool.query(
        'INSERT INTO users (id, username, username_key, password_hash, permissions, created_at) VALUES ($1, $2, $3, $4, $5, $6)',
        [user.id, user.username, usernameKey(user.username), user.passwordHash, JSON.stringify(user.permissions), user.createdAt],
      );
    } catch (error) {
      if (isUniqueViolation(error)) throw new StoreConflictError(`a user named "${user.username}" already exists`, { cause: error });
      throw error;
    }
    return { ...user, permissions: [...user.permissions] };
  }

  async findUserByUsername(username: string): Promise<UserRow | null> {
    const [row] = await this.#rows<UserDbRow>('SELECT id, username, password_hash, permissions, created_at FROM users WHERE username_key = $1', [usernameKey(username)]);
    return row ? toUser(row) : null;
  }

  async findUserById(id: string): Promise<UserRow | null> {
    const [row] = await this.#rows<UserDbRow>('SELECT id, username, password_hash, permissions, created_at FROM users WHERE id = $1', [id]);
    return row ? toUser(row) : null;
  }

  async insertApiKey(key: NewApiKey): Promise<void> {
    await insertKey(this.pool, key);
  }

  async insertApiKeyIfNoneExist(key: NewApiKey): Promise<boolean> {
    return inTransaction(this.pool, async (client) => {
      // SHARE ROW EXCLUSIVE conflicts with itself and with inserts: two instances starting together take turns,
      // and the second one sees the first one's key.
      await client.query('LOCK TABLE users, api_keys IN SHARE ROW EXCLUSIVE MODE');
      const { rows } = await client.query<{ n: number }>('SELECT ((SELECT COUNT(*) FROM api_keys) + (SELECT COUNT(*) FROM users))::int AS n');
      if ((rows[0]?.n ?? 0) > 0) return false;
      await insertKey(client, key);
      return true;
    });
  }

  async findApiKey(id: string): Promise<ApiKeyRow | null> {
    const [row] = await this.#rows<ApiKeyDbRow>(`SELECT ${KEY_COLUMNS} FROM api_keys k LEFT JOIN users u ON u.id = k.user_id WHERE k.id = $1`, [id]);
    return row ? { ...toKeyInfo(row), keyHash: row.key_hash } : null;
  }

  async listApiKeys(): Promise<ApiKeyInfo[]> {
    const rows = await this.#rows<ApiKeyDbRow>(`SELECT ${KEY_COLUMNS} FROM api_keys k LEFT JOIN users u ON u.id = k.user_id ORDER BY k.created_at, k.id`);
    return rows.map(toKeyInfo);
  }

  async revokeApiKey(id: string, at: string): Promise<boolean> {
    // One statement: the row count says whether the key exists, and COALESCE keeps the first revocation time.
    return (await this.#count('UPDATE api_keys SET revoked_at = COALESCE(revoked_at, $1) WHERE id = $2', [at, id])) > 0;
  }

  async touchApiKey(id: string, at: string): Promise<void> {
    await this.pool.query('UPDATE api_keys SET last_used_at = $1 WHERE id = $2', [at, id]);
  }

  async insertSession(session: SessionRow): Promise<void> {
    await this.pool.query('INSERT INTO sessions (id_hash, user_id, created_at, last_seen_at) VALUES ($1, $2, $3, $4)', [
      session.idHash,
      session.userId,
      session.createdAt,
      session.lastSeenAt,
    ]);
  }

  async findSession(idHash: string): Promise<SessionRow | null> {
    const [row] = await this.#rows<SessionDbRow>('SELECT id_hash, user_id, created_at, last_seen_at FROM sessions WHERE id_hash = $1', [idHash]);
    return row ? toSession(row) : null;
  }

  async touchSession(idHash: string, at: string): Promise<void> {
    await this.pool.query('UPDATE sessions SET last_seen_at = $1 WHERE id_hash = $2', [at, idHash]);
  }

  async deleteSession(idHash: string): Promise<void> {
    await this.pool.query('DELETE FROM sessions WHERE id_hash = $1', [idHash]);
  }

  async deleteSessionsIdleSince(cutoff: string): Promise<number> {
    return this.#count('DELETE FROM sessions WHERE last_seen_at < $1', [cutoff]);
  }

  async readSandboxZone(zone: string): Promise<SandboxRecordRow[]> {
    return this.#rows<SandboxRecordRow>(
      'SELECT zone, id, type, name, content, ttl, priority FROM sandbox_records WHERE zone = $1 ORDER BY name, type, id',
      [zone],
    );
  }

  async applySandboxWrites(zone: string, writes: readonly SandboxWrite[]): Promise<SandboxApplyOutcome> {
    try {
      await inTransaction(this.pool, async (client) => {
        for (const [index, write] of writes.entries()) {
          let result: pg.QueryResult;
          if (write.op === 'insert') {
            const r = write.record;
            result = await client.query(
              'INSERT INTO sandbox_records (zone, id, type, name, content, ttl, priority) VALUES ($1, $2, $3, $4, $5, $6, $7)',
              [zone, write.id, r.type, r.name, r.content, r.ttl, r.priority],
            );
          } else if (write.op === 'update') {
            const r = write.record;
            result = await client.query(
              'UPDATE sandbox_records SET type = $1, name = $2, content = $3, ttl = $4, priority = $5 WHERE zone = $6 AND id = $7',
              [r.type, r.name, r.content, r.ttl, r.priority, zone, write.id],
            );
          } else {
            result = await client.query('DELETE FROM sandbox_records WHERE zone = $1 AND id = $2', [zone, write.id]);
          }
          if (result.rowCount !== 1) throw new MissingRecord({ ok: false, index, missingId: write.id });
        }
      });
    } catch (error) {
      if (error instanceof MissingRecord) return error.outcome;
      throw error;
    }
    return { ok: true };
  }

  async insertChange(entry: ChangeEntry): Promise<void> {
    await this.pool.query(
      'INSERT INTO dns_changes (id, created_at, principal, domain, provider, record_type, status, applied, changes) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)',
      [entry.id, entry.createdAt, entry.principal, entry.domain, entry.provider, entry.recordType, entry.status, entry.applied ? 1 : 0, JSON.stringify(entry.changes ?? null)],
    );
  }

  async completeChange(id: string, completion: ChangeCompletion): Promise<boolean> {
    const updated = await this.#count("UPDATE dns_changes SET status = $1, applied = $2, changes = $3 WHERE id = $4 AND status = 'pending'", [
      completion.status,
      completion.applied ? 1 : 0,
      JSON.stringify(completion.changes ?? null),
      id,
    ]);
    return updated === 1;
  }

  async listChanges(query: ListChangesQuery = {}): Promise<ChangeEntry[]> {
    const limit = Math.max(1, Math.min(1000, Math.trunc(query.limit ?? 50)));
    const rows =
      query.domain === undefined
        ? await this.#rows<ChangeDbRow>('SELECT * FROM dns_changes ORDER BY created_at DESC, id DESC LIMIT $1', [limit])
        : await this.#rows<ChangeDbRow>('SELECT * FROM dns_changes WHERE domain = $1 ORDER BY created_at DESC, id DESC LIMIT $2', [query.domain, limit]);
    return rows.map(toChange);
  }

  async getChange(id: string): Promise<ChangeEntry | null> {
    const [row] = await this.#rows<ChangeDbRow>('SELECT * FROM dns_changes WHERE id = $1', [id]);
    return row ? toChange(row) : null;
  }

  async getDomainConnectToken(domain: string): Promise<DomainConnectTokenRow | null> {
    const [row] = await this.#rows<{ domain: string; provider_id: string; sealed: string; updated_at: string }>(
      'SELECT domain, provider_id, sealed, updated_at FROM domain_connect_tokens WHERE domain = $1',
      [domain],
    );
    return row ? { domain: row.domain, providerId: row.provider_id, sealed: row.sealed, updatedAt: row.updated_at } : null;
  }

  async putDomainConnectToken(row: DomainConnectTokenRow): Promise<void> {
    await this.pool.query(
      'INSERT INTO domain_connect_tokens (domain, provider_id, sealed, updated_at) VALUES ($1, $2, $3, $4) ON CONFLICT (domain) DO UPDATE SET provider_id = excluded.provider_id, sealed = excluded.sealed, updated_at = excluded.updated_at',
      [row.domain, row.providerId, row.sealed, row.updatedAt],
    );
  }

  #closing: Promise<void> | undefined;

  close(): Promise<void> {
    this.#closing ??= this.pool.end();
    return this.#closing;
  }
}

async function insertKey(db: Pool | PoolClient, key: NewApiKey): Promise<void> {
  try {
    await db.query('INSERT INTO api_keys (id, name, user_id, key_hash, permissions, created_at) VALUES ($1, $2, $3, $4, $5, $6)', [
      key.id,
      key.name,
      key.userId,
      key.keyHash,
      JSON.stringify(key.permissions),
      key.createdAt,
    ]);
  } catch (error) {
    if (isUniqueViolation(error)) throw new StoreConflictError(`an API key with id ${key.id} already exists`, { cause: error });
    throw error;
  }
}
