/**
 * GraphiQL in a real (Debian) Chromium, offline: the page renders, loads its schema by introspection from the
 * gateway, runs a query typed into its editors, and never asks anything of any origin but the gateway's.
 *
 * The browser is the system's /usr/bin/chromium driven by playwright-core (never a downloaded browser). Requests are
 * recorded twice: in the browser (context-wide, so worker scripts count too) and at the gateway's HTTP server, which
 * also sees what Playwright does not report (Chromium's favicon fetch).
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page, type Request } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, postJson, startGateway, type Gateway } from './helpers/gateway.js';

const CHROMIUM = '/usr/bin/chromium';
const hasChromium = existsSync(CHROMIUM);

if (!hasChromium) {
  // CI installs Chromium in .ci/run: missing there is a broken pipeline, not a reason to skip.
  if (process.env.CI === 'true') throw new Error(`${CHROMIUM} is missing; CI must install the Debian "chromium" package`);
  console.warn(`graphiql-browser: skipped, ${CHROMIUM} is not installed (apt-get install chromium)`);
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

interface ServerHit {
  readonly method: string;
  readonly path: string;
  status?: number;
  authorization?: string;
}

describe.skipIf(!hasChromium)('GraphiQL in Chromium, offline', () => {
  let gw: Gateway;
  let context: BrowserContext;
  let page: Page;
  let userDataDir: string;
  const browserRequests: Request[] = [];
  const serverHits: ServerHit[] = [];
  const pageErrors: string[] = [];
  const consoleErrors: string[] = [];

  beforeAll(async () => {
    gw = await startGateway();
    // An extra listener only observes: the gateway's own listener still answers every request.
    gw.running.server.on('request', (req: IncomingMessage, res: ServerResponse) => {
      const hit: ServerHit = { method: req.method ?? '', path: (req.url ?? '').split('?')[0]!, authorization: req.headers.authorization };
      serverHits.push(hit);
      res.on('finish', () => (hit.status = res.statusCode));
    });
    userDataDir = mkdtempSync(join(tmpdir(), 'graphiql-chromium-'));
    context = await chromium.launchPersistentContext(userDataDir, { executablePath: CHROMIUM, args: CHROMIUM_ARGS, viewport: { width: 1280, height: 720 } });
    context.on('request', (request) => browserRequests.push(request));
    page = context.pages()[0] ?? (await context.newPage());
    page.on('pageerror', (error) => pageErrors.push(error.message));
    page.on('console', (message) => {
      if (message.type() === 'error') consoleErrors.push(message.text());
    });
  });

  afterAll(async () => {
    await context?.close();
    await gw?.close();
    if (userDataDir) rmSync(userDataDir, { recursive: true, force: true });
  });

  it('renders, introspects the schema from the gateway, and runs a query with a header set in its editor', async () => {
    const gatewayOrigin = new URL(gw.url).origin;
    // A least-privilege key: it ends up in the screenshot, and only needs to show the header reaches the gateway.
    const apiKey = await gw.createKey({ permissions: [] });
    const introspection = page.waitForResponse((r) => r.request().method() === 'POST' && /IntrospectionQuery/.test(r.request().postData() ?? ''));

    await page.goto(`${gw.url}/graphql`);
    await page.locator('.graphiql-container .graphiql-query-editor .monaco-editor').waitFor({ state: 'visible' });

    const introspected = await introspection;
    expect(introspected.url()).toBe(`${gatewayOrigin}/graphql`);
    expect(introspected.status()).toBe(200);
    const schema = (await introspected.json()) as { data?: { __schema?: { queryType?: { name?: string } } } };
    expect(schema.data?.__schema?.queryType?.name).toBe('Query');

    // The docs explorer only lists root types once GraphiQL has built the schema from that response.
    await page.getByRole('button', { name: 'Show Documentation Explorer' }).click();
    const docs = page.locator('.graphiql-doc-explorer');
    await expect.poll(() => docs.textContent(), { timeout: 5000 }).toMatch(/query:\s*Query/);
    await expect.poll(() => docs.textContent(), { timeout: 5000 }).toMatch(/mutation:\s*Mutation/);

    // A fresh profile (no stored tabs) opens on the example document, with the headers template in the open editor.
    const text = async (selector: string) => ((await page.locator(selector).textContent()) ?? '').replace(/\s+/g, ' ');
    const queryEditor = '.graphiql-query-editor .monaco-editor .view-lines';
    const headersEditor = '.graphiql-editor-tool .graphiql-editor:visible .monaco-editor';
    await expect.poll(() => text(queryEditor), { timeout: 5000 }).toMatch(/query DnsProvider \{ dnsProvider\(domain: "example\.com"\)/);
    expect(await text(queryEditor)).toMatch(/mutation SetDnsRecords/);
    expect(await text(`${headersEditor} .view-lines`)).toMatch(/"Authorization": "Bearer <paste the key printed on first start>"/);

    // With the admin key pasted over the template, the example's first operation answers with data.
    const replaceHeaders = async (key: string) => {
      await page.locator(headersEditor).click();
      await page.keyboard.press('ControlOrMeta+A');
      await page.keyboard.press('Delete');
      // insertText bypasses Monaco's bracket auto-closing.
      await page.keyboard.insertText(JSON.stringify({ Authorization: `Bearer ${key}` }));
    };
    await replaceHeaders(gw.adminKey);
    const example = page.waitForResponse((r) => r.request().method() === 'POST' && /dnsProvider/.test(r.request().postData() ?? ''));
    // The document holds two operations: GraphiQL asks which one to run.
    await page.getByRole('button', { name: /^Execute query/ }).click();
    await page.getByRole('menuitem', { name: 'DnsProvider', exact: true }).click();
    const exampleReply = (await (await example).json()) as { data?: { dnsProvider?: { __typename?: string } } };
    expect(exampleReply.data?.dnsProvider?.__typename).toMatch(/^(DnsProviderDetection|DnsError)$/);

    // Headers editor: GraphiQL sends these with every operation.
    await page.getByRole('button', { name: 'Headers', exact: true }).click();
    await replaceHeaders(apiKey);

    await page.locator('.graphiql-query-editor .monaco-editor').click();
    await page.keyboard.press('ControlOrMeta+A');
    await page.keyboard.press('Delete');
    await page.keyboard.insertText('{ __typename }');
    // GraphiQL parses the edited document before it runs it: its tab is named after the (now anonymous) operation.
    await expect.poll(() => text('.graphiql-tab-active'), { timeout: 5000 }).toMatch(/<untitled>/);

    const execution = page.waitForResponse((r) => r.request().method() === 'POST' && /__typename/.test(r.request().postData() ?? ''));
    await page.getByRole('button', { name: /^Execute query/ }).click();
    const executed = await execution;
    expect(executed.status()).toBe(200);
    expect(await executed.json()).toEqual({ data: { __typename: 'Query' } });
    expect(await executed.request().headerValue('authorization')).toBe(`Bearer ${apiKey}`);
    // Monaco renders spaces as U+00A0; the result pane shows the response the gateway sent.
    await expect
      .poll(async () => ((await page.locator('.result-window').textContent()) ?? '').replace(/\s+/g, ' '), { timeout: 5000 })
      .toMatch(/"__typename": "Query"/);

    await page.screenshot({ path: join(tmpdir(), 'graphiql.png') });

    // Every request, page and worker alike, went to the gateway (inline data:/blob: URLs never leave the browser).
    const offOrigin = browserRequests
      .map((r) => r.url())
      .filter((url) => !url.startsWith('data:') && !url.startsWith('blob:') && new URL(url).origin !== gatewayOrigin);
    expect(offOrigin).toEqual([]);
    const workerScripts = browserRequests.map((r) => new URL(r.url()).pathname).filter((path) => path.endsWith('.worker.js'));
    expect(new Set(workerScripts)).toEqual(new Set(['/graphiql/editor.worker.js', '/graphiql/json.worker.js', '/graphiql/graphql.worker.js']));

    // The gateway answered everything the browser asked for (favicon included) without an error status.
    await expect.poll(() => serverHits.every((hit) => hit.status !== undefined), { timeout: 5000 }).toBe(true);
    const failed = serverHits.filter((hit) => (hit.status ?? 0) >= 400).map((hit) => `${hit.method} ${hit.path} ${hit.status}`);
    expect(failed).toEqual([]);
    expect(serverHits.filter((hit) => hit.method === 'POST' && hit.path === '/graphql' && hit.authorization === `Bearer ${apiKey}`)).toHaveLength(1);
    // GraphiQL sends its headers with the schema introspection too, so the first one may carry the unfilled template
    // (not a credential: a Bearer value with spaces is no token, so it is an anonymous request); no operation did.
    const withTemplate = await Promise.all(
      browserRequests.filter((r) => r.method() === 'POST').map(async (r) => ((await r.headerValue('authorization')) ?? '').includes('<paste') && r.postData()),
    );
    expect(withTemplate.filter((body) => body !== false && !/IntrospectionQuery/.test(body ?? ''))).toEqual([]);
    expect(pageErrors).toEqual([]);
    expect(consoleErrors).toEqual([]);
    // ~4 s alone; the ceiling is for a full parallel suite on two shared cores, where Chromium start-up is slower.
  }, 45_000);

  it('runs the dnsStatusChanged subscription over Server-Sent Events: the live result, until the watch is EXPIRED', async () => {
    // A watch that cannot become ready (no resolver answers here) and expires after about two seconds.
    const watched = await startGateway({
      WATCH_SCHEDULER: 'true',
      WATCH_POLL_SECONDS: '0.05',
      VERIFY_FIRST_CHECK_SECONDS: '0.2',
      VERIFY_MAX_INTERVAL_SECONDS: '0.4',
      VERIFY_WATCH_HOURS: '0.0006',
      DNS_TIMEOUT_MS: '100',
    });
    try {
      const started = await postJson(watched, '/api/v1/dns.watch', { Domain: 'graphiql-watched.com', RecordType: 'campaign' }, bearer(watched.adminKey));
      expect(started.json.watch.state, started.text).toBe('PENDING');
      const tab = await context.newPage();
      const errors: string[] = [];
      tab.on('pageerror', (error) => errors.push(error.message));
      await tab.goto(`${watched.url}/graphql`);
      await tab.locator('.graphiql-container .graphiql-query-editor .monaco-editor').waitFor({ state: 'visible' });
      await tab.getByRole('button', { name: 'Headers', exact: true }).click();
      await tab.locator('.graphiql-editor-tool .graphiql-editor:visible .monaco-editor').click();
      await tab.keyboard.press('ControlOrMeta+A');
      await tab.keyboard.press('Delete');
      await tab.keyboard.insertText(JSON.stringify({ Authorization: `Bearer ${watched.adminKey}` }));
      await tab.locator('.graphiql-query-editor .monaco-editor').click();
      await tab.keyboard.press('ControlOrMeta+A');
      await tab.keyboard.press('Delete');
      await tab.keyboard.insertText('subscription { dnsStatusChanged(domain: "graphiql-watched.com", recordType: CAMPAIGN) { __typename ... on DnsWatch { domain state } ... on DnsError { code message } } }');

      const streamed = tab.waitForRequest((r) => r.url().includes('dnsStatusChanged'));
      await tab.getByRole('button', { name: /^Execute query/ }).click();
      const request = await streamed;
      expect(request.method()).toBe('GET');
      expect(await request.headerValue('accept')).toBe('text/event-stream');
      expect(await request.headerValue('authorization')).toBe(`Bearer ${watched.adminKey}`);
      const pane = async () => ((await tab.locator('.result-window').textContent()) ?? '').replace(/\s+/g, ' ');
      // The watch as it is now, then its change: GraphiQL shows the latest event.
      await expect.poll(pane, { timeout: 10_000 }).toMatch(/"state": "(PENDING|EXPIRED)"/);
      await expect.poll(pane, { timeout: 15_000 }).toMatch(/"state": "EXPIRED"/);
      expect(await pane()).toMatch(/"domain": "graphiql-watched.com"/);
      await tab.screenshot({ path: join(tmpdir(), 'graphiql-subscription.png') });
      expect(errors).toEqual([]);
      await tab.close();
    } finally {
      await watched.close();
    }
  }, 45_000);
});
