/**
 * Builds the server into `dist/` (or the directory given as the first argument; test/build.test.ts builds into a
 * scratch directory and runs it): `src/` bundled into a few ESM files, the packages left in `node_modules`.
 *
 * Why not bundle the packages too: it was measured (2026-12-05, alternating runs on one 2-core VM, spawn to the first
 * served /healthz): 1.38–1.68 s with the packages external (median 1.57), 0.99–1.29 s bundled (median 1.19), since
 * Node 20's loaders then read and link a few files instead of every file of graphql, yoga, undici, zod and pino. But
 * bundled CommonJS packages lose `__dirname`: ioredis uses it on the path of a failed command (a ReferenceError
 * instead of the Redis error) and pino to find its transport workers, and the test suite runs the sources, not the
 * bundle, so such a break would reach production unseen. A quarter of a second at start-up is not worth that.
 */
import { build } from 'esbuild';
import { rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** How the server's code is bundled; the bench bundles its peers the same way (bench/run.ts), so all run alike. */
export const bundleOptions = {
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  packages: 'external',
  sourcemap: true,
  logLevel: 'warning',
};

/** Builds `src/cli.ts` into `outdir`, emptied first. */
export async function buildServer(outdir = 'dist') {
  rmSync(outdir, { recursive: true, force: true });
  await build({ ...bundleOptions, entryPoints: ['src/cli.ts'], splitting: true, outdir, chunkNames: 'chunks/[name]-[hash]' });
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await buildServer(process.argv[2]);
