/**
 * One API key per scenario, written straight into the gateway's SQLite file before the measured start. The rate
 * limiter keeps a sliding log of every counted request per key for the whole window (60 s): with one shared key,
 * each scenario would pay for the requests of the scenarios before it.
 */
import { createApiKey, INITIAL_ADMIN_KEY_NAME, listApiKeys } from '../../src/auth/api-keys.js';
import { openStore } from '../../src/storage/open.js';

/** Keys named `bench-<id>` with the admin key's permissions, by scenario id. */
export async function createScenarioKeys(databaseUrl: string, ids: readonly string[]): Promise<Record<string, string>> {
  const store = await openStore(databaseUrl);
  try {
    const admin = (await listApiKeys(store)).find((k) => k.name === INITIAL_ADMIN_KEY_NAME);
    if (!admin) throw new Error('no admin key in the bench database');
    const keys: Record<string, string> = {};
    for (const id of ids) keys[id] = (await createApiKey(store, { name: `bench-${id}`, permissions: [...admin.permissions] })).key;
    return keys;
  } finally {
    await store.close();
  }
}
