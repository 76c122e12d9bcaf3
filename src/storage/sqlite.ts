/**
 * The SQLite `Store`, on better-sqlite3. Statements are synchronous underneath; the async interface is what lets a
 * PostgreSQL store replace this one unchanged.
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import type { Permission } from '../auth/types.js';
import { MIGRATIONS, SCHEMA_MIGRATIONS_TABLE, forEngine, pendingMigrations, type Migration } from './migrations.js';
import {
  StoreConflictError,
  type ApiKeyInfo,
  type ApiKeyRow,
  type ChangeCompletion,
  type ChangeEntry,
  type ChangeStatus,
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

export interface SqliteStoreOptions {
  /** How long a statement waits for another connection's write lock before failing. @default 5000 */
  busyTimeoutMs?: number;
  /** Only for tests of the migration runner. @default MIGRATIONS */
  migrations?: readonly Migration[];
}

const MEMORY = ':memory:';

/** Opens (creating the file and its directory if missing) and migrates a SQLite database. */
export function openSqliteStore(file: string, options: SqliteStoreOptions = {}): Store {
  if (file !== MEMORY) mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  const db = new Database(file);
  try {
    db.pragma(`busy_timeout = ${Math.trunc(options.busyTimeoutMs ?? 5000)}`);
    // WAL lets the CLI and a running server use one file at once; in-memory databases have no journal file.
    if (file !== MEMORY) db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.pragma('foreign_keys = ON');
    migrate(db, options.migrations ?? MIGRATIONS);
  } catch (error) {
    db.close();
    throw error;
  }
  return new SqliteStore(db);
}

function migrate(db: Database.Database, migrations: readonly Migration[]): void {
  // IMMEDIATE takes the write lock before reading the applied versions, so two processes starting together
  // cannot both decide to run the same migration.
  db.transaction(() => {
    db.exec(forEngine(SCHEMA_MIGRATIONS_TABLE, 'sqlite'));
    const rows = db.prepare('SELECT version FROM schema_migrations').all() as { version: number }[];
    const record = db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)');
    for (const migration of pendingMigrations(new Set(rows.map((r) => r.version)), migrations)) {
      for (const statement of migration.statements) db.exec(forEngine(statement, 'sqlite'));
      record.run(migration.version, migration.name, new Date().toISOString());
    }
  }).immediate();
}

/* Row shapes and mappers, shared with the PostgreSQL store (same columns, same text encodings). */
export interface UserDbRow {
  id: string;
  username: string;
  password_hash: string;
  permissions: string;
  created_at: string;
}

export interface ApiKeyDbRow {
  id: string;
  name: string;
  user_id: string | null;
  username: string | null;
  key_hash: string;
  permissions: string;
  created_at: string;
  revoked_at: string | null;
  last_used_at: string | null;
}

export interface SessionDbRow {
  id_hash: string;
  user_id: string;
  created_at: string;
  last_seen_at: string;
}

export interface ChangeDbRow {
  id: string;
  created_at: string;
  principal: string;
  account: string;
  domain: string;
  provider: string;
  record_type: string;
  status: ChangeStatus;
  applied: number;
  changes: string;
}

export interface WatchDbRow {
  id: string;
  principal: string;
  domain: string;
  record_type: string;
  state: WatchStateName;
  version: number | string;
  created_at: string;
  state_changed_at: string;
  expires_at: string | null;
  checks: number | string;
  next_check_at: string | null;
  last_checked_at: string | null;
  last_result: string | null;
}

export interface OutboxDbRow {
  id: string;
  event_type: string;
  payload: string;
  created_at: string;
  attempts: number | string;
  next_attempt_at: string | null;
  delivered_at: string | null;
  failed_at: string | null;
  last_status: number | string | null;
  last_error: string | null;
}

