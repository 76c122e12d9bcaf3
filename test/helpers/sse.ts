/**
 * A GraphQL-over-SSE client for tests, reading the stream as it arrives: yoga's format (`event: next` /
 * `data: <json>` blocks, `event: complete` at the end, `:` comment lines as keep-alive pings). It sends what GraphiQL
 * sends for a subscription (a GET with the operation in the query string and `Accept: text/event-stream`), or a POST
 * with a JSON body.
 */
import { request } from 'undici';

export interface SseSubscription {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  /** The `data` of each `next` event, parsed, in order. */
  readonly results: any[];
  /** Resolves when the server sends `complete` or ends the stream; `completedByServer` says which. */
  readonly ended: Promise<void>;
  readonly completedByServer: boolean;
  /** Resolves with the results once `count` have arrived (rejects after `timeoutMs`). */
  waitFor(count: number, timeoutMs?: number): Promise<any[]>;
  /** Hangs up (the client going away). */
  close(): void;
}

export async function subscribeSse(
  url: string,
  document: string,
  variables: Record<string, unknown>,
  options: { key?: string; method?: 'GET' | 'POST'; /** Default text/event-stream; null: none (a client asking for nothing in particular). */ accept?: string | null } = {},
): Promise<SseSubscription> {
  const controller = new AbortController();
  const accept = options.accept === undefined ? 'text/event-stream' : options.accept;
  const headers: Record<string, string> = { ...(accept === null ? {} : { accept }), ...(options.key ? { authorization: `Bearer ${options.key}` } : {}) };
  const method = options.method ?? 'POST';
  const target =
    method === 'GET' ? `${url}/graphql?${new URLSearchParams({ query: document, variables: JSON.stringify(variables) }).toString()}` : `${url}/graphql`;
  const reply = await request(target, {
    method,
    headers: method === 'POST' ? { ...headers, 'content-type': 'application/json' } : headers,
    ...(method === 'POST' ? { body: JSON.stringify({ query: document, variables }) } : {}),
    signal: controller.signal,
  });
  const results: any[] = [];
  const waiters = new Set<() => void>();
  const notify = () => {
    for (const waiter of waiters) waiter();
  };
  const state = { completedByServer: false };
  const ended = (async () => {
    let buffered = '';
    try {
      for await (const chunk of reply.body) {
        buffered += chunk.toString('utf8');
        for (let end = buffered.indexOf('\n\n'); end >= 0; end = buffered.indexOf('\n\n')) {
          const block = buffered.slice(0, end);
          buffered = buffered.slice(end + 2);
          const lines = block.split('\n').filter((line) => !line.startsWith(':'));
          const event = lines.find((line) => line.startsWith('event:'))?.slice(6).trim();
          const data = lines.filter((line) => line.startsWith('data:')).map((line) => line.slice(5).trim()).join('\n');
          if (event === 'next' || (event === undefined && data !== '')) results.push(JSON.parse(data));
          if (event === 'complete') state.completedByServer = true;
          notify();
        }
      }
    } catch {
      // aborted by close()
    } finally {
      notify();
    }
  })();
  const subscription: SseSubscription = {
    status: reply.statusCode,
    headers: reply.headers,
    results,
    get completedByServer() {
      return state.completedByServer;
    },
    ended,
    waitFor(count, timeoutMs = 10_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          if (results.length >= count) {
            cleanup();
            resolve(results);
          }
        };
        const timer = setTimeout(() => {
          cleanup();
          reject(new Error(`${results.length} of ${count} subscription results within ${timeoutMs} ms: ${JSON.stringify(results)}`));
        }, timeoutMs);
        const cleanup = () => {
          clearTimeout(timer);
          waiters.delete(check);
        };
        waiters.add(check);
        check();
      });
    },
    close: () => controller.abort(),
  };
  return subscription;
}
