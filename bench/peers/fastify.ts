/**
 * Peer for the REST scenarios: fastify 5 with one trivial GET route, answering what `dns.provider` answers for the
 * bench's Cloudflare domain. Defaults (no logger: fastify's default), nothing registered but the route. Listens on
 * PORT (127.0.0.1).
 */
import Fastify from 'fastify';
import { PEER_DETECTION, announce } from './schema.js';

const app = Fastify({ logger: false });
const reply = { provider: PEER_DETECTION.provider };
app.get('/api/v1/dns.provider', async () => reply);

await app.listen({ port: Number(process.env.PORT ?? 0), host: '127.0.0.1' });
announce((app.server.address() as { port: number }).port);
// Nothing to finish: exit at once (keep-alive connections would hold app.close() open).
process.once('SIGTERM', () => process.exit(0));
