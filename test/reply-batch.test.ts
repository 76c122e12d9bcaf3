/**
 * src/reply-batch.ts: complete replies are written in groups of up to four or at the end of the event-loop turn,
 * each whole and to its own client, with the head fixed at once.
 */
import { createServer, request, type Server, type ServerResponse } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { endReply } from '../src/reply-batch.js';

let server: Server | undefined;
afterEach(async () => {
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  server = undefined;
});

/** A server that holds requests until `count` have arrived, then hands them over together. */
async function serveInOneTurn(count: number, answer: (responses: ServerResponse[]) => void): Promise<string> {
  const held: ServerResponse[] = [];
  server = createServer((req, res) => {
    req.resume();
    req.once('end', () => {
      held.push(res);
      if (held.length === count) answer(held.splice(0));
    });
  });
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

function get(url: string, path: string): Promise<{ status: number; headers: Record<string, unknown>; body: string }> {
  return new Promise((resolve, reject) => {
    request(`${url}${path}`, { agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body }));
    })
      .on('error', reject)
      .end();
  });
}

describe('endReply', () => {
  it('writes nothing during the turn, then every reply of the turn, each whole and to its own client', async () => {
    const observed: Array<{ headersSent: boolean; ended: boolean }> = [];
    const url = await serveInOneTurn(3, (responses) => {
      responses.forEach((res, i) => {
        const body = JSON.stringify({ reply: i, path: res.req.url });
        endReply(res, 200 + i, ['content-type', 'application/json', 'content-length', String(Buffer.byteLength(body))], body);
      });
      for (const res of responses) observed.push({ headersSent: res.headersSent, ended: res.writableEnded });
    });
    const replies = await Promise.all(['/a', '/b', '/c'].map((path) => get(url, path)));
    // The head is fixed at once (no second reply can start), the body waits for the end of the turn.
    expect(observed).toEqual(Array(3).fill({ headersSent: true, ended: false }));
    const byPath = Object.fromEntries(replies.map((r) => [JSON.parse(r.body).path, r]));
    for (const path of ['/a', '/b', '/c']) {
      const reply = byPath[path]!;
      expect(reply.headers['content-type']).toBe('application/json');
      expect(reply.status).toBe(200 + JSON.parse(reply.body).reply);
    }
  });

  it('writes a group as soon as it holds four replies; the fifth waits for the end of the turn', async () => {
    const endedAfterEach: boolean[][] = [];
    let endedAtTurnEnd: boolean[] = [];
    const url = await serveInOneTurn(5, (responses) => {
      for (const res of responses) {
        endReply(res, 200, { 'content-length': '2' }, 'ok');
        endedAfterEach.push(responses.map((r) => r.writableEnded));
      }
      endedAtTurnEnd = responses.map((r) => r.writableEnded);
    });
    const replies = await Promise.all(['/1', '/2', '/3', '/4', '/5'].map((path) => get(url, path)));
    expect(replies.map((r) => r.body)).toEqual(Array(5).fill('ok'));
    expect(endedAfterEach[2]).toEqual([false, false, false, false, false]);
    expect(endedAfterEach[3]).toEqual([true, true, true, true, false]);
    expect(endedAtTurnEnd).toEqual([true, true, true, true, false]);
  });

  it('throws at once on a bad header, so the caller can still answer, and queues nothing', async () => {
    let thrown: unknown;
    const url = await serveInOneTurn(1, ([res]) => {
      try {
        endReply(res!, 200, { 'x-bad': 'line\nbreak' }, 'never sent');
      } catch (error) {
        thrown = error;
      }
      expect(res!.headersSent).toBe(false);
      endReply(res!, 500, { 'content-length': '2' }, 'no');
    });
    const reply = await get(url, '/');
    expect((thrown as NodeJS.ErrnoException).code).toBe('ERR_INVALID_CHAR');
    expect([reply.status, reply.body]).toEqual([500, 'no']);
  });

  it.each([
    { what: 'skips a client that went away before the flush', spoil: (res: ServerResponse) => res.destroy() },
    {
      what: 'cuts off a client whose reply fails to go out',
      spoil: (res: ServerResponse) => {
        res.end = () => {
          throw new Error('write failed');
        };
      },
    },
  ])('$what, and still answers the other in its group', async ({ spoil }) => {
    const url = await serveInOneTurn(2, (responses) => {
      const [spoiled, fine] = responses.sort((a, b) => (a.req.url! < b.req.url! ? -1 : 1));
      spoil(spoiled!);
      endReply(spoiled!, 200, { 'content-length': '4' }, 'lost');
      endReply(fine!, 200, { 'content-length': '4' }, 'fine');
    });
    const [spoiled, fine] = await Promise.allSettled([get(url, '/1-spoiled'), get(url, '/2-fine')]);
    expect(spoiled.status).toBe('rejected');
    expect(fine.status === 'fulfilled' && fine.value.body).toBe('fine');
  });

  it('keeps pipelined replies on one connection in request order, whatever order they were made in', async () => {
    const url = await serveInOneTurn(1, ([res]) => {
      const path = res!.req.url!;
      // The first request is answered last (a slower handler), after the replies to the ones behind it are made.
      setTimeout(() => endReply(res!, 200, { 'content-length': String(path.length) }, path), path === '/a' ? 30 : 0);
    });
    const { port } = new URL(url);
    const raw = await new Promise<string>((resolve, reject) => {
      const socket = connect(Number(port), '127.0.0.1', () => {
        socket.write('GET /a HTTP/1.1\r\nHost: t\r\n\r\nGET /bb HTTP/1.1\r\nHost: t\r\n\r\nGET /ccc HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n');
      });
      let text = '';
      socket.setEncoding('utf8');
      socket.on('data', (chunk: string) => (text += chunk));
      socket.on('close', () => resolve(text));
      socket.on('error', reject);
    });
    expect(raw.match(/\r\n\r\n(\/[a-c]+)/g)?.map((m) => m.trim())).toEqual(['/a', '/bb', '/ccc']);
  });
});
