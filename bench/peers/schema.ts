/**
 * The GraphQL peers' schema (bench/peers/mercurius.ts, bench/peers/yoga.ts): the gateway's `dnsProvider` field and
 * the types its `DnsProvider` document selects (test/graphql/operations.graphql), answering a constant detection.
 * So the peers are sent the very request the gateway's GraphQL scenario sends, and answer the same bytes; what
 * they do not do is everything behind the field: no authentication, rate limit, detection or log.
 */
import { buildSchema, type GraphQLSchema, type GraphQLUnionType } from 'graphql';

/** What the gateway answers for the bench's Cloudflare domain (bench/upstream.ts delegates it to these hosts). */
export const PEER_DETECTION = { provider: 'cloudflare', supported: true, nameservers: ['ada.ns.cloudflare.com', 'bob.ns.cloudflare.com'] } as const;

const SDL = /* GraphQL */ `
  type Query {
    dnsProvider(domain: String!): DnsProviderResult!
  }
  union DnsProviderResult = DnsError | DnsProviderDetection
  type DnsProviderDetection {
    provider: String!
    supported: Boolean!
    nameservers: [String!]!
  }
  type DnsError {
    code: Int!
    message: String!
  }
`;

export function peerSchema(): GraphQLSchema {
  const schema = buildSchema(SDL);
  (schema.getType('DnsProviderResult') as GraphQLUnionType).resolveType = () => 'DnsProviderDetection';
  schema.getQueryType()!.getFields().dnsProvider!.resolve = () => PEER_DETECTION;
  return schema;
}

/** Prints the line bench/lib/children.ts waits for, once the server is bound. */
export function announce(port: number): void {
  process.stdout.write(`listening ${port}\n`);
}
