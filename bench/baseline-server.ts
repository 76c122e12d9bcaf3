/**
 * The baseline: a bare node:http server answering what `dns.provider` answers for a Cloudflare domain, with no
 * routing, auth, parsing or detection. Its req/s is the ceiling the gateway's numbers are divided by. Listens on
 * PORT (127.0.0.1) and prints `listening <port>` once bound.
 */
import { createServer } from 'node:http';

const body = JSON.stringify({ provider: 'cloudflare' });
const headers = { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(body) };

const server = createServer({ keepAliveTimeout: 65_000 }, (req, res) => {
  // Drain any request body (the form and GraphQL scenarios are never sent here, but keep-alive needs it read).
  req.resume();
  req.once('end', () => res.writeHead(200, headers).end(body));
});

server.listen(Number(process.env.PORT ?? 0), '127.0.0.1', () => {
  const address = server.address();
  process.stdout.write(`listening ${typeof address === 'object' && address ? address.port : 0}\n`);
});

process.once('SIGTERM', () => server.close(() => process.exit(0)));
