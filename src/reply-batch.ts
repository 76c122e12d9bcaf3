/**
 * Replies written a few at a time, back to back, instead of one by one as each handler finishes: the HTTP
 * counterpart of Netty's FlushConsolidationHandler. A group is written when it holds MAX_HELD_REPLIES replies, or at
 * the end of the event-loop turn that produced them, whichever comes first.
 *
 * Why: a socket write that wakes a sleeping peer pays for the wake-up in the writer's system call (on a VM, an
 * inter-processor interrupt through the hypervisor). On this project's 2-core benchmark machine that was 17–30 µs
 * per reply, more than the whole REST request path, whenever the server rather than its client was the busy side
 * (bench/README.md "Reply batching"). Written back to back, only the first reply of a group finds the peer asleep.
 *
 * What it costs: a reply waits for at most three others, or for the end of the turn (the other requests the same
 * poll delivered, each well under a millisecond), never for a timer. The end-of-turn write runs in the check phase
 * (setImmediate), right after the poll phase in which the requests and the upstream answers arrive, so nothing is
 * held across turns. Only complete replies with a known body are queued (REST, the GraphQL fast path, health
 * checks); streamed ones (yoga's own path) go straight out.
 */
import type { OutgoingHttpHeaders, ServerResponse } from 'node:http';
import { withRequestId } from './request-id.js';

/**
 * Replies held at most, then written at once. A held reply keeps its request's objects alive, and those that are
 * alive when V8 collects the young generation are promoted and later marked by its helper threads: past a few held
 * replies, that cost more than the spared wake-ups. REST `dns.provider` req/s by cap, alternating runs of the bench
 * (bench/README.md "Reply batching"): 1 (no batching) 27.6k, 2 25.0k, 3 27.7k, 4 28.2k–31.1k, 6 25.4k, 8 26.7k,
 * unbounded 23.7k–26.3k; GraphQL `dnsProvider` was within noise from 4 up (14.0k–15.2k; 11.2k unbatched).
 */
const MAX_HELD_REPLIES = 4;

/** Responses whose head is stored (`writeHead`) and whose body waits for the flush, in the order they were made. */
let queue: Array<{ res: ServerResponse; body: string | Buffer }> = [];

function flush(): void {
  const replies = queue;
  queue = [];
  for (const { res, body } of replies) {
    // The client may have gone meanwhile; ending a destroyed response would only emit an error nobody listens for.
    if (res.destroyed || res.writableEnded) continue;
    try {
      res.end(body);
    } catch {
      // Whatever went wrong with this one, the replies after it in the group still go out; this client's
      // connection is cut rather than left waiting.
      res.destroy();
    }
  }
}

/**
 * Sends `status`, `head` and `body` as one complete reply. The head is validated and stored now (`res.writeHead`
 * throws here on a bad header, and `res.headersSent` is true from here on, so no other reply can start); the bytes go
 * out, head and body in one write, with the group this reply completes or at the end of this event-loop turn.
 * `head` is what `writeHead` takes: a flat `[name, value, …]` list builds the head in one pass. The request's
 * `X-Request-Id` is added here (a flat list gains it in place), so that every complete reply carries it.
 */
export function endReply(res: ServerResponse, status: number, head: OutgoingHttpHeaders | string[], body: string | Buffer): void {
  res.writeHead(status, withRequestId(res, head));
  if (queue.length === 0) setImmediate(flush);
  queue.push({ res, body });
  if (queue.length >= MAX_HELD_REPLIES) flush();
}
