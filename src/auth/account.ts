/**
 * Tenancy. Everything a caller makes that outlives the request (change journal entries, sandbox zones, watches)
 * belongs to an account, and only that account sees it:
 * - a session, or an API key made with `--user`: the user (`user:<user id>`), so a user's keys and logins share one view;
 * - an API key made without `--user`: the key itself (`key:<key id>`).
 * A caller holding the `Admin` permission sees and acts on every account's, except Domain Connect authorizations
 * (OAuth tokens, also per account): an Admin applies with its own only, since a token is the customer's consent given
 * to one caller, not a row to inspect (src/domain-connect/service.ts `applyAsync`).
 *
 * `accountOf` is the one place the account is derived; `authenticate` sets it on the call context (`ctx.account`),
 * and every procedure passes it down to the service and the store, which filter in SQL (`visibleAccount`): another
 * account's row is never read, so it answers exactly as a row that does not exist.
 */
import { ADMIN_PERMISSION, type Principal } from './types.js';

export interface Account {
  /** `user:<id>` or `key:<id>`: never a key, a session id or a credential. What an owned row stores. */
  readonly id: string;
  /** Holds `Admin`: sees and acts on every account's rows. */
  readonly admin: boolean;
}

/**
 * The account rows written before tenancy were assigned to when no first-start key could be found (migration 7):
 * no caller has it, so only an `Admin` sees them.
 */
export const UNASSIGNED_ACCOUNT = 'admin';

/** The account of an authenticated caller. */
export function accountOf(principal: Pick<Principal, 'userId' | 'keyId' | 'permissions'>): Account {
  const id = principal.userId !== null ? `user:${principal.userId}` : principal.keyId !== null ? `key:${principal.keyId}` : null;
  // Every principal the auth service builds has one or the other; anything else is a programming error.
  if (id === null) throw new Error('a principal without a user or a key has no account');
  return { id, admin: principal.permissions.has(ADMIN_PERMISSION) };
}

/** The owner filter of a query for `account`: its own id, or null (every account) for an Admin. */
export function visibleAccount(account: Account): string | null {
  return account.admin ? null : account.id;
}

/** Whether `account` may see (and act on) a row owned by `owner`: the same rule as `visibleAccount`, for one row. */
export function canSee(account: Account, owner: string): boolean {
  return account.admin || account.id === owner;
}
