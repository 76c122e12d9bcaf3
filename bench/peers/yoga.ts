/**
 * Peer for the GraphQL scenarios: graphql-yoga 5 with its defaults (its parse and validation caches, masked errors,
 * GraphiQL on GET) serving the peer schema (./schema.ts) on node:http at /graphql, as yoga's documentation sets it
 * up. Only request logging is off, which yoga's default does not do at its default level anyway. Listens on PORT
 * (127.0.0.1).
 */
import { createServer } from 'node:http';
import { createYoga } from 'graphql-yoga';
import { announce, peerSchema } from './schema.js';

const yoga = createYoga({ schema: peerSchema(), logging: false });
const server = createServer({ keepAliveTimeout: 65_000 }, yoga);

server.listen(Number(process.env.PORT ?? 0), '127.0.0.1', () => announce((server.address() as { port: number }).port));
// Nothing to finish: exit at once (keep-alive connections would hold server.close() open).
process.once('SIGTERM', () => process.exit(0));
