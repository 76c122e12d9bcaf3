/**
 * Peer for the GraphQL scenarios: mercurius 16 on fastify 5, with graphql-jit (`jit: 1`: a document is compiled on
 * its second use, then runs compiled), serving the peer schema (./schema.ts) at POST /graphql. Otherwise defaults:
 * no logger, no GraphiQL. Listens on PORT (127.0.0.1).
 */
import Fastify from 'fastify';
import mercurius from 'mercurius';
import { announce, peerSchema } from './schema.js';

const app = Fastify({ logger: false });
await app.register(mercurius, { schema: peerSchema(), jit: 1, graphiql: false });

await app.listen({ port: Number(process.env.PORT ?? 0), host: '127.0.0.1' });
announce((app.server.address() as { port: number }).port);
// Nothing to finish: exit at once (keep-alive connections would hold app.close() open).
process.once('SIGTERM', () => process.exit(0));
