/**
 * The schema, as ordered numbered migrations recorded in `schema_migrations`. The SQL sticks to what SQLite and
 * PostgreSQL both accept (TEXT/INTEGER columns, application-made ids, ISO-8601 text timestamps) so that both stores
 * run these same statements, through `forEngine` (the one per-engine mapping, below). Never edit a released
 * migration: append a new one.
 */

export type StorageEngine = 'sqlite' | 'postgres';

export interface Migration {
  /** Strictly increasing, starting at 1. */
  readonly version: number;
  readonly name: string;
  /** Statements run in order, inside the migration's transaction. */
  readonly statements: readonly string[];
}

/** Created before any migration runs; both engines accept it as written. */
export const SCHEMA_MIGRATIONS_TABLE = `CREATE TABLE IF NOT EXISTS schema_migrations (
  version INTEGER PRIMARY KEY,
  name TEXT NOT NULL,
  applied_at TEXT NOT NULL
)`;

/**
 * The key `ensureInitialAdminKey` made on the first start, in SQL both engines run: named "admin", without a user,
 * with the permissions it was given, and made before any other key and any user (it is only made on an empty
 * database). At most one row.
 */
const FIRST_START_KEY = `SELECT k.id FROM api_keys k
  WHERE k.name = 'admin' AND k.user_id IS NULL
    AND NOT EXISTS (SELECT 1 FROM api_keys o WHERE o.created_at < k.created_at OR (o.created_at = k.created_at AND o.id < k.id))
    AND NOT EXISTS (SELECT 1 FROM users u WHERE u.created_at < k.created_at)`;

/** The account migrations 7 and 8 give rows made before tenancy: the first-start key's, else 'admin' (UNASSIGNED_ACCOUNT). */
const ADMIN_ACCOUNT_OF_OLD_ROWS = `COALESCE((SELECT 'key:' || f.id FROM (${FIRST_START_KEY}) f), 'admin')`;

/**
 * The account of the watch row `row` (its `principal`, `key:<id>` or `user:<id>`, as src/auth/account.ts derives it):
 * the key's user for a key made with one, else the principal itself.
 */
