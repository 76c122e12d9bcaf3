/**
 * Webhook delivery from the durable outbox (`webhook_outbox`, written in the same transaction as the watch state
 * change it reports: src/services/watches.ts). Each due event is claimed with a lease like a due watch, POSTed to
 * WEBHOOK_URL signed per the Standard Webhooks specification (`webhook-id`, `webhook-timestamp`,
 * `webhook-signature` = `v1,<base64 HMAC-SHA256 of id.timestamp.body>` with WEBHOOK_SECRET, by the `standardwebhooks`
 * package), and recorded:
 *
 * - a 2xx answer delivers it;
 * - anything else (another status, a timeout, a refused connection) schedules a retry WEBHOOK_FIRST_RETRY_SECONDS
 *   later, each next one twice as long after (at most an hour apart), until WEBHOOK_RETRY_HOURS (24) after the event;
 *   the attempt at that moment is the last, and a failure then gives the event up (`failed_at`, and a warning log).
 *
 * At least once: the row stays due until an attempt is recorded as delivered, so an instance that stops (or crashes)
 * mid-retries leaves it to the next instance; the `webhook-id` is the row's id, the same on every attempt, so a
 * receiver drops duplicates by it. The timestamp and signature are made afresh for each attempt (receivers refuse
 * old timestamps). The URL and the secret are operator configuration: never stored, logged or shown.
 */
import { randomUUID } from 'node:crypto';
import pLimit from 'p-limit';
import { Webhook } from 'standardwebhooks';
import { Agent, request } from 'undici';
import type { Logger } from '../logger.js';
import type { OutboxRow, Store, WebhookAttempt } from '../storage/store.js';

export interface WebhookSenderOptions {
  readonly store: Store;
  readonly url: string;
  readonly secret: string;
  readonly firstRetryMs: number;
  readonly retryWindowMs: number;
  readonly timeoutMs: number;
  readonly leaseMs: number;
  readonly instanceId: string;
  readonly logger: Logger;
  /** @default Date.now */
  readonly now?: () => number;
  /** Told of every attempt recorded (the metrics). @default none */
  readonly onOutcome?: ((outcome: WebhookAttempt['outcome']) => void) | undefined;
}

export interface WebhookSender {
  /** Claims up to `limit` due deliveries, attempts each, and returns how many it claimed. */
  deliverDue(limit: number): Promise<number>;
  close(): Promise<void>;
}

/** Deliveries in flight at once per instance. */
const DELIVERY_CONCURRENCY = 8;
/** The longest wait between two attempts. */
const MAX_RETRY_DELAY_MS = 3_600_000;
/** Most of a receiver's answer that is read (then dropped): its body does not matter. */
const MAX_ANSWER_BYTES = 64 * 1024;

/** When the attempt after `attempts` failed ones comes, or null when the event is to be given up. */
export function nextAttemptAt(createdAt: number, attempts: number, failedAt: number, firstRetryMs: number, retryWindowMs: number): number | null {
  const giveUpAt = createdAt + retryWindowMs;
  if (failedAt >= giveUpAt) return null;
  const delay = Math.min(firstRetryMs * 2 ** Math.min(attempts - 1, 40), Math.max(firstRetryMs, MAX_RETRY_DELAY_MS));
  return Math.min(failedAt + delay, giveUpAt);
}

export function createWebhookSender(options: WebhookSenderOptions): WebhookSender {
  const now = options.now ?? Date.now;
  const signer = new Webhook(options.secret);
  const agent = new Agent({
    connect: { timeout: options.timeoutMs },
    headersTimeout: options.timeoutMs,
    bodyTimeout: options.timeoutMs,
    keepAliveTimeout: 4_000,
  });
  const limit = pLimit(DELIVERY_CONCURRENCY);

  /** One POST: the receiver's status, or why there is none (never the URL: it may carry a token). */
  async function post(row: OutboxRow, at: number): Promise<{ status: number | null; error: string | null }> {
    try {
      const reply = await request(options.url, {
        method: 'POST',
        dispatcher: agent,
        headers: {
          'content-type': 'application/json',
          'user-agent': 'dns-gateway-webhooks',
          'webhook-id': row.id,
          'webhook-timestamp': String(Math.floor(at / 1000)),
          'webhook-signature': signer.sign(row.id, new Date(at), row.payload),
        },
        body: row.payload,
        signal: AbortSignal.timeout(options.timeoutMs),
      });
      await reply.body.dump({ limit: MAX_ANSWER_BYTES }).catch(() => undefined);
      return { status: reply.statusCode, error: reply.statusCode >= 200 && reply.statusCode < 300 ? null : `HTTP ${reply.statusCode}` };
    } catch (error) {
      return { status: null, error: describe(error) };
    }
  }

  async function attempt(row: OutboxRow, token: string): Promise<void> {
    const at = now();
    const { status, error } = await post(row, at);
    const attempts = row.attempts + 1;
    const finished = now();
    const createdAt = Date.parse(row.createdAt);
    const retryAt = error === null ? null : nextAttemptAt(createdAt, attempts, finished, options.firstRetryMs, options.retryWindowMs);
    const outcome = error === null ? 'delivered' : retryAt === null ? 'failed' : 'retry';
    const recorded = await options.store.finishWebhookAttempt({
      id: row.id,
      token,
      attempts,
      at: new Date(finished).toISOString(),
      outcome,
      nextAttemptAt: retryAt === null ? null : new Date(retryAt).toISOString(),
      lastStatus: status,
      lastError: error,
    });
    if (!recorded) {
      options.logger.warn({ webhookId: row.id, type: row.eventType }, 'webhook lease lost before the attempt was recorded: it will be attempted again');
      return;
    }
    options.onOutcome?.(outcome);
    if (outcome === 'delivered') options.logger.info({ webhookId: row.id, type: row.eventType, attempts }, 'webhook delivered');
    else if (outcome === 'failed') options.logger.warn({ webhookId: row.id, type: row.eventType, attempts, lastError: error }, 'webhook given up: not delivered within the retry window');
    else options.logger.info({ webhookId: row.id, type: row.eventType, attempts, lastError: error, nextAttemptAt: new Date(retryAt!).toISOString() }, 'webhook attempt failed: will retry');
  }

  return {
    async deliverDue(max) {
      const at = now();
      const token = `${options.instanceId}/${randomUUID()}`;
      const due = await options.store.claimDueWebhooks({ now: new Date(at).toISOString(), until: new Date(at + options.leaseMs).toISOString(), token, limit: max });
      await Promise.all(
        due.map((row) =>
          limit(() => attempt(row, token)).catch((error: unknown) => options.logger.error({ err: error, webhookId: row.id }, 'webhook attempt could not be recorded')),
        ),
      );
      return due.length;
    },
    close: () => agent.close(),
  };
}

/** A failure in a few safe words: the error's code or kind, never its message (undici's can quote the URL). */
function describe(error: unknown): string {
  const e = error as { name?: unknown; code?: unknown; cause?: { code?: unknown } } | null;
  if (e?.name === 'TimeoutError' || e?.name === 'AbortError') return 'timeout';
  const code = typeof e?.code === 'string' ? e.code : typeof e?.cause?.code === 'string' ? e.cause.code : null;
  if (code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT' || code === 'UND_ERR_CONNECT_TIMEOUT') return 'timeout';
  return code ?? 'connection failed';
}
