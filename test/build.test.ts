/**
 * The production build (`npm run build`, scripts/build.mjs): `src/` bundled into `dist/`, which `npm start` runs.
 * Every other test runs the TypeScript sources through tsx, so this is the one that proves the build works: it builds
 * into a scratch directory inside `node_modules` (so the packages resolve as they do from `dist/`), starts it as
 * `npm start` does, and asks for something from each part that bundling could break: the native SQLite addon, the
 * JSON record templates imported with attributes, the compiled GraphQL fast path, the lazily imported GraphiQL
 * bundle, and Scalar's bundle found through `createRequire(import.meta.url)` at run time.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDnsServer, type FakeDnsServer } from './fakes/dns-server.js';

const ROOT = path.resolve(import.meta.dirname, '..');
/** Beside node_modules' packages, as `dist/` is; never `dist/` itself, which a developer may be running. */
const OUT = path.join(ROOT, 'node_modules', '.cache', 'dns-gateway-build-test');
const SLOW = 120_000;

let dns: FakeDnsServer;
let dataDir: string;
let child: ChildProcess | undefined;
let base: string;
let apiKey: string;

const freePort = () =>
  new Promise<number>((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });

beforeAll(async () => {
  const built = spawnSync(process.execPath, ['scripts/build.mjs', OUT], { cwd: ROOT, encoding: 'utf8' });
  expect(built.status, built.stderr).toBe(0);
  dns = await startDnsServer();
  dataDir = mkdtempSync(path.join(tmpdir(), 'dg-build-'));
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  child = spawn(process.execPath, ['--enable-source-maps', path.join(OUT, 'cli.js'), 'serve'], {
    cwd: dataDir,
    env: {
      PATH: process.env.PATH,
      NODE_ENV: 'production',
      HOST: '127.0.0.1',
      PORT: String(port),
      DATABASE_URL: `sqlite:${path.join(dataDir, 'gw.db')}`,
      LOG_LEVEL: 'silent',
      SANDBOX_PROVIDER: 'true',
      MAIL_MASTER_DOMAIN: 'mail.example.net',
      DNS_RESOLVERS: dns.address,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  // The first start on an empty database prints the admin key, then serves.
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the built server did not start: ${stderr}`)), SLOW - 10_000);
    child!.once('exit', (code) => reject(new Error(`the built server exited with ${code}: ${stderr}`)));
    const poll = setInterval(() => {
      if (!stderr.includes('listening on') || stdout.trim() === '') return;
      clearInterval(poll);
      clearTimeout(timer);
      resolve();
    }, 20);
  });
  apiKey = stdout.trim().split('\n')[0]!;
}, SLOW);

afterAll(async () => {
  if (child && child.exitCode === null) {
    const exited = new Promise((resolve) => child!.once('exit', resolve));
    child.kill('SIGTERM');
    await exited;
  }
  await dns?.close();
  rmSync(dataDir, { recursive: true, force: true });
  rmSync(OUT, { recursive: true, force: true });
});

describe('the production build (npm run build, as npm start runs it)', () => {
  it('answers its health check, and a REST dry run on the sandbox plans from the bundled templates', async () => {
    expect(await (await fetch(`${base}/healthz`)).json()).toEqual({ status: 'ok' });
    const reply = await fetch(`${base}/api/v1/dns.set`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ APIKey: apiKey, Domain: 'build-check.com', Provider: 'sandbox', RecordType: 'campaign', ApiKey: 'x', DryRun: true }),
    });
    const body = (await reply.json()) as { success?: boolean; changes?: { action: string; type: string; name: string }[] };
    expect(reply.status, JSON.stringify(body)).toBe(200);
    expect(body.success).toBe(true);
    expect(body.changes).toContainEqual(expect.objectContaining({ action: 'CREATE', type: 'TXT', name: '_dmarc.build-check.com' }));
  });

  it('serves GraphQL through the compiled fast path, and GraphiQL with its lazily loaded assets', async () => {
    const reply = await fetch(`${base}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${apiKey}` },
      body: JSON.stringify({
        query: 'mutation($input: SetDnsRecordsInput!) { setDnsRecords(input: $input) { __typename ... on SetDnsRecordsSuccess { applied changes { action } } } }',
        variables: { input: { domain: 'build-check.com', provider: 'SANDBOX', recordType: 'CAMPAIGN', credentials: { apiKey: 'x' }, dryRun: true } },
      }),
    });
    const body = (await reply.json()) as { data?: { setDnsRecords?: { __typename: string; applied: boolean; changes: unknown[] } } };
    expect(reply.status, JSON.stringify(body)).toBe(200);
    expect(body.data?.setDnsRecords).toMatchObject({ __typename: 'SetDnsRecordsSuccess', applied: false });
    expect(body.data?.setDnsRecords?.changes.length).toBeGreaterThan(0);

    const page = await fetch(`${base}/graphql`, { headers: { accept: 'text/html' } });
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('/graphiql/app.js');
    const app = await fetch(`${base}/graphiql/app.js`);
    expect(app.status).toBe(200);
    expect((await app.arrayBuffer()).byteLength).toBeGreaterThan(100_000);
  });

  it('serves the OpenAPI document and the API reference with the installed Scalar bundle', async () => {
    const document = (await (await fetch(`${base}/api/v1/openapi.json`)).json()) as { openapi?: string; paths?: Record<string, unknown> };
    expect(document.openapi).toMatch(/^3\.1/);
    expect(Object.keys(document.paths ?? {})).toContain('/api/v1/dns.set');
    expect((await fetch(`${base}/api/v1/docs`)).status).toBe(200);
    const scalar = await fetch(`${base}/api/v1/docs/scalar.js`);
    expect(scalar.status).toBe(200);
    expect((await scalar.arrayBuffer()).byteLength).toBeGreaterThan(100_000);
  });
});
