import type { ChangeView } from '../services/dns-service.js';
import { principalLabel } from '../services/journal.js';
import { authenticate } from './middleware/authenticate.js';
import { rateLimit } from './middleware/rate-limit.js';
import { requirePermission } from './middleware/require-permission.js';
import { commandInput, inputErrors, providerCommandFields, requireProviderCredentials, requiredString } from './inputs.js';
import { callerAccount, defineProcedure, parseInput } from './procedure.js';

const { apiKey, apiSecret, apiUser, username } = providerCommandFields;

/** `ChangeID` and the provider credentials; which credentials are required depends on the entry's provider. */
export const revertInput = commandInput({
  changeId: requiredString('CHANGE_ID_MISSING', 'CHANGE_ID_INVALID', { description: 'The change to undo: an `id` from dns.changes.' }),
  apiKey,
  apiSecret,
  apiUser,
  username,
});

/** The provider-specific credential rules of dns.set (GoDaddy secret → 5; Namecheap user → 6, username → 7). */
const credentialsForProvider = commandInput({}, requireProviderCredentials);

/**
 * dns.revert: restores exactly the records one journal entry touched, unless they were edited since (409). Only an
 * entry of the caller's account (any, for an Admin): another account's is answered as an unknown id (12).
 */
export const dnsRevert = defineProcedure({
  name: 'dns.revert',
  input: revertInput,
  middleware: [authenticate, rateLimit, requirePermission('User.Update')],
  errors: [
    ...inputErrors(credentialsForProvider),
    'CHANGE_NOT_FOUND',
    'PROVIDER_UNSUPPORTED',
    'REVERT_REFUSED',
    'SET_FAILED',
    'SET_ERROR',
    'LOCK_LOST',
    'JOURNAL_FAILED',
    'INTERNAL_ERROR',
  ],
  async handler(input, ctx): Promise<{ success: true; changes: readonly ChangeView[] }> {
    // The provider comes from the entry, so its credential rules can only be checked once the entry is found (12).
    const account = callerAccount(ctx);
    const entry = await ctx.services.dns.getChange(input.changeId, account);
    const credentials = { apiKey: input.apiKey, apiSecret: input.apiSecret, apiUser: input.apiUser, username: input.username };
    parseInput(credentialsForProvider, { provider: entry.provider, ...credentials });
    const result = await ctx.services.dns.revert({
      changeId: entry.id,
      credentials,
      principal: principalLabel(ctx.principal!),
      account,
      logger: ctx.logger,
    });
    return { success: true, changes: result.changes };
  },
});
