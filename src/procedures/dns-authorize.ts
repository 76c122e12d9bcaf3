import { authenticate } from './middleware/authenticate.js';
import { rateLimit } from './middleware/rate-limit.js';
import { requirePermission } from './middleware/require-permission.js';
import { commandInput, providerCommandFields, requireProviderCredentials } from './inputs.js';
import { defineProcedure } from './procedure.js';

export const authorizeInput = commandInput(providerCommandFields, requireProviderCredentials);

/** dns.authorize: proves the provider credentials can manage the domain's zone, writing nothing. */
export const dnsAuthorize = defineProcedure({
  name: 'dns.authorize',
  input: authorizeInput,
  middleware: [authenticate, rateLimit, requirePermission('User.Update')],
  errors: ['PROVIDER_UNSUPPORTED', 'AUTHORIZATION_FAILED', 'AUTHORIZATION_ERROR', 'INTERNAL_ERROR'],
  async handler(input, ctx): Promise<{ success: true }> {
    await ctx.services.dns.authorize({
      domain: input.domain,
      provider: input.provider,
      credentials: { apiKey: input.apiKey, apiSecret: input.apiSecret, apiUser: input.apiUser, username: input.username },
      logger: ctx.logger,
    });
    return { success: true };
  },
});