export const toWatch = (r: WatchDbRow): WatchRow => ({
  id: r.id,
  principal: r.principal,
  domain: r.domain,
  recordType: r.record_type,
  state: r.state,
  version: Number(r.version),
  createdAt: r.created_at,
  stateChangedAt: r.state_changed_at,
  expiresAt: r.expires_at,
  checks: Number(r.checks),
  nextCheckAt: r.next_check_at,
  lastCheckedAt: r.last_checked_at,
  lastResult: r.last_result === null ? null : (JSON.parse(r.last_result) as unknown),
});

export const toOutbox = (r: OutboxDbRow): OutboxRow => ({
  id: r.id,
  eventType: r.event_type,
  payload: r.payload,
  createdAt: r.created_at,
  attempts: Number(r.attempts),
  nextAttemptAt: r.next_attempt_at,
  deliveredAt: r.delivered_at,
  failedAt: r.failed_at,
  lastStatus: r.last_status === null ? null : Number(r.last_status),
  lastError: r.last_error,
});

/** Rows a claim returned, earliest due first (RETURNING promises no order). */
export const byDue = <T extends { id: string }>(rows: T[], due: (row: T) => string | null): T[] => {
  const key = (row: T) => `${due(row) ?? ''}\u0000${row.id}`;
  return rows.sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
};

/** Most watches one listing returns. */
export const MAX_WATCH_LIST = 500;

const parsePermissions = (json: string): Permission[] => {
  const value: unknown = JSON.parse(json);
  return Array.isArray(value) ? value.filter((p): p is string => typeof p === 'string') : [];
};

export const toUser = (r: UserDbRow): UserRow => ({
  id: r.id,
  username: r.username,
  passwordHash: r.password_hash,
  permissions: parsePermissions(r.permissions),
  createdAt: r.created_at,
});

export const toKeyInfo = (r: ApiKeyDbRow): ApiKeyInfo => ({
  id: r.id,
  name: r.name,
  userId: r.user_id,
  username: r.username,
  permissions: parsePermissions(r.permissions),
  createdAt: r.created_at,
  revokedAt: r.revoked_at,
  lastUsedAt: r.last_used_at,
});

export const toSession = (r: SessionDbRow): SessionRow => ({
  idHash: r.id_hash,
  userId: r.user_id,
  createdAt: r.created_at,
  lastSeenAt: r.last_seen_at,
});

export const toChange = (r: ChangeDbRow): ChangeEntry => ({
  id: r.id,
  createdAt: r.created_at,
  principal: r.principal,
  account: r.account,
  domain: r.domain,
  provider: r.provider,
  recordType: r.record_type,
  status: r.status,
  // PostgreSQL's driver returns INTEGER as a number too; the comparison works for both.
  applied: Number(r.applied) === 1,
  changes: parseStoredJson(r.changes),
});

export interface DcTokenDbRow {
  account: string;
  domain: string;
  provider_id: string;
  sealed: string;
  updated_at: string;
}

export const toDcToken = (r: DcTokenDbRow): DomainConnectTokenRow => ({
  account: r.account,
  domain: r.domain,
  providerId: r.provider_id,
  sealed: r.sealed,
  updatedAt: r.updated_at,
});

/** Both engines' SQL for Domain Connect authorizations, keyed by (account, domain); the caller adds the placeholders. */
export const DC_TOKEN_SELECT = 'SELECT account, domain, provider_id, sealed, updated_at FROM domain_connect_tokens';
export const DC_TOKEN_UPSERT = 'INSERT INTO domain_connect_tokens (account, domain, provider_id, sealed, updated_at) VALUES';
export const DC_TOKEN_ON_CONFLICT =
  'ON CONFLICT (account, domain) DO UPDATE SET provider_id = excluded.provider_id, sealed = excluded.sealed, updated_at = excluded.updated_at';

/** JSON text → value; text that is not JSON (written by hand, cut short) comes back as the text itself. */
function parseStoredJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

/** The case-insensitive key of a username (also used by the PostgreSQL store). */
export const usernameKey = (username: string): string => username.normalize('NFC').toLowerCase();

function isUniqueViolation(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY';
}

/** The columns of a `ChangeDbRow` (also used by the PostgreSQL store). */
export const CHANGE_COLUMNS = 'id, created_at, principal, account, domain, provider, record_type, status, applied, changes';