const accountOfWatch = (row: string) =>
  `COALESCE((SELECT 'user:' || k.user_id FROM api_keys k WHERE 'key:' || k.id = ${row}.principal AND k.user_id IS NOT NULL), ${row}.principal)`;

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'users, api keys, sessions',
    statements: [
      // username_key is the lower-cased username: a portable case-insensitive UNIQUE (no COLLATE NOCASE / citext).
      `CREATE TABLE users (
        id TEXT PRIMARY KEY,
        username TEXT NOT NULL,
        username_key TEXT NOT NULL UNIQUE,
        password_hash TEXT NOT NULL,
        permissions TEXT NOT NULL,
        created_at TEXT NOT NULL
      )`,
      `CREATE TABLE api_keys (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        user_id TEXT NULL REFERENCES users (id) ON DELETE CASCADE,
        key_hash TEXT NOT NULL,
        permissions TEXT NOT NULL,
        created_at TEXT NOT NULL,
        revoked_at TEXT NULL,
        last_used_at TEXT NULL
      )`,
      `CREATE INDEX api_keys_user_id ON api_keys (user_id)`,
      `CREATE TABLE sessions (
        id_hash TEXT PRIMARY KEY,
        user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        created_at TEXT NOT NULL,
        last_seen_at TEXT NOT NULL
      )`,
      `CREATE INDEX sessions_last_seen_at ON sessions (last_seen_at)`,
    ],
  },
  {
    version: 2,
    name: 'sandbox provider records',
    statements: [
      `CREATE TABLE sandbox_records (
        zone TEXT NOT NULL,
        id TEXT NOT NULL,
        type TEXT NOT NULL,
        name TEXT NOT NULL,
        content TEXT NOT NULL,
        ttl INTEGER NOT NULL,
        priority INTEGER NULL,
        PRIMARY KEY (zone, id)
      )`,
    ],
  },
  {
    version: 3,
    name: 'dns change journal',
    statements: [
      `CREATE TABLE dns_changes (
        id TEXT PRIMARY KEY,
        created_at TEXT NOT NULL,
        principal TEXT NOT NULL,
        domain TEXT NOT NULL,
        provider TEXT NOT NULL,
        record_type TEXT NOT NULL,
        applied INTEGER NOT NULL CHECK (applied IN (0, 1)),
        changes TEXT NOT NULL
      )`,
      `CREATE INDEX dns_changes_domain_created_at ON dns_changes (domain, created_at)`,
      `CREATE INDEX dns_changes_created_at ON dns_changes (created_at)`,
    ],
  },
  {
    version: 4,
    name: 'write-ahead change journal: entry status',
    statements: [
      // Entries are now written before the provider is called (pending) and completed after it answered. Every row
      // written before this migration was journaled after its writes had landed: `applied`, which the DEFAULT gives.
      `ALTER TABLE dns_changes ADD COLUMN status TEXT NOT NULL DEFAULT 'applied' CHECK (status IN ('pending', 'applied', 'partial', 'failed'))`,
    ],
  },
  {
    version: 5,
    name: 'dns watches and webhook outbox',
    statements: [
      // One watch per account, domain and record set. `next_check_at` is when it is due (NULL: never again);
      // `claimed_by` / `claimed_until` is the lease of the instance checking it (src/services/watches.ts).
      `CREATE TABLE dns_watches (
        id TEXT PRIMARY KEY,
        principal TEXT NOT NULL,
        domain TEXT NOT NULL,
        record_type TEXT NOT NULL,
        state TEXT NOT NULL CHECK (state IN ('PENDING', 'READY', 'BROKEN', 'EXPIRED')),
        version INTEGER NOT NULL,
        created_at TEXT NOT NULL,
        state_changed_at TEXT NOT NULL,
        expires_at TEXT NULL,
        checks INTEGER NOT NULL,
        next_check_at TEXT NULL,
        last_checked_at TEXT NULL,
        last_result TEXT NULL,
        claimed_by TEXT NULL,
        claimed_until TEXT NULL,
        UNIQUE (principal, domain, record_type)
      )`,
      `CREATE INDEX dns_watches_next_check_at ON dns_watches (next_check_at)`,
      // The transactional outbox: a watch's state change and its event are written in one transaction; deliveries
      // are claimed like watches. `id` is the Standard Webhooks message id, the same on every attempt.
      `CREATE TABLE webhook_outbox (
        id TEXT PRIMARY KEY,
        event_type TEXT NOT NULL,
        payload TEXT NOT NULL,
        created_at TEXT NOT NULL,
        attempts INTEGER NOT NULL,
        next_attempt_at TEXT NULL,
        delivered_at TEXT NULL,
        failed_at TEXT NULL,
        last_status INTEGER NULL,
        last_error TEXT NULL,
        claimed_by TEXT NULL,
        claimed_until TEXT NULL
      )`,
      `CREATE INDEX webhook_outbox_next_attempt_at ON webhook_outbox (next_attempt_at)`,
    ],
  },
  {
    version: 6,
    name: 'domain connect oauth tokens',
    statements: [
      // One authorization per domain (the name dns.connect was asked for). `sealed` is the token set encrypted with
      // AES-256-GCM under DOMAIN_CONNECT_TOKEN_KEY (src/domain-connect/seal.ts): never a token in clear.
      `CREATE TABLE domain_connect_tokens (
        domain TEXT PRIMARY KEY,
        provider_id TEXT NOT NULL,
        sealed TEXT NOT NULL,
        updated_at TEXT NOT NULL
      )`,
    ],
  },
  {
    version: 7,
    name: 'tenancy: journal entries, sandbox zones and watches belong to an account',
    statements: [
      // Each entry belongs to the account that made it (src/auth/account.ts). Rows from before belonged to nobody in
      // particular (every caller saw every entry): they go to the admin, the first-start key (`key:<id>`), or, when
      // the database has no such key (keys made with the CLI before the first start), to 'admin', an account nobody
      // has: either way only a caller holding Admin sees them.
      `ALTER TABLE dns_changes ADD COLUMN account TEXT NOT NULL DEFAULT 'admin'`,
      `UPDATE dns_changes SET account = ${ADMIN_ACCOUNT_OF_OLD_ROWS}`,
      `CREATE INDEX dns_changes_account_domain_created_at ON dns_changes (account, domain, created_at)`,
      // The first-start key was printed as the admin key: it now holds Admin too, as one made today does.
      `UPDATE api_keys SET permissions = '["User.Update","Admin"]' WHERE id IN (${FIRST_START_KEY}) AND permissions = '["User.Update"]'`,
      // A sandbox zone is keyed by (account, domain): two accounts trying the sandbox on one domain each get their
      // own zone. The primary key changes, which SQLite can only do by copying the table.
      `CREATE TABLE sandbox_records_by_account (
        account TEXT NOT NULL,
        zone TEXT NOT NULL,
        id TEXT NOT NULL,
        type TEXT NOT NULL,
        name TEXT NOT NULL,
        content TEXT NOT NULL,
        ttl INTEGER NOT NULL,
        priority INTEGER NULL,
        PRIMARY KEY (account, zone, id)
      )`,
      `INSERT INTO sandbox_records_by_account (account, zone, id, type, name, content, ttl, priority)
        SELECT ${ADMIN_ACCOUNT_OF_OLD_ROWS}, zone, id, type, name, content, ttl, priority FROM sandbox_records`,
      `DROP TABLE sandbox_records`,
      `ALTER TABLE sandbox_records_by_account RENAME TO sandbox_records`,
      // A watch belongs to the account that made it, as an entry does. Watches were kept per caller already (a key, or
      // a session's user), never shared: each goes to its maker's account, not to the admin. A key made with a user
      // becomes that user, so two of one user's keys watching the same record set of a domain become one watch: the
      // one whose state changed last is kept.
      `DELETE FROM dns_watches WHERE EXISTS (
        SELECT 1 FROM dns_watches o
        WHERE o.id <> dns_watches.id AND o.domain = dns_watches.domain AND o.record_type = dns_watches.record_type
          AND ${accountOfWatch('o')} = ${accountOfWatch('dns_watches')}
          AND (o.state_changed_at > dns_watches.state_changed_at OR (o.state_changed_at = dns_watches.state_changed_at AND o.id > dns_watches.id))
      )`,
      `UPDATE dns_watches SET principal = ${accountOfWatch('dns_watches')}`,
    ],
  },
  {
    version: 8,
    name: 'tenancy: domain connect authorizations belong to an account',
    statements: [
      // An authorization is a customer's consent given to the account that started the flow: keyed by (account,
      // domain), so another account neither uses it nor replaces it. Rows from before belonged to whoever asked last;
      // they go to the admin as migration 7's rows did (the first-start key, else 'admin', which nobody has). The
      // primary key changes: SQLite copies the table. `sealed` stays as it was (its context names the domain only).
      `CREATE TABLE domain_connect_tokens_by_account (
        account TEXT NOT NULL,
        domain TEXT NOT NULL,
        provider_id TEXT NOT NULL,
        sealed TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        PRIMARY KEY (account, domain)
      )`,
      `INSERT INTO domain_connect_tokens_by_account (account, domain, provider_id, sealed, updated_at)
        SELECT ${ADMIN_ACCOUNT_OF_OLD_ROWS}, domain, provider_id, sealed, updated_at FROM domain_connect_tokens`,
      `DROP TABLE domain_connect_tokens`,
      `ALTER TABLE domain_connect_tokens_by_account RENAME TO domain_connect_tokens`,
    ],
  },
];

