/**
 * graphql-yoga serving the Pothos schema at /graphql. Hardening: CSRF prevention (the plugin — a `csrfPrevention`
 * option to createYoga is silently ignored), depth/alias/token/cost limits, masked internal errors, no batching,
 * offline GraphiQL. Each request gets a fresh context bound to the caller's credentials.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createYoga, type Plugin } from 'graphql-yoga';
import { useCSRFPrevention } from '@graphql-yoga/plugin-csrf-prevention';
import { EnvelopArmorPlugin } from '@escape.tech/graphql-armor';
import { schema } from '../../schema/index.js';
import type { Services } from '../services.js';
import type { CallerCredentials } from '../procedures/procedure.js';
import { rateLimitHeaders } from '../rate-limit/headers.js';
import type { GraphqlContext, GraphqlRequestState } from './context.js';
import { renderGraphiqlPage } from './graphiql.js';

/** What the node:http layer passes for each request. */
export interface GraphqlServerContext {
  req: IncomingMessage;
  res: ServerResponse;
  caller: CallerCredentials;
  state: GraphqlRequestState;
}

/** Writes the caller's rate-limit state on every authenticated GraphQL reply. */
function useRateLimitHeaders(): Plugin<Record<string, unknown>, GraphqlServerContext> {
  return {
    onResponse({ response, serverContext }) {
      const state = serverContext?.state?.rateLimit;
      if (!state) return;
      for (const [name, value] of Object.entries(rateLimitHeaders(state))) response.headers.set(name, value);
    },
  };
}

export function createGraphqlHandler(services: Services) {
  return createYoga<GraphqlServerContext, GraphqlContext>({
    schema,
    graphqlEndpoint: '/graphql',
    context: ({ caller, state }): GraphqlContext => ({ services, caller, state }),
    graphiql: { title: 'DNS gateway' },
    renderGraphiQL: (options) => renderGraphiqlPage({ title: options?.title, endpoint: '/graphql' }),
    landingPage: false,
    batching: false,
    logging: false,
    maskedErrors: true,
    plugins: [
      // Browsers' "simple" requests (GET, form posts) must carry one of these headers: GraphiQL and real clients
      // send JSON with content-type, which is not simple, so they are unaffected.
      useCSRFPrevention({ requestHeaders: ['x-graphql-yoga-csrf', 'authorization', 'apollo-require-preflight'] }),
      EnvelopArmorPlugin({
        maxDepth: { n: 10 },
        maxAliases: { n: 20 },
        maxTokens: { n: 2000 },
        maxDirectives: { n: 20 },
        costLimit: { maxCost: 2000 },
        blockFieldSuggestion: { enabled: true },
      }),
      useRateLimitHeaders(),
    ],
  });
}
