/**
 * Repository hygiene that no type check or behaviour test would notice: the sources name no path of the machine they
 * were written on. The shared provider reference is cited relative to the repository (`../shared/reference/…`) or by
 * its public sources, so a comment means the same on every checkout.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = path.resolve(import.meta.dirname, '..');
/** Recorded where packages came from, not a source. */
const SKIPPED = new Set(['package-lock.json']);
/** The development machine's work tree root, built from parts so that this file does not contain it. */
const MACHINE_ROOT = `${path.sep}${['work', ''].join(path.sep)}`;

/**
 * What the repository holds or would take: tracked files and untracked ones git does not ignore. Not what .gitignore
 * keeps out (node_modules, dist, data, the bench's profiles and results: local output that may name local paths).
 */
function sourceFiles(under = ROOT): string[] {
  const listed = execFileSync('git', ['ls-files', '--cached', '--others', '--exclude-standard', '-z'], { cwd: ROOT, encoding: 'utf8' });
  return listed
    .split('\0')
    .filter((name) => name !== '' && !SKIPPED.has(path.basename(name)))
    .map((name) => path.join(ROOT, name))
    .filter((file) => file.startsWith(under) && existsSync(file));
}

describe('repository hygiene', () => {
  it('no source, test, schema or document names a path of the development machine', () => {
    const files = sourceFiles();
    expect(files.length).toBeGreaterThan(50);
    const offending = files.flatMap((file) =>
      readFileSync(file, 'utf8')
        .split('\n')
        .flatMap((line, i) => (line.includes(MACHINE_ROOT) ? [`${path.relative(ROOT, file)}:${i + 1}: ${line.trim()}`] : [])),
    );
    expect(offending).toEqual([]);
  });

  it('imports point down the request path: transport → procedure → service → planner / adapter → storage', () => {
    // Layer → the folders it must never import from (docs/architecture.md).
    const forbidden: Record<string, readonly string[]> = {
      'schema/': ['providers/'],
      'src/rest/': ['providers/', 'schema/'],
      'src/graphql/': ['providers/'],
      'src/procedures/': ['src/rest/', 'src/graphql/', 'schema/'],
      'src/services/': ['src/procedures/', 'src/rest/', 'src/graphql/', 'schema/'],
      'src/records/': ['src/procedures/', 'src/services/', 'src/rest/', 'src/graphql/', 'schema/', 'providers/', 'src/storage/'],
      'providers/': ['src/procedures/', 'src/services/', 'src/rest/', 'src/graphql/', 'schema/'],
      'src/storage/': ['src/procedures/', 'src/services/', 'src/rest/', 'src/graphql/', 'schema/', 'providers/'],
    };
    const violations: string[] = [];
    for (const [layer, banned] of Object.entries(forbidden)) {
      for (const file of sourceFiles(path.join(ROOT, layer)).filter((f) => f.endsWith('.ts'))) {
        for (const match of readFileSync(file, 'utf8').matchAll(/^\s*(?:import|export)\b[^;]*?from '(\.[^']+)'/gm)) {
          const target = path.relative(ROOT, path.resolve(path.dirname(file), match[1]!));
          for (const folder of banned) if (`${target}/`.startsWith(folder) || target.startsWith(folder)) violations.push(`${path.relative(ROOT, file)} → ${target}`);
        }
      }
    }
    expect(violations).toEqual([]);
  });
});