/** The migrations not yet in `applied`, in order. Throws if the list itself is out of order (a programming error). */
export function pendingMigrations(applied: ReadonlySet<number>, migrations: readonly Migration[] = MIGRATIONS): Migration[] {
  migrations.forEach((m, i) => {
    if (m.version !== i + 1) throw new Error(`migration ${m.name} has version ${m.version}, expected ${i + 1}`);
  });
  const known = new Set(migrations.map((m) => m.version));
  const unknown = [...applied].filter((v) => !known.has(v));
  if (unknown.length > 0) {
    throw new Error(`the database has schema version ${Math.max(...unknown)}, newer than this release knows; upgrade the service`);
  }
  return migrations.filter((m) => !applied.has(m.version));
}

/**
 * A statement as `engine` runs it. SQLite compares and sorts TEXT bytewise; PostgreSQL uses the database's locale
 * collation (en_US ignores punctuation and case at first level), which would make `ORDER BY name` and the
 * timestamp comparisons (`last_seen_at < ?`) disagree between engines. `COLLATE "C"` is PostgreSQL's bytewise
 * order, so both engines sort and compare text identically. Only the type keyword `TEXT` is mapped: the migrations
 * use it for nothing else.
 */
export function forEngine(statement: string, engine: StorageEngine): string {
  return engine === 'postgres' ? statement.replace(/\bTEXT\b/g, 'TEXT COLLATE "C"') : statement;
}
