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

  it("each provider's row shows its capabilities as data: atomic, what guards a concurrent edit, min TTL, longest TXT, calls", async () => {
    const readme = await readFile(new URL('../README.md', import.meta.url), 'utf8');
    const header = readme.split('\n').find((l) => l.startsWith('| provider | `Provider` |'))!;
    const columns = header.split(' | ').map((c) => c.replace(/^\| |\s*\|$/g, ''));
    for (const name of ['atomic', 'a concurrent edit is caught by', 'min TTL', 'longest TXT (bytes)']) expect(columns).toContain(name);
    for (const provider of allProviders()) {
      const row = readme.split('\n').find((l) => l.includes(`| \`${provider.id}\` |`))!;
      const cells = row.split(' | ');
      const c = provider.capabilities;
      expect(cells[columns.indexOf('atomic')], provider.id).toBe(c.atomicApply ? 'yes' : 'no');
      expect(cells[columns.indexOf('a concurrent edit is caught by')], provider.id).toMatch(c.guardedWrite ? /^the provider/ : /^the zone lock only$/);
      expect(cells[columns.indexOf('min TTL')], provider.id).toBe(String(c.minTtl));
      expect(cells[columns.indexOf('longest TXT (bytes)')], provider.id).toBe(String(c.maxTxtLength));
    }
  });
});
