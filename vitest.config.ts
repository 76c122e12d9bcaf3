import { createRequire } from 'node:module';
import { defineConfig } from 'vitest/config';

const require = createRequire(import.meta.url);

export default defineConfig({
  // graphql 16 ships both index.js and index.mjs without an `exports` map: vite would hand our own
  // `import 'graphql'` the .mjs build while Pothos and yoga load index.js through Node, and graphql then
  // refuses types "from another module or realm". One alias makes every import the same module.
  resolve: { alias: [{ find: /^graphql$/, replacement: require.resolve('graphql') }] },
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 20_000,
    hookTimeout: 30_000,
    pool: 'forks',
  },
});
