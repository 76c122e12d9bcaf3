/**
 * API keys per scenario, written straight into the gateway's SQLite file before the measured start, so that no
 * scenario shares a budget (or a log of counted requests) with the scenarios before it.
 */
import { createApiKey, INITIAL_ADMIN_KEY_NAME, listApiKeys } from '../../src/auth/api-keys.js';
import { openStore } from '../../src/storage/open.js';

/**
 * `perScenario` keys named `bench-<id>-<n>` with the admin key's permissions, by scenario id: each load connection
 * uses its own key, as real traffic comes from many callers (one key at 20,000 req/s is no caller the product limit,
 * 100 per 60 s, allows).
 */
export async function createScenarioKeys(databaseUrl: string, ids: readonly string[], perScenario = 50): Promise<Record<string, string[]>> {
  const store = await openStore(databaseUrl);
  try {
    const admin = (await listApiKeys(store)).find((k) => k.name === INITIAL_ADMIN_KEY_NAME);
    if (!admin) throw new Error('no admin key in the bench database');
    const keys: Record<string, string[]> = {};
    for (const id of ids) {
      keys[id] = [];
      for (let n = 0; n < perScenario; n++) {
        keys[id].push((await createApiKey(store, { name: `bench-${id}-${n}`, permissions: [...admin.permissions] })).key);
      }
    }
    return keys;
  } finally {
    await store.close();
  }
}
