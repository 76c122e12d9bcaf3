import type { ChangeEntryView } from '../services/dns-service.js';
import { authenticate } from './middleware/authenticate.js';
import { rateLimit } from './middleware/rate-limit.js';
import { requirePermission } from './middleware/require-permission.js';
import { commandInput, domainInput } from './inputs.js';
import { callerAccount, defineProcedure } from './procedure.js';

const changesInput = commandInput({ domain: domainInput });

/**
 * dns.changes: the journal of a domain's changes, newest first, with each one's status (never a credential): the
 * caller's account's entries only (every account's for an Admin).
 */
export const dnsChanges = defineProcedure({
  name: 'dns.changes',
  input: changesInput,
  middleware: [authenticate, rateLimit, requirePermission('User.Update')],
  errors: [],
  async handler(input, ctx): Promise<{ changes: ChangeEntryView[] }> {
    return { changes: await ctx.services.dns.listChanges(input.domain, callerAccount(ctx)) };
  },
});
