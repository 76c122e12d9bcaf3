/**
 * `GET /metrics`: the Prometheus exposition of `services.metrics` (src/services/metrics.ts). Where it is served is
 * the server's business (the API port with METRICS_TOKEN alone, else METRICS_PORT); this answers one request.
 *
 * With METRICS_TOKEN set it needs `Authorization: Bearer <METRICS_TOKEN>`: the SHA-256 of what was sent is compared
 * with the token's in constant time (equal lengths, so `timingSafeEqual` neither throws nor leaks the length). A
 * missing or wrong token gets the same 401, saying nothing of what was wrong.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Services } from './app.js';
import { endReply } from './reply-batch.js';

export type MetricsEndpoint = (req: IncomingMessage, res: ServerResponse) => Promise<void>;

const sha256 = (text: string): Buffer => createHash('sha256').update(text).digest();

function sendError(res: ServerResponse, status: number, message: string, head: Record<string, string> = {}): void {
  const text = JSON.stringify({ Errors: [{ Code: status, Message: message }] });
  endReply(res, status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text), 'cache-control': 'no-store', ...head }, text);
}

export function createMetricsEndpoint(services: Services): MetricsEndpoint {
  const { metrics, config, logger } = services;
  const expected = config.METRICS_TOKEN === undefined ? null : sha256(`Bearer ${config.METRICS_TOKEN}`);
  return async (req, res) => {
    if (expected && !timingSafeEqual(sha256(req.headers.authorization ?? ''), expected)) {
      sendError(res, 401, 'Unauthorized', { 'www-authenticate': 'Bearer' });
      return;
    }
    let text: string;
    try {
      text = await metrics.scrape();
    } catch (error) {
      // The watch gauge reads the database: a scrape while it is down says so instead of a 500.
      logger.warn({ err: error }, 'metrics scrape failed');
      sendError(res, 503, 'Metrics unavailable');
      return;
    }
    endReply(res, 200, { 'content-type': metrics.contentType, 'content-length': Buffer.byteLength(text), 'cache-control': 'no-store' }, text);
  };
}
