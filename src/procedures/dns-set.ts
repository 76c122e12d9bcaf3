import type { SetRecordsResult } from '../services/dns-service.js';
import { principalLabel } from '../services/journal.js';
import { authenticate } from './middleware/authenticate.js';
import { rateLimit } from './middleware/rate-limit.js';
import { requirePermission } from './middleware/require-permission.js';
import { commandInput, flagInput, providerCommandFields, requireProviderCredentials, wordInput } from './inputs.js';
import { defineProcedure } from './procedure.js';

export const RECORD_SETS = ['campaign', 'email-gateway'] as const;

/** `RecordType`: missing or anything but a known record set → 4. */
export const recordTypeInput = wordInput(RECORD_SETS, 'RECORD_TYPE_MISSING', 'RECORD_TYPE_UNKNOWN', {
  description: 'The record set: `campaign` (return path, DKIM, tracking, SPF, DMARC) or `email-gateway` (the same without tracking).',
  examples: ['campaign'],
});

export const setInput = commandInput(
  {
    ...providerCommandFields,
    recordType: recordTypeInput,
    dryRun: flagInput('DryRun', 'Plan only: nothing is written, and the reply lists the plan (`changes`).'),
    force: flagInput('Force', 'Replace exactly the conflicting records the plan names instead of refusing with code 9.'),
  },
  requireProviderCredentials,
);

/** dns.set: writes the record set through the provider (read, plan, then apply; a dry run only plans). */
export const dnsSet = defineProcedure({
  name: 'dns.set',
  input: setInput,
  middleware: [authenticate, rateLimit, requirePermission('User.Update')],
  errors: ['PROVIDER_UNSUPPORTED', 'SET_FAILED', 'SET_ERROR', 'LOCK_LOST', 'JOURNAL_FAILED', 'INTERNAL_ERROR'],
  async handler(input, ctx): Promise<SetRecordsResult> {
    const principal = principalLabel(ctx.principal!);
    const result = await ctx.services.dns.setRecords({
      domain: input.domain,
      provider: input.provider,
      recordType: input.recordType,
      dryRun: input.dryRun ?? false,
      force: input.force ?? false,
      principal,
      credentials: { apiKey: input.apiKey, apiSecret: input.apiSecret, apiUser: input.apiUser, username: input.username },
    });
    if (result.applied) {
      // An applied dns.set starts (or restarts) the watch of what it wrote; its first check waits for propagation.
      try {
        await ctx.services.watches.start({ principal, domain: input.domain, recordType: input.recordType, firstCheck: 'later' });
      } catch (error) {
        // The zone is written: failing the request now would only invite a retry of a finished write.
        ctx.services.logger.error({ err: error, domain: input.domain }, 'could not start the watch of an applied dns.set');
      }
    }
    return result;
  },
});
