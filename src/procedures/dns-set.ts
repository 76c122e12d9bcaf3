import { z } from 'zod';
import type { SetRecordsResult } from '../services/dns-service.js';
import { principalLabel } from '../services/journal.js';
import { authenticate } from './middleware/authenticate.js';
import { rateLimit } from './middleware/rate-limit.js';
import { requirePermission } from './middleware/require-permission.js';
import { commandInput, flagInput, providerCommandFields, requireProviderCredentials } from './inputs.js';
import { callerAccount, defineProcedure } from './procedure.js';

export const RECORD_SETS = ['campaign', 'email-gateway'] as const;

/** `RecordType`: missing or anything but a known record set → 4. */
export const recordTypeInput = z.unknown().transform((value, ctx): (typeof RECORD_SETS)[number] => {
  if (value === undefined || value === null || (typeof value === 'string' && value.trim() === '')) {
    ctx.addIssue({ code: 'custom', message: 'RECORD_TYPE_MISSING' });
    return z.NEVER;
  }
  const name = typeof value === 'string' ? value.trim().toLowerCase() : '';
  const known = RECORD_SETS.find((r) => r === name);
  if (!known) {
    ctx.addIssue({ code: 'custom', message: 'RECORD_TYPE_UNKNOWN' });
    return z.NEVER;
  }
  return known;
});

export const setInput = commandInput(
  { ...providerCommandFields, recordType: recordTypeInput, dryRun: flagInput('DryRun'), force: flagInput('Force') },
  requireProviderCredentials,
);

/** dns.set: writes the record set through the provider (read, plan, then apply; a dry run only plans). */
export const dnsSet = defineProcedure({
  name: 'dns.set',
  input: setInput,
  middleware: [authenticate, rateLimit, requirePermission('User.Update')],
  async handler(input, ctx): Promise<SetRecordsResult> {
    const account = callerAccount(ctx).id;
    const result = await ctx.services.dns.setRecords({
      domain: input.domain,
      provider: input.provider,
      recordType: input.recordType,
      dryRun: input.dryRun ?? false,
      force: input.force ?? false,
      principal: principalLabel(ctx.principal!),
      account,
      credentials: { apiKey: input.apiKey, apiSecret: input.apiSecret, apiUser: input.apiUser, username: input.username },
    });
    if (result.applied) {
      // An applied dns.set starts (or restarts) the watch of what it wrote; its first check waits for propagation.
      try {
        // The watch belongs to the caller's account, as the entry does: every key and session of a user shares it.
        await ctx.services.watches.start({ principal: account, domain: input.domain, recordType: input.recordType, firstCheck: 'later' });
      } catch (error) {
        // The zone is written: failing the request now would only invite a retry of a finished write.
        ctx.services.logger.error({ err: error, domain: input.domain }, 'could not start the watch of an applied dns.set');
      }
    }
    return result;
  },
});
