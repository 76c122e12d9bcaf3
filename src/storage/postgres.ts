/**
 * The PostgreSQL `Store`, on `pg` (node-postgres). Same migrations (src/storage/migrations.ts, mapped by
 * `forEngine`), same columns and row encodings as the SQLite store, so both pass one test suite
 * (test/storage.test.ts). Several gateway instances may share one database: start-up migrations and the first-key
 * insert are serialised in the database, not in the process.
 */
import pg from 'pg';
import type { Pool, PoolClient, PoolConfig } from 'pg';
import { MIGRATIONS, SCHEMA_MIGRATIONS_TABLE, forEngine, pendingMigrations, type Migration } from './migrations.js';
import {
  byDue,
  CHANGE_COLUMNS,
  changeListLimit,
  KEY_COLUMNS,
  MAX_WATCH_LIST,
  toChange,
  toKeyInfo,
  toOutbox,
  toSession,
  toUser,
  toWatch,
  usernameKey,
  type ApiKeyDbRow,
  type ChangeDbRow,
  type OutboxDbRow,
  type SessionDbRow,
  type UserDbRow,
  type WatchDbRow,
  DC_TOKEN_ON_CONFLICT,
  DC_TOKEN_SELECT,
  DC_TOKEN_UPSERT,
  toDcToken,
  type DcTokenDbRow,
} from './sqlite.js';
import {
  StoreConflictError,
  type ApiKeyInfo,
  type ApiKeyRow,
  type ChangeCompletion,
  type ChangeEntry,
  type ClaimRequest,
  type ListChangesQuery,
  type NewOutboxEntry,
  type OutboxRow,
  type StartWatch,
  type WatchRow,
  type WatchStateName,
  watchCountsByState,
  type WatchUpdate,
  type WebhookAttempt,
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

  async readSandboxZone(account: string, zone: string): Promise<SandboxRecordRow[]> {
    return this.#rows<SandboxRecordRow>(
      'SELECT account, zone, id, type, name, content, ttl, priority FROM sandbox_records WHERE account = $1 AND zone = $2 ORDER BY name, type, id',
      [account, zone],
    );
  }

  async applySandboxWrites(account: string, zone: string, writes: readonly SandboxWrite[]): Promise<SandboxApplyOutcome> {
    try {
      await inTransaction(this.pool, async (client) => {
        for (const [index, write] of writes.entries()) {
          let result: pg.QueryResult;
          if (write.op === 'insert') {
            const r = write.record;
            result = await client.query(
              'INSERT INTO sandbox_records (account, zone, id, type, name, content, ttl, priority) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)',
              [account, zone, write.id, r.type, r.name, r.content, r.ttl, r.priority],
            );
          } else if (write.op === 'update') {
            const r = write.record;
            result = await client.query(
              'UPDATE sandbox_records SET type = $1, name = $2, content = $3, ttl = $4, priority = $5 WHERE account = $6 AND zone = $7 AND id = $8',
              [r.type, r.name, r.content, r.ttl, r.priority, account, zone, write.id],
            );
          } else {
            result = await client.query('DELETE FROM sandbox_records WHERE account = $1 AND zone = $2 AND id = $3', [account, zone, write.id]);
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
      'INSERT INTO dns_changes (id, created_at, principal, account, domain, provider, record_type, status, applied, changes) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)',
      [entry.id, entry.createdAt, entry.principal, entry.account, entry.domain, entry.provider, entry.recordType, entry.status, entry.applied ? 1 : 0, JSON.stringify(entry.changes ?? null)],
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

  async listChanges(query: ListChangesQuery): Promise<ChangeEntry[]> {
    const filters: string[] = [];
    const params: unknown[] = [];
    if (query.account !== null) filters.push(`account = $${params.push(query.account)}`);
    if (query.domain !== undefined) filters.push(`domain = $${params.push(query.domain)}`);
    const where = filters.length > 0 ? `WHERE ${filters.join(' AND ')} ` : '';
    const limit = `$${params.push(changeListLimit(query.limit))}`;
    const rows = await this.#rows<ChangeDbRow>(`SELECT ${CHANGE_COLUMNS} FROM dns_changes ${where}ORDER BY created_at DESC, id DESC LIMIT ${limit}`, params);
    return rows.map(toChange);
  }

  async getChange(id: string, account: string | null): Promise<ChangeEntry | null> {
    const [row] =
      account === null
        ? await this.#rows<ChangeDbRow>(`SELECT ${CHANGE_COLUMNS} FROM dns_changes WHERE id = $1`, [id])
        : await this.#rows<ChangeDbRow>(`SELECT ${CHANGE_COLUMNS} FROM dns_changes WHERE id = $1 AND account = $2`, [id, account]);
    return row ? toChange(row) : null;
  }

  async startWatch(watch: StartWatch): Promise<{ watch: WatchRow; previousState: WatchStateName | null }> {
    // One statement: the CTE reads the row as the statement's snapshot sees it (not FOR UPDATE: that would skip the
    // row this very statement updates); the upsert inserts or restarts it. SET expressions read the old row, so the
    // CASE sees the state before the restart. Two restarts racing may both report the older state: at worst a
    // subscriber is told PENDING twice, which the version number de-duplicates.
    const [row] = await this.#rows<WatchDbRow & { previous_state: WatchStateName | null }>(
      `WITH previous AS (
         SELECT state FROM dns_watches WHERE principal = $2 AND domain = $3 AND record_type = $4
       )
       INSERT INTO dns_watches (id, principal, domain, record_type, state, version, created_at, state_changed_at, expires_at, checks, next_check_at)
       VALUES ($1, $2, $3, $4, 'PENDING', 1, $5, $5, $6, 0, $7)
       ON CONFLICT (principal, domain, record_type) DO UPDATE SET
         state = 'PENDING', version = dns_watches.version + 1,
         state_changed_at = CASE WHEN dns_watches.state = 'PENDING' THEN dns_watches.state_changed_at ELSE EXCLUDED.state_changed_at END,
         expires_at = EXCLUDED.expires_at, checks = 0, next_check_at = EXCLUDED.next_check_at, claimed_by = NULL, claimed_until = NULL
       RETURNING dns_watches.*, (SELECT state FROM previous) AS previous_state`,
      [watch.id, watch.principal, watch.domain, watch.recordType, watch.at, watch.expiresAt, watch.nextCheckAt],
    );
    return { watch: toWatch(row!), previousState: row!.previous_state ?? null };
  }

  async listWatches(query: { principal: string; domain?: string | undefined; limit?: number }): Promise<WatchRow[]> {
    const limit = Math.max(1, Math.min(MAX_WATCH_LIST, Math.trunc(query.limit ?? MAX_WATCH_LIST)));
    const rows =
      query.domain === undefined
        ? await this.#rows<WatchDbRow>('SELECT * FROM dns_watches WHERE principal = $1 ORDER BY domain, record_type LIMIT $2', [query.principal, limit])
        : await this.#rows<WatchDbRow>('SELECT * FROM dns_watches WHERE principal = $1 AND domain = $2 ORDER BY record_type LIMIT $3', [query.principal, query.domain, limit]);
    return rows.map(toWatch);
  }

  async countWatchesByState(): Promise<Record<WatchStateName, number>> {
    // COUNT(*) is a bigint, which pg returns as text.
    return watchCountsByState(await this.#rows<{ state: string; count: string }>('SELECT state, COUNT(*) AS count FROM dns_watches GROUP BY state', []));
  }

  async findWatch(principal: string, domain: string, recordType: string): Promise<WatchRow | null> {
    const [row] = await this.#rows<WatchDbRow>('SELECT * FROM dns_watches WHERE principal = $1 AND domain = $2 AND record_type = $3', [principal, domain, recordType]);
    return row ? toWatch(row) : null;
  }

  async claimDueWatches(claim: ClaimRequest): Promise<WatchRow[]> {
    // SKIP LOCKED: a row another instance is claiming right now is passed over, not waited for; the lease columns
    // then keep it from being claimed again until its lease ends.
    const rows = await this.#rows<WatchDbRow>(
      `WITH due AS (
         SELECT id FROM dns_watches
         WHERE next_check_at IS NOT NULL AND next_check_at <= $3 AND (claimed_until IS NULL OR claimed_until <= $3)
         ORDER BY next_check_at, id LIMIT $4
         FOR UPDATE SKIP LOCKED
       )
       UPDATE dns_watches w SET claimed_by = $1, claimed_until = $2 FROM due WHERE w.id = due.id RETURNING w.*`,
      [claim.token, claim.until, claim.now, claim.limit],
    );
    return byDue(rows.map(toWatch), (w) => w.nextCheckAt);
  }

  async finishWatchCheck(id: string, token: string, update: WatchUpdate, event?: NewOutboxEntry): Promise<WatchRow | null> {
    return inTransaction(this.pool, async (client) => {
      const { rows } = await client.query<WatchDbRow>(
        `UPDATE dns_watches SET state = $1, version = $2, state_changed_at = $3, expires_at = $4, checks = $5, next_check_at = $6,
           last_checked_at = $7, last_result = $8, claimed_by = NULL, claimed_until = NULL
         WHERE id = $9 AND claimed_by = $10 RETURNING *`,
        [update.state, update.version, update.stateChangedAt, update.expiresAt, update.checks, update.nextCheckAt, update.lastCheckedAt, JSON.stringify(update.lastResult ?? null), id, token],
      );
      const row = rows[0];
      if (!row) return null;
      if (event) {
        await client.query('INSERT INTO webhook_outbox (id, event_type, payload, created_at, attempts, next_attempt_at) VALUES ($1, $2, $3, $4, 0, $5)', [
          event.id,
          event.eventType,
          event.payload,
          event.createdAt,
          event.nextAttemptAt,
        ]);
      }
      return toWatch(row);
    });
  }

  async claimDueWebhooks(claim: ClaimRequest): Promise<OutboxRow[]> {
    const rows = await this.#rows<OutboxDbRow>(
      `WITH due AS (
         SELECT id FROM webhook_outbox
         WHERE next_attempt_at IS NOT NULL AND next_attempt_at <= $3 AND (claimed_until IS NULL OR claimed_until <= $3)
         ORDER BY next_attempt_at, id LIMIT $4
         FOR UPDATE SKIP LOCKED
       )
       UPDATE webhook_outbox o SET claimed_by = $1, claimed_until = $2 FROM due WHERE o.id = due.id RETURNING o.*`,
      [claim.token, claim.until, claim.now, claim.limit],
    );
    return byDue(rows.map(toOutbox), (o) => o.nextAttemptAt);
  }

  async finishWebhookAttempt(a: WebhookAttempt): Promise<boolean> {
    const at = (outcome: WebhookAttempt['outcome']) => (a.outcome === outcome ? a.at : null);
    const changed = await this.#count(
      `UPDATE webhook_outbox SET attempts = $1, next_attempt_at = $2, delivered_at = $3, failed_at = $4, last_status = $5, last_error = $6,
         claimed_by = NULL, claimed_until = NULL
       WHERE id = $7 AND claimed_by = $8`,
      [a.attempts, a.outcome === 'retry' ? a.nextAttemptAt : null, at('delivered'), at('failed'), a.lastStatus, a.lastError, a.id, a.token],
    );
    return changed === 1;
  }

  async listWebhooks(limit = 100): Promise<OutboxRow[]> {
    const rows = await this.#rows<OutboxDbRow>('SELECT * FROM webhook_outbox ORDER BY created_at DESC, id DESC LIMIT $1', [Math.max(1, Math.min(1000, Math.trunc(limit)))]);
    return rows.map(toOutbox);
  }

  async releaseClaims(prefix: string): Promise<void> {
    await this.pool.query('UPDATE dns_watches SET claimed_by = NULL, claimed_until = NULL WHERE substr(claimed_by, 1, $1) = $2', [prefix.length, prefix]);
    await this.pool.query('UPDATE webhook_outbox SET claimed_by = NULL, claimed_until = NULL WHERE substr(claimed_by, 1, $1) = $2', [prefix.length, prefix]);
  }

  async getDomainConnectToken(account: string, domain: string): Promise<DomainConnectTokenRow | null> {
    const [row] = await this.#rows<DcTokenDbRow>(`${DC_TOKEN_SELECT} WHERE account = $1 AND domain = $2`, [account, domain]);
    return row ? toDcToken(row) : null;
  }

  async putDomainConnectToken(row: DomainConnectTokenRow): Promise<void> {
    await this.pool.query(`${DC_TOKEN_UPSERT} ($1, $2, $3, $4, $5) ${DC_TOKEN_ON_CONFLICT}`, [row.account, row.domain, row.providerId, row.sealed, row.updatedAt]);
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