/** A listing's row limit: 1 to 1000, 50 unless asked (also used by the PostgreSQL store). */
export const changeListLimit = (limit: number | undefined): number => Math.max(1, Math.min(1000, Math.trunc(limit ?? 50)));

export const KEY_COLUMNS = `k.id, k.name, k.user_id, u.username, k.key_hash, k.permissions, k.created_at, k.revoked_at, k.last_used_at`;

class SqliteStore implements Store {
  readonly engine = 'sqlite' as const;
  readonly #db: Database.Database;
  readonly #sql: ReturnType<typeof prepareStatements>;

  constructor(db: Database.Database) {
    this.#db = db;
    this.#sql = prepareStatements(db);
  }

  async ping(): Promise<void> {
    this.#sql.ping.get();
  }

  async createUser(user: NewUser): Promise<UserRow> {
    try {
      this.#sql.insertUser.run(user.id, user.username, usernameKey(user.username), user.passwordHash, JSON.stringify(user.permissions), user.createdAt);
    } catch (error) {
      if (isUniqueViolation(error)) throw new StoreConflictError(`a user named "${user.username}" already exists`, { cause: error });
      throw error;
    }
    return { ...user, permissions: [...user.permissions] };
  }

  async findUserByUsername(username: string): Promise<UserRow | null> {
    const row = this.#sql.userByKey.get(usernameKey(username)) as UserDbRow | undefined;
    return row ? toUser(row) : null;
  }

  async findUserById(id: string): Promise<UserRow | null> {
    const row = this.#sql.userById.get(id) as UserDbRow | undefined;
    return row ? toUser(row) : null;
  }

  async insertApiKey(key: NewApiKey): Promise<void> {
    this.#insertKey(key);
  }

