/**
 * A webhook receiver on loopback: records every request (headers, raw body, time, the status it answered) and
 * answers with the next status of its `answers` queue (200 once the queue is empty), optionally after a delay.
 */
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ReceivedWebhook {
  readonly headers: IncomingMessage['headers'];
  readonly body: string;
  readonly at: number;
  readonly status: number;
}

export interface WebhookReceiver {
  readonly url: string;
  readonly received: ReceivedWebhook[];
  /** Statuses to answer, in order; 200 once empty. */
  answers: number[];
  /** Answer this many milliseconds late. */
  delayMs: number;
  waitFor(count: number, timeoutMs?: number): Promise<ReceivedWebhook[]>;
  /** Forgets what was received and the queued answers; a request still being answered is not recorded. */
  reset(): void;
  close(): Promise<void>;
}

export async function startWebhookReceiver(path = '/hooks/dns?token=receiver-side-token'): Promise<WebhookReceiver> {
  const waiters = new Set<() => void>();
  let generation = 0;
  const receiver: WebhookReceiver = {
    url: '',
    received: [],
    answers: [],
    delayMs: 0,
    waitFor(count, timeoutMs = 10_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          if (receiver.received.length < count) return;
          clearTimeout(timer);
          waiters.delete(check);
          resolve(receiver.received);
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`${receiver.received.length} of ${count} webhooks within ${timeoutMs} ms`));
        }, timeoutMs);
        waiters.add(check);
        check();
      });
    },
    reset() {
      generation++;
      receiver.received.length = 0;
      receiver.answers = [];
      receiver.delayMs = 0;
    },
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const status = receiver.answers.shift() ?? 200;
      const current = generation;
      setTimeout(() => {
        if (current === generation) receiver.received.push({ headers: req.headers, body: Buffer.concat(chunks).toString('utf8'), at: Date.now(), status });
        res.writeHead(status, { 'content-type': 'text/plain' }).end(status === 200 ? 'ok' : 'not now');
        for (const waiter of [...waiters]) waiter();
      }, receiver.delayMs);
    });
  });
  server.keepAliveTimeout = 500;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  (receiver as { url: string }).url = `http://127.0.0.1:${(server.address() as AddressInfo).port}${path}`;
  return receiver;
}
