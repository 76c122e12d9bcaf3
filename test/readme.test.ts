/** The README's generated parts equal what `npm run docs` writes from the code (the provider table). */
import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { describeCalls } from '../providers/describe.js';
import { allProviders, renderReadme } from '../scripts/docs.js';

describe('README.md', () => {
  it('shows the provider table generated from the adapters (run `npm run docs` after changing a provider)', async () => {
    const readme = await readFile(new URL('../README.md', import.meta.url), 'utf8');
    expect(readme).toBe(await renderReadme(readme));
  });

  it('lists every provider with its calls per dns.set', async () => {
    const readme = await readFile(new URL('../README.md', import.meta.url), 'utf8');
    for (const provider of allProviders()) expect(readme).toContain(`| \`${provider.id}\` |`);
    expect(describeCalls({ read: 2, write: { perPlan: 1, perRrset: 0, perRecord: 0 } })).toBe('2 + 1 = **3** (2)');
    expect(describeCalls({ read: 1, write: { perPlan: 0, perRrset: 1, perRecord: 0 } })).toBe('1 + 1 per changed rrset = **6** (1)');
    expect(describeCalls({ read: 2, write: { perPlan: 0, perRrset: 1, perRecord: 0, perUpdate: 1 }, pollsPerWrite: 1 })).toBe('1 + 1 per changed rrset + 1 more per updated record (+ 1 poll per write) = **14** (2)'.replace('1 +', '2 +'));
  });
});
