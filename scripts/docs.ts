/**
 * `npm run docs`: rewrites the generated parts of README.md (the provider table) from the code's own data.
 * test/readme.test.ts fails while README.md differs from what this writes.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { Agent } from 'undici';
import { providerTable, withProviderTable } from '../providers/describe.js';
import { ERROR_CATALOGUE } from '../src/errors.js';
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

/** Every entry of the error catalogue (src/errors.ts), by code: the README's error table. */
export function errorTable(): string {
  const rows = Object.values(ERROR_CATALOGUE)
    .map((e) => ({ code: e.code, message: e.message, status: e.httpStatus }))
    .sort((a, b) => a.code - b.code || a.status - b.status);
  return ['| code | message | `/api/v1` status |', '|---:|---|---:|', ...rows.map((r) => `| ${r.code} | ${r.message} | ${r.status} |`)].join('\n');
}

const ERROR_TABLE = { start: '<!-- error-table:start (npm run docs) -->', end: '<!-- error-table:end -->' };

function between(text: string, markers: { start: string; end: string }, body: string): string {
  const start = text.indexOf(markers.start);
  const end = text.indexOf(markers.end);
  if (start < 0 || end < start) throw new Error(`README.md lacks the ${markers.start} … ${markers.end} markers`);
  return `${text.slice(0, start + markers.start.length)}\n${body}\n${text.slice(end)}`;
}

export async function renderReadme(readme: string): Promise<string> {
  return between(withProviderTable(readme, providerTable(allProviders())), ERROR_TABLE, errorTable());
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const file = new URL('../README.md', import.meta.url);
  const before = await readFile(file, 'utf8');
  const after = await renderReadme(before);
  if (after !== before) await writeFile(file, after);
  console.log(after === before ? 'README.md is up to date' : 'README.md: provider table rewritten');
}
