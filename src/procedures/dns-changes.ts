import type { ChangeEntryView } from '../services/dns-service.js';
import { authenticate } from './middleware/authenticate.js';
import { rateLimit } from './middleware/rate-limit.js';
import { requirePermission } from './middleware/require-permission.js';
import { commandInput, domainInput } from './inputs.js';
import { defineProcedure } from './procedure.js';

const changesInput = commandInput({ domain: domainInput });

/** dns.changes: the journal of a domain's changes, newest first, with each one's status (never a credential). */
export const dnsChanges = defineProcedure({
  name: 'dns.changes',
  input: changesInput,
  middleware: [authenticate, rateLimit, requirePermission('User.Update')],
  errors: [],
  async handler(input, ctx): Promise<{ changes: ChangeEntryView[] }> {
    return { changes: await ctx.services.dns.listChanges(input.domain) };
  },
});
