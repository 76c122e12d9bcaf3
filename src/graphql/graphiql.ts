/**
 * Offline GraphiQL. The assets come from the installed `@graphql-yoga/render-graphiql` package (never a CDN) and are
 * served as separate, cacheable files under `/graphiql/`, so the page itself is a few hundred bytes instead of the
 * 9 MB that `renderGraphiQL` inlines into every load. The bundle is loaded on first use, not at start-up.
 */
import { createHash } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import { endReply } from '../reply-batch.js';

interface Asset {
  readonly body: Buffer;
  readonly type: string;
  readonly etag: string;
}

export const GRAPHIQL_ASSET_PREFIX = '/graphiql/';

let assets: Promise<Map<string, Asset>> | undefined;

function loadAssets(): Promise<Map<string, Asset>> {
  assets ??= import('@graphql-yoga/render-graphiql/graphiql').then((bundle) => {
    const make = (content: string | Buffer, type: string): Asset => {
      const body = typeof content === 'string' ? Buffer.from(content, 'utf8') : content;
      return { body, type, etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"` };
    };
    // The bundle ships its icon as a base64 data URL; served as a file, so the page stays small.
    const makeFromDataUrl = (dataUrl: string): Asset => {
      const match = /^data:([^;,]+);base64,(.*)$/s.exec(dataUrl);
      if (!match?.[1] || match[2] === undefined) throw new Error('unexpected GraphiQL favicon format');
      return make(Buffer.from(match[2], 'base64'), match[1]);
    };
    return new Map([
      ['app.js', make(bundle.js, 'application/javascript; charset=utf-8')],
      ['app.css', make(bundle.css, 'text/css; charset=utf-8')],
      ['editor.worker.js', make(bundle.editorWorkerService, 'application/javascript; charset=utf-8')],
      ['json.worker.js', make(bundle.jsonWorker, 'application/javascript; charset=utf-8')],
      ['graphql.worker.js', make(bundle.graphqlWorker, 'application/javascript; charset=utf-8')],
      ['favicon.ico', makeFromDataUrl(bundle.favicon)],
    ]);
  });
  return assets;
}

/** Serves `/graphiql/<asset>`; returns false when the path is not one of them. */
export async function serveGraphiqlAsset(pathname: string, ifNoneMatch: string | undefined, res: ServerResponse): Promise<boolean> {
  if (!pathname.startsWith(GRAPHIQL_ASSET_PREFIX)) return false;
  const asset = (await loadAssets()).get(pathname.slice(GRAPHIQL_ASSET_PREFIX.length));
  if (!asset) return false;
  const headers = { etag: asset.etag, 'cache-control': 'public, max-age=86400' };
  if (ifNoneMatch === asset.etag) {
    endReply(res, 304, headers, '');
  } else {
    endReply(res, 200, { ...headers, 'content-type': asset.type, 'content-length': asset.body.length }, asset.body);
  }
  return true;
}

/**
 * What a first visit opens on: a detection and a dry run on the sandbox provider (nothing is written, no real DNS
 * host is needed), runnable once the key printed on first start is pasted into the headers. GraphiQL uses it only
 * when it has no tabs stored in the browser's localStorage, so a returning user keeps their own.
 * test/graphiql.test.ts validates it against the schema.
 */
export const EXAMPLE_DOCUMENT = `# Paste the API key printed on first start into the headers below, then run an operation (the ▶ button).

query DnsProvider {
  dnsProvider(domain: "example.com") {
    __typename
    ... on DnsProviderDetection { provider supported nameservers }
    ... on DnsError { code message }
  }
}

# A dry run on the sandbox provider: the plan, with nothing written.
mutation SetDnsRecords {
  setDnsRecords(input: { domain: "example.com", provider: SANDBOX, recordType: CAMPAIGN, credentials: { apiKey: "sandbox" }, dryRun: true }) {
    __typename
    ... on SetDnsRecordsSuccess { applied changes { action type name content } warnings }
    ... on DnsError { code message }
  }
}
`;

/** The headers editor's first content: where the key goes. */
export const EXAMPLE_HEADERS = JSON.stringify({ Authorization: 'Bearer <paste the key printed on first start>' }, null, 2);

/** The GraphiQL page: yoga calls this for a browser GET on /graphql. */
export function renderGraphiqlPage(options: { title?: string; endpoint?: string } = {}): string {
  const config = JSON.stringify({
    endpoint: options.endpoint ?? '/graphql',
    title: options.title ?? 'DNS gateway',
    // GraphiQL's defaults for a browser without stored tabs (graphql-yoga GraphiQLOptions).
    defaultQuery: EXAMPLE_DOCUMENT,
    headers: EXAMPLE_HEADERS,
    defaultEditorToolsVisibility: 'headers',
  });
  const p = GRAPHIQL_ASSET_PREFIX;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8" />
<title>${escapeHtml(options.title ?? 'DNS gateway')} · GraphiQL</title>
<link rel="stylesheet" href="${p}app.css" />
<link rel="icon" href="${p}favicon.ico" />
</head>
<body id="body" class="no-focus-outline">
<noscript>GraphiQL needs JavaScript.</noscript>
<div id="root"></div>
<script>
self.MonacoEnvironment = {
  globalAPI: false,
  getWorkerUrl: function (moduleId, label) {
    return { editorWorkerService: '${p}editor.worker.js', json: '${p}json.worker.js', graphql: '${p}graphql.worker.js' }[label];
  },
};
</script>
<script src="${p}app.js"></script>
<script>YogaGraphiQL.renderYogaGraphiQL(document.querySelector('#root'), ${config.replace(/</g, '\\u003c')});</script>
</body>
</html>`;
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
