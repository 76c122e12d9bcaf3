#!/usr/bin/env node
// Launcher for `npx dns-gateway …`: the service runs from its TypeScript sources through tsx (no build step).
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../src/cli.ts');
await main();
