/**
 * Replies written together at the end of the event-loop turn that produced them, instead of one by one as each
 * handler finishes: the HTTP counterpart of Netty's FlushConsolidationHandler.
 *
 * Why: a socket write that wakes a sleeping peer pays for the wake-up in the writer's system call (on a VM, an
 * inter-processor interrupt through the hypervisor). On this project's 2-core benchmark machine that was 17–30 µs
 * per reply, more than the whole REST request path, whenever the server rather than its client was the busy side
 * (bench/README.md "Reply batching"). Written back to back, only the first reply of a turn finds the peer asleep.
 *
 * What it costs: a reply waits for the rest of the turn (the other requests the same poll delivered, each well under
 * a millisecond), never for a timer. The flush runs in the check phase (setImmediate), right after the poll phase in
 * which the requests and the upstream answers arrive, so nothing is held across turns. Only complete replies with a
 * known body are queued (REST, the GraphQL fast path, health checks); streamed ones (yoga's own path) go straight out.
 */
import type { OutgoingHttpHeaders, ServerResponse } from 'node:http';

/** Responses whose head is stored (`writeHead`) and whose body waits for the flush, in the order they were made. */
let queue: Array<{ res: ServerResponse; body: string | Buffer }> = [];

function flush(): void {
  const replies = queue;
  queue = [];
  // The client may have gone meanwhile; ending a destroyed response would only emit an error nobody listens for.
  for (const { res, body } of replies) if (!res.destroyed && !res.writableEnded) res.end(body);
}

/**
 * Sends `status`, `head` and `body` as one complete reply. The head is validated and stored now (`res.writeHead`
 * throws here on a bad header, and `res.headersSent` is true from here on, so no other reply can start); the bytes go
 * out, head and body in one write, at the end of this event-loop turn. `head` is what `writeHead` takes: a flat
 * `[name, value, …]` list builds the head in one pass.
 */
export function endReply(res: ServerResponse, status: number, head: OutgoingHttpHeaders | string[], body: string | Buffer): void {
  res.writeHead(status, head);
  if (queue.length === 0) setImmediate(flush);
  queue.push({ res, body });
}
