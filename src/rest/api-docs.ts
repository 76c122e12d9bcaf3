/**
 * The REST API's description and reference page:
 * - `GET /api/v1/openapi.json`: the OpenAPI 3.1 document (src/rest/openapi.ts), generated on first request and kept;
 * - `GET /api/v1/docs`: Scalar's API reference, from the installed `@scalar/api-reference` browser bundle (never a
 *   CDN), configured to fetch nothing but this gateway: no default fonts (fonts.scalar.com), no agent, no telemetry,
 *   no request proxy.
 *
 * Like GraphiQL's assets (src/graphql/graphiql.ts): loaded on first use, not at start-up, cached, with an ETag.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import { endReply } from '../reply-batch.js';

export const OPENAPI_PATH = '/api/v1/openapi.json';
export const DOCS_PATH = '/api/v1/docs';
const ASSET_PREFIX = `${DOCS_PATH}/`;

/**
 * The page's policy: everything from this origin only. Styles also inline, because Scalar's bundle injects its
 * stylesheets as `<style>` elements and sets `style` attributes at run time; no request can come of that, since
 * whatever a stylesheet loads is still held to `img-src` / `font-src` 'self'.
 */
export const DOCS_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

/**
 * Scalar's configuration (option names: @scalar/types, api-reference-configuration.ts and base-configuration.ts).
 * The agent is on by default for pages served from localhost and calls Scalar's servers; `withDefaultFonts` loads
 * fonts from fonts.scalar.com; a `proxyUrl` would send "Test Request" through proxy.scalar.com, so none is set.
 */
export const SCALAR_CONFIGURATION = {
  url: OPENAPI_PATH,
  withDefaultFonts: false,
  telemetry: false,
  agent: { disabled: true },
  showDeveloperTools: 'never',
  hideModels: true,
  documentDownloadType: 'json',
  persistAuth: false,
  // Parameters in the order the description gives them (Domain first), required ones first.
  orderSchemaPropertiesBy: 'preserve',
} as const;

interface Asset {
  readonly body: Buffer;
  readonly type: string;
  readonly etag: string;
  readonly headers: Readonly<Record<string, string>>;
}

function asset(content: string | Buffer, type: string, headers: Record<string, string> = {}): Asset {
  const body = typeof content === 'string' ? Buffer.from(content, 'utf8') : content;
  return { body, type, etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"`, headers };
}

const REVALIDATE = { 'cache-control': 'no-cache' };

const PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8" />
<meta name="viewport" content="width=device-width, initial-scale=1" />
<title>DNS gateway · REST API reference</title>
<link rel="icon" href="data:," />
</head>
<body>
<noscript>This reference needs JavaScript. The API description itself is at <a href="${OPENAPI_PATH}">${OPENAPI_PATH}</a>.</noscript>
<div id="app"></div>
<script src="${ASSET_PREFIX}scalar.js"></script>
<script src="${ASSET_PREFIX}init.js"></script>
</body>
</html>
`;

let document: Promise<Asset> | undefined;
let scalar: Promise<Asset> | undefined;
const page = asset(PAGE, 'text/html; charset=utf-8', { ...REVALIDATE, 'content-security-policy': DOCS_CSP, 'referrer-policy': 'no-referrer' });
const init = asset(`Scalar.createApiReference('#app', ${JSON.stringify(SCALAR_CONFIGURATION)});\n`, 'application/javascript; charset=utf-8', REVALIDATE);

function loadDocument(): Promise<Asset> {
  document ??= import('./openapi.js')
    .then(({ buildOpenApiDocument }) => asset(JSON.stringify(buildOpenApiDocument()), 'application/json; charset=utf-8', REVALIDATE))
    .catch((error: unknown) => {
      document = undefined;
      throw error;
    });
  return document;
}

function loadScalar(): Promise<Asset> {
  scalar ??= readFile(createRequire(import.meta.url).resolve('@scalar/api-reference/browser/standalone.js'))
    .then((bundle) => asset(bundle, 'application/javascript; charset=utf-8', { 'cache-control': 'public, max-age=86400' }))
    .catch((error: unknown) => {
      scalar = undefined;
      throw error;
    });
  return scalar;
}

/** True for the paths served here (checked before the REST transport, which owns the rest of `/api/v1/`). */
export function isApiDocsPath(path: string): boolean {
  return path === OPENAPI_PATH || path === DOCS_PATH || path.startsWith(ASSET_PREFIX);
}

async function assetFor(path: string): Promise<Asset | undefined> {
  if (path === OPENAPI_PATH) return loadDocument();
  if (path === DOCS_PATH || path === ASSET_PREFIX) return page;
  if (path === `${ASSET_PREFIX}init.js`) return init;
  if (path === `${ASSET_PREFIX}scalar.js`) return loadScalar();
  return undefined;
}

/** Serves a GET for one of `isApiDocsPath`'s paths; false when there is no such file (the caller answers 404). */
export async function serveApiDocs(path: string, ifNoneMatch: string | undefined, res: ServerResponse): Promise<boolean> {
  const found = await assetFor(path);
  if (!found) return false;
  const headers = { ...found.headers, etag: found.etag, 'x-content-type-options': 'nosniff' };
  if (ifNoneMatch === found.etag) endReply(res, 304, headers, '');
  else endReply(res, 200, { ...headers, 'content-type': found.type, 'content-length': found.body.length }, found.body);
  return true;
}