  #insertKey(key: NewApiKey): void {
    try {
      this.#sql.insertKey.run(key.id, key.name, key.userId, key.keyHash, JSON.stringify(key.permissions), key.createdAt);
    } catch (error) {
      if (isUniqueViolation(error)) throw new StoreConflictError(`an API key with id ${key.id} already exists`, { cause: error });
      throw error;
    }
  }

  async insertApiKeyIfNoneExist(key: NewApiKey): Promise<boolean> {
    return this.#db
      .transaction(() => {
        const { n } = this.#sql.countKeysAndUsers.get() as { n: number };
        if (n > 0) return false;
        this.#insertKey(key);
        return true;
      })
      .immediate();
  }

  async findApiKey(id: string): Promise<ApiKeyRow | null> {
    const row = this.#sql.keyById.get(id) as ApiKeyDbRow | undefined;
    return row ? { ...toKeyInfo(row), keyHash: row.key_hash } : null;
  }

  async listApiKeys(): Promise<ApiKeyInfo[]> {
    return (this.#sql.listKeys.all() as ApiKeyDbRow[]).map(toKeyInfo);
  }

  async revokeApiKey(id: string, at: string): Promise<boolean> {
    return this.#db.transaction(() => {
      if (!this.#sql.keyExists.get(id)) return false;
      this.#sql.revokeKey.run(at, id);
      return true;
    })();
  }

  async touchApiKey(id: string, at: string): Promise<void> {
    this.#sql.touchKey.run(at, id);
  }

  async insertSession(session: SessionRow): Promise<void> {
    this.#sql.insertSession.run(session.idHash, session.userId, session.createdAt, session.lastSeenAt);
  }

  async findSession(idHash: string): Promise<SessionRow | null> {
    const row = this.#sql.sessionByHash.get(idHash) as SessionDbRow | undefined;
    return row ? toSession(row) : null;
  }

  async touchSession(idHash: string, at: string): Promise<void> {
    this.#sql.touchSession.run(at, idHash);
  }

  async deleteSession(idHash: string): Promise<void> {
    this.#sql.deleteSession.run(idHash);
  }

  async deleteSessionsIdleSince(cutoff: string): Promise<number> {
    return this.#sql.deleteIdleSessions.run(cutoff).changes;
  }

  async readSandboxZone(account: string, zone: string): Promise<SandboxRecordRow[]> {
    return this.#sql.sandboxZone.all(account, zone) as SandboxRecordRow[];
  }

  async applySandboxWrites(account: string, zone: string, writes: readonly SandboxWrite[]): Promise<SandboxApplyOutcome> {
    const sql = this.#sql;
    class MissingRecord extends Error {
      constructor(readonly outcome: SandboxApplyOutcome) {
        super('missing sandbox record');
      }
    }
    try {
      this.#db.transaction(() => {
        writes.forEach((write, index) => {
          let changed: number;
          if (write.op === 'insert') {
            const r = write.record;
            changed = sql.sandboxInsert.run(account, zone, write.id, r.type, r.name, r.content, r.ttl, r.priority).changes;
          } else if (write.op === 'update') {
            const r = write.record;
            changed = sql.sandboxUpdate.run(r.type, r.name, r.content, r.ttl, r.priority, account, zone, write.id).changes;
          } else {
            changed = sql.sandboxDelete.run(account, zone, write.id).changes;
          }
          // Throwing inside the transaction function is how better-sqlite3 rolls the whole transaction back.
          if (changed !== 1) throw new MissingRecord({ ok: false, index, missingId: write.id });
        });
      }).immediate();
    } catch (error) {
      if (error instanceof MissingRecord) return error.outcome;
      throw error;
    }
    return { ok: true };
  }

  async insertChange(entry: ChangeEntry): Promise<void> {
    this.#sql.insertChange.run(
      entry.id,
      entry.createdAt,
      entry.principal,
      entry.account,
      entry.domain,
      entry.provider,
      entry.recordType,
      entry.status,
      entry.applied ? 1 : 0,
      JSON.stringify(entry.changes ?? null),
    );
  }

  async completeChange(id: string, completion: ChangeCompletion): Promise<boolean> {
    const { changes } = this.#sql.completeChange.run(completion.status, completion.applied ? 1 : 0, JSON.stringify(completion.changes ?? null), id);
    return changes === 1;
  }

  async listChanges(query: ListChangesQuery): Promise<ChangeEntry[]> {
    const limit = changeListLimit(query.limit);
    const sql = this.#sql;
    const { account, domain } = query;
    // One statement per filter combination, so that each uses its index (an `? IS NULL OR` filter would not).
    const rows = (
      account === null
        ? domain === undefined ? sql.listChanges.all(limit) : sql.listChangesForDomain.all(domain, limit)
        : domain === undefined ? sql.listChangesOfAccount.all(account, limit) : sql.listChangesOfAccountForDomain.all(account, domain, limit)
    ) as ChangeDbRow[];
    return rows.map(toChange);
  }

  async getChange(id: string, account: string | null): Promise<ChangeEntry | null> {
    const row = (account === null ? this.#sql.changeById.get(id) : this.#sql.changeOfAccountById.get(id, account)) as ChangeDbRow | undefined;
    return row ? toChange(row) : null;
  }

  async startWatch(watch: StartWatch): Promise<{ watch: WatchRow; previousState: WatchStateName | null }> {
    const sql = this.#sql;
    return this.#db
      .transaction(() => {
        const existing = sql.watchByKey.get(watch.principal, watch.domain, watch.recordType) as WatchDbRow | undefined;
        if (existing) {
          const row = sql.restartWatch.get(watch.at, watch.expiresAt, watch.nextCheckAt, existing.id) as WatchDbRow;
          return { watch: toWatch(row), previousState: existing.state };
        }
        sql.insertWatch.run(watch.id, watch.principal, watch.domain, watch.recordType, watch.at, watch.at, watch.expiresAt, watch.nextCheckAt);
        return { watch: toWatch(sql.watchById.get(watch.id) as WatchDbRow), previousState: null };
      })
      .immediate();
  }

  async listWatches(query: { principal: string; domain?: string | undefined; limit?: number }): Promise<WatchRow[]> {
    const limit = Math.max(1, Math.min(MAX_WATCH_LIST, Math.trunc(query.limit ?? MAX_WATCH_LIST)));
    const rows = (query.domain === undefined ? this.#sql.listWatches.all(query.principal, limit) : this.#sql.listWatchesForDomain.all(query.principal, query.domain, limit)) as WatchDbRow[];
    return rows.map(toWatch);
  }

  async countWatchesByState(): Promise<Record<WatchStateName, number>> {
    return watchCountsByState(this.#sql.countWatchesByState.all() as { state: string; count: number }[]);
  }

  async findWatch(principal: string, domain: string, recordType: string): Promise<WatchRow | null> {
    const row = this.#sql.watchByKey.get(principal, domain, recordType) as WatchDbRow | undefined;
    return row ? toWatch(row) : null;
  }

  async claimDueWatches(claim: ClaimRequest): Promise<WatchRow[]> {
    // One statement: SQLite runs it under its write lock, so two claimers (processes sharing the file) never
    // take the same row.
    const rows = this.#sql.claimWatches.all(claim.token, claim.until, claim.now, claim.now, claim.limit) as WatchDbRow[];
    return byDue(rows.map(toWatch), (w) => w.nextCheckAt);
  }

  async finishWatchCheck(id: string, token: string, update: WatchUpdate, event?: NewOutboxEntry): Promise<WatchRow | null> {
    const sql = this.#sql;
    return this.#db
      .transaction(() => {
        const row = sql.finishWatch.get(
          update.state,
          update.version,
          update.stateChangedAt,
          update.expiresAt,
          update.checks,
          update.nextCheckAt,
          update.lastCheckedAt,
          JSON.stringify(update.lastResult ?? null),
          id,
          token,
        ) as WatchDbRow | undefined;
        if (!row) return null;
        if (event) sql.insertOutbox.run(event.id, event.eventType, event.payload, event.createdAt, event.nextAttemptAt);
        return toWatch(row);
      })
      .immediate();
  }

  async claimDueWebhooks(claim: ClaimRequest): Promise<OutboxRow[]> {
    const rows = this.#sql.claimWebhooks.all(claim.token, claim.until, claim.now, claim.now, claim.limit) as OutboxDbRow[];
    return byDue(rows.map(toOutbox), (o) => o.nextAttemptAt);
  }

  async finishWebhookAttempt(a: WebhookAttempt): Promise<boolean> {
    const at = (outcome: WebhookAttempt['outcome']) => (a.outcome === outcome ? a.at : null);
    const changed = this.#sql.finishWebhook.run(
      a.attempts,
      a.outcome === 'retry' ? a.nextAttemptAt : null,
      at('delivered'),
      at('failed'),
      a.lastStatus,
      a.lastError,
      a.id,
      a.token,
    ).changes;
    return changed === 1;
  }

  async listWebhooks(limit = 100): Promise<OutboxRow[]> {
    return (this.#sql.listWebhooks.all(Math.max(1, Math.min(1000, Math.trunc(limit)))) as OutboxDbRow[]).map(toOutbox);
  }

  async releaseClaims(prefix: string): Promise<void> {
    this.#db.transaction(() => {
      this.#sql.releaseWatchClaims.run(prefix.length, prefix);
      this.#sql.releaseWebhookClaims.run(prefix.length, prefix);
    })();
  }

  async getDomainConnectToken(account: string, domain: string): Promise<DomainConnectTokenRow | null> {
    const row = this.#sql.dcTokenOf.get(account, domain) as DcTokenDbRow | undefined;
    return row ? toDcToken(row) : null;
  }

  async putDomainConnectToken(row: DomainConnectTokenRow): Promise<void> {
    this.#sql.dcTokenPut.run(row.account, row.domain, row.providerId, row.sealed, row.updatedAt);
  }

  async close(): Promise<void> {
    if (this.#db.open) this.#db.close();
  }
}

function prepareStatements(db: Database.Database) {
  const p = (sql: string) => db.prepare(sql);
  return {
    ping: p('SELECT 1 AS ok'),
    insertUser: p('INSERT INTO users (id, username, username_key, password_hash, permissions, created_at) VALUES (?, ?, ?, ?, ?, ?)'),
    userByKey: p('SELECT id, username, password_hash, permissions, created_at FROM users WHERE username_key = ?'),
    userById: p('SELECT id, username, password_hash, permissions, created_at FROM users WHERE id = ?'),
    insertKey: p('INSERT INTO api_keys (id, name, user_id, key_hash, permissions, created_at) VALUES (?, ?, ?, ?, ?, ?)'),
    countKeysAndUsers: p('SELECT (SELECT COUNT(*) FROM api_keys) + (SELECT COUNT(*) FROM users) AS n'),
    keyById: p(`SELECT ${KEY_COLUMNS} FROM api_keys k LEFT JOIN users u ON u.id = k.user_id WHERE k.id = ?`),
    keyExists: p('SELECT 1 FROM api_keys WHERE id = ?'),
    listKeys: p(`SELECT ${KEY_COLUMNS} FROM api_keys k LEFT JOIN users u ON u.id = k.user_id ORDER BY k.created_at, k.id`),
    revokeKey: p('UPDATE api_keys SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL'),
    touchKey: p('UPDATE api_keys SET last_used_at = ? WHERE id = ?'),
    insertSession: p('INSERT INTO sessions (id_hash, user_id, created_at, last_seen_at) VALUES (?, ?, ?, ?)'),
    sessionByHash: p('SELECT id_hash, user_id, created_at, last_seen_at FROM sessions WHERE id_hash = ?'),
    touchSession: p('UPDATE sessions SET last_seen_at = ? WHERE id_hash = ?'),
    deleteSession: p('DELETE FROM sessions WHERE id_hash = ?'),
    deleteIdleSessions: p('DELETE FROM sessions WHERE last_seen_at < ?'),
    sandboxZone: p('SELECT account, zone, id, type, name, content, ttl, priority FROM sandbox_records WHERE account = ? AND zone = ? ORDER BY name, type, id'),
    sandboxInsert: p('INSERT INTO sandbox_records (account, zone, id, type, name, content, ttl, priority) VALUES (?, ?, ?, ?, ?, ?, ?, ?)'),
    sandboxUpdate: p('UPDATE sandbox_records SET type = ?, name = ?, content = ?, ttl = ?, priority = ? WHERE account = ? AND zone = ? AND id = ?'),
    sandboxDelete: p('DELETE FROM sandbox_records WHERE account = ? AND zone = ? AND id = ?'),
    insertChange: p(
      'INSERT INTO dns_changes (id, created_at, principal, account, domain, provider, record_type, status, applied, changes) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
    ),
    completeChange: p("UPDATE dns_changes SET status = ?, applied = ?, changes = ? WHERE id = ? AND status = 'pending'"),
    listChanges: p(`SELECT ${CHANGE_COLUMNS} FROM dns_changes ORDER BY created_at DESC, id DESC LIMIT ?`),
    listChangesForDomain: p(`SELECT ${CHANGE_COLUMNS} FROM dns_changes WHERE domain = ? ORDER BY created_at DESC, id DESC LIMIT ?`),
    listChangesOfAccount: p(`SELECT ${CHANGE_COLUMNS} FROM dns_changes WHERE account = ? ORDER BY created_at DESC, id DESC LIMIT ?`),
    listChangesOfAccountForDomain: p(`SELECT ${CHANGE_COLUMNS} FROM dns_changes WHERE account = ? AND domain = ? ORDER BY created_at DESC, id DESC LIMIT ?`),
    changeById: p(`SELECT ${CHANGE_COLUMNS} FROM dns_changes WHERE id = ?`),
    changeOfAccountById: p(`SELECT ${CHANGE_COLUMNS} FROM dns_changes WHERE id = ? AND account = ?`),
    ...watchStatements(p),
  };
}

/** The watch and outbox statements (the SQL the PostgreSQL store runs is in postgres.ts, with its own claim). */
function watchStatements(p: (sql: string) => Database.Statement) {
  return {
    watchById: p('SELECT * FROM dns_watches WHERE id = ?'),
    watchByKey: p('SELECT * FROM dns_watches WHERE principal = ? AND domain = ? AND record_type = ?'),
    insertWatch: p(
      `INSERT INTO dns_watches (id, principal, domain, record_type, state, version, created_at, state_changed_at, expires_at, checks, next_check_at)
       VALUES (?, ?, ?, ?, 'PENDING', 1, ?, ?, ?, 0, ?)`,
    ),
    // SET expressions read the row as it was: `state` in the CASE is the state before the restart.
    restartWatch: p(
      `UPDATE dns_watches SET state = 'PENDING', version = version + 1,
         state_changed_at = CASE WHEN state = 'PENDING' THEN state_changed_at ELSE ? END,
         expires_at = ?, checks = 0, next_check_at = ?, claimed_by = NULL, claimed_until = NULL
       WHERE id = ? RETURNING *`,
    ),
    listWatches: p('SELECT * FROM dns_watches WHERE principal = ? ORDER BY domain, record_type LIMIT ?'),
    listWatchesForDomain: p('SELECT * FROM dns_watches WHERE principal = ? AND domain = ? ORDER BY record_type LIMIT ?'),
    countWatchesByState: p('SELECT state, COUNT(*) AS count FROM dns_watches GROUP BY state'),
    claimWatches: p(
      `UPDATE dns_watches SET claimed_by = ?, claimed_until = ?
       WHERE id IN (
         SELECT id FROM dns_watches
         WHERE next_check_at IS NOT NULL AND next_check_at <= ? AND (claimed_until IS NULL OR claimed_until <= ?)
         ORDER BY next_check_at, id LIMIT ?
       ) RETURNING *`,
    ),
    finishWatch: p(
      `UPDATE dns_watches SET state = ?, version = ?, state_changed_at = ?, expires_at = ?, checks = ?, next_check_at = ?,
         last_checked_at = ?, last_result = ?, claimed_by = NULL, claimed_until = NULL
       WHERE id = ? AND claimed_by = ? RETURNING *`,
    ),
    insertOutbox: p(
      `INSERT INTO webhook_outbox (id, event_type, payload, created_at, attempts, next_attempt_at) VALUES (?, ?, ?, ?, 0, ?)`,
    ),
    claimWebhooks: p(
      `UPDATE webhook_outbox SET claimed_by = ?, claimed_until = ?
       WHERE id IN (
         SELECT id FROM webhook_outbox
         WHERE next_attempt_at IS NOT NULL AND next_attempt_at <= ? AND (claimed_until IS NULL OR claimed_until <= ?)
         ORDER BY next_attempt_at, id LIMIT ?
       ) RETURNING *`,
    ),
    finishWebhook: p(
      `UPDATE webhook_outbox SET attempts = ?, next_attempt_at = ?, delivered_at = ?, failed_at = ?, last_status = ?, last_error = ?,
         claimed_by = NULL, claimed_until = NULL
       WHERE id = ? AND claimed_by = ?`,
    ),
    listWebhooks: p('SELECT * FROM webhook_outbox ORDER BY created_at DESC, id DESC LIMIT ?'),
    releaseWatchClaims: p('UPDATE dns_watches SET claimed_by = NULL, claimed_until = NULL WHERE substr(claimed_by, 1, ?) = ?'),
    releaseWebhookClaims: p('UPDATE webhook_outbox SET claimed_by = NULL, claimed_until = NULL WHERE substr(claimed_by, 1, ?) = ?'),
    dcTokenOf: p(`${DC_TOKEN_SELECT} WHERE account = ? AND domain = ?`),
    dcTokenPut: p(
      `${DC_TOKEN_UPSERT} (?, ?, ?, ?, ?) ${DC_TOKEN_ON_CONFLICT}`,
    ),
  };
}
