/**
 * The REST API reference (GET /api/v1/docs, Scalar) in a real (Debian) Chromium, offline: the page renders the
 * gateway's own OpenAPI description, every command of the router is in its navigation, an operation shows its
 * parameters, and no request leaves loopback — Scalar's default fonts, agent and request proxy all live on Scalar's
 * own hosts, so one forgotten option would show up here.
 *
 * As test/graphiql-browser.test.ts: the system's /usr/bin/chromium driven by playwright-core, requests recorded in
 * the browser (context-wide) and at the gateway's HTTP server.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page, type Request } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { router } from '../src/procedures/router.js';
import { DOCS_CSP } from '../src/rest/api-docs.js';
import { REST_COMMANDS } from '../src/rest/commands.js';
import { startGateway, type Gateway } from './helpers/gateway.js';

const CHROMIUM = '/usr/bin/chromium';
const hasChromium = existsSync(CHROMIUM);

if (!hasChromium) {
  // CI installs Chromium in .ci/run: missing there is a broken pipeline, not a reason to skip.
  if (process.env.CI === 'true') throw new Error(`${CHROMIUM} is missing; CI must install the Debian "chromium" package`);
  console.warn(`api-docs-browser: skipped, ${CHROMIUM} is not installed (apt-get install chromium)`);
}

/** Flags that keep Chromium from calling home (updates, sync, safe browsing lists, QUIC probes). */
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  // Safety net only: any name lookup fails, so even a regression cannot reach the internet. The request would still
  // be recorded (and fail the assertions below), because Chromium emits the request before resolving the host.
  '--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1',
];

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]']);

interface ServerHit {
  readonly method: string;
  readonly path: string;
  status?: number;
}

describe.skipIf(!hasChromium)('the REST API reference in Chromium, offline', () => {
  let gw: Gateway;
  let context: BrowserContext;
  let page: Page;
  let userDataDir: string;
  const browserRequests: Request[] = [];
  const serverHits: ServerHit[] = [];
  const pageErrors: string[] = [];
  const consoleProblems: string[] = [];

  beforeAll(async () => {
    gw = await startGateway();
    gw.running.server.on('request', (req: IncomingMessage, res: ServerResponse) => {
      const hit: ServerHit = { method: req.method ?? '', path: (req.url ?? '').split('?')[0]! };
      serverHits.push(hit);
      res.on('finish', () => (hit.status = res.statusCode));
    });
    userDataDir = mkdtempSync(join(tmpdir(), 'api-docs-chromium-'));
    context = await chromium.launchPersistentContext(userDataDir, { executablePath: CHROMIUM, args: CHROMIUM_ARGS, viewport: { width: 1280, height: 800 } });
    context.on('request', (request) => browserRequests.push(request));
    page = context.pages()[0] ?? (await context.newPage());
    page.on('pageerror', (error) => pageErrors.push(error.message));
    // Errors, and warnings too: Scalar warns when it finds the document invalid, and CSP refusals are errors.
    page.on('console', (message) => {
      if (message.type() === 'error' || message.type() === 'warning') consoleProblems.push(`${message.type()}: ${message.text()}`);
    });
  });

  afterAll(async () => {
    await context?.close();
    await gw?.close();
    if (userDataDir) rmSync(userDataDir, { recursive: true, force: true });
  });

  it('renders the gateway\'s description from installed files only, and no request leaves loopback', async () => {
    const gatewayOrigin = new URL(gw.url).origin;
    const description = page.waitForResponse((r) => new URL(r.url()).pathname === '/api/v1/openapi.json');

    const response = await page.goto(`${gw.url}/api/v1/docs`);
    expect(response?.status()).toBe(200);
    // The page may load scripts, styles, images, fonts and data from this origin only.
    expect(response?.headers()['content-security-policy']).toBe(DOCS_CSP);
    for (const directive of DOCS_CSP.split(';').map((d) => d.trim().split(/\s+/))) {
      const [name, ...sources] = directive;
      const allowed = name === 'style-src' ? ["'self'", "'unsafe-inline'"] : name === 'img-src' ? ["'self'", 'data:'] : ["'self'", "'none'"];
      for (const source of sources) expect(allowed, `${name} ${source}`).toContain(source);
    }

    expect((await description).status()).toBe(200);
    await page.getByRole('heading', { name: 'DNS gateway REST API' }).waitFor({ timeout: 20_000 });

    // Every command of the router is a group of the navigation, and the legacy endpoint one more.
    const navigation = page.getByRole('navigation', { name: /^Sidebar for DNS gateway REST API/ });
    const groups = navigation.locator('li > div > button');
    const groupNames = async () => (await groups.allInnerTexts()).map((t) => t.split('\n')[0]!.trim());
    await expect.poll(groupNames, { timeout: 5000 }).toEqual([...Object.keys(router), 'Legacy /api.php']);

    // An operation shows the parameters of its procedure's input.
    await navigation.getByText('dns.set', { exact: true }).click();
    await navigation.getByText(REST_COMMANDS['dns.set'].summary, { exact: true }).click();
    const content = page.getByRole('main', { name: /Open API Documentation/ });
    await expect.poll(async () => (await content.innerText()).includes('RecordType'), { timeout: 5000 }).toBe(true);
    const text = await content.innerText();
    for (const parameter of ['Domain', 'Provider', 'ApiKey', 'ApiSecret', 'RecordType', 'DryRun', 'Force']) expect(text).toContain(parameter);

    await page.screenshot({ path: join(tmpdir(), 'api-docs.png') });

    // Every request the page made (scripts, the description, anything Scalar fetches) went to the gateway.
    const urls = browserRequests.map((r) => r.url()).filter((url) => !url.startsWith('data:') && !url.startsWith('blob:'));
    expect(urls.filter((url) => !LOOPBACK.has(new URL(url).host.replace(/:\d+$/, '')))).toEqual([]);
    expect(urls.filter((url) => new URL(url).origin !== gatewayOrigin)).toEqual([]);
    expect(new Set(urls.map((url) => new URL(url).pathname))).toEqual(
      new Set(['/api/v1/docs', '/api/v1/docs/scalar.js', '/api/v1/docs/init.js', '/api/v1/openapi.json']),
    );

    // The gateway answered everything without an error status; the page raised nothing and complained of nothing.
    await expect.poll(() => serverHits.every((hit) => hit.status !== undefined), { timeout: 5000 }).toBe(true);
    expect(serverHits.filter((hit) => (hit.status ?? 0) >= 400).map((hit) => `${hit.method} ${hit.path} ${hit.status}`)).toEqual([]);
    expect(pageErrors.map((e) => e.slice(0, 300))).toEqual([]);
    expect(consoleProblems).toEqual([]);
  }, 45_000);
});
