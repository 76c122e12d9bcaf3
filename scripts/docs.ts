/**
 * `npm run docs`: rewrites the generated parts of README.md (the provider table) from the code's own data.
 * test/readme.test.ts fails while README.md differs from what this writes.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { Agent } from 'undici';
import { providerTable, withProviderTable } from '../providers/describe.js';
import { createProviderRegistry, PROVIDER_IDS } from '../providers/registry.js';
import { loadConfig } from '../src/config.js';
import type { Store } from '../src/storage/store.js';

/** Every adapter, as built from a configuration with the sandbox on; nothing is called. */
export function allProviders() {
  const dispatcher = new Agent();
  const registry = createProviderRegistry(loadConfig({ NODE_ENV: 'test', SANDBOX_PROVIDER: 'true' }), { dispatcher, store: {} as Store });
  void dispatcher.close();
  return PROVIDER_IDS.map((id) => registry.get(id)!);
}

export async function renderReadme(readme: string): Promise<string> {
  return withProviderTable(readme, providerTable(allProviders()));
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const file = new URL('../README.md', import.meta.url);
  const before = await readFile(file, 'utf8');
  const after = await renderReadme(before);
  if (after !== before) await writeFile(file, after);
  console.log(after === before ? 'README.md is up to date' : 'README.md: provider table rewritten');
}
